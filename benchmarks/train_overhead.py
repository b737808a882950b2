"""What running as an alignui job costs: the same DPO run as a job and as a plain TRL script.

Run: `.venv/bin/python benchmarks/train_overhead.py [--steps N] [--rounds R] [--threads T]`. It
builds a Llama-style model of 2.7M parameters (hidden 256, 4 layers) and 2,000 preference pairs
under benchmarks/out/ (once), then alternates R times between
- an alignui job: `jobs.submit` → supervisor → `accelerate launch` → entry, metrics callback and all;
- a plain script: this file with `--plain`, building DPOTrainer by hand in one `python` process,
with the same model, data, DPO config and CPU threads (`--threads`, OMP_NUM_THREADS for both).
Both sides log every step's end time the same way; steady-state throughput is 1 / the median step
time after the 10th step, which a busy neighbour on a shared machine moves far less than a mean.
Launch latency is submit → end of the first step. Target: job throughput at least 0.97 of the
script's.
"""

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "train_overhead"
TARGET_RATIO = 0.97
WARMUP_STEP = 10
#: Identical on both sides; the job gets them as its spec's args.
ARGS = {"per_device_train_batch_size": 8, "max_length": 64, "logging_steps": 1, "learning_rate": 5e-6,
        "save_steps": 100000, "seed": 0}


def build_inputs() -> tuple[Path, Path]:
    """A model folder and a preference JSONL, made once."""
    model, data = OUT / "model", OUT / "pairs.jsonl"
    if not (model / "model.safetensors").exists():
        sys.path.insert(0, str(ROOT / "tests"))
        from tiny import build_tiny_llama

        build_tiny_llama(model, hidden=256, layers=4)
    if not data.exists():
        rng = random.Random(0)
        with data.open("w") as out:
            for _ in range(2000):
                a, b = rng.randint(0, 99), rng.randint(0, 99)
                out.write(json.dumps({"prompt": f"What is {a} + {b}?", "chosen": f" The answer is {a + b}.",
                                      "rejected": f" The answer is {a + b + rng.choice([-10, -1, 1, 2, 10])}."})
                          + "\n")
    return model, data


def steady_rate(points: list[tuple[int, float]]) -> float:
    """Steps per second: 1 / the median time of the steps after WARMUP_STEP."""
    steady = [p for p in points if p[0] >= WARMUP_STEP]
    durations = [(t1 - t0) / (s1 - s0) for (s0, t0), (s1, t1) in itertools.pairwise(steady)]
    return 1 / statistics.median(durations)


# ----- the alignui job -----
def run_job(model: Path, data: Path, steps: int, args: dict = ARGS) -> dict:
    from alignui.recipe.spec import TrainSpec
    from alignui.recipe.validate import validate
    from alignui.train import jobs, metrics

    spec = TrainSpec("dpo", str(model), str(data), args={**args, "max_steps": steps}, eval_fraction=0)
    validate(spec)  # imports TRL once, outside the timed launch (the app and CLI have it loaded)
    submitted = time.time()
    job = jobs.wait(jobs.submit(spec)["job_id"], poll=0.2)
    if job["status"] != "succeeded":
        raise SystemExit(f"the job failed: {job['error']}")
    points = [(r["step"], r["time"]) for r in job["metrics"] if "loss" in r]
    first_step_at = jobs.get(job["job_id"])["first_step_at"]
    return {"steps_per_second": steady_rate(points), "launch_latency_s": first_step_at - submitted,
            "wall_s": time.time() - submitted, "records": len(metrics.read(jobs.run_folder(job["job_id"]).metrics))}


# ----- the plain TRL script -----
def plain(model: str, data: str, steps: int, out: str, args: dict = ARGS) -> None:
    """DPO with TRL alone, as a user's own script would run it."""
    started = time.time()
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import DPOConfig, DPOTrainer

    class StepTimes(TrainerCallback):
        def __init__(self):
            self.points = []

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                self.points.append((state.global_step, time.time()))

    rows = [json.loads(line) for line in Path(data).read_text().splitlines()]
    config = DPOConfig(output_dir=str(Path(out).parent / "plain-checkpoints"), max_steps=steps, report_to="none",
                       disable_tqdm=True, use_cpu=not torch.cuda.is_available(), bf16=False, **args)
    times = StepTimes()
    trainer = DPOTrainer(model=AutoModelForCausalLM.from_pretrained(model), args=config,
                         train_dataset=Dataset.from_list(rows), processing_class=AutoTokenizer.from_pretrained(model),
                         callbacks=[times])
    trainer.train()
    Path(out).write_text(json.dumps({"points": times.points, "started": started}))


def run_plain(model: Path, data: Path, steps: int, args: dict = ARGS, out: Path = OUT / "plain.json") -> dict:
    started = time.time()
    subprocess.run([sys.executable, __file__, "--plain", str(model), str(data), str(steps), str(out),
                    "--args", json.dumps(args)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    points = [tuple(p) for p in json.loads(out.read_text())["points"]]
    return {"steps_per_second": steady_rate(points), "launch_latency_s": points[0][1] - started,
            "wall_s": time.time() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for each side (OMP_NUM_THREADS)")
    parser.add_argument("--plain", nargs=4, metavar=("MODEL", "DATA", "STEPS", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--args", default=json.dumps(ARGS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain:
        model, data, steps, out = args.plain
        return plain(model, data, int(steps), out, json.loads(args.args))

    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ALIGNUI_HOME", str(OUT / "home"))
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the job's launcher and the script both follow it
    sys.path.insert(0, str(ROOT))
    model, data = build_inputs()
    results = {"job": [], "script": []}
    for round_number in range(1, args.rounds + 1):
        results["script"].append(run_plain(model, data, args.steps))
        results["job"].append(run_job(model, data, args.steps))
        print(f"round {round_number}: script {results['script'][-1]['steps_per_second']:.2f} steps/s, "
              f"job {results['job'][-1]['steps_per_second']:.2f} steps/s", flush=True)
    job = statistics.median(r["steps_per_second"] for r in results["job"])
    script = statistics.median(r["steps_per_second"] for r in results["script"])
    latency = min(r["launch_latency_s"] for r in results["job"])
    ratio = job / script
    print(f"steady-state throughput (median of rounds): job {job:.2f} steps/s, script {script:.2f} steps/s, "
          f"ratio {ratio:.3f} (target >= {TARGET_RATIO}) {'OK' if ratio >= TARGET_RATIO else 'MISSED'}")
    print(f"launch latency (submit -> first step): job {latency:.1f} s; plain script start -> first step "
          f"{min(r['launch_latency_s'] for r in results['script']):.1f} s")
    (OUT / "result.json").write_text(json.dumps({**results, "ratio": ratio, "launch_latency_s": latency}, indent=1))


if __name__ == "__main__":
    main()
