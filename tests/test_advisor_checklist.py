"""The selection checklist of the alignment review, scenario by scenario, and the rules' precedence."""

import pytest

from alignui.advisor import conversions
from alignui.advisor.checklist import RULES, Situation, advise, parse_label_counts
from alignui.algorithms import ALGORITHMS, DATASET_TYPES
from alignui.errors import SpecError

PAIRWISE = {"dpo", "ipo", "simpo", "orpo"}


def ranked(**answers) -> list[str]:
    return [rec.algorithm for rec in advise(Situation(**answers)).recommendations]


def best(**answers):
    return advise(Situation(**answers)).best


# ----- data format -----

def test_binary_feedback_only_gets_kto_and_never_a_pairwise_algorithm():
    advice = advise(Situation("unpaired_preference"))
    assert advice.best.algorithm == "kto"
    assert advice.best.conversion is None
    assert not PAIRWISE & {rec.algorithm for rec in advice.recommendations}
    why = {r.algorithm: r.why for r in advice.not_recommended}
    assert set(why) >= PAIRWISE
    assert all("never become pairs" in why[name] for name in PAIRWISE)


def test_binary_feedback_stays_kto_whatever_else_is_asked():
    for answers in ({"gpu_memory_gb": 16}, {"overfitting": True}, {"max_quality": True}, {"single_pass": True}):
        order = ranked(data_type="unpaired_preference", **answers)
        assert order[0] == "kto" and not PAIRWISE & set(order), answers


def test_pairs_make_dpo_ipo_simpo_available_as_they_are_and_dpo_leads():
    advice = advise(Situation("preference"))
    order = [rec.algorithm for rec in advice.recommendations]
    assert order[0] == "dpo"
    assert {"dpo", "ipo", "simpo"} <= set(order[:3])
    for name in ("dpo", "ipo", "simpo", "orpo"):
        assert advice.get(name).conversion is None


def test_pairs_reach_kto_through_the_pairs_to_labels_conversion():
    kto = advise(Situation("preference")).get("kto")
    assert kto.conversion.name == "preference -> unpaired_preference"
    assert "chosen labelled desirable" in kto.conversion.how
    assert "convert preference -> unpaired_preference" in kto.reasons[0]
    assert kto.preset.args["desirable_weight"] == kto.preset.args["undesirable_weight"] == 1.0  # split pairs: 1:1


def test_ratings_convert_to_dpo_pairs_or_kto_labels_and_say_so():
    advice = advise(Situation("ratings"))
    assert [rec.algorithm for rec in advice.recommendations][:2] == ["dpo", "kto"]
    dpo, kto = advice.get("dpo"), advice.get("kto")
    assert dpo.conversion.target == "preference" and "rating >= 4" in dpo.conversion.how
    assert kto.conversion.target == "unpaired_preference"
    assert dpo.conversion.command.startswith("python -m alignui data convert")
    assert all(rec.conversion is not None for rec in advice.recommendations)
    payload = advice.to_dict()["recommendations"][0]
    assert payload["needs"]["conversion"]["name"] == "ratings -> preference"


def test_verifiable_task_gets_grpo():
    assert best(data_type="prompt_only", verifiable=True).algorithm == "grpo"
    assert best(data_type="preference", verifiable=True).algorithm == "grpo"
    grpo = advise(Situation("prompt_completion", verifiable=True)).get("grpo")
    assert grpo.conversion.name == "prompt_completion -> prompt_only"


def test_prompt_only_data_can_only_use_grpo():
    advice = advise(Situation("prompt_only"))
    assert [rec.algorithm for rec in advice.recommendations] == ["grpo"]
    assert "no answers to imitate" in {r.algorithm: r.why for r in advice.not_recommended}["sft"]


def test_grpo_is_not_recommended_without_a_verifiable_reward():
    advice = advise(Situation("preference"))
    assert "grpo" not in [rec.algorithm for rec in advice.recommendations]
    assert "verifiable" in {r.algorithm: r.why for r in advice.not_recommended}["grpo"]


def test_plain_text_only_supports_sft():
    advice = advise(Situation("language_modeling", verifiable=True))
    assert [rec.algorithm for rec in advice.recommendations] == ["sft"]
    assert "no prompts" in {r.algorithm: r.why for r in advice.not_recommended}["grpo"]


