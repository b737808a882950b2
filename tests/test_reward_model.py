"""The `reward` algorithm: TRL's RewardTrainer through the job engine, full and LoRA, and its output
used as a judge (`eval --judge reward-model:JOB`) and as GRPO's reward model."""

import json

import pytest
from conftest import run_cli
from test_train_data import data_file

from alignui.recipe.spec import LoraSpec, TrainSpec
from alignui.train import jobs

ARGS = {"per_device_train_batch_size": 4, "max_length": 32, "max_steps": 2, "logging_steps": 1}


def load_classifier(folder):
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification.from_pretrained(folder, use_safetensors=True)


@pytest.mark.timeout(300)
def test_train_reward_saves_a_one_label_classifier_that_eval_uses_as_judge(tmp_path, alignui_home, tiny_model):
    data = data_file(tmp_path, "dpo")
    trained = run_cli("train", "--algorithm", "reward", "--model", tiny_model, "--data", data,
                      "--eval-fraction", "0", *sum((["--set", f"{k}={v}"] for k, v in ARGS.items()), []),
                      "--wait", "--json", home=alignui_home)
    job = json.loads(trained.stdout)
    assert job["status"] == "succeeded", job["error"]
    model = load_classifier(job["output_dir"])
    assert model.config.num_labels == 1 and model.config.pad_token_id is not None
    assert type(model).__name__ == "LlamaForSequenceClassification"
    assert "loss" in {key for m in job["metrics"] for key in m}

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"What is {a} + 1?"}) + "\n" for a in range(4)))
    result = run_cli("eval", "--reference", tiny_model, "--aligned", tiny_model, "--prompts", prompts,
                     "--judge", f"reward-model:{job['job_id']}", "--max-new-tokens", "4", "--json",
                     home=alignui_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["judge"] == f"reward-model:{job['job_id']}"
    # One model on both sides answers alike, and the reward model scores like answers alike: all ties.
    assert report["n"] == 4 and report["ties"] == 4
    assert all(r["reference_score"] == r["aligned_score"] is not None for r in report["per_prompt"])


@pytest.mark.timeout(300)
def test_a_lora_reward_model_is_saved_merged_and_grpo_takes_it_by_job_id(tmp_path, alignui_home, tiny_model):
    spec = TrainSpec("reward", str(tiny_model), str(data_file(tmp_path, "dpo")), args=ARGS, eval_fraction=0,
                     lora=LoraSpec(r=4, alpha=8))
    done = jobs.wait(jobs.submit(spec)["job_id"], timeout=240)
    assert done["status"] == "succeeded", done["error"]
    folder = jobs.run_folder(done["job_id"]).model
    assert not (folder / "adapter_config.json").exists()
    assert load_classifier(folder).config.num_labels == 1

    grpo = TrainSpec("grpo", str(tiny_model), str(data_file(tmp_path, "grpo")), eval_fraction=0,
                     reward_model=str(done["job_id"]),
                     args={"per_device_train_batch_size": 4, "num_generations": 4, "max_completion_length": 4,
                           "max_steps": 1, "logging_steps": 1})
    ran = jobs.wait(jobs.submit(grpo)["job_id"], timeout=240)
    assert ran["status"] == "succeeded", ran["error"]
    assert TrainSpec.load(jobs.run_folder(ran["job_id"]).spec).reward_model == str(folder)
    # TRL names a model reward by its folder; its score is logged next to the answer check.
    logged = {key for m in ran["metrics"] for key in m}
    assert any(key.startswith("rewards/") and folder.name in key for key in logged), logged
