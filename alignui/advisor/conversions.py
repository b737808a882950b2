"""Which algorithm can use which data, as it is or after a conversion, and why not otherwise.

Conversions only ever lose structure: pairs become labels (chosen desirable, rejected
undesirable), ratings become pairs or labels by threshold, any data with prompts yields prompts.
Labels never become pairs (the article: converting pairs to KTO data is easy, the reverse is
impossible), so unpaired data never reaches a pairwise algorithm. SFT needs demonstrations:
language-modeling or prompt-completion data, or the good side of feedback data (the chosen
answers of pairs, the desirable rows of labels, the best-rated answer of ratings).
"""

from dataclasses import dataclass

from alignui import algorithms
from alignui.algorithms import DATASET_TYPES
from alignui.data.convert import CONVERSIONS as DATA_CONVERSIONS
from alignui.data.convert import ConversionOptions

PAIRWISE = ("dpo", "ipo", "simpo", "orpo", "reward")


@dataclass(frozen=True)
class Conversion:
    """How to turn the user's data into the type an algorithm trains on."""

    source: str
    """The user's dataset type."""
    target: str
    """The dataset type the algorithm takes."""
    how: str
    """What the conversion does, in words."""
    command: str = ""
    """The alignui command that performs it, where the data studio has one."""

    @property
    def name(self) -> str:
        return f"{self.source} -> {self.target}"

    def to_dict(self) -> dict:
        return {"name": self.name, "from": self.source, "to": self.target, "how": self.how,
                "command": self.command or None}


def _studio(target: str) -> str:
    return f"python -m alignui data convert DATA --to {target} --out converted.jsonl"


_DEFAULTS = ConversionOptions()
#: What each conversion of the data studio (alignui.data.convert) does, in words.
HOW = {
    ("ratings", "preference"): f"per prompt, the best-rated answer (rating >= {_DEFAULTS.chosen_min:g}) becomes "
                               f"chosen and the worst (rating <= {_DEFAULTS.rejected_max:g}) rejected",
    ("ratings", "unpaired_preference"): "every answer becomes one labelled row: desirable when its rating is "
                                        f">= {_DEFAULTS.threshold:g}",
    ("preference", "unpaired_preference"): "each pair becomes two rows: chosen labelled desirable, rejected "
                                           "labelled undesirable",
    ("preference", "prompt_completion"): "keep each prompt with its chosen answer",
    ("unpaired_preference", "prompt_completion"): "keep the desirable rows as prompt and completion",
    ("ratings", "prompt_completion"): "keep each prompt with its best-rated answer (rating >= "
                                      f"{_DEFAULTS.chosen_min:g})",
}
#: Only what `data convert` performs is ever promised.
CONVERSIONS = {
    (source, target): Conversion(source, target, HOW.get((source, target), "keep the prompts only; GRPO samples "
                                 "fresh answers and a verifier scores them"), _studio(target))
    for (source, target) in DATA_CONVERSIONS
}


@dataclass(frozen=True)
class Usability:
    """Whether an algorithm can train on a dataset type."""

    usable: bool
    data_type: str = ""
    """The type the algorithm trains on."""
    conversion: Conversion | None = None
    """The conversion needed first (None: the data is used as it is)."""
    why_not: str = ""
    """Why the algorithm cannot use the data, when it cannot."""


WHY_NOT = {
    "labels_to_pairs": "binary labels never become pairs: a pairwise algorithm needs chosen and rejected "
                       "answers to the same prompt (the article: pairs -> KTO labels is easy, the reverse "
                       "is impossible); use KTO",
    "no_preference": "no preference signal: it needs chosen/rejected pairs, good/bad labels or ratings",
    "no_prompts": "plain text has no prompts to answer",
    "no_answers": "prompt-only data has no answers to imitate",
}


def usability(algorithm: str, data_type: str) -> Usability:
    """Whether `algorithm` can use `data_type`, directly or through one conversion."""
    algo = algorithms.get(algorithm)
    target = "prompt_completion" if algorithm == "sft" else algo.data_types[0]
    if data_type in algo.data_types:
        return Usability(True, data_type)
    if data_type == "language_modeling":
        reason = WHY_NOT["no_prompts"] if algorithm == "grpo" else WHY_NOT["no_preference"]
        return Usability(False, why_not=reason)
    if algorithm in PAIRWISE and data_type == "unpaired_preference":
        return Usability(False, why_not=WHY_NOT["labels_to_pairs"])
    if algorithm == "sft" and data_type == "prompt_only":
        return Usability(False, why_not=WHY_NOT["no_answers"])
    conversion = CONVERSIONS.get((data_type, target))
    if conversion is None:
        return Usability(False, why_not=WHY_NOT["no_preference"])
    return Usability(True, target, conversion)


def check_data_type(data_type: str) -> None:
    from alignui.errors import SpecError

    if data_type not in DATASET_TYPES:
        raise SpecError(f"unknown data type {data_type!r}; choose one of {', '.join(DATASET_TYPES)}")