def test_sft_uses_demonstrations_or_the_good_side_of_feedback():
    assert best(data_type="prompt_completion").algorithm == "sft"
    assert advise(Situation("preference")).get("sft").conversion.how == "keep each prompt with its chosen answer"
    assert "desirable rows" in advise(Situation("unpaired_preference")).get("sft").conversion.how


# ----- infrastructure -----

@pytest.mark.parametrize("memory", [8, 16, 24])
def test_24_gb_or_less_puts_simpo_and_orpo_first(memory):
    order = ranked(data_type="preference", gpu_memory_gb=memory)
    assert set(order[:2]) == {"simpo", "orpo"}
    assert "24 GB or less" in best(data_type="preference", gpu_memory_gb=memory).reasons[1]


def test_48_gb_or_more_makes_dpo_ipo_kto_all_possible():
    advice = advise(Situation("preference", gpu_memory_gb=80))
    assert advice.best.algorithm == "dpo"
    for name in ("dpo", "ipo", "kto"):
        assert any("48 GB or more" in reason for reason in advice.get(name).reasons)


def test_single_pass_without_separate_sft_gets_orpo():
    assert best(data_type="preference", single_pass=True).algorithm == "orpo"
    assert best(data_type="ratings", single_pass=True).algorithm == "orpo"


# ----- quality requirements -----

def test_overfitting_concern_puts_ipo_first():
    rec = best(data_type="preference", overfitting=True)
    assert rec.algorithm == "ipo"
    assert "squared loss" in " ".join(rec.reasons)


def test_uncertain_data_quality_gets_ipo_with_a_higher_beta():
    plain = advise(Situation("preference")).get("ipo")
    rec = best(data_type="preference", data_quality_uncertain=True)
    assert rec.algorithm == "ipo"
    assert rec.preset.args["beta"] > plain.preset.args["beta"]
    assert rec.preset.args["beta"] <= 0.1


def test_base_model_without_sft_gets_kto():
    advice = advise(Situation("preference", has_sft=False))
    assert advice.best.algorithm == "kto"
    assert "ramble" in " ".join(advice.best.reasons)
    assert any("SFT before DPO is strongly recommended" in c and "ramble" in c for c in advice.get("dpo").cautions)
    assert best(data_type="ratings", has_sft=False).conversion.target == "unpaired_preference"


def test_maximum_quality_with_pairs_gets_dpo():
    rec = best(data_type="preference", max_quality=True)
    assert rec.algorithm == "dpo"
    assert "high-quality pairwise data" in " ".join(rec.reasons)


def test_a_judge_wanted_with_pairs_gets_a_reward_model_and_only_then():
    advice = advise(Situation("preference", wants_judge=True))
    assert advice.best.algorithm == "reward" and advice.best.conversion is None
    assert "reward-model:JOB" in " ".join(advice.best.reasons)
    assert advice.best.preset.args["num_train_epochs"] == 1
    plain = advise(Situation("preference"))
    assert "reward" not in {rec.algorithm for rec in plain.recommendations}
    assert "trains a judge" in {r.algorithm: r.why for r in plain.not_recommended}["reward"]
    ratings = advise(Situation("ratings", wants_judge=True)).get("reward")
    assert ratings.conversion.target == "preference"
    labels = {r.algorithm: r.why for r in advise(Situation("unpaired_preference", wants_judge=True)).not_recommended}
    assert "never become pairs" in labels["reward"]


# ----- precedence when several rules fire -----

def test_rules_keep_the_checklists_order():
    assert [rule.name for rule in RULES] == [
        "binary-feedback", "verifiable", "judge", "prompt-only", "single-pass", "small-gpu",
        "no-sft", "overfitting", "data-quality", "max-quality"]


