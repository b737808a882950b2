"""What the operating system knows about a job's processes, read from /proc (Linux).

A pid alone is not an identity: the kernel reuses pids. A job records its leader's pid together with
the process start time, so a stranger that inherited the pid is never mistaken for the job.
Where /proc is missing (macOS), start times are unknown and liveness falls back to `kill(pid, 0)`.
"""

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcInfo:
    """One line of /proc/<pid>/stat, the fields we use."""

    pid: int
    ppid: int
    pgid: int
    state: str
    """"R", "S", ..., "Z" for a zombie (exited, not yet reaped: as good as gone)."""
    start_ticks: int
    """Start time in clock ticks since boot."""


def info(pid: int) -> ProcInfo | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError, OSError):
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    fields = text[text.rindex(")") + 2:].split()
    return ProcInfo(pid=pid, ppid=int(fields[1]), pgid=int(fields[2]), state=fields[0],
                    start_ticks=int(fields[19]))


def _boot_time() -> float:
    for line in (PROC / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


def start_time(pid: int) -> float | None:
    """When the process started, in seconds since the epoch; None if unknown or gone."""
    found = info(pid)
    if found is None:
        return None
    return round(_boot_time() + found.start_ticks / os.sysconf("SC_CLK_TCK"), 2)


def alive(pid: int | None, started: float | None = None) -> bool:
    """Whether `pid` runs and is the process that started at `started` (when given)."""
    if not pid:
        return False
    if not PROC.exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    found = info(pid)
    if found is None or found.state == "Z":
        return False
    return started is None or abs(start_time(pid) - started) < 1.0


def all_processes() -> list[ProcInfo]:
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            one = info(int(entry.name))
            if one is not None and one.state != "Z":
                found.append(one)
    return found


def family(roots: set[int], group: int | None = None) -> set[int]:
    """Live pids among `roots`, descended from them, or in process group `group`.

    Descendants count because a launcher may put workers in sessions of their own
    (torch's elastic agent does), out of reach of a signal to the group.
    """
    procs = all_processes()
    children: dict[int, list[int]] = {}
    for proc in procs:
        children.setdefault(proc.ppid, []).append(proc.pid)
    members = {p.pid for p in procs if group is not None and p.pgid == group} | set(roots)
    todo = list(members)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in members:
                members.add(child)
                todo.append(child)
    return {pid for pid in members if alive(pid)}


def _signal_all(pids: set[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_family(roots: set[int], group: int | None = None, grace: float = 10.0) -> set[int]:
    """SIGTERM the family (see `family`), SIGKILL what is left after `grace` seconds.

    The calling process is spared (a supervisor stops its own children this way). Returns the pids
    still alive at the end (empty when all are gone).
    """
    me = os.getpid()

    def members() -> set[int]:
        return family(roots, group) - {me}

    pids = members()
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        time.sleep(0.1)
        # A dying launcher may still fork: look again each round.
        fresh = members() - pids
        _signal_all(fresh, signal.SIGTERM)
        pids = {p for p in pids if alive(p)} | fresh
    _signal_all(pids, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while pids and time.monotonic() < deadline:
        time.sleep(0.05)
        pids = {p for p in pids | members() if alive(p)}
        _signal_all(pids, signal.SIGKILL)
    return pids
