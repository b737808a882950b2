"""TrainSpec: the one object that describes a training run (a plain dataclass; `validate` checks it).

The UI builds it, the CLI builds it, the advisor fills it, the launcher writes it as YAML into the
run folder, and the entry process reads it back. Hyperparameters live in `args` under the field
names of the algorithm's TRL config class (`DPOConfig`, `KTOConfig`, ...), so a saved recipe is
readable by anyone who knows TRL, and nothing else carries hyperparameters around.
"""

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alignui import algorithms, untrusted
from alignui.data.split import DEFAULT_FRACTION as EVAL_FRACTION
from alignui.errors import SpecError


@dataclass
class LoraSpec:
    """Parameter-efficient training through peft. Absent from a spec means full fine-tuning."""

    r: int = 16
    """Adapter rank: 8-64 is usual; higher learns more and costs more memory."""
    alpha: int = 32
    """Scaling numerator; alpha = 2 * r is the common choice."""
    dropout: float = 0.05
    """Dropout on the adapter input."""
    target_modules: list[str] | str = "all-linear"
    """Which layers get adapters: "all-linear", or module names such as ["q_proj", "v_proj"]."""
    quantize_4bit: bool = False
    """QLoRA: load the base model in 4-bit NF4 (needs CUDA and bitsandbytes)."""


@dataclass
class HardwareSpec:
    """Where and how the run executes."""

    gpus: str = ""
    """CUDA_VISIBLE_DEVICES for the job, e.g. "0,1"; empty means every visible GPU (or CPU)."""
    processes: int = 1
    """Processes `accelerate launch` starts (one per GPU for DDP)."""
    distributed: str = "auto"
    """"auto" (DDP when processes > 1), "ddp", "deepspeed-zero2", "deepspeed-zero3" or "fsdp"."""
    machines: int = 1
    """Machines in a multi-node run."""
    machine_rank: int = 0
    """This machine's rank in a multi-node run."""
    main_address: str = ""
    """Address of the rank-0 machine in a multi-node run."""
    main_port: int = 29500
    """Port of the rank-0 machine in a multi-node run."""


DISTRIBUTED = ("auto", "ddp", "deepspeed-zero2", "deepspeed-zero3", "fsdp")


@dataclass
class TrainSpec:
    """Everything needed to reproduce a training run."""

    algorithm: str
    """One of sft, dpo, ipo, kto, simpo, orpo, grpo, reward."""
    model: str
    """A local model folder or a hub id: the policy to train (and the reference, where one is used)."""
    dataset: str
    """A data file the data studio reads, or a catalog dataset's name."""
    args: dict[str, Any] = field(default_factory=dict)
    """Hyperparameters, named as fields of the algorithm's TRL config class."""
    lora: LoraSpec | None = None
    """LoRA/QLoRA settings; None trains every weight."""
    hardware: HardwareSpec = field(default_factory=HardwareSpec)
    """GPUs, processes and distribution strategy."""
    eval_fraction: float = EVAL_FRACTION
    """Share of the data held out for evaluation: a seeded split that keeps each prompt on one side
    (the `seed` arg, else 42); 0 disables evaluation."""
    reward_model: str = ""
    """GRPO only: a sequence-classification model folder used as an extra reward."""

    # ----- derived -----
    @property
    def algo(self) -> algorithms.Algorithm:
        return algorithms.get(self.algorithm)

    def trl_args(self) -> dict[str, Any]:
        """The TRL config fields this run sets: the user's, then what the algorithm fixes."""
        return {**self.args, **self.algo.fixed}

    # ----- YAML -----
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_yaml())

    @classmethod
    def from_dict(cls, data: dict) -> "TrainSpec":
        data = dict(data or {})
        _refuse_unknown(data, cls, "spec")
        if data.get("lora") is not None:
            _refuse_unknown(data["lora"], LoraSpec, "lora")
            data["lora"] = LoraSpec(**data["lora"])
        if data.get("hardware") is not None:
            _refuse_unknown(data["hardware"], HardwareSpec, "hardware")
            data["hardware"] = HardwareSpec(**data["hardware"])
        missing = [n for n in ("algorithm", "model", "dataset") if n not in data]
        if missing:
            raise SpecError(f"spec is missing {', '.join(missing)}")
        return cls(**data)

    @classmethod
    def from_yaml(cls, text: str) -> "TrainSpec":
        data = untrusted.load_yaml(text, "recipe")
        if not isinstance(data, dict):
            raise SpecError("recipe must be a YAML mapping with algorithm, model, dataset and args")
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: Path) -> "TrainSpec":
        return cls.from_yaml(untrusted.read_text(path))


def _refuse_unknown(data: dict, cls, where: str) -> None:
    if not isinstance(data, dict):
        raise SpecError(f"{where} must be a mapping")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known, key=str)
    if unknown:
        raise SpecError(f"unknown {where} key(s): {untrusted.listing(unknown)}; known: {', '.join(sorted(known))}")


def config_fields(algorithm: str) -> dict[str, dataclasses.Field]:
    """The fields of the algorithm's TRL config class, by name (imports TRL: call lazily)."""
    return {f.name: f for f in dataclasses.fields(algorithms.get(algorithm).config_class())}
