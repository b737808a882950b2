"""On-policy rounds (iterative DPO): the model being trained writes the answers its next round learns from.

Each round:
1. samples K answers per prompt from the current policy (alignui.sample: batched, KV cache);
2. scores them with the judge: `verifier` (the prompt file's `answer` column), `reward-model:X`, or
   `llm:MODEL` (pairwise: every two answers of a prompt compared in both orders, an answer's score
   is its number of wins);
3. pairs each prompt's best answer (chosen) with its worst (rejected), dropping prompts whose answers
   all score the same (no preference to learn);
4. trains one round of the recipe's algorithm (DPO, IPO, SimPO, ...) on those pairs through the job
   engine: an ordinary job, with the recipe's settings, the round's pairs as its dataset, and the
   previous round's model as its model (a LoRA recipe keeps training the same adapter);
5. measures the new model on the held-out prompts: greedy accuracy for the verifier, else the judge's
   win rate against the recipe's starting model (stored as an evaluation, so it reaches the leaderboard).

The held-out prompts are a file of their own (`heldout`) or, without one, a share of the prompt file
(`heldout_fraction`, split by prompt like a training run's validation set) that no round trains on.

A run's record (settings and one entry per finished round) is `iterations/<id>/iteration.json` in the
data home, rewritten after every round; the round datasets sit next to it.
"""

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alignui import settings
from alignui.data.split import DEFAULT_FRACTION, split_rows
from alignui.errors import AlignUIError, DataError, NotFound, SpecError
from alignui.evaluate import judges
from alignui.evaluate.judges import PromptItem
from alignui.sample import SampleSettings

RECORD = "iteration.json"
#: Algorithms that train on the rounds' pairs.
ON_POLICY = ("dpo", "ipo", "simpo", "orpo")


@dataclass
class IterateSettings:
    """One on-policy run."""

    recipe: str
    """A TrainSpec YAML file: model, algorithm (dpo, ipo, simpo or orpo) and hyperparameters; each
    round replaces its dataset (and, after the first round, its model)."""
    prompts: str
    """Prompt file (`prompt`, and `answer` for the verifier)."""
    judge: str = judges.VERIFIER
    """verifier, reward-model:JOB_OR_PATH or llm:MODEL."""
    rounds: int = 2
    samples: int = 4
    """Answers sampled per prompt and round (K)."""
    heldout: str | None = None
    """Prompt file the rounds are measured on; without one, a share of `prompts` is held out instead."""
    heldout_fraction: float = DEFAULT_FRACTION
    """Without `heldout`: the share of the prompts kept out of every round and measured on (0: measure
    nothing)."""
    temperature: float = 1.0
    """Sampling temperature for the round's answers (held-out answers are greedy)."""
    max_new_tokens: int = 64
    judge_template: str | None = None
    """The LLM judge's prompt (judges.DEFAULT_TEMPLATE when None)."""


@dataclass
class Iteration:
    """A run's record, as iteration.json holds it."""

    id: int
    settings: dict
    status: str = "running"
    """running, succeeded or failed."""
    rounds: list[dict] = field(default_factory=list)
    baseline: dict = field(default_factory=dict)
    """The starting model measured like every round (round 0)."""
    final_model: str | None = None
    error: str | None = None
    created_at: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# ----- the run -----

def check(config: IterateSettings) -> tuple:
    """(the recipe, the prompts to train on, the held-out prompts), or a SpecError/DataError naming what
    is wrong with the settings; the judge is checked when it is built (it may load a model)."""
    from alignui.evaluate.run import read_prompts
    from alignui.recipe.recipe_file import read_recipe

    recipe = read_recipe(config.recipe)
    if recipe.algorithm not in ON_POLICY:
        raise SpecError(f"iterate trains pairs: the recipe's algorithm must be one of {', '.join(ON_POLICY)}, "
                        f"not {recipe.algorithm}")
    if config.rounds < 1 or config.samples < 2:
        raise SpecError("iterate needs --rounds 1 or more and --samples 2 or more (pairs need two answers)")
    if not 0 <= config.heldout_fraction < 1:
        raise SpecError(f"--heldout-fraction must be at least 0 and below 1, not {config.heldout_fraction}")
    items = read_prompts(config.prompts)
    if config.heldout:
        heldout = read_prompts(config.heldout)
    else:
        items, heldout = hold_out(items, config.heldout_fraction)
    if config.judge == judges.VERIFIER:
        judges.Verifier().check(items + heldout)
    return recipe, items, heldout


