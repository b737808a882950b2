"""`python -m alignui data ...` run as a user runs it: a fresh process, its stdout, stderr and exit code."""

import json

import pytest
from conftest import run_cli
from datafiles import PAIRS, json_array, jsonl, lines

RATINGS = [
    {"instruction": "q1", "responses": [{"text": "great", "rating": 5}, {"text": "poor", "rating": 1}]},
    {"instruction": "q2", "responses": [{"text": "good", "rating": 4}, {"text": "meh", "rating": 3}]},
]


def test_inspect_json_contract(tmp_path, alignui_home):
    path = jsonl(tmp_path / "d.jsonl", PAIRS + ["{broken", {"prompt": "q", "chosen": "x", "rejected": "x"}])
    result = run_cli("data", "inspect", path, "--json", home=alignui_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["type"], report["style"], report["rows"], report["valid_rows"]) == ("preference", "standard", 5, 3)
    assert report["errors"] == [{"row": 4, "message": "broken JSON: Expecting property name enclosed in double "
                                                      "quotes at column 2"},
                                {"row": 5, "message": "chosen and rejected are identical"}]
    assert {"stats", "warnings", "preview", "algorithms", "conversions"} <= set(report)
    assert result.stderr == ""


def test_inspect_text_output(tmp_path, alignui_home):
    path = tmp_path / "thumbs.csv"
    path.write_text("instruction,response,thumbs_up\nq,a,true\nq,b,false\nr,c,maybe\n")
    result = run_cli("data", "inspect", path, home=alignui_home)
    assert result.returncode == 0
    assert "type:     unpaired_preference (standard)" in result.stdout
    assert "rows:     3 read, 2 valid, 1 skipped" in result.stdout
    assert "row 3: field 'label' has unusable value 'maybe'" in result.stdout


def test_inspect_with_no_valid_row_exits_non_zero_with_one_line(tmp_path, alignui_home):
    path = jsonl(tmp_path / "d.jsonl", [{"prompt": "q", "chosen": "x", "rejected": "x"}])
    result = run_cli("data", "inspect", path, "--json", home=alignui_home)
    assert result.returncode == 1
    assert json.loads(result.stdout)["valid_rows"] == 0
    assert result.stderr.strip().splitlines() == [
        "error: d.jsonl has no usable rows: all 1 records have problems (row 1: chosen and rejected are identical)."]


@pytest.mark.parametrize("name, content, message", [
    ("empty.jsonl", b"", "empty.jsonl is empty"),
    ("blob.bin", bytes(range(256)), "not a text data file"),
    ("notes.txt", b"hello there\n", "not in a format alignui reads"),
    ("odd.jsonl", b'{"foo": 1}\n', "cannot tell what kind of data this is"),
])
def test_unusable_files_give_one_clear_line(tmp_path, alignui_home, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = run_cli("data", "inspect", path, "--json", home=alignui_home)
    assert result.returncode != 0 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ") and message in result.stderr


def test_convert_ratings_to_preference_with_thresholds(tmp_path, alignui_home):
    path = json_array(tmp_path / "r.json", RATINGS)
    out = tmp_path / "dpo.jsonl"
    result = run_cli("data", "convert", path, "--to", "preference", "--out", out, home=alignui_home)
    assert result.returncode == 0, result.stderr
    assert lines(out) == [{"prompt": "q1", "chosen": "great", "rejected": "poor"}]
    assert "note: skipped 1 prompt: worst rating above 2." in result.stdout
    result = run_cli("data", "convert", path, "--to", "preference", "--out", out, "--chosen-min", "4",
                     "--rejected-max", "3", "--json", home=alignui_home)
    assert json.loads(result.stdout)["rows"] == 2
    assert len(lines(out)) == 2


def test_convert_ratings_to_unpaired_with_threshold_and_split(tmp_path, alignui_home):
    path = json_array(tmp_path / "r.json", RATINGS)
    out = tmp_path / "kto.jsonl"
    result = run_cli("data", "convert", path, "--to", "unpaired_preference", "--out", out,
                     "--threshold", "3", "--validation-split", "0.5", "--json", home=alignui_home)
    done = json.loads(result.stdout)
    assert (done["rows"], done["validation_rows"]) == (2, 2)
    rows = lines(out) + lines(tmp_path / "kto.validation.jsonl")
    assert sorted((r["completion"], r["label"]) for r in rows) == [
        ("good", True), ("great", True), ("meh", True), ("poor", False)]


def test_impossible_conversion_is_refused(tmp_path, alignui_home):
    path = jsonl(tmp_path / "kto.jsonl", [{"prompt": "q", "completion": "a", "label": True}])
    result = run_cli("data", "convert", path, "--to", "preference", "--out", tmp_path / "o.jsonl", home=alignui_home)
    assert result.returncode == 1
    assert "unpaired labels never become pairs" in result.stderr
    assert "unpaired_preference converts to: unpaired_preference, prompt_completion, prompt_only" in result.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_save_list_and_delete(tmp_path, alignui_home):
    path = jsonl(tmp_path / "d.jsonl", PAIRS)
    saved = run_cli("data", "save", path, "--name", "pairs", "--json", home=alignui_home)
    assert json.loads(saved.stdout)["rows"] == 3
    again = run_cli("data", "save", path, "--name", "pairs", home=alignui_home)
    assert again.returncode == 1 and "already exists" in again.stderr
    listed = json.loads(run_cli("data", "list", "--json", home=alignui_home).stdout)
    assert [(d["name"], d["type"], d["rows"]) for d in listed["datasets"]] == [("pairs", "preference", 3)]
    assert "pairs\tpreference\tstandard\t3 rows" in run_cli("data", "list", home=alignui_home).stdout
    assert run_cli("data", "delete", "pairs", home=alignui_home).returncode == 0
    assert json.loads(run_cli("data", "list", "--json", home=alignui_home).stdout) == {"datasets": []}


@pytest.mark.parametrize("command", ["inspect", "convert", "save", "list", "delete"])
def test_help(command):
    result = run_cli("data", command, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout
