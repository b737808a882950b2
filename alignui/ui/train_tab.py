"""Placeholder tab."""

from alignui.ui import later


def render() -> None:
    later.render(
        "Train",
        "Launch TRL training as a background job on your GPUs, watch live metrics, cancel and resume.",
    )