def run(config: IterateSettings, progress: Callable[[str], None] = lambda message: None,
        iteration_id: int | None = None) -> dict:
    """Run every round and return the record: {"rounds": [...], "final_model": ..., ...}."""
    recipe, items, heldout = check(config)
    judge = judges.make(config.judge, config.judge_template)
    judge.check(items)
    if heldout:
        judge.check(heldout)
    record = _start(config, iteration_id)
    try:
        from alignui.train import jobs

        policy = jobs.resolve_model(recipe.model)
        if heldout:
            progress("measuring the starting model on the held-out prompts")
            record.baseline = measure(config, judge, policy, policy, heldout)
            _save(record)
        for number in range(1, config.rounds + 1):
            started = time.perf_counter()
            progress(f"round {number}: sampling {config.samples} answers for {len(items)} prompts")
            pairs = build_pairs(items, sample_answers(policy, items, config, seed=number), judge)
            if not pairs:
                raise DataError(f"round {number}: every prompt's answers scored the same, so there is no pair to "
                                "train on; sample more answers (--samples) or at a higher temperature")
            data = _folder(record.id) / f"round-{number}.jsonl"
            data.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in pairs))
            progress(f"round {number}: training on {len(pairs)} pairs")
            passes = _passes(recipe, len(pairs))
            if passes and passes > 10:
                progress(f"round {number}: max_steps goes over these {len(pairs)} pairs about {passes:.0f} times, "
                         "which overfits; a recipe in num_train_epochs trains each round in proportion to its pairs")
            job = jobs.submit(dataclasses.replace(recipe, model=policy, dataset=str(data)))
            done = jobs.wait(job["job_id"])
            if done["status"] != "succeeded":
                raise AlignUIError(f"round {number}: job {job['job_id']} {done['status']}: {done['error']}")
            policy = done["output_dir"]
            entry = {"round": number, "job_id": job["job_id"], "pairs": len(pairs)}
            if heldout:
                progress(f"round {number}: measuring on the held-out prompts")
                entry.update(measure(config, judge, policy, jobs.resolve_model(recipe.model), heldout,
                                     aligned_name=str(job["job_id"])))
            entry["seconds"] = round(time.perf_counter() - started, 1)
            record.rounds.append(entry)
            record.final_model = policy
            _save(record)
        record.status = "succeeded"
    except BaseException as error:
        record.status, record.error = "failed", str(error) or type(error).__name__
        raise
    finally:
        _save(record)
    return record.to_dict()


