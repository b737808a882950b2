"""Streaming generation: every side of a comparison at once, from background threads.

Rows that use the same model in memory (a LoRA adapter and its base, or one model on both sides)
go through ONE batched `generate` call; different models generate in parallel threads. Each row's
tokens reach the caller through its own `TextIteratorStreamer`.

Prompts are rendered by the tokenizer's chat template (transformers renders templates in a
sandboxed jinja environment); a base model without a template gets a plain "User:/Assistant:"
transcript.

Bounds, so that one visitor cannot starve the rest: `max_new_tokens` is capped at MAX_NEW_TOKENS
(environment variable ALIGNUI_MAX_NEW_TOKENS, default 512), and at most GENERATION_SLOTS streams
(ALIGNUI_GENERATION_SLOTS, default 2) run at once; a request that waits SLOT_WAIT_S seconds for a
slot is told the server is busy.
"""

import contextlib
import os
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace

from alignui.arena.models import Side
from alignui.errors import AlignUIError, DataError, SpecError

MAX_NEW_TOKENS = int(os.environ.get("ALIGNUI_MAX_NEW_TOKENS", "512"))
GENERATION_SLOTS = int(os.environ.get("ALIGNUI_GENERATION_SLOTS", "2"))
SLOT_WAIT_S = 60.0

_slots = threading.BoundedSemaphore(GENERATION_SLOTS)
# Long-lived threads run `generate`: torch's OpenMP gives every new calling thread its own team of
# workers, which then spin idle on the cores for a while; a fresh thread per answer would leave a
# spinning team behind each time and slow the next answer several-fold.
_workers = ThreadPoolExecutor(max_workers=2 * GENERATION_SLOTS, thread_name_prefix="alignui-generate")


@dataclass(frozen=True)
class Sampling:
    """Sampling settings, identical for every side of a comparison."""

    temperature: float = 0.7
    """0 decodes greedily (reproducible); higher values sample more freely."""
    top_p: float = 0.95
    """Nucleus sampling: draw from the smallest set of tokens whose probability reaches top_p."""
    seed: int = 0
    """Each row draws from its own generator seeded with this, so equal seeds give equal draws."""
    max_new_tokens: int = 256
    """Answer length limit; the server caps it at MAX_NEW_TOKENS."""

    def checked(self) -> "Sampling":
        """These settings with max_new_tokens capped; SpecError if any is out of range."""
        problems = []
        if not 0 <= self.temperature <= 5:
            problems.append(f"temperature {self.temperature} must be between 0 and 5")
        if not 0 < self.top_p <= 1:
            problems.append(f"top_p {self.top_p} must be above 0 and at most 1")
        if self.max_new_tokens < 1:
            problems.append("max_new_tokens must be at least 1")
        if self.seed < 0:
            problems.append("seed must be 0 or more")
        if problems:
            raise SpecError("; ".join(problems))
        return replace(self, seed=int(self.seed),
                       max_new_tokens=int(min(self.max_new_tokens, MAX_NEW_TOKENS)))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Request:
    """One answer to generate: which side answers, and the conversation it answers."""

    side: Side
    messages: list[dict]
    """Chat messages ({"role", "content"}) ending with the user's turn."""


def stream(requests: list[Request], sampling: Sampling,
           stop: threading.Event | None = None) -> Iterator[list[str]]:
    """Yield every request's answer so far, each time any of them grows.

    `stop` ends generation early when set; it is also set when the stream ends or its consumer
    goes away, so the background threads never outlive it.
    """
    sampling = sampling.checked()
    stop = stop or threading.Event()
    if not _slots.acquire(timeout=SLOT_WAIT_S):
        raise AlignUIError("the server is busy generating for others; try again in a minute")
    try:
        merged: queue.Queue = queue.Queue()
        errors: list[str] = []
        for rows in _group_by_model(requests):
            _start(rows, requests, sampling, stop, merged, errors)
        texts = [""] * len(requests)
        running = len(requests)  # each row's reader says None when its row has ended
        while running:
            row, chunk = merged.get()
            if chunk is None:
                running -= 1
            elif chunk:
                texts[row] += chunk
                yield list(texts)
        if errors:
            raise AlignUIError("generation failed: " + "; ".join(errors))
    finally:
        stop.set()
        _slots.release()


