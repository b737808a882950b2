"""The run form: spec -> form -> spec loses nothing, for every field of a TrainSpec."""

import dataclasses

import pytest

from alignui.algorithms import ALGORITHMS
from alignui.errors import SpecError
from alignui.recipe import form, loss_options
from alignui.recipe.presets import preset
from alignui.recipe.spec import HardwareSpec, LoraSpec, TrainSpec

EVERYTHING = dict(
    lora=LoraSpec(r=8, alpha=4, dropout=0.1, target_modules=["q_proj", "v_proj"], quantize_4bit=True),
    hardware=HardwareSpec(gpus="0,1", processes=2, distributed="deepspeed-zero3", machines=2, machine_rank=1,
                          main_address="10.0.0.2", main_port=29600),
    eval_fraction=0.1,
)
#: Loss settings per algorithm: in their form fields for DPO and GRPO, under more fields where the form
#: has none for the algorithm (IPO fixes its loss_type; KTO's and SFT's losses are their own).
LOSSES = {
    "dpo": {"loss_type": ["sigmoid", "sft"], "loss_weights": [1.0, 0.2], "precompute_ref_log_probs": True},
    "ipo": {"loss_type": ["ipo"], "loss_weights": [1.0], "precompute_ref_log_probs": False},
    "kto": {"loss_type": "apo_zero_unpaired", "precompute_ref_log_probs": True},
    "grpo": {"loss_type": "dr_grpo", "importance_sampling_level": "sequence", "scale_rewards": "none"},
    "sft": {"loss_type": "dft"},
}


def round_trip(spec: TrainSpec) -> TrainSpec:
    return form.spec_from_values(spec.algorithm, spec.model, spec.dataset, form.values_from_spec(spec))


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_every_part_of_a_spec_survives_the_form(algorithm):
    args = {**preset(algorithm).args, "max_steps": 7, "lr_scheduler_type": "cosine", "seed": 3,
            "activation_checkpointing": False, "model_init_kwargs": {"attn_implementation": "eager"},
            "report_to": ["none"], "run_name": "true", **LOSSES.get(algorithm, {})}
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
    assert list(form.CHOICE_FIELDS.values()) == loss_options.FIELDS and set(form.CHOICE_FIELDS) | {"loss_weights"} <= names


def test_dpo_losses_and_weights_fill_their_own_fields_and_come_back():
    spec = TrainSpec("dpo", "m", "d", args=LOSSES["dpo"])
    values = form.values_from_spec(spec)
    assert values["dpo_loss_type"] == ["sigmoid", "sft"] and values["loss_weights"] == "1.0, 0.2"
    assert values["precompute_ref_log_probs"] == "on" and values["extra"] == ""
    assert round_trip(spec) == spec
    typed = {**values, "loss_weights": "[1, 0.2]"}  # as the recipe writes it
    assert form.spec_from_values("dpo", "m", "d", typed).args == LOSSES["dpo"]


def test_grpo_loss_choices_fill_their_own_fields_and_come_back():
    spec = TrainSpec("grpo", "m", "d", args=LOSSES["grpo"])
    values = form.values_from_spec(spec)
    assert (values["grpo_loss_type"], values["importance_sampling_level"], values["scale_rewards"]) == \
        ("dr_grpo", "sequence", "none")
    assert values["dpo_loss_type"] == [] and values["extra"] == ""
    assert round_trip(spec) == spec


@pytest.mark.parametrize("algorithm", ["dpo", "grpo"])
def test_a_recipe_without_loss_settings_keeps_trls_defaults(algorithm):
    spec = TrainSpec(algorithm, "m", "d", args={"beta": 0.1})
    values = form.values_from_spec(spec)
    assert values["dpo_loss_type"] == [] and values["loss_weights"] == ""
    assert {values[name] for name in ("grpo_loss_type", "importance_sampling_level", "scale_rewards",
                                      "precompute_ref_log_probs")} == {form.TRL_DEFAULT}
    assert round_trip(spec).args == {"beta": 0.1}


def test_one_dpo_loss_given_as_text_comes_back_as_trls_list():
    values = form.values_from_spec(TrainSpec("dpo", "m", "d", args={"loss_type": "hinge", "loss_weights": 1}))
    assert values["dpo_loss_type"] == ["hinge"] and values["loss_weights"] == "1"
    assert form.spec_from_values("dpo", "m", "d", values).args == {"loss_type": ["hinge"], "loss_weights": [1]}


