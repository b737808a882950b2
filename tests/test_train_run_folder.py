"""A run folder's checkpoints and metrics, as resume, the UI and the doctor read them."""

import json
import math

from alignui.train import metrics
from alignui.train.run_folder import RunFolder


def checkpoint(run: RunFolder, step: int, state=True, weights="model.safetensors"):
    folder = run.checkpoints / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    if weights:
        (folder / weights).write_bytes(b"w")
    if state:
        (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return folder


def test_the_latest_complete_checkpoint_skips_half_written_ones(tmp_path):
    run = RunFolder(tmp_path)
    assert run.latest_checkpoint() is None
    checkpoint(run, 5)
    ten = checkpoint(run, 10, weights="adapter_model.safetensors")
    checkpoint(run, 15, state=False)  # killed before the trainer state was written
    broken = checkpoint(run, 20)
    (broken / "trainer_state.json").write_text('{"global_st')  # killed while writing it
    checkpoint(run, 25, weights=None)
    (run.checkpoints / "checkpoint-x").mkdir()

    assert run.latest_checkpoint() == (10, ten)
    assert [step for step, _ in run.checkpoint_steps()] == [5, 10, 15, 20, 25]
    removed = run.remove_incomplete_checkpoints()
    assert sorted(p.name for p in removed) == ["checkpoint-15", "checkpoint-20", "checkpoint-25"]
    assert [step for step, _ in run.checkpoint_steps()] == [5, 10]


def test_metrics_skip_a_half_written_last_line_and_keep_nan(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "loss": 0.7}\n{"step": 2, "loss": NaN}\n{"step": 3, "lo')
    records = metrics.read(path)
    assert [r["step"] for r in records] == [1, 2]
    assert math.isnan(records[1]["loss"])
    assert metrics.long_table(records, {"loss": "train"}) == [{"step": 1, "value": 0.7, "series": "train"}]
    assert metrics.read(tmp_path / "missing.jsonl") == []


def test_truncate_drops_what_a_resumed_run_logs_again(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s, "loss": 1.0 / s}) + "\n" for s in range(1, 7)))
    metrics.truncate(path, 4)
    assert [r["step"] for r in metrics.read(path)] == [1, 2, 3, 4]


def test_last_and_series():
    records = [{"step": 1, "loss": 2.0}, {"step": 1, "eval_loss": 2.5}, {"step": 2, "loss": 1.5}]
    assert metrics.last(records, "loss") == 1.5 and metrics.last(records, "kl") is None
    assert metrics.series(records, "eval_loss") == [(1, 2.5)]


def test_eta_follows_the_pace_since_the_first_step_of_this_launch():
    assert metrics.eta_seconds(step=30, max_steps=100, first_step=10, first_step_at=1000.0, step_at=1040.0) == 140.0
    assert metrics.eta_seconds(step=10, max_steps=100, first_step=10, first_step_at=1000.0, step_at=1000.0) is None
    assert metrics.eta_seconds(None, 100, None, None, None) is None
