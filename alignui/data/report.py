"""Inspecting a data file: read → alias → detect → validate → stats, in one streaming pass.

`inspect_file` keeps only the stats (a 100k-row file stays fast and small in memory); `load_file`
also keeps the normalised rows, for converting and saving.
"""

import dataclasses
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from alignui import algorithms, settings
from alignui.data import convert, stats
from alignui.data.aliases import Aliaser
from alignui.data.detect import SAMPLE_SIZE, Detection, detect
from alignui.data.formats import detect_format, read_records
from alignui.data.validate import Validator
from alignui.errors import DataError


@dataclass
class Report:
    """What inspecting a data file found; `to_dict()` is the JSON of `data inspect --json`."""

    path: str
    """The file or folder inspected."""
    format: str
    """jsonl, json, csv, tsv, parquet or dataset (a save_to_disk folder)."""
    type: str
    """The dataset type, in TRL's terms (alignui.algorithms.DATASET_TYPES)."""
    style: str
    """standard (plain strings) or conversational (lists of {role, content} turns)."""
    implicit_prompt: bool
    """Whether some preference pairs had no prompt field: their prompt was found inside chosen and rejected."""
    rows: int
    """Records read, the bad ones included."""
    valid_rows: int
    """Records that became TRL-ready rows."""
    errors: list[dict]
    """One {"row": N, "message": ...} per skipped record, N being its 1-based record number."""
    columns: dict[str, str]
    """Columns that were renamed: {file's column: TRL field}."""
    stats: dict
    """Counts, lengths, duplicates, label balance (see alignui.data.stats)."""
    warnings: list[str] = field(default_factory=list)
    """Plain-language findings worth acting on before training."""
    preview: list[dict] = field(default_factory=list)
    """The first normalised rows, each with its record number under "row"."""
    algorithms: list[str] = field(default_factory=list)
    """Algorithms that train on this type as it is."""
    conversions: list[str] = field(default_factory=list)
    """Types this data converts to (`data convert --to`)."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Loaded:
    """A data file read whole: its report and its normalised rows."""

    report: Report
    rows: list[dict]
    """TRL-ready rows, in file order."""


def inspect_file(path, tokenizer=None) -> Report:
    """Inspect the data file or dataset folder at `path`; `tokenizer` (a folder) adds token lengths."""
    return _scan(Path(path), tokenizer, keep_rows=False).report


def load_file(path, tokenizer=None) -> Loaded:
    """Inspect and keep the normalised rows; DataError when no row is usable."""
    loaded = _scan(Path(path), tokenizer, keep_rows=True)
    if not loaded.rows:
        raise DataError(no_rows_message(loaded.report))
    return loaded


def no_rows_message(report: Report) -> str:
    first = report.errors[0] if report.errors else None
    example = f" (row {first['row']}: {first['message']})" if first else ""
    return (f"{Path(report.path).name} has no usable rows: all {report.rows} records have problems{example}.")


def _scan(path: Path, tokenizer, keep_rows: bool) -> Loaded:
    fmt = detect_format(path)
    aliaser = Aliaser()
    records = ((r, aliaser.canonical(r.data) if r.data is not None else None) for r in read_records(path, fmt))
    sample = list(islice(records, SAMPLE_SIZE))
    detection = _detect(path, sample)
    validator = Validator(detection)
    builder = stats.StatsBuilder(detection.type, stats.load_tokenizer(tokenizer) if tokenizer else None)
    errors, kept, preview = [], [], []
    total = 0
    for total, (record, canonical) in enumerate(chain(sample, records), start=1):
        if canonical is None:
            errors.append({"row": record.number, "message": record.error})
            continue
        try:
            row = validator.normalise(canonical)
        except ValueError as problem:
            errors.append({"row": record.number, "message": shorten(str(problem))})
            continue
        builder.add(record.number, row)
        if keep_rows:
            kept.append(row)
        if len(preview) < settings.PREVIEW_ROWS:
            preview.append({"row": record.number, **shorten(row)})

    valid = total - len(errors)
    found = builder.result()
    if detection.type == "preference":
        found["extracted_prompts"] = validator.extracted_prompts
    report = Report(
        path=str(path), format=fmt, type=detection.type, style=detection.style,
        implicit_prompt=validator.extracted_prompts > 0, rows=total, valid_rows=valid, errors=errors,
        columns=aliaser.renamed, stats=found, warnings=stats.warnings(detection.type, total, valid, found),
        preview=preview,
        algorithms=[a.name for a in algorithms.ALGORITHMS.values() if detection.type in a.data_types],
        conversions=convert.targets(detection.type),
    )
    return Loaded(report, kept)


def shorten(value, chars: int | None = None):
    """A value as a preview shows it: each text cut to `chars` (settings.PREVIEW_FIELD_CHARS)
    characters, and each list to as many items, saying how much was left out."""
    chars = chars or settings.PREVIEW_FIELD_CHARS
    if isinstance(value, str):
        return value if len(value) <= chars else value[:chars] + f"… ({len(value) - chars:,} more characters)"
    if isinstance(value, dict):
        return {key: shorten(item, chars) for key, item in value.items()}
    if isinstance(value, list):
        kept = [shorten(item, chars) for item in value[:chars]]
        return kept + ([f"… ({len(value) - chars:,} more items)"] if len(value) > chars else [])
    return value


def _detect(path: Path, sample: list) -> Detection:
    """Type and style from the first (record, aliased fields) pairs; DataError if none could be read."""
    readable = [canonical for _, canonical in sample if canonical is not None]
    if not readable:
        first = sample[0][0] if sample else None
        detail = f" (row {first.number}: {first.error})" if first else ""
        raise DataError(f"no record of {path.name} could be read{detail}.")
    columns = {column for record, _ in sample if record.data is not None for column in record.data}
    return detect(readable, columns)
