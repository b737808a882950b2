"""Find and load the models the arena compares: a local folder, a hub id, or a finished job.

Safety, for a server that loads whatever folder or hub id a visitor names:
- weights load from safetensors only (`use_safetensors=True`); a model or adapter with only pickled
  weights is refused, since unpickling can run code;
- code shipped with a model (`trust_remote_code`) runs only when the person running the server sets
  the environment variable ALIGNUI_TRUST_REMOTE_CODE=1 before starting it.

A finished LoRA job is an adapter folder over a base model. When the other side of a comparison is
that base model, ONE copy of the base in memory serves both sides: peft chooses the adapter per row
of a batch (`adapter_names`, "__base__" meaning the bare base), so the reference answer comes from
the base with the adapter off and the aligned answer with it on, in the same forward passes.
`with model.disable_adapter():` would flip the adapter for every thread sharing the model, and a
loaded model is shared by every visitor through the cache below.
"""

import json
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from alignui.errors import DataError, NotFound

#: Set to 1 in the server's environment to let models run code they ship with.
TRUST_REMOTE_CODE_ENV = "ALIGNUI_TRUST_REMOTE_CODE"
#: The job status whose output folder holds a usable model.
FINISHED = "succeeded"
#: Models kept in memory at once (a reference and an aligned model, plus one to spare).
CACHE_SIZE = 3
#: peft's adapter names for the rows of a mixed batch: the job's adapter, or none at all.
ADAPTER = "default"
BASE_ONLY = "__base__"

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")
_JOB = re.compile(r"(?:job[: ]?)?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class ModelSource:
    """A model the arena can load, resolved from what the user picked."""

    id: str
    """Stable name stored with feedback and reports: "job:ID", an absolute folder, or a hub id."""
    label: str
    """Short name shown in the UI."""
    path: str
    """Folder or hub id holding the weights (the adapter folder for a LoRA job)."""
    base: str | None = None
    """For a LoRA adapter, the base model it extends (folder or hub id); None for a full model."""
    job_id: int | None = None
    """The training job that produced it, if any."""


@dataclass
class LoadedModel:
    """Weights and tokenizer in memory, shared by every side and visitor that uses them."""

    model: Any
    """A transformers causal LM, or a peft model wrapping one when `has_adapter`."""
    tokenizer: Any
    """Its tokenizer, padding on the left for batched generation."""
    has_adapter: bool
    generating: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    """Held while a peft model generates: peft routes each row to its adapter through hooks it adds to the
    shared modules for the length of a call, so two calls at once would read each other's routing."""


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a loaded model, and which of its adapters this side's rows use."""

    source: ModelSource
    loaded: LoadedModel
    adapter: str | None = None
    """ADAPTER or BASE_ONLY for a peft model; None for a plain model."""


def trust_remote_code() -> bool:
    return os.environ.get(TRUST_REMOTE_CODE_ENV) == "1"


# ----- resolving what the user picked -----

def resolve(choice: str) -> ModelSource:
    """A folder, a hub id, or a finished job ("job:3", "job 3" or "3") as a ModelSource."""
    choice = (choice or "").strip()
    if not choice:
        raise NotFound("pick a model: a finished training job, a local folder, or a hub id")
    folder = Path(choice).expanduser()
    job = _JOB.fullmatch(choice)
    if job and not folder.is_dir():
        return _from_job(int(job.group(1)))
    if folder.is_dir():
        return _from_folder(folder)
    if _HUB_ID.fullmatch(choice):
        return ModelSource(id=choice, label=choice, path=choice)
    raise NotFound(f"{choice!r} is neither a finished job, a local folder, nor a hub id")


def finished_jobs() -> list[tuple[str, str]]:
    """(label, choice) for every succeeded job, newest first: the model pickers' list."""
    from alignui import store

    rows = store.connect().execute(
        "SELECT id, algorithm, model FROM jobs WHERE status = ? AND output_dir IS NOT NULL "
        "ORDER BY id DESC", [FINISHED],
    ).fetchall()
    return [(f"job {id} · {algorithm} · trained from {base_label(model)}", f"job:{id}")
            for id, algorithm, model in rows]


def base_label(model: str) -> str:
    """What a job trained from, named so it cannot be taken for the job itself: "job 1's model",
    or the model's folder name."""
    if not model:
        return "?"
    from alignui import store

    folder = Path(model).expanduser()
    for id, run_dir in store.connect().execute("SELECT id, run_dir FROM jobs WHERE run_dir IS NOT NULL"):
        if folder.is_relative_to(run_dir):  # its final model, or one of its checkpoints
            return f"job {id}'s {folder.name}"
    return folder_label(folder) if folder.is_absolute() or folder.is_dir() else model


def folder_label(folder: Path) -> str:
    """A model folder's name; a generic name ("model", "checkpoint-200") with its parent's: demo/model."""
    name = folder.name
    generic = name in ("model", "final", "output", "adapter") or name.startswith("checkpoint-")
    return f"{folder.parent.name}/{name}" if generic and folder.parent.name else name


def _from_folder(folder: Path) -> ModelSource:
    folder = folder.resolve()
    config = folder / "adapter_config.json"
    base = None
    if config.exists():
        base = json.loads(config.read_text()).get("base_model_name_or_path")
        if not base:
            raise DataError(f"{config} does not say which base model the adapter extends "
                            "(base_model_name_or_path)")
    return ModelSource(id=str(folder), label=folder_label(folder), path=str(folder), base=base)


def _from_job(job_id: int) -> ModelSource:
    from alignui import store

    db = store.connect()
    row = next(db["jobs"].rows_where("id = ?", [job_id]), None)
    if row is None:
        raise NotFound(f"there is no job {job_id}; see `python -m alignui jobs list`")
    if row["status"] != FINISHED:
        raise NotFound(f"job {job_id} is {row['status']}: only a succeeded job has a model to load")
    if not row["output_dir"] or not Path(row["output_dir"]).is_dir():
        raise NotFound(f"job {job_id}'s model folder {row['output_dir']!r} is missing")
    source = _from_folder(Path(row["output_dir"]))
    return replace(source, id=f"job:{job_id}", label=f"job {job_id} · {row['algorithm']}",
                   job_id=job_id)


def _same_model(a: str, b: str) -> bool:
    if Path(a).expanduser().is_dir() and Path(b).expanduser().is_dir():
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    return a == b


# ----- loading, with a small cache -----

_cache: OrderedDict[tuple, LoadedModel] = OrderedDict()
_cache_lock = threading.Lock()
_loading: dict[tuple, threading.Lock] = {}


def load(source: ModelSource) -> LoadedModel:
    """The model in memory, loading it on first use; the least recently used one is dropped."""
    key = (source.path, source.base)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        loading = _loading.setdefault(key, threading.Lock())
    with loading:  # two visitors asking for one model load it once; other models load meanwhile
        with _cache_lock:
            if key in _cache:
                return _cache[key]
        loaded = _load(source)
        with _cache_lock:
            _cache[key] = loaded
            _loading.pop(key, None)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return loaded


def load_side(choice: str) -> Side:
    """One model on its own: with its adapter on, if it is an adapter."""
    return _alone(resolve(choice))


def load_pair(reference: str, aligned: str) -> tuple[Side, Side]:
    """Both sides of a comparison; a LoRA adapter and its own base share one model in memory."""
    ref, ali = resolve(reference), resolve(aligned)
    if ali.base and not ref.base and _same_model(ali.base, ref.path):
        shared = load(ali)
        return Side(ref, shared, BASE_ONLY), Side(ali, shared, ADAPTER)
    if ref.base and not ali.base and _same_model(ref.base, ali.path):
        shared = load(ref)
        return Side(ref, shared, ADAPTER), Side(ali, shared, BASE_ONLY)
    return _alone(ref), _alone(ali)


def _alone(source: ModelSource) -> Side:
    loaded = load(source)
    return Side(source, loaded, ADAPTER if loaded.has_adapter else None)


def _load(source: ModelSource) -> LoadedModel:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    options = {"use_safetensors": True, "trust_remote_code": trust_remote_code()}
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.float32
    if device == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    try:
        model = AutoModelForCausalLM.from_pretrained(source.base or source.path, dtype=dtype, **options)
        if source.base:
            model = _with_adapter(model, source)
        tokenizer_path = source.path
        if source.base and not (Path(source.path) / "tokenizer_config.json").exists():
            tokenizer_path = source.base
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_path,
                                                  trust_remote_code=options["trust_remote_code"])
    except (OSError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise NotFound(f"cannot load {source.label} (safetensors weights only): {first_line}") from None
    tokenizer.padding_side = "left"  # batched generation continues every row from its last token
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(model.to(device).eval(), tokenizer, has_adapter=bool(source.base))


def _with_adapter(model, source: ModelSource):
    from peft import PeftModel

    if not (Path(source.path) / "adapter_model.safetensors").exists():
        raise NotFound(f"{source.label} has no adapter_model.safetensors; "
                       "only safetensors adapters are loaded")
    return PeftModel.from_pretrained(model, source.path, adapter_name=ADAPTER)
