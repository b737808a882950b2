"""Curves that show what beta does: DPO/IPO loss and gradient against the reward margin, and KTO's value.

The margin m is log(pi/pi_ref)(chosen) - log(pi/pi_ref)(rejected), as in the article's
loss-landscape analysis. DPO's loss -log sigmoid(beta*m) keeps pulling (its gradient
-beta*sigmoid(-beta*m) only fades); IPO's (m - 1/(2*beta))^2 pulls toward the target margin
1/(2*beta) and pushes back past it. KTO scores each answer alone by its reward z relative to a
reference point: gains are worth desirable_weight*(sigmoid(beta*z) - 1/2), losses
undesirable_weight*(sigmoid(beta*z) - 1/2): concave for gains, convex for losses, steeper on the
side with the larger weight (prospect theory's loss aversion).

Each function returns long-format pandas frames (x, value, series) for `gr.LinePlot`.
"""

import math

from alignui.errors import SpecError

POINTS = 201


def parse_betas(text: str) -> list[float]:
    """Betas from text such as "0.05, 0.1, 0.3"; each must be a positive number."""
    betas = []
    for part in str(text).replace(";", ",").split(","):
        if not part.strip():
            continue
        try:
            value = float(part)
        except ValueError:
            raise SpecError(f"beta {part.strip()!r} is not a number; give betas like 0.05, 0.1, 0.3") from None
        if not value > 0 or not math.isfinite(value):
            raise SpecError(f"beta {value:g} must be above 0")
        betas.append(value)
    if not betas:
        raise SpecError("give at least one beta, e.g. 0.1")
    return betas


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def _grid(low: float, high: float, points: int) -> list[float]:
    return [low + (high - low) * i / (points - 1) for i in range(points)]


def margin_range(algorithm: str, betas: list[float]) -> tuple[float, float]:
    """A margin range that shows the interesting part: +-5 for DPO, up to 1.5x IPO's largest target."""
    if algorithm == "ipo":
        target = max(1 / (2 * beta) for beta in betas)
        return -0.25 * target, 1.5 * target
    return -5.0, 5.0


def preference_loss(algorithm: str, betas: list[float], points: int = POINTS) -> dict:
    """{"loss": frame, "gradient": frame} of DPO or IPO against the margin, one series per beta."""
    import pandas as pd

    if algorithm not in ("dpo", "ipo"):
        raise SpecError(f"loss curves are drawn for dpo and ipo, not {algorithm!r}")
    low, high = margin_range(algorithm, betas)
    loss_rows, grad_rows = [], []
    for beta in betas:
        series = f"beta={beta:g}"
        for m in _grid(low, high, points):
            if algorithm == "dpo":
                loss = -math.log(_sigmoid(beta * m))
                grad = -beta * _sigmoid(-beta * m)
            else:
                loss = (m - 1 / (2 * beta)) ** 2
                grad = 2 * (m - 1 / (2 * beta))
            loss_rows.append({"margin": m, "value": loss, "series": series})
            grad_rows.append({"margin": m, "value": grad, "series": series})
    return {"loss": pd.DataFrame(loss_rows), "gradient": pd.DataFrame(grad_rows)}


def kto_value(betas: list[float], desirable_weight: float = 1.0, undesirable_weight: float = 1.0,
              points: int = POINTS):
    """KTO's value against the reward relative to the reference point, one series per beta."""
    import pandas as pd

    if not desirable_weight > 0 or not undesirable_weight > 0:
        raise SpecError("desirable_weight and undesirable_weight must be above 0")
    span = 5 / min(betas)  # wide enough for the flattest curve to saturate
    rows = []
    for beta in betas:
        for z in _grid(-span, span, points):
            weight = desirable_weight if z >= 0 else undesirable_weight
            rows.append({"reward": z, "value": weight * (_sigmoid(beta * z) - 0.5), "series": f"beta={beta:g}"})
    return pd.DataFrame(rows)
