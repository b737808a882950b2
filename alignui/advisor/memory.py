"""Peak GPU memory of a training run, per GPU, and what would make it fit.

The estimate adds, in bytes (GB below means 2**30 bytes, which is how cards are sold: a "24 GB"
card reports 24 GiB):

- Model states of trained parameters: 16 bytes each with AdamW in mixed precision: 16-bit
  weights (2) and gradients (2), an fp32 master copy (4) and two fp32 moments (8). ZeRO paper
  (Rajbhandari et al., 2020), section 3.1. In fp32 the same 16: weights 4, gradients 4, moments 8.
- Frozen weights: 2 bytes per parameter in bf16/fp16, 4 in fp32, 0.55 in 4-bit NF4 (4 bits plus
  quantisation constants and the 16-bit embeddings; QLoRA, Dettmers et al., 2023).
- LoRA adapters on every linear layer: rank x (inputs + outputs) parameters per matrix, trained
  in fp32 (16 bytes each as above).
- Reference model: DPO, IPO, KTO and GRPO (with beta > 0) keep a frozen policy copy in 16-bit;
  SimPO, ORPO and SFT keep none (the article's comparison table: 2 models vs 1). With LoRA or
  QLoRA the reference is the base with the adapters disabled (peft), so it costs nothing extra;
  with precompute_ref_log_probs (DPO, IPO, KTO) TRL scores the data with it once before training
  and trains without it.
- Activations, per layer and token: 34 x hidden bytes in 16-bit without recomputation, when
  attention scores are not stored (flash/SDPA attention); with activation checkpointing only the
  layer input (2 x hidden) is kept per layer, plus one layer's 34 x hidden while it is
  recomputed. Korthikanti et al., "Reducing Activation Recomputation in Large Transformer
  Models" (2022). fp32 doubles both.
- Logits: tokens x vocabulary x 10 bytes (16-bit logits, their fp32 copy and its log-softmax).
- Tokens per step: batch x sequence length, doubled for pairwise methods (DPO, IPO, SimPO, ORPO
  run chosen and rejected together).
- GRPO generation: a KV cache of 2 x layers x kv_dim x 2 bytes per token for the generation batch.
- Sharding over N GPUs: ZeRO-3 / FSDP divide every model state (weights, gradients, optimizer,
  reference) by N; ZeRO-2 divides gradients and optimizer states; DDP divides nothing.
- A fixed 1 GB for the CUDA context and kernel workspaces. A run fits when the peak is at most
  95% of the card, leaving the allocator room for fragmentation.

When the model's config is unknown its shape is derived from the parameter count, assuming a
Llama-like layout: parameters = 12 x layers x hidden^2, layers = hidden / 128, a 32k vocabulary
and no grouped-query attention (the conservative case for the KV cache).
"""

import dataclasses
from dataclasses import dataclass, field

from alignui import algorithms
from alignui.errors import SpecError
from alignui.model_info import ModelShape

GIB = 2**30
TRAINED_BYTES = 16
FROZEN_BYTES = {"bf16": 2, "fp16": 2, "fp32": 4}
NF4_BYTES = 0.55
ACTIVATION_BYTES = 34  # per layer, per token, per hidden unit, 16-bit
CHECKPOINT_BYTES = 2
LOGIT_BYTES = 10
CUDA_OVERHEAD_GB = 1.0
USABLE_SHARE = 0.95
PAIRWISE = ("dpo", "ipo", "simpo", "orpo", "reward")
METHODS = ("full", "lora", "qlora")
SHARDING = ("none", "zero2", "zero3")
#: How a TrainSpec's hardware.distributed shards model states (FSDP full-shard behaves as ZeRO-3).
SHARDING_OF_DISTRIBUTED = {"deepspeed-zero2": "zero2", "deepspeed-zero3": "zero3", "fsdp": "zero3"}
#: How many GPUs the ZeRO-3 suggestion may ask for.
MAX_GPUS = 128


