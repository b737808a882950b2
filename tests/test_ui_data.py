"""The Data tab, driven through gradio_client against a running `python app.py`."""

import json
from pathlib import Path

import pytest
from datafiles import PAIRS, json_array, jsonl
from gradio_client import handle_file
from gradio_client.exceptions import AppError

RATINGS = [
    {"instruction": "q1", "responses": [{"text": "great", "rating": 5}, {"text": "poor", "rating": 1}]},
    {"instruction": "q2", "responses": [{"text": "good", "rating": 4}, {"text": "meh", "rating": 3}]},
]


def test_upload_shows_type_errors_stats_and_preview(client, tmp_path):
    path = tmp_path / "thumbs.csv"
    path.write_text("instruction,response,thumbs_up\n"
                    + "".join(f"q{i},good answer {i},true\n" for i in range(9)) + "q9,bad answer,false\nq10,x,maybe\n")
    summary, errors, warnings, lengths, balance, preview, report = client.predict(
        handle_file(str(path)), "", api_name="/inspect")
    assert "`unpaired_preference`" in summary and "`standard`" in summary and "**10 valid**" in summary
    assert errors["data"] == [[11, "field 'label' has unusable value 'maybe'; use true/false, 1/0, yes/no or up/down"]]
    assert "undesirable_weight" in warnings
    chart = json.loads(lengths["plot"])  # a histogram: translucent bars per field, not stacked
    assert chart["mark"]["type"] == "bar" and chart["encoding"]["y"]["stack"] is None
    assert {row["field"] for row in chart["data"]["values"]} == {"prompt", "completion"}
    assert balance["visible"] is True
    assert balance["value"]["data"] == [["desirable", 9], ["undesirable", 1]]
    assert preview["headers"] == ["row", "prompt", "completion", "label"]
    assert preview["data"][0] == [1, "q0", "good answer 0", True]
    assert (report["rows"], report["valid_rows"], report["type"]) == (11, 10, "unpaired_preference")


def test_unreadable_upload_shows_one_sentence(client, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with pytest.raises(AppError, match="empty.jsonl is empty"):
        client.predict(handle_file(str(path)), "", api_name="/inspect")


def test_convert_downloads_trl_ready_jsonl(client, tmp_path):
    path = json_array(tmp_path / "ratings.json", RATINGS)
    files, message = client.predict(handle_file(str(path)), "preference", 4, 2, 4, 0, api_name="/convert")
    assert len(files) == 1 and Path(files[0]).name == "ratings.preference.jsonl"
    assert [json.loads(line) for line in Path(files[0]).read_text().splitlines()] == [
        {"prompt": "q1", "chosen": "great", "rejected": "poor"}]
    assert "1 rows" in message and "skipped 1 prompt: worst rating above 2." in message


def test_convert_refuses_what_is_impossible(client, tmp_path):
    path = jsonl(tmp_path / "kto.jsonl", [{"prompt": "q", "completion": "a", "label": True}])
    with pytest.raises(AppError, match="unpaired labels never become pairs"):
        client.predict(handle_file(str(path)), "preference", 4, 2, 4, 0, api_name="/convert")


def test_save_then_list(client, tmp_path, app_server):
    _, home = app_server
    path = jsonl(tmp_path / "pairs.jsonl", PAIRS)
    message, table = client.predict(handle_file(str(path)), "ui-pairs", None, 4, 2, 4, False,
                                    api_name="/save_dataset")
    assert "Saved **ui-pairs**: 3 preference rows (standard)." in message
    assert (Path(home) / "datasets" / "ui-pairs" / "data.jsonl").exists()
    listed = client.predict(api_name="/list_datasets")
    row = next(r for r in listed["data"] if r[0] == "ui-pairs")
    assert row[1:4] == ["preference", "standard", 3] and row[5] == "upload: pairs.jsonl"
    with pytest.raises(AppError, match="already exists"):
        client.predict(handle_file(str(path)), "ui-pairs", None, 4, 2, 4, False, api_name="/save_dataset")
