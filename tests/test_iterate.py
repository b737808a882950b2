"""On-policy rounds: pairs are each prompt's best vs worst answer by the judge, prompts whose answers
all score alike are dropped, every round is a job on the previous round's model, and the run is
recorded round by round."""

import json
import time

import pytest
import yaml
from conftest import run_cli
from test_arena_models import build_reward_model, built_once

from alignui import iterate
from alignui.errors import DataError, Forbidden, NotFound
from alignui.evaluate import judges
from alignui.evaluate.judges import PromptItem
from alignui.recipe.spec import TrainSpec
from alignui.train import jobs

ITEMS = [PromptItem([{"role": "user", "content": "2+2="}], "4"), PromptItem("3+3=", "6"),
         PromptItem("1+1=", "2")]


def test_pairs_are_best_against_worst_and_ties_are_dropped():
    answers = [["5", "4", "3", "4"], ["6", "7", "6", "8"], ["3", "5", "0", "1"]]
    pairs = iterate.build_pairs(ITEMS, answers, judges.Verifier())
    assert pairs == [
        {"prompt": ITEMS[0].prompt, "chosen": [{"role": "assistant", "content": "4"}],
         "rejected": [{"role": "assistant", "content": "5"}]},
        {"prompt": "3+3=", "chosen": "6", "rejected": "7"},  # text prompts get text answers
    ]  # every answer to 1+1= is wrong: no preference, no pair


def test_a_pairwise_judge_scores_answers_by_their_wins(tiny_model):
    judge = judges.make(f"llm:{tiny_model}")
    answers = [["4", "five", "4 of course"], ["6", "6", "6"]]
    scores = iterate.score_answers(ITEMS[:2], answers, judge)
    assert [sum(group) for group in scores] == [3.0, 3.0]  # three matches per prompt, one point each
    assert scores[1] == [1.0, 1.0, 1.0]  # equal answers tie every match
    expected = judge.compare([ITEMS[0]] * 3, ["4", "4", "five"], ["five", "4 of course", "4 of course"])
    assert scores[0] == [expected[0] + expected[1], 1 - expected[0] + expected[2], 2 - expected[1] - expected[2]]


