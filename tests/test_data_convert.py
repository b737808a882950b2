"""Conversions between types, the validation split, and the JSONL they write."""

import pytest
from datafiles import PAIRS, json_array, jsonl, lines

from alignui.data.convert import ConversionOptions, convert_rows, targets
from alignui.data.jsonl import convert_file
from alignui.data.report import inspect_file
from alignui.data.split import split_rows
from alignui.errors import DataError

USER = {"role": "user", "content": "What color is the sky?"}
BLUE = {"role": "assistant", "content": "Blue."}
GREEN = {"role": "assistant", "content": "Green."}

RATINGS = [
    {"instruction": "q1", "responses": [{"text": "great", "rating": 5}, {"text": "poor", "rating": 1},
                                        {"text": "fine", "rating": 3}]},
    {"instruction": "q2", "responses": [{"text": "good", "rating": 4}, {"text": "meh", "rating": 3}]},
    {"instruction": "q3", "responses": [{"text": "ok", "rating": 3}, {"text": "bad", "rating": 2}]},
    {"instruction": "q4", "responses": [{"text": "alone", "rating": 5}]},
]


def test_preference_to_unpaired_gives_two_rows_per_pair(tmp_path):
    out = tmp_path / "kto.jsonl"
    done = convert_file(jsonl(tmp_path / "d.jsonl", PAIRS), "unpaired_preference", out)
    rows = lines(out)
    assert (done.type, done.rows, len(rows)) == ("unpaired_preference", 6, 6)
    assert {"prompt": "What color is the sky?", "completion": "Blue.", "label": True} in rows
    assert {"prompt": "What color is the sky?", "completion": "Green.", "label": False} in rows
    assert sum(r["label"] for r in rows) == 3


def test_conversational_preference_to_unpaired_keeps_turns(tmp_path):
    rows = [{"chosen": [USER, BLUE], "rejected": [USER, GREEN]}]
    out = tmp_path / "kto.jsonl"
    convert_file(jsonl(tmp_path / "d.jsonl", rows), "unpaired_preference", out)
    assert lines(out) == [{"prompt": [USER], "completion": [BLUE], "label": True},
                          {"prompt": [USER], "completion": [GREEN], "label": False}]


def test_ratings_to_preference_pairs_best_with_worst_within_thresholds(tmp_path):
    out = tmp_path / "dpo.jsonl"
    done = convert_file(json_array(tmp_path / "r.json", RATINGS), "preference", out)
    assert lines(out) == [{"prompt": "q1", "chosen": "great", "rejected": "poor"}]
    assert done.skipped == 3
    assert done.notes == ["skipped 1 prompt: worst rating above 2.", "skipped 1 prompt: best rating below 4.",
                          "skipped 1 prompt: fewer than two responses."]


def test_ratings_thresholds_are_adjustable(tmp_path):
    out = tmp_path / "dpo.jsonl"
    convert_file(json_array(tmp_path / "r.json", RATINGS), "preference", out,
                 ConversionOptions(chosen_min=3, rejected_max=3))
    assert lines(out) == [{"prompt": "q1", "chosen": "great", "rejected": "poor"},
                          {"prompt": "q2", "chosen": "good", "rejected": "meh"},
                          {"prompt": "q3", "chosen": "ok", "rejected": "bad"}]


