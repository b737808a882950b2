"""A rater's turn: one blind comparison between a prompt set's two models.

Answers are greedy, so every rater who gets a prompt judges the same two answers, which is what
makes their votes comparable (agreement.py). They are also kept: the first rater to reach a prompt
waits for the models, and everyone after gets the same answers at once.
"""

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator

from alignui.arena import chat as arena
from alignui.arena.generate import Sampling

#: Answer length on the Rate page (capped further by the server's ALIGNUI_MAX_NEW_TOKENS).
MAX_NEW_TOKENS = 256
#: Prompts whose answers are kept in memory.
KEPT_ANSWERS = 10_000
SAMPLING = Sampling(temperature=0.0, top_p=1.0, seed=0, max_new_tokens=MAX_NEW_TOKENS)

_kept: OrderedDict = OrderedDict()
_lock = threading.Lock()


def ask(prompt_set: dict, prompt: str) -> Iterator[arena.Conversation]:
    """A new blind conversation on the set's models answering `prompt`; yields it as the answers grow."""
    current = arena.start(prompt_set["reference"], prompt_set["aligned"], blind=True)
    sampling = SAMPLING.checked()
    key = (current.reference.id, current.aligned.id, (prompt or "").strip(), sampling)
    with _lock:
        known = _kept.get(key)
    if known:
        answers = {side: known[current.role(side)] for side in arena.SIDES}
        current.exchanges.append(arena.Exchange(uuid.uuid4().hex, key[2], answers, sampling.to_dict()))
        yield current
        return
    yield from arena.ask(current, prompt, sampling)
    exchange = current.exchanges[-1]
    with _lock:
        _kept[key] = {current.role(side): exchange.answers[side] for side in arena.SIDES}
        while len(_kept) > KEPT_ANSWERS:
            _kept.popitem(last=False)
