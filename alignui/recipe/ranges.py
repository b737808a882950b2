"""Every tunable field's help text and valid range, and the check that enforces them.

`check` returns errors (the value is refused: out of its valid range, or it would break
training) and warnings (the value is allowed but outside what the article recommends). Each
message says what is wrong and what the article recommends. Learning-rate limits depend on the
model size: from 1B parameters up, a preference method above 1e-5 is refused; for smaller or
unknown models (demo models legitimately train at 1e-4 to 3e-4) only 1e-2 is a hard limit.
"""

from dataclasses import dataclass, field

from alignui import algorithms
from alignui.recipe import loss_options, presets

ALL = tuple(algorithms.ALGORITHMS)
PREFERENCE = presets.PREFERENCE_ALGORITHMS
#: Hard learning-rate limits.
LR_LIMIT = 1e-2
LR_LIMIT_PREFERENCE_1B = 1e-5
LR_LIMIT_SFT_1B = 1e-3
#: LoRA tolerates higher learning rates than full fine-tuning (TRL's LoRA examples use ~10x).
LORA_LR_FACTOR = 10
#: TRL defaults the GRPO batch check relies on when a field is not set.
TRL_DEFAULTS = {"per_device_train_batch_size": 8, "gradient_accumulation_steps": 1, "num_generations": 8}


@dataclass(frozen=True)
class FieldRange:
    """A tunable field: how to present it and which values it accepts."""

    name: str
    """The TRL config field name."""
    label: str
    help: str
    kind: type
    """float, int or bool."""
    low: float | None = None
    """Smallest accepted value (None: no lower limit)."""
    high: float | None = None
    """Largest accepted value (None: no upper limit)."""
    low_open: bool = False
    """Whether `low` itself is refused (for values that must be strictly positive)."""
    advice: tuple[float, float] | None = None
    """The recommended range; values outside it draw a warning."""
    algorithms: tuple[str, ...] = ALL
    """Algorithms whose TRL config has the field."""

    @property
    def allowed(self) -> str:
        """The accepted values in words, e.g. "above 0 and at most 0.01" (empty when unbounded)."""
        low = "" if self.low is None else (f"above {self.low:g}" if self.low_open else f"at least {self.low:g}")
        high = "" if self.high is None else f"at most {self.high:g}"
        return " and ".join(part for part in (low, high) if part)


FIELDS = {f.name: f for f in [
    FieldRange("learning_rate", "Learning rate", (
        "Peak learning rate. Article: SFT 2e-5 / 1e-5 / 5e-6 and DPO-family 1e-6-5e-7 / 5e-7-1e-7 / "
        "1e-7-5e-8 for 1B-3B / 7B-13B / 30B-70B models (5-20x below SFT)."), float, 0, LR_LIMIT, low_open=True),
    # beta's limits differ per algorithm: see presets.BETA and _check_beta.
    FieldRange("beta", "beta", "Strength of the constraint toward the reference; its scale differs per algorithm.",
               float, algorithms=tuple(presets.BETA)),
    FieldRange("simpo_gamma", "simpo_gamma (target margin)", (
        "SimPO's target reward margin gamma. SimPO paper: gamma/beta about 0.5 (0.3-1.6 in its runs)."),
        float, 0, 10, advice=(0.3, 1.6), algorithms=("simpo",)),
    FieldRange("desirable_weight", "desirable_weight", (
        "Weight of desirable (thumbs-up) examples. Keep desirable_weight * desirable rows : "
        "undesirable_weight * undesirable rows within 1:1-4:1."), float, 0, 100, low_open=True,
        algorithms=("kto",)),
    FieldRange("undesirable_weight", "undesirable_weight", (
        "Weight of undesirable (thumbs-down) examples; raise it (e.g. 1.0 -> 2.0) when desirable rows "
        "outnumber undesirable ones by more than 4:1."), float, 0, 100, low_open=True, algorithms=("kto",)),
    FieldRange("num_generations", "num_generations", (
        "Answers sampled per prompt; GRPO's advantage compares them within the group. At least 2; "
        "the generation batch must be divisible by it."), int, 2, 256, advice=(4, 64), algorithms=("grpo",)),
    FieldRange("epsilon", "epsilon (clip ratio)", "PPO-style clipping of the policy ratio. DeepSeekMath: 0.2.",
               float, 0, 1, low_open=True, advice=(0.1, 0.3), algorithms=("grpo",)),
    FieldRange("max_completion_length", "max_completion_length", "Longest answer GRPO generates, in tokens.",
               int, 1, 32768, algorithms=("grpo",)),
    FieldRange("num_train_epochs", "Epochs", "Passes over the data. Article: 1-3 is usually enough; more overfits.",
               float, 0, 100, low_open=True, advice=(1, 3)),
    FieldRange("warmup_steps", "Warmup", (
        "Linear warmup: a value below 1 is a share of the total steps (the article's warmup_ratio 0.1), "
        "a whole number is a step count. Raise it to 0.1 or more if the loss explodes early."),
        float, 0, None),
    FieldRange("per_device_train_batch_size", "Batch size per GPU",
               "Examples per GPU per step (DPO: pairs). KTO needs at least 2.", int, 1, 4096),
    FieldRange("gradient_accumulation_steps", "Gradient accumulation",
               "Steps accumulated before each update; effective batch = batch x accumulation x GPUs.",
               int, 1, 4096),
    FieldRange("max_length", "Max length", "Longest prompt + answer in tokens; longer rows are truncated.",
               int, 16, 131072, algorithms=("sft", "dpo", "ipo", "kto", "simpo", "orpo", "reward")),
    FieldRange("precompute_ref_log_probs", "Precompute reference log-probs", (
        "Score the data with the reference once before training, so the reference model leaves memory "
        "during training: for full DPO/KTO runs when memory is tight."), bool, algorithms=("dpo", "ipo", "kto")),
    FieldRange("activation_checkpointing", "Activation checkpointing",
               "Recompute activations in the backward pass: much less memory for about 30% more compute.", bool),
    FieldRange("bf16", "bf16", "Train in bfloat16 mixed precision (Ampere GPUs and newer).", bool),
    FieldRange("fp16", "fp16", "Train in float16 mixed precision (older GPUs).", bool),
]}


