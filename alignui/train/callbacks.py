"""The trainer callback that reports a run's progress: metrics.jsonl and the job's row.

Runs inside the training processes; only the main process writes. Every log dict (loss,
rewards/*, logps, kl, learning rate, grad norm, eval loss, ...) becomes one JSON line with its
`step`, `time`, the pace since the previous log and, on CUDA, peak GPU memory. Step, max_steps and
world size go, at most once per second so a fast run never waits, to the run folder's progress.json
and, when the job id is known (local jobs, which share this machine's database), to the job row.
A ray job's workers cannot reach the database: the app copies progress.json into the row.
"""

import json
import os
import time
from pathlib import Path

import torch
from transformers import TrainerCallback

from alignui.train.launcher import JOB_ID_ENV

#: Seconds between two progress updates of the job row.
DB_INTERVAL = 1.0


class MetricsCallback(TrainerCallback):
    def __init__(self, metrics_path: Path, job_id: int | None = None, progress_path: Path | None = None):
        self.path = Path(metrics_path)
        self.progress_path = Path(progress_path) if progress_path else None
        self.job_id = job_id
        self._db = None
        self._last_db = 0.0
        self._begin_step: int | None = None
        self._last_log: tuple[int, float] | None = None
        self._cuda = torch.cuda.is_available()
        self._progress: dict = {}  # first_step(_at) are kept once set

    # ----- metrics.jsonl -----
    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        now = time.time()
        values = {key: value.item() if hasattr(value, "item") else value for key, value in logs.items()}
        record = {"step": state.global_step, "time": round(now, 3), **values}
        if self._last_log and state.global_step > self._last_log[0]:
            steps, seconds = state.global_step - self._last_log[0], now - self._last_log[1]
            record["steps_per_second"] = round(steps / seconds, 4) if seconds > 0 else None
        if "loss" in logs:
            self._last_log = (state.global_step, now)
        if self._cuda:
            record["gpu_memory_gb"] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
        with self.path.open("a") as out:
            out.write(json.dumps(record) + "\n")

    # ----- job row -----
    def on_train_begin(self, args, state, control, **kwargs):
        self._begin_step = state.global_step
        self._last_log = (state.global_step, time.time())
        self._update(state, args, force=True)

    def on_step_end(self, args, state, control, **kwargs):
        self._update(state, args)

    def on_train_end(self, args, state, control, **kwargs):
        self._update(state, args, force=True)

    def _update(self, state, args, force: bool = False) -> None:
        if not state.is_world_process_zero:
            return
        now = time.time()
        first = self._begin_step is not None and state.global_step > self._begin_step
        if not (force or first) and now - self._last_db < DB_INTERVAL:
            return
        self._last_db = now
        fields = {"step": state.global_step, "max_steps": state.max_steps,
                  "world_size": args.world_size, "step_at": now}
        if first:
            # The first step of this launch: the pace is measured from here (resumes included).
            fields.update(first_step=state.global_step, first_step_at=now)
            self._begin_step = None
        if self.progress_path:
            self._progress.update(fields)
            partial = self.progress_path.with_suffix(".tmp")
            partial.write_text(json.dumps(self._progress))
            partial.replace(self.progress_path)  # readers never see half a file
        if self.job_id is None:
            return
        if self._db is None:
            from alignui import store

            self._db = store.connect()
        self._db["jobs"].update(self.job_id, fields)


def job_id_from_env() -> int | None:
    value = os.environ.get(JOB_ID_ENV)
    return int(value) if value else None
