"""Judges: the rule-based verifier and a local reward model."""

import pytest
from test_arena_models import build_reward_model, built_once

from alignui.errors import DataError, NotFound
from alignui.evaluate import judges
from alignui.evaluate.judges import PromptItem


@pytest.fixture(scope="module")
def reward_model(tmp_path_factory):
    return built_once(tmp_path_factory, "reward", build_reward_model)


@pytest.mark.parametrize("answer, expected, correct", [
    ("2 + 2 makes 4.", "4", True),
    ("First 3, then 5, so the answer is 4", "4", True),
    ("Let me think.\n#### 1,200", "1200", True),
    ("Answer: Paris.", "paris", True),
    ("The answer is 4.0", 4, True),
    ("I get 5", "4", False),
    ("no number here", "4", False),
])
def test_the_verifier_checks_the_final_answer(answer, expected, correct):
    assert judges.is_correct(answer, expected) is correct
    assert judges.Verifier().scores([PromptItem("q", expected)], [answer]) == [float(correct)]


def test_the_verifier_needs_an_answer_for_every_prompt():
    with pytest.raises(DataError, match="prompts 2 have none"):
        judges.Verifier().check([PromptItem("a", "1"), PromptItem("b")])


def test_a_reward_model_scores_each_answer_deterministically(reward_model):
    judge = judges.make(f"reward-model:{reward_model}")
    items = [PromptItem("Say hi"), PromptItem([{"role": "user", "content": "Say hi"}])]
    first = judge.scores(items, ["hello there", "hello there"])
    assert first[0] == first[1]  # a text prompt and the same prompt as messages read alike
    assert judge.scores(items[:1], ["The quick brown fox"]) != first[:1]
    assert judge.scores(items, ["hello there", "hello there"]) == first


def test_a_classifier_with_several_outputs_is_not_a_reward_model(tmp_path):
    import torch
    from tiny import build_tokenizer
    from transformers import LlamaConfig, LlamaForSequenceClassification

    tokenizer = build_tokenizer(tmp_path)
    torch.manual_seed(0)
    LlamaForSequenceClassification(LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, num_labels=3)).save_pretrained(tmp_path)
    with pytest.raises(DataError, match="3 outputs"):
        judges.make(f"reward-model:{tmp_path}")


def test_unknown_judges_and_missing_models_are_refused(tmp_path):
    with pytest.raises(DataError, match="unknown judge"):
        judges.make("gpt-4")
    with pytest.raises(DataError, match="unknown judge"):
        judges.make("reward-model:")
    with pytest.raises(NotFound, match="cannot load reward model"):
        judges.make(f"reward-model:{tmp_path / 'none'}")