@dataclass
class Check:
    """The outcome of checking hyperparameters."""

    errors: list[str] = field(default_factory=list)
    """Refused values, each with what the article recommends."""
    warnings: list[str] = field(default_factory=list)
    """Allowed values outside the article's recommendations."""

    @property
    def ok(self) -> bool:
        return not self.errors


def beta_help(algorithm: str) -> str:
    """Help text for beta as the given algorithm uses it."""
    beta = presets.BETA[algorithm]
    return f"{beta.meaning} Recommended {beta.low:g}-{beta.high:g}; preset {beta.default:g}."


def beta_allowed(algorithm: str) -> str:
    """The beta values accepted for an algorithm, in words."""
    low = "at least 0" if algorithm == "grpo" else "above 0"  # GRPO's 0 drops the KL term
    return f"{low} and at most {presets.BETA[algorithm].limit:g}"


def applies(name: str, algorithm: str) -> bool:
    """Whether a field is part of the algorithm's config (and shown for it)."""
    return algorithm in FIELDS[name].algorithms


def check(
    algorithm: str,
    args: dict,
    *,
    model_size_b: float | None = None,
    lora: bool = False,
    processes: int = 1,
) -> Check:
    """Check TRL config values for `algorithm`; fields this module does not know pass untouched."""
    result = Check()
    numbers = {}
    for name, value in args.items():
        spec = FIELDS.get(name)
        if spec is None or not applies(name, algorithm):
            continue
        number = _typed(spec, value, result)
        if number is not None:
            numbers[name] = number
            _check_bounds(spec, number, result)
    if "learning_rate" in numbers:
        _check_learning_rate(algorithm, numbers["learning_rate"], model_size_b, lora, result)
    if "beta" in numbers:
        _check_beta(algorithm, numbers["beta"], result)
    if args.get("bf16") is True and args.get("fp16") is True:
        result.errors.append("bf16 and fp16 are both on: choose one precision (bf16 on Ampere GPUs and newer)")
    if algorithm == "kto" and numbers.get("per_device_train_batch_size", 2) < 2:
        result.errors.append("per_device_train_batch_size 1 is too small for KTO: its KL estimate pairs each "
                             "example with another in the batch; use 2 or more (the article's example uses 4)")
    if algorithm == "grpo":
        _check_generation_batch(args, numbers, processes, result)
    result.errors += loss_options.check(algorithm, args)
    return result


def check_spec(spec, model_size_b: float | None = None) -> Check:
    """Check a TrainSpec's hyperparameters and LoRA block."""
    result = check(spec.algorithm, spec.trl_args(), model_size_b=model_size_b,
                   lora=spec.lora is not None, processes=spec.hardware.processes)
    if spec.lora is not None:
        if spec.lora.alpha <= 0:
            result.errors.append(f"lora.alpha {spec.lora.alpha} must be above 0; alpha = 2 x r is the usual choice")
        if not 0 <= spec.lora.dropout < 1:
            result.errors.append(f"lora.dropout {spec.lora.dropout} must be at least 0 and below 1; 0.05 is usual")
    return result


