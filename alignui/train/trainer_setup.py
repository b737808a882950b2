"""Assemble a TRL trainer from a TrainSpec: tokenizer, policy, data, config, LoRA and rewards.

Runs in the training processes (imports torch, transformers, trl and peft at module level).
"""

import json
import os
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

from alignui import rewards
from alignui.data.jsonl import read_jsonl
from alignui.errors import DataError, SpecError
from alignui.recipe.spec import LoraSpec, TrainSpec
from alignui.recipe.validate import machine_defaults
from alignui.train.run_folder import RunFolder


def load_tokenizer(model: str):
    """The model's tokenizer; one without a pad token pads with its end-of-sequence token."""
    path = adapter_base(model) or model
    tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def adapter_base(model: str) -> str | None:
    """The base model of a saved LoRA adapter folder (a checkpoint of a LoRA run), else None."""
    config = Path(model) / "adapter_config.json"
    if not config.is_file():
        return None
    return json.loads(config.read_text())["base_model_name_or_path"]


def load_policy(spec: TrainSpec):
    """The model to train, from safetensors only, never running code shipped with the model.

    A LoRA adapter folder loads as its base model with that adapter, still trainable. A reward
    model loads as a sequence classifier with one output (a new score head over the model's body).
    """
    kwargs = {"dtype": torch.float32, **(spec.args.get("model_init_kwargs") or {}),
              "trust_remote_code": False, "use_safetensors": True}
    auto = AutoModelForCausalLM
    if spec.algo.scores:
        auto, kwargs["num_labels"] = AutoModelForSequenceClassification, 1
    if spec.lora and spec.lora.quantize_4bit:
        kwargs["quantization_config"] = quantization_config()
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
    base = adapter_base(spec.model)
    try:
        model = auto.from_pretrained(base or spec.model, **kwargs)
    except (OSError, ValueError) as error:  # missing files, unknown architecture
        raise SpecError(f"cannot load model {spec.model!r}: {error}") from None
    if base:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, spec.model, is_trainable=True)
    return model


def quantization_config():
    """4-bit NF4 loading for QLoRA: only where CUDA and bitsandbytes exist."""
    if not torch.cuda.is_available():
        raise SpecError("QLoRA (lora.quantize_4bit) needs a CUDA GPU; turn it off to train plain LoRA")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise SpecError("QLoRA needs bitsandbytes: pip install bitsandbytes, or turn quantize_4bit off") from None
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16,
    )


def lora_config(lora: LoraSpec, scores: bool = False):
    """peft's LoRA config; a reward model's (SEQ_CLS) also trains and saves its new score head."""
    from peft import LoraConfig

    return LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                      target_modules=lora.target_modules, task_type="SEQ_CLS" if scores else "CAUSAL_LM")


def save_merged(trainer, folder: Path) -> None:
    """Replace a saved LoRA adapter by the merged model, so a reward model loads on its own anywhere."""
    model = trainer.accelerator.unwrap_model(trainer.model)
    if not hasattr(model, "merge_and_unload"):
        return
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        (folder / name).unlink(missing_ok=True)
    model.merge_and_unload().save_pretrained(folder)


def load_data(run: RunFolder):
    """The run's (train, eval) datasets from its run folder; eval is None when nothing is held out."""
    from datasets import Dataset

    train = read_jsonl(run.train_data)
    if not train:
        raise DataError(f"the training split {run.train_data} holds no rows")
    held_out = read_jsonl(run.eval_data) if run.eval_data.exists() else []
    return Dataset.from_list(train), Dataset.from_list(held_out) if held_out else None


def trl_config(spec: TrainSpec, run: RunFolder, has_eval: bool):
    """The algorithm's TRL config: the spec's fields over defaults that suit this machine and run."""
    args = spec.trl_args()
    args.pop("model_init_kwargs", None)  # used by load_policy; the trainer gets a loaded model
    defaults = machine_defaults(args)
    if has_eval:
        defaults["eval_strategy"] = args.get("save_strategy", "steps")
        if "save_steps" in args:
            defaults["eval_steps"] = args["save_steps"]  # an eval loss for every checkpoint
    config_class = spec.algo.config_class()
    try:
        return config_class(**{**defaults, **args, "output_dir": str(run.checkpoints)})
    except (ValueError, TypeError) as error:
        raise SpecError(f"{config_class.__name__}: {error}") from None


def trainer(spec: TrainSpec, run: RunFolder, callbacks: list):
    """The TRL trainer for this run, ready to train."""
    train, held_out = load_data(run)
    config = trl_config(spec, run, has_eval=held_out is not None)
    tokenizer = load_tokenizer(spec.model)
    model = load_policy(spec)
    kwargs = {"model": model, "args": config, "train_dataset": train, "eval_dataset": held_out,
              "processing_class": tokenizer, "callbacks": callbacks}
    if spec.lora and not adapter_base(spec.model):
        # No ref_model: TRL's reference is the same weights with the adapter switched off.
        kwargs["peft_config"] = lora_config(spec.lora, spec.algo.scores)
    if spec.algorithm == "grpo":
        kwargs["reward_funcs"] = rewards.build(train.column_names, config.max_completion_length,
                                               spec.reward_model)
    built = spec.algo.trainer_class()(**kwargs)
    if len(built.train_dataset) == 0:
        raise DataError(f"no training example is left after tokenizing: every one is longer than max_length="
                        f"{getattr(config, 'max_length', None)}; raise max_length or use shorter examples")
    return built
