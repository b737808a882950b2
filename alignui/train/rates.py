"""The learning rate at which a preference run visibly learns, by model size: one rule, one anchor.

The anchor is a measured run: plain DPO on the demo model (866k parameters) learns at 3e-4 (held-out
accuracy 0.656 -> 0.916 in 200 steps through the job engine; benchmarks/doctor_fix.py), while TRL's
default 1e-6 leaves the loss at ln 2 (0.668). Rates fall with model size as size^(-2/3): from the anchor that gives about 2.7e-6 at
1B, 7.5e-7 at 7B and 1.6e-7 at 70B, within the article's DPO rows (1e-6 to 5e-8 from 1B to 70B)
by a factor of 3 at most. LoRA trains a small share of the weights and takes a higher rate.
"""

from alignui.recipe.ranges import LORA_LR_FACTOR

#: Parameters of the model the anchor rate was measured on (the demo model).
MEASURED_PARAMS = 866_048
#: The rate at which DPO lifted that model's held-out accuracy.
MEASURED_RATE = 3e-4
#: How fast the rate falls with model size.
SIZE_EXPONENT = 2 / 3


def preference_rate(params: int, lora: bool = False) -> float:
    """The learning rate for a preference run on a model of `params` parameters, to one digit."""
    rate = MEASURED_RATE * (MEASURED_PARAMS / params) ** SIZE_EXPONENT
    if lora:
        rate *= LORA_LR_FACTOR
    return float(f"{min(rate, MEASURED_RATE * (LORA_LR_FACTOR if lora else 1)):.0e}")
