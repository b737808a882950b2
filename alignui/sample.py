"""Batched sampling: K answers for each of many prompts, many prompts per `generate` call.

Prompts are rendered by the model's chat template (arena.generate.render), padded on the left and
decoded together with the KV cache. With K > 1 each prompt is encoded once: one forward pass fills
the KV cache for the prompts, the cache is repeated K times (`batch_repeat_interleave`), and
`generate` continues all K rows of every prompt from it (plain `num_return_sequences` would encode
each prompt K times). This is what on-policy rounds (alignui.iterate) use to sample, and
greedy decoding (temperature 0, K = 1) is how they measure held-out accuracy. Never one prompt at a
time: benchmarks/sampling.py measures the difference.
"""

from dataclasses import dataclass

from alignui.arena.generate import Sampling

#: Rows (prompts x K) decoded per `generate` call.
BATCH_ROWS = 256


@dataclass(frozen=True)
class SampleSettings(Sampling):
    """How answers are drawn: the arena's sampling settings (checked and capped the same way), K answers
    per prompt, and defaults that sample from the model's own distribution."""

    temperature: float = 1.0
    """0 decodes greedily (then K must be 1); 1 samples from the model's own distribution."""
    top_p: float = 1.0
    """Nucleus sampling; 1 keeps every token."""
    seed: int = 0
    """Seeds torch before the first batch, so a run draws the same answers again."""
    max_new_tokens: int = 64
    """Answer length limit, in tokens."""
    samples: int = 4
    """Answers per prompt (K)."""
    batch_rows: int = BATCH_ROWS
    """Rows (prompts x samples) per `generate` call."""


def sample(loaded, prompts: list[list[dict]], settings: SampleSettings = SampleSettings()) -> list[list[str]]:
    """`settings.samples` answers to each conversation in `prompts` (each a list of chat messages).

    `loaded` is an arena.models.LoadedModel (tokenizer padding on the left).
    """
    import torch

    from alignui.arena.generate import render
    from alignui.errors import SpecError

    settings = settings.checked()
    if settings.samples < 1:
        raise SpecError("samples must be at least 1")
    greedy = settings.temperature == 0
    if greedy and settings.samples > 1:
        raise SpecError("greedy decoding (temperature 0) gives one answer per prompt; set samples to 1")
    tokenizer, model = loaded.tokenizer, loaded.model
    per_call = max(1, settings.batch_rows // settings.samples)
    options = {"max_new_tokens": settings.max_new_tokens, "pad_token_id": tokenizer.pad_token_id,
               "do_sample": not greedy}
    if greedy:
        options.update(temperature=None, top_p=None, top_k=None)
    else:
        options.update(temperature=settings.temperature, top_p=settings.top_p, top_k=0)
    torch.manual_seed(settings.seed)
    answers = []
    with torch.no_grad():
        for start in range(0, len(prompts), per_call):
            texts = [render(tokenizer, messages) for messages in prompts[start:start + per_call]]
            inputs = tokenizer(texts, return_tensors="pt", padding=True,
                               add_special_tokens=not tokenizer.chat_template).to(model.device)
            output = _generate(model, inputs, settings.samples, options)
            decoded = tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
            answers += [decoded[i:i + settings.samples] for i in range(0, len(decoded), settings.samples)]
    return answers


def _generate(model, inputs, samples: int, options: dict):
    """`generate` with each prompt's KV cache computed once and shared by its `samples` rows."""
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    if samples == 1:
        return model.generate(input_ids=ids, attention_mask=mask, **options)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)  # left padding: each row counts from its first token
    cache = model(input_ids=ids[:, :-1], attention_mask=mask[:, :-1], position_ids=positions[:, :-1],
                  use_cache=True).past_key_values
    cache.batch_repeat_interleave(samples)
    return model.generate(input_ids=ids.repeat_interleave(samples, 0), attention_mask=mask.repeat_interleave(samples, 0),
                          past_key_values=cache, **options)


def new_tokens(loaded, answers: list[list[str]]) -> int:
    """Tokens in the answers (for throughput figures)."""
    return sum(len(loaded.tokenizer.encode(a, add_special_tokens=False)) for group in answers for a in group)
