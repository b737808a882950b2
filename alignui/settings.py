"""Where alignui keeps its data, and the limits it runs under."""

import os
from pathlib import Path

#: Largest file the web UI accepts for upload.
MAX_UPLOAD_SIZE = "200mb"
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
