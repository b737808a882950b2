"""Where alignui keeps its data, and the limits it runs under.

Each limit can be changed with the environment variable of the same name plus an `ALIGNUI_` prefix
(e.g. `ALIGNUI_MAX_UPLOAD_SIZE=1gb`), read when alignui starts.
"""

import os
from pathlib import Path


def _env(name: str, default, kind=int):
    value = os.environ.get(f"ALIGNUI_{name}")
    if value in (None, ""):
        return default
    try:
        return kind(value)
    except ValueError:
        raise SystemExit(f"error: ALIGNUI_{name}={value!r} is not a whole number") from None


#: Largest file the web UI accepts for upload (Gradio's size syntax: "200mb", "1gb").
MAX_UPLOAD_SIZE = _env("MAX_UPLOAD_SIZE", "200mb", str)
#: Largest recipe or other YAML text read from a user, in bytes.
MAX_YAML_BYTES = _env("MAX_YAML_BYTES", 1_000_000)
#: Deepest nesting of mappings and lists accepted in such YAML.
MAX_YAML_DEPTH = _env("MAX_YAML_DEPTH", 32)
#: Deepest nesting of objects and arrays accepted in a JSON record of a data file.
MAX_JSON_DEPTH = _env("MAX_JSON_DEPTH", 64)
#: Characters of one field shown in a preview; longer texts are cut, saying how much was left out.
PREVIEW_FIELD_CHARS = _env("PREVIEW_FIELD_CHARS", 500)
#: Characters of an error message beyond which it is cut.
MAX_MESSAGE_CHARS = _env("MAX_MESSAGE_CHARS", 2000)
#: Largest LoRA rank accepted (a rank is at least 1).
MAX_LORA_RANK = _env("MAX_LORA_RANK", 1024)
#: Processes one job may start, below the machine's own limit (its GPUs, or its CPU cores when it
#: has none); 0 means that limit alone.
MAX_PROCESSES = _env("MAX_PROCESSES", 0)
#: Free disk space kept in reserve, in bytes, when checking that a job or a saved dataset fits.
DISK_RESERVE = _env("DISK_RESERVE", 500_000_000)
#: Gradio's upload cache: how often (seconds) it is swept, and the age (seconds) of files removed.
UPLOAD_CACHE_SWEEP = (_env("UPLOAD_CACHE_SWEEP", 3600), _env("UPLOAD_CACHE_AGE", 86400))
#: Rows shown in previews, in the UI and in `data inspect`.
PREVIEW_ROWS = 5
#: Address the app binds to unless told otherwise: this machine only.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


def home() -> Path:
    """The data home: `ALIGNUI_HOME` if set, else `$XDG_DATA_HOME/alignui` (~/.local/share/alignui)."""
    if os.environ.get("ALIGNUI_HOME"):
        return Path(os.environ["ALIGNUI_HOME"]).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return (Path(base) / "alignui").resolve()


def database_path() -> Path:
    return home() / "alignui.db"


def datasets_dir() -> Path:
    return home() / "datasets"


def runs_dir() -> Path:
    return home() / "runs"


def models_dir() -> Path:
    return home() / "models"
