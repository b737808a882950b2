"""The one check of a TrainSpec, run before any job row exists.

Every hyperparameter goes through the argument parser TRL's own command line uses
(`transformers.HfArgumentParser` over the algorithm's config class): each value is converted by that
field's type and checked against its choices, so `max_steps=abc`, `bf16=maybe` or
`lr_scheduler_type=wavy` are refused here, naming the field, instead of failing in the worker.
Numbers must be finite (NaN and Infinity are refused by name) and whole-number fields must fit in
64 bits' sane range. The config is then built once, so TRL's own cross-field checks run too; the
ranges of `ranges.FIELDS` add the article's limits and advice. All problems are gathered into one
error.
"""

import dataclasses
import difflib
import math
import warnings
from argparse import ArgumentTypeError

from alignui import algorithms, settings
from alignui.errors import SpecError
from alignui.model_info import local_size_b
from alignui.recipe import ranges
from alignui.recipe.spec import DISTRIBUTED, TrainSpec, config_fields

#: Largest whole number a config field may hold (steps, seeds, sizes): far above any real run.
INT_LIMIT = 2**31 - 1
#: LoRA ranks above this are refused (the adapter would be larger than most layers it adapts).
LORA_RANK_LIMIT = settings.MAX_LORA_RANK
#: Longest list of unknown field names one message spells out.
NAMES_SHOWN = 5


def review(spec: TrainSpec, model_size_b: float | None = None) -> ranges.Check:
    """Every problem (errors) and every piece of advice (warnings) about a spec's settings.

    The model size is the one given, else read from a local model folder (ranges depend on it).
    """
    result = ranges.Check()
    if spec.algorithm not in algorithms.ALGORITHMS:
        result.errors.append(f"unknown algorithm {spec.algorithm!r}; choose one of {', '.join(algorithms.ALGORITHMS)}")
        return result
    result.errors += _structure(spec)
    result.errors += unknown_fields(spec.algorithm, spec.args)
    typed, type_errors = typed_args(spec.algorithm, spec.args)
    if type_errors:  # the ranges below need numbers
        result.errors += type_errors
        return result
    typed_spec = dataclasses.replace(spec, args=typed)
    result.errors += _build_config(spec.algorithm, typed_spec.trl_args())
    size = model_size_b if model_size_b is not None else local_size_b(spec.model)
    found = ranges.check_spec(typed_spec, size)
    result.errors += found.errors
    result.warnings += found.warnings
    return result


def validate(spec: TrainSpec, model_size_b: float | None = None) -> TrainSpec:
    """The spec with its args converted to their TRL types; SpecError listing every problem otherwise."""
    found = [problem for problem, empty in (
        ("model is empty: give a local model folder or a hub id", not str(spec.model).strip()),
        ("dataset is empty: give a data file or a saved dataset's name", not str(spec.dataset).strip()),
    ) if empty] + review(spec, model_size_b).errors
    if found:
        raise SpecError("invalid training spec:\n- " + "\n- ".join(found))
    typed, _ = typed_args(spec.algorithm, spec.args)
    return dataclasses.replace(spec, args=typed)


def _structure(spec: TrainSpec) -> list[str]:
    """Problems outside the TRL config: fixed fields, split, hardware, LoRA."""
    found = []
    for name, value in spec.algo.fixed.items():
        if name in spec.args and spec.args[name] != value:
            found.append(f"{name} is fixed to {value!r} for {spec.algorithm}")
    if not _number(spec.eval_fraction) or not 0 <= spec.eval_fraction < 0.5:
        found.append(f"eval_fraction {spec.eval_fraction!r} must be at least 0 and below 0.5")
    hardware = spec.hardware
    for name in ("processes", "machines", "machine_rank", "main_port"):
        value = getattr(hardware, name)
        if not _whole(value) or not 0 <= value <= INT_LIMIT:
            found.append(f"hardware.{name} must be a whole number, not {value!r}")
    if _whole(hardware.processes) and hardware.processes < 1:
        found.append("hardware.processes must be at least 1")
    if _whole(hardware.machines) and hardware.machines < 1:
        found.append("hardware.machines must be at least 1")
    if _whole(hardware.machine_rank) and _whole(hardware.machines) and hardware.machine_rank >= hardware.machines:
        found.append(f"hardware.machine_rank {hardware.machine_rank} must be below machines {hardware.machines}")
    if _whole(hardware.machines) and hardware.machines > 1 and not str(hardware.main_address).strip():
        found.append("hardware.main_address is empty: a multi-machine run needs the rank-0 machine's address")
    if hardware.distributed not in DISTRIBUTED:
        found.append(f"hardware.distributed must be one of {', '.join(DISTRIBUTED)}")
    if not isinstance(hardware.gpus, str):
        found.append(f"hardware.gpus must be text such as \"0,1\", not {hardware.gpus!r}")
    lora = spec.lora
    if lora is not None:
        if not _whole(lora.r) or not 1 <= lora.r <= LORA_RANK_LIMIT:
            found.append(f"lora.r {lora.r!r} must be a whole number from 1 to {LORA_RANK_LIMIT}")
        if not _number(lora.alpha) or lora.alpha <= 0:
            found.append(f"lora.alpha {lora.alpha!r} must be a number above 0; alpha = 2 x r is the usual choice")
        if not _number(lora.dropout) or not 0 <= lora.dropout < 1:
            found.append(f"lora.dropout {lora.dropout!r} must be at least 0 and below 1; 0.05 is usual")
        targets = lora.target_modules
        if not (isinstance(targets, str) or (isinstance(targets, list) and targets
                                              and all(isinstance(t, str) for t in targets))):
            found.append(f"lora.target_modules must be \"all-linear\" or a list of module names, not {targets!r}")
        if not isinstance(lora.quantize_4bit, bool):
            found.append(f"lora.quantize_4bit must be true or false, not {lora.quantize_4bit!r}")
    if not isinstance(spec.reward_model, str):
        found.append(f"reward_model must be a model folder, not {spec.reward_model!r}")
    return found