def test_loss_fields_of_another_algorithm_are_ignored():
    values = {"dpo_loss_type": ["hinge"], "loss_weights": "1", "grpo_loss_type": "dr_grpo",
              "scale_rewards": "none", "precompute_ref_log_probs": "on"}
    assert form.spec_from_values("ipo", "m", "d", values).args == {"precompute_ref_log_probs": True}
    assert form.spec_from_values("grpo", "m", "d", values).args == {"loss_type": "dr_grpo", "scale_rewards": "none"}
    assert form.spec_from_values("dpo", "m", "d", values).args == {
        "loss_type": ["hinge"], "loss_weights": [1], "precompute_ref_log_probs": True}


@pytest.mark.parametrize("algorithm, values, message", [
    ("dpo", {"dpo_loss_type": ["sigmoid", "kto"]}, "DPO loss: loss_type 'kto' is not one of sigmoid"),
    ("dpo", {"dpo_loss_type": ["sigmoid", "sft"], "loss_weights": "1"}, "Loss weights: loss_weights has 1 number"),
    ("dpo", {"loss_weights": "1, 2"}, r"Loss weights: loss_weights has 2 number\(s\) but loss_type has 1"),
    ("dpo", {"loss_weights": "heavy"}, "Loss weights: loss_weights must be a list of numbers"),
    ("dpo", {"loss_weights": "-1"}, "Loss weights: loss_weights must not be negative"),
    ("grpo", {"grpo_loss_type": "sigmoid"}, "GRPO loss: loss_type 'sigmoid' is not one of grpo"),
    ("grpo", {"importance_sampling_level": "word"}, "Importance sampling: importance_sampling_level 'word'"),
    ("grpo", {"scale_rewards": True}, "Reward scaling: scale_rewards True is not one of group"),
])
def test_a_bad_loss_choice_is_refused_naming_its_field(algorithm, values, message):
    with pytest.raises(SpecError, match=message):
        form.spec_from_values(algorithm, "m", "d", values)


def test_a_loss_setting_under_more_fields_belongs_in_its_own_field():
    with pytest.raises(SpecError, match=r"set loss_type \(DPO loss\) in its own form field"):
        form.spec_from_values("dpo", "m", "d", {"extra": "loss_type=hinge"})
    with pytest.raises(SpecError, match="set loss_weights, precompute_ref_log_probs in its own form field"):
        form.spec_from_values("dpo", "m", "d", {"extra": "loss_weights=[1]\nprecompute_ref_log_probs=true"})
    with pytest.raises(SpecError, match=r"set loss_type \(GRPO loss\), scale_rewards in its own form field"):
        form.spec_from_values("grpo", "m", "d", {"extra": "loss_type=dapo\nscale_rewards=none"})
    assert form.spec_from_values("ipo", "m", "d", {"extra": 'loss_type=["ipo"]'}).args == {"loss_type": ["ipo"]}


@pytest.mark.parametrize("name, algorithm", [("dpo_loss_type", "dpo"), ("grpo_loss_type", "grpo"),
                                             ("importance_sampling_level", "grpo"), ("scale_rewards", "grpo")])
def test_a_loss_fields_help_gives_every_choice_with_its_reason(name, algorithm):
    field, choices = form.BY_NAME[name], form.CHOICE_FIELDS[name]
    assert choices is loss_options.field(choices.name, algorithm)
    for choice in choices.choices:
        assert f"\n- {choice.value}: {choice.reason}" in field.help
    assert field.kind == ("choices" if choices.multiple else "choice")
    assert field.choices == (choices.values if choices.multiple else (form.TRL_DEFAULT, *choices.values))


def test_loss_fields_are_shown_for_their_algorithms_only():
    showing = {name: {a for a in ALGORITHMS if form.shown(name, a)}
               for name in ("dpo_loss_type", "loss_weights", "grpo_loss_type", "importance_sampling_level",
                            "scale_rewards", "precompute_ref_log_probs")}
    assert showing == {"dpo_loss_type": {"dpo"}, "loss_weights": {"dpo"}, "grpo_loss_type": {"grpo"},
                       "importance_sampling_level": {"grpo"}, "scale_rewards": {"grpo"},
                       "precompute_ref_log_probs": {"dpo", "ipo", "kto"}}
