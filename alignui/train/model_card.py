"""The README.md written next to a finished run's model: what it is and how it was made."""

import json

import yaml

from alignui.recipe.spec import TrainSpec
from alignui.train import metrics

#: Logged values quoted in the card when the run logged them.
FINAL = ("loss", "eval_loss", "rewards/margins", "rewards/accuracies", "reward", "kl",
         "train_runtime", "train_samples_per_second")


def render(spec: TrainSpec, records: list[dict], rows: int, adapter: bool) -> str:
    front = {"library_name": "peft" if adapter else "transformers", "base_model": spec.model,
             "tags": ["alignui", "trl", spec.algorithm]}
    lines = [
        "---", yaml.safe_dump(front, sort_keys=False).strip(), "---", "",
        f"# {spec.algo.title} of {spec.model}", "",
        (f"Trained with alignui using TRL's `{spec.algo.trainer.split(':')[1]}`"
         f" ({'LoRA adapter' if adapter else 'full fine-tuning'})."), "",
        "## Data", "",
        f"- dataset: `{spec.dataset}` ({rows} rows; {spec.eval_fraction:.0%} held out for evaluation)", "",
        "## Hyperparameters", "",
        "| field | value |", "|---|---|",
    ]
    lines += [f"| {name} | `{json.dumps(value)}` |" for name, value in sorted(spec.trl_args().items())]
    if spec.lora:
        lines += [f"| lora.{name} | `{json.dumps(value)}` |" for name, value in vars(spec.lora).items()]
    if spec.reward_model:
        lines.append(f"| reward_model | `{spec.reward_model}` |")
    lines += ["", "## Final metrics", ""]
    found = [(key, metrics.last(records, key)) for key in FINAL]
    found = [(key, value) for key, value in found if value is not None]
    lines += [f"- {key}: {value:.4g}" if isinstance(value, float) else f"- {key}: {value}"
              for key, value in found] or ["- none logged"]
    lines += ["", "The full spec is in the run folder's `spec.yaml`; every logged value is in `metrics.jsonl`.", ""]
    return "\n".join(lines)
