"""Reading every supported format into numbered records, and refusing what cannot be read."""

import json

import pytest
from datafiles import PAIRS, json_array, jsonl

from alignui.data.formats import detect_format, read_records
from alignui.data.report import inspect_file
from alignui.errors import DataError


def numbers_and_errors(path):
    return [(r.number, r.error is not None) for r in read_records(path)]


def test_jsonl_numbers_records_by_line_and_skips_blank_lines(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(PAIRS[0]) + "\n\n" + json.dumps(PAIRS[1]) + "\n   \n" + json.dumps(PAIRS[2]) + "\n")
    assert [r.number for r in read_records(path)] == [1, 3, 5]
    assert next(iter(read_records(path))).data == PAIRS[0]


def test_jsonl_broken_and_non_object_lines_are_record_errors(tmp_path):
    path = jsonl(tmp_path / "d.jsonl", [PAIRS[0], '{"prompt": "x", "chosen": ', PAIRS[1], "[1, 2]", '"text"'])
    records = list(read_records(path))
    assert [(r.number, r.error) for r in records if r.error] == [
        (2, "broken JSON: Expecting value at column 26"),
        (4, "expected a JSON object with named fields, got a list"),
        (5, "expected a JSON object with named fields, got a string"),
    ]
    assert [r.number for r in records if r.data] == [1, 3]


def test_jsonl_undecodable_bytes_spoil_only_their_line(tmp_path):
    path = tmp_path / "d.jsonl"
    good = json.dumps(PAIRS[0]).encode()
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\n" + b'{"prompt": "caf\xe9", "chosen": "a", "rejected": "b"}\n' + good + b"\n")
    records = list(read_records(path))
    assert records[0].data == PAIRS[0]  # the BOM is not part of the first record
    assert records[1].number == 2 and "not valid UTF-8" in records[1].error
    assert records[2].data == PAIRS[0]


def test_json_array_numbers_records_by_position(tmp_path):
    path = json_array(tmp_path / "d.json", [PAIRS[0], 7, PAIRS[1]])
    records = list(read_records(path))
    assert [r.number for r in records] == [1, 2, 3]
    assert records[1].error == "expected a JSON object with named fields, got a number"


def test_json_wrapped_list_and_jsonl_saved_as_json(tmp_path):
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"data": PAIRS}))
    assert [r.data for r in read_records(wrapped)] == PAIRS
    lines_as_json = jsonl(tmp_path / "lines.json", PAIRS)
    assert [r.data for r in read_records(lines_as_json)] == PAIRS


def test_json_undecodable_bytes_spoil_only_their_record(tmp_path):
    path = tmp_path / "d.json"
    path.write_bytes(b'[{"prompt": "a", "chosen": "b", "rejected": "c"}, {"prompt": "caf\xe9", "chosen": "b", "rejected": "c"}]')
    records = list(read_records(path))
    assert records[0].error is None and "not valid UTF-8" in records[1].error


@pytest.mark.parametrize("content, message", [
    ('[{"prompt": "a"}, {"prompt": ', "is not valid JSON"),
    ('{"prompt": "a", "completion": "b"}', "single JSON value"),
])
def test_unusable_json_files_raise_one_sentence(tmp_path, content, message):
    path = tmp_path / "d.json"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        list(read_records(path))


def test_csv_numbers_data_rows_without_the_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(
        "\ufeffprompt,chosen,rejected\n"
        'What color is the sky?,Blue.,Green.\n'
        '"Two\nlines","a, b",c\n'
        "only,two\n"
        "a,b,c,d\n"
        "q,x,y\n",
        encoding="utf-8",
    )
    records = list(read_records(path))
    assert [r.number for r in records] == [1, 2, 3, 4, 5]
    assert records[0].data == {"prompt": "What color is the sky?", "chosen": "Blue.", "rejected": "Green."}
    assert records[1].data["prompt"] == "Two\nlines" and records[1].data["chosen"] == "a, b"
    assert records[3].error == "row has 4 values but the header names 3 columns"
    report = inspect_file(path)
    assert (report.valid_rows, report.errors) == (3, [
        {"row": 3, "message": "missing field 'rejected'"},
        {"row": 4, "message": "row has 4 values but the header names 3 columns"},
    ])


