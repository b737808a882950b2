"""Win rate of the aligned model against the reference, with a 95% confidence interval.

win rate = (wins + ties / 2) / n, from the aligned model's point of view.

The interval is the Wilson score interval on that rate. Unlike the plain normal ("Wald") interval
it stays inside [0, 1] and keeps close to its nominal coverage for small prompt sets and for rates
near 0 or 1, which is where a quick evaluation of a clearly better (or worse) model lands. Counting
a tie as half a win makes the outcome less variable than a win/loss coin, so with ties present the
interval is, if anything, a little wide: it never overstates certainty. The interval always
contains the win rate.

Answer lengths are in characters; a win rate that rises together with the aligned model's mean
length is the classic sign of a judge rewarding length rather than quality.
"""

import math
from dataclasses import asdict, dataclass

#: The standard normal quantile for a two-sided 95% interval.
Z_95 = 1.959963984540054
OUTCOMES = ("win", "tie", "loss")


@dataclass
class PromptResult:
    """One prompt: both answers, their scores, and who won it."""

    prompt: str
    reference_answer: str
    aligned_answer: str
    outcome: str
    """"win", "tie" or "loss", for the aligned model."""
    reference_score: float | None = None
    aligned_score: float | None = None
    expected: str | None = None
    """The reference answer, for the verifier."""


def outcome(aligned_score: float, reference_score: float) -> str:
    if aligned_score > reference_score:
        return "win"
    return "tie" if aligned_score == reference_score else "loss"


def wilson(successes: float, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a proportion of `successes` out of `n`."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # Rounding can put the bound a hair past p when p is 0 or 1.
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def summarise(results: list[PromptResult], accuracy: bool = False) -> dict:
    """The report: counts, win rate and interval, mean lengths, per-side accuracy (verifier only),
    and the per-prompt table."""
    n = len(results)
    counts = {name: sum(r.outcome == name for r in results) for name in OUTCOMES}
    rate = (counts["win"] + counts["tie"] / 2) / n if n else 0.0
    low, high = wilson(counts["win"] + counts["tie"] / 2, n)
    report = {
        "n": n,
        "wins": counts["win"],
        "ties": counts["tie"],
        "losses": counts["loss"],
        "win_rate": rate,
        "ci_low": low,
        "ci_high": high,
        "mean_length_reference": _mean(len(r.reference_answer) for r in results),
        "mean_length_aligned": _mean(len(r.aligned_answer) for r in results),
    }
    if accuracy:
        report["reference_accuracy"] = _mean(r.reference_score for r in results)
        report["aligned_accuracy"] = _mean(r.aligned_score for r in results)
    report["per_prompt"] = [asdict(r) for r in results]
    return report


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
