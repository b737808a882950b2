"""Which server-side paths the web UI reads: only those under the allowed roots.

A visitor types a model folder, a data file or a tokenizer folder into a text field; the server
must not read whatever its own user can read. Accepted are paths under the data home's datasets,
models, runs and cache folders, the demo assets, the Hugging Face hub cache, and the folders listed
(os.pathsep-separated) in ALIGNUI_MODEL_DIRS (models, tokenizers, reward models) or
ALIGNUI_DATA_DIRS (data files). A hub id
(no leading "/", "." or "~", at most one "/") and a saved dataset's name stay accepted. A refused
path gets the same message whether or not it exists, and nothing of its content is read.

The command line runs as the machine's own user and takes any path: only the UI checks.
"""

import os
from pathlib import Path

from alignui import settings
from alignui.errors import NotAllowed

#: Environment variables listing further roots, by kind of path.
ROOT_ENV = {"model": "ALIGNUI_MODEL_DIRS", "data": "ALIGNUI_DATA_DIRS"}
#: What a field names, in messages, by kind.
NOUNS = {"model": "model folder", "data": "data file", "tokenizer": "tokenizer folder",
         "reward model": "reward model folder", "prompts": "prompt file"}


def roots(kind: str) -> list[Path]:
    """The folders paths of this kind may lie under, resolved."""
    from huggingface_hub import constants

    from alignui.demo import ASSETS

    env = ROOT_ENV["data" if kind in ("data", "prompts") else "model"]
    listed = [part for part in os.environ.get(env, "").split(os.pathsep) if part.strip()]
    # Folders of the data home and of the Hugging Face cache, not their tops: the database and the
    # hub token lie there.
    home = settings.home()
    found = [settings.datasets_dir(), settings.models_dir(), settings.runs_dir(), home / "cache", ASSETS.parent,
             Path(constants.HF_HUB_CACHE)]
    return [Path(root).expanduser().resolve() for root in found + listed]


def is_hub_id(text: str) -> bool:
    """Whether `text` reads as a hub id rather than a path: no leading / . ~, at most one slash."""
    return not text.startswith(("/", ".", "~")) and text.count("/") <= 1 and "\\" not in text


def allowed_path(text: str | None, kind: str) -> str:
    """`text` as the server should use it: a hub id or saved dataset name as typed, a path resolved.

    Raises NotAllowed for a path outside the roots (see the module docstring). An empty text comes
    back empty: each field says what empty means.
    """
    text = (text or "").strip()
    if not text:
        return text
    if kind in ("data", "prompts") and _saved_dataset(text):
        return text
    try:
        path = Path(text).expanduser()
        if is_hub_id(text) and kind not in ("data", "prompts") and not path.exists():
            return text
        resolved = path.resolve()
    except (OSError, ValueError, RuntimeError):  # a null byte, a symlink loop, an unknown ~user
        resolved = None
    if resolved is None or not any(resolved.is_relative_to(root) for root in roots(kind)):
        data = kind in ("data", "prompts")
        raise NotAllowed(
            f"{text[:200]!r} is not {'a saved dataset, nor ' if data else ''}a {NOUNS[kind]} under the "
            f"folders this server reads from; use {'a saved dataset' if data else 'a listed model or a hub id'}, "
            f"or ask whoever runs the server to add its folder to {ROOT_ENV['data' if data else 'model']}"
        )
    return str(resolved)


def _saved_dataset(name: str) -> bool:
    from alignui.data import catalog

    return bool(catalog.NAME_PATTERN.fullmatch(name)) and catalog.exists(name)
