"""Row checks: each aliased record either becomes a TRL-ready row or gives the reason it cannot.

Normalised rows carry TRL's column names and nothing else:
- language_modeling: `text`, or `messages`
- prompt_only: `prompt`, plus `answer` (the reference answer) when given
- prompt_completion: `prompt`, `completion`
- preference: `prompt`, `chosen`, `rejected`; implicit prompts are extracted, so the prompt is explicit
- unpaired_preference: `prompt`, `completion`, `label` (a bool)
- ratings: `prompt`, `responses` ([{"text", "rating"}]); a flat record (prompt, completion, rating)
  becomes a single-response row, and conversions group responses by prompt.

In the conversational style, a plain-string prompt becomes one user turn and a plain-string answer
one assistant turn, so every row of a dataset has the same shape (TRL needs that).
"""

import math
from collections.abc import Callable

from alignui.data.conversation import decode_list, looks_like_conversation, to_turns
from alignui.data.detect import Detection, filled
from alignui.data.implicit import split_prompt

LABELS = {
    "true": True, "false": False, "1": True, "0": False, "-1": False, "1.0": True, "0.0": False,
    "yes": True, "no": False, "y": True, "n": False, "up": True, "down": False,
    "thumbs_up": True, "thumbs_down": False, "good": True, "bad": False,
    "positive": True, "negative": False, "desirable": True, "undesirable": False,
    "👍": True, "👎": False,
}
#: Keys a scored response may use for its text and its score.
RESPONSE_TEXT = ("text", "response", "completion", "content", "output", "answer")
RESPONSE_RATING = ("rating", "score")


def parse_label(value) -> bool:
    """A label as a bool: true/false, 1/0 (and -1), yes/no, up/down, good/bad; ValueError otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (1, 0, -1):
        return value == 1
    if isinstance(value, str) and value.strip().lower() in LABELS:
        return LABELS[value.strip().lower()]
    raise ValueError(
        f"field 'label' has unusable value {_short(value)}; use true/false, 1/0, yes/no or up/down"
    )


def parse_rating(value, where: str) -> int | float:
    """A rating as a number; ValueError naming `where` if it is not one."""
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)) \
            or isinstance(number, float) and math.isnan(number):
        raise ValueError(f"{where} has rating {_short(value)}, which is not a number")
    if isinstance(number, float) and math.isinf(number):
        raise ValueError(f"{where} has rating {_short(value)}, which is not a finite number")
    return number if isinstance(number, int) else int(number) if number.is_integer() else number


class Validator:
    """Turns aliased records of one detected type and style into TRL-ready rows."""

    def __init__(self, detection: Detection):
        self.type = detection.type
        self.conversational = detection.style == "conversational"
        self._rules: Callable[[dict], dict] = getattr(self, f"_{detection.type}")
        #: Preference rows whose prompt was found inside chosen and rejected.
        self.extracted_prompts = 0

    def normalise(self, record: dict) -> dict:
        """The TRL-ready row for `record`; ValueError with a message naming the field otherwise."""
        return self._rules(record)

    # ----- one rule per type -----

    def _language_modeling(self, record: dict) -> dict:
        if self.conversational:
            return {"messages": to_turns(_required(record, "messages"), "messages")}
        return {"text": self._text(record, "text")}

    def _prompt_only(self, record: dict) -> dict:
        row = {"prompt": self._part(record, "prompt", "user")}
        if filled(record.get("answer")):
            row["answer"] = self._text(record, "answer")
        return row

    def _prompt_completion(self, record: dict) -> dict:
        return {
            "prompt": self._part(record, "prompt", "user"),
            "completion": self._part(record, "completion", "assistant"),
        }

    def _preference(self, record: dict) -> dict:
        chosen = self._part(record, "chosen", "assistant")
        rejected = self._part(record, "rejected", "assistant")
        if chosen == rejected:
            raise ValueError("chosen and rejected are identical")
        if filled(record.get("prompt")):
            prompt = self._part(record, "prompt", "user")
            # A prompt column repeated at the start of conversational answers (TRL's maybe_extract_prompt case).
            implicit = self.conversational and chosen[:len(prompt)] == prompt == rejected[:len(prompt)]
        else:
            implicit = True
        if implicit:
            prompt, chosen, rejected = split_prompt(chosen, rejected)
            self.extracted_prompts += 1
        return {"prompt": prompt, "chosen": chosen, "rejected": rejected}

    def _unpaired_preference(self, record: dict) -> dict:
        row = self._prompt_completion(record)
        row["label"] = parse_label(_required(record, "label"))
        return row

    def _ratings(self, record: dict) -> dict:
        prompt = self._part(record, "prompt", "user")
        if "responses" in record:
            responses = _responses(_required(record, "responses"))
        else:
            text = self._text(record, "completion")
            responses = [{"text": text, "rating": parse_rating(_required(record, "rating"), "field 'rating'")}]
        return {"prompt": prompt, "responses": responses}

    # ----- fields -----

    def _part(self, record: dict, field: str, role: str):
        """A text field in the dataset's style: a string, or a list of turns."""
        if not self.conversational:
            return self._text(record, field)
        value = _required(record, field)
        if isinstance(value, str) and not looks_like_conversation(value):
            return [{"role": role, "content": value}]
        return to_turns(value, field)

    def _text(self, record: dict, field: str) -> str:
        value = _required(record, field)
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if looks_like_conversation(value):
            raise ValueError(f"field '{field}' is a conversation, but this dataset holds plain text")
        raise ValueError(f"field '{field}' must be text, got {type(value).__name__}")


def _required(record: dict, field: str):
    if field not in record:
        raise ValueError(f"missing field '{field}'")
    value = record[field]
    if not filled(value):
        raise ValueError(f"field '{field}' is empty")
    return value


def _responses(value) -> list[dict]:
    if isinstance(value, str):
        value = decode_list(value)
    if not isinstance(value, list):
        raise ValueError("field 'responses' must be a list of {text, rating} objects")
    responses = []
    for index, item in enumerate(value):
        where = f"responses[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be a {{text, rating}} object")
        text = next((item[k] for k in RESPONSE_TEXT if k in item), None)
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where} has no text")
        rating = next((item[k] for k in RESPONSE_RATING if k in item), None)
        if rating is None:
            raise ValueError(f"{where} has no rating")
        responses.append({"text": text, "rating": parse_rating(rating, where)})
    return responses


def _short(value) -> str:
    """A value as quoted in a row's error: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"
