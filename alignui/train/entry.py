"""The training process: `accelerate launch -m alignui.train.entry RUN_DIR`.

Reads the run folder's spec.yaml, builds the trainer, resumes from the latest complete checkpoint
if there is one, trains, and saves the model (or adapter) with its tokenizer, chat template and
model card into RUN_DIR/model. An error that ends the run is written to RUN_DIR/error.txt, so the
job shows the error itself rather than a launcher's "exit status 1".
"""

import math
import os
import signal
import sys
import traceback
from pathlib import Path

from alignui.errors import AlignUIError
from alignui.train import procs
from alignui.train.run_folder import RunFolder


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: accelerate launch -m alignui.train.entry RUN_DIR", file=sys.stderr)
        return 2
    run = RunFolder(Path(argv[0]).resolve())
    register_worker(run)
    try:
        train(run)
    except BaseException as error:
        if not isinstance(error, (KeyboardInterrupt, SystemExit)):
            record_error(run, error)
        raise
    # Everything is saved and closed. Tearing down torch, transformers and datasets module by
    # module takes seconds per process, which every job (and every DDP rank) would wait for.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def train(run: RunFolder) -> None:
    quiet_libraries()
    from alignui.recipe.spec import TrainSpec
    from alignui.train import callbacks, metrics, model_card, trainer_setup

    spec = TrainSpec.load(run.spec)
    callback = callbacks.MetricsCallback(run.metrics, callbacks.job_id_from_env(), run.progress)
    trainer = trainer_setup.trainer(spec, run, [callback])
    latest = run.latest_checkpoint()
    if trainer.is_world_process_zero():
        run.trl_config.write_text(trainer.args.to_json_string())
        print(plan(trainer), flush=True)
        if latest:
            print(f"alignui: resuming from {latest[1].name}", flush=True)
    trainer.train(resume_from_checkpoint=str(latest[1]) if latest else None)
    trainer.save_model(str(run.model))  # every process: DeepSpeed and FSDP gather shards here
    if trainer.is_world_process_zero():
        if spec.algo.scores:
            trainer_setup.save_merged(trainer, run.model)
        rows = sum(1 for line in run.train_data.read_text().splitlines() if line.strip())
        card = model_card.render(spec, metrics.read(run.metrics), rows,
                                 adapter=(run.model / "adapter_config.json").exists())
        (run.model / "README.md").write_text(card)
        print(f"alignui: saved {run.model}", flush=True)


def plan(trainer) -> str:
    """The run's derived numbers, printed up front: rows, processes, effective batch, steps."""
    args = trainer.args
    rows = len(trainer.train_dataset)
    held_out = len(trainer.eval_dataset) if trainer.eval_dataset is not None else 0
    batch = args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size
    steps = args.max_steps if args.max_steps > 0 else math.ceil(rows / batch) * math.ceil(args.num_train_epochs)
    return (f"alignui: {rows} training rows, {held_out} held out; {args.world_size} process(es); "
            f"effective batch {batch}; {steps} optimizer steps")


def quiet_libraries() -> None:
    """Progress bars and deprecation notices would bury the log's useful lines (logs, errors)."""
    import warnings

    import datasets
    from transformers.utils import logging

    warnings.filterwarnings("ignore", category=FutureWarning)
    datasets.disable_progress_bars()
    logging.disable_progress_bar()


def register_worker(run: RunFolder) -> None:
    """Leave this process's pid and start time in the run folder, and die with its launcher.

    Torch's elastic launcher starts workers in sessions of their own; a worker whose launcher was
    killed would otherwise keep running, holding its GPU.
    """
    rank = os.environ.get("RANK", "0")
    run.workers.mkdir(parents=True, exist_ok=True)
    (run.workers / rank).write_text(f"{os.getpid()} {procs.start_time(os.getpid())}\n")
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() == 1:  # the launcher was already gone before the line above
            os.kill(os.getpid(), signal.SIGTERM)


def record_error(run: RunFolder, error: BaseException) -> None:
    """Write the error once (the first process to fail wins) and print the traceback to the log."""
    traceback.print_exc()
    message = str(error) if isinstance(error, AlignUIError) else f"{type(error).__name__}: {error}"
    try:
        with run.error.open("x") as out:
            out.write(message.strip() + "\n")
    except FileExistsError:
        pass


if __name__ == "__main__":
    raise SystemExit(main())
