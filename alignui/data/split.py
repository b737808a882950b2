"""A seeded validation split that keeps each prompt on one side.

Rows sharing a prompt (the two halves of an unpaired pair, several pairs of one prompt) go to the same
side, so the validation set never scores the model on a prompt it trained on. This one split serves
the data studio's `--validation-split`, every training run (its run folder keeps `train.jsonl` and
`eval.jsonl`), `eval --dataset`, and the exported TRL script, which carries a copy of `split_rows`.
"""

import json
import random

from alignui.errors import DataError

#: Share of the rows held out, and the seed (TrainingArguments' default), unless told otherwise.
DEFAULT_FRACTION = 0.05
DEFAULT_SEED = 42


def split_rows(rows: list[dict], fraction: float = DEFAULT_FRACTION,
               seed: int = DEFAULT_SEED) -> tuple[list[dict], list[dict]]:
    """(train, validation), about `fraction` of the rows held out; the same seed gives the same split."""
    if not 0 <= fraction < 1:
        raise DataError(f"validation split must be at least 0 and below 1, got {fraction}")
    if fraction == 0 or len(rows) < 2:
        return list(rows), []
    groups: dict = {}
    for index, row in enumerate(rows):
        key = json.dumps(row["prompt"], sort_keys=True) if "prompt" in row else index
        groups.setdefault(key, []).append(index)
    order = list(groups.values())
    if len(order) < 2:  # one prompt only: hold out single rows instead
        order = [[index] for index in range(len(rows))]
    random.Random(seed).shuffle(order)
    target = max(1, round(len(rows) * fraction))
    held: set[int] = set()
    for members in order:
        if len(held) >= target:
            break
        held.update(members)
    if len(held) == len(rows):
        held.difference_update(order[-1])
    train = [row for index, row in enumerate(rows) if index not in held]
    validation = [row for index, row in enumerate(rows) if index in held]
    return train, validation
