"""The one SQLite database: schema, migrations, and how to open it.

Tables:
- `datasets`: the catalog; each row points at a normalised JSONL copy under the data home.
- `jobs`: training jobs and what is known of their processes.
- `feedback`: votes and thumbs given in the Compare tab.
- `evaluations`: win-rate reports.

The schema version lives in SQLite's `user_version`; each migration moves it up by one, inside a
transaction, so a half-applied migration never sticks.
"""

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from alignui import settings


def _v1(db: sqlite_utils.Database) -> None:
    db["datasets"].create(
        {
            "name": str,
            "type": str,
            "style": str,
            "rows": int,
            "path": str,
            "source": str,
            "stats": str,  # JSON
            "created_at": str,
        },
        pk="name",
        not_null={"type", "path", "rows"},
    )
    db["jobs"].create(
        {
            "id": int,
            "status": str,
            "algorithm": str,
            "model": str,
            "dataset": str,
            "run_dir": str,
            "output_dir": str,
            "pid": int,
            "pid_start_time": float,
            "world_size": int,
            "step": int,
            "max_steps": int,
            "error": str,
            "resumed_from_step": int,
            "created_at": str,
            "started_at": str,
            "finished_at": str,
        },
        pk="id",
        not_null={"status", "algorithm"},
    )
    db["jobs"].create_index(["status"])
    db["feedback"].create(
        {
            "id": int,
            "kind": str,  # "vote" or "thumb"
            "prompt": str,
            "conversation": str,  # JSON
            "answer": str,
            "other_answer": str,
            "value": str,  # a, b, tie, both_bad, up, down, withdrawn
            "model": str,
            "job_id": int,
            "sampling": str,  # JSON
            "comment": str,
            "user": str,
            "created_at": str,
        },
        pk="id",
        not_null={"kind", "value"},
    )
    db["evaluations"].create(
        {
            "id": int,
            "reference": str,
            "aligned": str,
            "judge": str,
            "n": int,
            "wins": int,
            "ties": int,
            "losses": int,
            "win_rate": float,
            "ci_low": float,
            "ci_high": float,
            "report": str,  # JSON
            "created_at": str,
        },
        pk="id",
    )


def _v2(db: sqlite_utils.Database) -> None:
    """Jobs: the GPUs a job holds (for the queue), its pace (for the ETA) and where it came from."""
    jobs = db["jobs"]
    jobs.add_column("gpus", str)  # CUDA_VISIBLE_DEVICES; "" means every GPU (or the CPU)
    jobs.add_column("first_step", int)  # step and time of the first step of the latest launch
    jobs.add_column("first_step_at", float)
    jobs.add_column("step_at", float)  # time of the latest step update
    jobs.add_column("parent_id", int)  # the job a doctor's fix was applied to


def _v3(db: sqlite_utils.Database) -> None:
    """Feedback: which exchange and which model a record is about, so votes resolve to a winner."""
    feedback = db["feedback"]
    feedback.add_column("exchange", str)  # one prompt answered by both sides; thumbs and votes share it
    feedback.add_column("role", str)  # "aligned" or "reference": the model that wrote `answer`
    feedback.add_column("other_model", str)  # the model that wrote `other_answer`
    feedback.add_column("other_job_id", int)
    feedback.add_column("blind", int)  # 1 when the names were hidden while the user judged
    feedback.create_index(["kind", "created_at"])


def _v4(db: sqlite_utils.Database) -> None:
    """Feedback: the conversation that led to the other answer (after a follow-up the sides differ)."""
    db["feedback"].add_column("other_conversation", str)  # JSON


#: Migrations in order; MIGRATIONS[i] takes the schema from version i to i + 1.
MIGRATIONS = [_v1, _v2, _v3, _v4]
SCHEMA_VERSION = len(MIGRATIONS)


def now() -> str:
    """A UTC timestamp as stored in every table."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every migration the database has not seen yet. Safe to run twice, and from several
    processes at once."""
    if schema_version(db) == SCHEMA_VERSION:
        return
    # BEGIN IMMEDIATE takes the write lock up front, so processes starting together migrate one at
    # a time; an explicit transaction also stops sqlite3 from autocommitting each DDL statement.
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(db)  # re-read under the lock: another process may have migrated
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            step(db)
            db.conn.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def connect(path: Path | None = None) -> sqlite_utils.Database:
    """Open (creating if needed) the database in the data home, migrated and in WAL mode."""
    path = Path(path) if path else settings.database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # check_same_thread=False: Gradio runs handlers on worker threads.
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA busy_timeout = 30000")  # several processes (app, CLI, jobs) share the file
    db.enable_wal()
    migrate(db)
    return db
