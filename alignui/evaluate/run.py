"""Evaluate an aligned model against the reference on a prompt set, and keep every report.

Prompts come from a prompt file (any format the data studio reads: JSONL, JSON, CSV/TSV, Parquet,
with a `prompt` and, for the verifier, an `answer`), or from the held-out split of a catalog
dataset: the same seeded split, grouped by prompt, that a training run holds out (data.split), so
the model is scored on prompts it never trained on.

Both models decode greedily, so a report can be reproduced. Reports go to the `evaluations` table
and stay there as the history.
"""

import json
from collections.abc import Callable

from alignui import store
from alignui.arena import generate, models
from alignui.data.split import DEFAULT_FRACTION, DEFAULT_SEED, split_rows
from alignui.errors import DataError, NotFound
from alignui.evaluate import judges, winrate
from alignui.evaluate.judges import PromptItem
from alignui.people import acting

#: Prompts generated per batch and side.
BATCH = 8


def read_prompts(path) -> list[PromptItem]:
    """The prompts (and answers, where given) of a data file."""
    from alignui.data.report import load_file

    return _items(load_file(path).rows, str(path))


def held_out_prompts(dataset: str, fraction: float = DEFAULT_FRACTION,
                     seed: int = DEFAULT_SEED) -> list[PromptItem]:
    """The prompts of a catalog dataset's held-out split, each prompt once."""
    from alignui.data import catalog
    from alignui.data.jsonl import read_jsonl

    entry = catalog.get(dataset)
    _, held_out = split_rows(read_jsonl(entry.path), fraction, seed)
    if not held_out:
        raise DataError(f"{dataset!r} has {entry.rows} rows: a {fraction:.0%} split holds none out; "
                        "raise the fraction or use a prompt file")
    return _items(list(held_out), dataset)


def evaluate(reference: str, aligned: str, items: list[PromptItem], judge: str = judges.VERIFIER,
             max_new_tokens: int = 256, source: str = "",
             progress: Callable[[int, int], None] | None = None, judge_template: str | None = None) -> dict:
    """Generate both models' answers, judge them, store the report and return it (with its id)."""
    if not items:
        raise DataError("the prompt set is empty")
    deciding = judges.make(judge, judge_template)
    deciding.check(items)
    reference_side, aligned_side = models.load_pair(reference, aligned)
    sampling = generate.Sampling(temperature=0.0, max_new_tokens=max_new_tokens)
    reference_answers, aligned_answers = [], []
    for start in range(0, len(items), BATCH):
        batch = items[start:start + BATCH]
        requests = [generate.Request(side, item.messages())
                    for side in (reference_side, aligned_side) for item in batch]
        texts = generate.complete(requests, sampling)
        reference_answers += texts[:len(batch)]
        aligned_answers += texts[len(batch):]
        if progress:
            progress(len(reference_answers), len(items))
    aligned_scores, reference_scores = judges.pair_scores(deciding, items, aligned_answers, reference_answers)
    results = [
        winrate.PromptResult(item.text(), ref, ali, winrate.outcome(ali_score, ref_score),
                             ref_score, ali_score, None if item.answer is None else str(item.answer))
        for item, ref, ali, ref_score, ali_score
        in zip(items, reference_answers, aligned_answers, reference_scores, aligned_scores)
    ]
    report = winrate.summarise(results, accuracy=deciding.name == judges.VERIFIER)
    extra = {"judge_template": deciding.template} if getattr(deciding, "pairwise", False) else {}
    return _save(report, reference_side.source, aligned_side.source, deciding.name,
                 {"prompts": source, "max_new_tokens": sampling.checked().max_new_tokens, **extra})


def votes_report(reference: str, aligned: str) -> dict:
    """The win rate from the arena's votes between the two models (latest vote per exchange)."""
    from alignui.arena.feedback import list_feedback

    ref, ali = models.resolve(reference), models.resolve(aligned)
    latest = {}
    for record in list_feedback("vote"):
        if {record["model"], record["other_model"]} == {ref.id, ali.id}:
            latest[record["exchange"]] = record
    if not latest:
        raise NotFound(f"no votes between {ref.label} and {ali.label} yet: vote in the Compare tab first")
    results = []
    for record in latest.values():
        aligned_first = record["model"] == ali.id
        answers = (record["other_answer"], record["answer"]) if aligned_first else \
            (record["answer"], record["other_answer"])
        if record["value"] in ("tie", "both_bad"):
            result = "tie"
        else:
            result = "win" if aligned_first else "loss"
        results.append(winrate.PromptResult(record["prompt"], *answers, outcome=result))
    return _save(winrate.summarise(results), ref, ali, "human-votes", {"prompts": "arena votes"})


def history(limit: int = 50) -> list[dict]:
    """The latest reports' summaries, newest first."""
    rows = store.connect()["evaluations"].rows_where(
        order_by="id desc", limit=limit,
        select="id, created_at, owner, reference, aligned, judge, n, wins, ties, losses, win_rate, ci_low, ci_high, "
               "json_extract(report, '$.reference_accuracy') AS reference_accuracy, "
               "json_extract(report, '$.aligned_accuracy') AS aligned_accuracy")
    return list(rows)


def get(report_id: int) -> dict:
    """A stored report in full."""
    row = next(store.connect()["evaluations"].rows_where("id = ?", [report_id]), None)
    if row is None:
        raise NotFound(f"there is no evaluation {report_id}")
    return {**json.loads(row["report"]), "id": row["id"]}


def _items(rows: list[dict], where: str) -> list[PromptItem]:
    seen, items = set(), []
    for row in rows:
        if "prompt" not in row:
            raise DataError(f"{where} has no `prompt` field to evaluate on")
        key = json.dumps(row["prompt"], sort_keys=True)
        if key not in seen:  # preference and thumbs data repeat a prompt per answer
            seen.add(key)
            items.append(PromptItem(row["prompt"], row.get("answer")))
    return items


def _save(report: dict, reference, aligned, judge: str, settings: dict) -> dict:
    report = {**report, "reference": reference.id, "aligned": aligned.id, "judge": judge,
              **settings, "created_at": store.now()}
    columns = {k: report[k] for k in ("reference", "aligned", "judge", "n", "wins", "ties", "losses",
                                       "win_rate", "ci_low", "ci_high", "created_at")}
    row_id = store.connect()["evaluations"].insert(
        {**columns, "owner": acting.owner_name(), "report": json.dumps(report, ensure_ascii=False)}).last_pk
    return {**report, "id": row_id}
