"""The training doctor on synthetic metrics, and its fix applied as a real job."""

import json
import math
import shutil

import pytest
from conftest import ROOT, run_cli
from test_train_data import rows_for, write_rows

from alignui import settings, store
from alignui.recipe.spec import TrainSpec
from alignui.recipe.validate import validate
from alignui.train import doctor, jobs, rates
from alignui.train.run_folder import RunFolder

CONFIG = {"learning_rate": 1e-5, "warmup_steps": 0, "beta": 0.1, "num_train_epochs": 3.0,
          "desirable_weight": 1.0, "undesirable_weight": 1.0}


def train_logs(losses, start=1, **series) -> list[dict]:
    records = []
    for i, loss in enumerate(losses):
        record = {"step": start + i, "loss": loss, "grad_norm": 1.0}
        record.update({key: values[i] for key, values in series.items()})
        records.append(record)
    return records


def cases(spec, records, rows=None):
    return {d.case: d for d in doctor.diagnose(spec, records, rows, CONFIG)}


def dpo(**args) -> TrainSpec:
    return TrainSpec("dpo", "m", "d", args=args)


def healthy() -> list[dict]:
    n = 20
    return train_logs([0.69 - 0.02 * i for i in range(n)], **{
        "rewards/margins": [0.05 * i for i in range(n)], "rewards/accuracies": [0.5 + 0.02 * i for i in range(n)]})


def test_a_healthy_run_has_nothing_to_report():
    records = healthy() + [{"step": s, "eval_loss": 0.7 - 0.01 * s} for s in (5, 10, 15, 20)]
    assert doctor.diagnose(dpo(), records, None, CONFIG) == []


@pytest.mark.parametrize("losses", [[0.69, 0.7, 2.9, 8.0], [0.69, 0.68, math.nan]])
def test_loss_explosion_or_nan_early_on(losses):
    found = cases(dpo(learning_rate=5e-6), train_logs(losses))
    diagnosis = found["loss_explosion"]
    assert diagnosis.changes == {"learning_rate": 1e-6, "warmup_steps": 0.1, "max_grad_norm": 1.0}
    assert "5x" in diagnosis.steps[0] and diagnosis.from_best
    assert "step 3" in diagnosis.evidence


def test_a_non_finite_grad_norm_is_an_explosion_too():
    records = train_logs([0.69, 0.69, 0.69])
    records[2]["grad_norm"] = math.inf
    assert "loss_explosion" in cases(dpo(), records)


def test_margins_and_accuracies_that_do_not_move():
    n = 16
    records = train_logs([0.693] * n, **{"rewards/margins": [0.001 * (i % 3) for i in range(n)],
                                         "rewards/accuracies": [0.5] * n})
    diagnosis = cases(dpo(), records)["flat_margins"]
    assert diagnosis.changes == {"learning_rate": 5e-6, "beta": 0.3}
    assert not diagnosis.from_best
    assert "beta" not in cases(TrainSpec("simpo", "m", "d"), records)["flat_margins"].changes


def test_too_few_logs_say_nothing_about_flat_margins():
    records = train_logs([0.693] * 4, **{"rewards/margins": [0.0] * 4, "rewards/accuracies": [0.5] * 4})
    assert "flat_margins" not in cases(dpo(), records)


def overfitting_records() -> list[dict]:
    train = train_logs([1.0 - 0.02 * i for i in range(40)])
    evals = [{"step": s, "eval_loss": e} for s, e in ((10, 0.6), (20, 0.5), (30, 0.56), (40, 0.63))]
    return sorted(train + evals, key=lambda r: r["step"])


def test_eval_loss_rising_while_train_loss_falls():
    diagnosis = cases(dpo(max_steps=40), overfitting_records())["overfitting"]
    assert diagnosis.algorithm == "ipo" and diagnosis.changes == {"max_steps": 20}
    assert "step 20" in diagnosis.steps[0]
    epochs = cases(TrainSpec("kto", "m", "d"), overfitting_records())["overfitting"]
    assert epochs.algorithm is None and epochs.changes == {"num_train_epochs": 1}


