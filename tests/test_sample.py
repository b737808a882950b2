"""Batched sampling: K answers per prompt from batched `generate` calls, reproducible by seed, and
greedy answers equal to decoding each prompt alone."""

import pytest

from alignui.arena.models import load_side
from alignui.errors import SpecError
from alignui.sample import SampleSettings, sample

PROMPTS = [[{"role": "user", "content": f"What is {n} + {n * 3}?"}] for n in range(7)]


def test_k_answers_per_prompt_in_batches_and_the_seed_repeats_them(tiny_model):
    loaded = load_side(str(tiny_model)).loaded
    rows_seen = []
    hook = loaded.model.register_forward_pre_hook(
        lambda module, args, kwargs: rows_seen.append(kwargs["input_ids"].shape[0]), with_kwargs=True)
    try:
        settings = SampleSettings(samples=3, max_new_tokens=6, seed=5, batch_rows=12)
        drawn = sample(loaded, PROMPTS, settings)
    finally:
        hook.remove()
    assert [len(group) for group in drawn] == [3] * len(PROMPTS)
    # Each batch: one pass over its prompts (4, then 3), then every step over their 3 answers each.
    assert set(rows_seen) == {4, 12, 3, 9}
    assert sample(loaded, PROMPTS, settings) == drawn
    assert sample(loaded, PROMPTS, SampleSettings(samples=3, max_new_tokens=6, seed=6)) != drawn
    assert len({a for group in drawn for a in group}) > len(PROMPTS)  # sampling, not greedy copies


def test_greedy_batched_answers_equal_each_prompt_decoded_alone(tiny_model):
    loaded = load_side(str(tiny_model)).loaded
    greedy = SampleSettings(samples=1, temperature=0, max_new_tokens=8)
    together = sample(loaded, PROMPTS, greedy)
    alone = [sample(loaded, [p], greedy)[0] for p in PROMPTS]
    assert together == alone
    with pytest.raises(SpecError, match="one answer per prompt"):
        sample(loaded, PROMPTS, SampleSettings(samples=2, temperature=0))


def test_the_shared_prompt_cache_continues_each_prompt_correctly(tiny_model):
    loaded = load_side(str(tiny_model)).loaded
    greedy = sample(loaded, PROMPTS, SampleSettings(samples=1, temperature=0, max_new_tokens=8))
    # top_p this small keeps only the likeliest token: every sampled row must be the greedy answer.
    narrow = sample(loaded, PROMPTS, SampleSettings(samples=3, top_p=1e-9, max_new_tokens=8))
    assert narrow == [group * 3 for group in greedy]
