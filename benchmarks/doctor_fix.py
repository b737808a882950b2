"""The doctor's fix for a run that learns nothing: DPO on the demo at TRL's default learning rate,
the doctor's diagnosis, its fix applied as a new job, and both jobs measured on the held-out problems.

Everything goes through the CLI, as a user types it: `train`, `jobs doctor ID --json`,
`jobs doctor ID --apply --json`, `eval --judge verifier --json`, in a data home of its own.

Run: .venv/bin/python benchmarks/doctor_fix.py [--steps 200] [--home DIR]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from alignui_cli import cli

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "assets" / "demo"
#: TRL's default learning rate: the one a newcomer gets without touching the setting.
TRL_DEFAULT_RATE = 1e-6


def accuracy(job_id: int, home: Path) -> dict:
    return cli("eval", "--reference", DEMO / "model", "--aligned", job_id, "--prompts", DEMO / "heldout.jsonl",
               "--judge", "verifier", home=home)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--home", type=Path, default=None, help="data home (default: a new temporary folder)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="alignui-doctor-"))
    start = time.perf_counter()
    settings = {"learning_rate": TRL_DEFAULT_RATE, "max_steps": args.steps, "per_device_train_batch_size": 64,
                "logging_steps": 10, "use_cpu": "true"}
    sets = [part for name, value in settings.items() for part in ("--set", f"{name}={value}")]
    first = cli("train", "--algorithm", "dpo", "--model", DEMO / "model", "--data", DEMO / "preference.jsonl",
                "--eval-fraction", 0, *sets, "--wait", home=home)
    report = cli("jobs", "doctor", first["job_id"], home=home)
    for diagnosis in report["diagnoses"]:
        print(f"job {first['job_id']}: {diagnosis['title']}: {diagnosis['evidence']}; fix {diagnosis['changes']}",
              file=sys.stderr)
    if not report["diagnoses"]:
        raise SystemExit(f"the doctor found nothing in job {first['job_id']}")
    fixed = cli("jobs", "doctor", first["job_id"], "--apply", home=home)["new_job"]
    fixed = cli("jobs", "show", fixed["job_id"], home=home)
    while fixed["status"] in ("queued", "running"):
        time.sleep(2)
        fixed = cli("jobs", "show", fixed["job_id"], home=home)
    if fixed["status"] != "succeeded":
        raise SystemExit(f"the fixed job {fixed['job_id']} ended {fixed['status']}: {fixed['error']}")
    print("| job | learning rate | held-out accuracy: demo model | after the job | win rate |")
    print("| --- | --- | --- | --- | --- |")
    for job, rate in ((first, TRL_DEFAULT_RATE), (fixed, report["diagnoses"][0]["changes"].get("learning_rate"))):
        measured = accuracy(job["job_id"], home)
        print(f"| {job['job_id']} | {rate} | {measured['reference_accuracy']:.3f} | "
              f"{measured['aligned_accuracy']:.3f} | {measured['win_rate']:.3f} |")
    print(f"\n{args.steps} steps each at batch 64 on CPU; {time.perf_counter() - start:.0f} s in all; "
          f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