def test_kto_desirable_undesirable_imbalance():
    rows = [{"label": True}] * 10 + [{"label": False}] * 2
    diagnosis = cases(TrainSpec("kto", "m", "d"), train_logs([0.5, 0.5]), rows)["kto_imbalance"]
    assert diagnosis.changes == {"undesirable_weight": 3.75}
    assert "5.0:1" in diagnosis.evidence
    balanced = [{"label": True}] * 6 + [{"label": False}] * 3
    assert "kto_imbalance" not in cases(TrainSpec("kto", "m", "d"), train_logs([0.5, 0.5]), balanced)


def test_the_fix_switches_algorithm_without_its_old_loss_and_starts_from_the_checkpoint(tmp_path):
    spec = dpo(loss_type=["sigmoid"], max_steps=40)
    found = [cases(spec, overfitting_records())["overfitting"]]
    fixed = doctor.fixed_spec(spec, found, tmp_path / "checkpoint-20")
    assert fixed.algorithm == "ipo" and "loss_type" not in fixed.args and fixed.args["max_steps"] == 20
    assert fixed.model == str(tmp_path / "checkpoint-20")
    validate(fixed)


def fake_checkpoint(run: RunFolder, step: int, model) -> None:
    folder = run.checkpoints / f"checkpoint-{step}"
    shutil.copytree(model, folder)
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))


def test_best_checkpoint_is_the_lowest_eval_loss_else_the_last_before_the_blow_up(tmp_path, tiny_model):
    run = RunFolder(tmp_path)
    for step in (10, 20, 30, 40):
        fake_checkpoint(run, step, tiny_model)
    assert doctor.best_checkpoint(run, overfitting_records()).name == "checkpoint-20"
    exploded = train_logs([0.69] * 25 + [9.0] * 20)
    assert doctor.best_checkpoint(run, exploded).name == "checkpoint-20"
    assert doctor.best_checkpoint(RunFolder(tmp_path / "none"), exploded) is None


@pytest.mark.timeout(180)
def test_apply_queues_the_fix_from_the_best_checkpoint_as_a_new_job(tmp_path, alignui_home, tiny_model):
    spec = TrainSpec("dpo", str(tiny_model), "d", eval_fraction=0,
                     args={"max_steps": 2, "per_device_train_batch_size": 2, "max_length": 32,
                           "learning_rate": 5e-6})
    db = store.connect()
    job_id = db["jobs"].insert({"status": "failed", "algorithm": "dpo", "created_at": store.now()}).last_pk
    run = RunFolder(settings.runs_dir() / str(job_id))
    run.root.mkdir(parents=True)
    spec.save(run.spec)
    write_rows(run.train_data, rows_for("dpo"))
    write_rows(run.metrics, train_logs([0.69, 0.7, 0.69, 12.0, math.nan]))
    fake_checkpoint(run, 2, tiny_model)
    fake_checkpoint(run, 4, tiny_model)  # written after the blow-up at step 4
    db["jobs"].update(job_id, {"run_dir": str(run.root), "output_dir": str(run.model)})

    assert [d.case for d in doctor.diagnose_job(job_id)] == ["loss_explosion"]
    new = doctor.apply(job_id)

    assert new["parent_id"] == job_id
    fixed = TrainSpec.load(jobs.run_folder(new["job_id"]).spec)
    assert fixed.model == str(run.checkpoints / "checkpoint-2")
    assert fixed.args["learning_rate"] == pytest.approx(1e-6)
    assert fixed.args["warmup_steps"] == 0.1
    assert jobs.wait(new["job_id"], timeout=150)["status"] == "succeeded"


def unmoved(n=10, every=5) -> list[dict]:
    """DPO logs of a run whose rate is far too small: loss at ln 2, margins near 0, accuracy noise."""
    return train_logs([0.6931 - 0.0001 * i for i in range(n)], start=every, **{
        "rewards/margins": [0.0002 * i for i in range(n)],
        "rewards/accuracies": [0.6 + 0.01 * i for i in range(n)]})