def start(config: IterateSettings, recipe=None) -> dict:
    """Check the settings, then run the rounds with `iterate --wait` in a background process of its own
    and return at once: {"iteration_id", "status": "running", "log"}.

    The run's folder keeps what it reads: the recipe (`recipe`, a TrainSpec, is written there when
    given, as the web form gives one), a copy of the prompt and held-out files, and the judge's
    template, so the run does not depend on an upload that may be swept away meanwhile. The run acts
    as the acting user (alignui.people.acting): its jobs are theirs and count toward their limit.
    """
    import shutil

    from alignui.people import acting
    from alignui.train.backends.local import detached
    from alignui.train.jobs import TRAINERS

    acting.require_role(TRAINERS, "starting on-policy rounds")
    number = new_id()
    folder = _folder(number)
    try:
        if recipe is not None:
            recipe.save(folder / "recipe.yaml")
            config = dataclasses.replace(config, recipe=str(folder / "recipe.yaml"))
        check(config)
        for name in ("prompts", "heldout"):  # the copy keeps the suffix: it tells the reader the format
            if source := getattr(config, name):
                copy = shutil.copyfile(source, folder / f"{name}{Path(source).suffix}")
                config = dataclasses.replace(config, **{name: str(copy)})
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # a refused run leaves no folder behind
        raise
    argv = ["--wait", "--id", number, "--recipe", config.recipe, "--prompts", config.prompts, "--judge",
            config.judge, "--rounds", config.rounds, "--samples", config.samples, "--heldout-fraction",
            config.heldout_fraction, "--temperature", config.temperature, "--max-new-tokens", config.max_new_tokens]
    if config.heldout:
        argv += ["--heldout", config.heldout]
    if config.judge_template:
        (folder / "judge_template.txt").write_text(config.judge_template)
        argv += ["--judge-template", folder / "judge_template.txt"]
    if owner := acting.owner_name():
        argv += ["--owner", owner]
    log = folder / "log.txt"
    detached(["-m", "alignui", "iterate", *map(str, argv)], log)
    return {"iteration_id": number, "status": "running", "log": str(log)}


def hold_out(items: list[PromptItem], fraction: float) -> tuple[list[PromptItem], list[PromptItem]]:
    """(prompts to train on, held-out prompts): `fraction` of the prompts, each prompt on one side."""
    train, held = split_rows([{"prompt": item.prompt, "item": index} for index, item in enumerate(items)], fraction)
    return [items[row["item"]] for row in train], [items[row["item"]] for row in held]


def sample_answers(policy: str, items: list[PromptItem], config: IterateSettings, seed: int) -> list[list[str]]:
    """K sampled answers per prompt from the policy."""
    from alignui.arena.models import load_side
    from alignui.sample import sample

    loaded = load_side(policy).loaded
    return sample(loaded, [item.messages() for item in items],
                  SampleSettings(samples=config.samples, temperature=config.temperature,
                                 max_new_tokens=config.max_new_tokens, seed=seed))


def build_pairs(items: list[PromptItem], answers: list[list[str]], judge) -> list[dict]:
    """Best-vs-worst pairs, one per prompt whose answers do not all score the same."""
    scores = score_answers(items, answers, judge)
    pairs = []
    for item, group, found in zip(items, answers, scores):
        best = max(range(len(group)), key=lambda i: found[i])
        worst = min(range(len(group)), key=lambda i: found[i])
        if found[best] == found[worst]:
            continue
        pairs.append({"prompt": item.prompt, "chosen": _answer(item, group[best]),
                      "rejected": _answer(item, group[worst])})
    return pairs


def score_answers(items: list[PromptItem], answers: list[list[str]], judge) -> list[list[float]]:
    """Per prompt, a score per answer: the judge's own, or a pairwise judge's wins in a round robin."""
    if not getattr(judge, "pairwise", False):
        flat_items = [item for item, group in zip(items, answers) for _ in group]
        flat = judge.scores(flat_items, [a for group in answers for a in group])
        found, start = [], 0
        for group in answers:
            found.append(flat[start:start + len(group)])
            start += len(group)
        return found
    matches = [(p, i, j) for p, group in enumerate(answers)
               for i in range(len(group)) for j in range(i + 1, len(group))]
    verdicts = judge.compare([items[p] for p, _, _ in matches], [answers[p][i] for p, i, _ in matches],
                             [answers[p][j] for p, _, j in matches])
    found = [[0.0] * len(group) for group in answers]
    for (p, i, j), verdict in zip(matches, verdicts):
        found[p][i] += verdict
        found[p][j] += 1 - verdict
    return found


