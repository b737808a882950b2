"""The local backend: the job runs on this machine, under a supervisor process (supervisor.py).

The supervisor leads its own session and process group, so the job outlives the app or CLI that
started it and stops as one. A job is known alive by its supervisor's pid and start time (procs.py);
the launcher and training processes leave theirs in the run folder's workers/.
"""

import os
import subprocess
import sys
import threading
from pathlib import Path

from alignui import hardware, settings
from alignui.errors import StateError
from alignui.train import jobs, procs
from alignui.train.run_folder import RunFolder


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
        proc = detached(["-m", "alignui.train.supervisor", str(job_id)], run.log, cwd=run.root)
        db["jobs"].update(job_id, {"pid": proc.pid, "pid_start_time": procs.start_time(proc.pid), **fields})

    def refresh(self, db, row: dict) -> bool:
        """A job whose supervisor is gone without a word has ended (see jobs.settle)."""
        return jobs.settle(db, row)

    def stop(self, db, row: dict, grace: float) -> None:
        left = jobs.stop_processes(row, grace)
        if left:
            raise StateError(f"job {row['id']}: processes {sorted(left)} did not stop; stop them by hand")


def detached(argv: list[str], log: Path, cwd: Path | None = None) -> subprocess.Popen:
    """Start `python ARGV` with our environment, its output appended to `log`, in its own session and
    process group: it outlives us and stops as one. Reaped when it ends, so a long-lived app collects
    no zombies."""
    with log.open("a") as out:
        proc = subprocess.Popen([sys.executable, *argv], cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=environment(), start_new_session=True)
    threading.Thread(target=proc.wait, daemon=True).start()
    return proc


def environment() -> dict[str, str]:
    """Ours, with this data home and this copy of alignui importable from any working folder."""
    package_root = str(Path(__file__).resolve().parents[3])
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, ALIGNUI_HOME=str(settings.home()), PYTHONPATH=path)
