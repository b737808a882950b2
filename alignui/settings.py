"""Where alignui keeps its data, and the limits it runs under."""

import os
from dataclasses import dataclass, fields
from pathlib import Path

#: Largest file the web UI accepts for upload.
MAX_UPLOAD_SIZE = "200mb"
#: Rows shown in previews, in the UI and in `data inspect`.
PREVIEW_ROWS = 5
#: Address the app binds to unless told otherwise: this machine only.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
#: Addresses that reach this machine only; binding anything else needs accounts (see app.py).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class PeopleLimits:
    """Limits that keep one person from starving the others. Each field can be set with the
    environment variable named in its docstring, before the app or the CLI starts."""

    max_jobs_per_user: int = 4
    """ALIGNUI_MAX_JOBS_PER_USER: queued plus running training jobs one login may hold at once."""
    login_max_failures: int = 5
    """ALIGNUI_LOGIN_MAX_FAILURES: wrong passwords (per login name, and per client address) within
    `login_window_s` that lock the name or the address out."""
    login_window_s: float = 60.0
    """ALIGNUI_LOGIN_WINDOW_S: seconds over which failed logins are counted."""
    login_lockout_s: float = 60.0
    """ALIGNUI_LOGIN_LOCKOUT_S: seconds a lockout lasts; it ends by itself."""

    @classmethod
    def from_env(cls) -> "PeopleLimits":
        values = {}
        for field in fields(cls):
            raw = os.environ.get(f"ALIGNUI_{field.name.upper()}")
            if raw is not None:
                values[field.name] = type(field.default)(raw)
        return cls(**values)


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
