"""Streaming generation: both sides at once, identical seeded sampling, stop, and the server's bounds."""

import threading

import pytest
from test_arena_models import HELLO, SAMPLED, aligned_model, answers, lora_adapter  # noqa: F401 (fixtures)

from alignui.arena import generate, models
from alignui.errors import AlignUIError, DataError, SpecError


@pytest.fixture
def sides(tiny_model, aligned_model):  # noqa: F811
    return models.load_pair(str(tiny_model), str(aligned_model))


def test_both_sides_stream_at_once_and_grow_to_the_full_answers(sides):
    requests = [generate.Request(side, HELLO) for side in sides]
    updates = list(generate.stream(requests, SAMPLED))
    assert len(updates) >= 2
    for earlier, later in zip(updates, updates[1:]):
        assert all(b.startswith(a) for a, b in zip(earlier, later))
    assert updates[-1] == generate.complete(requests, SAMPLED)
    assert all(updates[-1])


def test_a_seed_gives_each_side_the_same_answer_alone_or_together(sides):
    reference, aligned = sides
    together = answers(reference, aligned, sampling=SAMPLED)
    assert together == answers(reference, sampling=SAMPLED) + answers(aligned, sampling=SAMPLED)
    other_seed = generate.Sampling(temperature=1.0, top_p=1.0, seed=8, max_new_tokens=12)
    assert answers(reference, aligned, sampling=other_seed) != together


def test_one_model_on_both_sides_answers_both_in_one_batch(tiny_model):
    side = models.load_side(str(tiny_model))
    first, second = answers(side, side, sampling=SAMPLED)
    assert first == second == answers(side, sampling=SAMPLED)[0]


def test_max_new_tokens_is_capped_on_the_server(sides, monkeypatch):
    aligned = sides[1]
    longer = answers(aligned, sampling=generate.Sampling(temperature=1.0, seed=1, max_new_tokens=12))[0]
    monkeypatch.setattr(generate, "MAX_NEW_TOKENS", 3)
    assert generate.Sampling(max_new_tokens=100_000).checked().max_new_tokens == 3
    capped = answers(aligned, sampling=generate.Sampling(temperature=1.0, seed=1, max_new_tokens=500))[0]
    assert capped == answers(aligned, sampling=generate.Sampling(temperature=1.0, seed=1, max_new_tokens=3))[0]
    assert capped[:1] == longer[:1] and capped != longer  # the same draws, cut short


def test_sampling_settings_out_of_range_are_refused():
    with pytest.raises(SpecError, match="temperature.*top_p"):
        generate.Sampling(temperature=-1, top_p=0).checked()


def test_stop_ends_both_sides_early(sides):
    long = generate.Sampling(temperature=1.0, top_p=1.0, seed=2, max_new_tokens=200)
    stop = threading.Event()
    requests = [generate.Request(side, HELLO) for side in sides]
    texts = None
    for texts in generate.stream(requests, long, stop):
        stop.set()
    full = generate.complete(requests, long)
    tokenizer = sides[0].loaded.tokenizer
    for cut, whole in zip(texts, full):
        assert len(tokenizer(cut, add_special_tokens=False).input_ids) < 20
        assert whole.startswith(cut) and len(whole) > len(cut)


def test_generations_beyond_the_slots_are_told_the_server_is_busy(sides, monkeypatch):
    monkeypatch.setattr(generate, "_slots", threading.BoundedSemaphore(1))
    monkeypatch.setattr(generate, "SLOT_WAIT_S", 0.2)
    requests = [generate.Request(sides[0], HELLO)]
    running = generate.stream(requests, generate.Sampling(temperature=1.0, seed=3, max_new_tokens=50))
    next(running)
    with pytest.raises(AlignUIError, match="busy"):
        generate.complete(requests, SAMPLED)
    running.close()  # the first stream ends and gives its slot back
    assert generate.complete(requests, SAMPLED)


def test_prompts_are_rendered_by_the_chat_template_with_history(sides):
    tokenizer = sides[0].loaded.tokenizer
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "again"}]
    assert generate.render(tokenizer, messages) == \
        "<|user|>hi<|end|><|assistant|>hello<|end|><|user|>again<|end|><|assistant|>"


def test_a_model_without_a_chat_template_gets_a_plain_transcript(sides):
    tokenizer = sides[0].loaded.tokenizer
    template, tokenizer.chat_template = tokenizer.chat_template, None
    try:
        assert generate.render(tokenizer, HELLO) == "User: Tell me something.\nAssistant:"
    finally:
        tokenizer.chat_template = template


def test_a_conversation_longer_than_the_context_is_a_data_error(sides):
    long = [{"role": "user", "content": "word " * 400}]
    with pytest.raises(DataError, match="context"):
        generate.complete([generate.Request(sides[0], long)], SAMPLED)


def test_visitors_asking_one_base_and_adapter_at_once_each_get_their_own_answers(tiny_model, lora_adapter):  # noqa: F811
    # peft routes rows to adapters with hooks on the shared model: two calls at once must not mix them.
    reference, aligned = models.load_pair(str(tiny_model), str(lora_adapter))
    long = generate.Sampling(temperature=0, max_new_tokens=60)
    both, alone = answers(reference, aligned, sampling=long), answers(aligned, sampling=long)
    assert both[0] != both[1] and both[1] == alone[0]
    found, errors = [], []

    def visit(sides, expected):
        try:
            for _ in range(3):
                found.append(answers(*sides, sampling=long) == expected)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(repr(error))

    threads = [threading.Thread(target=visit, args=([reference, aligned], both)),
               threading.Thread(target=visit, args=([aligned], alone))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and found == [True] * 6
