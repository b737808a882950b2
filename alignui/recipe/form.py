"""The run form: its fields in order, which algorithm shows which, and the spec it makes.

One table serves the Algorithm tab and the Train tab alike. It holds the TRL fields of
`ranges.FIELDS` that people tune, the loss choices of `loss_options.FIELDS` (each choice's reason in
the field's help), every other part of a TrainSpec (precision, training method and LoRA, GPUs,
processes, distribution, machines, validation share, GRPO's reward model) and a "more fields" box of
FIELD=VALUE lines (the same syntax as `--set`) for any further TRL field, so a spec survives a round
trip through the form unchanged. A TRL field hidden for the spec's algorithm (IPO's loss_type, which
IPO fixes, or KTO's own loss_type) stays under more fields.

DPO's losses and their weights are lists in the form and in the spec, as TRL 1.16's DPOConfig holds
them: a recipe's `loss_type: hinge` comes back as `[hinge]`, which TRL reads the same (and `validate`
makes it so anyway).
"""

from dataclasses import dataclass

from alignui import algorithms
from alignui.errors import SpecError
from alignui.recipe import loss_options, ranges
from alignui.recipe.assignments import format_assignments, format_value, parse_assignments, parse_value
from alignui.recipe.spec import DISTRIBUTED, EVAL_FRACTION, HardwareSpec, LoraSpec, TrainSpec

TRL_FIELDS = (
    "learning_rate", "beta", "simpo_gamma", "desirable_weight", "undesirable_weight",
    "num_generations", "epsilon", "max_completion_length",
    "num_train_epochs", "warmup_steps", "per_device_train_batch_size", "gradient_accumulation_steps",
    "max_length", "precompute_ref_log_probs", "activation_checkpointing",
)
#: The loss choices by form name: DPO and GRPO both call theirs loss_type.
CHOICE_FIELDS = {
    "dpo_loss_type": loss_options.field("loss_type", "dpo"),
    "grpo_loss_type": loss_options.field("loss_type", "grpo"),
    "importance_sampling_level": loss_options.field("importance_sampling_level", "grpo"),
    "scale_rewards": loss_options.field("scale_rewards", "grpo"),
}
METHODS = ("full", "lora", "qlora")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
#: The TRL precision flags each choice sets ("auto": bf16 on GPUs that have it, fp16 on older GPUs, fp32 on CPU).
PRECISION_ARGS = {"auto": {}, "bf16": {"bf16": True}, "fp16": {"fp16": True}, "fp32": {"bf16": False, "fp16": False}}


@dataclass(frozen=True)
class FormField:
    """One input of the form."""

    name: str
    label: str
    help: str
    kind: str
    """number, integer, choice, choices (any number of them, a list) or text."""
    choices: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = tuple(algorithms.ALGORITHMS)
    """Algorithms the field is shown for."""
    valid: str = ""
    """The accepted values in words (empty: any value of its kind)."""


#: The choice that leaves a TRL field out of the spec.
TRL_DEFAULT = "TRL default"
#: A true/false TRL field as a choice, so "leave TRL's default" survives the round trip (a browser
#: checkbox cannot be empty).
SWITCH = {TRL_DEFAULT: None, "on": True, "off": False}


def _trl_field(name: str) -> FormField:
    spec = ranges.FIELDS[name]
    if spec.kind is bool:
        return FormField(name, spec.label, spec.help, "choice", tuple(SWITCH), algorithms=spec.algorithms)
    kind = "integer" if spec.kind is int else "number"
    return FormField(name, spec.label, spec.help, kind, algorithms=spec.algorithms, valid=spec.allowed)


def _choice_field(name: str, spec: loss_options.ChoiceField) -> FormField:
    """A loss choice, its help listing every choice with its reason, one a line."""
    reasons = "".join(f"\n- {c.value}: {c.reason}" for c in spec.choices)
    if spec.multiple:
        return FormField(name, spec.label, f"{spec.help} None picked: TRL's default.{reasons}", "choices",
                         spec.values, spec.algorithms)
    return FormField(name, spec.label, spec.help + reasons, "choice", (TRL_DEFAULT, *spec.values), spec.algorithms)


