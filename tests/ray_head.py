"""A local Ray head for tests and benchmarks: 127.0.0.1, free ports, N CPUs, a temp dir of its own.

`with local_head(num_cpus=2) as address:` yields the dashboard address (http://127.0.0.1:PORT) once
the Jobs API answers, and stops the head and every process it started on leaving.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conftest import free_port

from alignui.train import procs


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_range(size: int = 100) -> int:
    """The first of `size` ports that look free now (Ray's worker processes take theirs from the range)."""
    while True:
        base = free_port()
        if base + size < 65000 and all(_free(p) for p in range(base, base + size, 10)):
            return base


@contextlib.contextmanager
def local_head(num_cpus: int = 2, start_timeout: float = 120):
    # Short: Ray's socket paths under its temp dir have a length limit. Not /tmp itself: a Ray job
    # whose working folder is /tmp would import Ray's own /tmp/ray folder instead of the ray package.
    root = Path(tempfile.mkdtemp(prefix="ah", dir="/tmp"))
    workers = free_port_range()
    taken = set(range(workers, workers + 100))

    def outside() -> int:
        """A free port, distinct and outside the worker range: Ray refuses any port used twice."""
        while (port := free_port()) in taken:
            pass
        taken.add(port)
        return port

    dashboard = outside()
    ports = {"--port": outside(), "--dashboard-port": dashboard, "--node-manager-port": outside(),
             "--object-manager-port": outside(), "--dashboard-agent-listen-port": outside(),
             "--dashboard-agent-grpc-port": outside(), "--metrics-export-port": outside(),
             "--runtime-env-agent-port": outside(), "--ray-client-server-port": outside(),
             "--min-worker-port": workers, "--max-worker-port": workers + 99}
    bin_dir = Path(sys.executable).parent  # the job's `python` is this environment's
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", PATH=os.pathsep.join([str(bin_dir), os.environ["PATH"]]))
    log = (root / "head.log").open("w")
    head = subprocess.Popen(
        [str(bin_dir / "ray"), "start", "--head", "--block", "--num-cpus", str(num_cpus), "--num-gpus", "0",
         "--node-ip-address", "127.0.0.1", "--dashboard-host", "127.0.0.1", "--include-dashboard", "true",
         "--disable-usage-stats", "--temp-dir", str(root / "t"), *[str(x) for kv in ports.items() for x in kv]],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    address = f"http://127.0.0.1:{dashboard}"
    try:
        from ray.job_submission import JobSubmissionClient

        deadline = time.time() + start_timeout
        while True:
            if head.poll() is not None:
                raise RuntimeError("ray start exited:\n" + (root / "head.log").read_text())
            try:
                JobSubmissionClient(address).list_jobs()
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(1)
        yield address
    finally:
        # The head and everything it started (GCS, raylet, dashboard, workers): its group and descendants.
        procs.stop_family({head.pid}, group=head.pid, grace=15)
        head.wait(timeout=10)
        log.close()
        shutil.rmtree(root, ignore_errors=True)
