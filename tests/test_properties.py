"""Property-based: arbitrary bytes and structures give a result or the project's own error, never another."""

import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignui.data.report import inspect_file
from alignui.errors import DataError, SpecError
from alignui.recipe.assignments import parse_assignments
from alignui.recipe.spec import TrainSpec

QUICK = settings(max_examples=60, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

FIELDS = ["prompt", "chosen", "rejected", "completion", "label", "messages", "responses", "rating", "text",
          "role", "content", "instruction", "output", "question", "answer", "conversations", "from", "value"]
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(FIELDS)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), inner, max_size=4),
                      max_leaves=20)
records = st.dictionaries(st.sampled_from(FIELDS), values, max_size=5)


def inspect_bytes(raw: bytes, suffix: str):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"data{suffix}"
        path.write_bytes(raw)
        try:
            return inspect_file(path)
        except DataError:
            return None


@QUICK
@given(raw=st.binary(max_size=400), suffix=st.sampled_from([".jsonl", ".json", ".csv", ".tsv", ".txt", ".parquet"]))
def test_data_readers_take_any_bytes(raw, suffix):
    inspect_bytes(raw, suffix)


@QUICK
@given(rows=st.lists(records | values, min_size=1, max_size=6))
def test_data_readers_take_any_json_records(rows):
    text = "".join(json.dumps(row, allow_nan=True) + "\n" for row in rows)
    report = inspect_bytes(text.encode(), ".jsonl")
    if report is not None:
        json.dumps(report.to_dict(), allow_nan=False)  # what the page and --json show is plain JSON
    inspect_bytes(json.dumps(rows).encode(), ".json")


@QUICK
@given(rows=st.lists(st.lists(st.text(max_size=8) | st.sampled_from(["nan", "inf", "1e400", "true", "5"]),
                              min_size=1, max_size=4), min_size=1, max_size=5),
       header=st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4))
def test_data_readers_take_any_csv_cells(rows, header):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    inspect_bytes(out.getvalue().encode("utf-8", errors="surrogateescape"), ".csv")


def load_recipe(text):
    try:
        return TrainSpec.from_yaml(text)
    except SpecError:
        return None


@QUICK
@given(text=st.text(max_size=300))
def test_the_recipe_loader_takes_any_text(text):
    load_recipe(text)


@QUICK
@given(data=st.dictionaries(st.sampled_from(["algorithm", "model", "dataset", "args", "lora", "hardware",
                                             "eval_fraction", "reward_model", "other"]), values, max_size=8))
def test_the_recipe_loader_takes_any_structure(data):
    load_recipe(yaml.safe_dump(data))


@QUICK
@given(lines=st.lists(st.text(max_size=40) | st.builds(lambda name, value: f"{name}={value}",
                                                       st.sampled_from(["beta", "max_steps", "x"]),
                                                       st.text(max_size=30) | st.floats().map(repr)
                                                       | st.integers().map(str)), max_size=6))
def test_the_field_parser_takes_any_lines(lines):
    try:
        parse_assignments(lines)
    except SpecError:
        pass
