"""Row checks: every bad row is reported with its record number and skipped; good rows become TRL-ready."""

import pytest
from datafiles import jsonl

from alignui.data.implicit import split_prompt
from alignui.data.report import inspect_file

USER = {"role": "user", "content": "What color is the sky?"}
BLUE = {"role": "assistant", "content": "Blue."}
GREEN = {"role": "assistant", "content": "Green."}


def errors_of(tmp_path, rows):
    report = inspect_file(jsonl(tmp_path / "d.jsonl", rows))
    return report.valid_rows, report.errors


def test_preference_problems_are_reported_by_row(tmp_path):
    rows = [
        {"prompt": "Sky?", "chosen": "Blue.", "rejected": "Green."},
        {"prompt": "Sky?", "chosen": "Blue."},
        {"prompt": "Sky?", "chosen": "  ", "rejected": "Green."},
        {"prompt": "Sky?", "chosen": "Same.", "rejected": "Same."},
        {"prompt": "", "chosen": "Blue.", "rejected": "Green."},
        {"prompt": "Sky?", "chosen": {"text": "Blue."}, "rejected": "Green."},
        {"prompt": "Sky?", "chosen": "Blue.", "rejected": "Green."},
    ]
    assert errors_of(tmp_path, rows) == (2, [
        {"row": 2, "message": "missing field 'rejected'"},
        {"row": 3, "message": "field 'chosen' is empty"},
        {"row": 4, "message": "chosen and rejected are identical"},
        {"row": 5, "message": "chosen and rejected share no leading text, so the prompt cannot be found; "
                              "add a 'prompt' field"},
        {"row": 6, "message": "field 'chosen' must be text, got dict"},
    ])


@pytest.mark.parametrize("value, label", [
    (True, True), (False, False), (1, True), (0, False), ("true", True), ("FALSE", False), ("True", True),
    ("1", True), ("0", False), ("yes", True), ("No", False), ("up", True), ("down", False), (-1, False),
])
def test_accepted_labels(tmp_path, value, label):
    valid, errors = errors_of(tmp_path, [{"prompt": "Sky?", "completion": "Blue.", "label": value}])
    assert (valid, errors) == (1, [])
    assert inspect_file(tmp_path / "d.jsonl").preview[0]["label"] is label


@pytest.mark.parametrize("value", ["maybe", 2, 0.5, [True], {"v": 1}])
def test_unusable_labels_are_row_errors(tmp_path, value):
    rows = [{"prompt": "Sky?", "completion": "Blue.", "label": True},
            {"prompt": "Sky?", "completion": "Blue.", "label": value}]
    valid, errors = errors_of(tmp_path, rows)
    assert valid == 1
    assert errors == [{"row": 2, "message": f"field 'label' has unusable value {value!r}; "
                                           "use true/false, 1/0, yes/no or up/down"}]


