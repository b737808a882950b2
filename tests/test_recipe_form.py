"""The run form: spec -> form -> spec loses nothing, for every field of a TrainSpec."""

import dataclasses

import pytest

from alignui.algorithms import ALGORITHMS
from alignui.recipe import form
from alignui.recipe.presets import preset
from alignui.recipe.spec import HardwareSpec, LoraSpec, TrainSpec

EVERYTHING = dict(
    lora=LoraSpec(r=8, alpha=4, dropout=0.1, target_modules=["q_proj", "v_proj"], quantize_4bit=True),
    hardware=HardwareSpec(gpus="0,1", processes=2, distributed="deepspeed-zero3", machines=2, machine_rank=1,
                          main_address="10.0.0.2", main_port=29600),
    eval_fraction=0.1,
)


def round_trip(spec: TrainSpec) -> TrainSpec:
    return form.spec_from_values(spec.algorithm, spec.model, spec.dataset, form.values_from_spec(spec))


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_every_part_of_a_spec_survives_the_form(algorithm):
    args = {**preset(algorithm).args, "max_steps": 7, "lr_scheduler_type": "cosine", "seed": 3,
            "activation_checkpointing": False, "model_init_kwargs": {"attn_implementation": "eager"},
            "report_to": ["none"], "run_name": "true"}
    spec = TrainSpec(algorithm, "/models/base", "pairs", args=args, **EVERYTHING,
                     reward_model="/models/judge" if algorithm == "grpo" else "")
    assert round_trip(spec) == spec


@pytest.mark.parametrize("flags, precision", [({}, "auto"), ({"bf16": True}, "bf16"), ({"fp16": True}, "fp16"),
                                              ({"bf16": False, "fp16": False}, "fp32"),
                                              ({"bf16": False}, "auto"), ({"bf16": True, "fp16": False}, "auto")])
def test_precision_flags_survive_whatever_their_combination(flags, precision):
    spec = TrainSpec("dpo", "m", "d", args=dict(flags))
    assert form.values_from_spec(spec)["precision"] == precision
    assert round_trip(spec) == spec


def test_full_fine_tuning_and_default_hardware_survive():
    spec = TrainSpec("kto", "m", "d")
    assert round_trip(spec) == spec
    assert round_trip(dataclasses.replace(spec, lora=LoraSpec())) == dataclasses.replace(spec, lora=LoraSpec())


def test_a_switch_keeps_trls_default_apart_from_off():
    values = form.values_from_spec(TrainSpec("dpo", "m", "d"))
    assert values["activation_checkpointing"] == "TRL default"
    off = form.values_from_spec(TrainSpec("dpo", "m", "d", args={"activation_checkpointing": False}))
    assert off["activation_checkpointing"] == "off"


def test_every_spec_field_has_a_form_field():
    names = set(form.NAMES)
    for field in dataclasses.fields(LoraSpec):
        assert f"lora_{field.name}" in names or field.name == "quantize_4bit"  # qlora is a training method
    for field in dataclasses.fields(HardwareSpec):
        assert field.name in names
    assert {"eval_fraction", "reward_model", "extra"} <= names
