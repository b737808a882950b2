"""The job table's bookkeeping without training: the queue, reconcile, and refusals."""

import os
import subprocess
import sys

import pytest

from alignui import store
from alignui.errors import AlignUIError
from alignui.train import job_queue, jobs, procs
from alignui.train.run_folder import RunFolder


def add_job(db, status="queued", gpus="", pid=None, started=None, run_dir=None, created_at=None):
    return db["jobs"].insert({"status": status, "algorithm": "dpo", "gpus": gpus, "pid": pid,
                              "pid_start_time": started, "run_dir": run_dir,
                              "created_at": created_at or store.now()}).last_pk


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_gpu_sets_overlap_when_they_share_a_gpu_or_one_means_all():
    assert job_queue.overlaps("0,1", "1,2")
    assert not job_queue.overlaps("0", "1")
    assert job_queue.overlaps("", "3") and job_queue.overlaps(None, "")


def test_one_job_runs_per_gpu_set_and_the_others_wait_oldest_first():
    db = store.connect()
    first = add_job(db, gpus="0")
    second = add_job(db, gpus="0")
    elsewhere = add_job(db, gpus="1")
    assert not job_queue.claim(db, second)  # the older job on GPU 0 goes first
    assert job_queue.claim(db, first)
    assert job_queue.claim(db, elsewhere)  # GPU 1 is free
    assert job_queue.ahead_of(db, second) == [first]
    assert not job_queue.claim(db, second)
    db["jobs"].update(first, {"status": "succeeded"})
    assert job_queue.claim(db, second)
    assert db["jobs"].get(second)["status"] == "running" and db["jobs"].get(second)["started_at"]


def test_all_gpus_wait_for_any_running_job():
    db = store.connect()
    running = add_job(db, gpus="2")
    everything = add_job(db, gpus="")
    assert job_queue.claim(db, running)
    assert not job_queue.claim(db, everything)


def test_reconcile_marks_jobs_whose_processes_are_gone_as_interrupted(tmp_path):
    db = store.connect()
    me = os.getpid()
    alive = add_job(db, status="running", pid=me, started=procs.start_time(me))
    gone = add_job(db, status="running", pid=dead_pid())
    reused = add_job(db, status="queued", pid=me, started=procs.start_time(me) - 1000)  # pid reused since
    starting = add_job(db, status="queued")  # submitted this instant, pid not recorded yet
    run = RunFolder(tmp_path)
    run.error.write_text("CUDA out of memory\n")
    with_error = add_job(db, status="running", pid=dead_pid(), run_dir=str(tmp_path))
    ended = add_job(db, status="succeeded", pid=dead_pid())

    assert sorted(jobs.reconcile()) == sorted([gone, reused, with_error])

    status = {row["id"]: row for row in db["jobs"].rows}
    assert status[alive]["status"] == "running" and status[starting]["status"] == "queued"
    assert status[gone]["status"] == "interrupted" and "resume" in status[gone]["error"]
    assert status[with_error]["error"] == "CUDA out of memory"
    assert status[ended]["status"] == "succeeded"
    assert jobs.reconcile() == []


def test_a_job_never_started_is_interrupted_after_the_start_grace():
    db = store.connect()
    stale = add_job(db, status="queued", created_at="2020-01-01T00:00:00+00:00")
    assert jobs.reconcile() == [stale]


def test_cancel_and_resume_refuse_jobs_in_the_wrong_state():
    db = store.connect()
    ended = add_job(db, status="succeeded")
    running = add_job(db, status="running", pid=os.getpid(), started=procs.start_time(os.getpid()))
    with pytest.raises(AlignUIError, match="not queued or running"):
        jobs.cancel(ended)
    with pytest.raises(AlignUIError, match="once it has ended"):
        jobs.resume(running)


def test_a_gpu_pick_this_machine_cannot_honour_is_refused_at_submission(tmp_path, tiny_model):
    from alignui import hardware
    from alignui.errors import SpecError
    from alignui.recipe.spec import HardwareSpec, TrainSpec

    if hardware.gpus():
        pytest.skip("this check is about a machine without GPUs")
    spec = TrainSpec("dpo", str(tiny_model), str(tmp_path / "d.jsonl"), hardware=HardwareSpec(gpus="0"))
    with pytest.raises(SpecError, match="no CUDA GPU"):
        jobs.submit(spec)
    assert jobs.list_jobs() == []
    hardware.check("", processes=2)  # DDP over gloo on the CPU is fine
    assert "CPU" in hardware.describe()


def test_reconcile_stops_a_training_process_that_outlived_its_supervisor(tmp_path):
    db = store.connect()
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    run = RunFolder(tmp_path)
    run.workers.mkdir()
    (run.workers / "0").write_text(f"{orphan.pid} {procs.start_time(orphan.pid)}\n")
    (run.workers / "1").write_text(f"{os.getpid()} {procs.start_time(os.getpid()) - 1000}\n")  # a reused pid
    job = add_job(db, status="running", pid=dead_pid(), run_dir=str(tmp_path))

    assert jobs.reconcile() == [job]

    assert orphan.wait(timeout=15) == -15  # SIGTERM
    assert procs.alive(os.getpid())  # the stranger with a reused pid was left alone
