"""The advisor's answer: ranked recommendations with reasons, needs and presets, and the rejections."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from alignui import algorithms
from alignui.advisor.conversions import Conversion
from alignui.advisor.memory import MemoryEstimate
from alignui.errors import SpecError
from alignui.recipe.presets import Preset
from alignui.recipe.spec import HardwareSpec, TrainSpec

if TYPE_CHECKING:  # the checklist imports this module
    from alignui.advisor.checklist import Situation

#: Whether the article's comparison table wants SFT before the algorithm.
SFT_FIRST = {"dpo": "strongly recommended", "ipo": "recommended", "simpo": "recommended", "grpo": "required"}
#: The checklist's operational reminders, shown with every answer.
BEFORE_TRAINING = [
    "Keep the reference (starting) checkpoint saved separately.",
    "Hold out a validation set of at least 5% of the data.",
    "Turn on gradient checkpointing to save memory.",
    "Log training metrics so you can watch margins, accuracies and validation loss.",
    "Read a sample of chosen/rejected (or desirable/undesirable) rows yourself before training.",
]


@dataclass
class Recommendation:
    """One algorithm in the answer, with why it is there and how to train it."""

    algorithm: str
    reasons: list[str]
    """Why it ranks where it does, in the checklist's terms."""
    cautions: list[str]
    """What to watch out for with it in this situation."""
    data_type: str
    """The dataset type it trains on."""
    conversion: Conversion | None
    """The conversion the data needs first (None: used as it is)."""
    preset: Preset
    memory: MemoryEstimate | None = None
    """Peak memory per GPU, when the model size is known."""
    sharding: str = "none"
    """none, or zero3 when the memory plan spreads the model over several GPUs."""
    gpus: int = 1

    @property
    def needs_reference(self) -> bool:
        if self.algorithm == "grpo":
            return self.preset.args.get("beta", 0.0) > 0
        return algorithms.get(self.algorithm).needs_reference

    @property
    def method(self) -> str:
        lora = self.preset.lora
        return "full" if lora is None else "qlora" if lora.quantize_4bit else "lora"

    def spec(self, model: str, dataset: str) -> TrainSpec:
        """The training spec this recommendation describes."""
        distributed = "deepspeed-zero3" if self.sharding == "zero3" else "auto"
        return TrainSpec(self.algorithm, model, dataset, args=dict(self.preset.args), lora=self.preset.lora,
                         hardware=HardwareSpec(processes=self.gpus, distributed=distributed))

    def to_dict(self) -> dict:
        spec = self.spec("", "")
        return {
            "algorithm": self.algorithm,
            "title": algorithms.get(self.algorithm).title,
            "reasons": self.reasons,
            "cautions": self.cautions,
            "needs": {
                "reference_model": self.needs_reference,
                "data_type": self.data_type,
                "conversion": self.conversion.to_dict() if self.conversion else None,
                "sft_first": SFT_FIRST.get(self.algorithm),
            },
            "hyperparameters": spec.trl_args(),
            "lora": None if spec.lora is None else vars(spec.lora),
            "training": {"method": self.method, "sharding": self.sharding, "gpus": self.gpus},
            "memory": self.memory.to_dict() if self.memory else None,
            "notes": self.preset.notes,
        }


@dataclass
class Rejection:
    """An algorithm that is not recommended, and why."""

    algorithm: str
    why: str


@dataclass
class Advice:
    """The ranked answer to a situation."""

    situation: "Situation"
    recommendations: list[Recommendation]
    """Best first."""
    not_recommended: list[Rejection]
    fired: list[str] = field(default_factory=list)
    """Names of the checklist rules that applied, in precedence order."""

    @property
    def best(self) -> Recommendation:
        return self.recommendations[0]

    def get(self, algorithm: str) -> Recommendation:
        for rec in self.recommendations:
            if rec.algorithm == algorithm:
                return rec
        rejected = {r.algorithm: r.why for r in self.not_recommended}
        raise SpecError(f"{algorithm} is not recommended here: {rejected.get(algorithm, 'unknown algorithm')}")

    def to_dict(self) -> dict:
        return {
            "situation": self.situation.to_dict(),
            "recommendations": [{**rec.to_dict(), "rank": i} for i, rec in enumerate(self.recommendations, 1)],
            "not_recommended": [{"algorithm": r.algorithm, "why": r.why} for r in self.not_recommended],
            "rules_fired": self.fired,
            "memory": self.best.memory.to_dict() if self.best.memory else None,
            "before_training": BEFORE_TRAINING,
        }
