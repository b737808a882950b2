"""GRPO's rule-based rewards: answer extraction, answer match, format, length."""

import pytest

from alignui import rewards
from alignui.errors import SpecError


@pytest.mark.parametrize("text, answer", [
    ("so 3 + 4 = 7", "7"),
    ("The answer is 12.", "12"),
    ("first 3, then 5\n#### 1,234", "1234"),
    (r"we get \boxed{42} in the end, not 41", "42"),
    ("Answer: Paris", "paris"),
    ("it is 2.50 dollars", "2.5"),
    ("no numbers here\nblue", "blue"),
])
def test_final_answer(text, answer):
    assert rewards.final_answer(text) == answer


def test_answer_reward_compares_with_the_answer_column_in_both_styles():
    completions = ["The answer is 7.", [{"role": "assistant", "content": "I think 8"}], "seven"]
    assert rewards.answer_reward(completions, answer=["7", "#### 7", "7"]) == [1.0, 0.0, 0.0]


def test_format_reward_wants_an_explicit_final_answer():
    assert rewards.format_reward(["The answer is 7.", "7", r"\boxed{7}"]) == [1.0, 0.0, 1.0]


def test_length_reward_punishes_completions_that_hit_the_limit():
    length = rewards.length_reward(10)
    assert length(completion_ids=[[1] * 5, [1] * 10, [1] * 12]) == [0.0, -1.0, -1.0]


def test_build_uses_the_answer_column_and_an_optional_reward_model():
    built = rewards.build(["prompt", "answer"], 16)
    assert built[:2] == [rewards.answer_reward, rewards.format_reward] and len(built) == 3
    assert rewards.build(["prompt"], 16, reward_model="/models/rm")[0] == "/models/rm"
    with pytest.raises(SpecError, match="answer"):
        rewards.build(["prompt"], 16)
