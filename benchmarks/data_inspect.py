"""How fast `data inspect` reads a large preference file: 100,000 rows, about 50 MB of JSONL.

Run: `python benchmarks/data_inspect.py [--rows N] [--repeat K]`. It writes the file under
benchmarks/out/ (once), then times `python -m alignui data inspect FILE --json` in a fresh process,
pinned to two CPU cores, and reports wall time and peak memory (max RSS). Targets: at most 10 s and
under 1 GB.
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
TARGET_SECONDS = 10.0
TARGET_MB = 1024
WORDS = (
    "the model answer question helpful explain because data training prompt reward policy "
    "response human feedback preference better worse clear short long example reason step "
    "first then finally result number value check careful simple detail context user assistant"
).split()


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """A preference JSONL with realistic lengths and a few bad rows (broken JSON, identical pairs)."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for number in range(1, rows + 1):
            if number % 5000 == 0:
                handle.write('{"prompt": "broken\n')
                continue
            prompt = sentence(rng, rng.randint(15, 30))
            chosen = " ".join(sentence(rng, rng.randint(8, 12)) for _ in range(rng.randint(2, 3)))
            rejected = chosen if number % 7919 == 0 else \
                " ".join(sentence(rng, rng.randint(8, 12)) for _ in range(rng.randint(2, 3)))
            handle.write(json.dumps({"prompt": prompt, "chosen": chosen, "rejected": rejected}) + "\n")


def pin_two_cores() -> None:
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))[:2]
        os.sched_setaffinity(0, cores)


def measure(path: Path) -> tuple[float, dict]:
    """(wall seconds, report) of one `data inspect --json` run in a fresh process."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "alignui", "data", "inspect", str(path), "--json"],
        cwd=ROOT, capture_output=True, text=True, preexec_fn=pin_two_cores,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"data inspect failed:\n{result.stderr}")
    return seconds, json.loads(result.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    path = OUT / f"preference-{args.rows}.jsonl"
    if not path.exists():
        generate(path, args.rows)
    size_mb = path.stat().st_size / 2**20
    times = []
    for _ in range(args.repeat):
        seconds, report = measure(path)
        times.append(seconds)
    # Children's peak resident set size, in KiB on Linux: the largest of the runs.
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    median = statistics.median(times)
    print(f"file: {path.name}, {size_mb:.1f} MB, {report['rows']} records, {report['valid_rows']} valid, "
          f"{len(report['errors'])} errors, type {report['type']}")
    print(f"data inspect: median {median:.2f} s, best {min(times):.2f} s over {args.repeat} runs "
          f"(target <= {TARGET_SECONDS:g} s); peak RSS {peak_mb:.0f} MB (target < {TARGET_MB} MB)")
    ok = median <= TARGET_SECONDS and peak_mb < TARGET_MB
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
