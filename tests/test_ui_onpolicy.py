"""On-policy rounds started from the Train tab, driven through gradio_client against a running `python app.py`."""

import json
import time

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from test_arena_models import build_reward_model, built_once
from test_ui_train import form_values

SETTINGS = "max_steps=1\nper_device_train_batch_size=2\nmax_length=64\nlogging_steps=1"


def prompt_file(folder, answers=True):
    path = folder / "prompts.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"What is {n} + 2?", **({"answer": str(n + 2)} if answers else {})})
                            + "\n" for n in range(8)))
    return path


def start(client, model, prompts, judge="verifier", judge_model="", algorithm="dpo", rounds=1, samples=2):
    return client.predict(algorithm, str(model), "", *form_values(algorithm, SETTINGS), handle_file(prompts), judge,
                          str(judge_model), rounds, samples, api_name="/start_rounds")


@pytest.mark.timeout(400)
def test_rounds_start_from_the_form_and_finish_as_jobs(client, tmp_path, tmp_path_factory, tiny_model):
    reward = built_once(tmp_path_factory, "reward", build_reward_model)
    message, _ = start(client, tiny_model, prompt_file(tmp_path, answers=False), "reward-model", reward)
    run = int(message.split("On-policy run ")[1].split()[0])
    deadline = time.time() + 300
    while time.time() < deadline:
        runs = {row[0]: row for row in client.predict(api_name="/on_policy_runs")["data"]}
        if run in runs and runs[run][1] != "running":
            break
        time.sleep(2)
    _, status, rounds, measure, final_model, error = runs[run]
    assert (status, rounds, error) == ("succeeded", 1, ""), runs[run]
    assert measure.startswith("win_rate ") and final_model  # one prompt of eight is held out and measured
    jobs = client.predict(api_name="/jobs")["data"]
    assert any(row[1] == "succeeded" and row[2] == "dpo" for row in jobs)


def test_settings_that_cannot_run_are_refused_before_anything_starts(client, tmp_path, tiny_model):
    before = client.predict(api_name="/on_policy_runs")["data"]
    with pytest.raises(AppError, match="needs an `answer`"):
        start(client, tiny_model, prompt_file(tmp_path, answers=False))
    with pytest.raises(AppError, match="must be one of dpo"):
        start(client, tiny_model, prompt_file(tmp_path), algorithm="kto")
    with pytest.raises(AppError, match="Name the reward model"):
        start(client, tiny_model, prompt_file(tmp_path), judge="reward-model")
    with pytest.raises(AppError, match="not a reward model folder under the folders"):
        start(client, tiny_model, prompt_file(tmp_path), judge="reward-model", judge_model="/etc")
    assert client.predict(api_name="/on_policy_runs")["data"] == before
