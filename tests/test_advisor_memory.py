"""The memory estimate against the article's anchors, part by part."""

import pytest

from alignui.advisor import memory
from alignui.advisor.memory import MemoryQuery, ModelShape, estimate, plan, query_from_spec
from alignui.errors import SpecError
from alignui.recipe.spec import HardwareSpec, LoraSpec, TrainSpec


def peak(**kwargs) -> float:
    return estimate(MemoryQuery(**kwargs)).peak_gb


# ----- the article's anchors -----

@pytest.mark.parametrize("algorithm", ["simpo", "orpo"])
def test_7b_simpo_or_orpo_with_lora_fits_one_24_gb_gpu(algorithm):
    result = estimate(MemoryQuery(algorithm, 7, method="lora", batch_size=2, seq_len=1024), capacity_gb=24)
    assert result.fits and result.suggestions == []
    assert "fits" in result.verdict


def test_full_fine_tuning_dpo_of_7b_does_not_fit_24_gb():
    result = estimate(MemoryQuery("dpo", 7, method="full"), capacity_gb=24)
    assert result.fits is False
    assert result.peak_gb > 100  # 16 bytes per parameter of model states, plus a reference copy


def test_a_70b_model_needs_many_80_gb_gpus():
    query = MemoryQuery("dpo", 70, method="full")
    assert estimate(query, 80).fits is False
    gpus = memory.zero3_gpus(query, 80)
    assert gpus >= 8
    assert estimate(query.with_(gpus=gpus, sharding="zero3"), 80).fits


def test_reference_model_only_for_dpo_ipo_kto_and_grpo():
    two_models = {"dpo", "ipo", "kto", "grpo"}
    for algorithm in ("sft", "dpo", "ipo", "kto", "simpo", "orpo", "grpo"):
        parts = estimate(MemoryQuery(algorithm, 7, method="full")).parts
        assert (parts["reference"] > 0) == (algorithm in two_models), algorithm
        assert parts["reference"] == pytest.approx(7e9 * 2 / 2**30) or algorithm not in two_models


def test_lora_uses_the_base_as_reference_without_a_second_copy():
    full = estimate(MemoryQuery("dpo", 7, method="full")).parts
    lora = estimate(MemoryQuery("dpo", 7, method="lora")).parts
    assert lora["reference"] == 0
    assert lora["weights"] < full["weights"] + full["gradients"] + full["optimizer"]
    assert estimate(MemoryQuery("grpo", 7, method="full", reference=False)).parts["reference"] == 0


def test_model_states_are_16_bytes_per_trained_parameter():
    parts = estimate(MemoryQuery("sft", 1, method="full")).parts
    total = parts["weights"] + parts["gradients"] + parts["optimizer"]
    assert total == pytest.approx(1e9 * 16 / 2**30)
    assert parts["optimizer"] == pytest.approx(1e9 * 12 / 2**30)  # fp32 master + two fp32 moments


def test_qlora_stores_the_base_in_about_half_a_byte_per_parameter():
    parts = estimate(MemoryQuery("dpo", 70, method="qlora")).parts
    assert 30 < parts["weights"] < 40
    assert estimate(MemoryQuery("dpo", 70, method="qlora"), 80).fits


def test_activation_checkpointing_cuts_activations():
    with_ = estimate(MemoryQuery("dpo", 7, activation_checkpointing=True)).parts["activations"]
    without = estimate(MemoryQuery("dpo", 7, activation_checkpointing=False)).parts["activations"]
    assert without > 5 * with_


def test_pairs_double_the_tokens_and_batch_and_length_scale_activations():
    sft = estimate(MemoryQuery("sft", 7)).parts["activations"]
    dpo = estimate(MemoryQuery("dpo", 7)).parts["activations"]
    assert dpo == pytest.approx(2 * sft)
    assert peak(algorithm="dpo", params_b=7, batch_size=8) > peak(algorithm="dpo", params_b=7, batch_size=2)
    assert peak(algorithm="dpo", params_b=7, seq_len=4096) > peak(algorithm="dpo", params_b=7, seq_len=1024)


def test_fp32_costs_more_than_bf16():
    assert peak(algorithm="dpo", params_b=1, method="lora", precision="fp32") > peak(
        algorithm="dpo", params_b=1, method="lora", precision="bf16")


def test_grpo_counts_its_generation_cache():
    parts = estimate(MemoryQuery("grpo", 7, generation_batch=16)).parts
    assert parts["generation"] > 0
    assert estimate(MemoryQuery("dpo", 7)).parts["generation"] == 0


