"""A model's size and SFT hints, read from its config without loading weights."""

import json

import pytest

from alignui.errors import NotFound
from alignui.model_info import inspect_model, instruct_hint, local_size_b


def test_parameter_count_matches_the_real_model(tiny_model):
    from transformers import AutoModelForCausalLM

    info = inspect_model(str(tiny_model))
    assert info.params == AutoModelForCausalLM.from_pretrained(tiny_model).num_parameters()
    assert info.shape.hidden == 32 and info.shape.layers == 2 and info.shape.vocab > 300
    assert local_size_b(str(tiny_model)) == pytest.approx(info.params / 1e9)


def test_a_config_alone_is_enough(tmp_path):
    from transformers import LlamaConfig

    # The shape of a 8B Llama 3 with no weights at all: only config.json on disk.
    LlamaConfig(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                num_key_value_heads=8, vocab_size=128256).save_pretrained(tmp_path / "llama-3-8b")
    info = inspect_model(str(tmp_path / "llama-3-8b"))
    assert 7.9 < info.params_b < 8.1
    assert info.shape.kv_dim == 1024  # grouped-query attention: 8 of 32 heads
    assert info.looks_instruct is False and "base model" in info.evidence


def test_chat_template_marks_an_instruct_model(tiny_model):
    info = inspect_model(str(tiny_model))
    assert info.looks_instruct and "chat template" in info.evidence


def test_template_in_tokenizer_config_counts_too(tmp_path):
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ messages }}"}))
    assert instruct_hint("my-model", tmp_path)[0] is True


@pytest.mark.parametrize("name, instruct", [
    ("Qwen/Qwen2.5-7B-Instruct", True), ("meta-llama/Llama-2-7b-chat-hf", True), ("google/gemma-2-2b-it", True),
    ("HuggingFaceH4/mistral-7b-sft-beta", True), ("meta-llama/Llama-3.1-8B", False), ("Qwen/Qwen2.5-7B", False),
    ("org/edit-model", False),
])
def test_names_hint_at_sft(name, instruct):
    assert instruct_hint(name, None)[0] is instruct


def test_missing_or_broken_models_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(NotFound, match="no model given"):
        inspect_model("  ")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotFound, match="has no config.json"):
        inspect_model(str(tmp_path / "empty"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)  # no hub in tests: fail fast
    with pytest.raises(NotFound, match="cannot read the config of 'nobody/no-such-model'"):
        inspect_model("nobody/no-such-model")
    assert local_size_b("nobody/no-such-model") is None
