"""Recording votes and thumbs: what each record keeps, and votes resolved to the model that won."""

import pytest
from test_arena_chat import ALIGNED, REFERENCE, two_turns

from alignui.arena import feedback
from alignui.errors import DataError


def only(kind):
    records = feedback.list_feedback(kind)
    assert len(records) == 1
    return records[0]


@pytest.mark.parametrize("aligned_side, vote, winner", [
    ("a", "a", "aligned"), ("a", "b", "reference"), ("b", "a", "reference"), ("b", "b", "aligned"),
])
def test_a_vote_is_stored_resolved_to_the_model_that_won(aligned_side, vote, winner):
    chat = two_turns(blind=True, aligned_side=aligned_side)
    feedback.record_vote(chat, vote, user="ana")
    record = only("vote")
    loser = "reference" if winner == "aligned" else "aligned"
    assert record["value"] == vote and record["role"] == winner
    assert record["model"] == (ALIGNED if winner == "aligned" else REFERENCE).id
    assert record["other_model"] == (ALIGNED if loser == "aligned" else REFERENCE).id
    assert record["answer"] == chat.exchanges[-1].answers[vote]
    assert record["other_answer"] == chat.exchanges[-1].answers["b" if vote == "a" else "a"]
    assert record["blind"] == 1 and record["user"] == "ana"


def test_a_vote_reveals_the_names_and_later_votes_are_not_blind():
    chat = two_turns(blind=True)
    feedback.record_vote(chat, "tie")
    assert chat.revealed()
    feedback.record_vote(chat, "both_bad")
    first, second = feedback.list_feedback("vote")
    assert (first["blind"], second["blind"]) == (1, 0)


def test_a_tie_keeps_side_a_first_and_the_whole_context():
    chat = two_turns()
    chat.exchanges[-1].sampling = {"temperature": 0.7, "top_p": 0.9, "seed": 1, "max_new_tokens": 64}
    feedback.record_vote(chat, "tie")
    record = only("vote")
    assert record["role"] == "reference" and record["answer"] == "a again"
    assert record["prompt"] == "more?" and record["exchange"] == "e2"
    assert record["conversation"] == chat.messages("a")
    assert record["sampling"]["seed"] == 1
    assert record["created_at"]


def test_a_thumb_records_the_answer_its_model_and_job_and_the_comment():
    chat = two_turns()  # aligned on side b: job 3
    feedback.record_thumb(chat, 0, "b", "up", comment="  clear and short ")
    record = only("thumb")
    assert (record["value"], record["answer"], record["other_answer"]) == ("up", "hello from b", "hello from a")
    assert (record["model"], record["job_id"], record["role"]) == ("job:3", 3, "aligned")
    assert record["other_job_id"] is None
    assert record["comment"] == "clear and short"
    assert record["conversation"] == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize("liked, value", [(True, "up"), (False, "down"), ("", "withdrawn")])
def test_a_chat_like_state_maps_to_a_thumb(liked, value):
    assert feedback.thumb_value(liked) == value


def test_bad_votes_and_thumbs_are_data_errors():
    chat = two_turns()
    with pytest.raises(DataError, match="vote is one of"):
        feedback.record_vote(chat, "c")
    with pytest.raises(DataError, match="thumb is one of"):
        feedback.record_thumb(chat, 0, "a", "meh")
    with pytest.raises(DataError, match="side"):
        feedback.record_thumb(chat, 0, "c", "up")
    with pytest.raises(DataError, match="answer number 3"):
        feedback.record_thumb(chat, 2, "a", "up")
    empty = two_turns()
    empty.exchanges.clear()
    with pytest.raises(DataError, match="nothing to vote on"):
        feedback.record_vote(empty, "a")
    assert feedback.list_feedback() == []
