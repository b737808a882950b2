"""The ray backend against a real Ray head started here: loopback, free ports, 2 CPUs, its own temp dir.

One head serves every test of this module. Each job is a real 2-worker DPO run over gloo through
the Ray Jobs API and Ray Train; the head is stopped (with every process it started) at the end.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port, run_cli, serve_app
from ray_head import local_head
from test_train_data import data_file
from test_train_jobs import tiny_spec, wait_for

from alignui.recipe import form
from alignui.recipe.spec import HardwareSpec, TrainSpec
from alignui.train import backends, jobs, procs
from alignui.train.backends.ray_job import WORKER_DIED


@pytest.fixture(scope="module")
def ray_head():
    """A Ray head on 127.0.0.1 with 2 CPUs, shared by this module's tests; yields its dashboard address."""
    with local_head(num_cpus=2) as address:
        yield address


def ray_client(address):
    from ray.job_submission import JobSubmissionClient

    return JobSubmissionClient(address)


def alive_workers(address) -> list:
    from ray.util.state import list_actors

    return list_actors(address=address, filters=[("class_name", "=", "RayTrainWorker"), ("state", "=", "ALIVE")],
                       detail=True)


TINY = ["--set", "per_device_train_batch_size=2", "--set", "max_length=32", "--set", "logging_steps=1",
        "--eval-fraction", "0"]


@pytest.mark.timeout(400)
def test_a_two_worker_dpo_job_succeeds_on_the_cluster(tmp_path, alignui_home, tiny_model, ray_head):
    result = run_cli("train", "--backend", "ray", "--address", ray_head, "--algorithm", "dpo", "--model", tiny_model,
                     "--data", data_file(tmp_path, "dpo"), "--processes", 2, "--set", "max_steps=3", *TINY,
                     "--wait", "--json", home=alignui_home)
    job = json.loads(result.stdout)
    assert result.returncode == 0, (job["error"], result.stderr)
    assert (job["status"], job["step"], job["max_steps"], job["world_size"]) == ("succeeded", 3, 3, 2)
    assert job["backend"] == "ray"
    assert job["cluster_job_id"] in {j.submission_id for j in ray_client(ray_head).list_jobs()}
    assert [m["step"] for m in job["metrics"] if "loss" in m] == [1, 2, 3]
    assert (Path(job["output_dir"]) / "model.safetensors").exists()

    shown = run_cli("jobs", "show", job["job_id"], "--log", 200, home=alignui_home, check=True).stdout
    assert "step:       3/3 on 2 process(es)" in shown and "loss:" in shown
    assert "2 process(es); effective batch 4" in shown  # the workers' own lines reach train.log


@pytest.mark.timeout(600)
def test_a_killed_worker_fails_the_job_and_resume_continues_from_the_checkpoint(
        tmp_path, alignui_home, tiny_model, ray_head):
    spec = tiny_spec(tiny_model, data_file(tmp_path, "dpo"), processes=2, max_steps=400, save_steps=3)
    job = jobs.submit(spec, backend=backends.choose("ray", ray_head))
    run = jobs.run_folder(job["job_id"])
    wait_for(run.latest_checkpoint, timeout=300, what="a first checkpoint")
    victim = alive_workers(ray_head)[-1].pid
    os.kill(victim, signal.SIGKILL)

    failed = jobs.wait(job["job_id"], timeout=120)
    assert failed["status"] == "failed" and failed["error"] == WORKER_DIED
    assert not alive_workers(ray_head)
    run.remove_incomplete_checkpoints()
    checkpoint_step = run.latest_checkpoint()[0]

    result = run_cli("jobs", "resume", job["job_id"], "--set", f"max_steps={checkpoint_step + 2}", "--wait", "--json",
                     home=alignui_home)
    resumed = json.loads(result.stdout)
    assert resumed["status"] == "succeeded", resumed["error"]
    assert resumed["resumed_from_step"] == checkpoint_step
    assert (resumed["step"], resumed["world_size"]) == (checkpoint_step + 2, 2)
    assert resumed["cluster_job_id"] != failed["cluster_job_id"]
    assert [m["step"] for m in resumed["metrics"] if "loss" in m] == list(range(1, checkpoint_step + 3))
    assert "resuming from checkpoint-" in jobs.log_tail(job["job_id"], 400)


