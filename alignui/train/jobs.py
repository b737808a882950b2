"""Training jobs: submit, watch, cancel, resume, and reconcile the job table with reality.

A job is a row in the `jobs` table, a run folder (run_folder.py) and processes that a backend
(backends/) starts: on this machine, a supervisor process (supervisor.py) that leads its own session,
waits for the job's turn in the queue, runs `accelerate launch` and records how the run ended; or a
Ray job on a cluster. Watching, cancelling and reconciling import nothing heavy, so the app and the
CLI stay fast; only `submit` (and `resume` with changed settings) checks the spec against TRL.

Statuses: queued → running → succeeded | failed | cancelled, and interrupted for a job whose
processes vanished without a word (killed, or the machine restarted). A cancel passes through
cancelling while its processes stop: the job is recorded cancelled only once none is left, and until
then the queue starts nothing on its GPUs.
"""

import dataclasses
import os
import shutil
import time
from pathlib import Path

from sqlite_utils.db import NotFoundError

from alignui import disk, settings, store
from alignui.errors import AlignUIError, DataError, Forbidden, NotFound, SpecError, StateError
from alignui.people import acting
from alignui.recipe.spec import TrainSpec
from alignui.recipe.validate import validate
from alignui.train import backends, job_queue, metrics, procs
from alignui.train.run_folder import RunFolder

ACTIVE = ("queued", "running", "cancelling")
#: Roles that may start and steer jobs (raters may not).
TRAINERS = ("trainer", "admin")
ENDED = ("succeeded", "failed", "cancelled", "interrupted")
#: Seconds a cancelled job's processes get to exit on SIGTERM before SIGKILL.
CANCEL_GRACE = 10.0
#: A row whose supervisor never recorded its pid is left alone this long (it may be starting).
START_GRACE = 60.0
#: Bytes read from a log's end to find its last lines (widened when lines are long).
LOG_TAIL_BYTES = 16_384
INTERRUPTED = ("the job's processes ended without reporting (killed, or the machine restarted); "
               "resume it to continue from its last checkpoint")


# ----- submitting -----
def submit(spec: TrainSpec, parent_id: int | None = None, data_from: RunFolder | None = None,
           actor=None, backend: "backends.Backend | None" = None) -> dict:
    """Queue a training run on `backend` (default: backends.choose()) and start it; returns the job (see `show`).

    The dataset (a catalog name or a data file) is made TRL-ready, split (grouped by prompt) and
    written into the run folder as train.jsonl and eval.jsonl, so later edits to the catalog or the
    file never change what this job trains on. `data_from` reuses another run's split as it is.
    The job's owner is the acting user (see alignui.people.acting), who may hold at most
    `PeopleLimits.max_jobs_per_user` queued or running jobs. A job that cannot be started (bad input,
    a cluster out of reach) leaves no job row and no run folder.
    """
    actor = actor or acting.current()
    acting.require_role(TRAINERS, "starting a training job", actor)
    check_job_limit(store.connect(), actor)  # early, before the slow checks; again under the lock below
    backend = backend or backends.choose()
    spec = validate(dataclasses.replace(spec, model=resolve_model(spec.model),
                                        reward_model=resolve_reward_model(spec.reward_model)))
    backend.check(spec)
    disk.ensure_room(backend.runs_dir(), needed_bytes(spec), "this job's run folder")
    db = store.connect()
    job_id = _insert_within_limit(db, actor, {
        "status": "queued", "algorithm": spec.algorithm, "model": spec.model, "dataset": spec.dataset,
        "gpus": spec.hardware.gpus, "parent_id": parent_id, "created_at": store.now(),
        "owner": acting.owner_name(actor), "backend": backend.name, "cluster_address": backend.address,
    })
    run = RunFolder(backend.runs_dir() / str(job_id))
    try:
        run.root.mkdir(parents=True)
    except OSError as error:  # never clean up a folder that is not ours
        db["jobs"].delete(job_id)
        raise AlignUIError(f"cannot make the run folder {run.root}: {error}; a run folder of that name "
                           "exists already when two data homes share one storage folder") from None
    try:
        if data_from is not None:
            copy_split(data_from, run)
        else:
            snapshot_dataset(spec, run)
        spec.save(run.spec)
        db["jobs"].update(job_id, {"run_dir": str(run.root), "output_dir": str(run.model)})
        backend.start(db, job_id, run, {})
    except BaseException:
        db["jobs"].delete(job_id)
        shutil.rmtree(run.root, ignore_errors=True)
        raise
    return show(job_id)


def needed_bytes(spec: TrainSpec) -> int:
    """A floor for what a run folder will take: its copy of the data, plus one copy of a local model's
    weights when every weight is trained (checkpoints come on top)."""
    from alignui.data import catalog

    data = Path(catalog.get(spec.dataset).path) if catalog.NAME_PATTERN.fullmatch(spec.dataset) \
        and catalog.exists(spec.dataset) else Path(spec.dataset).expanduser()
    model = disk.folder_size(Path(spec.model)) if spec.lora is None and Path(spec.model).is_dir() else 0
    return disk.folder_size(data) + model


def _insert_within_limit(db, actor, row: dict) -> int:
    """Insert the job row unless its owner already holds the most active jobs allowed.

    Count and insert happen under one write lock, so two submits at once cannot both slip in.
    """
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        check_job_limit(db, actor)
        job_id = db["jobs"].insert(row).last_pk
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")
    return job_id


