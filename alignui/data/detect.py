"""Dataset type and style, told from the fields of the first records.

Each record votes for a type by the fields it fills (after aliasing); the most common vote wins, and
records of another shape are reported as bad rows when validated against the winner. The style is
conversational when most winning records hold their text as lists (of turns, well-formed or not: a
malformed turn is then reported as such rather than as "not text").
"""

from collections import Counter
from dataclasses import dataclass

from alignui import untrusted
from alignui.data.conversation import decode_list
from alignui.errors import DataError

#: Records read before deciding the type.
SAMPLE_SIZE = 1000

#: Fields that carry the text of each type; they decide the style.
TEXT_FIELDS = {
    "language_modeling": ("messages", "text"),
    "prompt_only": ("prompt",),
    "prompt_completion": ("prompt", "completion"),
    "preference": ("prompt", "chosen", "rejected"),
    "unpaired_preference": ("prompt", "completion"),
    "ratings": ("prompt",),
}

SHAPES = (
    "prompt + chosen + rejected (preference), chosen + rejected transcripts (preference, implicit prompt), "
    "prompt + completion + label (unpaired_preference), prompt + responses with ratings (ratings), "
    "prompt + completion (prompt_completion), prompt (prompt_only), text or messages (language_modeling)"
)


@dataclass
class Detection:
    """What kind of data a file holds."""

    type: str
    """One of alignui.algorithms.DATASET_TYPES."""
    style: str
    """"standard" (plain strings) or "conversational" (lists of {role, content} turns)."""


def filled(value) -> bool:
    """Whether a field holds something: not None, not an empty or blank string, not an empty list."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != [] and value != {}


def record_type(record: dict) -> str | None:
    """The type a record's filled fields point to, or None when they point nowhere."""
    has = {field for field, value in record.items() if filled(value)}
    if "chosen" in has or "rejected" in has:
        return "preference"
    if "responses" in has or ("rating" in has and "label" not in has):
        return "ratings"
    if "label" in has:
        return "unpaired_preference"
    if "completion" in has:
        return "prompt_completion"
    if "messages" in has:  # before prompt: chat logs often carry their first prompt alongside
        return "language_modeling"
    if "prompt" in has:
        return "prompt_only"
    if "text" in has:
        return "language_modeling"
    return None


def detect(records: list[dict], columns) -> Detection:
    """Detect type and style from aliased records; `columns` (the raw names) go into the error message."""
    votes = Counter(t for t in map(record_type, records) if t)
    if not votes:
        names = untrusted.listing(untrusted.cap(name, 40) for name in sorted(map(str, columns))) or "none"
        raise DataError(f"cannot tell what kind of data this is from its fields ({names}); expected {SHAPES}.")
    kind = votes.most_common(1)[0][0]
    mine = [r for r in records if record_type(r) == kind]
    conversational = sum(any(_holds_list(r.get(f)) for f in TEXT_FIELDS[kind]) for r in mine)
    style = "conversational" if conversational * 2 > len(mine) else "standard"
    return Detection(kind, style)


def _holds_list(value) -> bool:
    return isinstance(value, list) or (isinstance(value, str) and isinstance(decode_list(value), list))
