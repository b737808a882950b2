"""Column aliases: the names teams give their fields, mapped to TRL's column names.

Names match case-insensitively, with spaces and hyphens read as underscores ("Chosen Response" is
`chosen_response`). When a record has several names for one field, the earliest in the list wins.

Two rules need more than a rename:
- `answer` is the reference answer of a verifiable prompt (prompt_only data, as used by GRPO). It is
  read as the completion only when the record also carries a label or a rating and no other
  completion column: then it is the answer being judged.
- Alpaca-style records have `instruction` plus an optional `input`; the prompt is the instruction
  followed by a blank line and the input, when the input is not empty.
"""

ALIASES: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt", "instruction", "question", "query", "input"),
    "completion": ("completion", "response", "output", "reply", "generation"),
    "chosen": ("chosen", "chosen_response", "response_chosen", "preferred", "preferred_response",
               "better_response"),
    "rejected": ("rejected", "rejected_response", "response_rejected", "dispreferred",
                 "dispreferred_response", "worse_response"),
    "label": ("label", "thumbs_up", "thumbs", "thumb", "liked", "is_good", "good", "desirable",
              "is_desirable"),
    "rating": ("rating", "score", "stars"),
    "responses": ("responses", "completions", "candidates"),
    "messages": ("messages", "conversations", "conversation", "dialog", "dialogue", "chat"),
    "text": ("text",),
    "answer": ("answer", "solution", "ground_truth", "reference_answer"),
}

_LOOKUP = {alias: (field, rank) for field, names in ALIASES.items() for rank, alias in enumerate(names)}


def normal_name(name) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def column_map(columns) -> tuple[dict[str, str], str | None]:
    """For raw column names, return ({TRL field: raw column}, raw column to append to the prompt or None)."""
    best: dict[str, tuple[int, str]] = {}
    by_name = {}
    for column in columns:
        name = normal_name(column)
        by_name.setdefault(name, column)
        if name in _LOOKUP:
            field, rank = _LOOKUP[name]
            if field not in best or rank < best[field][0]:
                best[field] = (rank, column)
    mapping = {field: column for field, (_, column) in best.items()}
    if "completion" not in mapping and "answer" in mapping and ("label" in mapping or "rating" in mapping):
        mapping["completion"] = mapping.pop("answer")
    extra_input = None
    if "input" in by_name and normal_name(mapping.get("prompt", "")) == "instruction":
        extra_input = by_name["input"]
    return mapping, extra_input


class Aliaser:
    """Renames the fields of records to TRL's names, remembering each column set's mapping."""

    def __init__(self):
        self._maps: dict[tuple, tuple[dict[str, str], str | None]] = {}
        #: Raw column → TRL field, for every renamed column met so far (shown to the user).
        self.renamed: dict[str, str] = {}

    def canonical(self, data: dict) -> dict:
        """The record with TRL field names; fields whose value is None are left out."""
        keys = tuple(data)
        found = self._maps.get(keys)
        if found is None:
            found = self._maps[keys] = column_map(keys)
            self.renamed.update({raw: field for field, raw in found[0].items() if raw != field})
            if found[1]:
                self.renamed[found[1]] = "prompt"
        mapping, extra_input = found
        record = {field: data[raw] for field, raw in mapping.items() if data[raw] is not None}
        if extra_input:
            extra = data[extra_input]
            if isinstance(extra, str) and extra.strip() and isinstance(record.get("prompt"), str):
                record["prompt"] = f"{record['prompt']}\n\n{extra}"
        return record
