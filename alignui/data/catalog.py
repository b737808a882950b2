"""The dataset catalog: normalised JSONL copies under the data home, one row each in the `datasets` table.

A saved dataset lives at `<data home>/datasets/<name>/data.jsonl`, holds TRL-ready rows of one type
(preference prompts always explicit), and is what the later steps train on. The user's own file is
read, never written.

Saves to one name from several processes never mix: each writes a file of its own, and under the
name's file lock (`<data home>/locks/`) renames it into place in the same transaction that writes
the row, so the row always describes the file.
"""

import dataclasses
import fcntl
import hashlib
import json
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alignui import disk, settings, store
from alignui.data import stats
from alignui.data.convert import ConversionOptions, convert_rows
from alignui.data.detect import SAMPLE_SIZE, detect
from alignui.data.jsonl import PARTIAL, write_jsonl, write_partial
from alignui.data.report import load_file
from alignui.data.validate import Validator
from alignui.errors import DataError, NotFound
from alignui.people import acting

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
DATA_FILE = "data.jsonl"


@dataclass
class CatalogEntry:
    """A dataset in the catalog (or a data file made ready the same way, with an empty name)."""

    name: str
    type: str
    """Dataset type in TRL's terms."""
    style: str
    """standard or conversational."""
    rows: int
    path: str
    """The TRL-ready JSONL file."""
    source: str
    """Where the rows came from (the original file, or what produced them)."""
    stats: dict
    """alignui.data.stats figures, plus "warnings" and the conversion "notes"."""
    created_at: str
    owner: str = ""
    """Who saved it (the login name; empty when saved without a login)."""


