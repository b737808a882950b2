"""The job table tells the truth: a dead supervisor, a model saved before the crash, resuming at the end."""

import os
import signal

import pytest
from gradio_client.exceptions import AppError
from test_train_data import data_file, tiny_settings
from test_train_jobs import tiny_spec, wait_for
from test_ui_train import launch

from alignui.errors import AlignUIError
from alignui.train import jobs, procs


@pytest.mark.timeout(200)
def test_the_train_tab_shows_a_killed_supervisor_at_its_next_poll(client, tmp_path, tiny_model):
    launch(client, tiny_model, data_file(tmp_path, "dpo"), "\n".join(tiny_settings("dpo") + ["max_steps=400"]))
    job_id = max(row[0] for row in client.predict(api_name="/jobs")["data"])
    job = wait_for(lambda: (shown := client.predict(job_id, api_name="/job_status")[0])["status"] == "running"
                   and shown, what="the job to run")
    os.kill(job["pid"], signal.SIGKILL)
    wait_for(lambda: not procs.alive(job["pid"]), timeout=10, what="the supervisor to die")
    shown, status = client.predict(job_id, api_name="/job_status")[:2]
    assert shown["status"] == "interrupted" and "`interrupted`" in status
    assert "resume it" in shown["error"]


@pytest.mark.timeout(200)
def test_a_model_saved_before_the_supervisor_died_is_a_success_and_is_not_trained_past_its_end(
        tmp_path, tiny_model):
    job = jobs.submit(tiny_spec(tiny_model, data_file(tmp_path, "dpo"), max_steps=3, save_steps=2))
    run = jobs.run_folder(job["job_id"])
    wait_for(lambda: (run.workers / "launcher").exists(), what="the launcher")
    row = jobs.get(job["job_id"])
    os.kill(row["pid"], signal.SIGSTOP)  # frozen: its training processes go on to the end
    try:
        wait_for(lambda: (run.model / "README.md").exists() and not jobs.worker_pids(jobs.get(job["job_id"])),
                 timeout=150, what="the final model")
        assert jobs.get(job["job_id"])["status"] == "running"
    finally:
        os.kill(row["pid"], signal.SIGKILL)
    wait_for(lambda: not procs.alive(row["pid"], row["pid_start_time"]), timeout=10, what="the supervisor to die")
    assert jobs.reconcile_job(job["job_id"])
    ended = jobs.get(job["job_id"])
    assert (ended["status"], ended["error"]) == ("succeeded", None)

    # Its last checkpoint is at max_steps: resuming would train a step past it.
    assert run.latest_checkpoint()[0] == 3
    with pytest.raises(AlignUIError, match="already trained to step 3, its last"):
        jobs.resume(job["job_id"])
    with pytest.raises(AlignUIError, match="already trained to step 3"):
        jobs.resume(job["job_id"], {"learning_rate": 1e-4})
    assert jobs.get(job["job_id"])["status"] == "succeeded"
    assert "learning_rate" not in run.spec.read_text()  # a refused resume changes nothing


def test_a_model_left_by_an_earlier_launch_does_not_count(tmp_path, tiny_model):
    from alignui.train.run_folder import RunFolder

    run = RunFolder(tmp_path)
    run.model.mkdir()
    (run.model / "model.safetensors").write_bytes(b"x")
    (run.model / "README.md").write_text("card")
    written = (run.model / "README.md").stat().st_mtime
    assert run.final_model_saved(written - 1) and not run.final_model_saved(written + 1)
    (run.model / "model.safetensors").unlink()
    assert not run.final_model_saved(0)


def test_a_finished_job_cannot_be_resumed_through_the_app(client):
    with pytest.raises(AppError, match="Pick a job first"):
        client.predict(None, "", api_name="/resume")
