"""The Compare and Evaluate tabs, driven through gradio_client against a real `python app.py` server:
chat with both models, vote, thumbs, export the feedback into the catalog, continue training on it,
and evaluate."""

import json

import httpx
import pytest
from gradio_client import handle_file
from test_arena_models import (  # noqa: F401 (fixtures)
    add_finished_job,
    aligned_model,
    build_reward_model,
    built_once,
    lora_adapter,
)

from alignui import store
from alignui.data.report import inspect_file
from alignui.recipe.spec import TrainSpec


def like(client, url: str, side: str, index: int, liked, comment: str = "") -> str:
    """Press a like button on a chat window, sending the event exactly as a browser does.

    gradio_client has no way to send a like event's data, so this posts it to the queue itself,
    in the client's session (the conversation lives in that session's state)."""
    config = client.config
    thumb = next(d for d in config["dependencies"] if d.get("api_name") == "thumb")
    chat = next(c["id"] for c in config["components"] if c["props"].get("elem_id") == f"arena-chat-{side}")
    body = {"data": [None, comment], "event_data": {"index": index, "value": "", "liked": liked},
            "fn_index": thumb["id"], "trigger_id": chat, "session_hash": client.session_hash}
    event = httpx.post(f"{url}gradio_api/queue/join", json=body).raise_for_status().json()["event_id"]
    with httpx.stream("GET", f"{url}gradio_api/queue/data", params={"session_hash": client.session_hash},
                      timeout=60) as stream:
        for line in stream.iter_lines():
            message = json.loads(line[5:]) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed" and message.get("event_id") == event:
                assert message["success"], message
                return message["output"]["data"][0]
    raise AssertionError("the like event never completed")


def texts(chat: dict) -> list[str]:
    """The message texts of a chat window as the server sent it, whitespace runs made one space
    (the chat window shows a tab or a newline in a tiny model's answer as spaces)."""
    return [words("".join(part["text"] for part in m["content"]) if isinstance(m["content"], list)
                  else m["content"]) for m in chat["value"]]


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def server_job(app_server, lora_adapter):  # noqa: F811
    """A finished LoRA job in the server's database, over `tiny_model`."""
    _, home = app_server
    return add_finished_job(lora_adapter, db=store.connect(home / "alignui.db"))


def test_compare_chat_vote_thumbs_export_and_continue(client, app_server, tiny_model, server_job):
    url, home = app_server
    db = store.connect(home / "alignui.db")
    client.predict(api_name="/clear")
    reference, aligned = client.predict(api_name="/list_models")
    assert [f"job {server_job} · dpo · trained from tiny", f"job:{server_job}"] in reference["choices"]

    settings = [1.0, 1.0, 5, 12]  # temperature, top_p, seed, max_new_tokens
    # reference, aligned (a LoRA job), blind, one question per chat (off: a follow-up)
    ask = [str(tiny_model), f"job:{server_job}", True, False]
    a, b, status, prompt = client.predict("Tell me something.", *ask, *settings, api_name="/generate")
    assert (a["label"], b["label"]) == ("Model A", "Model B") and "names show once you vote" in status
    assert prompt == ""
    a, b, _, _ = client.predict("And then?", *ask, *settings, api_name="/generate")
    first_a, first_b = texts(a)[1], texts(b)[1]
    assert texts(a)[::2] == texts(b)[::2] == ["Tell me something.", "And then?"]
    assert all(texts(a)[1::2]) and all(texts(b)[1::2]) and texts(a) != texts(b)

    a, b, status, vote = client.predict("a", api_name="/vote")
    assert vote is None and "You preferred **A**" in status
    aligned_side = "a" if f"job {server_job}" in a["label"] else "b"
    assert f"job {server_job}" in (a if aligned_side == "a" else b)["label"]
    recorded = db.execute("SELECT role, model, job_id, answer, blind FROM feedback WHERE kind = 'vote'").fetchall()
    expected_role = "aligned" if aligned_side == "a" else "reference"
    assert recorded[-1][0] == expected_role and words(recorded[-1][3]) == texts(a)[3] and recorded[-1][4] == 1
    assert (recorded[-1][2] == server_job) == (aligned_side == "a")

    assert like(client, url, "a", 1, True, "short and clear") == "👍 recorded for answer 1 of " + a["label"] + "."
    like(client, url, "b", 1, False)
    like(client, url, "b", 3, True)
    assert like(client, url, "b", 3, "").startswith("Thumb taken back")
    # The thumbs given stay shown when the chat windows are drawn again.
    a, b, _, _ = client.predict("a", api_name="/vote")
    assert (a["feedback_value"], b["feedback_value"]) == (["Like", None], ["Dislike", None])
    thumbs = [(value, words(answer), comment) for value, answer, comment in
              db.execute("SELECT value, answer, comment FROM feedback WHERE kind = 'thumb' ORDER BY id")]
    assert thumbs[-4:] == [("up", first_a, "short and clear"), ("down", first_b, None),
                           ("up", texts(b)[3], None), ("withdrawn", texts(b)[3], None)]

    message, path, = client.predict("unpaired_preference", "ui-thumbs", api_name="/export_feedback")
    path = path["value"]
    assert "Saved **ui-thumbs**: 2 unpaired_preference rows" in message
    assert inspect_file(path).type == "unpaired_preference"
    message, path = client.predict("preference", "ui-votes", api_name="/export_feedback")
    path = path["value"]
    report = inspect_file(path)
    assert (report.type, report.valid_rows) == ("preference", 1)
    row = json.loads(open(path).readline())
    assert [words(row["chosen"][0]["content"]), words(row["rejected"][0]["content"])] == [texts(a)[3], texts(b)[3]]
    assert row["prompt"][-1] == {"role": "user", "content": "And then?"}
    assert db["datasets"].get("ui-votes")["type"] == "preference"

    recipe, command, recipe_path = client.predict(f"job:{server_job}", api_name="/continue_training")
    recipe, command, recipe_path = recipe["value"], command["value"], recipe_path["value"]
    spec = TrainSpec.from_yaml(recipe)
    assert (spec.algorithm, spec.dataset) == ("dpo", "ui-votes")
    assert spec.model == db["jobs"].get(server_job)["output_dir"]
    assert TrainSpec.from_yaml(open(recipe_path).read()) == spec
    assert command.startswith("python -m alignui train --algorithm dpo")
    launched = client.predict(recipe.replace("max_length: 1024", "max_length: 64"), api_name="/launch_feedback_recipe")
    job_id = int(launched.split()[1])
    assert (db["jobs"].get(job_id)["algorithm"], db["jobs"].get(job_id)["dataset"]) == ("dpo", "ui-votes")
    client.predict(job_id, api_name="/cancel")


