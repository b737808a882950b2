"""Reading a run's metrics.jsonl (written by callbacks.MetricsCallback) and what follows from it.

Pure and light: the UI, the CLI and the doctor read metrics without importing torch.
"""

import json
import math
import os
import threading
from pathlib import Path

#: The series the Train tab plots, in order, with the log keys TRL uses for them.
PLOTS = {
    "loss": ("loss", "eval_loss"),
    "reward margin": ("rewards/margins", "eval_rewards/margins", "reward"),
    "reward accuracy": ("rewards/accuracies", "eval_rewards/accuracies"),
    "learning rate": ("learning_rate",),
}


def read(path: Path) -> list[dict]:
    """Every logged dict, in order. A half-written last line (the job is writing) is skipped.

    The file only grows while a job runs, and the Train tab reads it every 2 s: what was read
    before is kept, and only the bytes appended since are parsed. A file rewritten meanwhile
    (resume truncates it) is read again in full.
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            inode = os.fstat(file.fileno()).st_ino
            with _lock:
                known = _read_so_far.get(str(path))
            records, offset = [], 0
            if known and known[0] == inode and _unchanged(file, known[1], known[2]):
                records, offset = list(known[3]), known[1]
            file.seek(offset)
            new = file.read()
    except FileNotFoundError:
        return []
    complete = new[:new.rfind(b"\n") + 1]  # a line without its newline is still being written
    for line in complete.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    offset += len(complete)
    with _lock:
        _read_so_far[str(path)] = (inode, offset, complete[-TAIL_CHECK:] if complete else
                                   (known[2] if known and offset else b""), records)
    return list(records)


#: Bytes before the read offset compared, to tell an appended file from a rewritten one.
TAIL_CHECK = 64
_read_so_far: dict[str, tuple] = {}
_lock = threading.Lock()


def _unchanged(file, offset: int, tail: bytes) -> bool:
    """Whether the file still holds `tail` just before `offset` (it was appended to, not rewritten)."""
    if offset < len(tail):
        return False
    file.seek(offset - len(tail))
    return file.read(len(tail)) == tail


def truncate(path: Path, step: int) -> None:
    """Drop the records logged after `step`: a resumed run logs those steps again."""
    kept = [r for r in read(path) if r.get("step", 0) <= step]
    if Path(path).exists():
        Path(path).write_text("".join(json.dumps(r) + "\n" for r in kept))


def series(records: list[dict], key: str) -> list[tuple[int, float]]:
    """(step, value) for every record that logged `key` as a number."""
    return [(r["step"], float(r[key])) for r in records
            if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]


def long_table(records: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """Rows of step, value and series name: the shape a line plot with one colour per series takes."""
    return [{"step": step, "value": value, "series": key}
            for key in keys for step, value in series(records, key) if math.isfinite(value)]


def last(records: list[dict], key: str):
    """The latest logged value of `key`, or None."""
    for record in reversed(records):
        if key in record:
            return record[key]
    return None


def eta_seconds(step: int | None, max_steps: int | None, first_step: int | None,
                first_step_at: float | None, step_at: float | None) -> float | None:
    """Seconds left at the pace measured since the first step of this launch, or None if unknown."""
    if not (step and max_steps and first_step_at and step_at) or first_step is None:
        return None
    done = step - first_step
    if done <= 0:
        return None
    return max(0.0, (step_at - first_step_at) / done * (max_steps - step))