@pytest.mark.parametrize("answers, first", [
    ({"gpu_memory_gb": 24, "overfitting": True}, ["simpo", "orpo", "ipo"]),     # infrastructure over quality
    ({"gpu_memory_gb": 24, "has_sft": False}, ["orpo", "simpo", "kto"]),        # ORPO satisfies both
    ({"single_pass": True, "gpu_memory_gb": 24}, ["orpo", "simpo"]),
    ({"single_pass": True, "has_sft": False}, ["orpo", "kto"]),
    ({"has_sft": False, "overfitting": True}, ["kto", "orpo", "ipo"]),
    ({"overfitting": True, "max_quality": True}, ["ipo", "dpo"]),
    ({"data_quality_uncertain": True, "max_quality": True}, ["ipo", "dpo"]),
    ({"verifiable": True, "gpu_memory_gb": 16}, ["grpo", "simpo", "orpo"]),     # data format over memory
    ({"verifiable": True, "single_pass": True}, ["grpo", "orpo"]),
])
def test_precedence_with_pairs(answers, first):
    assert ranked(data_type="preference", **answers)[:len(first)] == first


def test_binary_feedback_outranks_a_verifiable_task():
    assert ranked(data_type="unpaired_preference", verifiable=True)[:2] == ["kto", "grpo"]


def test_fired_rules_are_reported_in_precedence_order():
    advice = advise(Situation("preference", gpu_memory_gb=24, overfitting=True, max_quality=True))
    assert advice.fired == ["small-gpu", "overfitting", "max-quality"]


# ----- refined by model size and memory -----

def test_seven_b_on_24_gb_trains_with_lora_and_fits():
    advice = advise(Situation("preference", gpu_memory_gb=24, model_size_b=7))
    assert advice.best.algorithm in ("simpo", "orpo")
    assert advice.best.method == "lora" and advice.best.memory.fits
    assert advice.to_dict()["memory"]["fits"] is True


def test_on_a_small_gpu_reference_methods_mention_lora_and_precomputed_reference_log_probs():
    advice = advise(Situation("preference", gpu_memory_gb=16, model_size_b=1))
    for name in ("dpo", "ipo"):
        caution = " ".join(advice.get(name).cautions)
        assert "train it with LoRA" in caution and "precompute_ref_log_probs" in caution
    assert "precompute_ref_log_probs" in " ".join(advise(Situation("unpaired_preference", gpu_memory_gb=16)).best.cautions)
    grpo = advise(Situation("prompt_only", gpu_memory_gb=16, verifiable=True)).get("grpo")
    assert grpo.needs_reference and "precompute_ref_log_probs" not in " ".join(grpo.cautions)  # not a GRPO field
    assert not any("precompute" in c for c in advise(Situation("preference", gpu_memory_gb=80)).get("dpo").cautions)


def test_algorithms_that_do_not_fit_are_demoted_below_those_that_do():
    # 65B on 42 GB: QLoRA SFT (one sequence per example) fits, the pairwise methods (two) do not.
    advice = advise(Situation("preference", gpu_memory_gb=42, model_size_b=65))
    fits = {rec.algorithm: rec.memory.fits for rec in advice.recommendations}
    assert fits == {"sft": True, "dpo": False, "ipo": False, "simpo": False, "orpo": False, "kto": False}
    assert advice.best.algorithm == "sft"
    assert [rec.algorithm for rec in advice.recommendations][1] == "dpo"  # then the usual order


def test_memory_never_outranks_the_data_formats_answer():
    advice = advise(Situation("unpaired_preference", gpu_memory_gb=42, model_size_b=65))
    assert advice.best.algorithm == "kto" and advice.best.memory.fits is False
    assert advice.get("sft").memory.fits is True


def test_a_smaller_batch_that_fits_keeps_the_effective_batch():
    rec = advise(Situation("preference", gpu_memory_gb=48, model_size_b=70)).get("dpo")
    args = rec.preset.args
    assert rec.memory.fits and rec.method == "qlora"
    assert args["per_device_train_batch_size"] == 1
    assert args["per_device_train_batch_size"] * args["gradient_accumulation_steps"] == 16


def test_a_model_too_big_for_the_gpus_says_what_would_make_it_fit():
    advice = advise(Situation("preference", gpu_memory_gb=16, model_size_b=70))
    rec = advice.best
    assert rec.memory.fits is False
    assert any("ZeRO-3" in caution for caution in rec.cautions)


