"""Pair filtering by reward margin: keep the preference pairs a reward model clearly agrees with.

The review's first failure case (noisy or mislabelled pairs) starts by scoring every pair with a
reward model and dropping those whose margin, score(chosen) - score(rejected), is small or negative:
the model cannot tell the answers apart, or prefers the rejected one. Chosen and rejected answers are
scored in batches by the same judge `eval --judge reward-model:...` uses (judges.RewardModel).
"""

from dataclasses import asdict, dataclass, field
from pathlib import Path

from alignui.errors import DataError
from alignui.evaluate.judges import PromptItem

#: Pairs whose chosen answer outscores the rejected one by less than this are dropped.
DEFAULT_MIN_MARGIN = 0.5
#: Bins of the margin histogram.
HISTOGRAM_BINS = 10


@dataclass
class FilterReport:
    """What filtering did: counts, the margins' spread, and where the kept pairs went."""

    kept: int
    dropped: int
    min_margin: float
    reward_model: str
    mean_margin: float
    histogram: list[dict] = field(default_factory=list)
    """Margin bins, each {"low", "high", "count"}, covering every pair's margin."""
    out: str | None = None
    """The JSONL file of kept pairs, when written."""
    name: str | None = None
    """The catalog name of the kept pairs, when saved."""

    def to_dict(self) -> dict:
        return asdict(self)


def filter_pairs(pairs: str, reward_model: str, min_margin: float = DEFAULT_MIN_MARGIN,
                 out: str | Path | None = None, save_as: str | None = None,
                 overwrite: bool = False) -> FilterReport:
    """Score every pair of `pairs` (a data file or saved dataset), keep those with margin >= min_margin,
    and write them to `out` and/or save them in the catalog as `save_as`."""
    from alignui.data import catalog
    from alignui.data.jsonl import write_jsonl
    from alignui.evaluate.judges import REWARD_MODEL, RewardModel

    entry = catalog.lookup(pairs)
    if entry.type != "preference":
        raise DataError(f"{pairs} is {entry.type} data; the pair filter needs preference pairs "
                        "(prompt, chosen, rejected)")
    rows = _read(entry.path)
    found = margins(rows, RewardModel(reward_model))
    kept = [row for row, margin in zip(rows, found) if margin >= min_margin]
    report = FilterReport(kept=len(kept), dropped=len(rows) - len(kept), min_margin=min_margin,
                          reward_model=REWARD_MODEL + reward_model, mean_margin=sum(found) / len(found),
                          histogram=histogram(found))
    if (out or save_as) and not kept:
        raise DataError(f"no pair has a margin of {min_margin:g} or more (mean {report.mean_margin:.3g}); "
                        "lower --min-margin, or check the reward model")
    if out:
        report.out = str(write_jsonl(kept, Path(out)))
    if save_as:
        note = f"kept {len(kept)} of {len(rows)} pairs of {pairs} with reward margin >= {min_margin:g}"
        report.name = catalog.save_rows(kept, save_as, source=str(pairs), overwrite=overwrite, notes=[note]).name
    return report


def margins(rows: list[dict], judge) -> list[float]:
    """score(chosen) - score(rejected) for each preference row, by `judge` (a judges.RewardModel)."""
    items, chosen, rejected = [], [], []
    for number, row in enumerate(rows, start=1):
        prompt, good, bad = _parts(row, number)
        items.append(PromptItem(prompt))
        chosen.append(good)
        rejected.append(bad)
    good_scores, bad_scores = judge.scores(items, chosen), judge.scores(items, rejected)
    return [g - b for g, b in zip(good_scores, bad_scores)]


def histogram(values: list[float], bins: int = HISTOGRAM_BINS) -> list[dict]:
    """Counts of `values` in equal-width bins from their minimum to their maximum."""
    import numpy as np

    if not values:
        return []
    counts, edges = np.histogram(np.asarray(values, dtype=float), bins=bins)
    return [{"low": float(edges[i]), "high": float(edges[i + 1]), "count": int(counts[i])}
            for i in range(len(counts))]


def _parts(row: dict, number: int):
    """(prompt, chosen text, rejected text) of a preference row, the prompt split off if implicit."""
    from alignui.data.implicit import split_prompt
    from alignui.rewards import completion_text

    chosen, rejected, prompt = row["chosen"], row["rejected"], row.get("prompt")
    if prompt is None:
        try:
            prompt, chosen, rejected = split_prompt(chosen, rejected)
        except ValueError as error:
            raise DataError(f"row {number}: {error}") from None
    return prompt, completion_text(chosen), completion_text(rejected)


def _read(path) -> list[dict]:
    import json

    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
