"""Implicit prompts: preference pairs whose chosen and rejected both start with the prompt.

Conversations give up their longest run of shared leading turns, exactly as TRL's `extract_prompt`
does. Plain-text transcripts (Anthropic-HH: "\\n\\nHuman: ...\\n\\nAssistant: ...") are cut after the
last shared "Assistant:" marker; other plain text is cut at the last whitespace the two share. TRL
cuts plain text at the first differing character instead, which splits a word in two when both
answers begin alike ("...Assistant: I think yes" / "...Assistant: I think no"); cutting at the turn
marker keeps whole answers. As in TRL, the space that follows the prompt stays with the answers.
"""

TURN_MARKER = "Assistant:"


def split_prompt(chosen, rejected) -> tuple:
    """(prompt, chosen answer, rejected answer) of a pair that shares its prompt; ValueError if it does not."""
    if isinstance(chosen, str) and isinstance(rejected, str):
        cut = _text_cut(chosen, rejected)
    elif isinstance(chosen, list) and isinstance(rejected, list):
        cut = shared_length(chosen, rejected)
        if cut == 0:
            raise ValueError(
                "chosen and rejected share no leading turns, so the prompt cannot be found; "
                "add a 'prompt' field"
            )
    else:
        raise ValueError("chosen and rejected must both be text or both be conversations")
    prompt, chosen_rest, rejected_rest = chosen[:cut], chosen[cut:], rejected[cut:]
    if not _filled(chosen_rest):
        raise ValueError("chosen has no answer after the shared prompt")
    if not _filled(rejected_rest):
        raise ValueError("rejected has no answer after the shared prompt")
    return prompt, chosen_rest, rejected_rest


def _text_cut(chosen: str, rejected: str) -> int:
    shared = shared_length(chosen, rejected)
    marker = chosen.rfind(TURN_MARKER, 0, shared)
    if marker != -1 and marker + len(TURN_MARKER) <= shared:
        return marker + len(TURN_MARKER)
    space = max(chosen.rfind(c, 0, shared) for c in " \n\t")
    if space <= 0 or not chosen[:space].strip():
        raise ValueError(
            "chosen and rejected share no leading text, so the prompt cannot be found; add a 'prompt' field"
        )
    return space


def shared_length(a, b) -> int:
    """Length of the common prefix of two strings or lists (binary search: slices compare in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _filled(value) -> bool:
    return bool(value.strip()) if isinstance(value, str) else bool(value)
