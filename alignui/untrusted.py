"""Parsing what a visitor sends: YAML without aliases, bounded in size and depth; lists in messages capped.

`yaml.safe_load` blocks tags that build objects, but not aliases: a 464-byte document of nested
aliases ("billion laughs") expands to gigabytes. A recipe never needs them, so anchors and aliases
are refused outright, before anything is composed.
"""

from pathlib import Path

import yaml

from alignui import settings
from alignui.errors import SpecError


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases and stops at a nesting depth."""

    what = "YAML"
    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise SpecError(f"{self.what} uses YAML anchors or aliases (&{event.anchor} / *{event.anchor}), "
                            "which are not accepted: write each value out")
        self.depth += 1
        if self.depth > settings.MAX_YAML_DEPTH:
            raise SpecError(f"{self.what} is nested more than {settings.MAX_YAML_DEPTH} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load_yaml(text: str | bytes, what: str = "YAML"):
    """The value of one YAML document from an untrusted source; SpecError naming `what` otherwise."""
    if len(text) > settings.MAX_YAML_BYTES:
        raise SpecError(f"{what} is larger than {settings.MAX_YAML_BYTES:,} bytes")
    loader = None
    try:
        loader = _Loader(text)  # reading starts here: a character YAML refuses already raises
        loader.what = what
        return loader.get_single_data()
    except yaml.YAMLError as error:
        raise SpecError(f"{what} is not valid YAML: {cap(str(error))}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        # Values PyYAML resolves but cannot build, e.g. the timestamp 2024-13-45.
        raise SpecError(f"{what} holds a value that cannot be read: {cap(str(error))}") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_text(path, what: str | None = None) -> str:
    """A text file's content, refused with SpecError when larger than the YAML limit (read no further)."""
    path = Path(path)
    what = what or path.name
    try:
        with open(path, "rb") as handle:
            raw = handle.read(settings.MAX_YAML_BYTES + 1)
    except OSError as error:
        raise SpecError(f"{what} cannot be read: {error.strerror}") from None
    if len(raw) > settings.MAX_YAML_BYTES:
        raise SpecError(f"{what} is larger than {settings.MAX_YAML_BYTES:,} bytes")
    return raw.decode("utf-8", errors="replace")


def listing(items, shown: int = 10) -> str:
    """"a, b, c" for a few items; "a, b, ... and N more" when there are many."""
    items = [str(item) for item in items]
    if len(items) <= shown:
        return ", ".join(items)
    return ", ".join(items[:shown]) + f" and {len(items) - shown:,} more"


def cap(message: str, limit: int | None = None) -> str:
    """A message cut to `limit` characters (settings.MAX_MESSAGE_CHARS), saying how much was left out."""
    limit = limit or settings.MAX_MESSAGE_CHARS
    if len(message) <= limit:
        return message
    return message[:limit] + f"… ({len(message) - limit:,} more characters)"