def measure(config: IterateSettings, judge, policy: str, start_model: str, heldout: list[PromptItem],
            aligned_name: str | None = None) -> dict:
    """{"heldout_accuracy"} (verifier: greedy answers checked) or {"win_rate"} against the starting model."""
    if config.judge == judges.VERIFIER:
        from alignui.arena.models import load_side
        from alignui.sample import sample

        greedy = sample(load_side(policy).loaded, [item.messages() for item in heldout],
                        SampleSettings(samples=1, temperature=0, max_new_tokens=config.max_new_tokens))
        scores = judge.scores(heldout, [group[0] for group in greedy])
        return {"heldout_accuracy": round(sum(scores) / len(scores), 4)}
    if aligned_name is None:
        return {"win_rate": 0.5}  # the starting model against itself
    from alignui.evaluate.run import evaluate

    report = evaluate(start_model, aligned_name, heldout, config.judge, config.max_new_tokens,
                      source=config.heldout, judge_template=config.judge_template)
    return {"win_rate": round(report["win_rate"], 4), "evaluation_id": report["id"]}


# ----- records -----

def list_runs() -> list[dict]:
    """Every on-policy run's record, newest first."""
    root = settings.home() / "iterations"
    found = [json.loads(p.read_text()) for p in root.glob(f"*/{RECORD}")] if root.is_dir() else []
    return sorted(found, key=lambda r: -r["id"])


def by_round() -> list[dict]:
    """Every run's measurements by round, round 0 being its starting model: {"run", "round", "metric",
    "value", "job_id", "pairs"} rows for a table or a plot."""
    rows = []
    for found in list_runs():
        entries = ([{"round": 0, "job_id": None, "pairs": None, **found["baseline"]}] if found["baseline"] else [])
        for entry in entries + found["rounds"]:
            for metric in ("heldout_accuracy", "win_rate"):
                if metric in entry:
                    rows.append({"run": f"run {found['id']}", "round": entry["round"], "metric": metric,
                                 "value": entry[metric], "job_id": entry["job_id"], "pairs": entry["pairs"]})
    return rows


def get(iteration_id: int) -> dict:
    path = _folder(iteration_id) / RECORD
    if not path.is_file():
        raise NotFound(f"there is no on-policy run {iteration_id}; `python -m alignui iterate --list` shows them")
    return json.loads(path.read_text())


def new_id() -> int:
    """Reserve the next run id (its folder)."""
    root = settings.home() / "iterations"
    root.mkdir(parents=True, exist_ok=True)
    number = max((int(p.name) for p in root.iterdir() if p.name.isdigit()), default=0) + 1
    while True:
        try:
            (root / str(number)).mkdir()
            return number
        except FileExistsError:  # another run took it meanwhile
            number += 1


def _start(config: IterateSettings, iteration_id: int | None) -> Iteration:
    from alignui import store

    return Iteration(id=iteration_id or new_id(), settings=dataclasses.asdict(config), created_at=store.now())


def _folder(iteration_id: int) -> Path:
    return settings.home() / "iterations" / str(iteration_id)


def _save(record: Iteration) -> None:
    path = _folder(record.id) / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(record.to_dict(), indent=1, ensure_ascii=False))
    partial.replace(path)  # readers never see half a record


def _passes(recipe, pairs: int) -> float | None:
    """How many times a recipe with max_steps goes over a round's pairs (None for one in epochs)."""
    steps = recipe.args.get("max_steps") or -1
    if steps <= 0:
        return None
    # 8 and 1 are TrainingArguments' defaults.
    batch = (recipe.args.get("per_device_train_batch_size") or 8) * (recipe.args.get("gradient_accumulation_steps") or 1)
    return steps * batch * recipe.hardware.processes * recipe.hardware.machines / pairs


def _answer(item: PromptItem, text: str):
    """An answer in the prompt's style: a string for a text prompt, an assistant message otherwise."""
    return text if isinstance(item.prompt, str) else [{"role": "assistant", "content": text}]