@pytest.mark.timeout(500)
def test_a_job_launched_in_the_train_tab_outlives_the_app_and_cancel_stops_its_workers(
        tmp_path, alignui_home, tiny_model, ray_head):
    from gradio_client import Client

    alignui_home.mkdir(exist_ok=True)
    with serve_app(alignui_home, env={"ALIGNUI_RAY_ADDRESS": ray_head}) as (url, _):
        client = Client(url, verbose=False)
        hardware, _datasets, _table, _newest, backend = client.predict(api_name="/hardware")
        assert f"Ray cluster at `{ray_head}`: 1 node(s), 2 CPUs, 0 GPUs." in hardware
        # The choice is shown, with ray as the default: a cluster is configured.
        assert (backend["visible"], backend["value"]) == (True, "ray")
        spec = TrainSpec("dpo", "", "", args={"max_steps": 5000, "max_length": 32, "per_device_train_batch_size": 2,
                                              "logging_steps": 1}, hardware=HardwareSpec(processes=2), eval_fraction=0)
        values = form.values_from_spec(spec)
        message, job_id, _table = client.predict("dpo", str(tiny_model), str(data_file(tmp_path, "dpo")),
                                                 *[values[name] for name in form.NAMES], "ray", api_name="/launch")
        assert "on the Ray cluster as `alignui-" in message
    # The app is gone; fresh processes pick the job up from the cluster, as a restarted app does.

    def training():
        shown = json.loads(run_cli("jobs", "show", job_id, "--json", home=alignui_home, check=True).stdout)
        return shown if shown["status"] == "running" and (shown["step"] or 0) >= 1 else None

    running = wait_for(training, timeout=300, what="the job to train")
    assert running["backend"] == "ray" and running["world_size"] == 2 and running["metrics"]
    workers = [w.pid for w in alive_workers(ray_head)]
    assert len(workers) == 2

    cancelled = json.loads(run_cli("jobs", "cancel", job_id, "--json", home=alignui_home, check=True).stdout)
    assert cancelled["status"] == "cancelled"
    assert ray_client(ray_head).get_job_status(cancelled["cluster_job_id"]).value == "STOPPED"
    wait_for(lambda: not alive_workers(ray_head) and not any(procs.alive(p) for p in workers), timeout=30,
             what="the Ray Train workers to stop")
    jobs.reconcile()  # a later look at the cluster does not undo the cancel
    assert jobs.get(job_id)["status"] == "cancelled"


def test_an_unreachable_cluster_is_refused_at_submit_and_leaves_no_job(tmp_path, alignui_home, tiny_model):
    address = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    args = ["train", "--algorithm", "dpo", "--model", tiny_model, "--data", data_file(tmp_path, "dpo"),
            "--processes", 2, "--json"]
    refused = run_cli(*args, "--backend", "ray", "--address", address, home=alignui_home)
    assert refused.returncode != 0
    assert f"cannot reach the Ray cluster at {address}" in refused.stderr
    assert "Traceback" not in refused.stderr

    # ALIGNUI_RAY_ADDRESS makes ray the default backend.
    env = {**os.environ, "ALIGNUI_HOME": str(alignui_home), "ALIGNUI_RAY_ADDRESS": address}
    by_default = subprocess.run([sys.executable, "-m", "alignui", *map(str, args)], capture_output=True, text=True,
                                env=env, cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert by_default.returncode != 0 and f"cannot reach the Ray cluster at {address}" in by_default.stderr

    assert json.loads(run_cli("jobs", "list", "--json", home=alignui_home, check=True).stdout) == {"jobs": []}
    assert not list(alignui_home.glob("runs/*"))


def test_the_local_path_never_imports_ray(tmp_path):
    """A user without Ray: train, list and reconcile jobs with `ray` unimportable."""
    code = (
        "import sys; sys.modules['ray'] = None\n"  # `import ray` now raises ImportError
        "from alignui.train import backends, jobs\n"
        "from alignui.errors import AlignUIError\n"
        "assert backends.choose().name == 'local'\n"
        "jobs.reconcile(); jobs.list_jobs()\n"
        "import alignui.cli, alignui.commands.train, alignui.commands.jobs\n"
        "from alignui.train.backends import ray as ray_backend\n"
        "try:\n"
        "    ray_backend.client('http://127.0.0.1:1')\n"
        "except AlignUIError as error:\n"
        "    print(error)\n"
    )
    env = {**os.environ, "ALIGNUI_HOME": str(tmp_path / "home")}
    env.pop("ALIGNUI_RAY_ADDRESS", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "cannot reach the Ray cluster" in result.stdout
