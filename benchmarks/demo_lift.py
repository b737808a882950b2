"""What each algorithm does to the demo model's held-out accuracy (target: DPO +15 points in 5 min, 2 cores).

Runs `alignui.demo.align.align` (TRL in-process, CPU) for each algorithm and prints a Markdown table
of greedy accuracy on the held-out problems before and after, with wall-clock seconds.

Run: .venv/bin/python benchmarks/demo_lift.py [--algorithms dpo ipo ...] [--steps N] [--seed S]
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alignui.demo.align import DEFAULT_STEPS, RUNS, align


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algorithms", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--seed", type=int, default=0, help="training seed (data order, sampling)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    rows = []
    for algorithm in args.algorithms:
        result = align(algorithm, steps=args.steps, seed=args.seed)
        rows.append(result)
        print(f"{algorithm}: {result.reference_accuracy:.3f} -> {result.aligned_accuracy:.3f} "
              f"in {result.seconds:.0f} s", file=sys.stderr, flush=True)
    print("| algorithm | data | steps | held-out accuracy before | after | change | seconds (train) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        change = 100 * (r.aligned_accuracy - r.reference_accuracy)
        print(f"| {r.algorithm} | {RUNS[r.algorithm].data} | {r.steps} | {r.reference_accuracy:.3f} | "
              f"{r.aligned_accuracy:.3f} | {change:+.1f} points | {r.seconds:.0f} ({r.train_seconds:.0f}) |")
    print(f"\nheld-out problems: {rows[0].heldout_n}; training seed {args.seed}; "
          f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
