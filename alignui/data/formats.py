"""Reading data files into numbered records: JSONL, JSON, CSV/TSV, Parquet and `save_to_disk` folders.

Record numbers are 1-based and point a user at the right place: the line for JSONL, the data row for
CSV/TSV (header not counted), the position for JSON arrays, Parquet files and dataset folders.
A record that cannot be read (broken JSON, bytes that are not UTF-8) comes back with an error and no
data, so the other records still load; a file that cannot be read at all raises DataError.
"""

import csv
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alignui import settings
from alignui.errors import DataError

SUFFIXES = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".parquet": "parquet", ".pq": "parquet",
}
SUPPORTED = "JSONL, JSON, CSV, TSV, Parquet, or a folder written by datasets' save_to_disk"
#: Bytes read to tell text from binary.
SNIFF_BYTES = 8192
# Long texts in a CSV cell are normal for this data; the csv module's default cap is 128 KiB.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(slots=True)
class Record:
    """One record of a data file."""

    number: int
    """1-based: the JSONL line, the CSV data row, or the position in a JSON array, Parquet file or dataset."""
    data: dict | None
    """The record's fields as read; None when the record could not be read."""
    error: str | None = None
    """Why the record could not be read."""


def detect_format(path: Path) -> str:
    """The format of `path` ("jsonl", "json", "csv", "tsv", "parquet" or "dataset"), from its name and content."""
    if path.is_dir():
        if (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists() \
                or (path / "state.json").exists():
            return "dataset"
        raise DataError(f"{path} is a folder but not a dataset written by save_to_disk; use {SUPPORTED}.")
    if not path.exists():
        raise DataError(f"{path} does not exist.")
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise DataError(f"{path.name} is empty: there are no records to read.")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        raise DataError(f"{path.name} is a ZIP archive (an Excel workbook?); export it as CSV, or unzip it first.")
    if b"\x00" in head:
        raise DataError(
            f"{path.name} is not a text data file (it holds binary bytes, or text saved as UTF-16); "
            f"use {SUPPORTED}."
        )
    fmt = SUFFIXES.get(path.suffix.lower())
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if fmt in (None, "json", "jsonl") and first in (b"[", b"{"):
        return "json" if first == b"[" or fmt == "json" else "jsonl"
    if fmt is None or fmt == "parquet":
        raise DataError(f"{path.name} is not in a format alignui reads; use {SUPPORTED}.")
    return fmt


def read_records(path, fmt: str | None = None) -> Iterator[Record]:
    """Yield every record of the file or dataset folder at `path`, numbered as described above.

    `fmt` skips detection when the caller already knows the format (from `detect_format`).
    """
    path = Path(path)
    return READERS[fmt or detect_format(path)](path)


def _read_jsonl(path: Path) -> Iterator[Record]:
    parsed = _JSON()
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8").rstrip()
            except UnicodeDecodeError as error:
                yield Record(number, None, _bad_bytes(raw, error))
                continue
            try:
                data = parsed.loads(line)
            except json.JSONDecodeError as error:
                yield Record(number, None, f"broken JSON: {error.msg} at column {error.colno}")
                continue
            except RecursionError:
                yield Record(number, None, _too_deep())
                continue
            # Most records are flat objects of texts: only the others are measured.
            if parsed.not_finite or type(data) is not dict or not _FLAT.issuperset(map(type, data.values())):
                problem = parsed.problem(data)
                if problem:
                    yield Record(number, None, problem)
                    continue
            yield _as_record(number, data)


def _read_json(path: Path) -> Iterator[Record]:
    raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        text, bad_bytes = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        # Keep going: the records holding the bad bytes are reported one by one below.
        text, bad_bytes = raw.decode("utf-8", errors="surrogateescape"), True
    parsed = _JSON()
    try:
        data = parsed.loads(text)
    except RecursionError:
        raise DataError(f"{path.name} is nested more than {settings.MAX_JSON_DEPTH} levels deep.") from None
    except json.JSONDecodeError as error:
        if error.msg == "Extra data" and text.lstrip().startswith("{"):
            yield from _read_jsonl(path)  # JSON Lines saved with a .json name
            return
        raise DataError(
            f"{path.name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    for number, item in enumerate(_json_records(path, data), start=1):
        problem = parsed.problem(item)
        if problem:
            yield Record(number, None, problem)
        elif bad_bytes and _has_surrogates(item):
            yield Record(number, None, "record holds bytes that are not valid UTF-8 text")
        else:
            yield _as_record(number, item)


def _json_records(path: Path, data) -> list:
    if isinstance(data, list):
        return data
    # {"data": [...]}: a list of records wrapped in an object with a single key.
    if isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), list):
        return next(iter(data.values()))
    raise DataError(
        f"{path.name} holds a single JSON value, not a list of records; "
        "write an array of objects, or one object per line (JSONL)."
    )


