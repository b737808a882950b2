"""Preset hyperparameters per algorithm, taken from the review article's tables.

Every preset is a dict of TRL config fields (the spec's `args`) plus an optional LoRA block, and
notes that say where each number comes from. The tables below are also what `ranges` checks
against, so a preset and its validation never disagree.

Sources: the article's comparison table (recommended beta per algorithm), its learning-rate table
(by model size, DPO 5-20x below SFT), its beta tuning advice and failure cases (raise beta to
0.3-0.5 for unclear pairs, halve the learning rate, warmup 0.1, 1-3 epochs, KTO ratio 1:1-4:1),
and its TRL examples (batch 2 x 8 for DPO, 4 x 4 for KTO, max_length 1024, bf16, gradient
checkpointing). Where the article is silent: SimPO's gamma/beta ratio 0.5 (SimPO paper), ORPO's
lambda 0.1 and a learning rate near SFT's (ORPO paper), GRPO's 8 generations, clip 0.2 and KL
0.04 (DeepSeekMath). The loss choices stay at TRL's defaults; the notes name the alternatives
worth knowing, with the reasons of `loss_options`.
"""

import math
from dataclasses import dataclass, field

from alignui.data.stats import KTO_RATIO
from alignui.recipe import loss_options
from alignui.recipe.spec import LoraSpec

#: Algorithms trained on preferences or rewards (the article's "DPO-family" learning rates).
PREFERENCE_ALGORITHMS = ("dpo", "ipo", "kto", "simpo", "orpo", "grpo")


@dataclass(frozen=True)
class LrRow:
    """One row of the article's learning-rate table."""

    label: str
    """Model sizes the row covers, as the article writes them."""
    below_b: float
    """Models smaller than this many billion parameters use the row (sizes between rows go to the nearer)."""
    sft: float
    """SFT learning rate."""
    low: float
    """Bottom of the recommended DPO learning-rate range."""
    high: float
    """Top of the recommended DPO learning-rate range (20x below SFT for the first two rows)."""


LR_TABLE = (
    # Not the article's: its tables start at 1B. Measured on the 0.87M-parameter demo model
    # (benchmarks/demo_lift.py): at 1e-6 DPO leaves it where it was; 3e-4 lifts held-out accuracy.
    LrRow("under 10M (demo-sized)", 0.01, sft=1e-3, low=1e-4, high=3e-4),
    LrRow("1B-3B", 5.0, sft=2e-5, low=5e-7, high=1e-6),
    LrRow("7B-13B", 20.0, sft=1e-5, low=1e-7, high=5e-7),
    LrRow("30B-70B", math.inf, sft=5e-6, low=5e-8, high=1e-7),
)


@dataclass(frozen=True)
class BetaPreset:
    """What `beta` means for one algorithm, and the values the article recommends."""

    default: float
    """The preset value."""
    low: float
    """Bottom of the recommended range (a value below it draws a warning)."""
    high: float
    """Top of the recommended range (a value above it draws a warning)."""
    limit: float
    """Largest value accepted at all; above it the value is refused."""
    uncertain_data: float | None = None
    """Preset when data quality is uncertain (a higher beta stays closer to the reference)."""
    meaning: str = ""
    """What beta does for this algorithm, for help texts."""


BETA = {
    "dpo": BetaPreset(0.1, 0.05, 0.5, limit=1.0, uncertain_data=0.3,
                      meaning="KL strength: higher stays closer to the reference. Article: 0.1-0.5, "
                              "0.05-0.1 for 1B-3B models, 0.3-0.5 when pairs are unclear."),
    "ipo": BetaPreset(0.01, 0.005, 0.1, limit=0.2, uncertain_data=0.1,
                      meaning="IPO regresses the margin to 1/(2*beta). Article: about 0.01; DPO's 0.1-0.5 "
                              "do not carry over."),
    "kto": BetaPreset(0.1, 0.1, 0.3, limit=1.0, uncertain_data=0.3,
                      meaning="KL strength of the prospect-theory value. Article: 0.1-0.3."),
    "simpo": BetaPreset(2.0, 2.0, 2.5, limit=10.0,
                        meaning="Scale of SimPO's length-normalised reward. Article: 2.0-2.5 (not DPO's scale)."),
    "orpo": BetaPreset(0.1, 0.05, 1.0, limit=10.0,
                       meaning="ORPO's lambda (TRL calls it beta): weight of the odds-ratio loss added to "
                               "the SFT loss. ORPO paper and TRL: 0.1."),
    "grpo": BetaPreset(0.04, 0.0, 0.1, limit=1.0,
                       meaning="KL coefficient against the reference (0 drops the reference model). "
                               "DeepSeekMath: 0.04."),
}