def test_csv_undecodable_bytes_spoil_only_their_row(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"prompt,completion\nhello,world\ncaf\xe9,x\nbye,now\n")
    report = inspect_file(path)
    assert report.valid_rows == 2
    assert report.errors == [{"row": 2, "message": "row holds bytes that are not valid UTF-8 text"}]


def test_tsv(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("question\tresponse\tliked\nWhy?\tBecause, mostly.\t1\nHow?\tLike so.\t0\n")
    report = inspect_file(path)
    assert (report.format, report.type, report.valid_rows) == ("tsv", "unpaired_preference", 2)
    assert report.preview[0] == {"row": 1, "prompt": "Why?", "completion": "Because, mostly.", "label": True}


def test_semicolon_separated_csv(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("prompt;completion\nWhy, really?;Because.\n")
    assert [r.data for r in read_records(path)] == [{"prompt": "Why, really?", "completion": "Because."}]


def test_parquet_numbers_records_by_position(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    rows = PAIRS + [{"prompt": "p", "chosen": "same", "rejected": "same"}]
    pq.write_table(pa.Table.from_pylist(rows), path)
    report = inspect_file(path)
    assert (report.format, report.type, report.rows, report.valid_rows) == ("parquet", "preference", 4, 3)
    assert report.errors == [{"row": 4, "message": "chosen and rejected are identical"}]


def test_damaged_parquet_is_refused(tmp_path):
    path = tmp_path / "d.parquet"
    path.write_bytes(b"PAR1" + b"\x01" * 50)
    with pytest.raises(DataError, match="not a readable Parquet file"):
        list(read_records(path))


def test_save_to_disk_folders(tmp_path):
    from datasets import Dataset, DatasetDict

    single, splits = tmp_path / "single", tmp_path / "splits"
    Dataset.from_list(PAIRS).save_to_disk(str(single))
    DatasetDict({"test": Dataset.from_list(PAIRS[:1]), "train": Dataset.from_list(PAIRS)}).save_to_disk(str(splits))
    assert detect_format(single) == "dataset"
    assert [r.data for r in read_records(single)] == PAIRS
    assert [r.number for r in read_records(splits)] == [1, 2, 3]  # the train split


def test_unknown_extension_is_sniffed_for_json(tmp_path):
    path = jsonl(tmp_path / "export.txt", PAIRS)
    assert detect_format(path) == "jsonl"


@pytest.mark.parametrize("name, content, message", [
    ("empty.jsonl", b"", "is empty"),
    ("blank.csv", b"  \n\n", "is empty"),
    ("model.bin", bytes(range(256)) * 4, "not a text data file"),
    ("book.xlsx", b"PK\x03\x04" + bytes(60), "ZIP archive"),
    ("utf16.jsonl", '{"prompt": "x"}'.encode("utf-16"), "not a text data file"),
    ("notes.txt", b"just some words\n", "not in a format alignui reads"),
    ("fake.parquet", b"hello", "not in a format alignui reads"),
])
def test_unreadable_files_raise_one_clear_sentence(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as raised:
        inspect_file(path)
    assert "\n" not in str(raised.value)


def test_missing_path_and_plain_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        inspect_file(tmp_path / "nope.jsonl")
    with pytest.raises(DataError, match="not a dataset written by save_to_disk"):
        inspect_file(tmp_path)


def test_a_file_of_only_broken_records_cannot_be_used(tmp_path):
    path = jsonl(tmp_path / "d.jsonl", ["{oops", "{still"])
    with pytest.raises(DataError, match=r"no record of d.jsonl could be read \(row 1: broken JSON"):
        inspect_file(path)
