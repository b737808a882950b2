"""Data files built to hurt: deep nesting, NaN, huge lines, thousands of columns."""

import json

import pytest
from hostile import nested_json

from alignui import settings
from alignui.data.formats import read_records
from alignui.data.report import inspect_file, shorten
from alignui.errors import DataError

PAIR = {"prompt": "p", "chosen": "a", "rejected": "b"}


def jsonl(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_deeply_nested_records_are_refused_row_by_row(tmp_path):
    path = jsonl(tmp_path / "deep.jsonl", [json.dumps(PAIR), nested_json(100_000), nested_json(100),
                                           json.dumps(PAIR)])
    errors = {r.number: r.error for r in read_records(path) if r.error}
    assert errors == {2: "record is nested more than 64 levels deep", 3: "record is nested more than 64 levels deep"}
    report = inspect_file(path)
    assert report.valid_rows == 2 and [e["row"] for e in report.errors] == [2, 3]


def test_a_deeply_nested_json_file_is_a_data_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataError, match="nested more than"):
        list(read_records(path))
    path.write_text(json.dumps([PAIR, json.loads(nested_json(200))]))
    assert [r.error for r in read_records(path)] == [None, "record is nested more than 64 levels deep"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinity_make_a_row_invalid(tmp_path, value):
    rows = [json.dumps({"prompt": "p", "responses": [{"text": "a", "rating": 5}, {"text": "b", "rating": 1}]}),
            '{"prompt": "q", "responses": [{"text": "a", "rating": %s}, {"text": "b", "rating": 1}]}' % value]
    for path in (jsonl(tmp_path / "ratings.jsonl", rows), tmp_path / "ratings.json"):
        if path.suffix == ".json":
            path.write_text("[" + ",".join(rows) + "]")
        report = inspect_file(path)
        assert report.valid_rows == 1
        assert report.errors == [{"row": 2, "message": "record holds NaN, Infinity or a number too large to read; "
                                                        "write a finite number"}]


def test_an_infinite_rating_in_a_csv_is_refused(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("prompt,completion,rating\np,a,5\nq,b,inf\nr,c,1\n")
    report = inspect_file(path)
    assert report.errors[0]["row"] == 2 and "not a finite number" in report.errors[0]["message"]


def test_a_huge_line_makes_a_small_preview(tmp_path):
    huge = "x" * 50_000_000
    path = jsonl(tmp_path / "huge.jsonl", [json.dumps({**PAIR, "chosen": huge})])
    report = inspect_file(path)
    chosen = report.preview[0]["chosen"]
    assert len(chosen) < settings.PREVIEW_FIELD_CHARS + 50 and chosen.endswith("(49,999,500 more characters)")
    assert len(json.dumps(report.to_dict())) < 20_000


def test_shorten_cuts_texts_and_lists():
    assert shorten({"a": "x" * 10, "b": [1, 2, 3, 4]}, chars=3) == {"a": "xxx… (7 more characters)",
                                                                    "b": [1, 2, 3, "… (1 more items)"]}


def test_a_value_quoted_in_a_row_error_is_cut_short(tmp_path):
    path = jsonl(tmp_path / "thumbs.jsonl", [json.dumps({"prompt": "p", "completion": "a", "label": True}),
                                             json.dumps({"prompt": "p", "completion": "a", "label": "y" * 100_000})])
    message = inspect_file(path).errors[0]["message"]
    assert "unusable value" in message and len(message) < 300


def test_thousands_of_unknown_columns_make_a_short_error(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"column_{i}" for i in range(20_000)) + "\n" + ",".join("v" * 20_000) + "\n")
    with pytest.raises(DataError) as refused:
        inspect_file(path)
    assert "and 19,990 more" in str(refused.value) and len(str(refused.value)) < 1500
