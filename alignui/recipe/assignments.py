"""FIELD=VALUE assignments of TRL config fields: `--set` on the command line, "more fields" in the form."""

import json
import math

from alignui import untrusted
from alignui.errors import SpecError

#: Words float() reads as NaN or infinity, refused when typed as a value.
NOT_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
#: Whole numbers must fit a 64-bit integer, as TRL and torch store them.
INT_LIMIT = 2**63 - 1


def parse_value(text: str, name: str = "value"):
    """JSON where it parses (numbers, true/false, null, lists, objects), True/False/None, else text.

    NaN, Infinity and numbers too large to hold are refused with a SpecError naming the field.
    """
    text = text.strip()
    if text.lower() in NOT_FINITE:
        raise SpecError(f"{name}: {text} is not a finite number")

    def number(literal: str):
        value = float(literal)
        if not math.isfinite(value):
            raise SpecError(f"{name}: {untrusted.cap(literal, 40)} is too large a number")
        return value

    def constant(literal: str):
        raise SpecError(f"{name}: {literal} is not a finite number")

    try:
        value = json.loads(text, parse_float=number, parse_constant=constant)
        _check_integers(value, name)
    except RecursionError:
        raise SpecError(f"{name}: the value is nested too deeply") from None
    except ValueError as error:
        if "integer string conversion" in str(error):  # more digits than Python reads
            raise SpecError(f"{name}: {untrusted.cap(text, 40)} is too large a number") from None
        return {"True": True, "False": False, "None": None}.get(text, text)
    return value


def _check_integers(value, name: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT_LIMIT:
        raise SpecError(f"{name}: {untrusted.cap(str(value), 40)} is too large a number")
    if isinstance(value, list):
        for item in value:
            _check_integers(item, name)
    elif isinstance(value, dict):
        for item in value.values():
            _check_integers(item, name)


def parse_assignments(lines: list[str]) -> dict:
    """{"learning_rate": 5e-7, ...} from ["learning_rate=5e-7", ...]; blank lines and # comments skipped."""
    found = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise SpecError(f"{untrusted.cap(line, 80)!r}: write settings as FIELD=VALUE, e.g. learning_rate=5e-7")
        found[name.strip()] = parse_value(value, name.strip())
    return found


def format_value(value) -> str:
    """A value as `parse_value` reads it back: text as itself where that is unambiguous, else JSON."""
    if isinstance(value, str) and value == value.strip() and value.isprintable() and _reads_back(value):
        return value
    return json.dumps(value)


def _reads_back(text: str) -> bool:
    try:
        return parse_value(text) == text
    except SpecError:  # "nan" as text: written as JSON, it reads back as text
        return False


def format_assignments(values: dict) -> str:
    """FIELD=VALUE lines that `parse_assignments` turns back into `values`."""
    return "\n".join(f"{name}={format_value(value)}" for name, value in values.items())
