"""The algorithms alignui trains, and what each one needs.

One table shared by the advisor (what can use which data), the spec (which TRL config class holds
the hyperparameters) and the training entry point (which trainer to build).
"""

import os
from dataclasses import dataclass, field
from importlib import import_module


@dataclass(frozen=True)
class Algorithm:
    name: str
    title: str
    #: Dataset types (data studio terms) the trainer takes as they are.
    data_types: tuple[str, ...]
    #: "module:Class" of the TRL config and trainer.
    config: str
    trainer: str
    #: Whether training keeps a frozen reference policy (memory: a second forward pass / copy).
    needs_reference: bool
    #: Config fields alignui always sets for this algorithm (IPO and SimPO are loss variants).
    fixed: dict = field(default_factory=dict)
    #: What the trained model is: a causal LM (a policy), or a one-score sequence classifier (a judge).
    head: str = "causal_lm"

    @property
    def scores(self) -> bool:
        """Whether the output is a reward model (AutoModelForSequenceClassification, num_labels=1)."""
        return self.head == "sequence_classification"

    def config_class(self):
        return _load(self.config)

    def trainer_class(self):
        return _load(self.trainer)


def _load(where: str):
    """A class named "module:Class" (TRL's experimental modules import without their notice)."""
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # CPO (SimPO) and ORPO are in trl.experimental
    module, name = where.split(":")
    return getattr(import_module(module), name)


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in [
        Algorithm("sft", "SFT", ("language_modeling", "prompt_completion"),
                  "trl:SFTConfig", "trl:SFTTrainer", needs_reference=False),
        Algorithm("dpo", "DPO", ("preference",),
                  "trl:DPOConfig", "trl:DPOTrainer", needs_reference=True),
        Algorithm("ipo", "IPO", ("preference",),
                  "trl:DPOConfig", "trl:DPOTrainer", needs_reference=True,
                  fixed={"loss_type": ["ipo"]}),
        Algorithm("kto", "KTO", ("unpaired_preference",),
                  "trl:KTOConfig", "trl:KTOTrainer", needs_reference=True),
        Algorithm("simpo", "SimPO", ("preference",),
                  "trl.experimental.cpo:CPOConfig", "trl.experimental.cpo:CPOTrainer",
                  needs_reference=False, fixed={"loss_type": "simpo", "cpo_alpha": 0.0}),
        Algorithm("orpo", "ORPO", ("preference",),
                  "trl.experimental.orpo:ORPOConfig", "trl.experimental.orpo:ORPOTrainer",
                  needs_reference=False),
        Algorithm("grpo", "GRPO", ("prompt_only",),
                  "trl:GRPOConfig", "trl:GRPOTrainer", needs_reference=True),
        # A judge, not a policy: scores (prompt, answer) for eval, GRPO and the pair filter.
        Algorithm("reward", "Reward model", ("preference",),
                  "trl:RewardConfig", "trl:RewardTrainer", needs_reference=False,
                  head="sequence_classification"),
    ]
}

#: Dataset types the data studio detects (TRL's names, plus `ratings`).
DATASET_TYPES = (
    "language_modeling",
    "prompt_only",
    "prompt_completion",
    "preference",
    "unpaired_preference",
    "ratings",
)


def get(name: str) -> Algorithm:
    from alignui.errors import SpecError

    try:
        return ALGORITHMS[name]
    except KeyError:
        raise SpecError(
            f"unknown algorithm {name!r}; choose one of {', '.join(ALGORITHMS)}"
        ) from None
