"""What each demo recipe does to the demo model's held-out accuracy (target: DPO +15 points in 5 min, 2 cores).

Runs the path a user takes, for each algorithm: `assets/demo/recipes/<algorithm>.yaml` submitted
through the job engine (as `train --recipe` does) in a data home of its own, then the evaluation
module's verifier on the 500 held-out problems (as `eval --judge verifier` does). Prints a Markdown
table of greedy accuracy before and after, with wall-clock seconds.

Run: .venv/bin/python benchmarks/demo_lift.py [--algorithms dpo ipo ...] [--steps N]
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alignui.demo import paths  # noqa: E402
from alignui.demo.align import align  # noqa: E402
from alignui.recipe.recipe_file import read_recipe  # noqa: E402

ALGORITHMS = ("dpo", "ipo", "kto", "simpo", "orpo", "grpo")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS))
    parser.add_argument("--steps", type=int, default=None, help="max_steps (default: each recipe's)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ["ALIGNUI_HOME"] = tempfile.mkdtemp(prefix="alignui-demo-lift-")
    rows = []
    for algorithm in args.algorithms:
        result = align(algorithm, steps=args.steps)
        rows.append(result)
        print(f"{algorithm}: {result.reference_accuracy:.3f} -> {result.aligned_accuracy:.3f} "
              f"in {result.seconds:.0f} s", file=sys.stderr, flush=True)
    print("| algorithm | data | steps | held-out accuracy before | after | change | seconds (job) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        data = Path(read_recipe(paths().recipes / f"{r.algorithm}.yaml").dataset).stem
        change = 100 * (r.aligned_accuracy - r.reference_accuracy)
        print(f"| {r.algorithm} | {data} | {r.steps} | {r.reference_accuracy:.3f} | "
              f"{r.aligned_accuracy:.3f} | {change:+.1f} points | {r.seconds:.0f} ({r.train_seconds:.0f}) |")
    print(f"\nheld-out problems: {rows[0].heldout_n}; load average at the end {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
