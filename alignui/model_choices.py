"""Where models come from: the choices the model pickers offer.

The demo model, folders under the data home's `models/`, models already in the Hugging Face cache,
and a few real small instruct models for GPU users (hub ids, downloaded on first use when online).
Anything else can still be typed: a local folder or a hub id.
"""

from pathlib import Path

from alignui import settings

#: Small instruct models that align well on one GPU (hub ids).
SUGGESTED = (
    "Qwen/Qwen2.5-0.5B-Instruct",
    "HuggingFaceTB/SmolLM2-360M-Instruct",
    "Qwen/Qwen2.5-1.5B-Instruct",
    "meta-llama/Llama-3.2-1B-Instruct",
)


def demo_model() -> Path:
    from alignui.demo import paths

    return paths().model


def is_model_folder(folder: Path) -> bool:
    return (folder / "config.json").exists() or (folder / "adapter_config.json").exists()


def local_models() -> list[Path]:
    """Model folders directly under the data home's models/ folder."""
    root = settings.models_dir()
    if not root.is_dir():
        return []
    # A hidden folder is a conversion still under way (or one that was killed): not a model yet.
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and is_model_folder(p))


def cached_models(cache_dir: Path | None = None) -> list[str]:
    """Hub ids of the models already in the Hugging Face cache (usable offline)."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        cache = scan_cache_dir(cache_dir)  # None: the default cache (HF_HUB_CACHE)
    except CacheNotFound:
        return []
    return sorted(repo.repo_id for repo in cache.repos if repo.repo_type == "model")


def choices() -> list[tuple[str, str]]:
    """(label, value) pairs for a model picker, most local first."""
    found = []
    demo = demo_model()
    if is_model_folder(demo):
        found.append(("demo: tiny arithmetic model (offline)", str(demo)))
    found += [(f"local: {p.name}", str(p)) for p in local_models()]
    cached = cached_models()
    found += [(f"cached: {repo}", repo) for repo in cached]
    found += [(f"hub: {repo} (download)", repo) for repo in SUGGESTED if repo not in cached]
    return found
