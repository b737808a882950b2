"""The Train tab's 2-second tick reads only what changed: metrics appended since, a log's end, and
the doctor's findings again only when a run file changes."""

import json

from alignui.train import file_cache, metrics


def test_metrics_read_what_was_appended_and_notice_a_rewrite(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "loss": 1.0}\n{"step": 2, "lo')  # the job is writing line 2
    assert metrics.read(path) == [{"step": 1, "loss": 1.0}]
    with path.open("a") as file:
        file.write('ss": 0.5}\n{"step": 3, "loss": 0.25}\n')
    assert [r["step"] for r in metrics.read(path)] == [1, 2, 3]
    metrics.truncate(path, 1)  # what resume does: the file is rewritten, shorter
    with path.open("a") as file:
        file.write(json.dumps({"step": 2, "loss": 9.0}) + "\n" + json.dumps({"step": 3, "loss": 8.0}) + "\n")
    assert [(r["step"], r["loss"]) for r in metrics.read(path)] == [(1, 1.0), (2, 9.0), (3, 8.0)]
    path.unlink()
    assert metrics.read(path) == []


def test_a_parsed_file_is_parsed_again_only_when_it_changes(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text('{"a": 1}')
    calls = []

    def parse(p):
        calls.append(p)
        return json.loads(p.read_text())

    assert file_cache.parsed(path, parse) == {"a": 1}
    assert file_cache.parsed(path, parse) == {"a": 1}
    assert len(calls) == 1
    path.write_text('{"a": 22}')
    assert file_cache.parsed(path, parse) == {"a": 22}
    assert len(calls) == 2


def test_the_log_tail_reads_the_end_of_a_long_log(tmp_path, monkeypatch):
    from alignui import settings, store
    from alignui.train import jobs

    run = settings.runs_dir() / "1"
    run.mkdir(parents=True)
    (run / "train.log").write_text("".join(f"line {i} " + "x" * (i % 50) + "\n" for i in range(20000)))
    store.connect()["jobs"].insert({"id": 1, "status": "running", "algorithm": "dpo", "run_dir": str(run)})
    monkeypatch.setattr(jobs, "LOG_TAIL_BYTES", 64)  # force the window to widen
    tail = jobs.log_tail(1, 40).splitlines()
    assert len(tail) == 40 and tail[0].startswith("line 19960 ") and tail[-1].startswith("line 19999 ")
