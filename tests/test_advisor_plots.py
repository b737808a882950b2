"""The loss-landscape and value curves drawn in the Algorithm tab."""

import math

import pytest

from alignui.advisor.plots import kto_value, margin_range, parse_betas, preference_loss
from alignui.errors import SpecError


def at(frame, series, x, column="margin"):
    rows = frame[frame["series"] == series]
    return float(rows.iloc[(rows[column] - x).abs().argmin()]["value"])


def test_dpo_loss_and_gradient_follow_the_log_sigmoid():
    curves = preference_loss("dpo", [0.1, 0.5])
    assert set(curves["loss"]["series"]) == {"beta=0.1", "beta=0.5"}
    assert at(curves["loss"], "beta=0.1", 0) == pytest.approx(math.log(2))
    assert at(curves["gradient"], "beta=0.5", 0) == pytest.approx(-0.25)
    # a larger beta makes the landscape steeper (the article's observation)
    assert at(curves["gradient"], "beta=0.5", -2) < at(curves["gradient"], "beta=0.1", -2)
    assert (curves["gradient"]["value"] < 0).all()  # DPO keeps pushing the margin up


def test_ipo_regresses_to_its_target_margin():
    curves = preference_loss("ipo", [0.01, 0.1])
    assert margin_range("ipo", [0.01, 0.1]) == (-12.5, 75.0)
    assert at(curves["loss"], "beta=0.1", 5) == pytest.approx(0, abs=0.2)  # 1/(2*0.1) = 5
    assert at(curves["gradient"], "beta=0.1", 20) > 0  # past the target the loss pushes back


def test_kto_value_is_steeper_on_the_side_with_more_weight():
    frame = kto_value([0.1], desirable_weight=1.0, undesirable_weight=2.0)
    gain, loss = at(frame, "beta=0.1", 10, "reward"), at(frame, "beta=0.1", -10, "reward")
    assert gain > 0 > loss and abs(loss) == pytest.approx(2 * gain, rel=0.05)
    assert list(frame.columns) == ["reward", "value", "series"]


def test_betas_are_parsed_and_checked():
    assert parse_betas("0.05, 0.1;0.3") == [0.05, 0.1, 0.3]
    for text, message in [("", "at least one beta"), ("0.1, x", "'x' is not a number"), ("-1", "above 0")]:
        with pytest.raises(SpecError, match=message):
            parse_betas(text)
    with pytest.raises(SpecError, match="dpo and ipo"):
        preference_loss("kto", [0.1])
