"""TRL 1.16's loss choices, each with the one-line reason to pick it, and the check of their values.

A table the form and the advisor read: DPO's `loss_type` (a list, mixed by `loss_weights`), GRPO's
`loss_type`, `importance_sampling_level` (GSPO) and `scale_rewards`. Numeric and on/off fields such
as `precompute_ref_log_probs` live in ranges.FIELDS.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    value: str
    reason: str
    """Why pick it, in one line."""


@dataclass(frozen=True)
class ChoiceField:
    """A TRL config field whose value is one of (or, with `multiple`, a list of) named choices."""

    name: str
    label: str
    help: str
    algorithms: tuple[str, ...]
    choices: tuple[Choice, ...]
    multiple: bool = False
    """Takes a list of choices (DPO's loss_type, weighted by loss_weights)."""

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)


FIELDS = [
    ChoiceField("loss_type", "DPO loss", (
        "One loss or several summed with loss_weights (TRL's list). E.g. [sigmoid, sft] with weights "
        "[1, 0.2] is an RPO-style mix that keeps the chosen answers likely."), ("dpo",), (
        Choice("sigmoid", "DPO's own loss: the default, proven with clean pairwise data."),
        Choice("hinge", "SLiC's hinge on the margin: stops pushing once pairs are separated."),
        Choice("ipo", "IPO: regresses the margin to a target, resists overfitting deterministic pairs."),
        Choice("robust", "Robust DPO: assumes some labels are flipped (set label_smoothing to the noise rate)."),
        Choice("bco_pair", "BCO on pairs: a binary classifier of chosen vs rejected, steady on noisy data."),
        Choice("sppo_hard", "SPPO: pushes chosen toward reward 1/2 and rejected toward -1/2; self-play data."),
        Choice("nca_pair", "NCA: absolute likelihoods, keeps chosen answers from losing probability."),
        Choice("apo_zero", "APO-zero: when chosen answers beat the model's own, raise chosen, lower rejected."),
        Choice("apo_down", "APO-down: when the model is already better than chosen, lower both, rejected more."),
        Choice("discopop", "DiscoPOP: a discovered log-ratio-modulated loss; strong on chat benchmarks."),
        Choice("exo_pair", "EXO: matches the preference distribution by reverse KL; needs label_smoothing above 0 "
               "(the paper suggests 1e-3)."),
        Choice("aot", "AOT: aligns the batch's sorted margins with the reference's (distributional, by sorting)."),
        Choice("aot_unpaired", "AOT unpaired: sorts chosen and rejected log-ratios separately; pairs need not match."),
        Choice("sigmoid_norm", "DPO's loss on per-token (length-normalised) log-ratios: no pull toward long answers."),
        Choice("sft", "SFT on the chosen answers: added to another loss (RPO-style), keeps them likely."),
    ), multiple=True),
    ChoiceField("loss_type", "GRPO loss", "How token losses are averaged over the batch.", ("grpo",), (
        Choice("grpo", "The original: normalise per sequence; biased toward short answers."),
        Choice("dr_grpo", "Dr. GRPO: a constant normaliser, no length bias."),
        Choice("dapo", "DAPO (TRL's default): normalise over the batch's tokens; long answers count fully."),
        Choice("bnpo", "BNPO: normalise over the local batch's tokens; DAPO without cross-process sums."),
        Choice("cispo", "CISPO (MiniMax-M1): clips the importance weights, not the update; rare tokens still learn."),
        Choice("sapo", "SAPO: a smooth temperature gate instead of hard clipping for off-policy tokens."),
        Choice("luspo", "LUSPO: GSPO with each answer's loss scaled by its length; needs sequence-level sampling."),
        Choice("vespo", "VESPO: a smooth asymmetric weight on sequence-level ratios instead of clipping."),
    )),
    ChoiceField("importance_sampling_level", "Importance sampling", (
        "Per-token or per-sequence policy ratios."), ("grpo",), (
        Choice("token", "GRPO's per-token ratio (the default)."),
        Choice("sequence", "GSPO: one ratio per answer; steadier, especially for mixture-of-experts models."),
    )),
    ChoiceField("scale_rewards", "Reward scaling", "How advantages are divided by the rewards' spread.",
                ("grpo",), (
        Choice("group", "Divide by each prompt group's std (the default): every prompt weighs the same."),
        Choice("batch", "Divide by the batch's std: robust when a group's rewards barely differ."),
        Choice("none", "No scaling (Dr. GRPO): avoids the bias toward too easy or too hard prompts."),
    )),
]


def field(name: str, algorithm: str) -> ChoiceField | None:
    """The choice field `name` as `algorithm` uses it, if it has one."""
    return next((f for f in FIELDS if f.name == name and algorithm in f.algorithms), None)


def reason(name: str, algorithm: str, value: str) -> str:
    """Why pick `value` for the field `name` of `algorithm`."""
    return next(c.reason for c in field(name, algorithm).choices if c.value == value)


def check(algorithm: str, args: dict) -> list[str]:
    """Errors for choice values outside the table, and loss_weights that do not fit loss_type."""
    errors = []
    for name, value in args.items():
        spec = field(name, algorithm)
        if spec is None:
            continue
        values = value if spec.multiple and isinstance(value, list) else [value]
        if spec.multiple and not values:
            errors.append(f"{name} is empty: give at least one of {', '.join(spec.values)}")
        unknown = [v for v in values if v not in spec.values]
        if unknown:
            errors.append(f"{name} {', '.join(map(repr, unknown))} is not one of {', '.join(spec.values)}")
    if "loss_weights" in args and field("loss_type", algorithm) and field("loss_type", algorithm).multiple:
        errors += _check_weights(args.get("loss_type", ["sigmoid"]), args["loss_weights"])
    losses = args.get("loss_type")
    losses = losses if isinstance(losses, list) else [losses]
    if algorithm == "dpo" and "exo_pair" in losses and not args.get("label_smoothing"):
        errors.append("loss_type exo_pair needs label_smoothing above 0 (the EXO paper suggests 0.001)")
    if algorithm == "grpo" and "luspo" in losses and args.get("importance_sampling_level") != "sequence":
        errors.append("loss_type luspo needs importance_sampling_level: sequence")
    return errors


def _check_weights(loss_type, weights) -> list[str]:
    losses = loss_type if isinstance(loss_type, list) else [loss_type]
    if not isinstance(weights, list) or not all(isinstance(w, (int, float)) and not isinstance(w, bool)
                                                for w in weights):
        return [f"loss_weights must be a list of numbers, one per loss_type entry, not {weights!r}"]
    if len(weights) != len(losses):
        return [f"loss_weights has {len(weights)} number(s) but loss_type has {len(losses)} loss(es): "
                "give one weight per loss"]
    if any(w < 0 for w in weights):
        return ["loss_weights must not be negative"]
    return []
