"""The article's selection checklist as ranking rules.

Precedence, highest first:

1. Data: an algorithm that cannot use the data even after a conversion is not recommended at all
   (see `conversions`); GRPO is recommended only for verifiable tasks or prompt-only data.
2. The data-format rules: binary feedback only -> KTO, verifiable answers or prompt-only data ->
   GRPO.
3. Memory: when both the model size and the GPU memory are known, algorithms that fit (with full
   fine-tuning, ZeRO-3, LoRA or QLoRA, at the preset batch or a smaller one) rank above those
   that do not.
4. The infrastructure rules (one pass -> ORPO; 24 GB or less -> SimPO, ORPO), then the quality
   rules (base model without SFT -> KTO, ORPO; overfitting -> IPO; uncertain data -> IPO with a
   higher beta; maximum quality -> DPO), in the checklist's order.
5. The data type's default order (pairs: DPO, IPO, SimPO, ORPO, then KTO by conversion; ratings:
   DPO and KTO first, the checklist's two conversions).

Each rule that fires lifts the algorithms it names above those it does not; a later rule only
orders what earlier ones left tied, and ties left by every rule go by the rules' own orders
(SimPO before ORPO, KTO before ORPO). So 24 GB or less on a base model gives ORPO (named by both
rules), SimPO, then KTO; 24 GB or less with an overfitting concern gives SimPO, ORPO, then IPO.
"""

from collections.abc import Callable
from dataclasses import dataclass

from alignui import algorithms
from alignui.advisor import conversions, memory
from alignui.advisor.advice import SFT_FIRST, Advice, Recommendation, Rejection
from alignui.errors import SpecError
from alignui.model_info import ModelShape
from alignui.recipe import presets, ranges

#: Per data type, the order used when no rule decides.
BASE_ORDER = {
    "preference": ("dpo", "ipo", "simpo", "orpo", "kto", "sft", "grpo", "reward"),
    "ratings": ("dpo", "kto", "ipo", "simpo", "orpo", "sft", "grpo", "reward"),
    "unpaired_preference": ("kto", "sft", "grpo", "reward"),
    "prompt_only": ("grpo", "reward"),
    "prompt_completion": ("sft", "grpo", "reward"),
    "language_modeling": ("sft", "reward"),
}
#: The yes/no goals and concerns of the checklist, as Situation fields and their wording.
GOALS = {
    "overfitting": "Overfitting is a concern",
    "data_quality_uncertain": "Data quality is uncertain",
    "max_quality": "Maximum quality is the goal",
    "single_pass": "SFT and alignment in one pass",
    "verifiable": "Answers are verifiable (math, code)",
    "wants_judge": "A judge is wanted (reward model for evaluation, RL or pair filtering)",
}
SMALL_GPU_GB = 24
LARGE_GPU_GB = 48


@dataclass
class Situation:
    """The answers to the checklist's questions."""

    data_type: str
    """The dataset type (one of alignui.algorithms.DATASET_TYPES)."""
    gpu_memory_gb: float | None = None
    """Memory of one GPU; None when unknown."""
    gpu_count: int = 1
    model_size_b: float | None = None
    """Model size in billions of parameters; None when unknown."""
    has_sft: bool = True
    """False for a base model that has not had SFT."""
    single_pass: bool = False
    """Finish SFT and alignment in one pass."""
    verifiable: bool = False
    """The task has answers a rule can check (math, code)."""
    overfitting: bool = False
    """Overfitting is a concern."""
    data_quality_uncertain: bool = False
    max_quality: bool = False
    """Maximum quality is the goal."""
    wants_judge: bool = False
    """A reward model is wanted: to judge evaluations, reward GRPO, or filter pairs by margin."""
    label_counts: tuple[int, int] | None = None
    """(desirable, undesirable) rows of binary feedback, when known."""
    model_shape: ModelShape | None = None
    """The model's architecture when read from its config (sharpens the memory estimate)."""

    def problems(self) -> list[str]:
        from alignui.algorithms import DATASET_TYPES

        found = []
        if self.data_type not in DATASET_TYPES:
            found.append(f"unknown data type {self.data_type!r}; choose one of {', '.join(DATASET_TYPES)}")
        if self.gpu_memory_gb is not None and not self.gpu_memory_gb > 0:
            found.append(f"GPU memory {self.gpu_memory_gb:g} GB must be above 0 (leave it empty when unknown)")
        if self.gpu_count < 1:
            found.append(f"GPU count {self.gpu_count} must be at least 1")
        if self.model_size_b is not None and not self.model_size_b > 0:
            found.append(f"model size {self.model_size_b:g}B must be above 0 (leave it empty when unknown)")
        if self.label_counts is not None and min(self.label_counts) < 0:
            found.append("label counts cannot be negative")
        return found

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "model_shape"}


def parse_label_counts(text: str) -> tuple[int, int] | None:
    """(desirable, undesirable) from text like "800:200"; None for empty text."""
    if not text or not str(text).strip():
        return None
    try:
        good, bad = (int(part) for part in str(text).split(":"))
    except ValueError:
        raise SpecError(f"label counts {text!r} must be two whole numbers, desirable:undesirable, "
                        "e.g. 800:200") from None
    return good, bad