FIELDS = [_trl_field(name) for name in TRL_FIELDS] + [
    _choice_field("dpo_loss_type", CHOICE_FIELDS["dpo_loss_type"]),
    FormField("loss_weights", "Loss weights", "One weight per DPO loss picked, in order, e.g. 1, 0.2 for sigmoid "
              "and sft; empty: each loss weighs 1.", "text", algorithms=("dpo",),
              valid="numbers of at least 0, one per loss"),
    *(_choice_field(name, spec) for name, spec in CHOICE_FIELDS.items() if name != "dpo_loss_type"),
    FormField("precision", "Precision", "auto: bf16 on GPUs that have it, fp16 on older GPUs, fp32 on CPU.",
              "choice", PRECISIONS),
    FormField("method", "Training method", (
        "full: every weight (needs the most memory, and a second copy as reference for DPO/IPO/KTO); "
        "lora: small adapters, the reference is the base with adapters off; qlora: LoRA on a 4-bit base "
        "(CUDA + bitsandbytes)."), "choice", METHODS),
    FormField("lora_r", "LoRA rank", "Adapter rank: 8-64 is usual; higher learns more and costs more memory.",
              "integer", valid="at least 1"),
    FormField("lora_alpha", "LoRA alpha", "Adapter scaling numerator; alpha = 2 x rank is the common choice.",
              "integer", valid="above 0"),
    FormField("lora_dropout", "LoRA dropout", "Dropout on the adapter input; 0.05 is usual.", "number",
              valid="at least 0 and below 1"),
    FormField("lora_target_modules", "LoRA targets",
              'Layers that get adapters: "all-linear", or names such as q_proj, v_proj.', "text"),
    FormField("gpus", "GPUs", "Which GPUs the job uses, as in CUDA_VISIBLE_DEVICES (e.g. 0,1); empty: all "
              "(or the CPU on a machine without GPUs).", "text"),
    FormField("processes", "Processes", "Training processes per machine: one per GPU for DDP; on CPU, DDP "
              "over gloo.", "integer", valid="at least 1"),
    FormField("distributed", "Distribution", (
        "auto: DDP when several GPUs; deepspeed-zero3 or fsdp shard the model over the GPUs when it does "
        "not fit on one."), "choice", DISTRIBUTED),
    FormField("machines", "Machines", "Machines in a multi-node run (1: this machine only).", "integer",
              valid="at least 1"),
    FormField("machine_rank", "Machine rank", "This machine's rank in a multi-node run (0 on the main one).",
              "integer", valid="at least 0 and below machines"),
    FormField("main_address", "Main machine address", "Address of the rank-0 machine in a multi-node run.",
              "text"),
    FormField("main_port", "Main machine port", "Port of the rank-0 machine in a multi-node run.", "integer"),
    FormField("eval_fraction", "Validation share", "Share of the data held out for validation, each prompt on "
              "one side; the article asks for at least 5%.", "number", valid="at least 0 and below 0.5"),
    FormField("reward_model", "Reward model (optional)", "A reward job's id or a sequence-classification model "
              "folder, used as an extra reward for GRPO.", "text", algorithms=("grpo",)),
    FormField("extra", "More TRL fields", "Any further field of the algorithm's TRL config, one FIELD=VALUE per "
              "line (e.g. max_steps=200), as with `--set` on the command line.", "text"),
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
    """Every form field's value for a spec (None, "TRL default" or empty where the spec leaves TRL's default)."""
    args = dict(spec.args)

    def take(name: str, arg: str):
        """The spec's value of a field shown for its algorithm (a hidden one stays under more fields)."""
        return args.pop(arg, None) if shown(name, spec.algorithm) else None

    values = {name: _shown_value(name, take(name, name)) for name in TRL_FIELDS}
    for name, choice in CHOICE_FIELDS.items():
        value = take(name, choice.name)
        if value is None:
            values[name] = [] if choice.multiple else TRL_DEFAULT
        else:
            values[name] = _listed(value) if choice.multiple else value
    weights = take("loss_weights", "loss_weights")
    values["loss_weights"] = "" if weights is None else ", ".join(map(format_value, _listed(weights)))
    precision = next((name for name, flags in PRECISION_ARGS.items()
                      if {k: args.get(k) for k in ("bf16", "fp16") if k in args} == flags), None)
    if precision is None:  # an unusual combination stays under more fields, as it is
        precision = "auto"
    else:
        args.pop("bf16", None), args.pop("fp16", None)
    lora, hardware = spec.lora, spec.hardware
    shown_lora = lora or LoraSpec()
    targets = shown_lora.target_modules
    values.update(
        precision=precision,
        method="full" if lora is None else "qlora" if lora.quantize_4bit else "lora",
        lora_r=shown_lora.r, lora_alpha=shown_lora.alpha, lora_dropout=shown_lora.dropout,
        lora_target_modules=targets if isinstance(targets, str) else ", ".join(targets),
        gpus=hardware.gpus, processes=hardware.processes, distributed=hardware.distributed,
        machines=hardware.machines, machine_rank=hardware.machine_rank, main_address=hardware.main_address,
        main_port=hardware.main_port, eval_fraction=spec.eval_fraction, reward_model=spec.reward_model,
        extra=format_assignments(args),
    )
    return values


def spec_from_values(algorithm: str, model: str, dataset: str, values: dict) -> TrainSpec:
    """The TrainSpec a filled form describes (fields hidden for the algorithm are ignored)."""
    algorithms.get(algorithm)
    precision = values.get("precision") or "auto"
    extra = _extra(values.get("extra"), algorithm, precision)
    args = {name: _number(name, values.get(name)) for name in TRL_FIELDS
            if shown(name, algorithm) and values.get(name) not in (None, "")}
    args = {name: value for name, value in args.items() if value is not None}
    args.update(_loss_args(algorithm, values))
    if precision not in PRECISIONS:
        raise SpecError(f"precision {precision!r} must be one of {', '.join(PRECISIONS)}")
    args.update(PRECISION_ARGS[precision])
    args.update(extra)
    method = values.get("method") or "full"
    if method not in METHODS:
        raise SpecError(f"training method {method!r} must be one of {', '.join(METHODS)}")
    default_lora, default_hardware = LoraSpec(), HardwareSpec()
    lora = None
    if method != "full":
        lora = LoraSpec(r=_whole(values, "lora_r", default_lora.r),
                        alpha=_whole(values, "lora_alpha", default_lora.alpha),
                        dropout=_given(values, "lora_dropout", default_lora.dropout),
                        target_modules=_targets(values.get("lora_target_modules")),
                        quantize_4bit=method == "qlora")
    hardware = HardwareSpec(
        gpus=str(values.get("gpus") or "").strip(), processes=_whole(values, "processes", default_hardware.processes),
        distributed=values.get("distributed") or default_hardware.distributed,
        machines=_whole(values, "machines", default_hardware.machines),
        machine_rank=_whole(values, "machine_rank", default_hardware.machine_rank),
        main_address=str(values.get("main_address") or "").strip(),
        main_port=_whole(values, "main_port", default_hardware.main_port),
    )
    return TrainSpec(
        algorithm=algorithm, model=(model or "").strip(), dataset=(dataset or "").strip(), args=args, lora=lora,
        hardware=hardware, eval_fraction=_given(values, "eval_fraction", EVAL_FRACTION),
        reward_model=(values.get("reward_model") or "").strip() if algorithm == "grpo" else "",
    )


def _given(values: dict, name: str, default):
    """A form value, or the default where the box was left empty."""
    value = values.get(name)
    return default if value is None or value == "" else value


def _whole(values: dict, name: str, default: int) -> int:
    """A whole-number box: browsers send numbers as floats."""
    value = _given(values, name, default)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _shown_value(name: str, value):
    if ranges.FIELDS[name].kind is bool and (value is None or isinstance(value, bool)):
        return next(label for label, flag in SWITCH.items() if flag is value)
    return value


def _number(name: str, value):
    """Form numbers arrive as floats: whole-number fields go back to int; switches to true/false."""
    kind = ranges.FIELDS[name].kind
    if kind is bool and value in SWITCH:
        return SWITCH[value]
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _loss_args(algorithm: str, values: dict) -> dict:
    """The loss choices and weights picked for the algorithm, under TRL's names; SpecError naming the
    form field of a value loss_options refuses."""
    args = {}
    for name, choice in CHOICE_FIELDS.items():
        value = values.get(name)
        if not shown(name, algorithm) or value in (None, "", [], TRL_DEFAULT):
            continue
        args[choice.name] = _listed(value) if choice.multiple else value
        _refuse(name, loss_options.check(algorithm, {choice.name: args[choice.name]}))
    weights = str(values.get("loss_weights") or "").strip().strip("[]")  # "[1, 0.2]" as a recipe writes it
    if shown("loss_weights", algorithm) and weights:
        args["loss_weights"] = [parse_value(part, "loss_weights") for part in weights.split(",")]
        _refuse("loss_weights", loss_options.check(algorithm, args))
    return args


def _listed(value) -> list:
    """A value TRL holds as a list (DPO's loss_type and loss_weights): a single one as one element."""
    return value if isinstance(value, list) else [value]


def _refuse(name: str, errors: list[str]) -> None:
    if errors:
        raise SpecError(f"{BY_NAME[name].label}: {'; '.join(errors)}")


def _targets(text) -> str | list[str]:
    names = [part.strip() for part in str(text or "all-linear").split(",") if part.strip()]
    return "all-linear" if names in ([], ["all-linear"]) else names


def _extra(text, algorithm: str, precision: str) -> dict:
    extra = parse_assignments(str(text or "").splitlines())
    own = {} if precision == "auto" else {"bf16": "", "fp16": ""}
    for name in NAMES:  # TRL's name of each field shown, with the label where the form names it otherwise
        if name != "extra" and shown(name, algorithm):
            arg = CHOICE_FIELDS[name].name if name in CHOICE_FIELDS else name
            own[arg] = "" if arg == name else f" ({BY_NAME[name].label})"
    clash = sorted(set(extra) & set(own))
    if clash:
        raise SpecError(f"set {', '.join(name + own[name] for name in clash)} in its own form field, "
                        "not under more fields")
    return extra
