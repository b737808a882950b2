"""Recipes: YAML round trips, and exports that reproduce a run with stock TRL."""

import importlib.util
import json
import subprocess
import sys

import pytest
import yaml

from alignui.algorithms import ALGORITHMS
from alignui.errors import NotFound, SpecError
from alignui.recipe import form, recipe_file
from alignui.recipe import trl_export as recipe
from alignui.recipe.spec import HardwareSpec, LoraSpec, TrainSpec

PAIRS = [{"prompt": f"What is {i} + {i}?", "chosen": f" {2 * i}", "rejected": f" {2 * i + 1}"} for i in range(10)]
CPU_STEPS = {"max_steps": 2, "use_cpu": True, "report_to": "none", "per_device_train_batch_size": 2,
             "gradient_accumulation_steps": 1, "bf16": False, "logging_steps": 1, "save_strategy": "no",
             "max_length": 64}


@pytest.fixture
def pairs(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in PAIRS))
    return path


def dpo_spec(model, data, **args) -> TrainSpec:
    return TrainSpec("dpo", str(model), str(data), args={**CPU_STEPS, "beta": 0.1, "learning_rate": 5e-7, **args},
                     eval_fraction=0.2)


def test_recipe_round_trips_through_yaml(tmp_path):
    spec = TrainSpec("kto", "Qwen/Qwen2.5-1.5B-Instruct", "thumbs",
                     args={"beta": 0.1, "learning_rate": 1e-6, "undesirable_weight": 2.0},
                     lora=LoraSpec(r=8, alpha=16), hardware=HardwareSpec(processes=2, distributed="ddp"))
    path = recipe_file.save_recipe(spec, tmp_path / "r.yaml")
    assert recipe_file.load_recipe(path) == spec
    assert yaml.safe_load(path.read_text())["args"]["undesirable_weight"] == 2.0


def test_saving_or_loading_an_invalid_recipe_lists_every_problem(tmp_path):
    bad = TrainSpec("ipo", "m", "d", args={"beta": 0.5, "learning_rate": 0})
    with pytest.raises(SpecError) as raised:
        recipe_file.save_recipe(bad, tmp_path / "bad.yaml")
    message = str(raised.value)
    assert "beta 0.5 is invalid for IPO" in message and "learning_rate 0 is out of range" in message
    assert not (tmp_path / "bad.yaml").exists()
    path = tmp_path / "hand-written.yaml"
    bad.save(path)
    with pytest.raises(SpecError) as raised:
        recipe_file.load_recipe(path)
    assert str(raised.value).startswith("invalid training spec:") and str(raised.value).count("\n- ") == 2
    with pytest.raises(NotFound):
        recipe_file.load_recipe(tmp_path / "missing.yaml")


def test_exported_dpo_script_trains_on_cpu(tiny_model, pairs, tmp_path):
    script = tmp_path / "train_dpo.py"
    recipe.export(dpo_spec(tiny_model, pairs, eval_strategy="steps", eval_steps=2), script=script)
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    output = tmp_path / f"dpo-{tiny_model.name}"
    assert (output / "model.safetensors").is_file() and (output / "config.json").is_file()
    assert "'eval_loss'" in result.stdout  # the 20% held out is evaluated


@pytest.mark.parametrize("algorithm, command", [("dpo", "dpo"), ("ipo", "dpo"), ("kto", "kto"), ("sft", "sft"),
                                                ("grpo", "grpo")])
def test_trl_config_is_read_by_trls_own_parser(algorithm, command, pairs, tmp_path):
    spec = TrainSpec(algorithm, "some/model", str(pairs), args={"learning_rate": 1e-6, "num_train_epochs": 2,
                                                                "use_cpu": True},
                     lora=LoraSpec(r=8, alpha=16, quantize_4bit=True),
                     hardware=HardwareSpec(processes=4, distributed="deepspeed-zero3"))
    path = tmp_path / f"{algorithm}.yaml"
    path.write_text(recipe.trl_config(spec, reward_module="train_grpo"))
    module = importlib.import_module(f"trl.scripts.{command}")
    *parsed, launch, cli = module.make_parser().parse_args_and_config(
        ["--config", str(path)], return_remaining_strings=True, separate_remaining_strings=True)
    script_args, training_args, model_args, data_args = parsed
    assert cli == [] and launch == ["--accelerate_config", "zero3", "--num_processes", "4"]
    assert (training_args.learning_rate, training_args.num_train_epochs) == (1e-6, 2)
    assert (model_args.model_name_or_path, model_args.use_peft, model_args.lora_r) == ("some/model", True, 8)
    assert model_args.load_in_4bit is True
    assert data_args.datasets[0].path == "json" and data_args.test_split_size == 0.05
    if algorithm == "ipo":
        assert training_args.loss_type == ["ipo"]
    if algorithm == "grpo":
        assert script_args.reward_funcs == ["train_grpo.overlong_penalty"]  # no answer column in pairs


