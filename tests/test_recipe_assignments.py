"""FIELD=VALUE settings as typed on the command line and in the Train tab."""

import pytest

from alignui.errors import SpecError
from alignui.recipe.assignments import parse_assignments, parse_value


@pytest.mark.parametrize("text, value", [
    ("5e-7", 5e-7), ("3", 3), ("0.1", 0.1), ("true", True), ("False", False), ("null", None),
    ('["ipo"]', ["ipo"]), ('{"dtype": "bfloat16"}', {"dtype": "bfloat16"}), ("sigmoid", "sigmoid"),
    (" cosine ", "cosine"),
])
def test_values_parse_to_their_types(text, value):
    assert parse_value(text) == value


def test_lines_become_a_dict_and_comments_are_skipped():
    assert parse_assignments(["learning_rate=1e-6", "", "# note", " beta = 0.2 ", "loss_type=[\"ipo\"]"]) == {
        "learning_rate": 1e-6, "beta": 0.2, "loss_type": ["ipo"]}


@pytest.mark.parametrize("line", ["learning_rate", "=3"])
def test_a_line_without_a_field_is_refused_with_an_example(line):
    with pytest.raises(SpecError, match="FIELD=VALUE"):
        parse_assignments([line])
