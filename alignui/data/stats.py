"""Statistics and warnings over normalised rows, gathered in one pass.

Lengths are in characters (the text of every turn, for conversations); with a tokenizer they are
also in tokens (the same text tokenised without special tokens or chat template).
"""

import math
from array import array
from pathlib import Path

from alignui.data.conversation import plain_text, text_length
from alignui.data.implicit import shared_length
from alignui.errors import DataError

#: Fields whose lengths are measured, per type. For ratings, "responses" measures each response.
LENGTH_FIELDS = {
    "language_modeling": ("text", "messages"),
    "prompt_only": ("prompt",),
    "prompt_completion": ("prompt", "completion"),
    "preference": ("prompt", "chosen", "rejected"),
    "unpaired_preference": ("prompt", "completion"),
    "ratings": ("prompt", "responses"),
}
#: Chosen and rejected that differ in at most this share of their characters count as nearly identical.
NEAR_IDENTICAL = 0.05
#: KTO works well with desirable:undesirable between 1:1 and 4:1 (Ethayarajh & Jurafsky, 2024, via the
#: article): the presets, the doctor and these warnings all use this one range.
KTO_RATIO = (1.0, 4.0)
MAX_LABEL_RATIO = KTO_RATIO[1]
#: Row numbers kept as examples for each kind of finding.
EXAMPLES = 10
HISTOGRAM_BINS = 20
TOKEN_BATCH = 1024
#: Files one of which a folder holding a tokenizer has.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
#: Fewer usable rows than this gets a warning: alignment runs usually want hundreds at least.
FEW_ROWS = 100


class StatsBuilder:
    """Feed it (record number, normalised row) pairs with `add`; `result()` gives the stats."""

    def __init__(self, kind: str, tokenizer=None):
        self.kind = kind
        self.fields = LENGTH_FIELDS[kind]
        self.chars = {field: array("l") for field in self.fields}
        self.tokens = {field: array("l") for field in self.fields} if tokenizer else None
        self._tokenizer = tokenizer
        self._pending: dict[str, list[str]] = {field: [] for field in self.fields}
        self._prompts: set[int] = set()
        self._rows: set[int] = set()
        self.duplicate_prompts = 0
        self.duplicate_rows: list[int] = []
        self.near_identical: list[int] = []
        self.labels = [0, 0]  # undesirable, desirable
        self.ratings: dict = {}

    def add(self, number: int, row: dict) -> None:
        for field in self.fields:
            if field in row:
                for value in _values(row[field]):
                    self.chars[field].append(text_length(value))
                    if self.tokens is not None:
                        self._queue(field, plain_text(value))
        if "prompt" in row:
            prompt = hash(_key(row["prompt"]))
            if prompt in self._prompts:
                self.duplicate_prompts += 1
            self._prompts.add(prompt)
        whole = hash(_key(row))
        if whole in self._rows:
            self.duplicate_rows.append(number)
        self._rows.add(whole)
        if self.kind == "preference" and nearly_identical(row["chosen"], row["rejected"]):
            self.near_identical.append(number)
        if self.kind == "unpaired_preference":
            self.labels[row["label"]] += 1
        if self.kind == "ratings":
            for response in row["responses"]:
                self.ratings[response["rating"]] = self.ratings.get(response["rating"], 0) + 1

    def result(self) -> dict:
        if self.tokens is not None:
            for field in self.fields:
                self._flush(field)
        stats = {
            "lengths": {f: summary(v) for f, v in self.chars.items() if v},
            "length_histogram": histogram({f: v for f, v in self.chars.items() if v}),
            "distinct_prompts": len(self._prompts),
            "duplicate_prompts": self.duplicate_prompts,
            "duplicate_rows": len(self.duplicate_rows),
            "duplicate_row_examples": self.duplicate_rows[:EXAMPLES],
        }
        if self.tokens is not None:
            stats["tokens"] = {f: summary(v) for f, v in self.tokens.items() if v}
        if self.kind == "preference":
            stats["near_identical_pairs"] = len(self.near_identical)
            stats["near_identical_examples"] = self.near_identical[:EXAMPLES]
        if self.kind == "unpaired_preference":
            stats["label_balance"] = label_balance(desirable=self.labels[1], undesirable=self.labels[0])
        if self.kind == "ratings":
            stats["ratings"] = {str(k): v for k, v in sorted(self.ratings.items())}
        return stats

    def _queue(self, field: str, text: str) -> None:
        self._pending[field].append(text)
        if len(self._pending[field]) >= TOKEN_BATCH:
            self._flush(field)

    def _flush(self, field: str) -> None:
        if self._pending[field]:
            encoded = self._tokenizer(self._pending[field], add_special_tokens=False)["input_ids"]
            self.tokens[field].extend(len(ids) for ids in encoded)
            self._pending[field] = []


def of_rows(rows: list[dict], kind: str) -> dict:
    """Stats of normalised rows of type `kind`, with their warnings under "warnings"."""
    builder = StatsBuilder(kind)
    for number, row in enumerate(rows, start=1):
        builder.add(number, row)
    found = builder.result()
    found["warnings"] = warnings(kind, len(rows), len(rows), found)
    return found


def load_tokenizer(path):
    """The tokenizer saved in a model folder (or a hub id in the local cache); DataError if none loads."""
    folder = Path(path).expanduser()
    if folder.is_dir() and not any((folder / name).exists() for name in TOKENIZER_FILES):
        raise DataError(f"{path} holds no tokenizer (no {' or '.join(TOKENIZER_FILES)}).")
    if not folder.exists() and str(path).startswith((".", "/", "~")):  # a path, not a hub id
        raise DataError(f"tokenizer folder {path} does not exist.")
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(folder if folder.exists() else path))
    except (OSError, ValueError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"cannot load a tokenizer from {path}: {reason}") from None