@pytest.mark.parametrize("algorithm", ["simpo", "orpo"])
def test_simpo_and_orpo_have_no_trl_command(algorithm, pairs):
    with pytest.raises(SpecError, match="no .* command.*export the Python script instead"):
        recipe.trl_config(TrainSpec(algorithm, "m", str(pairs)))


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_every_algorithm_exports_a_script_that_compiles(algorithm, pairs):
    spec = TrainSpec(algorithm, "some/model", str(pairs), lora=LoraSpec(quantize_4bit=True))
    source = recipe.python_script(spec)
    compile(source, f"train_{algorithm}.py", "exec")
    config_class = ALGORITHMS[algorithm].config.split(":")[1]
    assert f"{config_class}(output_dir=OUTPUT_DIR, **ARGS)" in source
    assert "peft_config=LoraConfig(r=16" in source and "BitsAndBytesConfig(" in source
    for name, value in ALGORITHMS[algorithm].fixed.items():
        assert repr(name) in source and repr(value) in source


def test_grpo_script_carries_alignuis_rewards(tmp_path):
    data = tmp_path / "sums.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"{i}+{i}=", "answer": str(2 * i)}) + "\n" for i in range(4)))
    script = tmp_path / "train_grpo.py"
    config = tmp_path / "grpo.yaml"
    recipe.export(TrainSpec("grpo", "some/model", str(data), args={"max_completion_length": 64}), script, config)
    spec = importlib.util.spec_from_file_location("train_grpo", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines everything; main() only runs as a script
    assert module.answer_reward(["so the answer is 4"], answer=["4"]) == [1.0]
    assert module.reward_funcs(["prompt", "answer"])[:2] == [module.answer_reward, module.format_reward]
    assert yaml.safe_load(config.read_text())["reward_funcs"] == [
        "train_grpo.answer_reward", "train_grpo.format_reward", "train_grpo.overlong_penalty"]


def test_a_saved_datasets_stored_copy_is_what_the_exports_read(pairs):
    from alignui.data import catalog

    entry = catalog.save(pairs, "pairs-for-export")
    spec = TrainSpec("dpo", "some/model", "pairs-for-export")
    assert f"DATA_FILES = {entry.path!r}" in recipe.python_script(spec)
    with pytest.raises(NotFound, match="neither a saved dataset"):
        recipe.python_script(TrainSpec("dpo", "some/model", "nothing-here"))


def test_single_process_runs_need_no_accelerate_settings(pairs):
    config = yaml.safe_load(recipe.trl_config(TrainSpec("dpo", "m", str(pairs))))
    assert "accelerate_config" not in config and "num_processes" not in config
    multi = yaml.safe_load(recipe.trl_config(TrainSpec("dpo", "m", str(pairs), hardware=HardwareSpec(processes=2))))
    assert (multi["accelerate_config"], multi["num_processes"]) == ("multi_gpu", 2)


def test_the_form_round_trips_a_recipe():
    spec = TrainSpec("simpo", "m", "d", args={"beta": 2.5, "simpo_gamma": 1.2, "learning_rate": 1e-6, "bf16": False,
                                              "fp16": True, "max_steps": 50, "seed": 3},
                     lora=LoraSpec(r=32, alpha=64, target_modules=["q_proj", "v_proj"]),
                     hardware=HardwareSpec(processes=2, distributed="deepspeed-zero3"), eval_fraction=0.1)
    values = form.values_from_spec(spec)
    assert values["precision"] == "auto" and values["method"] == "lora"  # bf16=False, fp16=True is no choice
    assert values["extra"] == "bf16=false\nfp16=true\nmax_steps=50\nseed=3"
    assert form.spec_from_values("simpo", "m", "d", values) == spec


def test_the_form_refuses_what_it_cannot_read():
    with pytest.raises(SpecError, match="write settings as FIELD=VALUE"):
        form.spec_from_values("dpo", "m", "d", {"extra": "max_steps: [1"})
    with pytest.raises(SpecError, match="set beta in its own form field"):
        form.spec_from_values("dpo", "m", "d", {"extra": "beta=0.2"})
    with pytest.raises(SpecError, match="set bf16 in its own form field"):
        form.spec_from_values("dpo", "m", "d", {"extra": "bf16=true", "precision": "fp32"})
    with pytest.raises(SpecError, match="training method 'half'"):
        form.spec_from_values("dpo", "m", "d", {"method": "half"})
