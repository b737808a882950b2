"""Training jobs: submit, watch, cancel, resume, and reconcile the job table with reality.

A job is a row in the `jobs` table, a run folder (run_folder.py) and a supervisor process
(supervisor.py) that leads its own session: it waits for the job's turn in the queue, runs
`accelerate launch`, and records how the run ended. Watching, cancelling and reconciling import
nothing heavy, so the app and the CLI stay fast; only `submit` (and `resume` with changed
settings) checks the spec against TRL. The training itself happens in the supervisor's children.

Statuses: queued → running → succeeded | failed | cancelled, and interrupted for a job whose
processes vanished without a word (killed, or the machine restarted). A cancel passes through
cancelling while its processes stop: the job is recorded cancelled only once none is left, and until
then the queue starts nothing on its GPUs.
"""

import dataclasses
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlite_utils.db import NotFoundError

from alignui import disk, hardware, settings, store
from alignui.errors import DataError, NotFound, SpecError, StateError
from alignui.recipe.spec import TrainSpec
from alignui.recipe.validate import validate
from alignui.train import job_queue, metrics, procs
from alignui.train.run_folder import RunFolder

ACTIVE = ("queued", "running", "cancelling")
ENDED = ("succeeded", "failed", "cancelled", "interrupted")
#: Seconds a cancelled job's processes get to exit on SIGTERM before SIGKILL.
CANCEL_GRACE = 10.0
#: A row whose supervisor never recorded its pid is left alone this long (it may be starting).
START_GRACE = 60.0
INTERRUPTED = ("the job's processes ended without reporting (killed, or the machine restarted); "
               "resume it to continue from its last checkpoint")


# ----- submitting -----
def submit(spec: TrainSpec, parent_id: int | None = None, data_from: RunFolder | None = None) -> dict:
    """Queue a training run and start its supervisor; returns the job (see `show`).

    The dataset (a catalog name or a data file) is made TRL-ready, split (grouped by prompt) and
    written into the run folder as train.jsonl and eval.jsonl, so later edits to the catalog or the
    file never change what this job trains on. `data_from` reuses another run's split as it is.
    """
    spec = validate(dataclasses.replace(spec, model=resolve_model(spec.model),
                                        reward_model=resolve_reward_model(spec.reward_model)))
    if spec.hardware.machines == 1:  # on a multi-node run the GPUs are counted on each machine
        hardware.check(spec.hardware.gpus, spec.hardware.processes)
    disk.ensure_room(settings.runs_dir(), needed_bytes(spec), "this job's run folder")
    db = store.connect()
    job_id = db["jobs"].insert({
        "status": "queued", "algorithm": spec.algorithm, "model": spec.model, "dataset": spec.dataset,
        "gpus": spec.hardware.gpus, "parent_id": parent_id, "created_at": store.now(),
    }).last_pk
    run = RunFolder(settings.runs_dir() / str(job_id))
    try:
        run.root.mkdir(parents=True)
        if data_from is not None:
            copy_split(data_from, run)
        else:
            snapshot_dataset(spec, run)
        spec.save(run.spec)
    except BaseException:
        # Bad input leaves no trace: no job row, no run folder.
        db["jobs"].delete(job_id)
        shutil.rmtree(run.root, ignore_errors=True)
        raise
    db["jobs"].update(job_id, {"run_dir": str(run.root), "output_dir": str(run.model)})
    _start_supervisor(db, job_id, run, {})
    return show(job_id)


def needed_bytes(spec: TrainSpec) -> int:
    """A floor for what a run folder will take: its copy of the data, plus one copy of a local model's
    weights when every weight is trained (checkpoints come on top)."""
    from alignui.data import catalog

    data = Path(catalog.get(spec.dataset).path) if catalog.NAME_PATTERN.fullmatch(spec.dataset) \
        and catalog.exists(spec.dataset) else Path(spec.dataset).expanduser()
    model = disk.folder_size(Path(spec.model)) if spec.lora is None and Path(spec.model).is_dir() else 0
    return disk.folder_size(data) + model


