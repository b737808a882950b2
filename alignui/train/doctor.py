"""The training doctor: spot known failure cases in a run's metrics while it trains, and fix them.

Cases and recovery steps follow the "Practical Troubleshooting" section of the alignment review
in this project's references: loss explosion (or NaN) early on, reward margins and accuracies
that do not move, eval loss rising while train loss falls, and a KTO desirable:undesirable
imbalance; plus the commonest failure of all, nothing learned: the loss stays at its starting
value (ln 2 for DPO) and the margins at 0, because the learning rate is far too small for the
model (or beta is out of range). Each diagnosis carries concrete changes; `apply` queues them as a new job that starts
from the run's best checkpoint.
"""

import dataclasses
import functools
import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from alignui.data.stats import KTO_RATIO
from alignui.errors import AlignUIError
from alignui.recipe import presets
from alignui.recipe.spec import TrainSpec
from alignui.train import jobs, metrics, rates
from alignui.train.run_folder import RunFolder

#: Train logs that count as "early" for a loss explosion.
EARLY_LOGS = 50
#: Loss this many times the first logged loss counts as an explosion.
EXPLOSION_FACTOR = 3.0
#: Train logs needed before flat margins mean anything.
FLAT_MIN_LOGS = 8
#: Train logs, and optimizer steps, before an unmoved loss means nothing is being learned.
STILL_MIN_LOGS = 5
STILL_MIN_STEPS = 20
#: A loss within this share of its first value has not moved.
STILL_LOSS = 0.01
#: Reward margins within this of their first value have not moved (the DPO family's reward units).
STILL_MARGIN = 0.02
#: Eval loss this far (relative) above its best counts as rising.
OVERFIT_RISE = 0.05
#: The KTO paper's recommended ceiling for desirable:undesirable examples.
KTO_MAX_RATIO = KTO_RATIO[1]
#: A KTO ratio above this suggests switching to pairs (DPO) if they can be had.
KTO_EXTREME_RATIO = 10.0


@dataclass
class Diagnosis:
    """One failure case seen in a run."""

    case: str
    """Short id: loss_explosion, nothing_learned, flat_margins, overfitting or kto_imbalance."""
    title: str
    evidence: str
    """What in the metrics or data shows it."""
    steps: list[str]
    """Recovery steps, in order."""
    changes: dict = field(default_factory=dict)
    """TRL config fields the fix sets."""
    algorithm: str | None = None
    """An algorithm to switch to, when the fix is a switch."""
    from_best: bool = True
    """Whether the fix restarts from the best checkpoint rather than the original model."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class Values:
    """A run's hyperparameters: the spec's own, else the resolved config's, else TRL's defaults."""

    def __init__(self, spec: TrainSpec, config: dict | None):
        self.spec = spec
        self.config = config or {}

    def __getitem__(self, name: str):
        if name in self.spec.args:
            return self.spec.args[name]
        if name in self.config:
            return self.config[name]
        from alignui.recipe.spec import config_fields  # imports TRL: only for runs without trl_config.json

        return config_fields(self.spec.algorithm)[name].default


def diagnose(spec: TrainSpec, records: list[dict], rows: list[dict] | None = None,
             config: dict | None = None) -> list[Diagnosis]:
    """Every failure case that the metrics (and, for KTO, the data rows) show.

    `config` is the run's full TRL config (trl_config.json), for the values the spec left at their
    defaults; without it the defaults are read from TRL itself.
    """
    values = Values(spec, config)
    train = [r for r in records if "loss" in r]
    found = [check(values, train, records) for check in (_explosion, _nothing_learned, _overfitting)]
    if found[1] is None:  # an unmoved run's margins are flat too, but the cure is the opposite one
        found.append(_flat_margins(values, train, records))
    if spec.algorithm == "kto" and rows:
        found.append(_kto_imbalance(values, rows))
    return [d for d in found if d is not None]


def diagnose_job(job_id: int) -> list[Diagnosis]:
    """The diagnoses of a job's run so far (it may still be running)."""
    run = jobs.run_folder(job_id)
    spec = TrainSpec.load(run.spec)
    rows = _read_rows(run.train_data) if spec.algorithm == "kto" else None
    config = json.loads(run.trl_config.read_text()) if run.trl_config.exists() else None
    return diagnose(spec, metrics.read(run.metrics), rows, config)