def _typed(spec: FieldRange, value, result: Check):
    """The value as a number (bools as themselves), or None after recording why it is unusable."""
    if spec.kind is bool:
        if not isinstance(value, bool):
            result.errors.append(f"{spec.name} must be true or false, not {value!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = " (YAML reads 5e-7 as text: write 5.0e-7)" if isinstance(value, str) else ""
        result.errors.append(f"{spec.name} must be a number, not {value!r}{hint}")
        return None
    if spec.kind is int and value != int(value):
        result.errors.append(f"{spec.name} must be a whole number, not {value!r}")
        return None
    return value


def _check_bounds(spec: FieldRange, value: float, result: Check) -> None:
    too_low = spec.low is not None and (value <= spec.low if spec.low_open else value < spec.low)
    too_high = spec.high is not None and value > spec.high
    if too_low or too_high:
        result.errors.append(f"{spec.name} {value:g} is out of range: it must be {spec.allowed}. {spec.help}")
    elif spec.advice and not spec.advice[0] <= value <= spec.advice[1]:
        result.warnings.append(f"{spec.name} {value:g} is outside the recommended "
                               f"{spec.advice[0]:g}-{spec.advice[1]:g}. {spec.help}")


def _check_learning_rate(algorithm, lr, model_size_b, lora, result: Check) -> None:
    if lr <= 0 or lr > LR_LIMIT:
        return  # already refused by the bounds
    row = presets.lr_row(model_size_b)
    title = algorithms.get(algorithm).title
    if algorithm in ("sft", "reward"):  # a reward model trains like SFT: no reference to race from
        advice, usual = f"the article's SFT rate for {row.label} is {row.sft:.0e}", row.sft
    else:
        usual = presets.learning_rate(algorithm, model_size_b)
        advice = (f"the article recommends {row.low:.0e}-{row.high:.0e} for {row.label} models, "
                  f"5-20x below SFT's {row.sft:.0e}")
    small = model_size_b is None or model_size_b < 1
    limit = LR_LIMIT_SFT_1B if algorithm in ("sft", "reward") else LR_LIMIT_PREFERENCE_1B
    if not small and lr > limit:
        result.errors.append(f"learning_rate {lr:g} is too high for {title} on a {model_size_b:g}B model "
                             f"(limit {limit:.0e}): the policy would race away from the reference; {advice}")
    elif lr > usual * (LORA_LR_FACTOR if lora else 1) * 1.0001:
        size = "a model of unknown size" if model_size_b is None else f"a {presets.size_label(model_size_b)} model"
        tiny = " Small demo models (<1B) often train at 1e-4-3e-4, so this is advice, not a limit." if small else ""
        lora_note = " (already allowing LoRA's 10x)" if lora else ""
        result.warnings.append(f"learning_rate {lr:g} for {title} on {size} is above the usual "
                               f"{usual:.0e}{lora_note}: {advice}.{tiny}")


def _check_beta(algorithm, beta, result: Check) -> None:
    preset = presets.BETA[algorithm]
    title = algorithms.get(algorithm).title
    positive = algorithm != "grpo"  # GRPO's beta 0 means "no KL term", which is valid
    if (beta <= 0 if positive else beta < 0) or beta > preset.limit:
        result.errors.append(f"beta {beta:g} is invalid for {title}: it must be {beta_allowed(algorithm)}. "
                             f"{preset.meaning}")
    elif not preset.low <= beta <= preset.high:
        result.warnings.append(f"beta {beta:g} is outside {title}'s recommended {preset.low:g}-{preset.high:g}. "
                               f"{preset.meaning}")


def _check_generation_batch(args, numbers, processes, result: Check) -> None:
    if "generation_batch_size" in args or "steps_per_generation" in args:
        return  # TRL checks these explicit settings itself
    value = {**TRL_DEFAULTS, **numbers}
    batch = value["per_device_train_batch_size"] * processes * value["gradient_accumulation_steps"]
    if value["num_generations"] >= 2 and batch % value["num_generations"]:
        result.errors.append(
            f"the generation batch (batch {value['per_device_train_batch_size']} x {processes} process(es) x "
            f"accumulation {value['gradient_accumulation_steps']} = {batch}) must be divisible by "
            f"num_generations {value['num_generations']}: GRPO scores whole groups of answers per prompt; "
            "change the batch or accumulation so their product is a multiple of num_generations")
