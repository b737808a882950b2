"""Writers for the small data files the data-studio tests build inside tmp_path."""

import json
from pathlib import Path


def jsonl(path: Path, rows) -> Path:
    """One JSON value per line; a str in `rows` is written as the line itself (to make broken lines)."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def json_array(path: Path, rows) -> Path:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def lines(path: Path) -> list:
    """The JSON values of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


PAIRS = [
    {"prompt": "What color is the sky?", "chosen": "Blue.", "rejected": "Green."},
    {"prompt": "What is 2 + 2?", "chosen": "4", "rejected": "5"},
    {"prompt": "Name a fruit.", "chosen": "An apple.", "rejected": "A chair."},
]
