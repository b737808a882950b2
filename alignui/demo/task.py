"""The demo task: two-number addition with answers a program can check.

Every ordered pair (a, b) with 0 <= a, b < MAX_OPERAND is one problem. A seeded shuffle splits
them once into a training pool (SFT data and every alignment data file draw from it) and a held-out
set that no training file ever contains.

Wrong answers come in two sorts. A carry mistake gets the carry wrong: dropped where the units
carry (17 + 25 = 32), invented where they do not (12 + 5 = 27). The SFT data makes the dropped carry
the usual reply to carrying problems, so the demo model learns it. Random slips (off by one, two or
ten, either way) are the rest. Alignment data rejects both carry mistakes and slips: rejecting only
dropped carries would teach "add ten" rather than "carry when the units carry", and a single kind of
rejected answer teaches a shift rather than the right answer.
"""

import random
import re
from dataclasses import dataclass

#: Operands run from 0 to MAX_OPERAND - 1, so sums have at most two digits.
MAX_OPERAND = 50
#: Problems kept out of every training file and used to measure accuracy.
HELDOUT_SIZE = 500
#: Seed of the split and of every sampled wrong answer.
SEED = 1234
#: How far a random slip lands from the right answer.
SLIP_OFFSETS = (-10, -2, -1, 1, 2, 10)

_NUMBER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Problem:
    """One addition problem."""

    a: int
    """First operand."""
    b: int
    """Second operand."""

    @property
    def question(self) -> str:
        """What the user asks, as a chat message's content: short, because every token costs time."""
        return f"{self.a}+{self.b}="

    @property
    def answer(self) -> str:
        """The right reply: the sum, digits only."""
        return str(self.a + self.b)

    def messages(self) -> list[dict]:
        """The prompt in conversational form, as TRL's data files hold it."""
        return [{"role": "user", "content": self.question}]

    @property
    def carries(self) -> bool:
        """Whether the units digits add up to ten or more."""
        return self.a % 10 + self.b % 10 >= 10

    def carry_mistake(self) -> str:
        """The reply with the carry wrong: dropped if the units carry, invented if they do not."""
        return str(self.a + self.b + (-10 if self.carries else 10))

    def slips(self) -> list[str]:
        """Every random slip (never negative, never the carry mistake)."""
        total = self.a + self.b
        return [
            str(total + d) for d in SLIP_OFFSETS
            if total + d >= 0 and str(total + d) != self.carry_mistake()
        ]

    def slip(self, rng: random.Random) -> str:
        """One random slip, its kind drawn by `rng`."""
        return rng.choice(self.slips())


@dataclass(frozen=True)
class Split:
    """The problems, divided once and for all by a seeded shuffle."""

    train: list[Problem]
    """The training pool: SFT and every alignment data file draw their prompts from it."""
    heldout: list[Problem]
    """Never in a training file; accuracy is measured on these."""


def all_problems() -> list[Problem]:
    return [Problem(a, b) for a in range(MAX_OPERAND) for b in range(MAX_OPERAND)]


def split(seed: int = SEED) -> Split:
    problems = all_problems()
    random.Random(seed).shuffle(problems)
    return Split(train=problems[HELDOUT_SIZE:], heldout=problems[:HELDOUT_SIZE])


def final_answer(text: str) -> str | None:
    """The last whole number in a reply, or None when it has none."""
    found = _NUMBER.findall(text or "")
    return found[-1] if found else None


def completion_text(completion) -> str:
    """A completion as plain text: a string, or a conversational list of messages."""
    if isinstance(completion, str):
        return completion
    return "".join(message.get("content", "") for message in completion)


def is_correct(completion, answer) -> bool:
    """The verifier: does the reply's final number equal the expected answer?"""
    found = final_answer(completion_text(completion))
    return found is not None and int(found) == int(answer)


def accuracy_reward(completions, answer, **kwargs) -> list[float]:
    """A GRPO reward function: 1.0 for each right completion, 0.0 otherwise.

    TRL calls it with the batch's completions and its dataset columns, `answer` among them.
    """
    return [1.0 if is_correct(c, a) else 0.0 for c, a in zip(completions, answer)]
