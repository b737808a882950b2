"""Batched sampling (what `iterate` uses) against one prompt at a time, on the demo model (target >= 5x).

Both sides draw K answers for the same prompts of assets/demo/prompts.jsonl with the same settings
through `alignui.sample.sample`: batched, many prompts per `generate` call; one at a time, one
`generate` call per prompt (its K answers still drawn together). Prints answer tokens per second for
each and their ratio.

Run: .venv/bin/python benchmarks/sampling.py [--prompts N] [--samples K] [--threads T]
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alignui.arena.models import load_side
from alignui.demo import paths
from alignui.demo.data import read_jsonl
from alignui.sample import SampleSettings, new_tokens, sample


def timed(loaded, prompts, settings, one_at_a_time: bool) -> tuple[float, int]:
    start = time.perf_counter()
    if one_at_a_time:
        answers = [sample(loaded, [p], settings)[0] for p in prompts]
    else:
        answers = sample(loaded, prompts, settings)
    return time.perf_counter() - start, new_tokens(loaded, answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=256)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: steady on a shared machine)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    demo = paths()
    loaded = load_side(str(demo.model)).loaded
    prompts = [row["prompt"] for row in read_jsonl(demo.prompts)[:args.prompts]]
    settings = SampleSettings(samples=args.samples, max_new_tokens=args.max_new_tokens)
    sample(loaded, prompts[:8], settings)  # warm up
    batched_s, batched_tokens = timed(loaded, prompts, settings, one_at_a_time=False)
    single_s, single_tokens = timed(loaded, prompts, settings, one_at_a_time=True)
    batched, single = batched_tokens / batched_s, single_tokens / single_s
    print("| sampling | prompts x K | answer tokens | seconds | tokens/s |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| batched ({settings.batch_rows} rows per call) | {len(prompts)} x {args.samples} | {batched_tokens} | "
          f"{batched_s:.2f} | {batched:.0f} |")
    print(f"| one prompt at a time | {len(prompts)} x {args.samples} | {single_tokens} | {single_s:.2f} | {single:.0f} |")
    print(f"\nratio {batched / single:.1f}x; {args.threads} torch thread(s); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
