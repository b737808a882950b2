"""Conversations (lists of {role, content} turns) and the text they hold.

Accepted shapes of a conversation field: a list of {role, content} turns (TRL's conversational style),
ShareGPT turns {from: human/gpt, value}, or either of those JSON-encoded in a string (as a CSV cell
holds them). Every shape comes out as a list of {"role", "content"} dicts. Problems raise ValueError
with a message that names the field.
"""

import json

#: ShareGPT and other speaker names, mapped to chat-template roles.
ROLES = {
    "user": "user", "human": "user", "prompter": "user",
    "assistant": "assistant", "gpt": "assistant", "bot": "assistant", "model": "assistant",
    "chatgpt": "assistant",
    "system": "system",
    "tool": "tool", "function": "tool", "observation": "tool", "ipython": "tool",
}


def looks_like_conversation(value) -> bool:
    """Whether `value` is (or encodes) a list of turns, judged by its first turn."""
    if isinstance(value, str):
        value = decode_list(value)
    return (
        isinstance(value, list) and bool(value) and isinstance(value[0], dict)
        and (("role" in value[0] and "content" in value[0]) or ("from" in value[0] and "value" in value[0]))
    )


def to_turns(value, field: str) -> list[dict]:
    """The conversation in `value` as [{"role", "content"}, ...]; ValueError naming `field` if it is not one."""
    if isinstance(value, str):
        value = decode_list(value)
    if not isinstance(value, list):
        raise ValueError(f"field '{field}' must be a list of {{role, content}} turns")
    if not value:
        raise ValueError(f"field '{field}' is empty")
    turns = []
    for index, turn in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(turn, dict):
            raise ValueError(f"{where} must be a {{role, content}} object")
        speaker = turn.get("role", turn.get("from"))
        content = turn.get("content", turn.get("value"))
        role = ROLES.get(str(speaker).strip().lower()) if speaker is not None else None
        if role is None:
            raise ValueError(f"{where} has role {str(speaker)[:40]!r}; use user, assistant, system or tool")
        if not isinstance(content, str):
            raise ValueError(f"{where} has no text content")
        turns.append({"role": role, "content": content})
    return turns


def text_length(value) -> int:
    """Characters of text in a string or a conversation."""
    if isinstance(value, str):
        return len(value)
    return sum(len(turn["content"]) for turn in value)


def plain_text(value) -> str:
    """A string or a conversation as one string (for tokenising and comparing)."""
    if isinstance(value, str):
        return value
    return "\n".join(turn["content"] for turn in value)


def hashable(value):
    """A hashable stand-in for a string or a conversation."""
    if isinstance(value, str):
        return value
    return tuple((turn["role"], turn["content"]) for turn in value)


def decode_list(text: str):
    """The list a string holds as JSON (as CSV cells carry lists), or the string itself."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return text
    return text
