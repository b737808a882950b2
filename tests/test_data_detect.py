"""Type and style detection, and the column aliases teams use."""

import pytest
from datafiles import jsonl

from alignui.data.aliases import column_map
from alignui.data.report import inspect_file
from alignui.errors import DataError

USER = {"role": "user", "content": "What color is the sky?"}
BLUE = {"role": "assistant", "content": "Blue."}
GREEN = {"role": "assistant", "content": "Green."}
HH = "\n\nHuman: What color is the sky?\n\nAssistant:"

SHAPES = [
    # (record, type, style)
    ({"text": "The sky is blue."}, "language_modeling", "standard"),
    ({"messages": [USER, BLUE]}, "language_modeling", "conversational"),
    ({"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]},
     "language_modeling", "conversational"),
    ({"prompt": "What color is the sky?", "messages": [USER, BLUE]}, "language_modeling", "conversational"),
    ({"prompt": "What color is the sky?"}, "prompt_only", "standard"),
    ({"prompt": [USER]}, "prompt_only", "conversational"),
    ({"question": "What is 2 + 2?", "answer": "4"}, "prompt_only", "standard"),
    ({"prompt": "The sky is", "completion": " blue."}, "prompt_completion", "standard"),
    ({"prompt": [USER], "completion": [BLUE]}, "prompt_completion", "conversational"),
    ({"prompt": "Sky?", "chosen": "Blue.", "rejected": "Green."}, "preference", "standard"),
    ({"prompt": [USER], "chosen": [BLUE], "rejected": [GREEN]}, "preference", "conversational"),
    ({"chosen": HH + " Blue.", "rejected": HH + " Green."}, "preference", "standard"),
    ({"chosen": [USER, BLUE], "rejected": [USER, GREEN]}, "preference", "conversational"),
    ({"prompt": "What color is the sky?", "chosen": [USER, BLUE], "rejected": [USER, GREEN], "score_chosen": 8.0,
      "score_rejected": 5.0, "messages": [USER, BLUE]}, "preference", "conversational"),  # UltraFeedback-like
    ({"prompt": "Sky?", "completion": "Blue.", "label": True}, "unpaired_preference", "standard"),
    ({"prompt": [USER], "completion": [BLUE], "label": False}, "unpaired_preference", "conversational"),
    ({"instruction": "Sky?", "responses": [{"text": "Blue.", "rating": 5}, {"text": "Green.", "rating": 1}]},
     "ratings", "standard"),
    ({"prompt": "Sky?", "response": "Blue.", "rating": 5}, "ratings", "standard"),
]


@pytest.mark.parametrize("record, kind, style", SHAPES)
def test_each_type_and_style_is_detected(tmp_path, record, kind, style):
    report = inspect_file(jsonl(tmp_path / "d.jsonl", [record, record]))
    assert (report.type, report.style, report.valid_rows, report.errors) == (kind, style, 2, [])


@pytest.mark.parametrize("column", ["prompt", "instruction", "question", "input", "query", "Question", "QUERY"])
def test_prompt_aliases(tmp_path, column):
    report = inspect_file(jsonl(tmp_path / "d.jsonl", [{column: "Why?", "response": "Because."}]))
    assert report.type == "prompt_completion"
    assert report.preview[0]["prompt"] == "Why?"


@pytest.mark.parametrize("column", ["completion", "response", "output", "reply", "generation"])
def test_completion_aliases(tmp_path, column):
    report = inspect_file(jsonl(tmp_path / "d.jsonl", [{"prompt": "Why?", column: "Because."}]))
    assert report.preview[0] == {"row": 1, "prompt": "Why?", "completion": "Because."}


@pytest.mark.parametrize("chosen, rejected", [
    ("chosen_response", "rejected_response"), ("Chosen Response", "Rejected-Response"),
    ("preferred", "dispreferred"), ("response_chosen", "response_rejected"),
])
def test_chosen_and_rejected_aliases(tmp_path, chosen, rejected):
    report = inspect_file(jsonl(tmp_path / "d.jsonl", [{"instruction": "Sky?", chosen: "Blue.", rejected: "Green."}]))
    assert report.preview[0] == {"row": 1, "prompt": "Sky?", "chosen": "Blue.", "rejected": "Green."}
    assert report.columns == {"instruction": "prompt", chosen: "chosen", rejected: "rejected"}


@pytest.mark.parametrize("column", ["label", "thumbs_up", "liked", "is_good", "thumbs", "desirable"])
def test_label_aliases(tmp_path, column):
    report = inspect_file(jsonl(tmp_path / "d.jsonl", [{"prompt": "Sky?", "response": "Blue.", column: "true"}]))
    assert report.type == "unpaired_preference"
    assert report.preview[0]["label"] is True


@pytest.mark.parametrize("column", ["messages", "conversations", "conversation", "dialog", "chat"])
def test_conversation_aliases(tmp_path, column):
    report = inspect_file(jsonl(tmp_path / "d.jsonl", [{column: [USER, BLUE]}]))
    assert report.preview[0] == {"row": 1, "messages": [USER, BLUE]}


def test_sharegpt_turns_become_role_content():
    turns = [{"from": "system", "value": "Be brief."}, {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]
    assert column_map(["conversations"]) == ({"messages": "conversations"}, None)
    from alignui.data.conversation import to_turns

    assert to_turns(turns, "messages") == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
    ]


def test_alpaca_instruction_and_input_make_the_prompt(tmp_path):
    rows = [{"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"},
            {"instruction": "Say hi.", "input": "", "output": "Hi!"}]
    report = inspect_file(jsonl(tmp_path / "d.jsonl", rows))
    assert [r["prompt"] for r in report.preview] == ["Translate to French.\n\nGood morning", "Say hi."]


def test_answer_is_a_reference_answer_unless_it_is_what_was_judged(tmp_path):
    verifiable = inspect_file(jsonl(tmp_path / "a.jsonl", [{"question": "2 + 2?", "answer": 4}]))
    assert (verifiable.type, verifiable.preview[0]) == ("prompt_only", {"row": 1, "prompt": "2 + 2?", "answer": "4"})
    judged = inspect_file(jsonl(tmp_path / "b.jsonl", [{"question": "2 + 2?", "answer": "4", "thumbs_up": 1}]))
    assert judged.type == "unpaired_preference"
    assert judged.preview[0] == {"row": 1, "prompt": "2 + 2?", "completion": "4", "label": True}


def test_the_most_common_shape_wins_and_other_rows_are_errors(tmp_path):
    rows = [{"prompt": "a", "chosen": "b", "rejected": "c"}] * 3 + [{"prompt": "a", "completion": "b", "label": 1}]
    report = inspect_file(jsonl(tmp_path / "d.jsonl", rows))
    assert report.type == "preference"
    assert report.errors == [{"row": 4, "message": "missing field 'chosen'"}]


def test_unknown_fields_are_refused_with_the_shapes_expected(tmp_path):
    with pytest.raises(DataError, match=r"cannot tell what kind of data this is from its fields \(bar, foo\); expected"):
        inspect_file(jsonl(tmp_path / "d.jsonl", [{"foo": 1, "bar": "x"}]))


def test_conversations_encoded_in_csv_cells(tmp_path):
    import csv
    import json

    path = tmp_path / "d.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["chosen", "rejected"])
        writer.writerow([json.dumps([USER, BLUE]), json.dumps([USER, GREEN])])
    report = inspect_file(path)
    assert (report.type, report.style, report.implicit_prompt) == ("preference", "conversational", True)
    assert report.preview[0] == {"row": 1, "prompt": [USER], "chosen": [BLUE], "rejected": [GREEN]}
