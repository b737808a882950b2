"""One Train-tab tick (the `job_status` handler the 2-second timer calls) on a long KTO run.

The run folder is what a job leaves: the spec, a KTO dataset of --rows rows (the demo thumbs
repeated), 2,000 logged steps and a 20,000-line log. The first tick reads everything; the next ones
show what every later poll costs while nothing changed, and after one more logged step.

Run: .venv/bin/python benchmarks/train_tick.py [--rows 120000] [--ticks 5]
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_run(rows: int) -> int:
    from alignui import settings, store
    from alignui.recipe.spec import TrainSpec
    from alignui.train.run_folder import RunFolder

    db = store.connect()
    job_id = db["jobs"].insert({"status": "succeeded", "algorithm": "kto", "model": "demo", "dataset": "thumbs",
                                "created_at": store.now(), "step": 2000, "max_steps": 2000}).last_pk
    run = RunFolder(settings.runs_dir() / str(job_id))
    run.root.mkdir(parents=True)
    db["jobs"].update(job_id, {"run_dir": str(run.root), "output_dir": str(run.model)})
    TrainSpec(algorithm="kto", model=str(ROOT / "assets/demo/model"), dataset="thumbs",
              args={"per_device_train_batch_size": 2}).save(run.spec)
    thumbs = (ROOT / "assets/demo/thumbs.jsonl").read_text().splitlines(keepends=True)
    run.train_data.write_text("".join(thumbs[i % len(thumbs)] for i in range(rows)))
    random.seed(0)
    with run.metrics.open("w") as metrics:
        for step in range(1, 2001):
            metrics.write(json.dumps({"step": step, "loss": 0.5 + random.random() / 10, "kl": 0.01,
                                      "rewards/margins": random.random(), "learning_rate": 1e-6}) + "\n")
    run.log.write_text("".join(f"step {i}: " + "x" * 60 + "\n" for i in range(20000)))
    return job_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=120_000)
    parser.add_argument("--ticks", type=int, default=5)
    args = parser.parse_args()
    os.environ["ALIGNUI_HOME"] = tempfile.mkdtemp(prefix="alignui-tick-")
    sys.path.insert(0, str(ROOT))
    from alignui.ui.train_tab import job_status

    job_id = make_run(args.rows)
    times = []
    for _ in range(args.ticks):
        start = time.perf_counter()
        job_status(job_id)
        times.append(time.perf_counter() - start)
    from alignui.train import jobs

    with jobs.run_folder(job_id).metrics.open("a") as metrics:  # the job logs one more step
        metrics.write(json.dumps({"step": 2001, "loss": 0.5}) + "\n")
    start = time.perf_counter()
    job_status(job_id)
    logged = time.perf_counter() - start
    print(json.dumps({"rows": args.rows, "first_tick_s": round(times[0], 3),
                      "later_tick_median_s": round(statistics.median(times[1:]), 3),
                      "tick_after_a_new_step_s": round(logged, 3)}))


if __name__ == "__main__":
    main()
