"""Align the demo model in-process with TRL and measure held-out accuracy before and after.

This is the measurement that shows the demo task works: a run on the training pool's preference
pairs, thumbs or prompts must raise greedy accuracy on problems no training file contains.
"""

import os
import tempfile
import time
from dataclasses import asdict, dataclass, field

from alignui import algorithms
from alignui.demo import DemoPaths, Progress, no_progress, paths, torch_threads
from alignui.demo.data import read_jsonl
from alignui.demo.evaluate import accuracy
from alignui.demo.task import accuracy_reward
from alignui.errors import NotFound, SpecError


@dataclass(frozen=True)
class DemoRun:
    """How one algorithm is run on the demo."""

    data: str
    """Which demo file it trains on: "preference", "thumbs", or "prompts" (scored by the verifier)."""
    args: dict = field(default_factory=dict)
    """Its own TRL config fields, on top of COMMON_ARGS."""


#: Settings every demo run shares: a CPU run with no logging service and no checkpoints.
COMMON_ARGS = {
    "use_cpu": True,
    "report_to": "none",
    "bf16": False,
    "activation_checkpointing": False,
    "save_strategy": "no",
    "per_device_train_batch_size": 64,
    "lr_scheduler_type": "constant",
    "logging_steps": 10,
    "disable_tqdm": True,
    "dataloader_num_workers": 0,
}

#: Per-algorithm settings, tuned on the demo (see benchmarks/demo_lift.py for what each achieves).
RUNS = {
    "dpo": DemoRun("preference", {"beta": 0.1, "learning_rate": 3e-4}),
    "ipo": DemoRun("preference", {"beta": 0.1, "learning_rate": 3e-4}),
    # Twice as many wrong replies as right ones in the thumbs file: weigh the right ones double.
    "kto": DemoRun("thumbs", {"beta": 0.1, "learning_rate": 3e-4, "desirable_weight": 2.0}),
    "simpo": DemoRun("preference", {"beta": 2.0, "simpo_gamma": 0.5, "learning_rate": 3e-4}),
    "orpo": DemoRun("preference", {"beta": 0.1, "learning_rate": 3e-4}),
    # 8 prompts x 8 sampled replies per step; replies are a few tokens, as in evaluation.
    "grpo": DemoRun("prompts", {"learning_rate": 3e-4, "num_generations": 8, "max_completion_length": 4}),
}

#: Optimizer steps of a full demo run: fixed, not timed, so runs agree.
DEFAULT_STEPS = 200


@dataclass
class AlignResult:
    """What one alignment run did to held-out accuracy."""

    algorithm: str
    """The algorithm that ran."""
    reference_accuracy: float
    """Greedy held-out accuracy of the demo model before training."""
    aligned_accuracy: float
    """Greedy held-out accuracy after training."""
    heldout_n: int
    """Held-out problems measured."""
    steps: int
    """Optimizer steps taken."""
    train_seconds: float
    """Wall-clock seconds in the trainer."""
    seconds: float
    """Wall-clock seconds of the whole run: loading, both measurements and training."""

    def to_dict(self) -> dict:
        return asdict(self)


def align(algorithm: str = "dpo", steps: int = DEFAULT_STEPS, demo: DemoPaths | None = None,
          progress: Progress = no_progress, seed: int = 0) -> AlignResult:
    """Train the demo model with `algorithm` for `steps` steps and measure held-out accuracy."""
    start = time.perf_counter()
    run = demo_run(algorithm)
    if steps < 1:
        raise SpecError(f"steps must be at least 1, not {steps}")
    demo = demo or paths()
    if not demo.exists():
        raise NotFound(
            f"no demo model and data in {demo.root}: run `python -m alignui demo build --out {demo.root}`"
        )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(demo.model)
    tokenizer = AutoTokenizer.from_pretrained(demo.model)
    heldout = read_jsonl(demo.heldout)
    with torch_threads():
        progress(0.0, "measuring the demo model on the held-out problems")
        reference_accuracy = accuracy(model, tokenizer, heldout)
        train_start = time.perf_counter()
        model = train(algorithm, model, tokenizer, read_jsonl(getattr(demo, run.data)), steps, seed, progress)
        train_seconds = time.perf_counter() - train_start
        progress(1.0, "measuring the aligned model on the held-out problems")
        aligned_accuracy = accuracy(model, tokenizer, heldout)
    return AlignResult(
        algorithm=algorithm, reference_accuracy=round(reference_accuracy, 4),
        aligned_accuracy=round(aligned_accuracy, 4), heldout_n=len(heldout), steps=steps,
        train_seconds=round(train_seconds, 1), seconds=round(time.perf_counter() - start, 1),
    )


def train(algorithm: str, model, tokenizer, rows: list[dict], steps: int, seed: int = 0,
          progress: Progress = no_progress):
    """Run TRL's trainer for `algorithm` on `rows` with the demo's settings; return the trained model."""
    import torch
    from datasets import Dataset
    from transformers import PrinterCallback

    run = demo_run(algorithm)
    algo = algorithms.get(algorithm)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # SimPO and ORPO live in trl.experimental
    torch.manual_seed(seed)
    with tempfile.TemporaryDirectory(prefix="alignui-demo-") as output_dir:
        config = algo.config_class()(
            output_dir=output_dir, max_steps=steps, seed=seed,
            **{**COMMON_ARGS, **run.args, **algo.fixed},
        )
        # Prompts alone carry no preference: the verifier scores GRPO's sampled replies.
        reward = {"reward_funcs": accuracy_reward} if run.data == "prompts" else {}
        trainer = algo.trainer_class()(
            model=model, args=config, train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
            callbacks=[progress_callback(progress)], **reward,
        )
        trainer.remove_callback(PrinterCallback)  # progress reports the log lines instead
        trainer.train()
    return trainer.model


def demo_run(algorithm: str) -> DemoRun:
    if algorithm not in RUNS:
        raise SpecError(f"the demo runs {', '.join(RUNS)}; {algorithm!r} is not one of them")
    return RUNS[algorithm]


def progress_callback(progress):
    """A TrainerCallback that reports each log line (step and loss) to `progress`."""
    from transformers import TrainerCallback

    class ReportProgress(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if "loss" in (logs or {}):
                progress(state.global_step / state.max_steps,
                         f"step {state.global_step}/{state.max_steps}, loss {logs['loss']:.4f}")

    return ReportProgress()
