"""Agreement between raters: how often two people judged the same pair of answers the same way.

Two votes are about the same pair when they have the same conversation and the same two answers,
whichever side each answer sat on (blind mode shuffles the sides, and greedy answers to a prompt
set repeat across raters). A vote's outcome is the winning answer's text, or "tie" or "both_bad";
per rater and pair only the latest vote counts, and an unnamed rater is left out.
"""

import itertools
import json


def outcomes(votes: list[dict]) -> dict[str, dict[tuple, str]]:
    """Rater -> pair -> outcome, from vote records oldest first (as feedback.list_feedback gives them)."""
    found: dict[str, dict[tuple, str]] = {}
    for vote in votes:
        if not vote.get("user"):
            continue
        key = (json.dumps(vote["conversation"], sort_keys=True),
               *sorted((vote["answer"] or "", vote["other_answer"] or "")))
        outcome = vote["answer"] if vote["value"] in ("a", "b") else vote["value"]
        found.setdefault(vote["user"], {})[key] = outcome
    return found


def pairwise(votes: list[dict]) -> list[dict]:
    """One row per two raters who judged at least one pair in common: pairs, agreed, agreement."""
    by_rater = outcomes(votes)
    rows = []
    for first, second in itertools.combinations(sorted(by_rater), 2):
        shared = by_rater[first].keys() & by_rater[second].keys()
        if shared:
            agreed = sum(by_rater[first][k] == by_rater[second][k] for k in shared)
            rows.append({"rater_a": first, "rater_b": second, "pairs": len(shared), "agreed": agreed,
                         "agreement": round(agreed / len(shared), 4)})
    return rows


def overall(rows: list[dict]) -> dict:
    """Every rater pair's judgements pooled: pairs, agreed, agreement (None with nothing shared)."""
    pairs = sum(r["pairs"] for r in rows)
    agreed = sum(r["agreed"] for r in rows)
    return {"pairs": pairs, "agreed": agreed, "agreement": round(agreed / pairs, 4) if pairs else None}


def report() -> dict:
    """Agreement over every vote in the database: {"raters": rows, "overall": pooled}."""
    from alignui.arena.feedback import list_feedback

    rows = pairwise(list_feedback("vote"))
    return {"raters": rows, "overall": overall(rows)}