def complete(requests: list[Request], sampling: Sampling) -> list[str]:
    """Every request's whole answer."""
    texts = [""] * len(requests)
    for texts in stream(requests, sampling):
        pass
    return texts


def render(tokenizer, messages: list[dict]) -> str:
    """The prompt text a model continues to answer `messages`."""
    if tokenizer.chat_template:
        from jinja2 import TemplateError

        try:
            return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        except TemplateError as error:
            raise DataError(f"the model's chat template failed on this conversation: {error}") from None
    # A base model without a chat template: a plain transcript it can continue.
    turns = "".join(f"{m['role'].capitalize()}: {m['content']}\n" for m in messages)
    return turns + "Assistant:"


# ----- inside -----

def _group_by_model(requests: list[Request]) -> list[list[int]]:
    """Request indices grouped by the model in memory that answers them."""
    groups: dict[int, list[int]] = {}
    for index, request in enumerate(requests):
        groups.setdefault(id(request.side.loaded), []).append(index)
    return list(groups.values())


def _start(rows, requests, sampling, stop, merged, errors) -> None:
    """Start one generate thread for `rows` (same model) and a reader thread per row."""
    from transformers import TextIteratorStreamer

    from alignui.arena.decoding import RowStreamers

    loaded = requests[rows[0]].side.loaded
    inputs, kwargs = _inputs(loaded, [requests[r] for r in rows], sampling, stop)
    streamers = [TextIteratorStreamer(loaded.tokenizer, skip_prompt=True, skip_special_tokens=True)
                 for _ in rows]

    def generate():
        try:
            with loaded.generating if loaded.has_adapter else contextlib.nullcontext():
                loaded.model.generate(**inputs, **kwargs, streamer=RowStreamers(streamers))
        except Exception as error:  # reported to the caller once every row has ended
            errors.append(f"{requests[rows[0]].side.source.label}: {error}")
            for streamer in streamers:
                streamer.end()

    def read(row, streamer):
        for chunk in streamer:
            merged.put((row, chunk))
        merged.put((row, None))

    _workers.submit(generate)
    for row, streamer in zip(rows, streamers):
        threading.Thread(target=read, args=(row, streamer), daemon=True).start()


def _inputs(loaded, requests: list[Request], sampling: Sampling, stop: threading.Event):
    import copy

    from transformers import LogitsProcessorList, StoppingCriteriaList

    from alignui.arena.decoding import SeededSampler, StopOnEvent

    tokenizer, model = loaded.tokenizer, loaded.model
    texts = [render(tokenizer, r.messages) for r in requests]
    # A chat template writes its own special tokens; a plain transcript needs the usual ones.
    inputs = tokenizer(texts, return_tensors="pt", padding=True,
                       add_special_tokens=not tokenizer.chat_template).to(model.device)
    _check_context(model, inputs["input_ids"].shape[1], sampling.max_new_tokens)
    config = copy.deepcopy(model.generation_config)
    # Sampling happens in SeededSampler; generate itself decodes greedily from its choices.
    config.update(do_sample=False, temperature=None, top_p=None, top_k=None,
                  max_new_tokens=sampling.max_new_tokens, pad_token_id=tokenizer.pad_token_id)
    kwargs = {
        "generation_config": config,
        "stopping_criteria": StoppingCriteriaList([StopOnEvent(stop)]),
    }
    if sampling.temperature > 0:
        kwargs["logits_processor"] = LogitsProcessorList(
            [SeededSampler(sampling.temperature, sampling.top_p, sampling.seed, len(requests),
                           model.device)])
    if loaded.has_adapter:
        kwargs["adapter_names"] = [r.side.adapter for r in requests]
    return inputs, kwargs


def _check_context(model, prompt_tokens: int, max_new_tokens: int) -> None:
    limit = getattr(model.config, "max_position_embeddings", None)
    if limit and prompt_tokens + max_new_tokens > limit:
        raise DataError(
            f"the conversation is {prompt_tokens} tokens; with {max_new_tokens} new tokens it passes "
            f"the model's context of {limit}. Clear the conversation or ask for fewer new tokens."
        )
