"""Conversions between dataset types, on normalised rows.

What converts to what (every type also "converts" to itself, which merges ratings by prompt and makes
implicit prompts explicit):
- preference → unpaired_preference: two rows per pair, chosen labelled true, rejected false
  (TRL's `unpair_preference_dataset`); → prompt_completion: the chosen answers, for SFT first;
  → prompt_only: the distinct prompts.
- ratings → preference: per prompt, the best response against the worst, when the best is rated at
  least `chosen_min` (default 4) and the worst at most `rejected_max` (default 2); other prompts are
  skipped and counted. → unpaired_preference: one row per response, label = rating ≥ `threshold`.
- unpaired_preference, prompt_completion → prompt_only.
Unpaired labels never become pairs: a thumbs-up on one answer says nothing about which of two
answers to the same prompt is better, so unpaired_preference → preference is refused.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from alignui.data.conversation import hashable
from alignui.errors import DataError


@dataclass
class ConversionOptions:
    """Knobs of the conversions that need them."""

    chosen_min: float = 4
    """ratings → preference: the best response must be rated at least this."""
    rejected_max: float = 2
    """ratings → preference: the worst response must be rated at most this."""
    threshold: float = 4
    """ratings → unpaired_preference: responses rated at least this are desirable."""


@dataclass
class Conversion:
    """Rows of the target type, and what was left out."""

    type: str
    rows: list[dict]
    skipped: int = 0
    """Source rows or prompt groups that produced nothing."""
    notes: list[str] = field(default_factory=list)
    """Why things were skipped, in plain words."""


def targets(kind: str) -> list[str]:
    """Types that data of type `kind` converts to, itself first."""
    return [kind] + [to for (source, to) in CONVERSIONS if source == kind]


def convert_rows(rows: list[dict], kind: str, to: str, options: ConversionOptions | None = None) -> Conversion:
    """Convert normalised rows of type `kind` to type `to`; DataError naming the choices if impossible."""
    options = options or ConversionOptions()
    if to == kind:
        return Conversion(to, _merge_ratings(rows) if kind == "ratings" else list(rows))
    if (kind, to) not in CONVERSIONS:
        raise DataError(impossible(kind, to))
    return CONVERSIONS[(kind, to)](rows, options)


def impossible(kind: str, to: str) -> str:
    reason = {
        ("unpaired_preference", "preference"):
            "unpaired labels never become pairs: a thumbs-up on one answer does not say it beats another "
            "answer to the same prompt (train KTO on it instead)",
    }.get((kind, to), f"{kind} data does not hold what {to} needs")
    return f"cannot convert {kind} to {to}: {reason}. {kind} converts to: {', '.join(targets(kind))}."


def _unpair(rows: list[dict], options: ConversionOptions) -> Conversion:
    import datasets
    from trl.data_utils import unpair_preference_dataset

    datasets.disable_progress_bars()
    unpaired = unpair_preference_dataset(datasets.Dataset.from_list(rows)).to_list()  # to_list: one fast copy
    return Conversion("unpaired_preference", [
        {"prompt": r["prompt"], "completion": r["completion"], "label": r["label"]} for r in unpaired
    ])


def _chosen_as_completion(rows: list[dict], options: ConversionOptions) -> Conversion:
    return Conversion("prompt_completion", [{"prompt": r["prompt"], "completion": r["chosen"]} for r in rows])


def _desirable_as_completion(rows: list[dict], options: ConversionOptions) -> Conversion:
    kept = [{"prompt": r["prompt"], "completion": r["completion"]} for r in rows if r["label"]]
    left = len(rows) - len(kept)
    return Conversion("prompt_completion", kept, left, [f"undesirable rows left out: {left}."] if left else [])


def _best_rated_as_completion(rows: list[dict], options: ConversionOptions) -> Conversion:
    kept = []
    for group in _merge_ratings(rows):
        best = max(group["responses"], key=lambda r: r["rating"])
        if best["rating"] >= options.chosen_min:
            kept.append({"prompt": group["prompt"], "completion": _answer(group["prompt"], best["text"])})
    groups = len(_merge_ratings(rows))
    notes = [f"skipped {groups - len(kept)} prompts: best rating below {options.chosen_min:g}."] \
        if groups > len(kept) else []
    return Conversion("prompt_completion", kept, groups - len(kept), notes)


def _prompts(rows: list[dict], options: ConversionOptions) -> Conversion:
    seen, prompts = set(), []
    for row in rows:
        key = hashable(row["prompt"])
        if key not in seen:
            seen.add(key)
            prompts.append({"prompt": row["prompt"]})
    notes = [f"repeated prompts left out: {len(rows) - len(prompts)}."] if len(rows) > len(prompts) else []
    return Conversion("prompt_only", prompts, notes=notes)


def _best_vs_worst(rows: list[dict], options: ConversionOptions) -> Conversion:
    pairs, reasons = [], {}
    for group in _merge_ratings(rows):
        responses = group["responses"]
        best = max(responses, key=lambda r: r["rating"])
        worst = min(responses, key=lambda r: r["rating"])
        reason = _unpairable(responses, best, worst, options)
        if reason:
            reasons[reason] = reasons.get(reason, 0) + 1
            continue
        pairs.append({
            "prompt": group["prompt"],
            "chosen": _answer(group["prompt"], best["text"]),
            "rejected": _answer(group["prompt"], worst["text"]),
        })
    skipped = sum(reasons.values())
    notes = [f"skipped {count} prompt{'s' if count != 1 else ''}: {reason}." for reason, count in reasons.items()]
    return Conversion("preference", pairs, skipped, notes)


def _unpairable(responses: list[dict], best: dict, worst: dict, options: ConversionOptions) -> str | None:
    """Why a prompt's responses give no pair, or None when best vs worst qualifies."""
    if len(responses) < 2:
        return "fewer than two responses"
    if best["rating"] < options.chosen_min:
        return f"best rating below {options.chosen_min:g}"
    if worst["rating"] > options.rejected_max:
        return f"worst rating above {options.rejected_max:g}"
    if best["rating"] <= worst["rating"] or best["text"] == worst["text"]:
        return "best and worst rated alike"
    return None


