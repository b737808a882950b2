"""The one check of a spec: every TRL field typed by TRL's own parser, every problem in one error."""

import math

import pytest

from alignui.errors import SpecError
from alignui.recipe.spec import HardwareSpec, LoraSpec, TrainSpec
from alignui.recipe.validate import review, validate


def problems(algorithm="dpo", **args) -> list[str]:
    return review(TrainSpec(algorithm, "m", "d", args=args)).errors


@pytest.mark.parametrize("name, value, expected", [
    ("max_steps", "abc", "max_steps: must be a whole number, not 'abc'"),
    ("max_steps", 2.5, "max_steps: must be a whole number, not 2.5"),
    ("max_steps", 1e20, "max_steps: 100000000000000000000 is out of range"),
    ("seed", 10**30, "seed: 1000000000000000000000000000000 is out of range"),
    ("beta", math.nan, "beta: must be a finite number, not nan"),
    ("learning_rate", math.inf, "learning_rate: must be a finite number, not inf"),
    ("beta", "NaN", "beta: must be a finite number, not 'NaN'"),
    ("warmup_steps", "-Infinity", "warmup_steps: must be a finite number"),
    ("bf16", "maybe", "bf16: 'maybe' is not a valid value"),
    ("lr_scheduler_type", "wavy", "lr_scheduler_type: 'wavy' is not one of linear, cosine"),
    ("max_steps", [1, 2], "max_steps: takes one value, not a list"),
])
def test_every_field_is_typed_by_trls_parser_and_named(name, value, expected):
    [problem] = problems(**{name: value})
    assert problem.startswith(expected)


def test_values_are_converted_to_their_trl_types():
    spec = validate(TrainSpec("dpo", "m", "d", args={"max_steps": "200", "learning_rate": "5e-7",
                                                     "loss_type": "ipo", "bf16": "false", "beta": 1}))
    assert spec.args == {"max_steps": 200, "learning_rate": 5e-7, "loss_type": ["ipo"], "bf16": False, "beta": 1.0}
    assert type(spec.args["beta"]) is float


def test_a_typo_names_the_closest_field_and_long_lists_are_capped():
    [problem] = problems(max_step=5)
    assert problem.startswith("'max_step' (did you mean max_steps?) is not a field of DPOConfig")
    [problem] = problems(**{f"junk_{i}": i for i in range(20000)})
    assert "and 19995 more are not fields of DPOConfig" in problem and len(problem) < 1000


def test_trls_own_cross_field_checks_run():
    [problem] = problems("grpo", num_generations=3, per_device_train_batch_size=4, generation_batch_size=8)
    assert problem.startswith("GRPOConfig:")


def test_structure_outside_the_trl_config_is_checked():
    spec = TrainSpec("dpo", "m", "d", eval_fraction=math.nan,
                     lora=LoraSpec(r=5000, alpha=-1, dropout=2, target_modules=3, quantize_4bit="yes"),
                     hardware=HardwareSpec(processes=0, machines=2, machine_rank=2, distributed="mpi"))
    found = "\n".join(review(spec).errors)
    for expected in ("eval_fraction nan", "hardware.processes must be at least 1", "machine_rank 2 must be below",
                     "main_address is empty", "hardware.distributed must be one of", "lora.r 5000",
                     "lora.alpha -1", "lora.dropout 2", "lora.target_modules", "lora.quantize_4bit"):
        assert expected in found


def test_one_error_lists_every_problem_and_empty_names_lead():
    with pytest.raises(SpecError) as raised:
        validate(TrainSpec("dpo", " ", "", args={"max_steps": "x", "beta": math.nan}))
    lines = str(raised.value).splitlines()
    assert lines[0] == "invalid training spec:"
    assert lines[1].startswith("- model is empty") and lines[2].startswith("- dataset is empty")
    assert any("max_steps" in line for line in lines) and any("beta" in line for line in lines)


def test_a_fixed_field_cannot_be_changed():
    assert "loss_type is fixed to ['ipo'] for ipo" in problems("ipo", loss_type=["sigmoid"])
