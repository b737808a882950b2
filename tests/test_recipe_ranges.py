"""Valid ranges and help texts: refused values say what is wrong and what the article recommends."""

import dataclasses

import pytest

from alignui.algorithms import ALGORITHMS
from alignui.errors import SpecError
from alignui.recipe import form, ranges
from alignui.recipe.ranges import FIELDS, check
from alignui.recipe.spec import LoraSpec, TrainSpec, config_fields
from alignui.recipe.validate import review, validate


def errors(algorithm, args, **kwargs):
    return check(algorithm, args, **kwargs).errors


def warnings(algorithm, args, **kwargs):
    return check(algorithm, args, **kwargs).warnings


@pytest.mark.parametrize("algorithm", ["dpo", "ipo", "kto", "simpo", "orpo"])
@pytest.mark.parametrize("beta", [0, -0.1])
def test_zero_or_negative_beta_is_refused(algorithm, beta):
    [message] = errors(algorithm, {"beta": beta})
    assert f"beta {beta:g} is invalid" in message and "Recommended" not in message
    assert "must be above 0" in message


def test_grpo_beta_zero_is_allowed_it_drops_the_kl_term():
    assert errors("grpo", {"beta": 0.0}) == []
    assert "must be at least 0" in errors("grpo", {"beta": -0.01})[0]


def test_ipo_beta_of_a_dpo_size_is_refused_with_the_articles_value():
    [message] = errors("ipo", {"beta": 0.5})
    assert "beta 0.5 is invalid for IPO" in message
    assert "about 0.01" in message and "0.1-0.5 do not carry over" in message


def test_betas_outside_the_recommended_range_are_advice_not_errors():
    assert errors("dpo", {"beta": 0.8}) == []
    assert "recommended 0.05-0.5" in warnings("dpo", {"beta": 0.8})[0]
    assert "2-2.5" in warnings("simpo", {"beta": 0.1})[0]  # a DPO-sized beta for SimPO
    assert warnings("ipo", {"beta": 0.01}) == warnings("dpo", {"beta": 0.3}) == []


@pytest.mark.parametrize("lr", [0, -1e-6])
def test_zero_or_negative_learning_rate_is_refused(lr):
    [message] = errors("dpo", {"learning_rate": lr})
    assert "must be above 0" in message and "DPO-family 1e-6-5e-7" in message


@pytest.mark.parametrize("size", [1, 7, 70])
@pytest.mark.parametrize("algorithm", ["dpo", "ipo", "kto", "simpo", "orpo", "grpo"])
def test_a_preference_learning_rate_above_1e_5_is_refused_from_1b_up(algorithm, size):
    [message] = errors(algorithm, {"learning_rate": 2e-5}, model_size_b=size)
    assert "too high" in message and "limit 1e-05" in message and "the article recommends" in message


def test_the_refusal_names_the_row_for_the_model_size():
    [message] = errors("dpo", {"learning_rate": 5e-5}, model_size_b=7)
    assert "1e-07-5e-07 for 7B-13B models" in message and "5-20x below SFT's 1e-05" in message


@pytest.mark.parametrize("size", [None, 0.5])
def test_small_or_unknown_models_only_get_advice_for_demo_learning_rates(size):
    assert errors("dpo", {"learning_rate": 3e-4}, model_size_b=size) == []
    [advice] = warnings("dpo", {"learning_rate": 3e-4}, model_size_b=size)
    assert "advice, not a limit" in advice


def test_the_demo_rate_is_the_usual_rate_for_a_demo_sized_model():
    assert errors("dpo", {"learning_rate": 3e-4}, model_size_b=0.0009) == []
    assert warnings("dpo", {"learning_rate": 3e-4}, model_size_b=0.0009) == []
    [advice] = warnings("dpo", {"learning_rate": 1e-3}, model_size_b=0.0009)
    assert "under 10M (demo-sized)" in advice


@pytest.mark.parametrize("size", [None, 0.0001, 7])
@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_learning_rate_above_1e_2_is_refused_for_everyone(algorithm, size):
    assert any("at most 0.01" in e for e in errors(algorithm, {"learning_rate": 0.05}, model_size_b=size))


def test_a_learning_rate_above_the_table_warns_and_lora_allows_ten_times_more():
    assert "above the usual 5e-07" in warnings("dpo", {"learning_rate": 2e-6}, model_size_b=7)[0]
    assert warnings("dpo", {"learning_rate": 2e-6}, model_size_b=7, lora=True) == []
    assert warnings("sft", {"learning_rate": 2e-4}, model_size_b=7, lora=True)
    assert errors("sft", {"learning_rate": 2e-3}, model_size_b=7)


