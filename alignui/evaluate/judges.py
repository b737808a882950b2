"""Judges: which of two answers to a prompt is better.

- `verifier` (rule-based), for prompts with a reference `answer`: an answer scores 1 when its final
  answer (the text after "####" or "answer:", else its last number, normalised so that "4.0", "4"
  and "4." agree) equals the reference, else 0. It is the same rule as GRPO's answer reward
  (alignui.rewards), so training and evaluation agree on what "correct" means.
- `reward-model:JOB_ID_OR_PATH`: a sequence-classification model with one output (a folder, or a
  finished `reward` job) scores (prompt, answer); the higher score wins.
- `llm:MODEL`: a local chat model (folder, hub id or finished job) compares the two answers
  (pairwise). Each pair is judged twice, answers swapped (A/B, then B/A), as arena-hard does
  against position bias; a verdict stands only when both orders agree, else it is a tie. The judge
  reads a prompt template (DEFAULT_TEMPLATE, or the user's own with {question}, {answer_a} and
  {answer_b}) as a user message and its verdict is whichever of "A" or "B" it finds likelier as the
  first token of its reply: one forward pass per order, deterministic, no sampling.
- human votes: the arena's votes between the two models (evaluate.run.votes_report); no generation.

Both scores equal is a tie.
"""

from dataclasses import dataclass

from alignui.errors import DataError, NotFound

VERIFIER = "verifier"
#: (prompt, answer) texts a reward model scores per forward pass.
BATCH = 16
REWARD_MODEL = "reward-model:"
LLM = "llm:"
#: What the LLM judge reads; {question}, {answer_a} and {answer_b} are filled in.
DEFAULT_TEMPLATE = """You are judging two answers to the same question. Pick the answer that is more \
correct, helpful and honest; ignore length and the order they are shown in.

Question:
{question}

Answer A:
{answer_a}

Answer B:
{answer_b}

Reply with one letter, A or B: which answer is better?"""
PLACEHOLDERS = ("{question}", "{answer_a}", "{answer_b}")


@dataclass
class PromptItem:
    """One evaluation prompt."""

    prompt: str | list[dict]
    """A text, or conversational messages ending with the user's turn."""
    answer: str | None = None
    """The reference answer the verifier checks against."""

    def messages(self) -> list[dict]:
        if isinstance(self.prompt, str):
            return [{"role": "user", "content": self.prompt}]
        return list(self.prompt)

    def text(self) -> str:
        """The prompt as one line of a report: the text, or the last user message."""
        if isinstance(self.prompt, str):
            return self.prompt
        return next((m["content"] for m in reversed(self.prompt) if m.get("role") == "user"), "")


class Verifier:
    """Scores 1.0 for an answer whose final answer matches the item's reference answer, else 0.0."""

    name = VERIFIER

    def check(self, items: list[PromptItem]) -> None:
        missing = [number for number, item in enumerate(items, start=1) if item.answer in (None, "")]
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
            raise DataError(f"the verifier needs an `answer` for every prompt; prompts {shown} have none "
                            "(use a reward-model judge for open-ended prompts)")

    def scores(self, items: list[PromptItem], answers: list[str]) -> list[float]:
        return [float(is_correct(answer, item.answer)) for item, answer in zip(items, answers)]


def is_correct(answer: str, expected) -> bool:
    """Whether `answer`'s final answer equals the expected one."""
    from alignui.rewards import final_answer

    return final_answer(answer) == final_answer(str(expected))


def reward_model_path(choice: str) -> str:
    """The model folder (or hub id) of a reward model given as a folder, a hub id or a finished job id."""
    from alignui.arena.models import resolve

    try:
        source = resolve(choice)
    except NotFound as error:
        raise NotFound(f"cannot load reward model {choice!r}: {error}") from None
    if source.base:
        raise DataError(f"{source.label} is a LoRA adapter; a reward model must be a whole model folder "
                        "(alignui's `reward` jobs save one)")
    return source.path


class RewardModel:
    """Scores (prompt, answer) with a local sequence-classification model that has one output."""

    def __init__(self, choice: str):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from alignui.arena.models import trust_remote_code

        path = reward_model_path(choice)
        self.name = REWARD_MODEL + choice
        self.torch = torch
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code())
            self.model = AutoModelForSequenceClassification.from_pretrained(
                path, use_safetensors=True, trust_remote_code=trust_remote_code()).eval()
        except (OSError, ValueError) as error:
            raise NotFound(f"cannot load reward model {path!r} (safetensors weights only): "
                           f"{str(error).strip().splitlines()[0]}") from None
        if self.model.config.num_labels != 1:
            raise DataError(f"reward model {path!r} has {self.model.config.num_labels} outputs; "
                            "a reward model gives one score (num_labels=1)")
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model.config.pad_token_id = self.tokenizer.pad_token_id

    def check(self, items: list[PromptItem]) -> None:
        """Any prompt will do."""

    def scores(self, items: list[PromptItem], answers: list[str]) -> list[float]:
        """One score per (prompt, answer), computed in batches of BATCH."""
        texts = [self._text(item, answer) for item, answer in zip(items, answers)]
        found = []
        with self.torch.no_grad():
            for start in range(0, len(texts), BATCH):
                found += self._scores(texts[start:start + BATCH])
        return found

    def _text(self, item: PromptItem, answer: str) -> str:
        messages = item.messages() + [{"role": "assistant", "content": answer}]
        if self.tokenizer.chat_template:
            return self.tokenizer.apply_chat_template(messages, tokenize=False)
        return item.text() + "\n" + answer

    def _scores(self, texts: list[str]) -> list[float]:
        # Right padding: the classifier reads the last non-pad token. Keep each text's end when
        # cutting to the model's context: the answer is what is judged.
        self.tokenizer.padding_side, self.tokenizer.truncation_side = "right", "left"
        limit = getattr(self.model.config, "max_position_embeddings", None)
        inputs = self.tokenizer(texts, return_tensors="pt", padding=True, truncation=bool(limit),
                                max_length=limit, add_special_tokens=not self.tokenizer.chat_template)
        return self.model(**inputs).logits[:, 0].float().tolist()


