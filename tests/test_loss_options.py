"""TRL 1.16's loss options in the advisor's table: each value has a reason, the check refuses what
TRL would not take, and a spec with each option builds its TRL config (and the mixes train a step)."""

import re

import pytest
from test_trainer_setup import prepare

from alignui.recipe import loss_options, ranges
from alignui.recipe.spec import TrainSpec
from alignui.recipe.validate import validate
from alignui.train import trainer_setup

DPO_LOSSES = loss_options.field("loss_type", "dpo").values
TINY = {"max_steps": 1, "per_device_train_batch_size": 2, "report_to": "none"}


def documented(config, name: str) -> set[str]:
    """The values TRL's own help for a config field names."""
    return set(re.findall(r"'(\w+)'", config.__dataclass_fields__[name].metadata["help"].split(". ")[1]))


def test_every_choice_has_a_reason_and_the_tables_cover_the_documented_options():
    from trl import DPOConfig, GRPOConfig

    assert set(DPO_LOSSES) == documented(DPOConfig, "loss_type") >= {"sigmoid", "sft", "discopop", "exo_pair"}
    assert set(loss_options.field("loss_type", "grpo").values) == documented(GRPOConfig, "loss_type") >= {
        "grpo", "dr_grpo", "dapo", "bnpo", "cispo"}
    assert loss_options.field("importance_sampling_level", "grpo").values == ("token", "sequence")
    assert loss_options.field("scale_rewards", "grpo").values == ("group", "batch", "none")
    assert all(c.reason and "\n" not in c.reason for f in loss_options.FIELDS for c in f.choices)
    assert ranges.applies("precompute_ref_log_probs", "kto") and not ranges.applies("precompute_ref_log_probs", "grpo")


@pytest.mark.parametrize("args, message", [
    ({"loss_type": ["sigmoid", "kto"]}, "'kto' is not one of sigmoid"),
    ({"loss_type": ["sigmoid", "sft"], "loss_weights": [1.0]}, "1 number(s) but loss_type has 2"),
    ({"loss_type": ["sigmoid"], "loss_weights": [-1.0]}, "must not be negative"),
    ({"loss_type": []}, "loss_type is empty"),
    ({"loss_type": ["sigmoid", "exo_pair"]}, "exo_pair needs label_smoothing"),
])
def test_the_check_refuses_what_trl_would_not_take(args, message):
    errors = ranges.check("dpo", args).errors
    assert any(message in e for e in errors), errors
    assert ranges.check("grpo", {"loss_type": "sigmoid"}).errors
    assert ranges.check("grpo", {"importance_sampling_level": "sequence", "scale_rewards": "none"}).ok
    assert any("luspo needs importance_sampling_level" in e for e in ranges.check("grpo", {"loss_type": "luspo"}).errors)
    assert ranges.check("grpo", {"loss_type": "luspo", "importance_sampling_level": "sequence"}).ok


@pytest.mark.parametrize("loss", DPO_LOSSES)
def test_each_dpo_loss_builds_its_trl_config(tmp_path, tiny_model, loss):
    spec = validate(TrainSpec("dpo", str(tiny_model), "data", args={**TINY, "max_length": 32, "loss_type": [loss],
                                                                  **({"label_smoothing": 0.001} if loss == "exo_pair" else {})},
                              eval_fraction=0))
    assert trainer_setup.trl_config(spec, prepare(tmp_path, spec), has_eval=False).loss_type == [loss]


def test_every_dpo_loss_mixed_trains_a_step_with_precomputed_reference(tmp_path, tiny_model):
    args = {**TINY, "max_length": 32, "loss_type": list(DPO_LOSSES), "precompute_ref_log_probs": True,
            "loss_weights": [0.2 if loss == "sft" else 1.0 for loss in DPO_LOSSES], "label_smoothing": 0.001}
    spec = validate(TrainSpec("dpo", str(tiny_model), "data", args=args, eval_fraction=0))
    trainer = trainer_setup.trainer(spec, prepare(tmp_path, spec), callbacks=[])
    assert trainer.train().global_step == 1


@pytest.mark.parametrize("args", [
    {"loss_type": "grpo", "scale_rewards": "group"}, {"loss_type": "dapo", "scale_rewards": "none"},
    {"loss_type": "bnpo", "importance_sampling_level": "token"},
])
def test_grpo_options_build_their_trl_config(tmp_path, tiny_model, args):
    spec = validate(TrainSpec("grpo", str(tiny_model), "data", args={**TINY, "num_generations": 2, **args},
                              eval_fraction=0))
    config = trainer_setup.trl_config(spec, prepare(tmp_path, spec), has_eval=False)
    assert all(getattr(config, k) == v for k, v in args.items())


def test_gspo_with_dr_grpo_and_batch_scaling_trains_a_step(tmp_path, tiny_model):
    args = {**TINY, "num_generations": 2, "max_completion_length": 4, "loss_type": "dr_grpo",
            "importance_sampling_level": "sequence", "scale_rewards": "batch"}
    spec = validate(TrainSpec("grpo", str(tiny_model), "data", args=args, eval_fraction=0))
    trainer = trainer_setup.trainer(spec, prepare(tmp_path, spec), callbacks=[])
    assert trainer.train().global_step == 1
