"""The ray backend: a job is a Ray job on an existing cluster, submitted through the Ray Jobs API.

What travels where:
- alignui's own code goes with each submission (runtime_env `py_modules`); the cluster's Python
  must have the rest installed (requirements.txt and requirements-cluster.txt).
- The run folder (spec, data snapshot, log, metrics.jsonl, progress.json, checkpoints, model) is
  made under the storage folder: ALIGNUI_RAY_STORAGE, else the data home's runs/. That folder must
  be one shared filesystem, at the same path on this machine and on every node of the cluster:
  the workers read the spec and data from it and write checkpoints and the model into it (Ray
  Train's storage_path points there too), and this machine reads the progress back from it.
- A local model folder must be at the same path on every node as well (or give a hub id).

Nothing on the cluster writes to this machine's database: `refresh` asks Ray for the job's status
and copies progress.json into the job row, whenever the app or the CLI looks at the job, so a job
that ran while the app was down is picked up again. Ray is imported here, lazily, and nowhere else
outside the cluster.
"""

import json
import logging
import os
import secrets
import shlex
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from alignui import settings, store
from alignui.errors import AlignUIError, SpecError, StateError
from alignui.train import jobs, launcher
from alignui.train.run_folder import RunFolder

#: Environment variable naming the shared storage folder of ray jobs' run folders.
STORAGE_ENV = "ALIGNUI_RAY_STORAGE"
#: Seconds to wait for the cluster's dashboard to answer before calling it unreachable.
CONNECT_TIMEOUT = 5.0
#: The module the Ray job runs on the cluster.
DRIVER = "alignui.train.backends.ray_job"
#: Ray's job statuses and ours.
STATUSES = {"PENDING": "queued", "RUNNING": "running", "SUCCEEDED": "succeeded", "FAILED": "failed",
            "STOPPED": "cancelled"}
#: What a job row learns from progress.json.
PROGRESS_FIELDS = ("step", "max_steps", "world_size", "first_step", "first_step_at", "step_at")

_clients: dict[str, object] = {}


class RayBackend:
    name = "ray"
    remote = True

    def __init__(self, address: str):
        self.address = normalize(address)

    def runs_dir(self) -> Path:
        return Path(os.environ.get(STORAGE_ENV) or settings.runs_dir()).expanduser().resolve()

    def check(self, spec) -> None:
        if spec.hardware.gpus:
            raise SpecError("GPU ids pick GPUs of this machine; on a Ray cluster each worker gets a GPU "
                            "from Ray: leave the GPU choice empty")
        if spec.hardware.distributed not in ("auto", "ddp"):
            raise SpecError(f"{spec.hardware.distributed} runs on the local backend; ray jobs train with DDP")
        need = launcher.total_processes(spec)
        found = cluster_info(self.address)
        if found["gpus"] < need and found["cpus"] < need:
            raise SpecError(f"{need} workers need {need} CPUs or GPUs, but the Ray cluster at {self.address} "
                            f"has {found['cpus']:g} CPUs and {found['gpus']:g} GPUs")

    def start(self, db, job_id: int, run: RunFolder, fields: dict) -> None:
        spec_processes = launcher.total_processes(_load_spec(run))
        use_gpu = cluster_info(self.address)["gpus"] >= spec_processes
        submission_id = f"alignui-{job_id}-{secrets.token_hex(4)}"
        entrypoint = shlex.join(["python", "-P", "-m", DRIVER, str(run.root), "--workers", str(spec_processes),
                                 *(["--gpu"] if use_gpu else [])])
        try:
            client(self.address).submit_job(
                entrypoint=entrypoint, submission_id=submission_id,
                runtime_env={"py_modules": [str(Path(__file__).resolve().parents[2])],
                             # every worker's lines in the log, not "[repeated 2x across cluster]"
                             "env_vars": {**launcher.QUIET, "RAY_DEDUP_LOGS": "0",
                                          # Ray Train's print patch ignores print(file=...), and libraries
                                          # that capture their own output (dill) would flood the log
                                          "RAY_TRAIN_ENABLE_PRINT_PATCH": "0"}},
                metadata={"alignui_job_id": str(job_id)},
            )
        except Exception as error:  # the SDK raises RuntimeError, ConnectionError, ValueError...
            raise AlignUIError(f"the Ray cluster at {self.address} refused job {job_id}: {error}") from None
        with run.log.open("a") as log:
            log.write(f"alignui [{store.now()}] submitted to the Ray cluster at {self.address} as "
                      f"{submission_id}: {entrypoint}\n")
        db["jobs"].update(job_id, {"cluster_job_id": submission_id, "pid": None, "pid_start_time": None,
                                   "status": "queued", **fields})

    def refresh(self, db, row: dict) -> bool:
        """Ask Ray how the job stands; an unreachable cluster leaves the row as it is."""
        if not row["cluster_job_id"]:
            return False
        try:
            info = client(self.address).get_job_info(row["cluster_job_id"])
        except Exception:  # unreachable now; the next look will tell
            return False
        run = RunFolder(Path(row["run_dir"]))
        progress = read_progress(run)
        if progress:
            db["jobs"].update(row["id"], progress)
        status = STATUSES[info.status.value]
        if status == "running" and row["status"] == "queued":
            db.execute("update jobs set status = 'running', started_at = ? where id = ? and status = 'queued'",
                       [_timestamp(info.start_time), row["id"]])
            db.conn.commit()
        if status not in jobs.ENDED:
            return False
        error = None
        if status == "failed":
            error = run.error.read_text().strip() if run.error.exists() else (info.message or "").strip()
        elif status == "cancelled" and row["status"] != "cancelling":
            error = "the Ray job was stopped on the cluster, not through alignui"
        return jobs.finish(db, row["id"], status, error, _timestamp(info.end_time))

    def stop(self, db, row: dict, grace: float) -> None:
        """Stop the Ray job: Ray ends its driver, whose Ray Train workers end with it."""
        if not row["cluster_job_id"]:
            return
        try:
            ray_client = client(self.address)
            ray_client.stop_job(row["cluster_job_id"])
        except Exception as error:
            raise StateError(f"cannot stop Ray job {row['cluster_job_id']} at {self.address}: {error}") from None
        deadline = time.monotonic() + grace + 10  # Ray itself sends SIGKILL a few seconds after SIGTERM
        while not ray_client.get_job_status(row["cluster_job_id"]).is_terminal():
            if time.monotonic() > deadline:
                raise StateError(f"Ray job {row['cluster_job_id']} did not stop; stop it with "
                                   f"`ray job stop --address {self.address} {row['cluster_job_id']}`")
            time.sleep(0.2)