def apply(job_id: int) -> dict:
    """Queue a new job with every diagnosis's fix, from the best checkpoint; returns the new job."""
    found = diagnose_job(job_id)
    if not found:
        raise AlignUIError(f"the doctor finds nothing to fix in job {job_id}")
    run = jobs.run_folder(job_id)
    spec = fixed_spec(TrainSpec.load(run.spec), found, best_checkpoint(run, metrics.read(run.metrics)))
    return jobs.submit(spec, parent_id=job_id, data_from=run)


def best_checkpoint(run: RunFolder, records: list[dict]) -> Path | None:
    """The complete checkpoint to restart from: lowest eval loss, else the last before any blow-up."""
    complete = run.complete_checkpoints()
    evals = {r["step"]: r["eval_loss"] for r in records if _finite(r.get("eval_loss"))}
    scored = [(evals[step], step, path) for step, path in complete if step in evals]
    if scored:
        return min(scored)[2]
    first = _first_loss(records)
    bad = [r["step"] for r in records if "loss" in r and not _healthy(r, first)]
    usable = [path for step, path in complete if not bad or step < bad[0]]
    return usable[-1] if usable else None


def fixed_spec(spec: TrainSpec, diagnoses: list[Diagnosis], start_from: Path | None) -> TrainSpec:
    """The spec of the new job: every diagnosis's changes, starting from `start_from` if given."""
    args = dict(spec.args)
    algorithm = spec.algorithm
    for diagnosis in diagnoses:
        args.update(diagnosis.changes)
        if diagnosis.algorithm:
            algorithm = diagnosis.algorithm
            args.pop("loss_type", None)  # the new algorithm fixes its own loss
    model = str(start_from) if start_from and any(d.from_best for d in diagnoses) else spec.model
    return dataclasses.replace(spec, algorithm=algorithm, model=model, args=args)


# ----- the cases -----
def _explosion(values, train, records) -> Diagnosis | None:
    early = train[:EARLY_LOGS]
    if len(early) < 2:
        return None
    first = _first_loss(early)
    bad = next((r for r in early[1:] if not _healthy(r, first)), None)
    if bad is None:
        return None
    lr, warmup = values["learning_rate"], values["warmup_steps"]
    return Diagnosis(
        "loss_explosion", "Loss explosion early in training",
        f"loss went from {first:.4g} to {bad.get('loss')} by step {bad['step']}"
        + (f" (grad norm {bad.get('grad_norm')})" if "grad_norm" in bad else ""),
        [
            f"Reduce the learning rate 5x ({lr:g} → {_round(lr / 5):g}).",
            "Warm up over at least 10% of the steps (warmup_steps=0.1).",
            "Start the policy and the reference from the same SFT checkpoint.",
            "Switch from bf16 to fp32 to check numerical stability.",
            "Clip gradients at 1.0 (max_grad_norm=1.0).",
        ],
        changes={"learning_rate": _round(lr / 5), "warmup_steps": warmup if 0.1 <= warmup < 1 else 0.1,
                 "max_grad_norm": 1.0},
    )


