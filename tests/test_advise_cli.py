"""`python -m alignui advise` and `recipe`, run as a user runs them."""

import json

import pytest
import yaml
from conftest import run_cli


def advise(*args) -> dict:
    result = run_cli("advise", *args, "--json", check=True)
    return json.loads(result.stdout)


def order(payload) -> list[str]:
    return [rec["algorithm"] for rec in payload["recommendations"]]


@pytest.mark.parametrize("command", [["advise"], ["recipe"], ["recipe", "check"], ["recipe", "export"]])
def test_help_works(command):
    result = run_cli(*command, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout


def test_json_is_one_object_with_ranked_recommendations():
    payload = advise("--data", "preference")
    assert order(payload)[0] == "dpo"
    for rec in payload["recommendations"]:
        assert set(rec) >= {"algorithm", "reasons", "hyperparameters", "needs", "rank"}
        assert rec["reasons"] and "learning_rate" in rec["hyperparameters"]
    assert payload["memory"] is None
    assert {item["algorithm"] for item in payload["not_recommended"]} == {"grpo", "reward"}


@pytest.mark.parametrize("args, first", [
    (["--data", "unpaired_preference"], "kto"),
    (["--data", "preference", "--no-sft", "--concern", "overfitting"], "kto"),
    (["--data", "preference", "--single-pass", "--goal", "max-quality"], "orpo"),
    (["--data", "prompt_only", "--verifiable", "--gpu-memory-gb", "16"], "grpo"),
])
def test_checklist_answers_through_the_command_line(args, first):
    assert order(advise(*args))[0] == first


def test_uncertain_data_gets_ipo_with_higher_beta_in_trl_names():
    rec = advise("--data", "preference", "--concern", "data-quality")["recommendations"][0]
    assert rec["algorithm"] == "ipo"
    assert rec["hyperparameters"]["loss_type"] == ["ipo"] and rec["hyperparameters"]["beta"] > 0.01


def test_ratings_name_their_conversion():
    first = advise("--data", "ratings")["recommendations"][0]
    assert first["needs"]["conversion"]["to"] == "preference"
    assert "--to preference" in first["needs"]["conversion"]["command"]


def test_model_size_adds_a_memory_estimate():
    payload = advise("--data", "preference", "--gpu-memory-gb", "24", "--model-size-b", "7")
    assert payload["memory"]["fits"] is True and payload["memory"]["peak_gb"] < 24
    assert payload["recommendations"][0]["training"]["method"] == "lora"
    assert payload["recommendations"][0]["hyperparameters"]["learning_rate"] == 5e-7  # the 7B-13B row


def test_label_counts_set_kto_weights():
    rec = advise("--data", "unpaired_preference", "--labels", "800:100")["recommendations"][0]
    assert rec["hyperparameters"]["undesirable_weight"] == 2.0


def test_a_local_model_is_read_for_size_and_sft(tiny_model):
    payload = advise("--data", "preference", "--model", tiny_model)
    assert payload["model"]["looks_instruct"] is True and payload["model"]["params"] > 10_000
    assert payload["situation"]["model_size_b"] == pytest.approx(payload["model"]["params"] / 1e9)


def test_text_output_lists_reasons_and_hyperparameters():
    result = run_cli("advise", "--data", "unpaired_preference", check=True)
    assert result.stdout.startswith("For unpaired_preference data, best first:")
    assert [line for line in result.stdout.splitlines() if line[:1].isdigit()] == ["1. KTO", "2. SFT"]
    assert "hyperparameters: learning_rate=" in result.stdout
    assert "Not recommended:" in result.stdout and "never become pairs" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--data", "preference", "--gpu-memory-gb", "-8"], "GPU memory -8 GB must be above 0"),
    (["--data", "preference", "--model-size-b", "0"], "model size 0B must be above 0"),
    (["--data", "unpaired_preference", "--labels", "many"], "must be two whole numbers"),
])
def test_invalid_values_give_one_clean_error(args, message):
    result = run_cli("advise", *args)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {result.stderr.strip()[7:]}" and message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_unknown_data_type_is_an_argparse_error():
    result = run_cli("advise", "--data", "pairs")
    assert result.returncode == 2 and "invalid choice: 'pairs'" in result.stderr
    assert "Traceback" not in result.stderr


def recipe_file(tmp_path, **args) -> str:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump({"algorithm": "dpo", "model": "some/model", "dataset": str(tmp_path / "d.jsonl"),
                                    "args": args}))
    (tmp_path / "d.jsonl").write_text('{"prompt": "p", "chosen": "a", "rejected": "b"}\n')
    return str(path)


def test_recipe_check_accepts_a_good_recipe_and_gives_advice(tmp_path):
    result = run_cli("recipe", "check", recipe_file(tmp_path, learning_rate=3.0e-4), "--json", check=True)
    payload = json.loads(result.stdout)
    assert payload["ok"] is True and payload["errors"] == []
    assert payload["warnings"][0].startswith("learning_rate 0.0003 for DPO on a model of unknown size")


def test_recipe_check_refuses_invalid_values(tmp_path):
    path = recipe_file(tmp_path, beta=-0.1, learning_rate=0.5)
    result = run_cli("recipe", "check", path)
    assert result.returncode == 1 and result.stderr.startswith("error: invalid training spec:")
    assert "beta -0.1 is invalid for DPO" in result.stderr and "learning_rate 0.5" in result.stderr


def test_recipe_export_writes_script_and_trl_config(tmp_path):
    path = recipe_file(tmp_path, beta=0.1)
    script, config = tmp_path / "train.py", tmp_path / "trl.yaml"
    result = run_cli("recipe", "export", path, "--script", script, "--trl-config", config, "--json", check=True)
    assert json.loads(result.stdout) == {"written": [str(script), str(config)]}
    assert "DPOTrainer(" in script.read_text()
    assert yaml.safe_load(config.read_text())["model_name_or_path"] == "some/model"
    nothing = run_cli("recipe", "export", path)
    assert nothing.returncode == 1 and "say what to export" in nothing.stderr
