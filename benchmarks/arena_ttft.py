"""Time to first token in the Compare arena: each side streaming alone vs both sides at once.

Builds Llama-style models of a few million parameters locally (nothing downloaded) and, side by
side in one run, times how long each side takes to deliver its first token when it streams alone
and when both stream together through the arena's generation path, for the two ways the arena
pairs models:
- two different models (two generate calls in parallel threads);
- a LoRA adapter and its base, one model in memory (one batched generate call, adapter per row).
Target: with both at once, each side's time to first token is at most 1.2x its time alone. Two
prompts: a long chat question (prefill dominates, so two rows are twice the arithmetic) and a short
demo sum (per-step overhead dominates, so a second row is nearly free). Each pairing also prints both
at once against the slower side alone: what showing both costs over showing the slower one.

Run: .venv/bin/python benchmarks/arena_ttft.py [--runs 30] [--hidden 256] [--layers 4]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

PROMPTS = {
    "long": "Explain, step by step and with an example, why a preference pair needs the same prompt. " * 3,
    "short": "What is 47+38?",
}


def first_token_seconds(generate, sides, sampling, prompt) -> list[float]:
    """Seconds from the request until each side's first text arrives."""
    requests = [generate.Request(side, [{"role": "user", "content": prompt}]) for side in sides]
    start = time.perf_counter()
    firsts = [None] * len(sides)
    for texts in generate.stream(requests, sampling):
        for i, text in enumerate(texts):
            if text and firsts[i] is None:
                firsts[i] = time.perf_counter() - start
    return firsts


def measure(generate, reference, aligned, runs: int, prompt: str) -> dict:
    """Median time to first token per side, alone and together, interleaved run by run."""
    # One new token: the streamer flushes it at the end, so this times the first token, not the
    # first word boundary. Temperature 1 keeps special tokens from ending the answer empty.
    sampling = generate.Sampling(temperature=1.0, top_p=1.0, max_new_tokens=1)
    for _ in range(3):  # warm up both models and the worker threads
        first_token_seconds(generate, [reference, aligned], sampling, prompt)
    alone = {"reference": [], "aligned": []}
    together = {"reference": [], "aligned": []}
    for _ in range(runs):
        alone["reference"] += first_token_seconds(generate, [reference], sampling, prompt)
        alone["aligned"] += first_token_seconds(generate, [aligned], sampling, prompt)
        ref, ali = first_token_seconds(generate, [reference, aligned], sampling, prompt)
        together["reference"].append(ref)
        together["aligned"].append(ali)
    return {side: (statistics.median(alone[side]), statistics.median(together[side])) for side in alone}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    args = parser.parse_args()

    import torch
    from test_arena_models import build_adapter
    from tiny import build_tiny_llama

    from alignui.arena import generate, models

    folder = Path(tempfile.mkdtemp())
    base = build_tiny_llama(folder / "reference", seed=0, hidden=args.hidden, layers=args.layers)
    other = build_tiny_llama(folder / "aligned", seed=1, hidden=args.hidden, layers=args.layers)
    adapter = build_adapter(base, folder / "adapter")
    pairs = {
        "two models": models.load_pair(str(base), str(other)),
        "LoRA + base, one model": models.load_pair(str(base), str(adapter)),
    }
    base_tokenizer = pairs["two models"][0].loaded.tokenizer
    params = sum(p.numel() for p in pairs["two models"][0].loaded.model.parameters())
    print(f"models of {params / 1e6:.1f}M parameters, torch threads {torch.get_num_threads()}, "
          f"medians of {args.runs} runs")
    for length, prompt in PROMPTS.items():
        tokens = len(base_tokenizer(prompt).input_ids)
        for name, (reference, aligned) in pairs.items():
            found = measure(generate, reference, aligned, args.runs, prompt)
            for side, (one, both) in found.items():
                print(f"{length} prompt ({tokens} tokens), {name:24} {side:9}: alone {one * 1000:6.1f} ms, "
                      f"both at once {both * 1000:6.1f} ms, ratio {both / one:.2f}x")
            slower = max(one for one, _ in found.values())
            both = max(both for _, both in found.values())
            print(f"{length} prompt ({tokens} tokens), {name:24} both at once vs the slower side alone: "
                  f"{both / slower:.2f}x")


if __name__ == "__main__":
    main()
