"""Jobs that survive anything: kill -9 then resume, cancel leaving nothing behind, the queue, DDP on CPU."""

import json
import os
import signal
import time

import pytest
from conftest import run_cli
from test_train_data import data_file

from alignui.recipe.spec import HardwareSpec, TrainSpec
from alignui.train import jobs, procs


def tiny_spec(model, data, processes=1, **args) -> TrainSpec:
    return TrainSpec("dpo", str(model), str(data), eval_fraction=0, hardware=HardwareSpec(processes=processes),
                     args={"per_device_train_batch_size": 2, "max_length": 32, "logging_steps": 1, **args})


def wait_for(condition, timeout=120, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def processes_of(job_id) -> set[int]:
    row = jobs.get(job_id)
    return procs.family({row["pid"]} | jobs.worker_pids(row), group=row["pid"])


@pytest.mark.timeout(300)
def test_kill_9_of_a_two_process_job_then_resume_to_the_end(tmp_path, alignui_home, tiny_model):
    job = jobs.submit(tiny_spec(tiny_model, data_file(tmp_path, "dpo"), processes=2, max_steps=400, save_steps=3))
    run = jobs.run_folder(job["job_id"])
    wait_for(run.latest_checkpoint, what="a first checkpoint")
    family = processes_of(job["job_id"])
    assert len(family) >= 4  # supervisor, launcher, two training processes

    os.killpg(jobs.get(job["job_id"])["pid"], signal.SIGKILL)
    # The training processes sit in sessions of their own; they die with their launcher.
    wait_for(lambda: not any(procs.alive(pid) for pid in family), timeout=30, what="every process to die")
    assert jobs.reconcile() == [job["job_id"]]
    killed = jobs.get(job["job_id"])
    assert killed["status"] == "interrupted" and killed["world_size"] == 2
    checkpoint_step = run.latest_checkpoint()[0]

    # Resume through the CLI, with a changed setting: train up to step 9 only.
    result = run_cli("jobs", "resume", job["job_id"], "--set", "max_steps=9", "--wait", "--json", home=alignui_home)
    resumed = json.loads(result.stdout)
    assert resumed["status"] == "succeeded", resumed["error"]
    assert resumed["resumed_from_step"] == checkpoint_step
    assert (resumed["step"], resumed["max_steps"], resumed["world_size"]) == (9, 9, 2)
    steps = [m["step"] for m in resumed["metrics"] if "loss" in m]
    assert steps == list(range(1, 10))  # steps logged after the checkpoint were logged again, once
    assert "resuming from checkpoint-" in jobs.log_tail(job["job_id"], 400)


@pytest.mark.timeout(300)
def test_cancel_leaves_no_process_and_the_queued_job_then_runs(tmp_path, alignui_home, tiny_model):
    data = data_file(tmp_path, "dpo")
    first = jobs.submit(tiny_spec(tiny_model, data, max_steps=5000, save_steps=10000))["job_id"]
    second = jobs.submit(tiny_spec(tiny_model, data, max_steps=2))["job_id"]
    wait_for(lambda: (jobs.get(first)["step"] or 0) >= 1, what="the first job to train")
    waiting = jobs.show(second)
    assert waiting["status"] == "queued" and waiting["queue_position"] == 1
    family = processes_of(first)
    leader = jobs.get(first)["pid"]

    cancelled = json.loads(run_cli("jobs", "cancel", first, "--json", home=alignui_home, check=True).stdout)

    assert cancelled["status"] == "cancelled"
    assert not any(procs.alive(pid) for pid in family)
    assert not [p for p in procs.all_processes() if p.pgid == leader]
    done = jobs.wait(second, timeout=120)
    assert done["status"] == "succeeded" and done["step"] == 2
    assert jobs.get(first)["status"] == "cancelled"  # its supervisor did not overwrite the cancel
    assert done["started_at"] >= jobs.get(first)["finished_at"]  # the next job waited for the last process


def test_a_cancelling_job_holds_the_queue_like_a_running_one(alignui_home):
    from alignui import store
    from alignui.train import job_queue

    db = store.connect()
    ids = [db["jobs"].insert({"status": status, "algorithm": "dpo", "gpus": "", "created_at": store.now()}).last_pk
           for status in ("cancelling", "queued")]
    assert job_queue.ahead_of(db, ids[1]) == [ids[0]]
    assert not job_queue.claim(db, ids[1])
