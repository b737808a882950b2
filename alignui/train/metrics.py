"""Reading a run's metrics.jsonl (written by callbacks.MetricsCallback) and what follows from it.

Pure and light: the UI, the CLI and the doctor read metrics without importing torch.
"""

import json
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

PAIRED = ("dpo", "ipo", "simpo", "orpo")


@dataclass(frozen=True)
class Chart:
    """One chart of the Train tab: which logged values it draws, and what a healthy run shows."""

    title: str
    series: dict[str, str]
    """TRL log key -> the short name the legend shows."""
    legend: str
    """What the series differ by (the legend's title)."""
    good: str
    """What good looks like, in one sentence."""
    y_format: str | None = None
    """A d3 format for the value axis (None: Vega's own)."""


LOSS = Chart("Loss", {"loss": "train", "eval_loss": "eval"}, "split",
             "Good: falls from where it starts and the eval line follows it. Flat from the first step means "
             "nothing is learned (plain DPO starts at ln 2 = 0.693, higher with an added SFT term); eval rising "
             "while train falls means overfitting.")
MARGIN = Chart("Reward margin (chosen − rejected)", {"rewards/margins": "train", "eval_rewards/margins": "eval"},
               "split", "Good: rises above 0 in the first few dozen steps and keeps climbing; near 0 "
               "throughout means nothing is learned.")
ACCURACY = Chart("Reward accuracy", {"rewards/accuracies": "train", "eval_rewards/accuracies": "eval"}, "split",
                 "Good: the share of pairs whose chosen answer out-scores the rejected one climbs from "
                 "about 0.5 toward 1.")
KTO_REWARDS = Chart("Rewards per label", {"rewards/chosen": "desirable", "rewards/rejected": "undesirable"},
                    "label", "Good: desirable rises above 0 and undesirable falls below it; KTO logs no "
                    "pair accuracy, since its examples are not pairs.")
KL = Chart("KL to the reference", {"kl": "train KL", "eval_kl": "eval KL"}, "split",
           "Good: small and slowly growing; a steep climb means the model drifts away from the reference.")
GRPO_REWARD = Chart("Reward", {"reward": "mean", "reward_std": "spread"}, "statistic",
                    "Good: the mean rises; a spread near 0 means every sampled answer scores alike and "
                    "there is nothing to learn from.")
LENGTH = Chart("Answer length (tokens)", {"completions/mean_length": "mean"}, "statistic",
               "Good: settles; a steady climb can mean the reward favours longer answers.")
TOKEN_ACCURACY = Chart("Token accuracy", {"mean_token_accuracy": "train", "eval_mean_token_accuracy": "eval"},
                       "split", "Good: rises as the model learns to predict the answers.")
LEARNING_RATE = Chart("Learning rate", {"learning_rate": "rate"}, "schedule",
                      "The schedule, not a result: warms up, then stays or decays as configured.", y_format="~e")

#: The charts of each algorithm, in order: the values its TRL trainer actually logs.
CHARTS = {
    **{algorithm: (LOSS, MARGIN, ACCURACY, LEARNING_RATE) for algorithm in PAIRED},
    "kto": (LOSS, KTO_REWARDS, KL, LEARNING_RATE),
    "grpo": (LOSS, GRPO_REWARD, LENGTH, LEARNING_RATE),
    "sft": (LOSS, TOKEN_ACCURACY, LEARNING_RATE),
}
#: Chart slots on the Train tab: the most any algorithm has.
SLOTS = max(len(charts) for charts in CHARTS.values())


def charts(algorithm: str) -> tuple[Chart, ...]:
    return CHARTS.get(algorithm, (LOSS, LEARNING_RATE))


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


def long_table(records: list[dict], names: dict[str, str]) -> list[dict]:
    """Rows of step, value and series name (log key -> name): the shape a line plot with one colour
    per series takes."""
    return [{"step": step, "value": value, "series": name}
            for key, name in names.items() for step, value in series(records, key) if math.isfinite(value)]


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
