"""Hostile input refused with a clear message: YAML aliases and size, NaN and overflow, long lists."""

import time

import pytest
from conftest import run_cli
from hostile import alias_bomb_recipe

from alignui import settings
from alignui.errors import SpecError
from alignui.recipe.assignments import format_value, parse_assignments, parse_value
from alignui.recipe.spec import TrainSpec
from alignui.recipe.validate import unknown_fields
from alignui.untrusted import cap, listing, load_yaml


def test_the_alias_bomb_is_refused_at_once():
    started = time.monotonic()
    with pytest.raises(SpecError, match="anchors or aliases"):
        TrainSpec.from_yaml(alias_bomb_recipe())
    assert time.monotonic() - started < 1
    assert len(alias_bomb_recipe().encode()) == 464


@pytest.mark.parametrize("text", ["a: &x 1\nb: 2", "a: &x 1\nb: *x", "base: &b {x: 1}\nother:\n  <<: *b"])
def test_any_anchor_or_alias_is_refused(text):
    with pytest.raises(SpecError, match="anchors or aliases"):
        load_yaml(text, "recipe")


def test_yaml_is_bounded_in_size_and_depth():
    with pytest.raises(SpecError, match="larger than"):
        load_yaml("a: " + "x" * settings.MAX_YAML_BYTES, "recipe")
    with pytest.raises(SpecError, match="nested more than"):
        load_yaml("[" * 5000 + "]" * 5000, "recipe")
    assert load_yaml("a: [[1, 2], {b: 3}]") == {"a": [[1, 2], {"b": 3}]}


def test_a_recipe_file_is_read_no_further_than_the_limit(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("algorithm: dpo\n" + "# padding\n" * (settings.MAX_YAML_BYTES // 10 + 10))
    with pytest.raises(SpecError, match="larger than"):
        TrainSpec.load(big)


def test_values_yaml_cannot_build_are_a_spec_error():
    with pytest.raises(SpecError, match="cannot be read"):
        load_yaml("when: 2024-13-45")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_yaml("a: [1, 2")


def test_recipe_check_refuses_the_alias_bomb_in_under_a_second(tmp_path):
    recipe = tmp_path / "laughs.yaml"
    recipe.write_text(alias_bomb_recipe())
    started = time.monotonic()
    result = run_cli("recipe", "check", recipe, timeout=60)
    took = time.monotonic() - started
    assert result.returncode == 1
    assert "anchors or aliases" in result.stderr and "Traceback" not in result.stderr
    # The process start (imports) dominates; the bomb would take minutes.
    assert took < 30


@pytest.mark.parametrize("text, problem", [
    ("NaN", "not a finite number"), ("Infinity", "not a finite number"), ("-Infinity", "not a finite number"),
    ("nan", "not a finite number"), ("-inf", "not a finite number"), ("1e400", "too large"),
    ("[0.1, NaN]", "not a finite number"), ("1" * 5000, "too large"), (str(2**63), "too large"),
    ("[" * 100_000, "nested too deeply"),
])
def test_non_finite_and_overflowing_values_are_refused_by_field_name(text, problem):
    with pytest.raises(SpecError, match=f"^beta: .*{problem}"):
        parse_assignments([f"beta={text}"])


def test_finite_values_still_parse():
    assert parse_value("1e300") == 1e300 and parse_value(str(2**63 - 1)) == 2**63 - 1
    assert parse_value("naming") == "naming"
    assert parse_value(format_value("nan")) == "nan"  # the text "nan" is written so it reads back as text


def test_an_error_naming_thousands_of_unknown_fields_stays_short():
    problems = unknown_fields("dpo", {f"field_{i}": 1 for i in range(20_000)})
    assert len(problems) == 1 and "and 19995 more" in problems[0] and len(problems[0]) < 1000
    with pytest.raises(SpecError) as refused:
        TrainSpec.from_dict({"algorithm": "dpo", "model": "m", "dataset": "d", **{f"k{i}": 1 for i in range(20_000)}})
    assert "and 19,990 more" in str(refused.value) and len(str(refused.value)) < 1000


def test_listing_and_cap():
    assert listing(range(3)) == "0, 1, 2"
    assert listing(range(12), shown=2) == "0, 1 and 10 more"
    assert cap("x" * 10, 4) == "xxxx… (6 more characters)"


def test_nan_is_refused_at_submit_by_the_cli():
    result = run_cli("train", "--algorithm", "dpo", "--model", "some/model", "--data", "pairs", "--set", "beta=NaN",
                     timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: beta: NaN is not a finite number"