def test_flat_ratings_rows_are_grouped_by_prompt(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("question,response,score\nq,best,5\nq,worst,1\nq,middle,3\nother,alone,5\n")
    assert inspect_file(path).type == "ratings"
    out = tmp_path / "dpo.jsonl"
    convert_file(path, "preference", out)
    assert lines(out) == [{"prompt": "q", "chosen": "best", "rejected": "worst"}]
    merged = tmp_path / "merged.jsonl"
    convert_file(path, "ratings", merged)
    assert [len(r["responses"]) for r in lines(merged)] == [3, 1]


def test_ratings_to_unpaired_labels_by_threshold(tmp_path):
    out = tmp_path / "kto.jsonl"
    convert_file(json_array(tmp_path / "r.json", RATINGS[:2]), "unpaired_preference", out,
                 ConversionOptions(threshold=4))
    assert [(r["completion"], r["label"]) for r in lines(out)] == [
        ("great", True), ("poor", False), ("fine", False), ("good", True), ("meh", False)]
    convert_file(tmp_path / "r.json", "unpaired_preference", out, ConversionOptions(threshold=3))
    assert [r["label"] for r in lines(out)] == [True, False, True, True, True]


def test_conversational_ratings_give_assistant_turns():
    rows = [{"prompt": [USER], "responses": [{"text": "Blue.", "rating": 5}, {"text": "Green.", "rating": 1}]}]
    assert convert_rows(rows, "ratings", "preference").rows == [{"prompt": [USER], "chosen": [BLUE], "rejected": [GREEN]}]


def test_implicit_prompts_become_explicit(tmp_path):
    hh = "\n\nHuman: What color is the sky?\n\nAssistant:"
    out = tmp_path / "explicit.jsonl"
    convert_file(jsonl(tmp_path / "hh.jsonl", [{"chosen": hh + " Blue.", "rejected": hh + " Green."}]), "preference", out)
    assert lines(out) == [{"prompt": hh, "chosen": " Blue.", "rejected": " Green."}]


def test_preference_to_sft_and_to_prompts(tmp_path):
    rows = PAIRS + [{**PAIRS[0], "chosen": "Sky blue."}]
    assert convert_rows(rows, "preference", "prompt_completion").rows[0] == {
        "prompt": "What color is the sky?", "completion": "Blue."}
    prompts = convert_rows(rows, "preference", "prompt_only")
    assert [r["prompt"] for r in prompts.rows] == [p["prompt"] for p in PAIRS]
    assert prompts.notes == ["repeated prompts left out: 1."]


def test_unpaired_never_becomes_preference():
    with pytest.raises(DataError) as raised:
        convert_rows([{"prompt": "q", "completion": "a", "label": True}], "unpaired_preference", "preference")
    message = str(raised.value)
    assert "unpaired labels never become pairs" in message
    assert message.endswith("unpaired_preference converts to: unpaired_preference, prompt_completion, prompt_only.")


@pytest.mark.parametrize("kind, to", [("prompt_only", "preference"), ("language_modeling", "unpaired_preference"),
                                      ("prompt_completion", "ratings")])
def test_other_impossible_conversions_name_what_is_possible(kind, to):
    with pytest.raises(DataError, match=f"cannot convert {kind} to {to}: .* {kind} converts to: "):
        convert_rows([], kind, to)


def test_targets():
    assert targets("preference") == ["preference", "unpaired_preference", "prompt_completion", "prompt_only"]
    assert targets("ratings") == ["ratings", "preference", "unpaired_preference", "prompt_completion", "prompt_only"]
    assert targets("language_modeling") == ["language_modeling"]


def test_no_qualifying_rows_is_an_error_with_advice(tmp_path):
    path = json_array(tmp_path / "r.json", RATINGS[2:])
    with pytest.raises(DataError, match="converting to preference left no rows: .*--chosen-min"):
        convert_file(path, "preference", tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_validation_split_is_seeded_and_keeps_prompts_together():
    rows = [{"prompt": f"q{i // 2}", "completion": str(i), "label": i % 2 == 0} for i in range(200)]
    train, validation = split_rows(rows, 0.05, seed=7)
    assert (len(train), len(validation)) == (190, 10)
    assert {r["prompt"] for r in train}.isdisjoint({r["prompt"] for r in validation})
    assert split_rows(rows, 0.05, seed=7) == (train, validation)
    assert split_rows(rows, 0.05, seed=8)[1] != validation
    assert split_rows(rows, 0) == (rows, [])


def test_validation_split_with_one_prompt_holds_out_rows_and_checks_its_range():
    rows = [{"prompt": "same", "completion": str(i)} for i in range(20)]
    train, validation = split_rows(rows, 0.1)
    assert (len(train), len(validation)) == (18, 2)
    with pytest.raises(DataError, match="at least 0 and below 1"):
        split_rows(rows, 1.5)


def test_convert_file_writes_a_validation_file_beside_the_output(tmp_path):
    rows = [{"prompt": f"q{i}", "chosen": "a", "rejected": "b"} for i in range(40)]
    out = tmp_path / "train.jsonl"
    done = convert_file(jsonl(tmp_path / "d.jsonl", rows), "preference", out, validation_split=0.1)
    assert done.validation_out == str(tmp_path / "train.validation.jsonl")
    assert (done.rows, done.validation_rows) == (36, 4)
    assert len(lines(out)) == 36 and len(lines(tmp_path / "train.validation.jsonl")) == 4


def test_converted_files_load_in_datasets_as_trl_expects(tmp_path):
    from datasets import load_dataset
    from trl.data_utils import is_conversational

    out = tmp_path / "kto.jsonl"
    convert_file(jsonl(tmp_path / "d.jsonl", [{"chosen": [USER, BLUE], "rejected": [USER, GREEN]}]),
                 "unpaired_preference", out)
    dataset = load_dataset("json", data_files=str(out), split="train")
    assert dataset.column_names == ["prompt", "completion", "label"]
    assert is_conversational(dataset[0]) and dataset[0]["label"] is True


def test_the_input_file_is_never_overwritten(tmp_path):
    path = jsonl(tmp_path / "d.jsonl", PAIRS)
    before = path.read_bytes()
    with pytest.raises(DataError, match="would overwrite the input"):
        convert_file(path, "unpaired_preference", path)
    assert path.read_bytes() == before


def test_desirable_thumbs_and_top_rated_answers_become_demonstrations():
    thumbs = [{"prompt": "a", "completion": "good", "label": True}, {"prompt": "b", "completion": "bad", "label": False}]
    done = convert_rows(thumbs, "unpaired_preference", "prompt_completion")
    assert done.rows == [{"prompt": "a", "completion": "good"}] and done.skipped == 1
    ratings = [{"prompt": "a", "responses": [{"text": "x", "rating": 5}, {"text": "y", "rating": 2}]},
               {"prompt": "b", "responses": [{"text": "z", "rating": 3}]}]
    done = convert_rows(ratings, "ratings", "prompt_completion")
    assert done.rows == [{"prompt": "a", "completion": "x"}] and done.skipped == 1
    assert "best rating below 4" in done.notes[0]
