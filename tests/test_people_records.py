"""Every record has an owner; only the owner (or an admin) steers it; per-user job limit; feedback by
rater; agreement between raters."""

import json

import pytest
from conftest import run_cli
from test_arena_chat import ALIGNED, REFERENCE

from alignui import store
from alignui.arena import feedback, feedback_export
from alignui.arena.chat import Conversation, Exchange
from alignui.data import catalog
from alignui.errors import Forbidden
from alignui.people import agreement
from alignui.people.accounts import User
from alignui.people.acting import acting_as
from alignui.train import jobs

ADA, BO, RAE, ROOT = (User("ada", "trainer"), User("bo", "trainer"), User("rae", "rater"),
                      User("root", "admin"))
ROWS = [{"prompt": "p", "chosen": "good", "rejected": "bad"}]


def queued_job(owner: str) -> int:
    """A job row as submit leaves it before its supervisor starts (no process to stop)."""
    return store.connect()["jobs"].insert({"status": "queued", "algorithm": "dpo", "owner": owner,
                                           "created_at": store.now()}).last_pk


def test_a_trainer_cancels_only_their_own_job_and_an_admin_any():
    mine, theirs, other = queued_job("ada"), queued_job("bo"), queued_job("bo")
    with acting_as(ADA):
        assert jobs.cancel(mine)["status"] == "cancelled"
        with pytest.raises(Forbidden, match="bo's"):
            jobs.cancel(theirs)
        with pytest.raises(Forbidden):
            jobs.resume(theirs)
    assert jobs.get(theirs)["status"] == "queued"
    assert jobs.cancel(theirs, actor=ROOT)["status"] == "cancelled"
    assert jobs.cancel(other)["status"] == "cancelled"  # the local operator (CLI) may
    with pytest.raises(Forbidden, match="role trainer or admin"):
        jobs.cancel(queued_job("rae"), actor=RAE)


def test_jobs_per_user_are_limited_at_submit(monkeypatch, tmp_path):
    from alignui.recipe.spec import TrainSpec

    monkeypatch.setenv("ALIGNUI_MAX_JOBS_PER_USER", "2")
    queued_job("ada"), queued_job("ada"), queued_job("bo")
    spec = TrainSpec(algorithm="dpo", model="assets/demo/model", dataset=str(tmp_path / "unused.jsonl"))
    with pytest.raises(Forbidden, match="ALIGNUI_MAX_JOBS_PER_USER=2"):
        jobs.submit(spec, actor=ADA)
    with pytest.raises(Forbidden, match="role trainer or admin"):
        jobs.submit(spec, actor=RAE)
    assert store.connect()["jobs"].count == 3  # nothing was added


def test_datasets_record_their_owner_and_only_the_owner_deletes_or_overwrites():
    with acting_as(ADA):
        assert catalog.save_rows(ROWS, "pairs").owner == "ada"
    assert catalog.get("pairs").owner == "ada"
    with acting_as(BO):
        with pytest.raises(Forbidden):
            catalog.save_rows(ROWS, "pairs", overwrite=True)
        with pytest.raises(Forbidden):
            catalog.delete("pairs")
    with acting_as(ROOT):
        catalog.delete("pairs")
    assert not catalog.list_entries()


def rated(prompt: str, answers: dict, rater: User, value: str, aligned_side="b") -> None:
    chat = Conversation(REFERENCE, ALIGNED, aligned_side, True, [Exchange(prompt + rater.name, prompt, answers, {})])
    with acting_as(rater):
        feedback.record_vote(chat, value)


def test_votes_record_their_rater_and_export_filters_by_rater(alignui_home, tmp_path):
    rated("q1", {"a": "one", "b": "two"}, RAE, "a")
    rated("q2", {"a": "three", "b": "four"}, ADA, "b")
    assert [r["user"] for r in feedback.list_feedback("vote")] == ["rae", "ada"]
    out = tmp_path / "rae.jsonl"
    result = run_cli("feedback", "export", "--type", "preference", "--out", out, "--rater", "rae", "--json",
                     home=alignui_home, check=True)
    assert json.loads(result.stdout)["rows"] == 1
    assert [json.loads(line)["chosen"][0]["content"] for line in out.read_text().splitlines()] == ["one"]
    assert len(feedback_export.rows("preference")) == 2
    assert "has given no" in run_cli("feedback", "export", "--type", "preference", "--out", out,
                                     "--rater", "nobody", home=alignui_home).stderr


def test_agreement_counts_the_same_pair_judged_by_two_raters():
    rae2 = User("rae2", "rater")
    # q1: both prefer "one", though the sides were shuffled differently for each.
    rated("q1", {"a": "one", "b": "two"}, RAE, "a")
    rated("q1", {"a": "two", "b": "one"}, rae2, "b", aligned_side="a")
    # q2: they disagree; q3: both say tie; q4: only one of them judged it.
    rated("q2", {"a": "x", "b": "y"}, RAE, "a")
    rated("q2", {"a": "x", "b": "y"}, rae2, "b")
    rated("q3", {"a": "m", "b": "n"}, RAE, "tie")
    rated("q3", {"a": "n", "b": "m"}, rae2, "tie")
    rated("q4", {"a": "s", "b": "t"}, RAE, "a")
    # ada judged q1 twice and changed her mind: her latest vote counts.
    rated("q1", {"a": "one", "b": "two"}, ADA, "a")
    rated("q1", {"a": "one", "b": "two"}, ADA, "b")
    found = agreement.report()
    assert found["raters"] == [
        {"rater_a": "ada", "rater_b": "rae", "pairs": 1, "agreed": 0, "agreement": 0.0},
        {"rater_a": "ada", "rater_b": "rae2", "pairs": 1, "agreed": 0, "agreement": 0.0},
        {"rater_a": "rae", "rater_b": "rae2", "pairs": 3, "agreed": 2, "agreement": 0.6667},
    ]
    assert found["overall"] == {"pairs": 5, "agreed": 2, "agreement": 0.4}


def test_raters_judge_the_same_kept_greedy_answers():
    from conftest import ROOT

    from alignui.people import rating

    demo = str(ROOT / "assets" / "demo" / "model")
    chosen = {"reference": demo, "aligned": demo}
    first = list(rating.ask(chosen, "12+30="))
    again = list(rating.ask(chosen, "12+30="))
    assert len(again) == 1  # kept: no second trip through the models
    assert first[-1].exchanges[-1].answers == again[0].exchanges[-1].answers
    assert first[-1].blind and again[0].blind and not again[0].revealed()
