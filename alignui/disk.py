"""Disk space: refuse a job or a save that would not fit, before it fills the disk halfway."""

import shutil
from pathlib import Path

from alignui import settings
from alignui.errors import AlignUIError


def ensure_room(folder: Path, needed: int, what: str) -> None:
    """AlignUIError when `folder`'s disk has less than `needed` bytes free plus settings.DISK_RESERVE."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:  # the nearest folder that exists
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if free < needed + settings.DISK_RESERVE:
        raise AlignUIError(
            f"not enough disk space for {what}: it needs about {_size(needed)} and "
            f"{_size(settings.DISK_RESERVE)} kept in reserve, but {_size(free)} is free; free some space "
            "(old run folders, saved datasets) or lower ALIGNUI_DISK_RESERVE"
        )


def folder_size(path: Path) -> int:
    """Bytes of a file, or of every file under a folder."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def _size(count: int) -> str:
    return f"{count / 1e9:.1f} GB" if count >= 1e8 else f"{count / 1e6:.1f} MB"
