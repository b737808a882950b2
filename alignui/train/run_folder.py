"""The files of one training run, all in one folder: settings.runs_dir()/<job id>.

```
spec.yaml          the resolved TrainSpec (a portable recipe)
train.jsonl        the rows it trains on, as they were when the job was submitted (TRL-ready)
eval.jsonl         the rows it holds out (no prompt of train.jsonl among them; absent when none)
accelerate.yaml    the launch settings (processes, machines, DDP / DeepSpeed / FSDP)
trl_config.json    every field of the TRL config the run trained with, defaults included
train.log          everything the job printed, supervisor lines included
metrics.jsonl      one logged dict per line, each with `step` and `time`
error.txt          the error that ended the run, written by the process that hit it
workers/<name>     pid and start time of the launcher and of each training process (by rank)
checkpoints/       checkpoint-<step>/ folders written by the trainer
model/             the final model or adapter, tokenizer, chat template and model card
```
"""

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "adapter_model.safetensors",
           "pytorch_model.bin", "pytorch_model_fsdp_0", "global_step")


@dataclass(frozen=True)
class RunFolder:
    """Paths inside one run folder (see the module docstring)."""

    root: Path

    @property
    def spec(self) -> Path:
        return self.root / "spec.yaml"

    @property
    def train_data(self) -> Path:
        return self.root / "train.jsonl"

    @property
    def eval_data(self) -> Path:
        return self.root / "eval.jsonl"

    @property
    def accelerate_config(self) -> Path:
        return self.root / "accelerate.yaml"

    @property
    def trl_config(self) -> Path:
        return self.root / "trl_config.json"

    @property
    def log(self) -> Path:
        return self.root / "train.log"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def error(self) -> Path:
        return self.root / "error.txt"

    @property
    def workers(self) -> Path:
        return self.root / "workers"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def model(self) -> Path:
        return self.root / "model"

    def checkpoint_steps(self) -> list[tuple[int, Path]]:
        """Every checkpoint folder as (step, path), oldest first, complete or not."""
        if not self.checkpoints.is_dir():
            return []
        found = []
        for path in self.checkpoints.iterdir():
            match = CHECKPOINT.match(path.name)
            if match and path.is_dir():
                found.append((int(match.group(1)), path))
        return sorted(found)

    def complete_checkpoints(self) -> list[tuple[int, Path]]:
        return [(step, path) for step, path in self.checkpoint_steps() if is_complete(path)]

    def latest_checkpoint(self) -> tuple[int, Path] | None:
        """The newest checkpoint that holds weights and a readable trainer state, or None."""
        complete = self.complete_checkpoints()
        return complete[-1] if complete else None

    def final_model_saved(self, since: float) -> bool:
        """Whether the final model was saved by a run started at `since` (epoch seconds).

        The model card is written last, after the weights: its time tells this run's model from an
        earlier one's (a resumed job keeps the folder).
        """
        try:
            written = (self.model / "README.md").stat().st_mtime
        except OSError:
            return False
        return written >= since and any((self.model / name).exists() for name in WEIGHTS)

    def remove_incomplete_checkpoints(self) -> list[Path]:
        """Delete checkpoint folders a killed run left half-written; return what was removed."""
        removed = [path for _, path in self.checkpoint_steps() if not is_complete(path)]
        for path in removed:
            shutil.rmtree(path, ignore_errors=True)
        return removed


def is_complete(checkpoint: Path) -> bool:
    """The trainer writes trainer_state.json last: a checkpoint is usable once it parses."""
    state = checkpoint / "trainer_state.json"
    try:
        json.loads(state.read_text())
    except (OSError, ValueError):
        return False
    return any((checkpoint / name).exists() for name in WEIGHTS)
