"""Preset hyperparameters against the review article's tables."""

import pytest

from alignui.algorithms import ALGORITHMS
from alignui.recipe import presets, ranges
from alignui.recipe.presets import LR_TABLE, kto_weights, learning_rate, lr_row, preset
from alignui.recipe.spec import TrainSpec

SIZES = [None, 0.5, 1.5, 3, 7, 13, 34, 70]


@pytest.mark.parametrize("size, label", [(None, "1B-3B"), (0.0009, "under 10M (demo-sized)"), (0.1, "1B-3B"), (1, "1B-3B"), (3, "1B-3B"),
                                         (7, "7B-13B"), (13, "7B-13B"), (30, "30B-70B"), (70, "30B-70B"),
                                         (405, "30B-70B")])
def test_sizes_map_to_the_articles_learning_rate_rows(size, label):
    assert lr_row(size).label == label


def test_learning_rate_table_is_the_articles_below_the_measured_demo_row():
    assert [(r.sft, r.low, r.high) for r in LR_TABLE] == [
        (1e-3, 1e-4, 3e-4), (2e-5, 5e-7, 1e-6), (1e-5, 1e-7, 5e-7), (5e-6, 5e-8, 1e-7)]


def test_a_demo_sized_model_gets_the_measured_rate_with_the_reason():
    made = preset("dpo", model_size_b=0.00087)
    assert made.args["learning_rate"] == 3e-4
    assert any("tables are for models of 1B and up" in note for note in made.notes)
    assert any("tables are for models of 1B and up" in note for note in preset("dpo", model_size_b=0.135).notes)


@pytest.mark.parametrize("size", [1.5, 7, 13, 70])
def test_dpo_family_rates_sit_in_the_articles_range(size):
    row = lr_row(size)
    for algorithm in ("dpo", "ipo", "kto", "simpo", "grpo"):
        assert row.low <= learning_rate(algorithm, size) <= row.high
        assert row.low <= learning_rate(algorithm, size, cautious=True) <= row.high
    assert learning_rate("sft", size) == row.sft


@pytest.mark.parametrize("size", [1.5, 7])
def test_dpo_runs_5_to_20_times_below_sft(size):
    assert 5 <= learning_rate("sft", size) / learning_rate("dpo", size) <= 20 + 1e-9


def test_caution_takes_the_bottom_of_the_range():
    assert preset("dpo", model_size_b=7, overfitting=True).args["learning_rate"] == 1e-7
    assert preset("dpo", model_size_b=7).args["learning_rate"] == 5e-7


def test_betas_follow_the_comparison_table():
    beta = {name: preset(name).args.get("beta") for name in ALGORITHMS}
    assert beta["dpo"] == 0.1 and 0.1 <= beta["dpo"] <= 0.5
    assert beta["ipo"] == 0.01
    assert 0.1 <= beta["kto"] <= 0.3
    assert 2.0 <= beta["simpo"] <= 2.5
    assert beta["orpo"] == 0.1  # ORPO's lambda, which TRL's ORPOConfig calls beta
    assert beta["grpo"] == 0.04 and beta["sft"] is None


def test_uncertain_data_raises_beta_where_the_article_says_so():
    assert preset("ipo", data_quality_uncertain=True).args["beta"] == 0.1
    assert 0.3 <= preset("dpo", data_quality_uncertain=True).args["beta"] <= 0.5
    assert preset("kto", data_quality_uncertain=True).args["beta"] == 0.3
    assert preset("simpo", data_quality_uncertain=True).args["beta"] == 2.0


def test_simpo_has_a_target_margin():
    args = preset("simpo").args
    assert args["simpo_gamma"] == pytest.approx(args["beta"] * 0.5)