def test_several_gpus_shard_a_large_model_with_zero3():
    rec = advise(Situation("preference", gpu_memory_gb=80, gpu_count=8, model_size_b=70)).best
    assert rec.memory.fits and rec.sharding == "zero3" and rec.gpus == 8
    spec = rec.spec("meta-llama/Llama-3.1-70B-Instruct", "pairs")
    assert spec.hardware.distributed == "deepspeed-zero3" and spec.hardware.processes == 8


# ----- every recommendation is complete -----

@pytest.mark.parametrize("data_type", DATASET_TYPES)
def test_every_recommendation_has_reasons_needs_and_presets(data_type):
    advice = advise(Situation(data_type, model_size_b=7))
    assert advice.recommendations
    for item in advice.to_dict()["recommendations"]:
        assert item["reasons"] and item["hyperparameters"]["learning_rate"] > 0
        assert item["needs"]["data_type"] in DATASET_TYPES
        assert isinstance(item["needs"]["reference_model"], bool)
        assert item["memory"]["peak_gb"] > 0
    named = {rec.algorithm for rec in advice.recommendations} | {r.algorithm for r in advice.not_recommended}
    assert named == set(ALGORITHMS)


def test_every_usable_pair_of_algorithm_and_data_is_direct_or_converted():
    for algorithm in ALGORITHMS:
        for data_type in DATASET_TYPES:
            use = conversions.usability(algorithm, data_type)
            assert use.usable == (not use.why_not)
            if use.usable and data_type not in ALGORITHMS[algorithm].data_types:
                assert use.conversion.source == data_type


def test_reference_models_are_reported_as_the_article_lists_them():
    advice = advise(Situation("preference"))
    needs = {rec.algorithm: rec.to_dict()["needs"]["reference_model"] for rec in advice.recommendations}
    assert needs == {"dpo": True, "ipo": True, "kto": True, "simpo": False, "orpo": False, "sft": False}


def test_kto_weights_follow_the_datasets_balance():
    rec = best(data_type="unpaired_preference", label_counts=(900, 100))
    assert rec.preset.args["undesirable_weight"] == 2.25
    extreme = best(data_type="unpaired_preference", label_counts=(1100, 100))
    assert any("10:1" in caution for caution in extreme.cautions)


def test_bad_answers_are_refused_with_one_clear_message():
    with pytest.raises(SpecError, match="GPU memory -1 GB must be above 0.*model size 0B must be above 0"):
        advise(Situation("preference", gpu_memory_gb=-1, model_size_b=0))
    with pytest.raises(SpecError, match="unknown data type 'pairs'"):
        advise(Situation("pairs"))
    with pytest.raises(SpecError, match="two whole numbers"):
        parse_label_counts("lots")
    assert parse_label_counts(" 8:2 ") == (8, 2) and parse_label_counts("") is None


def test_asking_for_a_rejected_algorithm_says_why():
    with pytest.raises(SpecError, match="dpo is not recommended here: binary labels never become pairs"):
        advise(Situation("unpaired_preference")).get("dpo")


#: One small TRL-ready dataset per type, as the data studio normalises it.
SAMPLES = {
    "preference": [{"prompt": "2+2=", "chosen": "4", "rejected": "5"}],
    "unpaired_preference": [{"prompt": "2+2=", "completion": "4", "label": True},
                            {"prompt": "2+3=", "completion": "6", "label": False}],
    "ratings": [{"prompt": "2+2=", "responses": [{"text": "4", "rating": 5}, {"text": "5", "rating": 1}]}],
    "prompt_completion": [{"prompt": "2+2=", "completion": "4"}],
    "prompt_only": [{"prompt": "2+2="}],
    "language_modeling": [{"text": "2+2=4"}],
}


@pytest.mark.parametrize("data_type", list(SAMPLES))
@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_every_promised_conversion_is_one_data_convert_performs(algorithm, data_type):
    from alignui.data.convert import convert_rows

    use = conversions.usability(algorithm, data_type)
    if not use.usable or use.conversion is None:
        return
    assert use.conversion.command.endswith(f"--to {use.data_type} --out converted.jsonl")
    converted = convert_rows(SAMPLES[data_type], data_type, use.data_type)
    assert converted.type == use.data_type and converted.rows
    assert use.data_type in ALGORITHMS[algorithm].data_types or algorithm == "sft"
