"""The leaderboard: Bradley-Terry recovers known strengths, ties count half, bootstrap intervals hold
the ratings, and the CLI reads arena votes and evaluations from the store."""

import json
import math
import random

import pytest
from conftest import run_cli

from alignui import store
from alignui.evaluate.leaderboard import Battle, rate


def simulated(true: dict[str, float], n: int, seed: int = 0) -> list[Battle]:
    """Battles drawn from the Bradley-Terry model with Elo ratings `true`."""
    rng, names, found = random.Random(seed), list(true), []
    for _ in range(n):
        a, b = rng.sample(names, 2)
        p = 1 / (1 + 10 ** ((true[b] - true[a]) / 400))
        found.append(Battle(a, b, float(rng.random() < p)))
    return found


def test_the_fit_recovers_known_rating_gaps():
    true = {"strong": 1300.0, "middle": 1100.0, "weak": 900.0}
    ratings = {r.model: r for r in rate(simulated(true, 6000), rounds=20)}
    assert [r for r in ratings] == ["strong", "middle", "weak"]
    for a, b in [("strong", "middle"), ("middle", "weak"), ("strong", "weak")]:
        gap = ratings[a].rating - ratings[b].rating
        assert gap == pytest.approx(true[a] - true[b], abs=30)
    for r in ratings.values():
        assert r.ci_low <= r.rating <= r.ci_high and r.ci_high - r.ci_low < 60
    assert sum(r.battles for r in ratings.values()) == 2 * 6000


def test_ties_count_half_and_an_unbeaten_model_stays_finite():
    even = {r.model: r.rating for r in rate([Battle("a", "b", 0.5)] * 10 + [Battle("a", "b", 1.0), Battle("a", "b", 0.0)])}
    assert even["a"] == pytest.approx(even["b"])
    one_sided = {r.model: r for r in rate([Battle("a", "b", 1.0)] * 5)}
    assert math.isfinite(one_sided["a"].rating) and one_sided["a"].rating > one_sided["b"].rating
    assert rate([]) == []


def vote(winner, loser, value, exchange):
    store.connect()["feedback"].insert({"kind": "vote", "value": value, "model": winner, "other_model": loser,
                                        "exchange": exchange, "prompt": "p", "created_at": store.now()})


def test_the_cli_rates_votes_and_evaluations_together(alignui_home):
    vote("job:2", "base", "a", "x1")
    vote("job:2", "base", "b", "x2")
    vote("base", "job:2", "both_bad", "x3")
    vote("base", "job:2", "tie", "x4")
    vote("base", "job:2", "a", "x4")  # a changed vote: only the latest per exchange counts
    vote("base", "base", "a", "x5")  # a model against itself is no battle
    per_prompt = [{"outcome": o} for o in ["win", "win", "tie", "loss"]]
    store.connect()["evaluations"].insert_all([
        {"reference": "base", "aligned": "job:3", "judge": "verifier", "wins": 2, "ties": 1, "losses": 1,
         "n": 4, "report": json.dumps({"per_prompt": per_prompt}), "created_at": store.now()},
        {"reference": "job:2", "aligned": "job:3", "judge": "reward-model:7", "wins": 3, "ties": 0, "losses": 0,
         "n": 3, "report": "{}", "created_at": store.now()},
        {"reference": "base", "aligned": "job:2", "judge": "human-votes", "wins": 9, "ties": 0, "losses": 0,
         "n": 9, "report": "{}", "created_at": store.now()},
    ])
    result = run_cli("leaderboard", "--json", home=alignui_home)
    assert result.returncode == 0, result.stderr
    models = {m["model"]: m for m in json.loads(result.stdout)["models"]}
    assert set(models) == {"base", "job:2", "job:3"}
    assert {name: m["battles"] for name, m in models.items()} == {"base": 8, "job:2": 7, "job:3": 7}
    assert all(set(m) == {"model", "rating", "ci_low", "ci_high", "battles"} for m in models.values())
    assert all(m["ci_low"] <= m["rating"] <= m["ci_high"] for m in models.values())
    # job:3 earned 5.5 of 7 points, base 3 of 8, job:2 2.5 of 7.
    assert models["job:3"]["rating"] > models["base"]["rating"] > models["job:2"]["rating"]
    text = run_cli("leaderboard", home=alignui_home).stdout
    assert text.splitlines()[0].endswith("job:3")


def test_the_evaluate_tab_shows_the_leaderboard(client, app_server, monkeypatch):
    monkeypatch.setenv("ALIGNUI_HOME", str(app_server[1]))
    vote("ui-model-a", "ui-model-b", "a", "ui-x1")
    table = client.predict(api_name="/leaderboard")
    rows = {row[0]: row for row in table["data"]}
    assert rows["ui-model-a"][1] > rows["ui-model-b"][1]
    assert rows["ui-model-a"][4] == 1
