"""Placeholder tab."""

from alignui.ui import later


def render() -> None:
    later.render("data", "Coming soon.")
