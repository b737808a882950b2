"""The hyperparameter form: its fields in order, which algorithm shows which, and the spec it makes.

The form holds the TRL fields of `ranges.FIELDS` that people tune, plus a few that are not TRL
config fields (precision, training method, LoRA, distribution, validation share, GRPO's reward
model) and an "other fields" box for any further TRL field as YAML, so a loaded recipe survives
a round trip through the form untouched.
"""

from dataclasses import dataclass

import yaml

from alignui import algorithms
from alignui.advisor import ranges
from alignui.errors import SpecError
from alignui.train.spec import DISTRIBUTED, HardwareSpec, LoraSpec, TrainSpec

TRL_FIELDS = (
    "learning_rate", "beta", "simpo_gamma", "desirable_weight", "undesirable_weight",
    "num_generations", "epsilon", "max_completion_length",
    "num_train_epochs", "warmup_steps", "per_device_train_batch_size", "gradient_accumulation_steps",
    "max_length", "gradient_checkpointing",
)
METHODS = ("full", "lora", "qlora")
PRECISIONS = ("bf16", "fp16", "fp32")


@dataclass(frozen=True)
class FormField:
    """One input of the form."""

    name: str
    label: str
    help: str
    kind: str
    """number, integer, checkbox, choice or text."""
    choices: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = tuple(algorithms.ALGORITHMS)
    """Algorithms the field is shown for."""
    valid: str = ""
    """The accepted values in words (empty: any value of its kind)."""


def _trl_field(name: str) -> FormField:
    spec = ranges.FIELDS[name]
    kind = "checkbox" if spec.kind is bool else "integer" if spec.kind is int else "number"
    return FormField(name, spec.label, spec.help, kind, algorithms=spec.algorithms, valid=spec.allowed)


FIELDS = [_trl_field(name) for name in TRL_FIELDS] + [
    FormField("precision", "Precision", "bf16 on Ampere GPUs and newer, fp16 on older GPUs, fp32 on CPU.",
              "choice", PRECISIONS),
    FormField("method", "Training method", (
        "full: every weight (needs the most memory, and a second copy as reference for DPO/IPO/KTO); "
        "lora: small adapters, the reference is the base with adapters off; qlora: LoRA on a 4-bit base "
        "(CUDA + bitsandbytes)."), "choice", METHODS),
    FormField("lora_r", "LoRA rank", "Adapter rank: 8-64 is usual; higher learns more and costs more memory.",
              "integer", valid="at least 1"),
    FormField("lora_alpha", "LoRA alpha", "Adapter scaling numerator; alpha = 2 x rank is the common choice.",
              "integer", valid="above 0"),
    FormField("lora_target_modules", "LoRA targets",
              'Layers that get adapters: "all-linear", or names such as q_proj, v_proj.', "text"),
    FormField("distributed", "Distribution", (
        "auto: DDP when several GPUs; deepspeed-zero3 or fsdp shard the model over the GPUs when it does "
        "not fit on one."), "choice", DISTRIBUTED),
    FormField("eval_fraction", "Validation share", "Share of the data held out for validation; the article "
              "asks for at least 5%.", "number", valid="at least 0 and below 0.5"),
    FormField("reward_model", "Reward model (optional)", "A reward job's id or a sequence-classification model "
              "folder, used as an extra reward for GRPO.", "text", algorithms=("grpo",)),
    FormField("extra", "Other TRL fields (YAML)", "Any further field of the algorithm's TRL config, one "
              "`name: value` per line (e.g. max_steps: 200).", "text"),
]
NAMES = [f.name for f in FIELDS]
BY_NAME = {f.name: f for f in FIELDS}


def field_for(name: str, algorithm: str) -> FormField:
    """The field as shown for an algorithm (beta's label and help depend on it)."""
    field = BY_NAME[name]
    if name == "beta" and algorithm in field.algorithms:
        label = "lambda (TRL's beta)" if algorithm == "orpo" else f"beta ({algorithms.get(algorithm).title})"
        return FormField(name, label, ranges.beta_help(algorithm), field.kind, algorithms=field.algorithms,
                         valid=ranges.beta_allowed(algorithm))
    return field


def shown(name: str, algorithm: str) -> bool:
    return algorithm in BY_NAME[name].algorithms


def values_from_spec(spec: TrainSpec) -> dict:
    """Every form field's value for a spec (None where the spec leaves a TRL default)."""
    args = dict(spec.args)
    values = {name: args.pop(name, None) for name in TRL_FIELDS}
    precision = "bf16" if args.pop("bf16", True) else "fp16" if args.pop("fp16", False) else "fp32"
    args.pop("fp16", None)
    lora = spec.lora
    targets = "all-linear" if lora is None else lora.target_modules
    values.update(
        precision=precision,
        method="full" if lora is None else "qlora" if lora.quantize_4bit else "lora",
        lora_r=(lora or LoraSpec()).r,
        lora_alpha=(lora or LoraSpec()).alpha,
        lora_target_modules=targets if isinstance(targets, str) else ", ".join(targets),
        distributed=spec.hardware.distributed,
        eval_fraction=spec.eval_fraction,
        reward_model=spec.reward_model,
        extra=yaml.safe_dump(args, sort_keys=False) if args else "",
    )
    return values


def spec_from_values(algorithm: str, model: str, dataset: str, values: dict, processes: int = 1) -> TrainSpec:
    """The TrainSpec a filled form describes (fields hidden for the algorithm are ignored)."""
    algorithms.get(algorithm)
    extra = _extra(values.get("extra"))
    args = {name: _number(name, values.get(name)) for name in TRL_FIELDS
            if shown(name, algorithm) and values.get(name) is not None}
    precision = values.get("precision") or "bf16"
    if precision not in PRECISIONS:
        raise SpecError(f"precision {precision!r} must be one of {', '.join(PRECISIONS)}")
    args.update(bf16=precision == "bf16", fp16=precision == "fp16")
    args.update(extra)
    method = values.get("method") or "full"
    if method not in METHODS:
        raise SpecError(f"training method {method!r} must be one of {', '.join(METHODS)}")
    lora = None
    if method != "full":
        lora = LoraSpec(r=int(values.get("lora_r") or 16), alpha=int(values.get("lora_alpha") or 32),
                        target_modules=_targets(values.get("lora_target_modules")),
                        quantize_4bit=method == "qlora")
    eval_fraction = values.get("eval_fraction")
    return TrainSpec(
        algorithm=algorithm, model=(model or "").strip(), dataset=(dataset or "").strip(), args=args, lora=lora,
        hardware=HardwareSpec(processes=max(1, int(processes or 1)),
                              distributed=values.get("distributed") or "auto"),
        eval_fraction=0.05 if eval_fraction is None else float(eval_fraction),
        reward_model=(values.get("reward_model") or "").strip() if algorithm == "grpo" else "",
    )


def _number(name: str, value):
    """Form numbers arrive as floats: whole-number fields go back to int."""
    if ranges.FIELDS[name].kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _targets(text) -> str | list[str]:
    names = [part.strip() for part in str(text or "all-linear").split(",") if part.strip()]
    return "all-linear" if names in ([], ["all-linear"]) else names


def _extra(text) -> dict:
    if not text or not str(text).strip():
        return {}
    try:
        extra = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SpecError(f"other TRL fields are not valid YAML: {error}") from None
    if not isinstance(extra, dict):
        raise SpecError("other TRL fields must be `name: value` lines")
    clash = sorted(set(extra) & set(NAMES + ["bf16", "fp16"]))
    if clash:
        raise SpecError(f"set {', '.join(clash)} in its own form field, not under other TRL fields")
    return extra