def normalize(address: str) -> str:
    """The dashboard's URL: http:// is added to a bare HOST:PORT."""
    address = address.strip().rstrip("/")
    return address if "://" in address else f"http://{address}"


def client(address: str):
    """A JobSubmissionClient for the cluster (one per address), or AlignUIError saying why not."""
    address = normalize(address)
    if address in _clients:
        return _clients[address]
    reachable(address)
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError:
        raise AlignUIError("the ray backend needs Ray: pip install -r requirements-cluster.txt") from None
    for name in ("ray.dashboard.modules.dashboard_sdk", "ray._private.runtime_env.packaging"):
        logging.getLogger(name).setLevel(logging.WARNING)  # not "Uploading package ..." on every submit
    try:
        found = JobSubmissionClient(address)
    except Exception as error:
        raise AlignUIError(f"cannot reach the Ray cluster at {address}: {error}") from None
    _clients[address] = found
    return found


def reachable(address: str) -> None:
    """Raise AlignUIError unless the dashboard's port accepts a connection within CONNECT_TIMEOUT."""
    url = urlparse(address)
    try:
        with socket.create_connection((url.hostname, url.port or 8265), timeout=CONNECT_TIMEOUT):
            return
    except OSError as error:
        raise AlignUIError(
            f"cannot reach the Ray cluster at {address} ({error.strerror or error}); start one with "
            "`ray start --head --dashboard-host 0.0.0.0`, or give its dashboard address with --address"
        ) from None


def cluster_info(address: str) -> dict:
    """The cluster's live nodes, CPUs and GPUs, as Ray reports them."""
    client(address)  # a clear error first when it is out of reach or Ray is missing
    from ray.util.state import list_nodes

    try:
        nodes = list_nodes(address=normalize(address), filters=[("state", "=", "ALIVE")], timeout=30)
    except Exception as error:
        raise AlignUIError(f"cannot list the nodes of the Ray cluster at {address}: {error}") from None
    return {"address": normalize(address), "nodes": len(nodes),
            "cpus": sum(n.resources_total.get("CPU", 0) for n in nodes),
            "gpus": sum(n.resources_total.get("GPU", 0) for n in nodes)}


def read_progress(run: RunFolder) -> dict:
    try:
        found = json.loads(run.progress.read_text())
    except (OSError, ValueError):
        return {}
    return {key: found[key] for key in PROGRESS_FIELDS if key in found}


def _load_spec(run: RunFolder):
    from alignui.recipe.spec import TrainSpec

    return TrainSpec.load(run.spec)


def _timestamp(milliseconds: int | None) -> str:
    if not milliseconds:
        return store.now()
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat(timespec="seconds")
