"""The pieces `generate` is given for arena streaming (imports torch and transformers: load lazily)."""

import threading

import torch
from transformers import LogitsProcessor, StoppingCriteria, TopPLogitsWarper


class SeededSampler(LogitsProcessor):
    """Draws each row's next token with that row's own torch.Generator, and hands greedy decoding
    a one-hot choice.

    Threads never share a random state, so a seed gives every side the same draws however their
    threads interleave, and the same answer on a second run.
    """

    def __init__(self, temperature: float, top_p: float, seed: int, rows: int, device):
        self.temperature = temperature
        self.top_p = TopPLogitsWarper(top_p)
        self.generators = [torch.Generator(device=device).manual_seed(seed) for _ in range(rows)]

    def __call__(self, input_ids, scores):
        scores = self.top_p(input_ids, scores.float() / self.temperature)
        probs = scores.softmax(dim=-1)
        picks = torch.cat([torch.multinomial(probs[row:row + 1], 1, generator=generator)
                           for row, generator in enumerate(self.generators)])
        return torch.full_like(scores, float("-inf")).scatter_(1, picks, 0.0)


class StopOnEvent(StoppingCriteria):
    """Ends generation for every row once the event is set (the Stop button, or a closed stream)."""

    def __init__(self, event: threading.Event):
        self.event = event

    def __call__(self, input_ids, scores, **kwargs):
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool,
                          device=input_ids.device)


class RowStreamers:
    """A streamer for a batch: hands each row's tokens to that row's own TextIteratorStreamer."""

    def __init__(self, streamers):
        self.streamers = streamers

    def put(self, value):
        # The first call carries the prompts (rows x length), later calls one token per row.
        for row, streamer in enumerate(self.streamers):
            streamer.put(value[row:row + 1])

    def end(self):
        for streamer in self.streamers:
            streamer.end()
