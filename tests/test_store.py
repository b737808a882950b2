import sqlite3

import pytest

from alignui import settings, store


def test_connect_creates_database_in_data_home(alignui_home):
    db = store.connect()
    assert settings.database_path() == alignui_home / "alignui.db"
    assert settings.database_path().exists()
    assert set(db.table_names()) >= {"datasets", "jobs", "feedback", "evaluations"}


def test_database_uses_wal_and_busy_timeout():
    db = store.connect()
    assert db.journal_mode == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_schema_version_is_recorded_and_migrate_is_idempotent():
    db = store.connect()
    assert store.schema_version(db) == store.SCHEMA_VERSION
    store.migrate(db)
    store.connect()
    assert store.schema_version(db) == store.SCHEMA_VERSION


def test_migrations_apply_from_an_older_version(tmp_path):
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()  # an empty database at version 0
    db = store.connect(path)
    assert store.schema_version(db) == store.SCHEMA_VERSION
    assert "jobs" in db.table_names()


def test_a_failing_migration_leaves_the_version_unchanged(tmp_path, monkeypatch):
    db = store.connect(tmp_path / "a.db")

    def broken(db):
        db["half_done"].create({"id": int}, pk="id")
        raise RuntimeError("boom")

    before = store.schema_version(db)
    monkeypatch.setattr(store, "MIGRATIONS", [*store.MIGRATIONS, broken])
    monkeypatch.setattr(store, "SCHEMA_VERSION", before + 1)
    with pytest.raises(RuntimeError, match="boom"):
        store.migrate(db)
    assert store.schema_version(db) == before
    assert "half_done" not in db.table_names()


def test_data_home_defaults_outside_the_working_tree(monkeypatch, tmp_path):
    monkeypatch.delenv("ALIGNUI_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert settings.home() == (tmp_path / "xdg" / "alignui").resolve()


def test_processes_opening_a_new_database_together_all_succeed(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    path = tmp_path / "shared.db"
    code = f"from alignui import store; db = store.connect({str(path)!r}); print(store.schema_version(db))"
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert all(code == 0 for _, _, code in results), [err for _, err, _ in results]
    assert {out.strip() for out, _, _ in results} == {str(store.SCHEMA_VERSION)}
