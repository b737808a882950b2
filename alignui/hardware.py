"""The GPUs this machine has, for the user to pick from (torch is imported on first use only)."""

import functools
import os
from dataclasses import dataclass

from alignui import settings


@dataclass(frozen=True)
class Gpu:
    """One CUDA device as torch sees it."""

    index: int
    name: str
    memory_gb: float
    """Total memory in GiB."""
    bf16: bool
    """Whether it computes in bfloat16 (Ampere or newer)."""

    @property
    def label(self) -> str:
        return f"{self.index}: {self.name} ({self.memory_gb:.0f} GiB)"


@functools.lru_cache(maxsize=1)
def gpus() -> tuple[Gpu, ...]:
    """Every visible CUDA device; empty on a machine without one."""
    import torch

    if not torch.cuda.is_available():
        return ()
    found = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        found.append(Gpu(index=index, name=props.name, memory_gb=round(props.total_memory / 2**30, 1),
                         bf16=props.major >= 8))
    return tuple(found)


def check(visible_devices: str, processes: int) -> None:
    """Refuse a GPU pick this machine cannot honour (SpecError); without GPUs any process count runs on CPU."""
    from alignui.errors import SpecError

    here = [str(g.index) for g in gpus()]
    picked = [g.strip() for g in visible_devices.split(",") if g.strip()]
    if picked and not here:
        raise SpecError(f"GPUs {visible_devices} were picked, but this machine has no CUDA GPU; "
                        "pick none to train on the CPU")
    missing = [g for g in picked if g not in here]
    if missing:
        raise SpecError(f"there is no GPU {', '.join(missing)} here; this machine has GPU(s) {', '.join(here)}")
    usable = len(picked) or len(here)
    if here and processes > usable:
        raise SpecError(f"{processes} processes need {processes} GPUs, but {usable} are available to this job; "
                        "run one process per GPU")
    cores = os.cpu_count() or 1
    if not here and processes > cores:
        raise SpecError(f"{processes} processes on the CPU, but this machine has {cores} cores; "
                        f"use at most {cores}")
    if settings.MAX_PROCESSES and processes > settings.MAX_PROCESSES:
        raise SpecError(f"{processes} processes is more than this server allows per job "
                        f"({settings.MAX_PROCESSES}, ALIGNUI_MAX_PROCESSES)")


def describe() -> str:
    """One line for people: what training will run on."""
    found = gpus()
    if not found:
        return "No CUDA GPU found: jobs train on the CPU."
    return f"{len(found)} GPU(s): " + "; ".join(g.label for g in found)