#: SimPO's target margin as a share of beta (the SimPO paper's gamma/beta ratio).
SIMPO_GAMMA_RATIO = 0.5
#: Per-device batch and gradient accumulation (the article's DPO and KTO examples; effective 16).
BATCH = {
    "sft": (4, 4), "dpo": (2, 8), "ipo": (2, 8), "simpo": (2, 8), "orpo": (2, 8),
    "kto": (4, 4), "grpo": (4, 4), "reward": (4, 4),
}
#: Models at least this large default to LoRA when GPU memory is unknown.
LORA_FROM_B = 3.0


@dataclass
class Preset:
    """A ready-to-train set of hyperparameters for one algorithm."""

    algorithm: str
    args: dict = field(default_factory=dict)
    """TRL config fields (without the fields the algorithm fixes, such as IPO's loss_type)."""
    lora: LoraSpec | None = None
    """LoRA settings; None means full fine-tuning."""
    notes: list[str] = field(default_factory=list)
    """Where the numbers come from, one line per choice."""


#: The row for models of unknown size, and for models between the demo's size and 1B.
ARTICLE_FIRST_ROW = LR_TABLE[1]


def lr_row(model_size_b: float | None) -> LrRow:
    """The learning-rate row for a model size; unknown sizes use the article's first row (1B-3B)."""
    if model_size_b is None:
        return ARTICLE_FIRST_ROW
    return next(row for row in LR_TABLE if model_size_b < row.below_b)


def size_label(model_size_b: float | None) -> str:
    """A model size as people say it: 7B, 350M, 31k."""
    if model_size_b is None:
        return "unknown size"
    if model_size_b >= 1:
        return f"{model_size_b:g}B"
    if model_size_b >= 1e-3:
        return f"{model_size_b * 1e3:.0f}M"
    return f"{model_size_b * 1e6:.0f}k"


def learning_rate(algorithm: str, model_size_b: float | None, cautious: bool = False) -> float:
    """The preset learning rate: SFT's from the table, the DPO range's top for preference methods.

    The top of the DPO range is 20x below SFT's rate (the article's 5-20x rule); `cautious`
    (overfitting or uncertain data) takes the bottom instead. ORPO also trains the SFT loss, so it
    runs at half the SFT rate (the ORPO paper's 5e-6 to 8e-6 on 7B models).
    """
    row = lr_row(model_size_b)
    if algorithm in ("sft", "reward"):
        return row.sft
    if algorithm == "orpo":
        return row.sft / 2
    return row.low if cautious else row.high


def kto_weights(desirable: int, undesirable: int) -> tuple[float, float, str]:
    """desirable_weight and undesirable_weight that bring the weighted ratio into 1:1-4:1.

    Within the range both stay 1.0. With more desirable rows than 4:1, undesirable_weight rises
    until the weighted ratio is 4:1 (the article: raise undesirable_weight, e.g. 1.0 -> 2.0); with
    more undesirable than desirable rows, desirable_weight rises until the ratio is 1:1.
    """
    if desirable <= 0 or undesirable <= 0:
        side = "undesirable" if undesirable <= 0 else "desirable"
        return 1.0, 1.0, f"no {side} rows: KTO needs both desirable and undesirable examples"
    ratio = desirable / undesirable
    low, high = KTO_RATIO
    if ratio > high:
        weight = round(ratio / high, 2)
        return 1.0, weight, (f"desirable:undesirable is {ratio:.1f}:1, above 4:1: undesirable_weight "
                             f"{weight} weights it back to 4:1")
    if ratio < low:
        weight = round(1 / ratio, 2)
        return weight, 1.0, (f"desirable:undesirable is {ratio:.2f}:1, below 1:1: desirable_weight "
                             f"{weight} weights it back to 1:1")
    return 1.0, 1.0, f"desirable:undesirable is {ratio:.1f}:1, inside 1:1-4:1: both weights stay 1.0"


def default_method(model_size_b: float | None) -> str:
    """full, or lora for models of 3B and up (used when GPU memory is unknown)."""
    if model_size_b is not None and model_size_b < LORA_FROM_B:
        return "full"
    return "lora"


def lora_spec(method: str) -> LoraSpec | None:
    """LoRA rank 16, alpha 32 (alpha = 2r) on every linear layer; QLoRA adds 4-bit loading."""
    if method == "full":
        return None
    return LoraSpec(r=16, alpha=32, dropout=0.05, target_modules="all-linear",
                    quantize_4bit=method == "qlora")