def _read_delimited(path: Path, delimiter: str, name: str) -> Iterator[Record]:
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [column.strip() for column in next(reader)]
            for number, values in enumerate((v for v in reader if v), start=1):
                yield _delimited_record(number, header, values)
        except csv.Error as error:
            raise DataError(f"{path.name} cannot be read as {name}: {error} (line {reader.line_num}).") from None
        except StopIteration:
            return


def _delimited_record(number: int, header: list[str], values: list[str]) -> Record:
    if len(values) > len(header):
        return Record(number, None, f"row has {len(values)} values but the header names {len(header)} columns")
    try:
        "".join(values).encode("utf-8")
    except UnicodeEncodeError:
        return Record(number, None, "row holds bytes that are not valid UTF-8 text")
    return Record(number, dict(zip(header, values)))


def _read_csv(path: Path) -> Iterator[Record]:
    # Spreadsheets in some locales export ";"-separated .csv files; the header tells.
    with open(path, encoding="utf-8-sig", errors="surrogateescape") as handle:
        header = handle.readline()
    delimiter = next((d for d in ",;\t" if d in header), ",")
    return _read_delimited(path, delimiter, "CSV")


def _read_tsv(path: Path) -> Iterator[Record]:
    return _read_delimited(path, "\t", "TSV")


def _read_parquet(path: Path) -> Iterator[Record]:
    import pyarrow
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pyarrow.ArrowException, OSError) as error:
        raise DataError(f"{path.name} is not a readable Parquet file: {error}.") from None
    rows = (data for batch in parquet.iter_batches(batch_size=4096) for data in batch.to_pylist())
    for number, data in enumerate(rows, start=1):
        yield Record(number, data)


def _read_dataset(path: Path) -> Iterator[Record]:
    from datasets import DatasetDict, load_from_disk

    try:
        dataset = load_from_disk(str(path))
    except Exception as error:  # datasets raises several types for a damaged folder
        raise DataError(f"{path} cannot be loaded as a saved dataset: {error}.") from None
    if isinstance(dataset, DatasetDict):
        split = "train" if "train" in dataset else next(iter(dataset), None)
        if split is None:
            raise DataError(f"{path} is a saved dataset with no splits.")
        dataset = dataset[split]
    # Batches: reading a dataset row by row is several times slower.
    rows = (dict(zip(batch, values)) for batch in dataset.iter(batch_size=1024) for values in zip(*batch.values()))
    for number, data in enumerate(rows, start=1):
        yield Record(number, data)


#: Types of a record's values that need no depth check.
_FLAT = frozenset({str, int, float, bool, type(None)})


class _NotFinite(float):
    """What NaN, Infinity and numbers too large for a float read as, so the record can be refused."""


class _JSON:
    """json.loads that marks NaN, Infinity and overflowing numbers, and judges the result."""

    def __init__(self):
        self.not_finite = False
        # One decoder for every line: json.loads with hooks would build a new one per call.
        self.decoder = json.JSONDecoder(parse_constant=self._constant, parse_float=self._float)

    def loads(self, text: str):
        self.not_finite = False
        return self.decoder.decode(text)

    def _constant(self, literal: str) -> float:
        self.not_finite = True
        return _NotFinite("nan")

    def _float(self, literal: str) -> float:
        value = float(literal)
        if math.isinf(value):
            self.not_finite = True
            return _NotFinite(value)
        return value

    def problem(self, value) -> str | None:
        """Why a parsed record cannot be used (too deep, or not-finite numbers), or None."""
        # Iterative, so a deep value cannot exhaust Python's stack.
        stack = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            if isinstance(item, (dict, list)):
                if depth > settings.MAX_JSON_DEPTH:
                    return _too_deep()
                stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
            elif isinstance(item, _NotFinite):
                return "record holds NaN, Infinity or a number too large to read; write a finite number"
        return None


def _too_deep() -> str:
    return f"record is nested more than {settings.MAX_JSON_DEPTH} levels deep"


def _as_record(number: int, data) -> Record:
    if isinstance(data, dict):
        return Record(number, data)
    return Record(number, None, f"expected a JSON object with named fields, got {_json_kind(data)}")


def _json_kind(value) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a number" if not isinstance(value, bool) else "true/false"


def _bad_bytes(raw: bytes, error: UnicodeDecodeError) -> str:
    return f"line is not valid UTF-8 text (byte 0x{raw[error.start]:02x} at position {error.start + 1})"


def _has_surrogates(value) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


READERS = {
    "jsonl": _read_jsonl, "json": _read_json, "csv": _read_csv, "tsv": _read_tsv,
    "parquet": _read_parquet, "dataset": _read_dataset,
}
