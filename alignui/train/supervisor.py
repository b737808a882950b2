"""A job's supervisor: `python -m alignui.train.supervisor JOB_ID`, started detached by jobs.submit.

It leads the job's session and process group, waits for the job's turn in the queue, runs
`accelerate launch`, and records how the run ended, with the error itself when it failed. On
SIGTERM (a cancel) it stops its children and exits; nothing is left running behind it.
"""

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from alignui import store
from alignui.recipe.spec import TrainSpec
from alignui.train import job_queue, jobs, launcher, procs
from alignui.train.run_folder import RunFolder

#: Seconds between two looks at the queue.
QUEUE_POLL = 1.0
#: Seconds to wait for the submitter to record this process's pid.
PID_WAIT = 30.0


class Terminated(Exception):
    """SIGTERM arrived: the job is being cancelled."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job_id = int(argv[0])
    signal.signal(signal.SIGTERM, _terminate)
    db = store.connect()
    if not _wait_for_pid(db, job_id):
        return 1
    run = RunFolder(Path(db["jobs"].get(job_id)["run_dir"]))
    try:
        if not _wait_turn(db, job_id):
            return 0
        code = _launch(job_id, run)
    except Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_children(db, job_id)
        _say(run, "cancelled")
        if db["jobs"].get(job_id)["status"] != "cancelling":  # a SIGTERM from outside alignui's cancel
            jobs.finish(db, job_id, "cancelled", None)
        return 143
    except Exception as error:  # the job must not sit "running" with nothing behind it
        _stop_children(db, job_id)
        jobs.finish(db, job_id, "failed", f"the job could not be run: {type(error).__name__}: {error}")
        raise
    _stop_children(db, job_id)  # a worker that outlived its launcher must not keep holding a GPU
    if code == 0 or jobs.final_model_saved(db["jobs"].get(job_id), run):  # saved, then a crash on exit
        ended = jobs.finish(db, job_id, "succeeded", None)
    else:
        ended = jobs.finish(db, job_id, "failed", error_message(run, code))
    _say(run, f"ended: {db['jobs'].get(job_id)['status']}" + ("" if ended else " (set before the run ended)"))
    return 0


def _stop_children(db, job_id: int) -> None:
    procs.stop_family(jobs.worker_pids(db["jobs"].get(job_id)), group=os.getpid())


def _terminate(signum, frame):
    raise Terminated()


def _wait_for_pid(db, job_id: int) -> bool:
    deadline = time.monotonic() + PID_WAIT
    while time.monotonic() < deadline:
        if db["jobs"].get(job_id)["pid"] == os.getpid():
            return True
        time.sleep(0.05)
    return False


def _wait_turn(db, job_id: int) -> bool:
    """Block until the job may run (True), or until it was cancelled while queued (False)."""
    announced = False
    while not job_queue.claim(db, job_id):
        if db["jobs"].get(job_id)["status"] != "queued":
            return False
        if not announced:
            _say(RunFolder(Path(db["jobs"].get(job_id)["run_dir"])),
                 f"queued behind job(s) {job_queue.ahead_of(db, job_id)}")
            announced = True
        time.sleep(QUEUE_POLL)
        jobs.reconcile()  # a job that died without a word must not block the queue
    return True


def _launch(job_id: int, run: RunFolder) -> int:
    spec = TrainSpec.load(run.spec)
    command = launcher.command(spec, run)
    _say(run, "launching: " + shlex.join(command))
    with run.log.open("a") as log:
        child = subprocess.Popen(command, cwd=run.root, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, env=launcher.environment(spec, job_id))
        run.workers.mkdir(exist_ok=True)
        (run.workers / "launcher").write_text(f"{child.pid} {procs.start_time(child.pid)}\n")
        return child.wait()


def error_message(run: RunFolder, code: int) -> str:
    """Why the run failed, in the words of the process that failed."""
    if run.error.exists():
        return run.error.read_text().strip()
    try:
        lines = run.log.read_text(errors="replace").splitlines()[-300:]
    except FileNotFoundError:
        lines = []
    # The last exception line that is not the launcher reporting its child's exit status.
    for line in reversed(lines):
        if _is_exception_line(line) and "CalledProcessError" not in line:
            return line.strip()
    if code < 0 or code in (137, 143):
        number = -code if code < 0 else code - 128
        name = signal.Signals(number).name
        hint = " (the out-of-memory killer sends this)" if number == signal.SIGKILL else ""
        return f"the training process was killed by {name}{hint}"
    return f"the training process exited with status {code}; see the log for details"


def _is_exception_line(line: str) -> bool:
    head = line.split(":", 1)[0].strip()
    return (":" in line and " " not in head and head.split(".")[-1].endswith(("Error", "Exception"))
            or head in ("KeyboardInterrupt", "MemoryError"))


def _say(run: RunFolder, message: str) -> None:
    with run.log.open("a") as log:
        log.write(f"alignui [{store.now()}] {message}\n")


if __name__ == "__main__":
    raise SystemExit(main())
