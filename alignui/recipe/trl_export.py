"""A TrainSpec exported for stock TRL, so any run can be reproduced outside alignui.

Two exports:

- a plain Python script that builds the algorithm's TRL config and trainer as alignui's training
  entry does (alignui/train/trainer_setup.py): the same config fields, LoRA block, held-out split and,
  for GRPO, the same rule-based rewards, whose source is copied into the script;
- a config for TRL's own command line, `trl dpo|kto|grpo|sft --config FILE.yaml`: TRL's parser
  reads the script, training and model fields from one flat mapping (`model_name_or_path`,
  `datasets: [{path, data_files, split}]`, `test_split_size`, the config fields, `use_peft` and
  `lora_*`, `load_in_4bit`) and hands the keys it does not know (`accelerate_config`,
  `num_processes`, ...) to `accelerate launch`. Its held-out split is TRL's own (unseeded), so
  only the validation rows differ. trl 1.16's CLI has no SimPO (CPO) or ORPO command (both live in
  trl.experimental): those two export the Python script only.

Both read the dataset's TRL-ready JSONL: a saved dataset's stored copy, or a data file normalised
by the data studio into the data home's cache.
"""

import inspect
import pprint
from pathlib import Path

import yaml

from alignui.data import split
from alignui.errors import SpecError
from alignui.recipe.spec import TrainSpec, config_fields
from alignui.recipe.validate import validate

#: `trl <command>` per algorithm (IPO is DPO with the ipo loss).
TRL_COMMANDS = {"sft": "sft", "dpo": "dpo", "ipo": "dpo", "kto": "kto", "grpo": "grpo", "reward": "reward"}
#: accelerate configs shipped with TRL, by our distribution strategy.
ACCELERATE_CONFIGS = {"deepspeed-zero2": "zero2", "deepspeed-zero3": "zero3", "fsdp": "fsdp2", "ddp": "multi_gpu"}
#: The GRPO reward functions the exported script defines, as the trl CLI config names them.
GRPO_REWARDS = ("answer_reward", "format_reward", "overlong_penalty")


def data_file(dataset: str) -> Path:
    """The TRL-ready JSONL behind a spec's dataset (see the module docstring)."""
    from alignui.data import catalog

    return Path(catalog.resolve(dataset)).resolve()


def output_dir(spec: TrainSpec) -> str:
    """Where the exported run saves its model: <algorithm>-<model folder name>."""
    return f"{spec.algorithm}-{Path(spec.model.rstrip('/')).name or 'model'}"


def python_script(spec: TrainSpec) -> str:
    """A standalone TRL script that trains `spec` (run it with python or accelerate launch)."""
    spec = validate(spec)
    algo = spec.algo
    config_class = algo.config.split(":")[1]
    trainer_class = algo.trainer.split(":")[1]
    qlora = spec.lora is not None and spec.lora.quantize_4bit
    imports = ["import json", "import random", ""] + (["import torch"] if qlora else [])
    imports.append("from datasets import Dataset")
    if spec.lora:
        imports.append("from peft import LoraConfig")
    imports.append("from transformers import AutoTokenizer" + (", BitsAndBytesConfig" if qlora else ""))
    lines = [
        f'"""Train {algo.title} on {spec.model}: the plain TRL equivalent of an alignui recipe.',
        "",
        "Run it with `python THIS_FILE.py`, or `accelerate launch THIS_FILE.py` on several GPUs.",
        '"""',
        "",
        *imports,
        "",
        *_trl_imports(algo),
        "",
        f"MODEL = {spec.model!r}",
        f"DATA_FILES = {str(data_file(spec.dataset))!r}",
        f"OUTPUT_DIR = {output_dir(spec)!r}",
        f"EVAL_FRACTION = {spec.eval_fraction!r}",
        f"ARGS = {_literal(spec.trl_args())}",
    ]
    trainer_kwargs = ["model=MODEL", "args=args", "train_dataset=train", "eval_dataset=held_out",
                      "processing_class=tokenizer"]
    if spec.algorithm == "grpo":
        lines += _grpo_rewards(spec)
        trainer_kwargs.insert(1, "reward_funcs=reward_funcs(train.column_names)")
    if spec.lora:
        trainer_kwargs.append(
            f"peft_config=LoraConfig(r={spec.lora.r}, lora_alpha={spec.lora.alpha}, lora_dropout="
            f"{spec.lora.dropout}, target_modules={spec.lora.target_modules!r}, "
            f"task_type=\"{'SEQ_CLS' if spec.algo.scores else 'CAUSAL_LM'}\")")
    lines += [
        "",
        "",
        "# ----- alignui's held-out split, grouped by prompt (alignui/data/split.py) -----",
        "DataError = ValueError",
        f"DEFAULT_FRACTION, DEFAULT_SEED = {split.DEFAULT_FRACTION!r}, {split.DEFAULT_SEED!r}",
        "",
        "",
        inspect.getsource(split.split_rows).rstrip(),
        "",
        "",
        "def main():",
        '    with open(DATA_FILES, encoding="utf-8") as source:',
        "        rows = [json.loads(line) for line in source if line.strip()]",
        f'    train_rows, held_rows = split_rows(rows, EVAL_FRACTION, ARGS.get("seed", {split.DEFAULT_SEED}))',
        "    train = Dataset.from_list(train_rows)",
        "    held_out = Dataset.from_list(held_rows) if held_rows else None",
        "    if held_out is not None:",
        '        ARGS.setdefault("eval_strategy", ARGS.get("save_strategy", "steps"))',
        "    tokenizer = AutoTokenizer.from_pretrained(MODEL)",
    ]
    if qlora:
        lines += [
            "    # QLoRA: the base model loads in 4-bit NF4 (needs CUDA and bitsandbytes).",
            '    ARGS["model_init_kwargs"] = {"quantization_config": BitsAndBytesConfig(',
            '        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16,',
            "        bnb_4bit_use_double_quant=True)}",
        ]
    lines += [
        f"    args = {config_class}(output_dir=OUTPUT_DIR, **ARGS)",
        f"    trainer = {trainer_class}(",
        *[f"        {kwarg}," for kwarg in trainer_kwargs],
        "    )",
        "    trainer.train()",
        "    trainer.save_model(OUTPUT_DIR)",
        "",
        "",
        'if __name__ == "__main__":',
        "    main()",
        "",
    ]
    return "\n".join(lines)