def test_kto_needs_a_batch_above_one():
    assert "too small for KTO" in errors("kto", {"per_device_train_batch_size": 1})[0]
    assert errors("dpo", {"per_device_train_batch_size": 1}) == []


def test_kto_weights_must_be_positive():
    assert "desirable_weight 0 is out of range" in errors("kto", {"desirable_weight": 0})[0]
    assert "undesirable_weight -1 is out of range" in errors("kto", {"undesirable_weight": -1})[0]


def test_grpo_generation_batch_must_hold_whole_groups():
    [message] = errors("grpo", {"per_device_train_batch_size": 3, "num_generations": 8})
    assert "must be divisible by num_generations 8" in message
    assert errors("grpo", {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 4,
                           "num_generations": 8}) == []
    assert errors("grpo", {"per_device_train_batch_size": 4}, processes=2) == []  # 4 x 2 x 1 = 8
    assert "at least 2" in errors("grpo", {"num_generations": 1})[0]


def test_types_are_checked_with_a_yaml_hint():
    assert "YAML reads 5e-7 as text" in errors("dpo", {"learning_rate": "5e-7"})[0]
    assert "whole number" in errors("dpo", {"per_device_train_batch_size": 2.5})[0]
    assert "true or false" in errors("dpo", {"activation_checkpointing": "yes"})[0]


def test_bf16_and_fp16_together_are_refused():
    assert "choose one precision" in errors("dpo", {"bf16": True, "fp16": True})[0]


def test_epochs_beyond_three_are_advice():
    assert errors("dpo", {"num_train_epochs": 5}) == []
    assert "1-3" in warnings("dpo", {"num_train_epochs": 5})[0]


def test_fields_for_another_algorithm_are_left_to_the_spec():
    assert check("dpo", {"num_generations": 1, "simpo_gamma": -3}).ok


def test_lora_block_is_checked():
    spec = TrainSpec("dpo", "m", "d", lora=LoraSpec(alpha=0, dropout=1.5))
    found = ranges.check_spec(spec).errors
    assert any("lora.alpha 0" in e for e in found) and any("lora.dropout 1.5" in e for e in found)


def test_the_spec_gathers_every_problem_into_one_error():
    spec = TrainSpec("ipo", "m", "d", args={"beta": 0.5, "learning_rate": -1, "per_device_train_batch_size": 0})
    with pytest.raises(SpecError) as raised:
        validate(spec)
    text = str(raised.value)
    assert text.startswith("invalid training spec:")
    assert "beta 0.5 is invalid for IPO" in text and "learning_rate -1" in text
    assert "per_device_train_batch_size 0" in text


def test_the_spec_reads_a_local_models_size_for_the_learning_rate_limit(tiny_model):
    spec = TrainSpec("dpo", str(tiny_model), "d", args={"learning_rate": 3e-4})
    assert review(spec).errors == []  # a ~30k-parameter model: advice only
    assert "limit 1e-05" in review(spec, model_size_b=7).errors[0]  # the size typed by the user wins


def test_review_reports_unknown_fields_but_not_a_missing_model():
    result = review(TrainSpec("dpo", "", "", args={"learnin_rate": 1e-6}))
    assert result.errors == ["'learnin_rate' (did you mean learning_rate?) is not a field of DPOConfig; use "
                             "the TRL config field names"]


def test_every_field_belongs_to_the_trl_configs_it_claims():
    # CPO and ORPO also have an optional max_completion_length (truncation); the form leaves it out.
    unclaimed = {("max_completion_length", "simpo"), ("max_completion_length", "orpo")}
    for name, spec in FIELDS.items():
        for algorithm in ALGORITHMS:
            has = name in config_fields(algorithm)
            assert has == (algorithm in spec.algorithms) or (name, algorithm) in unclaimed, (name, algorithm)


def test_every_field_has_help_and_a_range_or_kind():
    for spec in FIELDS.values():
        assert spec.help.strip() and spec.label.strip()
        assert spec.kind in (bool, int, float)
    for algorithm in ("dpo", "ipo", "kto", "simpo", "orpo", "grpo"):
        assert "Recommended" in ranges.beta_help(algorithm)


def test_form_shows_fields_only_for_their_algorithm():
    assert form.shown("simpo_gamma", "simpo") and not form.shown("simpo_gamma", "dpo")
    assert form.shown("desirable_weight", "kto") and not form.shown("desirable_weight", "ipo")
    assert all(form.shown(name, "grpo") for name in ("num_generations", "epsilon", "max_completion_length"))
    assert not form.shown("beta", "sft") and not form.shown("max_length", "grpo")
    assert form.field_for("beta", "orpo").label == "lambda (TRL's beta)"
    assert all(f.help for f in form.FIELDS)
    assert {f.name for f in dataclasses.fields(LoraSpec)} >= {"r", "alpha", "target_modules"}
