"""Win rate, ties as half a win, the Wilson 95% interval, accuracies and lengths."""

import pytest

from alignui.evaluate import winrate
from alignui.evaluate.winrate import PromptResult


def result(outcome, ref="r", ali="aa", ref_score=None, ali_score=None):
    return PromptResult("p", ref, ali, outcome, ref_score, ali_score)


@pytest.mark.parametrize("aligned, reference, expected", [(1, 0, "win"), (0.5, 0.5, "tie"), (-2, 3, "loss")])
def test_the_higher_score_wins(aligned, reference, expected):
    assert winrate.outcome(aligned, reference) == expected


@pytest.mark.parametrize("successes, n, low, high", [
    (5, 10, 0.2366, 0.7634), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (81, 100, 0.7222, 0.8749),
])
def test_wilson_matches_values_worked_by_hand(successes, n, low, high):
    assert winrate.wilson(successes, n) == pytest.approx((low, high), abs=1e-4)


def test_a_tie_counts_as_half_a_win_and_the_numbers_add_up():
    results = [result("win")] * 3 + [result("tie")] * 2 + [result("loss")]
    report = winrate.summarise(results)
    assert (report["n"], report["wins"], report["ties"], report["losses"]) == (6, 3, 2, 1)
    assert report["win_rate"] == pytest.approx(4 / 6)
    assert (report["ci_low"], report["ci_high"]) == pytest.approx(winrate.wilson(4, 6))
    assert report["ci_low"] <= report["win_rate"] <= report["ci_high"]
    assert len(report["per_prompt"]) == 6 and report["per_prompt"][0]["outcome"] == "win"
    assert "aligned_accuracy" not in report


def test_lengths_and_verifier_accuracy_per_side():
    results = [result("win", ref="x", ali="xyz", ref_score=0.0, ali_score=1.0),
               result("tie", ref="xyz", ali="x", ref_score=1.0, ali_score=1.0)]
    report = winrate.summarise(results, accuracy=True)
    assert (report["mean_length_reference"], report["mean_length_aligned"]) == (2.0, 2.0)
    assert (report["reference_accuracy"], report["aligned_accuracy"]) == (0.5, 1.0)


@pytest.mark.parametrize("wins, ties, n", [(0, 0, 7), (7, 0, 7), (0, 7, 7), (1, 1, 3)])
def test_the_interval_always_holds_the_win_rate(wins, ties, n):
    results = [result("win")] * wins + [result("tie")] * ties + [result("loss")] * (n - wins - ties)
    report = winrate.summarise(results)
    assert 0 <= report["ci_low"] <= report["win_rate"] <= report["ci_high"] <= 1
