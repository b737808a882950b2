"""Placeholder tab."""

from alignui.ui import later


def render() -> None:
    later.render("algorithm", "Coming soon.")