def _nothing_learned(values, train, records) -> Diagnosis | None:
    algorithm = values.spec.algorithm
    if algorithm not in ("dpo", "ipo", "kto", "simpo", "orpo") or len(train) < STILL_MIN_LOGS \
            or train[-1]["step"] < STILL_MIN_STEPS:
        return None
    losses = [r["loss"] for r in train if _finite(r.get("loss"))]
    margins = [m for m in map(_margin, train) if m is not None]
    if len(losses) < STILL_MIN_LOGS or len(margins) < STILL_MIN_LOGS:
        return None
    first_loss, loss = losses[0], statistics.fmean(losses[-3:])
    first_margin, margin = margins[0], statistics.fmean(margins[-3:])
    if abs(loss - first_loss) > STILL_LOSS * abs(first_loss) or abs(margin - first_margin) > STILL_MARGIN:
        return None
    start = "; ln 2 is the loss of a policy that has not moved from its reference" \
        if algorithm == "dpo" and abs(first_loss - math.log(2)) < 0.01 else ""
    accuracies = [r["rewards/accuracies"] for r in train if _finite(r.get("rewards/accuracies"))]
    accuracy = f"; reward accuracy {accuracies[0]:.2f} → {accuracies[-1]:.2f}" if accuracies else ""
    evidence = (f"after {train[-1]['step']} steps the loss is still {loss:.4f} (first logged {first_loss:.4f}"
                f"{start}) and the reward margin {margin:.3g} (first {first_margin:.3g}){accuracy}: "
                "the model has not moved")
    title = "Nothing is being learned"
    beta, preset = values["beta"], presets.BETA[algorithm]
    if algorithm in ("dpo", "kto") and beta < preset.low:
        return Diagnosis(
            "nothing_learned", title, evidence,
            [f"beta {beta:g} is below {algorithm.upper()}'s usual {preset.low:g}-{preset.high:g}: the rewards "
             f"it scales stay near 0. Set beta to {preset.default:g}.",
             "Then watch the reward margin: it should rise above 0 within the first few dozen steps."],
            changes={"beta": preset.default}, from_best=False)
    lr = values["learning_rate"]
    params = _parameters(values.spec.model)
    usual = rates.preference_rate(params, values.spec.lora is not None) if params else None
    if usual and usual >= 2 * lr:
        size = presets.size_label(params / 1e9)
        rate = usual
        why = (f"Raise the learning rate to {rate:g} ({lr:g} is {usual / lr:.0f}x below the rate that "
               f"moves a {size}-parameter model{' with LoRA' if values.spec.lora else ''}).")
    else:
        rate = _round(lr * 10)
        why = (f"Raise the learning rate 10x ({lr:g} → {rate:g}) to see whether the rate is the cause"
               + ("" if usual else " (the model's size is unknown, so no size-based rate)") + ".")
    return Diagnosis(
        "nothing_learned", title, evidence,
        [why,
         "Then watch the reward margin: it should rise above 0 within the first few dozen steps; "
         "if the loss jumps instead, halve the rate.",
         "If nothing moves even then, check the data: chosen and rejected answers may barely differ."],
        changes={"learning_rate": rate}, from_best=False)


