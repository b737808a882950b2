"""What the ray backend costs: the same 2-process DPO job on the local backend and on a local Ray cluster.

Run: `.venv/bin/python benchmarks/ray_overhead.py [--steps N] [--rounds R]`. It starts a Ray head
on this machine (127.0.0.1, free ports, 2 CPUs; stopped at the end), builds train_overhead.py's
model (2.7M parameters) and 2,000 preference pairs once, then alternates R times between
- local: `jobs.submit` → supervisor → `accelerate launch` with 2 processes, DDP over gloo;
- ray: `jobs.submit(backend=ray)` → Ray Jobs API → Ray Train TorchTrainer with 2 workers (1 CPU
  each), DDP over gloo, the same training entry,
with the same spec, and one CPU thread per process on both sides. Both are followed the way a user
follows them (`jobs.wait`), and timed from the metrics.jsonl each run writes: steady-state
throughput is 1 / the median step time after the 10th step; submit → first step is the time from
`jobs.submit` to the end of the first optimizer step. Target: ray throughput at least 0.9 of local.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from train_overhead import ARGS, build_inputs, steady_rate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "ray_overhead"
TARGET_RATIO = 0.9
PROCESSES = 2


def run(backend, model: Path, data: Path, steps: int) -> dict:
    from alignui.recipe.spec import HardwareSpec, TrainSpec
    from alignui.recipe.validate import validate
    from alignui.train import jobs

    spec = TrainSpec("dpo", str(model), str(data), args={**ARGS, "max_steps": steps}, eval_fraction=0,
                     hardware=HardwareSpec(processes=PROCESSES))
    validate(spec)  # imports TRL once, outside the timed launch (the app and CLI have it loaded)
    submitted = time.time()
    job = jobs.wait(jobs.submit(spec, backend=backend)["job_id"], poll=0.2)
    if job["status"] != "succeeded" or job["world_size"] != PROCESSES:
        raise SystemExit(f"the {backend.name} job did not succeed on {PROCESSES} processes: {job['error']}")
    points = [(r["step"], r["time"]) for r in job["metrics"] if "loss" in r]
    return {"steps_per_second": steady_rate(points), "first_step_s": points[0][1] - submitted,
            "wall_s": time.time() - submitted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ALIGNUI_HOME", str(OUT / "home"))
    os.environ["OMP_NUM_THREADS"] = "1"  # the local launcher's per-process threads; Ray gives 1 CPU a worker
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    from ray_head import local_head

    from alignui.train import backends

    model, data = build_inputs()
    results = {"local": [], "ray": []}
    with local_head(num_cpus=PROCESSES) as address:
        sides = {"local": backends.choose("local"), "ray": backends.choose("ray", address)}
        for round_number in range(1, args.rounds + 1):
            for name, backend in sides.items():
                results[name].append(run(backend, model, data, args.steps))
            print(f"round {round_number}: " + ", ".join(
                f"{name} {r[-1]['steps_per_second']:.2f} steps/s, first step after {r[-1]['first_step_s']:.1f} s"
                for name, r in results.items()), flush=True)
    rate = {name: statistics.median(r["steps_per_second"] for r in rounds) for name, rounds in results.items()}
    first = {name: statistics.median(r["first_step_s"] for r in rounds) for name, rounds in results.items()}
    ratio = rate["ray"] / rate["local"]
    print(f"steady-state throughput (median of rounds): local {rate['local']:.2f} steps/s, ray {rate['ray']:.2f} "
          f"steps/s, ratio {ratio:.3f} (target >= {TARGET_RATIO}) {'OK' if ratio >= TARGET_RATIO else 'MISSED'}")
    print(f"submit -> first step (median): local {first['local']:.1f} s, ray {first['ray']:.1f} s")
    (OUT / "result.json").write_text(json.dumps({**results, "ratio": ratio, "first_step_s": first}, indent=1))


if __name__ == "__main__":
    main()