def _loss_notes(algorithm: str) -> list[str]:
    """TRL's default loss choices the preset keeps, each with the alternative worth knowing and why."""
    def why(name: str, value: str) -> str:
        return loss_options.reason(name, algorithm, value)

    if algorithm == "dpo":
        return [f"loss_type: TRL's default sigmoid; or [sigmoid, sft] with loss_weights [1, 0.2] — {why('loss_type', 'sft')}"]
    if algorithm == "grpo":
        return [f"loss_type: TRL's default dapo; or dr_grpo — {why('loss_type', 'dr_grpo')}",
                "importance_sampling_level: TRL's default token; or sequence — "
                + why("importance_sampling_level", "sequence")]
    return []


def preset(
    algorithm: str,
    *,
    model_size_b: float | None = None,
    method: str | None = None,
    overfitting: bool = False,
    data_quality_uncertain: bool = False,
    label_counts: tuple[int, int] | None = None,
) -> Preset:
    """Preset hyperparameters for `algorithm`, adjusted to the model size and the user's concerns.

    `label_counts` is (desirable, undesirable) rows of KTO data, when known.
    """
    method = method or default_method(model_size_b)
    row = lr_row(model_size_b)
    cautious = overfitting or data_quality_uncertain
    result = Preset(algorithm, lora=lora_spec(method))
    args = result.args
    notes = result.notes

    args["learning_rate"] = learning_rate(algorithm, model_size_b, cautious)
    size = size_label(model_size_b)
    if algorithm in ("sft", "reward"):
        # A reward model is fitted like SFT: a classifier on (prompt, answer), with no reference to stay near.
        notes.append(f"learning_rate {args['learning_rate']:.0e}: the article's SFT rate for {row.label} ({size})")
    elif algorithm == "orpo":
        notes.append(f"learning_rate {args['learning_rate']:.0e}: half the SFT rate for {row.label}, "
                     "since ORPO trains the SFT loss too")
    else:
        end = "bottom" if cautious else "top"
        notes.append(f"learning_rate {args['learning_rate']:.0e}: the {end} of the article's "
                     f"{row.low:.0e}-{row.high:.0e} for {row.label} ({size})")

    if algorithm in BETA:
        beta = BETA[algorithm]
        raised = data_quality_uncertain and beta.uncertain_data is not None
        args["beta"] = beta.uncertain_data if raised else beta.default
        why = "higher because data quality is uncertain" if raised else "the recommended value"
        notes.append(f"beta {args['beta']:g}: {why} ({beta.meaning})")
    if algorithm == "simpo":
        args["simpo_gamma"] = round(args["beta"] * SIMPO_GAMMA_RATIO, 3)
        notes.append(f"simpo_gamma {args['simpo_gamma']:g}: target margin, gamma/beta = {SIMPO_GAMMA_RATIO}")
    if algorithm == "kto":
        if label_counts:
            args["desirable_weight"], args["undesirable_weight"], note = kto_weights(*label_counts)
        else:
            args["desirable_weight"] = args["undesirable_weight"] = 1.0
            note = "desirable/undesirable weights 1.0: label balance unknown (keep it within 1:1-4:1)"
        notes.append(note)
    if algorithm == "grpo":
        args.update(num_generations=8, epsilon=0.2, max_completion_length=512)
        notes.append("num_generations 8, epsilon (clip) 0.2: group-relative advantages as in DeepSeekMath")
    notes += _loss_notes(algorithm)

    args["per_device_train_batch_size"], args["gradient_accumulation_steps"] = BATCH[algorithm]
    # One epoch for a reward model too: a second pass over the same pairs overfits it (InstructGPT).
    args["num_train_epochs"] = 1 if algorithm in (*PREFERENCE_ALGORITHMS, "reward") or overfitting else 3
    # transformers 5 takes the warmup ratio as a float below 1 in warmup_steps.
    args["warmup_steps"] = 0.1
    if algorithm != "grpo":  # GRPO bounds prompts by the data and answers by max_completion_length
        args["max_length"] = 1024
    args.update(activation_checkpointing=True, logging_steps=10)
    notes.append("warmup 0.1, 1 epoch for preference methods (1-3 is usually enough) and activation "
                 "checkpointing, as in the article's examples; precision follows the machine (bf16 on "
                 "GPUs that have it, fp32 on CPU)")
    if row is LR_TABLE[0]:
        notes.append(f"the article's tables are for models of 1B and up; {size} is demo-sized, so the rates "
                     "are the ones measured on the demo model")
    elif model_size_b is not None and model_size_b < 1:
        notes.append(f"the article's tables are for models of 1B and up; a {size} model often needs a higher "
                     "rate: if the loss stays flat, the job doctor proposes one")
    return result
