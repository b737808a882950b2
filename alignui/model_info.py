"""What the advisor needs to know about a model, read from its config without loading weights.

The parameter count comes from building the model on PyTorch's meta device from its config
(no memory, no weights): exact for every architecture transformers knows. A local folder is read
from disk; a hub id goes through `transformers.AutoConfig` (one small download, when online).
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from alignui.errors import AlignUIError, NotFound

#: Name parts that mark an instruction-tuned (SFT) checkpoint.
INSTRUCT_NAME = re.compile(r"instruct|chat|(^|[-_/])it($|[-_.])|sft|dpo|rlhf", re.IGNORECASE)


@dataclass(frozen=True)
class ModelShape:
    """The few numbers of a model's architecture that decide its memory."""

    params: float
    """Parameter count."""
    hidden: int
    layers: int
    intermediate: int
    vocab: int = 32000
    kv_dim: int | None = None
    """Width of the keys (and values) per layer; None means hidden (no grouped-query attention)."""

    @classmethod
    def from_params(cls, params: float) -> "ModelShape":
        """A Llama-like shape with this many parameters (hidden size from params ~ 12 x layers x hidden²)."""
        hidden = max(64, round((params * 128 / 12) ** (1 / 3) / 64) * 64)
        layers = max(1, round(params / (12 * hidden * hidden)))
        return cls(params=params, hidden=hidden, layers=layers, intermediate=int(hidden * 8 / 3))

    @property
    def kv(self) -> int:
        return self.kv_dim or self.hidden

    def lora_params(self, rank: int) -> float:
        """Adapter parameters with LoRA on every linear layer of every block."""
        h, kv, i = self.hidden, self.kv, self.intermediate
        per_layer = (h + h) * 2 + (h + kv) * 2 + (h + i) * 3  # q, o; k, v; gate, up, down
        return rank * per_layer * self.layers


@dataclass
class ModelInfo:
    """A model's size, shape and whether it looks instruction-tuned."""

    name: str
    """The folder or hub id as given."""
    params: int
    """Parameter count (tied embeddings counted once)."""
    shape: ModelShape
    """Architecture numbers the memory estimate uses."""
    looks_instruct: bool
    """Whether the model seems to have had SFT already (chat template, or an instruct-style name)."""
    evidence: str
    """Why `looks_instruct` is what it is."""

    @property
    def params_b(self) -> float:
        return self.params / 1e9

    def to_dict(self) -> dict:
        return {
            "name": self.name, "params": self.params, "params_b": round(self.params_b, 4),
            "hidden_size": self.shape.hidden, "layers": self.shape.layers, "vocab_size": self.shape.vocab,
            "looks_instruct": self.looks_instruct, "evidence": self.evidence,
        }


def inspect_model(name: str) -> ModelInfo:
    """Size, shape and SFT hints of a local model folder or a hub id."""
    name = (name or "").strip()
    if not name:
        raise NotFound("no model given: type a local model folder or a hub id")
    folder = Path(name).expanduser()
    config = _load_config(name, folder)
    params = _count_parameters(config)
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    heads = getattr(text, "num_attention_heads", None)
    kv_heads = getattr(text, "num_key_value_heads", None) or heads
    hidden = int(getattr(text, "hidden_size", 0) or ModelShape.from_params(params).hidden)
    shape = ModelShape(
        params=params,
        hidden=hidden,
        layers=int(getattr(text, "num_hidden_layers", 0) or ModelShape.from_params(params).layers),
        intermediate=int(getattr(text, "intermediate_size", 0) or hidden * 8 / 3),
        vocab=int(getattr(text, "vocab_size", 0) or 32000),
        kv_dim=int(hidden * kv_heads / heads) if heads and kv_heads else None,
    )
    looks, evidence = instruct_hint(name, folder if folder.is_dir() else None)
    return ModelInfo(name, params, shape, looks, evidence)


def local_size_b(name: str) -> float | None:
    """Parameter count in billions for a local model folder (a LoRA adapter folder: its base model's);
    None for hub ids or unreadable folders."""
    folder = Path(name).expanduser() if name else None
    if folder is not None and (folder / "adapter_config.json").is_file():
        try:
            name = json.loads((folder / "adapter_config.json").read_text())["base_model_name_or_path"]
        except (ValueError, KeyError, TypeError):
            return None
    if not name or not (Path(name).expanduser() / "config.json").is_file():
        return None
    try:
        return inspect_model(name).params_b
    except AlignUIError:
        return None


def instruct_hint(name: str, folder: Path | None) -> tuple[bool, str]:
    """Whether a model looks instruction-tuned, and the evidence."""
    if folder is not None and _has_chat_template(folder):
        return True, "its tokenizer has a chat template"
    match = INSTRUCT_NAME.search(Path(name).name if folder is not None else name)
    if match:
        return True, f"its name contains {match.group(0).strip('-_/.')!r}"
    return False, "no chat template and no instruct/chat/-it in its name: looks like a base model"


def _has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    config = folder / "tokenizer_config.json"
    if config.is_file():
        try:
            return bool(json.loads(config.read_text()).get("chat_template"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return False
    return False


def _load_config(name: str, folder: Path):
    from transformers import AutoConfig

    if folder.exists() and not (folder / "config.json").is_file():
        raise NotFound(f"{name} has no config.json: point at a model folder saved with save_pretrained")
    try:
        return AutoConfig.from_pretrained(str(folder) if folder.exists() else name)
    except (OSError, ValueError, KeyError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise NotFound(f"cannot read the config of {name!r} ({first}); give a local model folder, a "
                       "reachable hub id, or type the size in billions of parameters") from None


def _count_parameters(config) -> int:
    import torch
    from transformers import AutoModelForCausalLM

    try:
        with torch.device("meta"):  # shapes only: no memory, no weights
            model = AutoModelForCausalLM.from_config(config)
    except (ValueError, KeyError, TypeError, ImportError) as error:
        raise NotFound(f"transformers cannot build this architecture to count its parameters ({error}); "
                       "type the size in billions of parameters instead") from None
    return sum(p.numel() for p in model.parameters())
