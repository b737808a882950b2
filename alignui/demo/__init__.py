"""The offline demo: a small model that adds two numbers and often forgets to carry the one.

Alignment on the demo's preference or thumbs data teaches it to carry, which held-out accuracy
shows. `python -m alignui.demo.build` rebuilds everything under `assets/demo/` (seeded; about two
and a half minutes on one core): the data files from `task` and `data`, then the model from
`build`. `paths()` says where each piece lives; `align.align()` runs an algorithm's demo recipe
through the job engine and measures what it does.
"""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: Where the committed demo model and data live: the top-level assets/demo/, which the package carries
#: as alignui/assets (a link in the source tree, a folder once installed).
ASSETS = (Path(__file__).resolve().parent.parent / "assets" / "demo").resolve()

#: Told how far a long piece of work has come (0 to 1) and what it is doing.
Progress = Callable[[float, str], None]


#: Torch threads for demo training. A second thread makes this small model's SFT step 1.5 times
#: faster on an idle 2-core machine (43 against 65 ms) but 8 times slower when the other core is
#: busy (500 ms): one thread keeps build and run times steady on a shared machine.
THREADS = 1


def no_progress(fraction: float, message: str) -> None:
    """A Progress that reports nothing."""


@contextmanager
def torch_threads(count: int = THREADS):
    """Run the body with `count` torch threads, then restore the previous number."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class DemoPaths:
    """The demo's files under one root folder (TRL-ready JSONL, conversational style)."""

    root: Path
    """The folder holding everything below."""

    @property
    def model(self) -> Path:
        """The SFT model: safetensors, config, tokenizer and chat template."""
        return self.root / "model"

    @property
    def sft(self) -> Path:
        """prompt_completion rows the model was pre-trained on, wrong answers included."""
        return self.root / "sft.jsonl"

    @property
    def preference(self) -> Path:
        """preference rows: the right answer chosen, a wrong one rejected."""
        return self.root / "preference.jsonl"

    @property
    def thumbs(self) -> Path:
        """unpaired_preference rows: a right answer labelled True, a wrong one False."""
        return self.root / "thumbs.jsonl"

    @property
    def prompts(self) -> Path:
        """prompt_only rows with an `answer` column, for GRPO with the verifier as reward."""
        return self.root / "prompts.jsonl"

    @property
    def heldout(self) -> Path:
        """prompt_only rows with an `answer` column that no training file contains: for evaluation."""
        return self.root / "heldout.jsonl"

    @property
    def recipes(self) -> Path:
        """One recipe per algorithm, with the settings tuned on the demo (`train --recipe` runs them)."""
        return self.root / "recipes"

    def training_files(self) -> list[Path]:
        """Every file a training run may read (the held-out file is not one of them)."""
        return [self.sft, self.preference, self.thumbs, self.prompts]

    def exists(self) -> bool:
        """Whether the model and every data file are in place."""
        return (self.model / "config.json").exists() and all(
            path.exists() for path in [*self.training_files(), self.heldout]
        )


def paths(root: Path | str | None = None) -> DemoPaths:
    """The demo's files under `root`, by default the committed ones in `assets/demo/`."""
    return DemoPaths(Path(root) if root is not None else ASSETS)