@dataclass
class MemoryQuery:
    """One training configuration to size."""

    algorithm: str
    params_b: float
    """Model size in billions of parameters."""
    method: str = "lora"
    """full, lora or qlora."""
    precision: str = "bf16"
    """bf16, fp16 or fp32."""
    batch_size: int = 2
    """Per-device batch (pairs for pairwise methods, completions for GRPO)."""
    seq_len: int = 1024
    """Tokens per sequence (prompt + answer)."""
    activation_checkpointing: bool = True
    gpus: int = 1
    """GPUs the run spreads over (ZeRO/FSDP shard model states over them)."""
    sharding: str = "none"
    """none (DDP or one GPU), zero2, or zero3 (also FSDP)."""
    lora_rank: int = 16
    generation_batch: int | None = None
    """GRPO: sequences generated at once per GPU (None: the batch size)."""
    reference: bool | None = None
    """Whether a reference model is kept; None decides from the algorithm."""
    shape: ModelShape | None = None
    """The real architecture when known (from the model's config)."""

    def problems(self) -> list[str]:
        found = []
        if self.algorithm not in algorithms.ALGORITHMS:
            found.append(f"unknown algorithm {self.algorithm!r}; choose one of {', '.join(algorithms.ALGORITHMS)}")
        if not self.params_b > 0:
            found.append(f"model size {self.params_b} must be above 0 (billions of parameters)")
        if self.method not in METHODS:
            found.append(f"method {self.method!r} must be one of {', '.join(METHODS)}")
        if self.precision not in FROZEN_BYTES:
            found.append(f"precision {self.precision!r} must be one of {', '.join(FROZEN_BYTES)}")
        if self.sharding not in SHARDING:
            found.append(f"sharding {self.sharding!r} must be one of {', '.join(SHARDING)}")
        for name in ("batch_size", "seq_len", "gpus", "lora_rank"):
            if getattr(self, name) < 1:
                found.append(f"{name} must be at least 1")
        return found

    def with_(self, **changes) -> "MemoryQuery":
        return dataclasses.replace(self, **changes)


@dataclass
class Suggestion:
    """A change that makes the run fit, with the peak it would reach."""

    change: str
    """What to change, in words."""
    settings: dict
    """The same change as MemoryQuery fields."""
    peak_gb: float


@dataclass
class MemoryEstimate:
    """Peak memory per GPU, by part, and whether it fits the card."""

    query: MemoryQuery
    parts: dict[str, float]
    """GB per part: weights, reference, gradients, optimizer, activations, logits, generation, overhead."""
    peak_gb: float
    capacity_gb: float | None = None
    """Memory of one GPU, when known."""
    suggestions: list[Suggestion] = field(default_factory=list)
    """Changes that would make a run that does not fit, fit (empty when it fits or capacity is unknown)."""

    @property
    def fits(self) -> bool | None:
        if self.capacity_gb is None:
            return None
        return self.peak_gb <= self.capacity_gb * USABLE_SHARE

    @property
    def verdict(self) -> str:
        if self.fits is None:
            return f"needs about {self.peak_gb:.1f} GB per GPU"
        word = "fits" if self.fits else "does not fit"
        return f"{word}: about {self.peak_gb:.1f} GB per GPU of {self.capacity_gb:g} GB"

    def to_dict(self) -> dict:
        query = dataclasses.asdict(self.query)
        query.pop("shape")
        return {
            "peak_gb": round(self.peak_gb, 2),
            "capacity_gb": self.capacity_gb,
            "fits": self.fits,
            "verdict": self.verdict,
            "parts_gb": {name: round(value, 2) for name, value in self.parts.items()},
            "settings": query,
            "suggestions": [
                {"change": s.change, "settings": s.settings, "peak_gb": round(s.peak_gb, 2)}
                for s in self.suggestions
            ],
        }


def uses_reference(query: MemoryQuery) -> bool:
    """Whether a separate reference copy sits in memory (never with LoRA: adapters are switched off)."""
    needed = algorithms.get(query.algorithm).needs_reference if query.reference is None else query.reference
    return needed and query.method == "full"


