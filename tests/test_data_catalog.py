"""The catalog: saved normalised copies, listed, fetched, resolved for training, never touching the original."""

from pathlib import Path

import pytest
from datafiles import PAIRS, json_array, jsonl, lines

from alignui import settings, store
from alignui.data import catalog
from alignui.errors import DataError, NotFound

HH = "\n\nHuman: What color is the sky?\n\nAssistant:"


def test_save_writes_a_normalised_copy_and_a_catalog_row(tmp_path, alignui_home):
    path = jsonl(tmp_path / "d.jsonl", [{"chosen": HH + " Blue.", "rejected": HH + " Green."}, "{broken"])
    before = path.read_bytes()
    entry = catalog.save(path, "sky-pairs")
    assert (entry.name, entry.type, entry.style, entry.rows) == ("sky-pairs", "preference", "standard", 1)
    assert entry.path == str(alignui_home / "datasets" / "sky-pairs" / "data.jsonl")
    assert lines(Path(entry.path)) == [{"prompt": HH, "chosen": " Blue.", "rejected": " Green."}]
    assert entry.stats["notes"] == ["1 of 2 records were invalid and left out."]
    assert path.read_bytes() == before
    row = store.connect()["datasets"].get("sky-pairs")
    assert (row["type"], row["rows"], row["source"]) == ("preference", 1, str(path))


def test_list_and_get(tmp_path):
    catalog.save(jsonl(tmp_path / "a.jsonl", PAIRS), "first")
    catalog.save(jsonl(tmp_path / "b.jsonl", PAIRS[:1]), "second")
    assert sorted(e.name for e in catalog.list_entries()) == ["first", "second"]
    got = catalog.get("first")
    assert (got.rows, got.stats["distinct_prompts"]) == (3, 3)
    with pytest.raises(NotFound, match=r"no saved dataset named 'third' \(saved: "):
        catalog.get("third")


def test_save_can_convert_first(tmp_path):
    ratings = [{"instruction": "q", "responses": [{"text": "good", "rating": 5}, {"text": "bad", "rating": 1}]}]
    entry = catalog.save(json_array(tmp_path / "r.json", ratings), "rated", to="unpaired_preference")
    assert entry.type == "unpaired_preference"
    assert lines(Path(entry.path)) == [{"prompt": "q", "completion": "good", "label": True},
                                            {"prompt": "q", "completion": "bad", "label": False}]
    with pytest.raises(DataError, match="cannot convert ratings to language_modeling"):
        catalog.save(tmp_path / "r.json", "again", to="language_modeling")


@pytest.mark.parametrize("name", ["", "../etc", "a/b", "-dash", "with space", "x" * 65, "naïve"])
def test_unsafe_names_are_refused(tmp_path, name):
    with pytest.raises(DataError, match="is not allowed: use 1-64 letters, digits"):
        catalog.save(jsonl(tmp_path / "d.jsonl", PAIRS), name)
    assert not settings.datasets_dir().exists() or not any(settings.datasets_dir().iterdir())


def test_existing_names_are_kept_unless_overwriting(tmp_path):
    catalog.save(jsonl(tmp_path / "a.jsonl", PAIRS), "mine")
    with pytest.raises(DataError, match="a dataset named 'mine' already exists"):
        catalog.save(jsonl(tmp_path / "b.jsonl", PAIRS[:1]), "mine")
    assert catalog.get("mine").rows == 3
    assert catalog.save(tmp_path / "b.jsonl", "mine", overwrite=True).rows == 1
    assert len(lines(settings.datasets_dir() / "mine" / "data.jsonl")) == 1
    assert [e.name for e in catalog.list_entries()] == ["mine"]


def test_save_rows_checks_every_row_and_detects_the_type():
    entry = catalog.save_rows([{"prompt": "q", "completion": "a", "label": True},
                               {"prompt": "q", "completion": "b", "label": False}], "votes", source="arena")
    assert (entry.type, entry.rows, entry.source) == ("unpaired_preference", 2, "arena")
    with pytest.raises(DataError, match="row 2 of dataset 'bad' is not unpaired_preference data: field 'label'"):
        catalog.save_rows([{"prompt": "q", "completion": "a", "label": True},
                           {"prompt": "q", "completion": "b", "label": "perhaps"}], "bad")
    with pytest.raises(DataError, match="would have no rows"):
        catalog.save_rows([], "empty")


def test_resolve_a_catalog_name(tmp_path):
    entry = catalog.save(jsonl(tmp_path / "d.jsonl", PAIRS), "pairs")
    assert str(catalog.resolve("pairs")) == entry.path


def test_resolve_a_raw_file_writes_trl_ready_jsonl(tmp_path, alignui_home):
    path = jsonl(tmp_path / "raw.jsonl", [{"chosen": HH + " Blue.", "rejected": HH + " Green."}])
    resolved = catalog.resolve(str(path))
    assert resolved.is_relative_to(alignui_home) and resolved != path
    assert lines(resolved) == [{"prompt": HH, "chosen": " Blue.", "rejected": " Green."}]
    run_dir = tmp_path / "run"
    assert catalog.resolve(str(path), into=run_dir) == run_dir / "dataset.jsonl"
    found = catalog.lookup(str(path))
    assert (found.name, found.type, found.rows, found.source) == ("", "preference", 1, str(path.resolve()))


def test_resolve_unknown_names_lists_what_exists(tmp_path):
    catalog.save(jsonl(tmp_path / "d.jsonl", PAIRS), "pairs")
    with pytest.raises(NotFound, match=r"'nope' is neither a saved dataset \(saved: pairs\) nor an existing file"):
        catalog.resolve("nope")


def test_delete(tmp_path):
    entry = catalog.save(jsonl(tmp_path / "d.jsonl", PAIRS), "gone")
    catalog.delete("gone")
    assert catalog.list_entries() == []
    assert not Path(entry.path).exists()
    with pytest.raises(NotFound):
        catalog.delete("gone")


def test_a_file_with_no_usable_rows_is_not_saved(tmp_path):
    path = jsonl(tmp_path / "d.jsonl", [{"prompt": "q", "chosen": "a", "rejected": "a"}])
    with pytest.raises(DataError, match=r"d.jsonl has no usable rows: all 1 records have problems \(row 1: chosen"):
        catalog.save(path, "empty")
    assert catalog.list_entries() == []