def resolve_model(model: str) -> str:
    """An existing local folder as an absolute path; anything else is taken for a hub id."""
    if not (model or "").strip():  # Path("") is the working folder: never train on that by accident
        raise SpecError("model is empty: give a local model folder or a hub id")
    path = Path(model).expanduser()
    if path.exists():
        return str(path.resolve())
    if model.startswith((".", "/", "~")) or model.count("/") > 1:
        raise SpecError(f"model folder {model} does not exist; give a local model folder or a hub id")
    return model


def resolve_reward_model(choice: str) -> str:
    """GRPO's reward model as a folder or hub id; a finished `reward` job's id names its model folder."""
    from alignui.evaluate.judges import reward_model_path

    return reward_model_path(choice) if choice else ""


def snapshot_dataset(spec: TrainSpec, run: RunFolder) -> None:
    """Write the TRL-ready rows of a catalog dataset or a data file to the run folder, split.

    Refuses data of a type the algorithm cannot train on, saying how to convert it.
    """
    from alignui.data import catalog
    from alignui.data.export import read_jsonl, write_jsonl
    from alignui.data.split import DEFAULT_SEED, split_rows

    entry = catalog.lookup(spec.dataset, into=run.root)
    if entry.type not in spec.algo.data_types:
        raise DataError(
            f"{spec.algo.title} trains on {' or '.join(spec.algo.data_types)} data, but {spec.dataset} is "
            f"{entry.type}; convert it with `python -m alignui data convert --to {spec.algo.data_types[0]}` "
            "or pick another algorithm"
        )
    train, held_out = split_rows(read_jsonl(entry.path), spec.eval_fraction,
                                 spec.args.get("seed", DEFAULT_SEED))
    write_jsonl(train, run.train_data)
    if held_out:
        write_jsonl(held_out, run.eval_data)
    if Path(entry.path).parent == run.root:  # the normalised copy of a data file: the split replaces it
        Path(entry.path).unlink()


def copy_split(source: RunFolder, run: RunFolder) -> None:
    """Train on exactly the rows another run trained and held out on."""
    for name in ("train_data", "eval_data"):
        if getattr(source, name).exists():
            shutil.copyfile(getattr(source, name), getattr(run, name))


def _start_supervisor(db, job_id: int, run: RunFolder, fields: dict) -> None:
    """Start the job's supervisor, then record its pid together with `fields` in one update.

    The supervisor does nothing until it finds its own pid in the row.
    """
    with run.log.open("a") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "alignui.train.supervisor", str(job_id)],
            cwd=run.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=_environment(),
            start_new_session=True,  # its own session and process group: outlives us, stops as one
        )
    # Reap it when it ends so a long-lived app does not collect zombies.
    threading.Thread(target=proc.wait, daemon=True).start()
    db["jobs"].update(job_id, {"pid": proc.pid, "pid_start_time": procs.start_time(proc.pid), **fields})


def _environment() -> dict[str, str]:
    """Ours, with this data home and this copy of alignui importable from any working folder."""
    package_root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, ALIGNUI_HOME=str(settings.home()), PYTHONPATH=path)


# ----- reading -----
def get(job_id: int, db=None) -> dict:
    db = db or store.connect()
    try:
        return db["jobs"].get(int(job_id))
    except (NotFoundError, ValueError):
        raise NotFound(f"no job {job_id}; `python -m alignui jobs list` shows the jobs") from None


def list_jobs(limit: int = 100) -> list[dict]:
    """The newest jobs first, each as `summary` gives it."""
    db = store.connect()
    return [summary(row) for row in db.query("select * from jobs order by id desc limit ?", [limit])]


def summary(row: dict) -> dict:
    """A job row as the CLI and the UI report it, without its metrics."""
    return {
        "job_id": row["id"], "status": row["status"], "algorithm": row["algorithm"], "model": row["model"],
        "dataset": row["dataset"], "pid": row["pid"], "step": row["step"], "max_steps": row["max_steps"],
        "world_size": row["world_size"], "output_dir": row["output_dir"], "run_dir": row["run_dir"],
        "error": row["error"], "resumed_from_step": row["resumed_from_step"], "parent_id": row["parent_id"],
        "created_at": row["created_at"], "started_at": row["started_at"], "finished_at": row["finished_at"],
        "eta_seconds": metrics.eta_seconds(row["step"], row["max_steps"], row["first_step"],
                                          row["first_step_at"], row["step_at"])
        if row["status"] == "running" else None,
    }


