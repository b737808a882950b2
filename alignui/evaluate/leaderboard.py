"""The leaderboard: a Bradley-Terry rating of every model that met another, with bootstrap intervals.

Battles come from two places:
- arena votes (the `feedback` table, latest vote per exchange): the winner beats the loser; a tie
  or a both-bad vote is half a win each. A vote between one model and itself is left out.
- evaluations (the `evaluations` table): each prompt of a report is one battle between its aligned
  and reference models (its win, tie or loss); a report without per-prompt outcomes counts its wins,
  ties and losses. Reports made from arena votes ("human-votes") are left out: their votes are
  counted already.

The fit is Chatbot Arena's: Bradley-Terry, P(i beats j) = p_i / (p_i + p_j), as a logistic
regression fitted by Newton's method (ties as half a win each way). Every model also plays one virtual tie against an anchor of
strength 1: a weak prior that keeps a model that won (or lost) every battle at a finite rating.
Ratings are on the Elo scale: rating = 1000 + 400 * log10(p), so 1000 is the anchor and a
400-point gap means 10:1 odds. The 95% interval comes from 100 bootstrap rounds (resample the
battles with replacement, refit, take the 2.5th and 97.5th percentiles); it is widened to take in
the rating itself where a lopsided resample would leave it out.
"""

import json
from dataclasses import asdict, dataclass

#: Elo-scale constants: rating = BASE_RATING + SCALE * log10(strength).
BASE_RATING = 1000.0
SCALE = 400.0
BOOTSTRAP_ROUNDS = 100
SEED = 0
#: Newton steps stop when no log-strength moves more than this (about 2e-5 rating points).
TOLERANCE = 1e-7
MAX_ITERATIONS = 100


@dataclass(frozen=True)
class Battle:
    """One meeting: `score` is what `first` earned (1 win, 0.5 tie or both bad, 0 loss)."""

    first: str
    second: str
    score: float


@dataclass
class Rating:
    model: str
    rating: float
    ci_low: float
    ci_high: float
    battles: int


def leaderboard(rounds: int = BOOTSTRAP_ROUNDS, seed: int = SEED) -> dict:
    """{"models": [{"model", "rating", "ci_low", "ci_high", "battles"}...]}, best first."""
    return {"models": [asdict(r) for r in rate(battles(), rounds, seed)],
            "scale": f"Elo-like: {BASE_RATING:g} + {SCALE:g} * log10(Bradley-Terry strength)"}


def battles() -> list[Battle]:
    """Every battle in the arena votes and the stored evaluations."""
    return vote_battles() + evaluation_battles()


def vote_battles() -> list[Battle]:
    from alignui.arena.feedback import list_feedback

    latest = {}
    for record in list_feedback("vote"):
        latest[record["exchange"] or f"record-{record['id']}"] = record
    found = []
    for record in latest.values():
        if not record["other_model"] or record["model"] == record["other_model"]:
            continue
        score = 0.5 if record["value"] in ("tie", "both_bad") else 1.0  # `model` holds the winner
        found.append(Battle(record["model"], record["other_model"], score))
    return found


def evaluation_battles() -> list[Battle]:
    from alignui import store

    outcome_score = {"win": 1.0, "tie": 0.5, "loss": 0.0}
    found = []
    for row in store.connect()["evaluations"].rows_where("judge != 'human-votes'", order_by="id"):
        if row["aligned"] == row["reference"]:
            continue
        per_prompt = json.loads(row["report"] or "{}").get("per_prompt")
        if per_prompt:
            outcomes = [outcome_score[p["outcome"]] for p in per_prompt]
        else:
            outcomes = [1.0] * row["wins"] + [0.5] * row["ties"] + [0.0] * row["losses"]
        found += [Battle(row["aligned"], row["reference"], score) for score in outcomes]
    return found


def rate(found: list[Battle], rounds: int = BOOTSTRAP_ROUNDS, seed: int = SEED) -> list[Rating]:
    """Ratings with bootstrap intervals for the models in `found`, best first."""
    import numpy as np

    models = sorted({b.first for b in found} | {b.second for b in found})
    if not models:
        return []
    index = {name: i for i, name in enumerate(models)}
    first = np.array([index[b.first] for b in found])
    second = np.array([index[b.second] for b in found])
    score = np.array([b.score for b in found], dtype=float)
    ratings = to_elo(fit(first, second, score, len(models)))
    rng = np.random.default_rng(seed)
    samples = np.empty((rounds, len(models)))
    for r in range(rounds):
        pick = rng.integers(0, len(found), len(found))
        samples[r] = to_elo(fit(first[pick], second[pick], score[pick], len(models)))
    low, high = np.percentile(samples, [2.5, 97.5], axis=0) if rounds else (ratings, ratings)
    count = np.bincount(first, minlength=len(models)) + np.bincount(second, minlength=len(models))
    result = [Rating(name, round(float(ratings[i]), 2), round(float(min(low[i], ratings[i])), 2),
                     round(float(max(high[i], ratings[i])), 2), int(count[i]))
              for i, name in enumerate(models)]
    return sorted(result, key=lambda r: -r.rating)


def fit(first, second, score, n: int):
    """Bradley-Terry log-strengths (natural log) by Newton's method on the logistic likelihood, with
    one virtual tie per model against an anchor of strength 1 (see the module docstring).

    The prior makes the likelihood strictly concave, so Newton converges in a few steps.
    """
    import numpy as np

    theta = np.zeros(n)
    rows = np.arange(len(first))
    for _ in range(MAX_ITERATIONS):
        p = 1.0 / (1.0 + np.exp(theta[second] - theta[first]))  # P(first beats second)
        anchor = 1.0 / (1.0 + np.exp(-theta))
        gradient = np.bincount(first, score - p, n) - np.bincount(second, score - p, n) + (0.5 - anchor)
        weight = p * (1 - p)
        design = np.zeros((len(first), n))
        design[rows, first], design[rows, second] = 1.0, -1.0
        hessian = (design.T * weight) @ design + np.diag(anchor * (1 - anchor))
        step = np.linalg.solve(hessian, gradient)
        theta = theta + step
        if np.max(np.abs(step)) < TOLERANCE:
            break
    return theta


def to_elo(theta):
    import numpy as np

    return BASE_RATING + SCALE * theta / np.log(10)
