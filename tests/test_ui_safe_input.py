"""Hostile input through the running app's endpoints: the alias bomb, server paths, a file path in FileData."""

import json
import time

import pytest
from conftest import ROOT
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from hostile import alias_bomb_recipe
from test_ui_train import form_values


def refused(client, *args, api_name) -> str:
    with pytest.raises(AppError) as error:
        client.predict(*args, api_name=api_name)
    return str(error.value)


def test_the_alias_bomb_is_refused_in_under_a_second_by_the_train_and_algorithm_tabs(client, tmp_path):
    recipe = tmp_path / "laughs.yaml"
    recipe.write_text(alias_bomb_recipe())
    started = time.monotonic()
    assert "anchors or aliases" in refused(client, handle_file(str(recipe)), api_name="/load_recipe")
    assert time.monotonic() - started < 1
    assert "anchors or aliases" in refused(client, handle_file(str(recipe)), api_name="/open_recipe")


def test_server_paths_outside_the_roots_are_refused_alike_in_every_tab(client, tmp_path):
    # README.md sits in the server's working folder, which is no root; the other path does not exist.
    real, missing = str(ROOT / "README.md"), str(ROOT / "no-such-file.md")

    def both(make, api_name):
        messages = [refused(client, *make(path), api_name=api_name) for path in (real, missing)]
        assert "under the folders this server reads from" in messages[0] and " is not " in messages[0]
        assert messages[0].replace(real, "P") == messages[1].replace(missing, "P")
        assert "alignui" not in messages[0].replace(real, "")  # nothing of the file is echoed
        return messages[0]

    both(lambda p: (p,), api_name="/dataset_facts")
    both(lambda p: (p,), api_name="/read_model")
    both(lambda p: ("dpo", p, "my-pairs", *form_values("dpo"), "local"), api_name="/launch")
    both(lambda p: ("dpo", "Org/model", p, *form_values("dpo"), "local"), api_name="/launch")
    data = tmp_path / "pairs.jsonl"
    data.write_text(json.dumps({"prompt": "p", "chosen": "a", "rejected": "b"}) + "\n")
    both(lambda p: (handle_file(str(data)), p), api_name="/inspect")
    sampling = [1.0, 1.0, 0, 4]
    both(lambda p: ("hi", p, "Org/model", False, True, *sampling), api_name="/generate")
    both(lambda p: (p, "Org/model", handle_file(str(data)), None, 0.05, "verifier", "", 4), api_name="/evaluate")
    both(lambda p: ("Org/model", "Org/other", handle_file(str(data)), None, 0.05, "reward-model", p, 4),
         api_name="/evaluate")


def test_a_file_input_cannot_name_a_server_file(app_server, tmp_path):
    # Raw HTTP: gradio_client would upload a local file itself. The server must refuse a path it
    # did not receive as an upload.
    import httpx

    url, _ = app_server
    secret = tmp_path / "secret.csv"
    secret.write_text("prompt,completion,label\nroot:$6$hash,b,1\n")
    payload = {"data": [{"path": str(secret), "meta": {"_type": "gradio.FileData"}}, ""]}
    event = httpx.post(f"{url}gradio_api/call/inspect", json=payload, timeout=30).json()["event_id"]
    answer = httpx.get(f"{url}gradio_api/call/inspect/{event}", timeout=30).text
    assert "event: error" in answer and "hash" not in answer and "unpaired" not in answer


def test_an_empty_model_never_starts_a_job(client, tmp_path):
    data = tmp_path / "pairs.jsonl"
    data.write_text(json.dumps({"prompt": "p", "chosen": "a", "rejected": "b"}) + "\n")
    before = client.predict(api_name="/jobs")["data"]
    assert "model is empty" in refused(client, "dpo", "", str(data), *form_values("dpo"), "local",
                                           api_name="/launch")
    assert client.predict(api_name="/jobs")["data"] == before


def test_nan_and_overflow_are_refused_by_the_train_tab(client):
    for setting, problem in (("beta=NaN", "beta: NaN is not a finite number"),
                             ("max_steps=Infinity", "max_steps: Infinity is not a finite number"),
                             ("learning_rate=1e400", "learning_rate: 1e400 is too large a number")):
        assert problem in refused(client, "dpo", "Org/model", "", *form_values("dpo", extra=setting), "local",
                                  api_name="/launch")