def show(job_id: int) -> dict:
    """Everything known about a job, with every logged metrics dict (each has its `step`)."""
    db = store.connect()
    row = get(job_id, db)
    found = summary(row)
    found["metrics"] = metrics.read(RunFolder(Path(row["run_dir"])).metrics) if row["run_dir"] else []
    found["queue_position"] = len(job_queue.ahead_of(db, row["id"])) if row["status"] == "queued" else None
    return found


def run_folder(job_id: int) -> RunFolder:
    row = get(job_id)
    if not row["run_dir"]:
        raise NotFound(f"job {job_id} has no run folder")
    return RunFolder(Path(row["run_dir"]))


def log_tail(job_id: int, lines: int = 40) -> str:
    try:
        text = run_folder(job_id).log.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def wait(job_id: int, poll: float = 0.5, timeout: float | None = None) -> dict:
    """Block until the job has ended (or `timeout` seconds passed); returns `show(job_id)`."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        reconcile()
        if get(job_id)["status"] in ENDED:
            return show(job_id)
        if deadline is not None and time.monotonic() > deadline:
            return show(job_id)
        time.sleep(poll)


# ----- controlling -----
def cancel(job_id: int, grace: float = CANCEL_GRACE) -> dict:
    """Stop a queued or running job: SIGTERM to all its processes, SIGKILL after `grace` seconds.

    It returns once every process is gone, and only then records the job cancelled.
    """
    db = store.connect()
    row = get(job_id, db)
    cursor = db.execute("update jobs set status = 'cancelling' where id = ? and status in ('queued', 'running')",
                        [job_id])
    db.conn.commit()
    if cursor.rowcount != 1:
        raise StateError(f"job {job_id} is not queued or running (it is {get(job_id, db)['status']})")
    left = stop_processes(row, grace)
    if left:
        raise StateError(f"job {job_id}: processes {sorted(left)} did not stop; stop them by hand")
    finish(db, job_id, "cancelled", None)
    return show(job_id)


def resume(job_id: int, overrides: dict | None = None) -> dict:
    """Continue an ended job from its latest complete checkpoint, optionally with changed settings.

    Half-written checkpoints (a killed save) are deleted first. With no complete checkpoint the run
    starts over. `overrides` are TRL config fields, as in `TrainSpec.args`.
    """
    db = store.connect()
    row = get(job_id, db)
    if row["status"] in ACTIVE:
        raise StateError(f"job {job_id} is {row['status']}: it can be resumed once it has ended")
    run = RunFolder(Path(row["run_dir"]))
    spec = TrainSpec.load(run.spec)
    if overrides:
        spec = validate(dataclasses.replace(spec, args={**spec.args, **overrides}))
    run.remove_incomplete_checkpoints()
    latest = run.latest_checkpoint()
    if latest:
        _refuse_finished(job_id, spec, latest[1], bool(overrides))
    if overrides:
        spec.save(run.spec)
    metrics.truncate(run.metrics, latest[0] if latest else 0)
    run.error.unlink(missing_ok=True)
    shutil.rmtree(run.workers, ignore_errors=True)
    _start_supervisor(db, job_id, run, {
        "status": "queued", "error": None, "finished_at": None, "started_at": None,
        "first_step": None, "first_step_at": None, "step_at": None,
        "resumed_from_step": latest[0] if latest else 0,
    })
    return show(job_id)


def _refuse_finished(job_id: int, spec: TrainSpec, checkpoint: Path, changed: bool) -> None:
    """Refuse to resume from a checkpoint at the run's last step.

    The trainer checks for the end only after a step, so resuming at max_steps would train one
    step past it (or, at an epoch boundary, none at all).
    """
    import json

    state = json.loads((checkpoint / "trainer_state.json").read_text())
    step, limit = state.get("global_step", 0), spec.args.get("max_steps")
    if not (isinstance(limit, int) and limit > 0):
        # Trained by epochs: the checkpoint's own total holds only while no setting changed.
        limit = None if changed else state.get("max_steps")
    if limit and step >= limit:
        raise StateError(
            f"job {job_id} already trained to step {step}, its last (max_steps {limit}): there is nothing to "
            "resume; to train further, resume with a higher max_steps (e.g. max_steps="
            f"{step * 2})"
        )


# ----- keeping the table true -----
_ACTIVE_ROWS = ("select id, status, pid, pid_start_time, run_dir, created_at, started_at from jobs "
                "where status in ('queued', 'running', 'cancelling')")


def reconcile() -> list[int]:
    """End every queued or running job whose processes are gone (see `settle`); returns their ids.

    Run on every app and CLI start: it reads one small query and /proc, nothing more.
    """
    db = store.connect()
    return [row["id"] for row in db.query(_ACTIVE_ROWS) if settle(db, row)]


def reconcile_job(job_id: int) -> bool:
    """`reconcile` for one job only: cheap enough for every poll of a page showing it."""
    db = store.connect()
    row = next(db.query(_ACTIVE_ROWS + " and id = ?", [int(job_id)]), None)
    return row is not None and settle(db, row)


def settle(db, row: dict) -> bool:
    """End an active job whose processes are gone; True if this call ended it.

    It succeeded if its final model was saved (the supervisor died after the run's end), else it
    was interrupted, with the error the run recorded, if any.
    """
    if row["pid"] is None:
        if _age_seconds(row["created_at"]) < START_GRACE:
            return False
    elif procs.alive(row["pid"], row["pid_start_time"]):
        return False
    if row["status"] == "cancelling":  # its canceller went away before the end
        return not stop_processes(row, CANCEL_GRACE) and finish(db, row["id"], "cancelled", None)
    run = RunFolder(Path(row["run_dir"])) if row["run_dir"] else None
    if run and final_model_saved(row, run):
        status, error = "succeeded", None
    else:
        status, error = "interrupted", INTERRUPTED
        if run and run.error.exists():
            error = run.error.read_text().strip()
    if not finish(db, row["id"], status, error):
        return False
    stop_processes(row, CANCEL_GRACE)  # a launcher or worker that outlived its supervisor
    return True


def final_model_saved(row: dict, run: RunFolder) -> bool:
    """Whether the job's latest launch saved its final model."""
    from datetime import datetime

    started = row["started_at"]
    # started_at is cut to the second: one more keeps a card written in that second by the launch before.
    return bool(started) and run.final_model_saved(datetime.fromisoformat(started).timestamp() + 1)


def finish(db, job_id: int, status: str, error: str | None) -> bool:
    """Set an end status, unless the job has ended already; True if this call ended it."""
    cursor = db.execute(
        "update jobs set status = ?, error = ?, finished_at = ? where id = ? "
        "and status in ('queued', 'running', 'cancelling')",
        [status, error, store.now(), job_id],
    )
    db.conn.commit()
    return cursor.rowcount == 1


def stop_processes(row: dict, grace: float) -> set[int]:
    """Stop every process of the job still running (see procs.stop_family); returns any left."""
    leader = row["pid"] if procs.alive(row["pid"], row["pid_start_time"]) else None
    roots = worker_pids(row) | ({leader} if leader else set())
    return procs.stop_family(roots, group=leader, grace=grace) if roots else set()


def worker_pids(row: dict) -> set[int]:
    """Live launcher and training processes the run folder lists (they may sit in sessions of their own).

    Each is checked against its recorded start time, so a reused pid is never taken for ours.
    """
    if not row["run_dir"]:
        return set()
    folder = RunFolder(Path(row["run_dir"])).workers
    found = set()
    for path in folder.glob("*") if folder.is_dir() else []:
        try:
            pid, started = path.read_text().split()
            if procs.alive(int(pid), float(started) if started != "None" else None):
                found.add(int(pid))
        except (OSError, ValueError):
            continue
    return found


def _age_seconds(timestamp: str | None) -> float:
    from datetime import UTC, datetime

    if not timestamp:
        return float("inf")
    return (datetime.now(UTC) - datetime.fromisoformat(timestamp)).total_seconds()
