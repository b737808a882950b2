"""Votes and thumbs from the arena, recorded in the `feedback` table.

A vote judges one exchange: "a" or "b" (the side the user preferred, as shown on screen), "tie" or
"both_bad". It is stored resolved to the model that won: `answer`, `model` and `role` are the
winner's, `other_answer` and `other_model` the loser's, so which model won never depends on where
it sat (blind mode shuffles the sides). A tie or both-bad vote stores side a first.

A thumb judges one answer: "up", "down", or "withdrawn" when the user takes a thumb back. Every
click is a new record; the latest record per answer is the one that counts (see feedback_export.py).

Each record keeps the prompt, the conversation that led to the answer (JSON messages ending with
the prompt) and the one that led to the other answer (each side keeps its own history, so after a
follow-up the two differ; a vote was given seeing both), both answers, which model and which job
wrote each, the sampling settings, whether the names were hidden while the user judged, the time,
and the user (the login name when the app runs with accounts, else empty).
"""

import json

from alignui import store
from alignui.arena.chat import SIDES, Conversation
from alignui.errors import DataError
from alignui.people import acting

VOTES = ("a", "b", "tie", "both_bad")
THUMBS = ("up", "down", "withdrawn")


def record_vote(conversation: Conversation, value: str, user: str = "", comment: str = "") -> int:
    """Record a vote on the latest exchange and reveal the names in blind mode; the record's id."""
    if value not in VOTES:
        raise DataError(f"a vote is one of {', '.join(VOTES)}, not {value!r}")
    if not conversation.exchanges:
        raise DataError("there is nothing to vote on yet: ask both models something first")
    index = len(conversation.exchanges) - 1
    first = value if value in SIDES else "a"
    record = _record(conversation, index, first, "vote", value, comment, user)
    conversation.exchanges[index].voted = True
    return _insert(record)


def record_thumb(conversation: Conversation, index: int, side: str, value: str,
                 comment: str = "", user: str = "") -> int:
    """Record a thumb on the answer of `side` in exchange `index`; the record's id."""
    if value not in THUMBS:
        raise DataError(f"a thumb is one of {', '.join(THUMBS)}, not {value!r}")
    if side not in SIDES:
        raise DataError(f"side is 'a' or 'b', not {side!r}")
    if not 0 <= index < len(conversation.exchanges):
        raise DataError(f"there is no answer number {index + 1} in this conversation")
    record_id = _insert(_record(conversation, index, side, "thumb", value, comment, user))
    thumbs = conversation.exchanges[index].thumbs
    if value == "withdrawn":
        thumbs.pop(side, None)
    else:
        thumbs[side] = value
    return record_id


def thumb_value(liked) -> str:
    """A chat window's like state as a thumb: True is up, False down, anything else taken back."""
    if liked is True:
        return "up"
    if liked is False:
        return "down"
    return "withdrawn"


def list_feedback(kind: str | None = None, rater: str | None = None) -> list[dict]:
    """Every record (of one kind: "vote" or "thumb"; by one rater), oldest first, JSON fields decoded."""
    where = {"kind = ?": kind, "user = ?": rater}
    clauses = [clause for clause, value in where.items() if value is not None]
    rows = store.connect()["feedback"].rows_where(" and ".join(clauses) or None,
                                                  [v for v in where.values() if v is not None], order_by="id")
    return [{**row, "conversation": json.loads(row["conversation"] or "[]"),
             # Records from before both contexts were kept: single-turn, so both sides had the same one.
             "other_conversation": json.loads(row["other_conversation"] or row["conversation"] or "[]"),
             "sampling": json.loads(row["sampling"] or "{}")} for row in rows]


def _record(conversation: Conversation, index: int, side: str, kind: str, value: str,
            comment: str, user: str) -> dict:
    exchange = conversation.exchanges[index]
    other = "b" if side == "a" else "a"
    source, other_source = conversation.source(side), conversation.source(other)
    return {
        "kind": kind,
        "value": value,
        "prompt": exchange.prompt,
        "conversation": json.dumps(conversation.messages(side, index), ensure_ascii=False),
        "other_conversation": json.dumps(conversation.messages(other, index), ensure_ascii=False),
        "answer": exchange.answers[side],
        "other_answer": exchange.answers[other],
        "model": source.id,
        "job_id": source.job_id,
        "role": conversation.role(side),
        "other_model": other_source.id,
        "other_job_id": other_source.job_id,
        "exchange": exchange.id,
        "sampling": json.dumps(exchange.sampling),
        "comment": (comment or "").strip() or None,
        "user": user or acting.owner_name(),
        "blind": int(not conversation.revealed()),
        "created_at": store.now(),
    }


def _insert(record: dict) -> int:
    return store.connect()["feedback"].insert(record).last_pk
