"""`python -m alignui demo ...`: rebuild the offline demo, and check that alignment helps on it."""

import os
import sys

from alignui.commands.output import print_json


def register(subparsers) -> None:
    demo = subparsers.add_parser("demo", help="the offline demo model, its data, and a quick alignment run")
    commands = demo.add_subparsers(dest="demo_command", required=True, metavar="COMMAND")

    build = commands.add_parser(
        "build", help="rebuild the demo data and model (seeded; a few minutes on 2 cores)",
    )
    build.add_argument("--out", default=None, help="folder to build into (default: assets/demo/)")
    build.add_argument("--steps", type=int, default=None,
                       help="SFT steps (default: the tuned count); fewer build a weaker model sooner")
    build.add_argument("--json", action="store_true", help="print the result as one JSON object")
    build.set_defaults(func=run_build)

    run = commands.add_parser(
        "run", help="train the demo model with its recipe (a job, as `train --recipe` runs it) and measure "
                    "held-out accuracy (verifier) before and after",
    )
    run.add_argument("--algorithm", default="dpo", help="dpo (default), ipo, kto, simpo, orpo or grpo")
    run.add_argument("--steps", type=int, default=None, help="optimizer steps (default: the recipe's max_steps)")
    run.add_argument("--demo", default=None, help="demo folder (default: assets/demo/)")
    run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    run.set_defaults(func=run_alignment)


def report(fraction: float, message: str) -> None:
    print(f"{fraction:4.0%} {message}", file=sys.stderr, flush=True)


def run_build(args) -> int:
    from alignui.demo.build import Recipe, build, heldout_accuracy

    quiet_progress_bars()
    recipe = Recipe() if args.steps is None else Recipe(steps=args.steps)
    demo = build(args.out, recipe, progress=report)
    result = {"root": str(demo.root), "steps": recipe.steps, "heldout_accuracy": heldout_accuracy(demo)}
    if args.json:
        print_json(result)
    else:
        print(f"demo model and data written to {demo.root}; "
              f"held-out accuracy {result['heldout_accuracy']:.3f}")
    return 0


def quiet_progress_bars() -> None:
    """The libraries' own bars would interleave with our progress lines on stderr."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")


def run_alignment(args) -> int:
    from alignui.demo import paths
    from alignui.demo.align import align

    quiet_progress_bars()
    result = align(args.algorithm, steps=args.steps, demo=paths(args.demo), progress=report).to_dict()
    if args.json:
        print_json(result)
    else:
        for name, value in result.items():
            print(f"{name}: {value}")
    return 0
