"""SmolLM2-135M-Instruct on the demo's addition task, through the job engine, on CPU.

Run: `.venv/bin/python benchmarks/real_model.py [--heldout N] [--sft-steps S] [--dpo-steps D] [--threads T]`.

1. The model: `models get smollm2-135m-instruct` (or `--model FOLDER`, a folder it made before).
2. A short full SFT job on assets/demo/sft.jsonl, then DPO jobs on assets/demo/preference.jsonl from the
   SFT model: LoRA (r 16, all-linear; the reference is the adapter switched off) and full (TRL keeps a
   separate reference copy), the same batch and length.
3. Greedy held-out accuracy through `eval` with the verifier (assets/demo/heldout.jsonl, the first N
   problems): the model before, after SFT, after each DPO.
4. Peak resident memory of each DPO job's training process (VmHWM, read from /proc while it runs) and
   the LoRA/full ratio (target <= 0.55).
5. Steps/s of a full DPO job against a plain TRL script on the real model (benchmarks/train_overhead.py's
   two sides, the same settings).
Prints a Markdown table and writes benchmarks/out/real_model/result.json.
"""

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "real_model"
DEMO = ROOT / "assets" / "demo"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

MEMORY_TARGET = 0.55
#: The same for every job: batch and length decide the memory compared.
COMMON = {"per_device_train_batch_size": 8, "max_length": 64, "logging_steps": 1, "save_strategy": "no",
          "seed": 0}


def peak_rss_mb(job_id: int, stop: threading.Event, found: dict) -> None:
    """Poll the job's training processes' peak resident memory (VmHWM) until `stop`."""
    from alignui.train import jobs

    while not stop.is_set():
        row = jobs.get(job_id)
        for pid in jobs.worker_pids(row):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    found[pid] = max(found.get(pid, 0), int(line.split()[1]) / 1024)
        stop.wait(0.2)


def run_job(spec) -> dict:
    """Submit, watch memory, wait; the finished job with its wall time and peak RSS."""
    from alignui.train import jobs

    started = time.time()
    job = jobs.submit(spec)
    stop, found = threading.Event(), {}
    watcher = threading.Thread(target=peak_rss_mb, args=(job["job_id"], stop, found), daemon=True)
    watcher.start()
    done = jobs.wait(job["job_id"], poll=0.5)
    stop.set()
    watcher.join()
    if done["status"] != "succeeded":
        raise SystemExit(f"job {done['job_id']} ({spec.algorithm}) failed: {done['error']}")
    return {"job": f"job:{done['job_id']}", "wall_s": round(time.time() - started, 1),
            "peak_rss_mb": round(max(found.values()), 1) if found else None, "steps": done["step"]}