def _flat_margins(values, train, records) -> Diagnosis | None:
    if values.spec.algorithm not in ("dpo", "ipo", "simpo", "orpo") or len(train) < FLAT_MIN_LOGS:
        return None
    late = train[len(train) // 2:]
    margins = [r["rewards/margins"] for r in late if _finite(r.get("rewards/margins"))]
    accuracies = [r["rewards/accuracies"] for r in late if _finite(r.get("rewards/accuracies"))]
    if len(margins) < FLAT_MIN_LOGS // 2 or not accuracies:
        return None
    spread, level = max(margins) - min(margins), abs(statistics.fmean(margins))
    accuracy = statistics.fmean(accuracies)
    if spread > 0.05 or level > 0.05 or accuracy > 0.6:
        return None
    changes = {"learning_rate": _round(values["learning_rate"] / 2)}
    if values.spec.algorithm in ("dpo", "ipo"):  # the beta advice is about the DPO family's beta
        changes["beta"] = min(0.5, max(0.3, values["beta"]))
    return Diagnosis(
        "flat_margins", "Reward margins and accuracies do not move",
        f"over the last {len(late)} logs the reward margin stayed near {statistics.fmean(margins):.3g} "
        f"(spread {spread:.3g}) and accuracy averaged {accuracy:.2f}",
        [
            ("Filter out pairs whose chosen and rejected answers barely differ (e.g. reward-model score "
             "gap below 0.5): the model cannot learn a direction from them."),
            "Raise beta to 0.3-0.5 to stay closer to the reference policy.",
            "Halve the learning rate.",
            "Check that the SFT checkpoint was trained enough.",
        ],
        changes=changes, from_best=False,
    )


def _overfitting(values, train, records) -> Diagnosis | None:
    evals = [(r["step"], r["eval_loss"]) for r in records if _finite(r.get("eval_loss"))]
    if len(evals) < 3:
        return None
    best_step, best = min(evals, key=lambda e: e[1])
    last_step, last = evals[-1]
    before = [r["loss"] for r in train if r["step"] <= best_step and _finite(r.get("loss"))]
    after = [r["loss"] for r in train if r["step"] > best_step and _finite(r.get("loss"))]
    if last_step == best_step or last < best * (1 + OVERFIT_RISE) or not before or not after:
        return None
    if statistics.fmean(after) >= statistics.fmean(before[-len(after):]):
        return None  # train loss is not falling: not the overfitting pattern
    spec = values.spec
    diagnosis = Diagnosis(
        "overfitting", "Eval loss rises while train loss falls (overfitting)",
        f"eval loss was lowest at step {best_step} ({best:.4g}) and is {last:.4g} at step {last_step}, "
        "while the train loss kept falling",
        [
            f"Stop at the checkpoint with the lowest eval loss (step {best_step}).",
            "Train 1-3 epochs at most for this amount of data.",
            "Consider IPO: its squared loss resists overfitting.",
        ],
        # Fewer passes over the data from the best checkpoint on.
        changes={"max_steps": max(1, spec.args["max_steps"] // 2)} if "max_steps" in spec.args else
        {"num_train_epochs": min(values["num_train_epochs"], 1)},
    )
    if spec.algorithm == "dpo":
        diagnosis.algorithm = "ipo"
    return diagnosis


def _kto_imbalance(values, rows) -> Diagnosis | None:
    desirable = sum(1 for r in rows if r.get("label") is True)
    undesirable = sum(1 for r in rows if r.get("label") is False)
    if not desirable or not undesirable:
        ratio = math.inf
    else:
        ratio = desirable / undesirable
    if ratio <= KTO_MAX_RATIO:
        return None
    weight = values["desirable_weight"]
    # Bring desirable_weight * n_desirable : undesirable_weight * n_undesirable back to about 4:3.
    target = round(max(2.0, weight * ratio * 3 / 4), 2) if math.isfinite(ratio) else 2.0
    return Diagnosis(
        "kto_imbalance", "KTO desirable:undesirable imbalance",
        f"{desirable} desirable vs {undesirable} undesirable examples (ratio {ratio:.1f}:1; 1:1 to 4:1 "
        "is recommended): the undesirable examples' signal is diluted",
        [
            f"Raise undesirable_weight ({values['undesirable_weight']} → {target}).",
            "Oversample the undesirable examples.",
            "With a ratio above 10:1, consider switching to DPO with paired data."
            + (" This dataset is past that point." if ratio > KTO_EXTREME_RATIO else ""),
        ],
        changes={"undesirable_weight": target}, from_best=False,
    )


# ----- small helpers -----
def _margin(record: dict) -> float | None:
    """A log's reward margin: logged by the DPO family and KTO, else chosen minus rejected reward."""
    if _finite(record.get("rewards/margins")):
        return record["rewards/margins"]
    chosen, rejected = record.get("rewards/chosen"), record.get("rewards/rejected")
    return chosen - rejected if _finite(chosen) and _finite(rejected) else None


@functools.lru_cache(maxsize=32)
def _parameters(model: str) -> int | None:
    """A local model folder's parameter count, from its config; None for hub ids (no download while
    a job is watched) and unreadable folders."""
    from alignui.model_info import local_size_b

    size_b = local_size_b(model)
    return round(size_b * 1e9) if size_b else None


def _round(value: float) -> float:
    """Three significant digits: a learning rate of 1e-06, not 1.0000000000000002e-06."""
    return float(f"{value:.3g}")


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _first_loss(records) -> float | None:
    return next((r["loss"] for r in records if _finite(r.get("loss"))), None)


def _healthy(record: dict, first: float | None) -> bool:
    loss, grad = record.get("loss"), record.get("grad_norm")
    if not _finite(loss) or (grad is not None and not _finite(grad)):
        return False
    return first is None or loss < max(EXPLOSION_FACTOR * abs(first), abs(first) + 1.0)


def _read_rows(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    except FileNotFoundError:
        return []
