"""Two processes overwriting one saved dataset: the row and the file always agree."""

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from alignui import settings, store
from alignui.data import catalog
from alignui.data.jsonl import write_partial

WRITER = r"""
import json, sys
from alignui.data import catalog

kind, rounds = sys.argv[1], int(sys.argv[2])

def rows(n):
    if kind == "preference":
        return [{"prompt": f"q{i}", "chosen": "good", "rejected": "bad"} for i in range(n)]
    return [{"prompt": f"q{i}", "completion": "text", "label": i % 2 == 0} for i in range(n)]

def agrees():
    with catalog.locked("shared", shared=True):
        entry = catalog.get("shared")
        lines = [json.loads(line) for line in open(entry.path)]
    keys = set(lines[0])
    expected = {"preference": {"prompt", "chosen", "rejected"},
                "unpaired_preference": {"prompt", "completion", "label"}}[entry.type]
    return entry.rows == len(lines) and keys == expected, (entry.type, entry.rows, len(lines), sorted(keys))

for number in range(rounds):
    size = 20 + number if kind == "preference" else 60 + 2 * number
    catalog.save_rows(rows(size), "shared", source=kind, overwrite=True)
    ok, seen = agrees()
    if not ok:
        print("MISMATCH", seen, flush=True)
print("DONE", flush=True)
"""


def test_two_processes_overwriting_one_name_never_leave_row_and_file_disagreeing(alignui_home):
    store.connect()  # migrate once, so the writers start on the same schema
    env = dict(os.environ, ALIGNUI_HOME=str(alignui_home))
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, kind, "50"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for kind in ("preference", "unpaired_preference")]
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        assert out.strip().splitlines() == ["DONE"], out
        assert "Errno" not in err
    entry = catalog.get("shared")
    lines = Path(entry.path).read_text().splitlines()
    assert entry.rows == len(lines) and entry.type in ("preference", "unpaired_preference")
    assert entry.rows == (69 if entry.type == "preference" else 158)  # each writer's last save
    assert sorted(p.name for p in Path(entry.path).parent.iterdir()) == ["data.jsonl"]  # no temp file left


def test_what_a_killed_save_left_is_cleaned_at_start(tmp_path):
    catalog.save_rows([{"prompt": "q", "completion": "a", "label": True}], "kept")
    orphan = settings.datasets_dir() / "half-saved"
    write_partial([{"prompt": "q"}], orphan / "data.jsonl")
    leftover = write_partial([{"prompt": "q"}], settings.datasets_dir() / "kept" / "data.jsonl")
    with catalog.locked("busy"):  # a save still running elsewhere is left alone
        (settings.datasets_dir() / "busy").mkdir()
        assert sorted(p.name for p in catalog.clean_orphans()) == sorted(["half-saved", leftover.name])
    assert not orphan.exists() and not leftover.exists() and (settings.datasets_dir() / "busy").exists()
    assert catalog.get("kept").rows == 1
    assert catalog.clean_orphans() == [settings.datasets_dir() / "busy"]


