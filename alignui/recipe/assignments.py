"""FIELD=VALUE assignments of TRL config fields: `--set` on the command line, "more fields" in the form."""

import json

from alignui.errors import SpecError


def parse_value(text: str):
    """JSON where it parses (numbers, true/false, null, lists, objects), True/False/None, else text."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    return {"True": True, "False": False, "None": None}.get(text, text)


def parse_assignments(lines: list[str]) -> dict:
    """{"learning_rate": 5e-7, ...} from ["learning_rate=5e-7", ...]; blank lines and # comments skipped."""
    found = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise SpecError(f"{line!r}: write settings as FIELD=VALUE, e.g. learning_rate=5e-7")
        found[name.strip()] = parse_value(value)
    return found


def format_value(value) -> str:
    """A value as `parse_value` reads it back: text as itself where that is unambiguous, else JSON."""
    if isinstance(value, str) and value == value.strip() and value.isprintable() and parse_value(value) == value:
        return value
    return json.dumps(value)


def format_assignments(values: dict) -> str:
    """FIELD=VALUE lines that `parse_assignments` turns back into `values`."""
    return "\n".join(f"{name}={format_value(value)}" for name, value in values.items())