def _trl_imports(algo) -> list[str]:
    (config_module, config_class), (trainer_module, trainer_class) = (
        algo.config.split(":"), algo.trainer.split(":"))
    if config_module == trainer_module:
        return [f"from {config_module} import {config_class}, {trainer_class}"]
    return [f"from {config_module} import {config_class}", f"from {trainer_module} import {trainer_class}"]


def _grpo_rewards(spec: TrainSpec) -> list[str]:
    """alignui's GRPO rewards, copied from alignui.rewards, and how the script picks them."""
    from alignui import rewards

    source = inspect.getsource(rewards)
    source = source[:source.index("\ndef build(")].rstrip()  # the script picks its rewards below
    length = spec.trl_args().get("max_completion_length", config_fields("grpo")["max_completion_length"].default)
    return [
        f"REWARD_MODELS = {[spec.reward_model] if spec.reward_model else []!r}",
        "",
        "",
        "# ----- alignui's rule-based rewards (alignui/rewards.py) -----",
        source,
        "",
        "",
        f"overlong_penalty = length_reward({length})",
        "",
        "",
        "def reward_funcs(columns):",
        '    """Answer and format rewards with an `answer` column, the reward model if any, and the',
        '    overlong penalty."""',
        '    funcs = [answer_reward, format_reward] if "answer" in columns else []',
        "    funcs += REWARD_MODELS",
        "    if not funcs:",
        '        raise SystemExit("GRPO needs something to reward: an `answer` column or a reward model")',
        "    return funcs + [overlong_penalty]",
    ]


def trl_config(spec: TrainSpec, reward_module: str = "train") -> str:
    """A config for `trl <command> --config FILE.yaml` (dpo, kto, grpo, sft; IPO runs as dpo).

    For GRPO the rewards are the functions of the exported Python script, which TRL imports as
    `<reward_module>.<function>` from the working directory.
    """
    spec = validate(spec)
    command = TRL_COMMANDS.get(spec.algorithm)
    if command is None:
        raise SpecError(f"trl 1.16's command line has no {spec.algo.title} command (it lives in "
                        "trl.experimental): export the Python script instead")
    data = data_file(spec.dataset)
    config = {
        "model_name_or_path": spec.model,
        "datasets": [{"path": "json", "data_files": str(data), "split": "train"}],
        "output_dir": output_dir(spec),
    }
    if spec.eval_fraction > 0:
        config.update(test_split_size=spec.eval_fraction,
                      eval_strategy=spec.args.get("save_strategy", "steps"))
    config.update(spec.trl_args())
    if spec.lora:
        config.update(use_peft=True, lora_r=spec.lora.r, lora_alpha=spec.lora.alpha,
                      lora_dropout=spec.lora.dropout, lora_target_modules=spec.lora.target_modules)
        if spec.lora.quantize_4bit:
            config.update(load_in_4bit=True, bnb_4bit_quant_type="nf4", use_bnb_nested_quant=True)
    header = f"# {spec.algo.title} recipe for TRL's command line: trl {command} --config THIS_FILE.yaml\n"
    if spec.algorithm == "grpo":
        with data.open() as rows:
            has_answer = '"answer"' in rows.readline()
        names = GRPO_REWARDS if has_answer else GRPO_REWARDS[2:]
        config["reward_funcs"] = [f"{reward_module}.{name}" for name in names]
        if spec.reward_model:
            config["reward_model_name_or_path"] = spec.reward_model
        header += ("# The rewards come from the exported Python script: keep it next to this file as "
                   f"{reward_module}.py\n")
    config.update(_launch(spec))
    return header + yaml.safe_dump(config, sort_keys=False)


def _launch(spec: TrainSpec) -> dict:
    """accelerate launch settings (TRL passes the config keys it does not know on to accelerate)."""
    hardware = spec.hardware
    distributed = hardware.distributed
    if distributed in ("auto", "ddp"):
        distributed = "ddp" if hardware.processes > 1 or hardware.machines > 1 else None
    launch = {"accelerate_config": ACCELERATE_CONFIGS[distributed]} if distributed else {}
    if hardware.processes > 1 or hardware.machines > 1:
        launch["num_processes"] = hardware.processes * hardware.machines
    if hardware.machines > 1:
        launch.update(num_machines=hardware.machines, machine_rank=hardware.machine_rank,
                      main_process_ip=hardware.main_address, main_process_port=hardware.main_port)
    return launch


def export(spec: TrainSpec, script: Path | None = None, trl_yaml: Path | None = None,
           reward_module: str | None = None) -> list[Path]:
    """Write the Python script and/or the trl CLI config; return the paths written.

    The trl config's GRPO rewards are imported from the script's module (its file name), or
    from `reward_module` when given.
    """
    written = []
    if script is not None:
        Path(script).write_text(python_script(spec))
        written.append(Path(script))
    if trl_yaml is not None:
        module = reward_module or (Path(script).stem if script is not None else "train")
        Path(trl_yaml).write_text(trl_config(spec, module))
        written.append(Path(trl_yaml))
    return written


def _literal(value) -> str:
    return pprint.pformat(value, sort_dicts=False, width=100)