def test_dpo_and_grpo_notes_name_the_loss_alternatives_with_their_reasons():
    from alignui.recipe import loss_options

    dpo = " ".join(preset("dpo").notes)
    assert "[sigmoid, sft] with loss_weights [1, 0.2]" in dpo and "RPO-style" in dpo and "keeps them likely" in dpo
    grpo = " ".join(preset("grpo").notes)
    assert loss_options.reason("loss_type", "grpo", "dr_grpo") in grpo
    assert "sequence — GSPO" in grpo and loss_options.reason("importance_sampling_level", "grpo", "sequence") in grpo
    assert not any("loss_type" in note for note in preset("simpo").notes + preset("kto").notes)
    assert "loss_type" not in preset("dpo").args  # TRL's default stays: the note only names the alternative


def test_grpo_presets_generations_clip_and_kl():
    args = preset("grpo").args
    assert (args["num_generations"], args["epsilon"], args["beta"]) == (8, 0.2, 0.04)
    batch = args["per_device_train_batch_size"] * args["gradient_accumulation_steps"]
    assert batch % args["num_generations"] == 0
    assert "max_length" not in args and args["max_completion_length"] > 0


@pytest.mark.parametrize("counts, weights", [
    ((100, 100), (1.0, 1.0)), ((400, 100), (1.0, 1.0)), ((800, 100), (1.0, 2.0)), ((1000, 100), (1.0, 2.5)),
    ((100, 300), (3.0, 1.0)),
])
def test_kto_weights_bring_the_weighted_ratio_into_1_to_4(counts, weights):
    desirable_weight, undesirable_weight, note = kto_weights(*counts)
    assert (desirable_weight, undesirable_weight) == weights
    ratio = desirable_weight * counts[0] / (undesirable_weight * counts[1])
    assert 1.0 <= ratio <= 4.0 + 1e-9
    assert "desirable:undesirable" in note


def test_kto_weights_need_both_labels():
    assert kto_weights(10, 0)[:2] == (1.0, 1.0) and "no undesirable rows" in kto_weights(10, 0)[2]


def test_kto_preset_takes_the_weights_and_a_batch_above_one():
    args = preset("kto", label_counts=(800, 100)).args
    assert args["undesirable_weight"] == 2.0 and args["per_device_train_batch_size"] >= 2
    unknown = preset("kto")
    assert unknown.args["desirable_weight"] == unknown.args["undesirable_weight"] == 1.0
    assert any("balance unknown" in note for note in unknown.notes)


def test_common_settings():
    for name in ALGORITHMS:
        args = preset(name).args
        assert args["warmup_steps"] == 0.1  # the article's warmup_ratio 0.1, as transformers 5 takes it
        assert 1 <= args["num_train_epochs"] <= 3
        assert args["activation_checkpointing"] is True
        assert "bf16" not in args and "fp16" not in args  # the machine decides: bf16 on GPUs that have it
    assert preset("dpo").args["num_train_epochs"] == 1
    dpo = preset("dpo").args
    assert dpo["per_device_train_batch_size"] * dpo["gradient_accumulation_steps"] == 16


def test_lora_for_large_models_full_for_small_ones():
    assert preset("dpo", model_size_b=0.5).lora is None
    lora = preset("dpo", model_size_b=7).lora
    assert (lora.r, lora.alpha, lora.target_modules, lora.quantize_4bit) == (16, 32, "all-linear", False)
    assert preset("dpo", method="qlora").lora.quantize_4bit is True


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_every_preset_is_a_valid_spec_without_advice(algorithm, size):
    made = preset(algorithm, model_size_b=size, label_counts=(300, 100))
    spec = TrainSpec(algorithm, "some/model", "data.jsonl", args=made.args, lora=made.lora)
    result = ranges.check_spec(spec, model_size_b=size)
    assert result.errors == [] and result.warnings == []
    assert made.notes


def test_every_preset_uses_trl_config_field_names():
    from alignui.recipe.validate import unknown_fields

    for name in ALGORITHMS:
        assert unknown_fields(name, preset(name, label_counts=(2, 1)).args) == []


def test_sizes_read_as_people_say_them():
    assert [presets.size_label(s) for s in (None, 7, 0.35, 3.1e-5)] == ["unknown size", "7B", "350M", "31k"]
