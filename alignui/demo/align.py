"""Align the demo model through the product and measure held-out accuracy before and after.

`align` runs the path a user takes: the algorithm's recipe in `assets/demo/recipes/` is submitted
through the job engine (as `train --recipe` does), and the result is measured by the evaluation
module on the held-out problems (as `eval --judge verifier` does). No training file contains them.
"""

import dataclasses
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from alignui.demo import DemoPaths, Progress, no_progress, paths
from alignui.errors import AlignUIError, NotFound, SpecError


@dataclass
class AlignResult:
    """What one alignment run did to held-out accuracy."""

    algorithm: str
    """The algorithm that ran."""
    job_id: int
    """The training job (`python -m alignui jobs show ID` has its metrics and log)."""
    reference_accuracy: float
    """Greedy held-out accuracy of the demo model before training."""
    aligned_accuracy: float
    """Greedy held-out accuracy after training."""
    heldout_n: int
    """Held-out problems measured."""
    steps: int
    """Optimizer steps taken."""
    train_seconds: float
    """Wall-clock seconds from submitting the job to its end."""
    seconds: float
    """Wall-clock seconds of the whole run: the job and the evaluation."""

    def to_dict(self) -> dict:
        return asdict(self)


def recipe_path(algorithm: str, demo: DemoPaths | None = None) -> Path:
    """The demo recipe of an algorithm (`assets/demo/recipes/<algorithm>.yaml`)."""
    path = (demo or paths()).recipes / f"{algorithm}.yaml"
    if not path.is_file():
        have = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise SpecError(f"the demo has no {algorithm!r} recipe; it has {', '.join(have) or 'none'}")
    return path


def align(algorithm: str = "dpo", steps: int | None = None, demo: DemoPaths | None = None,
          progress: Progress = no_progress) -> AlignResult:
    """Train the demo model with its `algorithm` recipe (`steps` overrides max_steps) and measure it."""
    from alignui.evaluate import run
    from alignui.recipe.recipe_file import read_recipe
    from alignui.train import jobs

    start = time.perf_counter()
    demo = demo or paths()
    if not demo.exists():
        raise NotFound(
            f"no demo model and data in {demo.root}: run `python -m alignui demo build --out {demo.root}`"
        )
    spec = read_recipe(recipe_path(algorithm, demo))
    if steps is not None:
        spec = dataclasses.replace(spec, args={**spec.args, "max_steps": steps})
    job = jobs.submit(spec)
    progress(0.0, f"job {job['job_id']} submitted")
    job = wait(job["job_id"], progress)
    if job["status"] != "succeeded":
        raise AlignUIError(f"demo job {job['job_id']} {job['status']}: {job['error'] or 'see its log'}")
    train_seconds = time.perf_counter() - start
    progress(1.0, "measuring both models on the held-out problems")
    report = run.evaluate(str(demo.model), f"job:{job['job_id']}", run.read_prompts(demo.heldout),
                          source=str(demo.heldout))
    return AlignResult(
        algorithm=algorithm, job_id=job["job_id"], reference_accuracy=round(report["reference_accuracy"], 4),
        aligned_accuracy=round(report["aligned_accuracy"], 4), heldout_n=report["n"],
        steps=job["step"] or 0, train_seconds=round(train_seconds, 1),
        seconds=round(time.perf_counter() - start, 1),
    )


def wait(job_id: int, progress: Progress, poll: float = 1.0) -> dict:
    """Wait for a job to end, reporting its steps."""
    from alignui.train import jobs

    while True:
        job = jobs.wait(job_id, timeout=poll)
        if job["status"] in jobs.ENDED:
            return job
        if job["max_steps"]:
            progress(job["step"] / job["max_steps"], f"step {job['step']}/{job['max_steps']}")
