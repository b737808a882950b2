"""`advise`: rank the alignment algorithms for your data, GPUs and goals.
`recipe check|export`: validate a saved recipe, or export it as a TRL script and `trl` CLI config."""

from pathlib import Path

from alignui.algorithms import DATASET_TYPES
from alignui.commands.output import print_json
from alignui.errors import SpecError


def register(subparsers) -> None:
    advise = subparsers.add_parser(
        "advise", help="recommend an alignment algorithm and its hyperparameters",
        description="Rank SFT, DPO, IPO, KTO, SimPO, ORPO and GRPO for your data, hardware and goals, "
                    "following the selection checklist of the alignment review, with preset "
                    "hyperparameters (TRL config field names) and a memory estimate.")
    advise.add_argument("--data", required=True, choices=DATASET_TYPES, metavar="TYPE",
                        help=f"your dataset's type: {', '.join(DATASET_TYPES)}")
    advise.add_argument("--gpu-memory-gb", type=float, metavar="N", help="memory of one GPU, in GB")
    advise.add_argument("--gpu-count", type=int, default=1, metavar="N", help="GPUs available (default 1)")
    advise.add_argument("--model-size-b", type=float, metavar="N", help="model size in billions of parameters")
    advise.add_argument("--model", metavar="MODEL",
                        help="local model folder or hub id: its size and whether it looks instruction-tuned "
                             "are read from its config")
    advise.add_argument("--no-sft", action="store_true", help="the model is a base model without SFT")
    advise.add_argument("--single-pass", action="store_true", help="finish SFT and alignment in one pass")
    advise.add_argument("--verifiable", action="store_true", help="answers can be checked by a rule (math, code)")
    advise.add_argument("--concern", action="append", choices=["overfitting", "data-quality"], default=[],
                        help="overfitting, or uncertain data quality (repeatable)")
    advise.add_argument("--goal", action="append", choices=["max-quality", "judge"], default=[],
                        help="max-quality: maximum performance is the goal; judge: a reward model is wanted "
                             "(evaluation, GRPO, pair filtering)")
    advise.add_argument("--labels", metavar="D:U",
                        help="desirable:undesirable row counts of binary feedback, to weight KTO")
    advise.add_argument("--json", action="store_true", help="print one JSON object")
    advise.set_defaults(func=run_advise)

    recipe = subparsers.add_parser("recipe", help="check or export a saved training recipe (YAML)")
    actions = recipe.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="validate a recipe: refused values and advice")
    check.add_argument("path", type=Path, metavar="RECIPE.yaml")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=run_check)
    export = actions.add_parser("export", help="export a recipe as a plain TRL script and/or a trl CLI config")
    export.add_argument("path", type=Path, metavar="RECIPE.yaml")
    export.add_argument("--script", type=Path, metavar="OUT.py", help="write a standalone TRL Python script")
    export.add_argument("--trl-config", type=Path, metavar="OUT.yaml",
                        help="write a config for `trl <dpo|kto|grpo|sft> --config OUT.yaml`")
    export.add_argument("--json", action="store_true", help="print one JSON object")
    export.set_defaults(func=run_export)


def situation_from_args(args):
    """The checklist answers the command line gives (reading --model when given)."""
    from alignui.advisor.checklist import Situation, parse_label_counts

    labels = parse_label_counts(args.labels)
    size, shape, has_sft, model = args.model_size_b, None, not args.no_sft, None
    if args.model:
        from alignui.model_info import inspect_model

        model = inspect_model(args.model)
        size = size if size is not None else model.params_b
        shape = model.shape
        has_sft = has_sft and model.looks_instruct
    situation = Situation(
        data_type=args.data, gpu_memory_gb=args.gpu_memory_gb, gpu_count=args.gpu_count, model_size_b=size,
        has_sft=has_sft, single_pass=args.single_pass, verifiable=args.verifiable,
        overfitting="overfitting" in args.concern, data_quality_uncertain="data-quality" in args.concern,
        max_quality="max-quality" in args.goal, wants_judge="judge" in args.goal, label_counts=labels, model_shape=shape,
    )
    return situation, model


def run_advise(args) -> int:
    from alignui.advisor.checklist import advise

    situation, model = situation_from_args(args)
    advice = advise(situation)
    result = advice.to_dict()
    if model is not None:
        result["model"] = model.to_dict()
    if args.json:
        print_json(result)
        return 0
    print(f"For {situation.data_type} data, best first:")
    for rec in result["recommendations"]:
        print(f"\n{rec['rank']}. {rec['title']}")
        for reason in rec["reasons"]:
            print(f"   + {reason}")
        for caution in rec["cautions"]:
            print(f"   ! {caution}")
        print("   hyperparameters: " + ", ".join(f"{k}={v}" for k, v in rec["hyperparameters"].items()))
        print(f"   training: {rec['training']['method']}" + (f"; memory {rec['memory']['verdict']}"
                                                             if rec["memory"] else ""))
    if result["not_recommended"]:
        print("\nNot recommended:")
        for item in result["not_recommended"]:
            print(f"   - {item['algorithm']}: {item['why']}")
    return 0


def run_check(args) -> int:
    from alignui.recipe.recipe_file import read_recipe
    from alignui.recipe.validate import review

    spec = read_recipe(args.path)
    found = review(spec)
    errors, warnings = found.errors, found.warnings
    if args.json:
        print_json({"ok": not errors, "errors": errors, "warnings": warnings})
        return 1 if errors else 0
    if errors:
        raise SpecError("invalid training spec:\n- " + "\n- ".join(errors))
    print(f"{args.path}: valid {spec.algo.title} recipe")
    for warning in warnings:
        print(f"advice: {warning}")
    return 0


def run_export(args) -> int:
    from alignui.recipe import trl_export
    from alignui.recipe.recipe_file import load_recipe

    if args.script is None and args.trl_config is None:
        raise SpecError("say what to export: --script OUT.py and/or --trl-config OUT.yaml")
    written = trl_export.export(load_recipe(args.path), args.script, args.trl_config)
    if args.json:
        print_json({"written": [str(path) for path in written]})
    else:
        for path in written:
            print(f"wrote {path}")
    return 0
