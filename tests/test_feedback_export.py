"""Feedback as training data: thumbs → unpaired_preference (KTO), votes → preference (DPO), the
catalog, the CLI, and the recipe that continues training on it."""

import json

import pytest
from conftest import run_cli
from test_arena_chat import two_turns
from test_arena_models import add_finished_job, lora_adapter  # noqa: F401 (fixture)

from alignui.arena import feedback, feedback_export
from alignui.data.report import inspect_file
from alignui.errors import DataError
from alignui.recipe.spec import TrainSpec


def reply(text):
    return [{"role": "assistant", "content": text}]


def test_the_latest_thumb_per_answer_counts_and_a_taken_back_thumb_drops_it():
    chat = two_turns()
    feedback.record_thumb(chat, 0, "a", "up")
    feedback.record_thumb(chat, 0, "a", "down")  # changed its mind: down counts
    feedback.record_thumb(chat, 0, "b", "up")
    feedback.record_thumb(chat, 0, "b", "withdrawn")  # taken back: left out
    feedback.record_thumb(chat, 1, "b", "up")
    rows = feedback_export.rows("unpaired_preference")
    assert rows == [
        {"prompt": [{"role": "user", "content": "hi"}], "completion": reply("hello from a"), "label": False},
        {"prompt": chat.messages("b"), "completion": reply("b again"), "label": True},
    ]


def test_a_vote_keeps_both_sides_conversations_and_thumbs_stay_shown():
    chat = two_turns()
    feedback.record_vote(chat, "a")
    vote = feedback.list_feedback("vote")[-1]
    # After a follow-up each side saw its own earlier answer: both contexts are kept.
    assert vote["conversation"] == chat.messages("a") and vote["other_conversation"] == chat.messages("b")
    assert vote["conversation"] != vote["other_conversation"]
    feedback.record_thumb(chat, 0, "b", "down")
    feedback.record_thumb(chat, 1, "b", "up")
    feedback.record_thumb(chat, 1, "b", "withdrawn")
    assert chat.feedback("b") == ["Dislike", None] and chat.feedback("a") == [None, None]


def test_both_bad_votes_are_kto_negatives_unless_a_thumb_says_otherwise():
    chat = two_turns(aligned_side="a")
    feedback.record_vote(chat, "both_bad")
    feedback.record_thumb(chat, 1, "b", "up")
    assert feedback_export.rows("unpaired_preference") == [
        {"prompt": chat.messages("a"), "completion": reply("a again"), "label": False},
        {"prompt": chat.messages("b"), "completion": reply("b again"), "label": True},
    ]


def test_only_ties_and_both_bad_say_why_there_are_no_pairs_and_what_to_export_instead():
    chat = two_turns()
    feedback.record_vote(chat, "tie")
    chat.exchanges.append(type(chat.exchanges[0])("e3", "third", {"a": "A3", "b": "B3"}, {}))
    feedback.record_vote(chat, "both_bad")
    with pytest.raises(DataError) as error:
        feedback_export.save("preference", "pairs")
    message = str(error.value)
    assert "2 vote(s) are 1 tie(s), 1 both bad" in message and "make no pairs" in message
    assert "Export thumbs instead" in message and "negatives" in message
    assert feedback_export.save("unpaired_preference", "negatives").rows == 2


def test_votes_become_pairs_and_ties_and_both_bad_are_left_out():
    chat = two_turns(aligned_side="a")
    feedback.record_vote(chat, "tie")
    chat.exchanges.append(type(chat.exchanges[0])("e3", "third", {"a": "A3", "b": "B3"}, {}))
    feedback.record_vote(chat, "a")
    feedback.record_vote(chat, "b")  # the latest vote on an exchange counts
    chat.exchanges.append(type(chat.exchanges[0])("e4", "fourth", {"a": "A4", "b": "B4"}, {}))
    feedback.record_vote(chat, "both_bad")
    assert feedback_export.rows("preference") == [
        {"prompt": chat.messages("b", 2), "chosen": reply("B3"), "rejected": reply("A3")},
    ]


def test_a_vote_between_identical_answers_is_left_out_not_an_error():
    chat = two_turns(aligned_side="a")
    chat.exchanges.append(type(chat.exchanges[0])("e3", "third", {"a": "same", "b": "same"}, {}))
    feedback.record_vote(chat, "a")
    chat.exchanges.append(type(chat.exchanges[0])("e4", "fourth", {"a": "A4", "b": "B4"}, {}))
    feedback.record_vote(chat, "b")
    assert feedback_export.rows("preference") == [
        {"prompt": chat.messages("b", 3), "chosen": reply("B4"), "rejected": reply("A4")},
    ]


def test_exports_save_into_the_catalog_as_the_right_type():
    chat = two_turns()
    feedback.record_thumb(chat, 0, "a", "up")
    feedback.record_thumb(chat, 0, "b", "down")
    feedback.record_vote(chat, "b")
    for type, name in (("unpaired_preference", "arena-thumbs"), ("preference", "arena-votes")):
        entry = feedback_export.save(type, name)
        report = inspect_file(entry.path)
        assert (entry.name, entry.type, report.type, report.style) == (name, type, type, "conversational")
        assert report.valid_rows == entry.rows == (2 if type == "unpaired_preference" else 1)
    with pytest.raises(DataError, match="already exists"):
        feedback_export.save("preference", "arena-votes")