@dataclass(frozen=True)
class Rule:
    """One checklist question, and what a yes means for the ranking."""

    name: str
    section: str
    """The checklist's section: data (format), infrastructure or quality."""
    question: str
    """The checklist's question."""
    reasons: dict[str, str]
    """The algorithms the rule lifts, in its own order, each with the reason it gives."""
    fires: Callable[[Situation], bool]


RULES = (
    Rule("binary-feedback", "data", "Do you only have binary feedback (good/bad)?",
         {"kto": "Binary feedback only (good/bad labels): the checklist's answer is KTO, which needs no pairs."},
         lambda s: s.data_type == "unpaired_preference"),
    Rule("verifiable", "data", "Is it a task with verifiable correct answers?",
         {"grpo": "Verifiable answers: GRPO learns from a rule-based reward that checks them, no preference "
                  "data needed (the checklist: consider GRPO)."},
         lambda s: s.verifiable),
    Rule("judge", "data", "Do you want a judge: a reward model for evaluation, RL or filtering pairs?",
         {"reward": "A judge is wanted and you have pairs: a reward model trained on them scores any answer, "
                    "for `eval --judge reward-model:JOB`, GRPO's reward_model, or dropping pairs whose "
                    "margin is small (`data filter`)."},
         lambda s: s.wants_judge),
    Rule("prompt-only", "data", "Do you have prompts without answers?",
         {"grpo": "Prompts without answers: GRPO samples a group of answers per prompt and scores them "
                  "(answer check or reward model); no other algorithm can use such data."},
         lambda s: s.data_type == "prompt_only"),
    Rule("single-pass", "infrastructure", "Do you want to finish SFT and alignment in one pass?",
         {"orpo": "SFT and alignment in one pass: ORPO adds an odds-ratio preference term to the SFT loss, "
                  "no separate SFT stage."},
         lambda s: s.single_pass),
    Rule("small-gpu", "infrastructure", "Is GPU memory 24 GB or less?",
         {"simpo": "GPU memory of {gpu_memory_gb:g} GB (24 GB or less): SimPO needs no reference model, "
                   "so only one model sits in memory.",
          "orpo": "GPU memory of {gpu_memory_gb:g} GB (24 GB or less): ORPO needs no reference model, "
                  "so only one model sits in memory."},
         lambda s: s.gpu_memory_gb is not None and s.gpu_memory_gb <= SMALL_GPU_GB),
    Rule("no-sft", "quality", "Must you apply it directly to a base model without SFT?",
         {"kto": "Base model without SFT: KTO, which the article found does not ramble on base models "
                 "the way DPO does.",
          "orpo": "Base model without SFT: ORPO does SFT and alignment together."},
         lambda s: not s.has_sft),
    Rule("overfitting", "quality", "Is overfitting a concern?",
         {"ipo": "Overfitting concern: IPO's squared loss stops at a target margin instead of pushing "
                 "chosen and rejected apart without limit."},
         lambda s: s.overfitting),
    Rule("data-quality", "quality", "Is data quality uncertain?",
         {"ipo": "Uncertain data quality: IPO with a higher beta keeps the policy closer to the reference "
                 "(the checklist: set beta high and use IPO)."},
         lambda s: s.data_quality_uncertain),
    Rule("max-quality", "quality", "Is maximum performance the goal?",
         {"dpo": "Maximum quality: DPO with high-quality pairwise data is the article's proven combination."},
         lambda s: s.max_quality),
)


def advise(situation: Situation) -> Advice:
    """Rank the algorithms for a situation, each with reasons, needs and preset hyperparameters."""
    found = situation.problems()
    if found:
        raise SpecError("; ".join(found))
    fired = [rule for rule in RULES if rule.fires(situation)]
    candidates, rejected = [], []
    for algorithm in algorithms.ALGORITHMS:
        use = conversions.usability(algorithm, situation.data_type)
        if not use.usable:
            rejected.append(Rejection(algorithm, use.why_not))
        elif algorithm == "grpo" and not (situation.verifiable or situation.data_type == "prompt_only"):
            rejected.append(Rejection(algorithm, "not a verifiable task: GRPO needs a reward for the answers it "
                                                 "samples (the checklist points to it for verifiable answers)"))
        elif algorithm == "reward" and not situation.wants_judge:
            rejected.append(Rejection(algorithm, "trains a judge, not a policy: choose it when you want a reward "
                                                 "model (evaluation, GRPO, pair filtering)"))
        else:
            candidates.append(_recommend(algorithm, use, situation, fired))
    order = BASE_ORDER[situation.data_type]
    candidates.sort(key=lambda rec: _rank_key(rec, fired, order))
    return Advice(situation, candidates, rejected, [rule.name for rule in fired])


def _rank_key(rec: Recommendation, fired: list[Rule], order: tuple[str, ...]) -> tuple:
    does_not_fit = rec.memory is not None and rec.memory.fits is False
    data = tuple(rec.algorithm not in rule.reasons for rule in fired if rule.section == "data")
    later = tuple(rec.algorithm not in rule.reasons for rule in fired if rule.section != "data")
    position = tuple(list(rule.reasons).index(rec.algorithm) if rec.algorithm in rule.reasons else 0
                     for rule in fired)
    return data, does_not_fit, later, position, order.index(rec.algorithm)


