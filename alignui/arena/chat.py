"""One conversation in the arena: who sits on which side, and every exchange so far.

The screen shows side "a" (left) and side "b" (right). Each side keeps its own history (the two
models' earlier answers differ), so a follow-up prompt goes to each side with that side's own past.
In blind mode the aligned model's side is drawn at random when the conversation starts, and the
names stay hidden until the first vote (a new conversation shuffles again).
"""

import random
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from alignui.arena import generate, models
from alignui.arena.models import ModelSource
from alignui.errors import AlignUIError, DataError

SIDES = ("a", "b")
ROLES = ("reference", "aligned")


@dataclass
class Exchange:
    """One prompt and the answer each side gave to it."""

    id: str
    """Unique; ties the votes and thumbs given later to these answers."""
    prompt: str
    answers: dict[str, str]
    """Side ("a" or "b") to answer text."""
    sampling: dict
    """The settings both answers were generated with (generate.Sampling as a dict)."""
    voted: bool = False
    thumbs: dict[str, str] = field(default_factory=dict)
    """Side -> the thumb its answer holds now ("up" or "down"), so the chat windows keep showing it."""


@dataclass
class Conversation:
    """Both sides' histories, and where the reference and the aligned model sit."""

    reference: ModelSource
    aligned: ModelSource
    aligned_side: str = "b"
    """"a" or "b"; blind mode draws it at random."""
    blind: bool = False
    exchanges: list[Exchange] = field(default_factory=list)

    def source(self, side: str) -> ModelSource:
        return self.aligned if side == self.aligned_side else self.reference

    def role(self, side: str) -> str:
        """"aligned" or "reference": which model answers on this side."""
        return "aligned" if side == self.aligned_side else "reference"

    def messages(self, side: str, upto: int | None = None) -> list[dict]:
        """This side's conversation up to and including exchange `upto`'s prompt (default: the last)."""
        upto = len(self.exchanges) - 1 if upto is None else upto
        messages = []
        for exchange in self.exchanges[:upto]:
            messages += [{"role": "user", "content": exchange.prompt},
                         {"role": "assistant", "content": exchange.answers[side]}]
        return messages + [{"role": "user", "content": self.exchanges[upto].prompt}]

    def chat(self, side: str) -> list[dict]:
        """The whole history of one side, as a messages-format chat window shows it."""
        shown = []
        for exchange in self.exchanges:
            shown += [{"role": "user", "content": exchange.prompt},
                      {"role": "assistant", "content": exchange.answers[side]}]
        return shown

    def feedback(self, side: str) -> list[str | None]:
        """The thumb each of this side's answers holds, as a chat window's feedback values."""
        shown = {"up": "Like", "down": "Dislike"}
        return [shown.get(exchange.thumbs.get(side)) for exchange in self.exchanges]

    def revealed(self) -> bool:
        """Whether the model names may be shown: always outside blind mode, else after a vote."""
        return not self.blind or any(exchange.voted for exchange in self.exchanges)

    def name(self, side: str) -> str:
        letter = side.upper()
        return f"{letter}: {self.source(side).label} ({self.role(side)})" if self.revealed() else f"Model {letter}"

    def same_models(self, reference: str, aligned: str) -> bool:
        return (self.reference.id, self.aligned.id) == (models.resolve(reference).id,
                                                         models.resolve(aligned).id)


def start(reference: str, aligned: str, blind: bool) -> Conversation:
    """A new, empty conversation between the two models."""
    aligned_side = random.choice(SIDES) if blind else "b"
    return Conversation(models.resolve(reference), models.resolve(aligned), aligned_side, blind)


def ask(conversation: Conversation, prompt: str, sampling: generate.Sampling,
        stop: threading.Event | None = None) -> Iterator[Conversation]:
    """Send `prompt` to both sides; yield the conversation each time either answer grows."""
    prompt = (prompt or "").strip()
    if not prompt:
        raise DataError("type a prompt first")
    sampling = sampling.checked()
    conversation.exchanges.append(
        Exchange(uuid.uuid4().hex, prompt, {side: "" for side in SIDES}, sampling.to_dict()))
    yield from _answer(conversation, sampling, stop, replaced=None)


def regenerate(conversation: Conversation, sampling: generate.Sampling,
               stop: threading.Event | None = None) -> Iterator[Conversation]:
    """Answer the last prompt again (a new exchange: feedback on the old answers stays theirs)."""
    if not conversation.exchanges:
        raise DataError("there is no answer to regenerate yet")
    sampling = sampling.checked()
    last = conversation.exchanges[-1]
    conversation.exchanges[-1] = Exchange(uuid.uuid4().hex, last.prompt,
                                          {side: "" for side in SIDES}, sampling.to_dict())
    yield from _answer(conversation, sampling, stop, replaced=last)


def _answer(conversation: Conversation, sampling: generate.Sampling, stop: threading.Event | None,
            replaced: Exchange | None) -> Iterator[Conversation]:
    """Stream both answers into the last exchange; if they cannot be had, undo that exchange."""
    exchange = conversation.exchanges[-1]
    try:
        reference, aligned = models.load_pair(conversation.reference.id, conversation.aligned.id)
        sides = {conversation.aligned_side: aligned}
        sides["b" if conversation.aligned_side == "a" else "a"] = reference
        requests = [generate.Request(sides[side], conversation.messages(side)) for side in SIDES]
        for texts in generate.stream(requests, sampling, stop):
            exchange.answers = dict(zip(SIDES, texts))
            yield conversation
    except AlignUIError:
        if replaced is None:
            conversation.exchanges.pop()
        else:
            conversation.exchanges[-1] = replaced
        raise
    yield conversation

