"""Feedback as training data: the loop from the arena back into training.

- thumbs -> `unpaired_preference` rows {prompt, completion, label} (KTO's data). Per answer, the
  latest thumb counts; an answer whose latest thumb was taken back is left out. A both-bad vote
  makes both its answers negatives (unless a thumb on an answer says otherwise).
- votes -> `preference` rows {prompt, chosen, rejected} (DPO's pairs). Per exchange, the latest
  vote counts; ties and both-bad votes are not pairs and are left out.

Rows are conversational: the prompt is the conversation that led to the answer (multi-turn context
is kept, and training applies the chat template the arena used); each completion is one assistant
message. A pair's prompt is the winner's conversation: a DPO pair needs one prompt, and after the
first turn the two sides' histories differ.
"""

import dataclasses
import shlex
from pathlib import Path

from alignui.arena import feedback, models
from alignui.errors import DataError
from alignui.recipe.assignments import format_value

#: Dataset type -> the feedback kind it is made of, and the algorithm that trains on it.
KIND = {"unpaired_preference": "thumb", "preference": "vote"}
ALGORITHM = {"unpaired_preference": "kto", "preference": "dpo"}


def rows(type: str, rater: str | None = None) -> list[dict]:
    """The TRL-ready rows of one dataset type made from every feedback record (of one rater)."""
    if type not in KIND:
        raise DataError(f"feedback exports as {' or '.join(KIND)}, not {type!r}")
    votes = feedback.list_feedback("vote", rater)
    if type == "preference":
        return vote_rows(votes)
    return thumb_rows(feedback.list_feedback("thumb", rater), votes)


def thumb_rows(records: list[dict], votes: list[dict] = ()) -> list[dict]:
    """{prompt, completion, label} per thumbed answer, from thumb records oldest first; the answers
    of exchanges whose latest vote is both-bad are negatives unless thumbed."""
    latest = {}
    for vote in _latest(votes).values():
        if vote["value"] == "both_bad":
            other_role = "reference" if vote["role"] == "aligned" else "aligned"
            latest[(vote["exchange"], vote["role"])] = (vote["conversation"], vote["answer"], False)
            latest[(vote["exchange"], other_role)] = (vote["other_conversation"], vote["other_answer"], False)
    for record in records:
        key = (record["exchange"], record["role"])
        if record["value"] == "withdrawn":
            latest.pop(key, None)
        else:
            latest[key] = (record["conversation"], record["answer"], record["value"] == "up")
    return [{"prompt": prompt, "completion": _reply(answer), "label": label}
            for prompt, answer, label in latest.values()]


def vote_rows(records: list[dict]) -> list[dict]:
    """{prompt, chosen, rejected} per exchange won by one side, from vote records oldest first."""
    latest = _latest(records)
    return [
        {"prompt": r["conversation"], "chosen": _reply(r["answer"]), "rejected": _reply(r["other_answer"])}
        # Identical answers teach nothing and are not a valid pair: left out, like ties.
        for r in latest.values() if r["value"] in ("a", "b") and r["answer"] != r["other_answer"]
    ]


def write(type: str, out, rater: str | None = None) -> int:
    """Write the rows of `type` (from one rater's feedback, if given) as JSONL to `out`; how many rows."""
    from alignui.data.jsonl import write_jsonl

    found = _nonempty(type, rater)
    write_jsonl(found, Path(out))
    return len(found)


def default_name(type: str) -> str:
    """A catalog name for an export made now: arena-TYPE-YYYY-MM-DD-HHMMSS."""
    from alignui import store

    return f"arena-{type}-{store.now()[:19].replace(':', '').replace('T', '-')}"


def save(type: str, name: str):
    """Save the rows of `type` into the catalog under `name`; the catalog entry."""
    from alignui.data import catalog

    found = _nonempty(type)
    return catalog.save_rows(found, name, source=f"arena feedback ({KIND[type]}s)")


def continue_training(aligned: str, dataset: str, type: str, recipe: str | None = None):
    """A TrainSpec that trains the aligned model further on exported feedback, validated.

    KTO on thumbs, DPO on votes, with the presets for the model's size; a recipe file gives its own
    algorithm (if it trains on this feedback) and settings instead, its model and dataset replaced.
    A LoRA job's adapter folder is the model, so the same adapter trains on.
    """
    from alignui import algorithms
    from alignui.model_info import local_size_b
    from alignui.recipe import presets
    from alignui.recipe.recipe_file import read_recipe
    from alignui.recipe.spec import TrainSpec
    from alignui.recipe.validate import validate

    if type not in ALGORITHM:
        raise DataError(f"feedback exports as {' or '.join(ALGORITHM)}, not {type!r}")
    model = models.resolve(aligned).path
    if recipe:
        spec = read_recipe(recipe)
        if type not in spec.algo.data_types:
            raise DataError(f"the recipe trains {spec.algo.title}, which takes {' or '.join(spec.algo.data_types)} "
                            f"data; this feedback is {type}: use a {algorithms.get(ALGORITHM[type]).title} recipe")
        spec = dataclasses.replace(spec, model=model, dataset=dataset)
    else:
        made = presets.preset(ALGORITHM[type], model_size_b=local_size_b(model), method="full")
        spec = TrainSpec(algorithm=ALGORITHM[type], model=model, dataset=dataset, args=made.args)
    return validate(spec)


def train_command(spec) -> str:
    """The `python -m alignui train` command line that launches `spec`."""
    parts = ["python", "-m", "alignui", "train", "--algorithm", spec.algorithm,
             "--model", spec.model, "--data", spec.dataset]
    for name, value in spec.args.items():
        parts += ["--set", f"{name}={format_value(value)}"]
    return shlex.join(parts)


def _nonempty(type: str, rater: str | None = None) -> list[dict]:
    found = rows(type, rater)
    if not found:
        if rater is not None:
            raise DataError(f"{rater!r} has given no {KIND[type]}s to export yet")
        raise DataError(nothing_to_export(type))
    return found


def nothing_to_export(type: str) -> str:
    """Why `type` has no rows, with what the feedback given so far can be exported as instead."""
    votes = list(_latest(feedback.list_feedback("vote")).values())
    if type == "unpaired_preference":
        return ("no feedback to export as thumbs yet: give answers a thumb up or down in the Compare tab "
                "(a both-bad vote also makes both its answers negatives)" + (
                    f"; your {len(votes)} vote(s) can be exported as preference pairs if any says A or B "
                    "is better" if votes else ""))
    if not votes:
        return ("no feedback to export as pairs yet: vote A or B better in the Compare tab, or export thumbs "
                "(Thumbs → unpaired_preference, for KTO) instead")
    counts = {value: sum(v["value"] == value for v in votes) for value in ("tie", "both_bad")}
    same = sum(v["value"] in ("a", "b") and v["answer"] == v["other_answer"] for v in votes)
    parts = [f"{counts['tie']} tie(s)", f"{counts['both_bad']} both bad"] + \
        ([f"{same} between identical answers"] if same else [])
    return (f"no feedback to export as preference pairs: your {len(votes)} vote(s) are {', '.join(parts)}, and ties and "
            "both-bad votes make no pairs (a pair needs one answer voted better than a different one). "
            "Export thumbs instead (Thumbs → unpaired_preference, for KTO): both-bad votes count there "
            "as negatives, with every thumb up or down you gave")


def _latest(records: list[dict]) -> dict:
    """Exchange -> its latest record (records oldest first): a changed vote replaces the earlier one."""
    return {record["exchange"]: record for record in records}


def _reply(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]