def test_one_question_per_chat_is_the_default(client, tiny_model, aligned_model):  # noqa: F811
    ask = [str(tiny_model), str(aligned_model), False, True]
    client.predict("Hello?", *ask, 1.0, 1.0, 3, 12, api_name="/generate")
    a, b, _, _ = client.predict("And you?", *ask, 1.0, 1.0, 3, 12, api_name="/generate")
    assert texts(a)[::2] == texts(b)[::2] == ["And you?"]  # a fresh conversation: no history


def test_regenerate_and_new_chat(client, tiny_model, aligned_model):  # noqa: F811
    client.predict(api_name="/clear")
    ask = [str(tiny_model), str(aligned_model), False, False]
    a, b, _, _ = client.predict("Hello?", *ask, 1.0, 1.0, 3, 12, api_name="/generate")
    assert (a["label"], b["label"]) == (f"A: {tiny_model.name} (reference)", f"B: {aligned_model.name} (aligned)")
    a2, b2, _, seed = client.predict(1.0, 1.0, 3, 12, api_name="/regenerate")
    assert seed == 4 and len(texts(a2)) == 2 and texts(a2) != texts(a)
    a, b, status = client.predict(api_name="/clear")
    assert a == b == [] and status.startswith("New chat")
    a, _, _, _ = client.predict("Hello?", *ask, 1.0, 1.0, 3, 12, api_name="/generate")
    assert len(a["value"]) == 2  # a new conversation


def test_stop_ends_the_answers_early(client, aligned_model):  # noqa: F811
    client.predict(api_name="/clear")
    ask = ["Hello?", str(aligned_model), str(aligned_model), False, True, 0.0, 1.0, 0, 200]
    running = client.submit(*ask, api_name="/generate")
    while not running.done():  # until the stop reaches the running answer
        client.predict(api_name="/stop")
    stopped = texts(running.result()[0])[1]
    client.predict(api_name="/clear")
    whole = texts(client.predict(*ask, api_name="/generate")[0])[1]
    # The same greedy answer, cut short (its last word may end mid-character).
    assert len(stopped) < len(whole) and whole.split()[:len(stopped.split()) - 1] == stopped.split()[:-1]


def test_evaluate_tab_runs_a_judge_and_keeps_history(client, app_server, tiny_model, aligned_model,  # noqa: F811
                                                     tmp_path, tmp_path_factory):
    judge = built_once(tmp_path_factory, "reward", build_reward_model)
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in ("Say hi.", "Name a color.", "Count.")))
    summary, chart, table, history = client.predict(
        str(tiny_model), str(aligned_model), handle_file(prompts), None, 0.05, "reward-model", str(judge), 8,
        api_name="/evaluate")
    assert "judge `reward-model:" in summary and "3 prompts" in summary and "Win rate" in summary
    assert [row[0] for row in chart["data"]] == ["win", "tie", "loss"] and sum(r[1] for r in chart["data"]) == 3
    assert [row[0] for row in table["data"]] == ["Say hi.", "Name a color.", "Count."]
    assert history["data"][0][4].startswith("reward-model:")
    assert history["data"][0][7].endswith("%)") and " – " in history["data"][0][7]  # rounded, whole interval
    shown = client.predict(history["data"][0][0], api_name="/show_evaluation")
    assert shown[0] == summary


def test_evaluate_tab_counts_the_arena_votes(client, tiny_model, server_job):
    summary, chart, table, _ = client.predict(
        str(tiny_model), f"job:{server_job}", None, None, 0.05, "votes", "", 8, api_name="/evaluate")
    assert "judge `human-votes`" in summary and "1 prompts" in summary


def test_evaluate_tab_uses_the_held_out_split_of_a_saved_dataset(client, app_server, tiny_model, aligned_model,  # noqa: F811
                                                                  monkeypatch):
    from alignui.data import catalog

    _, home = app_server
    monkeypatch.setenv("ALIGNUI_HOME", str(home))  # save into the server's catalog
    catalog.save_rows([{"prompt": f"What is {n} + 1?", "answer": str(n + 1)} for n in range(40)], "ui-sums")
    datasets, _ = client.predict(api_name="/list_prompt_sets")
    assert "ui-sums" in [choice[0] for choice in datasets["choices"]]
    summary, _, table, history = client.predict(
        str(tiny_model), str(aligned_model), None, "ui-sums", 0.1, "verifier", "", 4, api_name="/evaluate")
    assert "4 prompts" in summary and "Accuracy: reference" in summary
    assert "% → " in history["data"][0][8]  # accuracy in the history
    assert all(row[1] is not None for row in table["data"])  # the expected answers came along
