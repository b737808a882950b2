"""The local backend: the job runs on this machine, under a supervisor process (supervisor.py).

The supervisor leads its own session and process group, so the job outlives the app or CLI that
started it and stops as one. A job is known alive by its supervisor's pid and start time (procs.py);
the launcher and training processes leave theirs in the run folder's workers/.
"""

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from alignui import hardware, settings
from alignui.errors import StateError
from alignui.train import jobs, procs
from alignui.train.run_folder import RunFolder

#: A row whose supervisor never recorded its pid is left alone this long (it may be starting).
START_GRACE = 60.0
INTERRUPTED = ("the job's processes ended without reporting (killed, or the machine restarted); "
               "resume it to continue from its last checkpoint")


class LocalBackend:
    name = "local"
    address = None
    remote = False

    def runs_dir(self) -> Path:
        return settings.runs_dir()

    def check(self, spec) -> None:
        if spec.hardware.machines == 1:  # on a multi-node run the GPUs are counted on each machine
            hardware.check(spec.hardware.gpus, spec.hardware.processes)

    def start(self, db, job_id: int, run: RunFolder, fields: dict) -> None:
        """Start the job's supervisor, then record its pid together with `fields` in one update.

        The supervisor does nothing until it finds its own pid in the row.
        """
        with run.log.open("a") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "alignui.train.supervisor", str(job_id)],
                cwd=run.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=environment(),
                start_new_session=True,  # its own session and process group: outlives us, stops as one
            )
        # Reap it when it ends so a long-lived app does not collect zombies.
        threading.Thread(target=proc.wait, daemon=True).start()
        db["jobs"].update(job_id, {"pid": proc.pid, "pid_start_time": procs.start_time(proc.pid), **fields})

    def refresh(self, db, row: dict) -> bool:
        """A job whose supervisor is gone without a word is interrupted (killed, or the machine restarted)."""
        if row["pid"] is None:
            if _age_seconds(row["created_at"]) < START_GRACE:
                return False
        elif procs.alive(row["pid"], row["pid_start_time"]):
            return False
        if row["status"] == "cancelling":  # its canceller went away before the end
            return not stop_processes(row, jobs.CANCEL_GRACE) and jobs.finish(db, row["id"], "cancelled", None)
        error = INTERRUPTED
        if row["run_dir"] and RunFolder(Path(row["run_dir"])).error.exists():
            error = RunFolder(Path(row["run_dir"])).error.read_text().strip()
        if not jobs.finish(db, row["id"], "interrupted", error):
            return False
        stop_processes(row, jobs.CANCEL_GRACE)  # a launcher or worker that outlived its supervisor
        return True

    def stop(self, db, row: dict, grace: float) -> None:
        left = stop_processes(row, grace)
        if left:
            raise StateError(f"job {row['id']}: processes {sorted(left)} did not stop; stop them by hand")


def environment() -> dict[str, str]:
    """Ours, with this data home and this copy of alignui importable from any working folder."""
    package_root = str(Path(__file__).resolve().parents[3])
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, ALIGNUI_HOME=str(settings.home()), PYTHONPATH=path)


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
    if not timestamp:
        return float("inf")
    return (datetime.now(UTC) - datetime.fromisoformat(timestamp)).total_seconds()