def test_empty_label_cell_in_csv_is_an_empty_field(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("prompt,completion,is_good\nSky?,Blue.,1\nSky?,Green.,\n")
    report = inspect_file(path)
    assert report.errors == [{"row": 2, "message": "field 'label' is empty"}]


def test_ratings_problems(tmp_path):
    rows = [
        {"prompt": "Sky?", "responses": [{"text": "Blue.", "rating": 5}, {"text": "Green.", "rating": "1"}]},
        {"prompt": "Sky?", "responses": [{"text": "Blue.", "rating": "high"}]},
        {"prompt": "Sky?", "responses": [{"rating": 3}]},
        {"prompt": "Sky?", "responses": [{"text": "Blue."}]},
        {"prompt": "Sky?", "responses": "Blue."},
        {"prompt": "Sky?", "responses": []},
    ]
    valid, errors = errors_of(tmp_path, rows)
    assert valid == 1
    assert errors == [
        {"row": 2, "message": "responses[0] has rating 'high', which is not a number"},
        {"row": 3, "message": "responses[0] has no text"},
        {"row": 4, "message": "responses[0] has no rating"},
        {"row": 5, "message": "field 'responses' must be a list of {text, rating} objects"},
        {"row": 6, "message": "field 'responses' is empty"},
    ]
    assert inspect_file(tmp_path / "d.jsonl").preview[0]["responses"][1] == {"text": "Green.", "rating": 1}


def test_conversation_problems(tmp_path):
    rows = [
        {"messages": [USER, BLUE]},
        {"messages": [{"role": "narrator", "content": "Once..."}]},
        {"messages": [{"role": "user"}]},
        {"messages": ["hello"]},
        {"messages": "just text"},
    ]
    valid, errors = errors_of(tmp_path, rows)
    assert valid == 1
    assert errors == [
        {"row": 2, "message": "messages[0] has role 'narrator'; use user, assistant, system or tool"},
        {"row": 3, "message": "messages[0] has no text content"},
        {"row": 4, "message": "messages[0] must be a {role, content} object"},
        {"row": 5, "message": "field 'messages' must be a list of {role, content} turns"},
    ]


def test_conversational_rows_turn_plain_strings_into_turns(tmp_path):
    rows = [{"prompt": [USER], "chosen": [BLUE], "rejected": [GREEN]},
            {"prompt": "What color is the sky?", "chosen": "Blue.", "rejected": [GREEN]}]
    report = inspect_file(jsonl(tmp_path / "d.jsonl", rows))
    assert report.valid_rows == 2
    assert report.preview[1] == {"row": 2, "prompt": [USER], "chosen": [BLUE], "rejected": [GREEN]}


def test_a_conversation_in_a_plain_text_dataset_is_an_error(tmp_path):
    rows = [{"prompt": "a", "completion": "b"}] * 2 + [{"prompt": [USER], "completion": "b"}]
    assert errors_of(tmp_path, rows)[1] == [
        {"row": 3, "message": "field 'prompt' is a conversation, but this dataset holds plain text"}]


def test_numbers_are_read_as_text(tmp_path):
    report = inspect_file(jsonl(tmp_path / "d.jsonl", [{"prompt": "2 + 2?", "chosen": 4, "rejected": 5}]))
    assert report.preview[0] == {"row": 1, "prompt": "2 + 2?", "chosen": "4", "rejected": "5"}


def test_hh_transcripts_are_cut_at_the_last_shared_assistant_turn(tmp_path):
    chosen = "\n\nHuman: Is it going to rain?\n\nAssistant: I think so.\n\nHuman: Umbrella?\n\nAssistant: I think yes, take one."
    rejected = "\n\nHuman: Is it going to rain?\n\nAssistant: I think so.\n\nHuman: Umbrella?\n\nAssistant: I think no."
    report = inspect_file(jsonl(tmp_path / "d.jsonl", [{"chosen": chosen, "rejected": rejected}]))
    assert report.implicit_prompt and report.stats["extracted_prompts"] == 1
    row = report.preview[0]
    assert row["prompt"] == "\n\nHuman: Is it going to rain?\n\nAssistant: I think so.\n\nHuman: Umbrella?\n\nAssistant:"
    assert (row["chosen"], row["rejected"]) == (" I think yes, take one.", " I think no.")


def test_plain_text_without_turn_markers_is_cut_at_a_word_boundary():
    assert split_prompt("The sky is blue.", "The sky is bright.") == ("The sky is", " blue.", " bright.")


def test_implicit_conversations_split_like_trl():
    from trl.data_utils import extract_prompt

    chosen = [USER, BLUE, {"role": "user", "content": "Sure?"}, {"role": "assistant", "content": "Yes."}]
    rejected = [USER, BLUE, {"role": "user", "content": "Sure?"}, {"role": "assistant", "content": "No."}]
    expected = extract_prompt({"chosen": chosen, "rejected": rejected})
    assert split_prompt(chosen, rejected) == (expected["prompt"], expected["chosen"], expected["rejected"])


def test_a_prompt_column_repeated_inside_conversations_is_removed(tmp_path):
    row = {"prompt": "What color is the sky?", "chosen": [USER, BLUE], "rejected": [USER, GREEN]}
    report = inspect_file(jsonl(tmp_path / "d.jsonl", [row]))
    assert report.preview[0] == {"row": 1, "prompt": [USER], "chosen": [BLUE], "rejected": [GREEN]}


@pytest.mark.parametrize("chosen, rejected, message", [
    ([USER, BLUE], [{"role": "user", "content": "Other?"}, GREEN], "share no leading turns"),
    ([USER], [USER, GREEN], "chosen has no answer after the shared prompt"),
    ("\n\nHuman: hi\n\nAssistant: yes", "\n\nHuman: hi\n\nAssistant:", "rejected has no answer"),
])
def test_implicit_pairs_that_cannot_be_split(tmp_path, chosen, rejected, message):
    valid, errors = errors_of(tmp_path, [{"chosen": chosen, "rejected": rejected}] * 2)
    assert valid == 0 and message in errors[0]["message"]
