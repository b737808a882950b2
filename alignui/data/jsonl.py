"""Writing TRL-ready JSONL: converted files, with an optional validation split beside them."""

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alignui.data.convert import ConversionOptions, convert_rows
from alignui.data.report import load_file
from alignui.data.split import DEFAULT_SEED, split_rows
from alignui.errors import DataError


@dataclass
class Converted:
    """What `convert_file` wrote."""

    out: str
    """The JSONL file of the target type (the training part, when split)."""
    type: str
    style: str
    rows: int
    """Rows written to `out`."""
    source_rows: int
    """Usable rows of the input."""
    invalid_records: int
    """Input records that failed validation (see `data inspect`)."""
    skipped: int
    """Usable rows or prompt groups the conversion could not turn into rows (see `notes`)."""
    notes: list[str] = field(default_factory=list)
    validation_out: str | None = None
    """The held-out JSONL file, when a validation split was asked for."""
    validation_rows: int = 0


def read_jsonl(path) -> list[dict]:
    """The rows of a JSON Lines file the project wrote (blank lines skipped)."""
    with open(path, encoding="utf-8") as source:
        return [json.loads(line) for line in source if line.strip()]


#: Suffix of a file still being written; a name of its own per writer, so two never share one.
PARTIAL = ".partial"


def write_partial(rows, path) -> Path:
    """Write rows as JSON Lines to a new hidden file beside `path`; returns that file (rename it into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                         suffix=PARTIAL, delete=False)
    try:
        with handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False))
                handle.write("\n")
    except BaseException:
        os.unlink(handle.name)
        raise
    return Path(handle.name)


def write_jsonl(rows, path) -> Path:
    """Write rows as JSON Lines, atomically: readers never see half a file."""
    path = Path(path)
    os.replace(write_partial(rows, path), path)
    return path


def validation_path(out: Path) -> Path:
    """Where the held-out rows of `out` go: train.jsonl → train.validation.jsonl."""
    return out.with_name(f"{out.stem}.validation{out.suffix or '.jsonl'}")


def convert_file(path, to: str, out, options: ConversionOptions | None = None,
                 validation_split: float = 0.0, seed: int = DEFAULT_SEED) -> Converted:
    """Read, validate and convert the data at `path` to type `to`, writing TRL-ready JSONL to `out`."""
    out = Path(out)
    if out.exists() and out.resolve() == Path(path).resolve():
        raise DataError("the output would overwrite the input file; choose another --out path.")
    loaded = load_file(path)
    report = loaded.report
    conversion = convert_rows(loaded.rows, report.type, to, options)
    if not conversion.rows:
        raise DataError(
            f"converting to {to} left no rows: {' '.join(conversion.notes)} "
            "Loosen the thresholds (--chosen-min, --rejected-max) or check the ratings."
        )
    train, validation = split_rows(conversion.rows, validation_split, seed)
    write_jsonl(train, out)
    held_out = write_jsonl(validation, validation_path(out)) if validation else None
    return Converted(
        out=str(out), type=conversion.type, style=report.style, rows=len(train),
        source_rows=report.valid_rows, invalid_records=report.rows - report.valid_rows,
        skipped=conversion.skipped,
        notes=conversion.notes, validation_out=str(held_out) if held_out else None,
        validation_rows=len(validation),
    )