def ended(iteration_id: int, timeout: float = 240) -> dict:
    """A background run's record once it has stopped running."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            record = iterate.get(iteration_id)
            if record["status"] != "running":
                return record
        except NotFound:  # the record appears once the run has checked its inputs
            pass
        time.sleep(1)
    raise AssertionError(f"on-policy run {iteration_id} still runs after {timeout} s")


@pytest.fixture
def recipe(tmp_path, tiny_model):
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump({
        "algorithm": "dpo", "model": str(tiny_model), "dataset": "replaced.jsonl", "eval_fraction": 0,
        "args": {"per_device_train_batch_size": 2, "max_length": 64, "max_steps": 1, "logging_steps": 1}}))
    return path


@pytest.fixture
def prompt_files(tmp_path):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": [{"role": "user", "content": f"What is {n} + 2?"}]}) + "\n"
                               for n in range(6)))
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text("".join(json.dumps({"prompt": f"What is {n} + 5?"}) + "\n" for n in range(3)))
    return prompts, heldout


@pytest.mark.timeout(400)
def test_every_round_is_a_job_on_the_previous_rounds_model(recipe, prompt_files, tmp_path_factory, alignui_home):
    reward = built_once(tmp_path_factory, "reward", build_reward_model)
    prompts, heldout = prompt_files
    result = run_cli("iterate", "--recipe", recipe, "--prompts", prompts, "--judge", f"reward-model:{reward}",
                     "--rounds", "2", "--samples", "3", "--heldout", heldout, "--max-new-tokens", "6",
                     "--wait", "--json", home=alignui_home, timeout=400)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert [r["round"] for r in found["rounds"]] == [1, 2] and found["status"] == "succeeded"
    first, second = found["rounds"]
    for entry in found["rounds"]:
        assert set(entry) >= {"round", "job_id", "pairs", "win_rate", "seconds"}
        assert 1 <= entry["pairs"] <= 6 and 0 <= entry["win_rate"] <= 1
        assert jobs.get(entry["job_id"])["status"] == "succeeded"
    assert TrainSpec.load(jobs.run_folder(second["job_id"]).spec).model == jobs.get(first["job_id"])["output_dir"]
    assert found["final_model"] == jobs.get(second["job_id"])["output_dir"]
    data = jobs.run_folder(first["job_id"]).train_data.read_text().splitlines()
    assert len(data) == first["pairs"]
    row = json.loads(data[0])
    assert row["chosen"] != row["rejected"] and row["prompt"][0]["role"] == "user"
    assert iterate.get(found["id"])["rounds"] == found["rounds"]
    listed = json.loads(run_cli("iterate", "--list", "--json", home=alignui_home).stdout)
    assert [r["id"] for r in listed["iterations"]] == [found["id"]]


@pytest.mark.timeout(300)
def test_without_wait_the_rounds_run_in_the_background(recipe, prompt_files, tmp_path_factory, alignui_home):
    reward = built_once(tmp_path_factory, "reward", build_reward_model)
    prompts, _ = prompt_files
    started = json.loads(run_cli("iterate", "--recipe", recipe, "--prompts", prompts, "--judge",
                                 f"reward-model:{reward}", "--rounds", "1", "--samples", "2", "--max-new-tokens", "6",
                                 "--heldout-fraction", "0", "--json", home=alignui_home, check=True).stdout)
    assert started["status"] == "running"
    record = ended(started["iteration_id"])
    assert record["status"] == "succeeded", record.get("error")
    assert len(record["rounds"]) == 1 and "win_rate" not in record["rounds"][0]  # no held-out prompts


@pytest.mark.timeout(300)
def test_a_run_started_by_a_trainer_trains_as_that_trainer(recipe, prompt_files, tmp_path_factory, alignui_home):
    from alignui.people import accounts, acting

    reward = built_once(tmp_path_factory, "reward", build_reward_model)
    accounts.add("tina", "trainer", "a long enough password")
    settings = iterate.IterateSettings(recipe=str(recipe), prompts=str(prompt_files[0]), judge=f"reward-model:{reward}",
                                       rounds=1, samples=2, heldout_fraction=0, max_new_tokens=6)
    with acting.acting_as(accounts.User("rita", "rater")), pytest.raises(Forbidden, match="needs the role"):
        iterate.start(settings)
    with acting.acting_as(accounts.get("tina")):
        started = iterate.start(settings)
    record = ended(started["iteration_id"])
    assert record["status"] == "succeeded", record.get("error")
    assert jobs.get(record["rounds"][0]["job_id"])["owner"] == "tina"


def test_without_a_heldout_file_a_share_of_the_prompts_is_kept_out_of_every_round():
    items = [PromptItem(f"What is {n} + 2?", str(n + 2)) for n in range(40)] * 2  # each prompt twice
    train, held = iterate.hold_out(items, 0.1)
    assert 6 <= len(held) <= 10 and len(train) + len(held) == len(items)
    assert not {i.prompt for i in train} & {i.prompt for i in held}
    assert iterate.hold_out(items, 0.1) == (train, held)  # the same split every time
    assert iterate.hold_out(items, 0) == (items, [])
    with pytest.raises(DataError, match="validation split"):
        iterate.hold_out(items, 1.5)


def test_a_step_count_that_overfits_small_rounds_is_told_apart_from_epochs():
    steps = TrainSpec("dpo", "m", "d", args={"max_steps": 200, "per_device_train_batch_size": 64})
    assert iterate._passes(steps, 95) == pytest.approx(200 * 64 / 95)
    assert iterate._passes(TrainSpec("dpo", "m", "d", args={"num_train_epochs": 3}), 95) is None


def test_bad_settings_are_refused_before_any_job(recipe, prompt_files, tmp_path, alignui_home):
    prompts, _ = prompt_files
    refused = run_cli("iterate", "--recipe", recipe, "--prompts", prompts, "--judge", "verifier", "--wait",
                      home=alignui_home)
    assert refused.returncode == 1 and "needs an `answer`" in refused.stderr
    kto = tmp_path / "kto.yaml"
    kto.write_text(recipe.read_text().replace("algorithm: dpo", "algorithm: kto"))
    refused = run_cli("iterate", "--recipe", kto, "--prompts", prompts, "--judge", "verifier", "--wait",
                      home=alignui_home)
    assert refused.returncode == 1 and "must be one of dpo" in refused.stderr
    in_background = run_cli("iterate", "--recipe", recipe, "--prompts", prompts, "--judge", "verifier", home=alignui_home)
    assert in_background.returncode == 1 and "needs an `answer`" in in_background.stderr  # refused before it starts
    share = run_cli("iterate", "--recipe", recipe, "--prompts", prompts, "--heldout-fraction", "1.5", home=alignui_home)
    assert share.returncode == 1 and "--heldout-fraction must be at least 0 and below 1, not 1.5" in share.stderr
    assert jobs.list_jobs() == [] and not list((alignui_home / "iterations").glob("*"))


def test_the_evaluate_tab_plots_the_rounds(client, app_server, monkeypatch):
    from alignui.iterate import Iteration, _save

    monkeypatch.setenv("ALIGNUI_HOME", str(app_server[1]))
    record = Iteration(id=iterate.new_id(), settings={}, status="succeeded", baseline={"heldout_accuracy": 0.5},
                       rounds=[{"round": 1, "job_id": 7, "pairs": 30, "heldout_accuracy": 0.6, "seconds": 1.0},
                               {"round": 2, "job_id": 8, "pairs": 20, "heldout_accuracy": 0.7, "seconds": 1.0}])
    _save(record)
    plot, table = client.predict(api_name="/on_policy_rounds")
    mine = [row for row in table["data"] if row[0] == f"run {record.id}"]
    assert [(row[1], row[3], row[4]) for row in mine] == [(0, 0.5, None), (1, 0.6, 7), (2, 0.7, 8)]
    assert len([row for row in plot["data"] if row[0] == f"run {record.id}"]) == 3


@pytest.mark.timeout(900)
def test_the_demo_recipe_lifts_held_out_accuracy_from_prompts_alone(alignui_home):
    # The command exactly as the README gives it: prompts and the verifier, no preference file.
    result = run_cli("iterate", "--recipe", "assets/demo/recipes/dpo.yaml", "--prompts", "assets/demo/prompts.jsonl",
                     "--judge", "verifier", "--rounds", "2", "--samples", "4", "--wait", "--json",
                     home=alignui_home, timeout=900)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    before = found["baseline"]["heldout_accuracy"]
    after = [entry["heldout_accuracy"] for entry in found["rounds"]]
    assert len(after) == 2 and after[-1] - before >= 0.15, (before, after)
    assert all(entry["pairs"] > 0 and jobs.get(entry["job_id"])["status"] == "succeeded" for entry in found["rounds"])