def check_job_limit(db, actor) -> None:
    """Refuse a named user who already holds `max_jobs_per_user` queued or running jobs."""
    if actor is None:
        return
    limit = settings.PeopleLimits.from_env().max_jobs_per_user
    held = db.execute(f"select count(*) from jobs where owner = ? and status in ({', '.join('?' * len(ACTIVE))})",
                      [actor.name, *ACTIVE]).fetchone()[0]
    if held >= limit:
        raise Forbidden(f"you have {held} jobs queued or running, the most one person may hold "
                        f"(ALIGNUI_MAX_JOBS_PER_USER={limit}); wait for one to end or cancel one")


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
    from alignui.data.jsonl import read_jsonl, write_jsonl
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
        "owner": row.get("owner") or "",
        "backend": row["backend"], "cluster_job_id": row["cluster_job_id"],
        "eta_seconds": metrics.eta_seconds(row["step"], row["max_steps"], row["first_step"],
                                          row["first_step_at"], row["step_at"])
        if row["status"] == "running" else None,
    }


def show(job_id: int) -> dict:
    """Everything known about a job, with every logged metrics dict (each has its `step`)."""
    db = store.connect()
    row = get(job_id, db)
    backend = backends.of(row)
    if backend.remote and row["status"] in ACTIVE:  # nothing on the cluster writes to this database
        backend.refresh(db, row)
        row = get(job_id, db)
    found = summary(row)
    found["metrics"] = metrics.read(RunFolder(Path(row["run_dir"])).metrics) if row["run_dir"] else []
    found["queue_position"] = (len(job_queue.ahead_of(db, row["id"]))
                               if row["status"] == "queued" and not backend.remote else None)
    return found


def run_folder(job_id: int) -> RunFolder:
    row = get(job_id)
    if not row["run_dir"]:
        raise NotFound(f"job {job_id} has no run folder")
    return RunFolder(Path(row["run_dir"]))


def log_tail(job_id: int, lines: int = 40) -> str:
    """The log's last `lines` lines, read from its end (a long run's log can be large)."""
    try:
        with run_folder(job_id).log.open("rb") as log:
            size = log.seek(0, os.SEEK_END)
            window = LOG_TAIL_BYTES
            while True:  # widen the window until it holds enough lines, or the whole log
                log.seek(max(0, size - window))
                chunk = log.read()
                if chunk.count(b"\n") > lines or window >= size:
                    break
                window *= 4
    except FileNotFoundError:
        return ""
    found = chunk.decode(errors="replace").splitlines()
    if window < size:
        found = found[1:]  # the window's first line may be cut
    return "\n".join(found[-lines:])


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
def cancel(job_id: int, grace: float = CANCEL_GRACE, actor=None) -> dict:
    """Stop a queued or running job: SIGTERM to all its processes, SIGKILL after `grace` seconds.

    It returns once every process is gone, and only then records the job cancelled. Only the
    job's owner or an admin may (see alignui.people.acting.require_owner).
    """
    db = store.connect()
    row = get(job_id, db)
    acting.require_owner(row["owner"], f"cancelling job {job_id}", actor)
    cursor = db.execute("update jobs set status = 'cancelling' where id = ? and status in ('queued', 'running')",
                        [job_id])
    db.conn.commit()
    if cursor.rowcount != 1:
        raise StateError(f"job {job_id} is not queued or running (it is {get(job_id, db)['status']})")
    backends.of(row).stop(db, row, grace)
    finish(db, job_id, "cancelled", None)
    return show(job_id)


def resume(job_id: int, overrides: dict | None = None, actor=None) -> dict:
    """Continue an ended job from its latest complete checkpoint, optionally with changed settings.

    Half-written checkpoints (a killed save) are deleted first. With no complete checkpoint the run
    starts over. `overrides` are TRL config fields, as in `TrainSpec.args`. Only the job's owner
    or an admin may resume it.
    """
    db = store.connect()
    row = get(job_id, db)
    acting.require_owner(row["owner"], f"resuming job {job_id}", actor)
    check_job_limit(db, actor or acting.current())
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
    run.progress.unlink(missing_ok=True)
    shutil.rmtree(run.workers, ignore_errors=True)
    backends.of(row).start(db, job_id, run, {
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
_ACTIVE_ROWS = "select * from jobs where status in ('queued', 'running', 'cancelling')"


def reconcile() -> list[int]:
    """Bring queued, running and cancelling jobs up to date with reality; returns the ids of those that ended.

    Run on every app and CLI start, and while waiting: a local job whose processes are gone is
    interrupted (one small query and /proc); a ray job gets the status its cluster reports.
    """
    db = store.connect()
    return [row["id"] for row in db.query(_ACTIVE_ROWS) if backends.of(row).refresh(db, row)]


def reconcile_job(job_id: int) -> bool:
    """`reconcile` for one job only: cheap enough for every poll of a page showing it."""
    db = store.connect()
    row = next(db.query(_ACTIVE_ROWS + " and id = ?", [int(job_id)]), None)
    return row is not None and backends.of(row).refresh(db, row)


def settle(db, row: dict) -> bool:
    """End an active local job whose processes are gone; True if this call ended it.

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


def finish(db, job_id: int, status: str, error: str | None, finished_at: str | None = None) -> bool:
    """Set an end status, unless the job has ended already; True if this call ended it."""
    cursor = db.execute(
        "update jobs set status = ?, error = ?, finished_at = ? where id = ? "
        "and status in ('queued', 'running', 'cancelling')",
        [status, error, finished_at or store.now(), job_id],
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
