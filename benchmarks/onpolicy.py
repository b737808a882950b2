"""On-policy rounds on the demo: `iterate` from prompts alone, judged by the verifier, against offline
DPO on the shipped pairs at equal optimizer steps.

Both go through the CLI a user runs, in a private data home: `python -m alignui iterate --recipe R
--prompts assets/demo/prompts.jsonl --judge verifier --rounds N --samples K --heldout
assets/demo/heldout.jsonl --wait --json`, then (with --offline) `python -m alignui train --recipe R
--set max_steps=S` on the recipe's own pairs (assets/demo/preference.jsonl), S being the optimizer
steps all the rounds took together, measured with `eval --judge verifier` on the same held-out
problems. Prints a Markdown table.

Run: .venv/bin/python benchmarks/onpolicy.py [--recipe R] [--rounds N] [--samples K] [--offline]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from alignui_cli import cli

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "assets" / "demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default=str(DEMO / "recipes" / "dpo.yaml"))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--offline", action="store_true", help="also train offline DPO at equal steps")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="alignui-onpolicy-"))
    start = time.perf_counter()
    found = cli("iterate", "--recipe", args.recipe, "--prompts", DEMO / "prompts.jsonl", "--judge", "verifier",
                "--rounds", args.rounds, "--samples", args.samples, "--heldout", DEMO / "heldout.jsonl", "--wait",
                home=home)
    seconds = time.perf_counter() - start
    print("| run | data | optimizer steps | held-out accuracy before | after | change | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    before = found["baseline"]["heldout_accuracy"]
    steps = 0
    for entry in found["rounds"]:
        after = entry["heldout_accuracy"]
        steps += cli("jobs", "show", entry["job_id"], home=home)["step"]
        print(f"| iterate round {entry['round']} | {entry['pairs']} on-policy pairs | {steps} | "
              f"{before:.3f} | {after:.3f} | {100 * (after - before):+.1f} points | {entry['seconds']:.0f} |")
    print(f"| iterate, whole run | prompts only | {steps} | {before:.3f} | "
          f"{found['rounds'][-1]['heldout_accuracy']:.3f} | "
          f"{100 * (found['rounds'][-1]['heldout_accuracy'] - before):+.1f} points | {seconds:.0f} |")
    if args.offline:
        start = time.perf_counter()
        job = cli("train", "--recipe", args.recipe, "--set", f"max_steps={steps}", "--wait", home=home)
        report = cli("eval", "--reference", DEMO / "model", "--aligned", job["job_id"], "--prompts",
                     DEMO / "heldout.jsonl", "--judge", "verifier", "--max-new-tokens", "64", home=home)
        after = report["aligned_accuracy"]
        print(f"| offline, the same recipe | shipped pairs | {steps} | {report['reference_accuracy']:.3f} | "
              f"{after:.3f} | {100 * (after - report['reference_accuracy']):+.1f} points | "
              f"{time.perf_counter() - start:.0f} |")
    print(f"\nload average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; data home {home}")


if __name__ == "__main__":
    main()
