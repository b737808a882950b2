"""The GPU check: DPO on a ~0.5B Llama-shaped model through the alignui job path, full and LoRA, bf16.

Run on a machine with a CUDA GPU: `.venv/bin/python benchmarks/gpu_check.py [--steps 40] [--out FILE]`.
It builds the model locally with random weights (no hub), writes preference pairs of about 512
tokens, submits two jobs (full fine-tuning, then LoRA r=16) exactly as the app does, and writes
for each: steady-state tokens per second, peak GPU memory, and MFU, counting 6N FLOPs per token
for the policy's training step plus 2N for the reference forward pass (N = model parameters).
Fits in about 10 minutes of device time on an H100. Exits with a clear message without CUDA.
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "gpu_check"
#: Dense bf16 peak FLOP/s by device name (no sparsity).
PEAK_BF16 = {"H200": 989e12, "H100 PCIe": 756e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12,
             "A10G": 70e12, "RTX 4090": 165e12}
#: Llama-shaped, about 0.47B parameters (untied embeddings).
SHAPE = {"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24, "num_attention_heads": 16,
         "num_key_value_heads": 16, "vocab_size": 32768, "max_position_embeddings": 1024}
ARGS = {"per_device_train_batch_size": 8, "max_length": 512, "logging_steps": 5, "learning_rate": 5e-6,
        "bf16": True, "save_steps": 100000, "seed": 0}
WARMUP_STEP = 10


def require_cuda():
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("gpu_check needs a CUDA GPU: none is visible here (torch.cuda.is_available() is False). "
                         "Run it on a GPU machine; on CPU, benchmarks/train_overhead.py measures the job overhead.")
    return torch


def build_model(folder: Path) -> tuple[Path, int]:
    """A random Llama-shaped model with the tests' byte-level tokenizer; returns (folder, parameters)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    sys.path.insert(0, str(ROOT / "tests"))
    from tiny import build_tokenizer

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(folder)
    torch.manual_seed(0)
    config = LlamaConfig(**SHAPE, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False)
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    return folder, sum(p.numel() for p in model.parameters())


def build_pairs(path: Path, rows: int = 2000) -> Path:
    """Preference pairs of a few hundred tokens each with the tests' tokenizer."""
    rng = random.Random(0)
    words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "what", "is", "answer", "alignment",
             "model", "helpful"]

    def text(n):
        return " ".join(rng.choice(words) for _ in range(n))

    with path.open("w") as out:
        for _ in range(rows):
            out.write(json.dumps({"prompt": text(60), "chosen": " " + text(50), "rejected": " " + text(50)}) + "\n")
    return path


def peak_flops(name: str) -> float | None:
    for key, value in PEAK_BF16.items():
        if key in name:
            return value
    return None


def run(label: str, model: Path, data: Path, parameters: int, steps: int, lora: bool, peak: float | None) -> dict:
    from alignui.recipe.spec import LoraSpec, TrainSpec
    from alignui.train import jobs

    spec = TrainSpec("dpo", str(model), str(data), args={**ARGS, "max_steps": steps}, eval_fraction=0,
                     lora=LoraSpec(r=16) if lora else None)
    submitted = time.time()
    job = jobs.wait(jobs.submit(spec)["job_id"], poll=1.0)
    if job["status"] != "succeeded":
        return {"label": label, "status": job["status"], "error": job["error"]}
    logs = [r for r in job["metrics"] if "loss" in r and "num_tokens" in r]
    start = next(r for r in logs if r["step"] >= WARMUP_STEP)
    tokens_per_second = (logs[-1]["num_tokens"] - start["num_tokens"]) / (logs[-1]["time"] - start["time"])
    flops_per_token = 6 * parameters + 2 * parameters  # policy step + reference forward
    return {
        "label": label, "status": "succeeded", "steps": steps,
        "tokens_per_second": round(tokens_per_second, 1),
        "steps_per_second": round((logs[-1]["step"] - start["step"]) / (logs[-1]["time"] - start["time"]), 3),
        "peak_gpu_memory_gb": max(r.get("gpu_memory_gb", 0) for r in job["metrics"]),
        "mfu": round(tokens_per_second * flops_per_token / peak, 4) if peak else None,
        "launch_latency_s": round(jobs.get(job["job_id"])["first_step_at"] - submitted, 1),
        "wall_s": round(time.time() - submitted, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "gpu_check.json")
    args = parser.parse_args()
    torch = require_cuda()
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ALIGNUI_HOME", str(OUT / "home"))
    sys.path.insert(0, str(ROOT))
    device = torch.cuda.get_device_name(0)
    model, parameters = build_model(OUT / "llama-0.5b")
    data = build_pairs(OUT / "pairs.jsonl")
    peak = peak_flops(device)
    results = [run("dpo-full-bf16", model, data, parameters, args.steps, False, peak),
               run("dpo-lora-r16-bf16", model, data, parameters, args.steps, True, peak)]
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "device": device,
              "parameters": parameters, "peak_bf16_flops": peak, "flops_per_token": "6N policy + 2N reference",
              "config": ARGS, "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