def test_nothing_to_export_is_a_data_error():
    with pytest.raises(DataError, match="no feedback to export as pairs yet: vote A or B"):
        feedback_export.save("preference", "empty")
    with pytest.raises(DataError, match="no feedback to export as thumbs yet"):
        feedback_export.save("unpaired_preference", "empty")
    with pytest.raises(DataError, match="exports as"):
        feedback_export.rows("ratings")


@pytest.mark.parametrize("type, algorithm", [("unpaired_preference", "kto"), ("preference", "dpo")])
def test_continue_training_prefills_a_spec_for_the_aligned_model(type, algorithm, lora_adapter):  # noqa: F811
    job = add_finished_job(lora_adapter)
    spec = feedback_export.continue_training(f"job:{job}", "arena-feedback", type)
    assert (spec.algorithm, spec.dataset) == (algorithm, "arena-feedback")
    assert spec.model == str(lora_adapter.resolve())  # the adapter folder: the same adapter trains on
    assert TrainSpec.from_yaml(spec.to_yaml()) == spec
    if algorithm == "kto":
        assert spec.args["per_device_train_batch_size"] > 1
    assert spec.args["learning_rate"] == 3e-4  # the preset for a demo-sized model, not the 1B table's
    assert feedback_export.train_command(spec).startswith(f"python -m alignui train --algorithm {algorithm} --model ")


def test_a_recipe_gives_its_algorithm_and_settings_but_not_its_model_or_data(lora_adapter, tmp_path):  # noqa: F811
    job = add_finished_job(lora_adapter)
    recipe = tmp_path / "ipo.yaml"
    TrainSpec("ipo", "elsewhere", "other-data", args={"beta": 0.05, "max_steps": 4}).save(recipe)
    spec = feedback_export.continue_training(f"job:{job}", "arena-feedback", "preference", str(recipe))
    assert (spec.algorithm, spec.model, spec.dataset) == ("ipo", str(lora_adapter.resolve()), "arena-feedback")
    assert spec.args == {"beta": 0.05, "max_steps": 4}
    with pytest.raises(DataError, match="this feedback is unpaired_preference: use a KTO recipe"):
        feedback_export.continue_training(f"job:{job}", "arena-feedback", "unpaired_preference", str(recipe))


@pytest.mark.timeout(300)
def test_feedback_train_exports_and_trains_in_one_command(alignui_home, tiny_model):
    chat = two_turns()
    feedback.record_vote(chat, "a")
    feedback.record_thumb(chat, 0, "a", "up")
    feedback.record_thumb(chat, 0, "b", "down")
    done = run_cli("feedback", "train", "--type", "unpaired_preference", "--base", tiny_model, "--name", "thumbs-1",
                   "--wait", "--json", home=alignui_home)
    job = json.loads(done.stdout)
    assert done.returncode == 0 and job["status"] == "succeeded", job["error"]
    assert (job["algorithm"], job["dataset"]) == ("kto", "thumbs-1")
    result = run_cli("feedback", "train", "--type", "unpaired_preference", "--base", tiny_model, "--name", "thumbs-1",
                     home=alignui_home)
    assert result.returncode == 1 and "already exists" in result.stderr


def test_the_cli_lists_and_exports_feedback(alignui_home, tmp_path):
    chat = two_turns()
    feedback.record_thumb(chat, 0, "a", "up", comment="good")
    feedback.record_vote(chat, "a")

    listed = run_cli("feedback", "list", "--json", home=alignui_home, check=True)
    records = json.loads(listed.stdout)["feedback"]
    assert [(r["kind"], r["value"]) for r in records] == [("thumb", "up"), ("vote", "a")]
    assert records[0]["comment"] == "good" and records[1]["conversation"] == chat.messages("a")
    plain = run_cli("feedback", "list", home=alignui_home, check=True).stdout
    assert "thumb" in plain and "# good" in plain

    for type, count in (("unpaired_preference", 1), ("preference", 1)):
        out = tmp_path / f"{type}.jsonl"
        done = run_cli("feedback", "export", "--type", type, "--out", out, "--json", home=alignui_home, check=True)
        assert json.loads(done.stdout) == {"type": type, "rows": count, "out": str(out)}
        assert inspect_file(out).type == type


def test_the_cli_says_when_there_is_nothing_to_export(alignui_home, tmp_path):
    result = run_cli("feedback", "export", "--type", "preference", "--out", tmp_path / "x.jsonl",
                     home=alignui_home)
    assert result.returncode == 1
    assert result.stderr.startswith("error: no feedback to export") and "Traceback" not in result.stderr



def test_the_compare_tab_says_why_nothing_was_exported_beside_the_file_box():
    from alignui.ui import compare_tab

    feedback.record_vote(two_turns(), "tie")
    message, file, exported = compare_tab.export_feedback("preference", "pairs")
    assert message.startswith("**Nothing exported:** no feedback to export as preference pairs")
    assert file.visible is False and exported is None