def check_name(name: str) -> str:
    """The name, if it is safe as a folder name and a catalog key; DataError saying what is allowed."""
    name = (name or "").strip()
    if not NAME_PATTERN.fullmatch(name):
        raise DataError(
            f"dataset name {name!r} is not allowed: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return name


def save(path, name: str, to: str | None = None, options: ConversionOptions | None = None,
         overwrite: bool = False, source: str | None = None) -> CatalogEntry:
    """Validate the data at `path` (converting it to type `to` if given) and save it under `name`.

    `source` is what the catalog records as the origin (default: the path).
    """
    name = check_name(name)
    _refuse_existing(name, overwrite)
    loaded = load_file(path)
    conversion = convert_rows(loaded.rows, loaded.report.type, to or loaded.report.type, options)
    if not conversion.rows:
        raise DataError(f"converting to {to} left no rows to save: {' '.join(conversion.notes)}")
    report = loaded.report
    invalid = [f"{report.rows - report.valid_rows} of {report.rows} records were invalid and left out."] \
        if report.rows > report.valid_rows else []
    return save_rows(conversion.rows, name, source=source or str(path), overwrite=overwrite,
                     notes=invalid + conversion.notes)


def save_rows(rows: list[dict], name: str, source: str = "", overwrite: bool = False,
              notes: list[str] | None = None) -> CatalogEntry:
    """Save TRL-ready rows under `name`. Every row is checked; the type and style are detected.

    The acting user becomes the owner; overwriting someone else's dataset is refused."""
    name = check_name(name)
    _refuse_existing(name, overwrite)
    previous = next(store.connect()["datasets"].rows_where("name = ?", [name], select="owner"), None)
    if previous:
        acting.require_owner(previous["owner"], f"overwriting dataset {name!r}")
    if not rows:
        raise DataError(f"dataset {name!r} would have no rows.")
    detection = detect(rows[:SAMPLE_SIZE], rows[0].keys())
    validator = Validator(detection)
    checked = []
    for number, row in enumerate(rows, start=1):
        try:
            checked.append(validator.normalise(row))
        except ValueError as problem:
            raise DataError(f"row {number} of dataset {name!r} is not {detection.type} data: {problem}") from None
    found = stats.of_rows(checked, detection.type)
    found["notes"] = list(notes or [])
    path = settings.datasets_dir() / name / DATA_FILE
    # A sample's JSON size, scaled: the copy's size within a few percent, for the disk check.
    sample = checked[:: max(1, len(checked) // 200)]
    disk.ensure_room(settings.home(), sum(len(json.dumps(r, ensure_ascii=False)) + 1 for r in sample)
                     * len(checked) // len(sample), f"dataset {name!r}")
    entry = CatalogEntry(name, detection.type, detection.style, len(checked), str(path), source, found,
                         store.now(), acting.owner_name())
    with locked(name):
        _refuse_existing(name, overwrite)  # again: another save may have taken the name meanwhile
        try:
            partial = write_partial(checked, path)
        except OSError as error:
            raise DataError(f"dataset {name!r} could not be written: {error.strerror}") from None
        _commit({**entry.__dict__, "stats": json.dumps(found, ensure_ascii=False)}, partial, path)
    return entry


def _commit(record: dict, partial: Path, path: Path) -> None:
    """Move the new file into place and write its row in one transaction: both change, or neither."""
    conn = store.connect().conn
    columns = list(record)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"INSERT OR REPLACE INTO datasets ({', '.join(columns)}) "
                     f"VALUES ({', '.join('?' * len(columns))})", [record[c] for c in columns])
        os.replace(partial, path)
    except BaseException as error:
        conn.rollback()
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise DataError(f"dataset {record['name']!r} could not be saved: {error.strerror}") from None
        raise
    conn.commit()


@contextmanager
def locked(name: str, shared: bool = False, wait: bool = True):
    """Hold the lock of dataset `name` (a file lock, so it holds across processes); yields False when
    `wait` is False and another process holds it."""
    folder = settings.home() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"dataset-{name}.lock", "a") as handle:
        mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle, mode)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def clean_orphans() -> list[Path]:
    """Remove what killed saves left behind: dataset folders without a row, and half-written files.

    Cheap (one query and a folder listing): called when the app and the CLI start. A folder whose
    save is still running is locked, and left alone.
    """
    root = settings.datasets_dir()
    if not root.is_dir():
        return []
    saved = {row["name"] for row in store.connect().query("select name from datasets")}
    removed = []
    for folder in root.iterdir():
        if not folder.is_dir() or not NAME_PATTERN.fullmatch(folder.name):
            continue
        leftovers = list(folder.glob(f".*{PARTIAL}")) if folder.name in saved else [folder]
        if not leftovers:
            continue
        with locked(folder.name, wait=False) as held:
            if not held or (folder.name not in saved and exists(folder.name)):
                continue
            for path in leftovers:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            removed += leftovers
    return removed


def list_entries() -> list[CatalogEntry]:
    """Every saved dataset, newest first."""
    table = store.connect()["datasets"]
    return [_entry(row) for row in table.rows_where(order_by="created_at desc, name")]


def get(name: str) -> CatalogEntry:
    """The saved dataset called `name`; NotFound listing the saved ones otherwise."""
    rows = list(store.connect()["datasets"].rows_where("name = ?", [name]))
    if not rows:
        saved = ", ".join(e.name for e in list_entries()) or "none yet"
        raise NotFound(f"no saved dataset named {name!r} (saved: {saved}).")
    return _entry(rows[0])


def lookup(name_or_path: str, into=None) -> CatalogEntry:
    """A catalog dataset by name, or a data file made TRL-ready.

    A data file is inspected and its normalised rows written to `into/dataset.jsonl` when `into`
    (a folder, e.g. a run folder) is given, else to a cache under the data home. The returned entry
    has an empty name.
    """
    if not str(name_or_path or "").strip():  # Path("") would be the working folder
        raise DataError("no dataset given: name a saved dataset or a data file")
    if NAME_PATTERN.fullmatch(str(name_or_path)) and exists(str(name_or_path)):
        if into is None:
            return get(str(name_or_path))
        with locked(str(name_or_path), shared=True):  # the row and the file of one save, never a mix
            entry = get(str(name_or_path))
            target = Path(into) / "dataset.jsonl"
            shutil.copyfile(entry.path, target)
        return dataclasses.replace(entry, path=str(target))
    path = Path(name_or_path).expanduser()
    if not path.exists():
        saved = ", ".join(e.name for e in list_entries()) or "none yet"
        raise NotFound(f"{name_or_path!r} is neither a saved dataset (saved: {saved}) nor an existing file.")
    loaded = load_file(path)
    target = Path(into) / "dataset.jsonl" if into else _cache_path(path)
    write_jsonl(loaded.rows, target)
    report = loaded.report
    found = {**report.stats, "warnings": report.warnings, "notes": []}
    return CatalogEntry("", report.type, report.style, len(loaded.rows), str(target), str(path.resolve()),
                        found, store.now())


def resolve(name_or_path: str, into=None) -> Path:
    """The TRL-ready JSONL for a catalog name or a data file (see `lookup`)."""
    return Path(lookup(name_or_path, into).path)


def delete(name: str) -> None:
    """Remove a saved dataset: its catalog row and its folder (its owner or an admin only)."""
    acting.require_owner(get(name).owner, f"deleting dataset {name!r}")
    with locked(name):
        store.connect()["datasets"].delete(name)
        shutil.rmtree(settings.datasets_dir() / name, ignore_errors=True)


def exists(name: str) -> bool:
    return bool(list(store.connect()["datasets"].rows_where("name = ?", [name], select="name")))


def _refuse_existing(name: str, overwrite: bool) -> None:
    if not overwrite and exists(name):
        raise DataError(f"a dataset named {name!r} already exists; choose another name or allow overwriting.")


def _cache_path(path: Path) -> Path:
    stat = path.stat()
    digest = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return settings.home() / "cache" / "datasets" / f"{path.stem}-{digest}.jsonl"


def _entry(row: dict) -> CatalogEntry:
    return CatalogEntry(**{**row, "stats": json.loads(row["stats"] or "{}"), "owner": row.get("owner") or ""})