def _recommend(algorithm: str, use: conversions.Usability, s: Situation, fired: list[Rule]) -> Recommendation:
    title = algorithms.get(algorithm).title
    made = presets.preset(algorithm, model_size_b=s.model_size_b, overfitting=s.overfitting,
                          data_quality_uncertain=s.data_quality_uncertain, label_counts=_labels(use, s))
    rec = Recommendation(algorithm, [_data_reason(title, use)], [], use.data_type, use.conversion, made,
                         gpus=s.gpu_count)
    rec.reasons += [rule.reasons[algorithm].format(**vars(s)) for rule in fired if algorithm in rule.reasons]
    _memory(rec, s)
    _situation_notes(rec, s)
    return rec


def _situation_notes(rec: Recommendation, s: Situation) -> None:
    """Reasons and cautions that follow from the situation without changing the order."""
    algorithm, title = rec.algorithm, algorithms.get(rec.algorithm).title
    if s.gpu_memory_gb is not None and s.gpu_memory_gb >= LARGE_GPU_GB and rec.needs_reference:
        rec.reasons.append(f"GPU memory of {s.gpu_memory_gb:g} GB (48 GB or more): room for policy and "
                           "reference, so DPO, IPO and KTO are all possible.")
    if algorithm == "dpo" and s.has_sft and rec.conversion is None:
        rec.reasons.append("The model already had SFT: DPO is the second stage of the article's SFT + DPO "
                           "pipeline.")
    if not s.has_sft and algorithm in SFT_FIRST:
        ramble = "; on a base model DPO tends to ramble or hallucinate" if algorithm == "dpo" else ""
        rec.cautions.append(f"SFT before {title} is {SFT_FIRST[algorithm]} (the article's comparison "
                            f"table){ramble}.")
    if rec.needs_reference and s.gpu_memory_gb is not None and s.gpu_memory_gb <= SMALL_GPU_GB:
        precompute = ""
        if ranges.applies("precompute_ref_log_probs", algorithm):
            precompute = ("; with full fine-tuning, precompute_ref_log_probs scores the data with the reference "
                          "once, before training, so it leaves memory")
        rec.cautions.append(f"{title} keeps a reference model: on {s.gpu_memory_gb:g} GB train it with LoRA, "
                            f"whose reference is the base model with adapters off (no second copy){precompute}.")
    if algorithm == "kto" and rec.conversion is None and s.label_counts is None:
        rec.cautions.append("Label balance unknown: keep desirable:undesirable within 1:1-4:1, or raise "
                            "undesirable_weight.")
    if algorithm == "kto" and s.label_counts and min(s.label_counts) > 0 and \
            max(s.label_counts) / min(s.label_counts) > 10:
        rec.cautions.append("The label ratio is beyond 10:1: the article suggests DPO there, which needs pairs; "
                            "oversample the rarer label or collect more of it.")
    if algorithm == "grpo":
        rec.cautions.append("Needs a reward: the dataset's answer column checked against each sample, or a "
                            "reward model.")


def _data_reason(title: str, use: conversions.Usability) -> str:
    if use.conversion is None:
        return f"{title} trains on your {use.data_type} data as it is."
    return f"{title} needs {use.data_type} data: convert {use.conversion.name} first ({use.conversion.how})."


def _labels(use: conversions.Usability, s: Situation) -> tuple[int, int] | None:
    """KTO label counts: the dataset's own, or balanced 1:1 when pairs are split into labels."""
    if use.conversion is None:
        return s.label_counts
    if use.conversion.source == "preference":
        return (1, 1)
    return None


def _memory(rec: Recommendation, s: Situation) -> None:
    """Size the run when the model size is known; with GPU memory too, pick the method that fits."""
    if s.model_size_b is None:
        return
    query = memory.query_from_spec(rec.spec("", ""), s.model_size_b, s.model_shape)
    if s.gpu_memory_gb is None:
        rec.memory = memory.estimate(query.with_(gpus=s.gpu_count))
        return
    rec.memory = memory.plan(query, s.gpu_memory_gb, s.gpu_count)
    chosen = rec.memory.query
    rec.preset.lora = presets.lora_spec(chosen.method)
    rec.sharding = chosen.sharding
    if chosen.batch_size < query.batch_size:  # keep the effective batch
        args = rec.preset.args
        args["gradient_accumulation_steps"] *= query.batch_size // chosen.batch_size
        args["per_device_train_batch_size"] = chosen.batch_size
    where = f" under ZeRO-3 over {chosen.gpus} GPUs" if chosen.sharding == "zero3" else ""
    if rec.memory.fits:
        rec.reasons.append(f"Memory: {chosen.method} fine-tuning{where} {rec.memory.verdict}.")
    else:
        rec.cautions.append(f"Memory: {rec.memory.verdict} even with {chosen.method}; "
                            + "; or ".join(x.change for x in rec.memory.suggestions) + ".")