def parts_gb(query: MemoryQuery) -> dict[str, float]:
    """Memory per GPU by part, in GB (see the module docstring for each formula)."""
    shape = query.shape or ModelShape.from_params(query.params_b * 1e9)
    params = query.params_b * 1e9
    frozen = FROZEN_BYTES[query.precision]
    scale = 2 if query.precision == "fp32" else 1
    if query.method == "full":
        working = 4 if query.precision == "fp32" else 2
        weights, gradients = params * working, params * working
        optimizer = params * (TRAINED_BYTES - 2 * working)  # fp32 moments (+ fp32 master in 16-bit)
    else:
        adapters = shape.lora_params(query.lora_rank)  # trained in fp32: 4 + 4 + 8 bytes
        weights = params * (NF4_BYTES if query.method == "qlora" else frozen) + adapters * 4
        gradients, optimizer = adapters * 4, adapters * 8
    reference = params * frozen if uses_reference(query) else 0.0

    sequences = query.batch_size * (2 if query.algorithm in PAIRWISE else 1)
    tokens = sequences * query.seq_len
    if query.activation_checkpointing:
        per_token = (shape.layers * CHECKPOINT_BYTES + ACTIVATION_BYTES) * shape.hidden
    else:
        per_token = shape.layers * ACTIVATION_BYTES * shape.hidden
    activations = tokens * per_token * scale
    logits = tokens * shape.vocab * LOGIT_BYTES
    generation = 0.0
    if query.algorithm == "grpo":
        batch = query.generation_batch or query.batch_size
        generation = batch * query.seq_len * 2 * shape.layers * shape.kv * frozen

    shards = query.gpus if query.sharding != "none" else 1
    if query.sharding == "zero3":
        weights, reference = weights / shards, reference / shards
    gradients, optimizer = gradients / shards, optimizer / shards
    parts = {
        "weights": weights, "reference": reference, "gradients": gradients, "optimizer": optimizer,
        "activations": activations, "logits": logits, "generation": generation,
    }
    parts = {name: value / GIB for name, value in parts.items()}
    parts["overhead"] = CUDA_OVERHEAD_GB
    return parts


def estimate(query: MemoryQuery, capacity_gb: float | None = None) -> MemoryEstimate:
    """Peak memory per GPU for `query`; with a capacity, whether it fits and what would make it fit."""
    found = query.problems()
    if capacity_gb is not None and not capacity_gb > 0:
        found.append(f"GPU memory {capacity_gb} must be above 0 GB")
    if found:
        raise SpecError("cannot estimate memory: " + "; ".join(found))
    parts = parts_gb(query)
    result = MemoryEstimate(query, parts, sum(parts.values()), capacity_gb)
    if result.fits is False:
        result.suggestions = suggest(query, capacity_gb)
    return result


def _peak(query: MemoryQuery) -> float:
    return sum(parts_gb(query).values())


def _fits(query: MemoryQuery, capacity_gb: float) -> bool:
    return _peak(query) <= capacity_gb * USABLE_SHARE


def min_batch(algorithm: str) -> int:
    return 2 if algorithm == "kto" else 1  # KTO's KL estimate needs a second example per batch


def zero3_gpus(query: MemoryQuery, capacity_gb: float) -> int | None:
    """Fewest GPUs of this size over which ZeRO-3 makes `query` fit (None beyond MAX_GPUS)."""
    for gpus in range(max(2, query.gpus), MAX_GPUS + 1):
        if _fits(query.with_(gpus=gpus, sharding="zero3"), capacity_gb):
            return gpus
    return None


