"""A reward model trained on the demo pairs: its accuracy on held-out pairs, and the win rate it gives as a judge.

Everything goes through the CLI a user runs, in a private data home:
1. `train --recipe assets/demo/recipes/reward.yaml --wait` (the recipe holds 5% of the pairs out, each
   prompt on one side);
2. pairwise accuracy on those held-out pairs: `data filter <the job's eval.jsonl> --reward-model JOB
   --min-margin M` with M just above 0 keeps the pairs whose chosen answer scores higher;
3. `train --recipe assets/demo/recipes/dpo.yaml --wait`, then `eval` of that DPO model against the demo
   model on the 500 held-out problems, once with `--judge verifier` (checks the sum) and once with
   `--judge reward-model:JOB`: how far the reward model's win rate is from the verifier's.
Prints a Markdown table.

Run: .venv/bin/python benchmarks/reward_judge.py [--prompts N]
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
    parser.add_argument("--prompts", type=int, default=500, help="held-out problems the win rates use")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="alignui-reward-judge-"))
    start = time.perf_counter()
    reward = cli("train", "--recipe", DEMO / "recipes" / "reward.yaml", "--wait", home=home)
    reward_seconds = time.perf_counter() - start
    held_out = Path(reward["output_dir"]).parent / "eval.jsonl"
    pairs = sum(1 for _ in held_out.open())
    kept = cli("data", "filter", held_out, "--reward-model", reward["job_id"], "--min-margin", "1e-9", home=home)
    accuracy = kept["kept"] / (kept["kept"] + kept["dropped"])

    dpo = cli("train", "--recipe", DEMO / "recipes" / "dpo.yaml", "--wait", home=home)
    problems = home / "heldout.jsonl"
    problems.write_text("".join((DEMO / "heldout.jsonl").read_text().splitlines(keepends=True)[:args.prompts]))
    rates = {}
    for judge in ("verifier", f"reward-model:{reward['job_id']}"):
        report = cli("eval", "--reference", DEMO / "model", "--aligned", dpo["job_id"], "--prompts", problems,
                     "--judge", judge, "--max-new-tokens", "64", home=home)
        rates[judge.split(":")[0]] = report
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| reward model training (job {reward['job_id']}) | {reward_seconds:.0f} s |")
    print(f"| pairwise accuracy on {pairs} held-out pairs | {accuracy:.3f} "
          f"(mean margin {kept['mean_margin']:.2f}) |")
    for judge, report in rates.items():
        print(f"| DPO model vs demo model, {report['n']} problems, judged by the {judge.replace('-', ' ')} | "
              f"win rate {report['win_rate']:.3f} "
              f"({report['wins']} wins, {report['ties']} ties, {report['losses']} losses) |")
    print(f"\nload average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; data home {home}")


if __name__ == "__main__":
    main()
