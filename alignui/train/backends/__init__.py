"""Where a job's processes run. Two backends share the job table, statuses and run folder:

- `local` (local.py), the default: a supervisor process on this machine runs `accelerate launch`.
  Nothing to install, nothing to start.
- `ray` (ray.py): the job is submitted to a Ray cluster through the Ray Jobs API; inside it, Ray
  Train's TorchTrainer runs the same training entry on N workers (ray_job.py). Chosen with
  `--backend ray --address http://HEAD:8265`, or by default when ALIGNUI_RAY_ADDRESS is set.

A backend is four operations on a job (see `Backend`); jobs.py does everything else the same way
for both. Ray is imported only by the ray backend, and only when a ray job is touched.
"""

import os
from pathlib import Path
from typing import Protocol

from alignui.errors import AlignUIError
from alignui.train.run_folder import RunFolder

NAMES = ("local", "ray")
#: Environment variable holding the Ray cluster's dashboard address; when set, ray is the default.
RAY_ADDRESS_ENV = "ALIGNUI_RAY_ADDRESS"


class Backend(Protocol):
    name: str
    address: str | None
    """The cluster's address (None for local)."""
    remote: bool
    """Whether the job's progress must be fetched (True) or is written to the job row by the job itself."""

    def runs_dir(self) -> Path:
        """Where run folders of this backend's jobs are made."""

    def check(self, spec) -> None:
        """Refuse, before any job row exists, a job this backend cannot run (AlignUIError)."""

    def start(self, db, job_id: int, run: RunFolder, fields: dict) -> None:
        """Launch the job (a first run or a resume) and record it in the row together with `fields`."""

    def refresh(self, db, row: dict) -> bool:
        """Bring a queued or running row up to date with reality; True if this call ended the job."""

    def stop(self, db, row: dict, grace: float) -> None:
        """Stop every process of the job (SIGKILL after `grace` seconds); AlignUIError if some are left."""


def ray_address() -> str | None:
    return os.environ.get(RAY_ADDRESS_ENV) or None


def default_name() -> str:
    return "ray" if ray_address() else "local"


def choose(name: str | None = None, address: str | None = None) -> Backend:
    """The backend to submit a new job to: `name` (default: ray if ALIGNUI_RAY_ADDRESS is set, else local)."""
    name = name or default_name()
    if name == "local":
        if address:
            raise AlignUIError("--address is for the ray backend; add --backend ray")
        from alignui.train.backends.local import LocalBackend

        return LocalBackend()
    if name == "ray":
        address = address or ray_address()
        if not address:
            raise AlignUIError(f"the ray backend needs the cluster's address: --address http://HEAD:8265, "
                               f"or set {RAY_ADDRESS_ENV}")
        from alignui.train.backends.ray import RayBackend

        return RayBackend(address)
    raise AlignUIError(f"unknown backend {name!r}; choose one of {', '.join(NAMES)}")


def of(row: dict) -> Backend:
    """The backend a job was submitted to."""
    return choose(row.get("backend") or "local", row.get("cluster_address"))