class LLMJudge:
    """A chat model that compares two answers, in both orders (see the module docstring)."""

    pairwise = True

    def __init__(self, choice: str, template: str | None = None):
        from alignui.arena.models import load_side

        self.name = LLM + choice
        self.template = check_template(template or DEFAULT_TEMPLATE)
        self.loaded = load_side(choice).loaded
        tokenizer = self.loaded.tokenizer
        self.letters = [tokenizer.encode(letter, add_special_tokens=False)[:1] for letter in ("A", "B")]
        if not all(self.letters) or self.letters[0] == self.letters[1]:
            raise DataError(f"the judge model {choice!r} cannot tell the letters A and B apart as tokens")

    def check(self, items: list[PromptItem]) -> None:
        """Any prompt will do."""

    def compare(self, items: list[PromptItem], first: list[str], second: list[str]) -> list[float]:
        """Per item: 1.0 when both orders prefer `first`, 0.0 when both prefer `second`, else 0.5."""
        forward = self.preferences(items, first, second)  # > 0: the answer shown as A is better
        backward = self.preferences(items, second, first)
        return [1.0 if f > 0 and b < 0 else 0.0 if f < 0 and b > 0 else 0.5 for f, b in zip(forward, backward)]

    def scores(self, items: list[PromptItem], answers: list[str]) -> list[float]:
        raise DataError("the LLM judge compares two answers; it gives no score to one answer alone")

    def preferences(self, items: list[PromptItem], answers_a: list[str], answers_b: list[str]) -> list[float]:
        """log P("A") - log P("B") for the first token of the judge's reply, per item."""
        import torch

        from alignui.arena.generate import render

        tokenizer, model = self.loaded.tokenizer, self.loaded.model
        texts = [render(tokenizer, [{"role": "user", "content": self.prompt(item, a, b)}])
                 for item, a, b in zip(items, answers_a, answers_b)]
        found = []
        with torch.no_grad():
            for start in range(0, len(texts), BATCH):
                inputs = tokenizer(texts[start:start + BATCH], return_tensors="pt", padding=True,
                                   add_special_tokens=not tokenizer.chat_template).to(model.device)
                last = model(**inputs).logits[:, -1].float().log_softmax(-1)  # left padding: the last is real
                found += (last[:, self.letters[0][0]] - last[:, self.letters[1][0]]).tolist()
        return found

    def prompt(self, item: PromptItem, answer_a: str, answer_b: str) -> str:
        filled = {"{question}": item.text(), "{answer_a}": answer_a, "{answer_b}": answer_b}
        # One pass over the placeholders, so an answer that contains "{answer_b}" stays as written.
        import re

        return re.sub("|".join(map(re.escape, PLACEHOLDERS)), lambda m: filled[m.group(0)], self.template)


def check_template(template: str) -> str:
    """The template, if it has every placeholder; DataError naming the missing ones."""
    missing = [p for p in PLACEHOLDERS if p not in template]
    if missing:
        raise DataError(f"the judge template lacks {', '.join(missing)}: it must contain "
                        f"{', '.join(PLACEHOLDERS)}")
    return template


def read_template(path) -> str:
    """A judge template from a text file."""
    from pathlib import Path

    try:
        return check_template(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise NotFound(f"cannot read the judge template {path}: {error.strerror}") from None


def pair_scores(judge, items: list[PromptItem], first: list[str], second: list[str]):
    """(scores of `first`, scores of `second`): each answer scored alone, or compared by a pairwise judge."""
    if getattr(judge, "pairwise", False):
        verdicts = judge.compare(items, first, second)
        return verdicts, [1.0 - v for v in verdicts]
    return judge.scores(items, first), judge.scores(items, second)


def make(judge: str, template: str | None = None):
    """A judge from its name: "verifier", "reward-model:JOB_OR_PATH" or "llm:MODEL" (with `template`)."""
    judge = (judge or "").strip()
    if judge == VERIFIER:
        return Verifier()
    if judge.startswith(REWARD_MODEL) and judge[len(REWARD_MODEL):].strip():
        return RewardModel(judge[len(REWARD_MODEL):].strip())
    if judge.startswith(LLM) and judge[len(LLM):].strip():
        return LLMJudge(judge[len(LLM):].strip(), template)
    raise DataError(f"unknown judge {judge!r}: use `verifier`, `reward-model:JOB_OR_PATH` "
                    "(a sequence-classification model) or `llm:MODEL` (a chat model that compares answers)")