def test_zero3_divides_model_states_over_gpus_and_zero2_only_gradients_and_optimizer():
    one = estimate(MemoryQuery("dpo", 7, method="full")).parts
    zero3 = estimate(MemoryQuery("dpo", 7, method="full", gpus=4, sharding="zero3")).parts
    zero2 = estimate(MemoryQuery("dpo", 7, method="full", gpus=4, sharding="zero2")).parts
    for part in ("weights", "reference", "gradients", "optimizer"):
        assert zero3[part] == pytest.approx(one[part] / 4)
    assert zero2["weights"] == one["weights"] and zero2["optimizer"] == pytest.approx(one["optimizer"] / 4)
    assert zero3["activations"] == one["activations"]


def test_suggestions_each_make_the_run_fit():
    result = estimate(MemoryQuery("dpo", 7, method="full"), 24)
    assert result.fits is False
    changes = [s.change for s in result.suggestions]
    assert any("LoRA" in c for c in changes) and any("QLoRA" in c for c in changes)
    assert any("ZeRO-3 over" in c for c in changes)
    for suggestion in result.suggestions:
        assert suggestion.peak_gb <= 24 * memory.USABLE_SHARE
        changed = result.query.with_(**suggestion.settings)
        assert estimate(changed, 24).fits


def test_suggestions_include_checkpointing_a_smaller_batch_and_a_reference_free_algorithm():
    result = estimate(MemoryQuery("dpo", 1, method="full", batch_size=2, activation_checkpointing=False), 24)
    changes = " | ".join(s.change for s in result.suggestions)
    assert "turn on activation checkpointing" in changes
    assert "per_device_train_batch_size 1 (multiply gradient_accumulation_steps by 2" in changes
    assert "SimPO or ORPO" in changes and "max_length 512" in changes
    assert "turn on precompute_ref_log_probs" in changes


def test_precomputed_reference_log_probs_leave_no_reference_copy():
    query = query_from_spec(TrainSpec("dpo", "m", "d", args={"precompute_ref_log_probs": True}), 1)
    assert query.reference is False and estimate(query).parts["reference"] == 0
    assert estimate(query_from_spec(TrainSpec("dpo", "m", "d"), 1)).parts["reference"] > 0
    lora = estimate(MemoryQuery("dpo", 7, method="lora", activation_checkpointing=False, batch_size=8), 16)
    assert not lora.fits and all("precompute" not in s.change for s in lora.suggestions)  # no copy to drop


def test_when_nothing_single_fits_one_combined_change_is_offered():
    result = estimate(MemoryQuery("dpo", 70, method="full", activation_checkpointing=False, batch_size=8), 24)
    assert result.fits is False and len(result.suggestions) >= 1
    assert "ZeRO-3" in result.suggestions[-1].change


def test_plan_prefers_full_then_lora_then_qlora():
    assert plan(MemoryQuery("dpo", 0.5), 24).query.method == "full"
    assert plan(MemoryQuery("dpo", 7), 24).query.method == "lora"
    assert plan(MemoryQuery("dpo", 34), 24).query.method == "qlora"
    assert plan(MemoryQuery("dpo", 7), 80, gpus=8).query.sharding == "zero3"  # full 7B over 8 GPUs


def test_spec_becomes_a_memory_query():
    spec = TrainSpec("grpo", "m", "d", args={"per_device_train_batch_size": 4, "gradient_accumulation_steps": 2,
                                             "beta": 0.0, "bf16": False, "max_completion_length": 256},
                     lora=LoraSpec(r=8, quantize_4bit=True),
                     hardware=HardwareSpec(processes=4, distributed="deepspeed-zero3"))
    query = query_from_spec(spec, 7)
    assert (query.method, query.precision, query.lora_rank) == ("qlora", "fp32", 8)
    assert (query.gpus, query.sharding, query.batch_size, query.generation_batch) == (4, "zero3", 4, 8)
    assert query.reference is False and query.seq_len == 512 + 256


def test_shape_from_parameters_is_llama_like():
    shape = ModelShape.from_params(7e9)
    assert 3800 <= shape.hidden <= 4400 and 28 <= shape.layers <= 36
    assert 12 * shape.layers * shape.hidden ** 2 == pytest.approx(7e9, rel=0.15)


def test_bad_queries_are_refused():
    with pytest.raises(SpecError, match="model size 0 must be above 0.*method 'half'"):
        estimate(MemoryQuery("dpo", 0, method="half"))
    with pytest.raises(SpecError, match="GPU memory -1 must be above 0"):
        estimate(MemoryQuery("dpo", 7), capacity_gb=-1)


def test_gpu_detection_matches_torch():
    import torch

    from alignui import hardware

    gpus = hardware.gpus()
    assert len(gpus) == (torch.cuda.device_count() if torch.cuda.is_available() else 0)
    assert all(gpu.memory_gb > 0 for gpu in gpus)


def test_estimate_serialises():
    data = estimate(MemoryQuery("dpo", 7, method="full"), 24).to_dict()
    assert data["fits"] is False and data["capacity_gb"] == 24 and data["suggestions"]
    assert set(data["parts_gb"]) == {"weights", "reference", "gradients", "optimizer", "activations", "logits",
                                     "generation", "overhead"}