def _rated_as_labels(rows: list[dict], options: ConversionOptions) -> Conversion:
    return Conversion("unpaired_preference", [
        {"prompt": row["prompt"], "completion": _answer(row["prompt"], r["text"]),
         "label": r["rating"] >= options.threshold}
        for row in rows for r in row["responses"]
    ])


def _merge_ratings(rows: list[dict]) -> list[dict]:
    """One ratings row per distinct prompt, its responses in file order."""
    groups: dict = {}
    for row in rows:
        key = hashable(row["prompt"])
        if key not in groups:
            groups[key] = {"prompt": row["prompt"], "responses": []}
        groups[key]["responses"].extend(row["responses"])
    return list(groups.values())


def _answer(prompt, text: str):
    """A response in the prompt's style: a string, or one assistant turn after a conversational prompt."""
    return [{"role": "assistant", "content": text}] if isinstance(prompt, list) else text


CONVERSIONS: dict[tuple[str, str], Callable[[list[dict], ConversionOptions], Conversion]] = {
    ("preference", "unpaired_preference"): _unpair,
    ("preference", "prompt_completion"): _chosen_as_completion,
    ("preference", "prompt_only"): _prompts,
    ("ratings", "preference"): _best_vs_worst,
    ("ratings", "unpaired_preference"): _rated_as_labels,
    ("ratings", "prompt_completion"): _best_rated_as_completion,
    ("ratings", "prompt_only"): _prompts,
    ("unpaired_preference", "prompt_completion"): _desirable_as_completion,
    ("unpaired_preference", "prompt_only"): _prompts,
    ("prompt_completion", "prompt_only"): _prompts,
}