def nearly_identical(chosen, rejected) -> bool:
    """Whether two answers differ in at most NEAR_IDENTICAL of their characters (case and spacing ignored)."""
    a = " ".join(plain_text(chosen).lower().split())
    b = " ".join(plain_text(rejected).lower().split())
    longest = max(len(a), len(b))
    if a == b:
        return True
    prefix = shared_length(a, b)
    suffix = min(shared_length(a[::-1], b[::-1]), min(len(a), len(b)) - prefix)
    return (longest - prefix - suffix) <= NEAR_IDENTICAL * longest


def label_balance(desirable: int, undesirable: int) -> dict:
    """Counts, the desirable:undesirable ratio, and the KTO loss weight that evens out an imbalance.

    The weight ranges follow TRL's KTOTrainer check (Eq. 8 of the KTO paper): either
    undesirable_weight in [D/U/1.33, D/U] or desirable_weight in [U/D, 1.33 U/D].
    """
    balance = {"desirable": desirable, "undesirable": undesirable,
               "ratio": round(desirable / undesirable, 2) if undesirable else None}
    if desirable and undesirable:
        d_over_u = desirable / undesirable
        balance["undesirable_weight"] = [round(d_over_u / 1.33, 2), round(d_over_u, 2)]
        balance["desirable_weight"] = [round(1 / d_over_u, 2), round(1.33 / d_over_u, 2)]
    return balance


def summary(lengths) -> dict:
    ordered = sorted(lengths)
    count = len(ordered)
    return {
        "min": ordered[0],
        "mean": round(sum(ordered) / count, 1),
        "median": ordered[count // 2],
        "p95": ordered[min(count - 1, math.ceil(0.95 * count) - 1)],
        "max": ordered[-1],
    }


def histogram(lengths: dict) -> dict:
    """Counts per field over shared bins; the last bin also holds everything longer (outliers)."""
    if not lengths:
        return {"edges": [], "counts": {}}
    top = max(sorted(v)[min(len(v) - 1, math.ceil(0.99 * len(v)) - 1)] for v in lengths.values())
    width = _nice_width(max(top, 1) / HISTOGRAM_BINS)
    edges = [i * width for i in range(HISTOGRAM_BINS + 1)]
    counts = {}
    for field, values in lengths.items():
        bins = [0] * HISTOGRAM_BINS
        for value in values:
            bins[min(int(value // width), HISTOGRAM_BINS - 1)] += 1
        counts[field] = bins
    return {"edges": edges, "counts": counts}


def warnings(kind: str, rows: int, valid_rows: int, stats: dict) -> list[str]:
    """Plain-language warnings about what the stats show."""
    found = []
    if rows > valid_rows:
        found.append(f"{rows - valid_rows} of {rows} records cannot be used and will be skipped (see errors).")
    if 0 < valid_rows < FEW_ROWS:
        found.append(f"Usable rows: only {valid_rows}; alignment runs usually need hundreds or more.")
    if stats.get("duplicate_rows"):
        found.append(f"Rows repeating an earlier row exactly: {stats['duplicate_rows']} "
                     f"(e.g. rows {_list(stats['duplicate_row_examples'])}); duplicates weigh twice in training.")
    if kind in ("prompt_only", "prompt_completion") and stats.get("duplicate_prompts"):
        found.append(f"Rows repeating an earlier prompt: {stats['duplicate_prompts']}.")
    if stats.get("near_identical_pairs"):
        found.append(
            f"Pairs with nearly identical chosen and rejected answers: {stats['near_identical_pairs']} "
            f"(e.g. rows {_list(stats['near_identical_examples'])}); such pairs teach DPO little and "
            "can make it unstable: consider removing them."
        )
    balance = stats.get("label_balance")
    if balance:
        found.extend(_balance_warnings(balance))
    return found


def _balance_warnings(balance: dict) -> list[str]:
    desirable, undesirable = balance["desirable"], balance["undesirable"]
    if not desirable or not undesirable:
        missing = "undesirable (label false)" if desirable else "desirable (label true)"
        return [f"No {missing} examples: KTO needs both kinds."]
    if desirable > MAX_LABEL_RATIO * undesirable:
        low, high = balance["undesirable_weight"]
        return [
            f"Desirable:undesirable is {desirable / undesirable:.1f}:1, above the 4:1 KTO handles well; "
            f"set undesirable_weight to {low}-{high} (or add undesirable examples)."
        ]
    if undesirable > MAX_LABEL_RATIO * desirable:
        low, high = balance["desirable_weight"]
        return [
            f"Undesirable examples outnumber desirable ones {undesirable / desirable:.1f}:1; "
            f"set desirable_weight to {low}-{high} (or add desirable examples)."
        ]
    return []


def _values(value) -> list:
    """The texts measured in a field: each response of a ratings row, else the value itself."""
    if isinstance(value, list) and value and "rating" in value[0]:
        return [response["text"] for response in value]
    return [value]


def _key(value):
    """A hashable form of a row or field value (strings, bools, numbers, lists and dicts of them)."""
    if isinstance(value, list):
        return tuple(_key(item) for item in value)
    if isinstance(value, dict):
        return tuple((name, _key(item)) for name, item in value.items())
    return value


def _nice_width(raw: float) -> int:
    """A bin width of 1, 2 or 5 times a power of ten, at least `raw`."""
    power = 10 ** max(0, math.floor(math.log10(raw)))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def _list(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:5]))
