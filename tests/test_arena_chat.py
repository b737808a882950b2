"""Arena conversations: each side's own history, blind mode's shuffle and reveal, regenerate."""

import random

import pytest
from test_arena_models import SAMPLED, aligned_model  # noqa: F401 (fixture)

from alignui.arena import chat as arena
from alignui.arena.chat import Conversation, Exchange
from alignui.arena.models import ModelSource
from alignui.errors import DataError

REFERENCE = ModelSource(id="/models/base", label="base", path="/models/base")
ALIGNED = ModelSource(id="job:3", label="job 3 · dpo", path="/runs/3/model", job_id=3)


def two_turns(blind=False, aligned_side="b") -> Conversation:
    exchanges = [Exchange("e1", "hi", {"a": "hello from a", "b": "hello from b"}, {}),
                 Exchange("e2", "more?", {"a": "a again", "b": "b again"}, {})]
    return Conversation(REFERENCE, ALIGNED, aligned_side, blind, exchanges)


def test_each_side_keeps_its_own_history():
    chat = two_turns()
    assert chat.messages("a") == [{"role": "user", "content": "hi"},
                                  {"role": "assistant", "content": "hello from a"},
                                  {"role": "user", "content": "more?"}]
    assert chat.messages("b", upto=0) == [{"role": "user", "content": "hi"}]
    assert chat.chat("b")[-1] == {"role": "assistant", "content": "b again"}


def test_sides_map_to_models_and_roles():
    chat = two_turns(aligned_side="a")
    assert (chat.source("a"), chat.role("a")) == (ALIGNED, "aligned")
    assert (chat.source("b"), chat.role("b")) == (REFERENCE, "reference")


def test_blind_mode_hides_the_names_until_a_vote():
    chat = two_turns(blind=True)
    assert (chat.name("a"), chat.name("b")) == ("Model A", "Model B")
    chat.exchanges[0].voted = True
    assert (chat.name("a"), chat.name("b")) == ("A: base (reference)", "B: job 3 · dpo (aligned)")
    assert two_turns(blind=False).name("b") == "B: job 3 · dpo (aligned)"


def test_blind_mode_draws_the_aligned_side_at_random(tiny_model, aligned_model):  # noqa: F811
    random.seed(0)
    drawn = {arena.start(str(tiny_model), str(aligned_model), blind=True).aligned_side for _ in range(20)}
    assert drawn == {"a", "b"}
    assert {arena.start(str(tiny_model), str(aligned_model), blind=False).aligned_side
            for _ in range(5)} == {"b"}


def test_asking_streams_both_answers_into_a_new_exchange(tiny_model, aligned_model):  # noqa: F811
    chat = arena.start(str(tiny_model), str(aligned_model), blind=False)
    for _ in arena.ask(chat, "  first  ", SAMPLED):
        pass
    for _ in arena.ask(chat, "second", SAMPLED):
        pass
    assert [e.prompt for e in chat.exchanges] == ["first", "second"]
    assert all(chat.exchanges[-1].answers.values())
    assert chat.exchanges[-1].sampling == SAMPLED.to_dict()
    assert chat.same_models(str(tiny_model), str(aligned_model))
    assert not chat.same_models(str(aligned_model), str(tiny_model))


def test_regenerate_answers_the_last_prompt_again_as_a_new_exchange(tiny_model, aligned_model):  # noqa: F811
    chat = arena.start(str(tiny_model), str(aligned_model), blind=False)
    for _ in arena.ask(chat, "first", SAMPLED):
        pass
    before = chat.exchanges[0]
    other_seed = type(SAMPLED)(temperature=1.0, top_p=1.0, seed=99, max_new_tokens=12)
    for _ in arena.regenerate(chat, other_seed):
        pass
    after = chat.exchanges[0]
    assert len(chat.exchanges) == 1 and after.prompt == "first"
    assert after.id != before.id and after.answers != before.answers


def test_an_empty_prompt_or_nothing_to_regenerate_is_a_data_error(tiny_model, aligned_model):  # noqa: F811
    chat = arena.start(str(tiny_model), str(aligned_model), blind=False)
    with pytest.raises(DataError, match="prompt"):
        next(arena.ask(chat, "  ", SAMPLED))
    with pytest.raises(DataError, match="regenerate"):
        next(arena.regenerate(chat, SAMPLED))


def test_an_exchange_that_cannot_be_answered_is_undone(tiny_model, aligned_model):  # noqa: F811
    from alignui.errors import AlignUIError

    chat = arena.start(str(tiny_model), str(aligned_model), blind=False)
    for _ in arena.ask(chat, "first", SAMPLED):
        pass
    answered = chat.exchanges[0]
    with pytest.raises(AlignUIError, match="context"):
        for _ in arena.ask(chat, "word " * 400, SAMPLED):
            pass
    assert chat.exchanges == [answered]
    with pytest.raises(AlignUIError, match="context"):
        for _ in arena.regenerate(chat, type(SAMPLED)(max_new_tokens=300)):
            pass
    assert chat.exchanges == [answered]