def suggest(query: MemoryQuery, capacity_gb: float) -> list[Suggestion]:
    """Single changes that make the run fit; failing those, one combined change."""
    found: list[Suggestion] = []

    def consider(change: str, settings: dict) -> None:
        candidate = query.with_(**settings)
        if _fits(candidate, capacity_gb):
            found.append(Suggestion(change, settings, _peak(candidate)))

    if not query.activation_checkpointing:
        consider("turn on activation checkpointing", {"activation_checkpointing": True})
    batch = query.batch_size // 2
    while batch >= min_batch(query.algorithm) and not _fits(query.with_(batch_size=batch), capacity_gb):
        batch //= 2
    if batch >= min_batch(query.algorithm):
        consider(f"per_device_train_batch_size {batch} (multiply gradient_accumulation_steps by "
                 f"{query.batch_size // batch} to keep the effective batch)", {"batch_size": batch})
    if query.method == "full":
        consider("train LoRA adapters (the reference is then the base with adapters off)", {"method": "lora"})
    if query.method != "qlora":
        consider("QLoRA: 4-bit base with LoRA adapters (needs CUDA and bitsandbytes)", {"method": "qlora"})
    if uses_reference(query) and query.algorithm in ("dpo", "ipo", "kto"):
        consider("turn on precompute_ref_log_probs (the reference scores the data once before training and "
                 "leaves memory)", {"reference": False})
    if uses_reference(query) and query.algorithm in ("dpo", "ipo"):
        consider("a reference-free algorithm on the same pairs: SimPO or ORPO", {"algorithm": "simpo"})
    if uses_reference(query) and query.algorithm == "grpo":
        consider("GRPO with beta 0 (no KL term, so no reference model)", {"reference": False})
    if query.seq_len > 256:
        consider(f"max_length {query.seq_len // 2}", {"seq_len": query.seq_len // 2})
    gpus = zero3_gpus(query, capacity_gb)
    if gpus:
        consider(f"DeepSpeed ZeRO-3 over {gpus} GPUs of {capacity_gb:g} GB", {"gpus": gpus, "sharding": "zero3"})
    if not found:
        found.append(_combined(query, capacity_gb))
    return found


def _combined(query: MemoryQuery, capacity_gb: float) -> Suggestion:
    """Every saving at once: checkpointing, QLoRA (or LoRA over several GPUs), the smallest batch."""
    lean = query.with_(activation_checkpointing=True, batch_size=min_batch(query.algorithm), method="qlora")
    if _fits(lean, capacity_gb):
        return Suggestion("activation checkpointing, QLoRA and the smallest batch together",
                          {"activation_checkpointing": True, "batch_size": lean.batch_size, "method": "qlora"},
                          _peak(lean))
    lean = lean.with_(method="lora")
    gpus = zero3_gpus(lean, capacity_gb)
    if gpus:
        return Suggestion(f"LoRA with activation checkpointing and the smallest batch, under DeepSpeed ZeRO-3 "
                          f"over {gpus} GPUs of {capacity_gb:g} GB",
                          {"activation_checkpointing": True, "batch_size": lean.batch_size, "method": "lora",
                           "gpus": gpus, "sharding": "zero3"},
                          _peak(lean.with_(gpus=gpus, sharding="zero3")))
    return Suggestion(f"nothing fits on GPUs of {capacity_gb:g} GB, even over {MAX_GPUS}: use larger GPUs "
                      "or a smaller model", {}, _peak(lean))


def plan(query: MemoryQuery, capacity_gb: float, gpus: int = 1) -> MemoryEstimate:
    """The least lossy way to train `query`'s model on `gpus` GPUs of `capacity_gb`.

    Tries full fine-tuning, full under ZeRO-3 (several GPUs), LoRA, LoRA under ZeRO-3, then
    QLoRA, each at the query's batch and then at halved batches (the caller keeps the effective
    batch with more accumulation); returns the first that fits, or the leanest try with its
    suggestions.
    """
    methods = [("full", "none"), ("full", "zero3"), ("lora", "none"), ("lora", "zero3"), ("qlora", "none")]
    tries = []
    for method, sharding in methods:
        if sharding == "zero3" and gpus < 2:
            continue
        batch = query.batch_size
        while batch >= min_batch(query.algorithm):
            tries.append(query.with_(method=method, sharding=sharding, gpus=gpus, batch_size=batch))
            batch //= 2
    for candidate in tries:
        if _fits(candidate, capacity_gb):
            return estimate(candidate, capacity_gb)
    return estimate(tries[-1], capacity_gb)


def query_from_spec(spec, params_b: float, shape: ModelShape | None = None) -> MemoryQuery:
    """The memory question a TrainSpec asks (its batch, lengths, precision, LoRA and hardware)."""
    args = spec.trl_args()
    precision = "bf16" if args.get("bf16", True) else "fp16" if args.get("fp16") else "fp32"
    method = "full" if spec.lora is None else "qlora" if spec.lora.quantize_4bit else "lora"
    batch = int(args.get("per_device_train_batch_size", 8))
    seq_len = int(args.get("max_length", 1024))
    generation_batch = None
    precomputed = args.get("precompute_ref_log_probs") is True  # TRL trains without the reference then
    if spec.algorithm == "grpo":
        seq_len = 512 + int(args.get("max_completion_length", 512))  # prompts up to ~512 tokens
        generation_batch = batch * int(args.get("gradient_accumulation_steps", 1))
    return MemoryQuery(
        algorithm=spec.algorithm, params_b=params_b, method=method, precision=precision,
        batch_size=batch, seq_len=seq_len,
        # Absent means on: the presets turn it on.
        activation_checkpointing=bool(args.get("activation_checkpointing", True)),
        gpus=max(1, spec.hardware.processes),
        sharding=SHARDING_OF_DISTRIBUTED.get(spec.hardware.distributed, "none"),
        lora_rank=spec.lora.r if spec.lora else 16,
        generation_batch=generation_batch,
        reference=False if precomputed or (spec.algorithm == "grpo" and args.get("beta", 0.0) == 0) else None,
        shape=shape,
    )
