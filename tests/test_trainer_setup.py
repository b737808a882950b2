"""How the training process assembles a trainer from a spec (in this process, without a launcher)."""

import json

import pytest
from test_train_data import rows_for, write_rows

from alignui.errors import SpecError
from alignui.recipe.spec import LoraSpec, TrainSpec
from alignui.train import trainer_setup
from alignui.train.run_folder import RunFolder

TINY = {"max_steps": 2, "per_device_train_batch_size": 2, "max_length": 32}


def prepare(tmp_path, spec: TrainSpec) -> RunFolder:
    run = RunFolder(tmp_path / "run")
    run.root.mkdir(parents=True)
    rows = rows_for(spec.algorithm, n=20)
    held = round(len(rows) * spec.eval_fraction)
    write_rows(run.train_data, rows[held:])
    if held:
        write_rows(run.eval_data, rows[:held])
    return run


def make(tmp_path, algorithm="dpo", **fields):
    spec = TrainSpec(algorithm, str(fields.pop("model")), "data", args={**TINY, **fields.pop("args", {})}, **fields)
    run = prepare(tmp_path, spec)
    return trainer_setup.trainer(spec, run, callbacks=[]), run


def test_lora_uses_the_base_with_its_adapter_off_as_the_reference(tmp_path, tiny_model):
    from peft import PeftModel

    trainer, _ = make(tmp_path, model=tiny_model, lora=LoraSpec(r=4))
    assert isinstance(trainer.model, PeftModel)
    assert trainer.ref_model is None  # no second copy in memory
    trainable = [n for n, p in trainer.model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)


def test_full_fine_tuning_keeps_a_separate_frozen_reference(tmp_path, tiny_model):
    trainer, _ = make(tmp_path, model=tiny_model)
    assert trainer.ref_model is not None and trainer.ref_model is not trainer.model


def test_config_suits_the_cpu_and_evaluates_at_every_checkpoint(tmp_path, tiny_model):
    trainer, run = make(tmp_path, model=tiny_model, args={"save_steps": 5}, eval_fraction=0.1)
    config = trainer.args
    assert config.use_cpu and not config.bf16 and config.report_to == []
    assert config.output_dir == str(run.checkpoints)
    assert config.eval_strategy == "steps" and config.eval_steps == 5
    assert len(trainer.train_dataset) == 18 and len(trainer.eval_dataset) == 2


def test_the_run_trains_and_evaluates_on_its_folders_split(tmp_path):
    run = RunFolder(tmp_path)
    write_rows(run.train_data, rows_for("dpo", n=6))
    train, held_out = trainer_setup.load_data(run)
    assert len(train) == 6 and held_out is None  # no eval.jsonl: no evaluation
    write_rows(run.eval_data, rows_for("dpo", n=2))
    assert len(trainer_setup.load_data(run)[1]) == 2


def test_a_checkpoint_of_a_lora_run_continues_as_a_trainable_adapter(tmp_path, tiny_model):
    from peft import PeftModel

    first, _ = make(tmp_path / "a", model=tiny_model, lora=LoraSpec(r=4))
    adapter = tmp_path / "adapter"
    first.save_model(str(adapter))
    assert trainer_setup.adapter_base(str(adapter)) == str(tiny_model)

    model = trainer_setup.load_policy(TrainSpec("dpo", str(adapter), "data", lora=LoraSpec(r=4)))
    assert isinstance(model, PeftModel)
    assert any(p.requires_grad for n, p in model.named_parameters() if "lora_" in n)


def test_qlora_without_cuda_says_what_it_needs(tmp_path, tiny_model):
    with pytest.raises(SpecError, match="CUDA"):
        trainer_setup.load_policy(TrainSpec("dpo", str(tiny_model), "data", lora=LoraSpec(quantize_4bit=True)))


def test_grpo_without_answers_or_reward_model_is_refused(tmp_path, tiny_model):
    spec = TrainSpec("grpo", str(tiny_model), "data", args={"max_steps": 1, "num_generations": 2,
                                                            "per_device_train_batch_size": 2})
    run = prepare(tmp_path, spec)
    write_rows(run.train_data, [{"prompt": r["prompt"]} for r in rows_for("grpo", n=8)])
    with pytest.raises(SpecError, match="answer"):
        trainer_setup.trainer(spec, run, callbacks=[])


def test_a_model_that_cannot_be_loaded_is_a_spec_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SpecError, match="cannot load model"):
        trainer_setup.load_policy(TrainSpec("dpo", str(tmp_path / "empty"), "data"))


def test_trl_config_errors_name_the_config_class(tmp_path, tiny_model):
    spec = TrainSpec("grpo", str(tiny_model), "data", args={"num_generations": 1})
    with pytest.raises(SpecError, match="GRPOConfig"):
        trainer_setup.trl_config(spec, RunFolder(tmp_path), has_eval=False)


def test_the_resolved_config_is_json(tmp_path, tiny_model):
    trainer, _ = make(tmp_path, model=tiny_model)
    assert json.loads(trainer.args.to_json_string())["max_steps"] == 2
