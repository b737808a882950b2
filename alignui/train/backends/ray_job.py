"""A ray job's driver, run on the cluster by the Ray Jobs API:
`python -P -m alignui.train.backends.ray_job RUN_DIR --workers N [--gpu]`.

It runs Ray Train's TorchTrainer with N workers (one GPU each with --gpu, else one CPU each). Ray
Train starts the workers, sets up their torch.distributed group (gloo on CPU, nccl on GPU) and the
RANK, WORLD_SIZE, LOCAL_RANK and MASTER_ADDR/PORT variables; each worker then runs the same
training entry as a local job (entry.train), whose TRL trainer takes that group for DDP. RUN_DIR
is on the shared storage (see ray.py): the workers read the spec and data and write metrics,
progress, checkpoints and the model there. What the driver and the workers print goes to the run
folder's train.log as well as to Ray's job log. A run that fails leaves its error in error.txt.
"""

import argparse
import sys
import time
from pathlib import Path

from alignui.train import entry
from alignui.train.run_folder import RunFolder

WORKER_DIED = ("a Ray Train worker died (killed, out of memory, or its node was lost); "
               "resume the job to continue from its last checkpoint")


class Tee:
    """A text stream writing to two others (Ray's job log and the run folder's train.log)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
            stream.flush()
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()

    def __getattr__(self, name):  # fileno, encoding, ...: those of Ray's own stream
        return getattr(self.streams[0], name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name if __spec__ else 'ray_job'}")
    parser.add_argument("run_dir")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--gpu", action="store_true", help="one GPU per worker (else one CPU)")
    args = parser.parse_args(argv)
    run = RunFolder(Path(args.run_dir))
    log = run.log.open("a")
    sys.stdout, sys.stderr = Tee(sys.stdout, log), Tee(sys.stderr, log)

    import ray.train
    from ray.train.torch import TorchConfig, TorchTrainer

    # By reference, not by value: the workers import it from the alignui that came with the job.
    from alignui.train.backends.ray_job import train_worker

    trainer = TorchTrainer(
        train_worker, train_loop_config={"run_dir": str(run.root)},
        scaling_config=ray.train.ScalingConfig(num_workers=args.workers, use_gpu=args.gpu),
        torch_config=TorchConfig(backend="nccl" if args.gpu else "gloo"),
        # A failed worker fails the job; `jobs resume` continues from the latest checkpoint.
        run_config=ray.train.RunConfig(name="ray", storage_path=str(run.root),
                                       failure_config=ray.train.FailureConfig(max_failures=0)),
    )
    print(f"alignui: Ray Train, {args.workers} worker(s) on {'GPU' if args.gpu else 'CPU'}", flush=True)
    try:
        trainer.fit()
    except Exception as error:
        print(f"alignui: Ray Train reports {type(error).__name__}: {error}", flush=True)
        if not run.error.exists() or worker_died():
            # The other workers' errors (a broken gloo connection) are only the echo of a death.
            run.error.write_text(WORKER_DIED + "\n")
        print(f"alignui: training failed: {run.error.read_text().strip()}", flush=True)
        return 1
    print("alignui: training finished", flush=True)
    return 0


def worker_died(wait: float = 10.0) -> bool:
    """Whether a Ray Train worker of this job died as a process (killed, lost), not by a Python error.

    Ray records why each actor died; a worker stopped by Ray Train after another's error says RAY_KILL.
    """
    import ray
    from ray.util.state import list_actors

    job = ray.get_runtime_context().get_job_id()
    deadline = time.monotonic() + wait  # the death may reach Ray's records after the error does
    while True:
        workers = list_actors(filters=[("class_name", "=", "RayTrainWorker"), ("job_id", "=", job)], detail=True)
        if any(((w.death_cause or {}).get("actor_died_error_context") or {}).get("reason") == "WORKER_DIED"
               for w in workers):
            return True
        if time.monotonic() > deadline or all(w.state == "DEAD" for w in workers):
            return False
        time.sleep(0.5)


def train_worker(config: dict) -> None:
    """One Ray Train worker: the training entry on the shared run folder."""
    run = RunFolder(Path(config["run_dir"]))
    try:
        entry.train(run)
    except BaseException as error:
        entry.record_error(run, error)
        raise


if __name__ == "__main__":
    raise SystemExit(main())
