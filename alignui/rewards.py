"""GRPO's built-in rule-based rewards: answer match, answer format, completion length.

Each reward follows TRL's reward-function protocol: called with the batch's `completions` (strings,
or lists of messages for conversational data), `completion_ids`, and every other dataset column as
a keyword list (here `answer`), it returns one float per completion.
"""

import re

#: Where a completion states its final answer, most explicit first.
_MARKED = [
    re.compile(r"\\boxed\{([^{}]*)\}"),
    re.compile(r"####\s*([^\n]+)"),
    re.compile(r"answer\s*(?:is|:)\s*([^\n]+)", re.IGNORECASE),
]
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def completion_text(completion) -> str:
    """The text of one completion, standard (a string) or conversational (a list of messages)."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content") or "" for m in completion if isinstance(m, dict))


def marked_answer(text: str) -> str | None:
    """The answer a text states explicitly (\\boxed{..}, "#### ..", "answer is .."), if any."""
    for pattern in _MARKED:
        found = pattern.findall(text)
        if found:
            return found[-1].strip()
    return None


def final_answer(text: str) -> str:
    """The answer a text gives: its marked answer, else its last number, else its last line."""
    answer = marked_answer(text)
    if answer is None:
        numbers = _NUMBER.findall(text)
        if numbers:
            answer = numbers[-1]
        else:
            lines = [line for line in text.strip().splitlines() if line.strip()]
            answer = lines[-1] if lines else ""
    return normalize(answer)


def normalize(answer: str) -> str:
    """Compare answers as numbers where they are numbers, else as lowercase words."""
    numbers = _NUMBER.findall(answer)
    if numbers:
        value = float(numbers[-1].replace(",", ""))
        return str(int(value)) if value.is_integer() else str(value)
    return re.sub(r"[^\w\s]", "", answer).strip().lower()


def answer_reward(completions, answer, **kwargs) -> list[float]:
    """1.0 when the completion's final answer equals the dataset's `answer`, else 0.0."""
    return [float(final_answer(completion_text(c)) == final_answer(str(gold)))
            for c, gold in zip(completions, answer)]


def format_reward(completions, **kwargs) -> list[float]:
    """1.0 when the completion marks its final answer explicitly, so it can be checked, else 0.0."""
    return [float(marked_answer(completion_text(c)) is not None) for c in completions]


def length_reward(max_completion_length: int):
    """Penalise completions that run into the length limit (they were cut off mid-answer).

    TRL's soft overlong punishment: 0 up to 80% of the limit, falling linearly to -1 at the limit.
    """
    from trl.rewards import get_soft_overlong_punishment

    return get_soft_overlong_punishment(max_completion_length, max(1, max_completion_length // 5))


def build(columns: list[str], max_completion_length: int, reward_model: str = "") -> list:
    """The reward functions for a GRPO run on a dataset with these columns."""
    from alignui.errors import SpecError

    rewards = []
    if "answer" in columns:
        rewards += [answer_reward, format_reward]
    if reward_model:
        rewards.append(reward_model)  # TRL loads a sequence-classification model from the path
    if not rewards:
        raise SpecError(
            "GRPO needs something to reward: give the dataset an `answer` column (prompt/answer rows) "
            "or set reward_model to a sequence-classification model folder"
        )
    return rewards + [length_reward(max_completion_length)]