def test_a_loss_stuck_at_ln2_with_zero_margins_means_nothing_is_learned():
    records = [dict(r, step=r["step"] * 5) for r in unmoved()]
    diagnosis = cases(dpo(learning_rate=1e-6), records)["nothing_learned"]
    assert "ln 2" in diagnosis.evidence and "0.6931" in diagnosis.evidence
    # The model "m" cannot be read, so its size is unknown: ten times the rate.
    assert diagnosis.changes == {"learning_rate": 1e-5} and not diagnosis.from_best
    # It replaces the flat-margins advice, whose cure (halving the rate) is the opposite one.
    assert "flat_margins" not in cases(dpo(learning_rate=1e-6), records)


def test_the_fix_is_the_rate_for_the_model_size():
    demo = str(ROOT / "assets" / "demo" / "model")
    records = [dict(r, step=r["step"] * 5) for r in unmoved()]
    found = doctor.diagnose(TrainSpec("dpo", demo, "d", args={"learning_rate": 1e-6}), records, None, CONFIG)
    assert found[0].changes == {"learning_rate": rates.MEASURED_RATE} == {"learning_rate": 3e-4}
    assert "866k-parameter" in found[0].steps[0]
    assert rates.preference_rate(7_000_000_000) < rates.preference_rate(1_000_000_000) < 1e-5
    assert rates.preference_rate(7_000_000_000, lora=True) == 10 * rates.preference_rate(7_000_000_000)


def test_a_tiny_beta_is_named_instead_of_the_rate():
    records = [dict(r, step=r["step"] * 5) for r in unmoved()]
    assert cases(dpo(beta=0.001), records)["nothing_learned"].changes == {"beta": 0.1}


def test_nothing_learned_waits_for_enough_steps_and_spares_runs_that_move():
    early = train_logs([0.6931] * 8, **{"rewards/margins": [0.0] * 8, "rewards/accuracies": [0.5] * 8})
    assert "nothing_learned" not in cases(dpo(), early)  # 8 steps are too few to tell
    assert "nothing_learned" not in cases(dpo(), healthy())
    kto = train_logs([0.5] * 10, start=20, **{"rewards/chosen": [0.001] * 10, "rewards/rejected": [0.0] * 10})
    assert "nothing_learned" in cases(TrainSpec("kto", "m", "d"), kto)


@pytest.mark.timeout(600)  # two short jobs' start-up; minutes only on a machine shared with other work
def test_a_demo_run_at_trl_default_rate_is_diagnosed_with_the_demo_rate(alignui_home):
    """A real DPO job of the demo model at TRL's default rate: the doctor says nothing is learned and
    proposes the demo's rate, from 10 logs of 20 small steps."""
    demo = ROOT / "assets" / "demo"
    settings_ = ["learning_rate=1e-6", "max_steps=20", "logging_steps=2", "per_device_train_batch_size=8",
                 "use_cpu=true", "save_strategy=no", "report_to=none"]
    job = json.loads(run_cli("train", "--algorithm", "dpo", "--model", demo / "model", "--data",
                             demo / "preference.jsonl", "--eval-fraction", "0",
                             *[part for s in settings_ for part in ("--set", s)], "--wait", "--json",
                             check=True).stdout)
    report = json.loads(run_cli("jobs", "doctor", job["job_id"], "--json", check=True).stdout)
    diagnosis = next(d for d in report["diagnoses"] if d["case"] == "nothing_learned")
    assert diagnosis["changes"] == {"learning_rate": 3e-4}

    # Applied, it is a new job at that rate (benchmarks/doctor_fix.py measures what that job achieves).
    new = doctor.apply(job["job_id"])
    assert new["parent_id"] == job["job_id"]
    assert TrainSpec.load(jobs.run_folder(new["job_id"]).spec).args["learning_rate"] == 3e-4
    jobs.cancel(new["job_id"])
