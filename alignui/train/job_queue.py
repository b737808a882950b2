"""The queue: one running job per set of GPUs; the others wait their turn, oldest first.

Jobs whose GPU sets do not overlap run side by side. An empty set means every GPU (or the CPU),
which overlaps everything.
"""

import sqlite_utils

from alignui import store


def gpu_set(gpus: str | None) -> frozenset[str] | None:
    """The GPU ids of a CUDA_VISIBLE_DEVICES string; None stands for all of them."""
    ids = frozenset(g.strip() for g in (gpus or "").split(",") if g.strip())
    return ids or None


def overlaps(a: str | None, b: str | None) -> bool:
    set_a, set_b = gpu_set(a), gpu_set(b)
    return set_a is None or set_b is None or bool(set_a & set_b)


def ahead_of(db: sqlite_utils.Database, job_id: int) -> list[int]:
    """Jobs that must end (running) or start (queued earlier) before this one may start."""
    mine = db["jobs"].get(job_id)
    rows = db.query("select id, status, gpus from jobs where status in ('queued', 'running', 'cancelling') "
                    "and id != ?", [job_id])
    # A cancelling job may still hold its GPUs: it blocks like a running one until it is gone.
    return [row["id"] for row in rows
            if overlaps(row["gpus"], mine["gpus"])
            and (row["status"] in ("running", "cancelling") or row["id"] < job_id)]


def claim(db: sqlite_utils.Database, job_id: int) -> bool:
    """Mark the job running if it is queued and nothing is ahead of it; True if it was."""
    db.execute("BEGIN IMMEDIATE")  # one claimer at a time, across processes
    try:
        row = db["jobs"].get(job_id)
        free = row["status"] == "queued" and not ahead_of(db, job_id)
        if free:
            db["jobs"].update(job_id, {"status": "running", "started_at": store.now()})
        db.conn.commit()
    except BaseException:
        db.conn.rollback()
        raise
    return free