def unknown_fields(algorithm: str, args: dict) -> list[str]:
    """One problem naming every key of `args` that is not a field of the algorithm's TRL config,
    with the closest field name where one is close."""
    known = config_fields(algorithm)
    config = algorithms.get(algorithm).config.split(":")[1]
    unknown = [name for name in args if name not in known]
    if not unknown:
        return []
    parts = []
    for name in unknown[:NAMES_SHOWN]:
        close = difflib.get_close_matches(str(name), list(known), n=1)
        parts.append(f"{str(name)[:80]!r}" + (f" (did you mean {close[0]}?)" if close else ""))
    more = f" and {len(unknown) - NAMES_SHOWN} more" if len(unknown) > NAMES_SHOWN else ""
    return [f"{', '.join(parts)}{more} {'is not a field' if len(unknown) == 1 else 'are not fields'} "
            f"of {config}; use the TRL config field names"]


def typed_args(algorithm: str, args: dict) -> tuple[dict, list[str]]:
    """`args` converted by TRL's argument parser field by field, and a problem for each bad value.

    Unknown names pass through untouched (`unknown_fields` reports them); mappings (such as
    model_init_kwargs) go to the config as they are.
    """
    actions = _parser_actions(algorithm)
    typed, found = {}, []
    for name, value in args.items():
        action = actions.get(name)
        if action is None or value is None or isinstance(value, dict):
            typed[name] = value
            continue
        try:
            typed[name] = _convert(action, value)
        except (ValueError, TypeError, ArgumentTypeError) as error:
            found.append(f"{name}: {error}")
    return typed, found


def _convert(action, value):
    """One value through its parser action: the field's type, choices, and list-ness."""
    many = action.nargs in ("+", "*")
    if isinstance(value, list) and not many:
        raise ValueError(f"takes one value, not a list {_short(value)}")
    items = value if isinstance(value, list) else [value]
    converted = [_one(action, item) for item in items]
    return converted if many else converted[0]


def _one(action, value):
    if isinstance(value, (list, dict)):
        raise ValueError(f"takes plain values, not {_short(value)}")
    kind = action.type
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, not {value!r}")
    if kind is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"must be a whole number, not {_short(value)}")
        try:
            number = int(value) if not isinstance(value, str) else int(value.strip())
        except ValueError:
            raise ValueError(f"must be a whole number, not {_short(value)}") from None
        if abs(number) > INT_LIMIT:
            raise ValueError(f"{number} is out of range (at most {INT_LIMIT})")
        return number
    if kind is float:
        if isinstance(value, bool):
            raise ValueError(f"must be a number, not {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"must be a number, not {_short(value)}") from None
        if not math.isfinite(number):
            raise ValueError(f"must be a finite number, not {_short(value)}")
        return number
    if isinstance(value, bool) and kind is not None and kind is not str:
        converted = value  # booleans given as booleans need no parsing
    else:
        try:
            converted = kind(str(value)) if kind is not None else value
        except (ValueError, ArgumentTypeError):
            raise ValueError(f"{_short(value)} is not a valid value") from None
    if action.choices and converted not in action.choices:
        raise ValueError(f"{_short(value)} is not one of {', '.join(map(str, action.choices))}")
    return converted


def _parser_actions(algorithm: str) -> dict:
    from transformers import HfArgumentParser

    parser = HfArgumentParser(algorithms.get(algorithm).config_class())
    return {action.dest: action for action in parser._actions}


def _build_config(algorithm: str, typed: dict) -> list[str]:
    """TRL's own checks across fields, with the settings a job on this machine adds (see machine_defaults)."""
    config_class = algorithms.get(algorithm).config_class()
    known = {name: value for name, value in typed.items() if name in config_fields(algorithm)}
    known.pop("model_init_kwargs", None)
    try:
        with warnings.catch_warnings():  # deprecation notices are TRL's business, not the user's
            warnings.simplefilter("ignore")
            config_class(**{**machine_defaults(known), **known, "output_dir": "unused"})
    except (ValueError, TypeError) as error:
        return [f"{config_class.__name__}: {_short(str(error), 400)}"]
    return []


def machine_defaults(args: dict) -> dict:
    """TRL config settings a job adds under the user's own, to suit this machine.

    On CPU, fp32 (faster than autocast there) and, with several processes, DDP over gloo; on a GPU
    without bfloat16, fp16. No logging service, no progress bars (the log is a file).
    """
    import torch

    defaults = {"report_to": "none", "disable_tqdm": True}
    if not torch.cuda.is_available():
        defaults.update(use_cpu=True, bf16=False)
    elif not torch.cuda.is_bf16_supported():
        defaults.update(bf16=False, fp16=True)
    else:
        defaults.update(bf16=True)
    return defaults


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