def accuracy(reference: str, aligned: str, items) -> tuple[float, float]:
    from alignui.evaluate import run

    report = run.evaluate(reference, aligned, items, judge="verifier", max_new_tokens=24)
    return report["reference_accuracy"], report["aligned_accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a converted folder (default: `models get` it)")
    parser.add_argument("--heldout", type=int, default=100, help="held-out problems scored (of 500)")
    parser.add_argument("--sft-steps", type=int, default=40)
    parser.add_argument("--dpo-steps", type=int, default=30)
    parser.add_argument("--dpo-batch", type=int, default=COMMON["per_device_train_batch_size"],
                        help="batch of both DPO jobs (the memory comparison)")
    parser.add_argument("--throughput-steps", type=int, default=14, help="steps per side (the first 10 warm up)")
    parser.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS for every job (default: the launcher's)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ALIGNUI_HOME", str(OUT / "home"))
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
        import torch

        torch.set_num_threads(args.threads)

    import train_overhead

    from alignui import model_packages
    from alignui.evaluate import run
    from alignui.recipe.spec import LoraSpec, TrainSpec

    started = time.time()
    model = args.model or str(model_packages.get("smollm2-135m-instruct"))
    items = run.read_prompts(DEMO / "heldout.jsonl")[:args.heldout]
    result = {"model": model, "heldout": len(items), "threads": os.environ.get("OMP_NUM_THREADS", "launcher default"),
              "settings": {"sft_steps": args.sft_steps, "dpo_steps": args.dpo_steps, "dpo_batch": args.dpo_batch,
                           **COMMON}}

    sft = run_job(TrainSpec("sft", model, str(DEMO / "sft.jsonl"), eval_fraction=0,
                            args={**COMMON, "max_steps": args.sft_steps, "learning_rate": 1e-4}))
    result["before"], result["after_sft"] = accuracy(model, sft["job"], items)
    save(result)
    print(f"SFT {sft}: accuracy {result['before']:.3f} -> {result['after_sft']:.3f}", flush=True)

    from alignui.arena.models import resolve

    sft_model = resolve(sft["job"]).path
    dpo = {**COMMON, "per_device_train_batch_size": args.dpo_batch, "beta": 0.1, "max_steps": args.dpo_steps}
    lora = run_job(TrainSpec("dpo", sft_model, str(DEMO / "preference.jsonl"), eval_fraction=0,
                             args={**dpo, "learning_rate": 2e-4}, lora=LoraSpec(r=16, alpha=32)))
    _, result["after_dpo_lora"] = accuracy(sft["job"], lora["job"], items)
    save(result)
    print(f"DPO LoRA {lora}: accuracy {result['after_dpo_lora']:.3f}", flush=True)
    full = run_job(TrainSpec("dpo", sft_model, str(DEMO / "preference.jsonl"), eval_fraction=0,
                             args={**dpo, "learning_rate": 1e-5}))
    _, result["after_dpo_full"] = accuracy(sft["job"], full["job"], items)
    print(f"DPO full {full}: accuracy {result['after_dpo_full']:.3f}", flush=True)
    result.update(sft=sft, dpo_lora=lora, dpo_full=full,
                  memory_ratio=round(lora["peak_rss_mb"] / full["peak_rss_mb"], 3))

    save(result)

    # Throughput: the same full DPO settings as a job and as a plain TRL script (batch 2 keeps it short).
    settings = {**COMMON, "per_device_train_batch_size": 2, "learning_rate": 5e-6}
    script = train_overhead.run_plain(Path(sft_model), DEMO / "preference.jsonl", args.throughput_steps,
                                      settings, out=OUT / "plain.json")
    job = train_overhead.run_job(Path(sft_model), DEMO / "preference.jsonl", args.throughput_steps, settings)
    result["throughput"] = {"job_steps_per_s": job["steps_per_second"], "script_steps_per_s": script["steps_per_second"],
                            "ratio": round(job["steps_per_second"] / script["steps_per_second"], 3)}
    result["total_wall_s"] = round(time.time() - started, 1)
    save(result)
    print(table(result))


def save(result: dict) -> None:
    """After each stage, so a long run that stops early keeps what it measured."""
    (OUT / "result.json").write_text(json.dumps(result, indent=1))


def table(r: dict) -> str:
    t = r["throughput"]
    return "\n".join([
        f"SmolLM2-135M-Instruct, {r['heldout']} held-out problems, threads {r['threads']}, "
        f"batch {r['settings']['per_device_train_batch_size']} (SFT) and {r['settings']['dpo_batch']} (DPO), "
        f"max_length {r['settings']['max_length']}",
        "", "| stage | held-out accuracy | job wall time (s) | peak RSS (MB) |", "| --- | --- | --- | --- |",
        f"| SmolLM2-135M-Instruct as converted | {r['before']:.3f} | | |",
        f"| + SFT, {r['sft']['steps']} steps | {r['after_sft']:.3f} | {r['sft']['wall_s']:.0f} | {r['sft']['peak_rss_mb']:.0f} |",
        f"| + DPO LoRA, {r['dpo_lora']['steps']} steps | {r['after_dpo_lora']:.3f} | {r['dpo_lora']['wall_s']:.0f} | "
        f"{r['dpo_lora']['peak_rss_mb']:.0f} |",
        f"| + DPO full, {r['dpo_full']['steps']} steps | {r['after_dpo_full']:.3f} | {r['dpo_full']['wall_s']:.0f} | "
        f"{r['dpo_full']['peak_rss_mb']:.0f} |",
        "", f"memory, LoRA DPO / full DPO peak RSS: {r['memory_ratio']:.3f} (target <= {MEMORY_TARGET})",
        f"throughput, full DPO job / plain TRL script (batch 2): {t['job_steps_per_s']:.3f} / {t['script_steps_per_s']:.3f} "
        f"steps/s = {t['ratio']:.3f}",
        f"total wall time {r['total_wall_s']:.0f} s",
    ])


if __name__ == "__main__":
    main()
