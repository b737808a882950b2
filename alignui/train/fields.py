"""FIELD=VALUE assignments of TRL config fields, as typed on the command line or in the Train tab."""

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
