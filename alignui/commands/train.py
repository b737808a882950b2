"""`python -m alignui train ...`: submit a training job from a recipe or flags (and optionally wait)."""

from alignui.algorithms import ALGORITHMS
from alignui.commands.output import print_json
from alignui.data.split import DEFAULT_FRACTION


def register(subparsers) -> None:
    train = subparsers.add_parser(
        "train", help="train a model as a background job",
        description="Submit a training job from a recipe (a TrainSpec YAML) or from flags; flags given with "
                    "--recipe override its values. The job runs in the background through `accelerate "
                    "launch`; follow it with `python -m alignui jobs show ID`.",
    )
    train.add_argument("--recipe", metavar="FILE", help="a recipe YAML (e.g. assets/demo/recipes/dpo.yaml)")
    train.add_argument("--algorithm", choices=list(ALGORITHMS), help="required without --recipe")
    train.add_argument("--model", help="a local model folder or a hub id (required without --recipe)")
    train.add_argument("--data", metavar="PATH",
                       help="a data file (any format `data inspect` reads) or a saved dataset's name "
                            "(required without --recipe)")
    add_set_option(train)
    train.add_argument("--lora", action="store_true", help="train a LoRA adapter instead of every weight")
    train.add_argument("--processes", type=int, metavar="N",
                       help="training processes (one per GPU; on CPU, DDP over gloo); default 1")
    train.add_argument("--eval-fraction", type=float, metavar="F",
                       help=f"share of the rows held out for evaluation, each prompt on one side (default "
                            f"{DEFAULT_FRACTION}; 0 turns evaluation off)")
    train.add_argument("--gpus", metavar="IDS",
                       help="GPUs to use, as in CUDA_VISIBLE_DEVICES (e.g. 0,1); default: all")
    add_wait_options(train)
    train.set_defaults(func=run_train)


def add_set_option(parser) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="a field of the algorithm's TRL config, e.g. learning_rate=5e-7 (repeatable)")


def add_wait_options(parser) -> None:
    parser.add_argument("--wait", action="store_true", help="block until the job ends; exit 1 unless it succeeded")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def spec_from_args(args):
    """The TrainSpec the flags describe: the recipe's, with every given flag laid over it."""
    import dataclasses

    from alignui.errors import SpecError
    from alignui.recipe.assignments import parse_assignments
    from alignui.recipe.recipe_file import read_recipe
    from alignui.recipe.spec import HardwareSpec, LoraSpec, TrainSpec

    if args.recipe:
        spec = read_recipe(args.recipe)
    else:
        missing = [f"--{name}" for name in ("algorithm", "model", "data") if getattr(args, name) is None]
        if missing:
            raise SpecError(f"give a recipe (--recipe FILE) or {', '.join(missing)}")
        spec = TrainSpec(args.algorithm, args.model, args.data)
    changes = {name: value for name, value in
               (("algorithm", args.algorithm), ("model", args.model), ("dataset", args.data),
                ("eval_fraction", args.eval_fraction)) if value is not None}
    if args.set:
        changes["args"] = {**spec.args, **parse_assignments(args.set)}
    if args.lora and spec.lora is None:
        changes["lora"] = LoraSpec()
    hardware = {name: value for name, value in (("processes", args.processes), ("gpus", args.gpus))
                if value is not None}
    if hardware:
        changes["hardware"] = dataclasses.replace(spec.hardware or HardwareSpec(), **hardware)
    return dataclasses.replace(spec, **changes)


def run_train(args) -> int:
    from alignui.train import jobs

    job = jobs.submit(spec_from_args(args))
    return report(jobs.wait(job["job_id"]) if args.wait else job, args)


def report(job: dict, args) -> int:
    """Print a job as the train and jobs commands do; the exit code says whether a wait succeeded."""
    if args.json:
        print_json(job)
    else:
        print(f"job {job['job_id']}: {job['status']}")
        print(f"  run folder: {job['run_dir']}")
        print(f"  output:     {job['output_dir']}")
        if job["error"]:
            print(f"  error:      {job['error']}")
        if job["status"] in ("queued", "running"):
            print(f"  follow it:  python -m alignui jobs show {job['job_id']}")
    if getattr(args, "wait", False):
        return 0 if job["status"] == "succeeded" else 1
    return 0
