"""`python -m alignui train ...`: submit a training job (and optionally wait for it)."""

from alignui.algorithms import ALGORITHMS
from alignui.commands.output import print_json


def register(subparsers) -> None:
    train = subparsers.add_parser(
        "train", help="train a model as a background job",
        description="Submit a training job. It runs in the background through `accelerate launch`; "
                    "follow it with `python -m alignui jobs show ID`.",
    )
    train.add_argument("--algorithm", required=True, choices=list(ALGORITHMS))
    train.add_argument("--model", required=True, help="a local model folder or a hub id")
    train.add_argument("--data", required=True, metavar="PATH",
                       help="a data file (any format `data inspect` reads) or a saved dataset's name")
    add_set_option(train)
    train.add_argument("--lora", action="store_true", help="train a LoRA adapter instead of every weight")
    train.add_argument("--processes", type=int, default=1, metavar="N",
                       help="training processes (one per GPU; on CPU, DDP over gloo)")
    train.add_argument("--eval-fraction", type=float, default=0.05, metavar="F",
                       help="share of the rows held out for evaluation (default 0.05; 0 turns evaluation off)")
    train.add_argument("--gpus", default="", metavar="IDS",
                       help="GPUs to use, as in CUDA_VISIBLE_DEVICES (e.g. 0,1); default: all")
    train.add_argument("--backend", choices=["local", "ray"], default=None,
                       help="where the job runs: this machine (default), or a Ray cluster "
                            "(the default when ALIGNUI_RAY_ADDRESS is set)")
    train.add_argument("--address", metavar="URL",
                       help="the Ray cluster's dashboard address, e.g. http://HEAD:8265 (default: $ALIGNUI_RAY_ADDRESS)")
    train.add_argument("--wait", action="store_true", help="block until the job ends; exit 1 unless it succeeded")
    train.add_argument("--json", action="store_true", help="print one JSON object")
    train.set_defaults(func=run_train)


def add_set_option(parser) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="a field of the algorithm's TRL config, e.g. learning_rate=5e-7 (repeatable)")


def run_train(args) -> int:
    from alignui.train import backends, fields, jobs
    from alignui.train.spec import HardwareSpec, LoraSpec, TrainSpec

    spec = TrainSpec(
        algorithm=args.algorithm, model=args.model, dataset=args.data,
        args=fields.parse_assignments(args.set), lora=LoraSpec() if args.lora else None,
        hardware=HardwareSpec(gpus=args.gpus, processes=args.processes), eval_fraction=args.eval_fraction,
    )
    job = jobs.submit(spec, backend=backends.choose(args.backend or ("ray" if args.address else None), args.address))
    return report(jobs.wait(job["job_id"]) if args.wait else job, args)


def report(job: dict, args) -> int:
    """Print a job as the train and jobs commands do; the exit code says whether a wait succeeded."""
    if args.json:
        print_json(job)
    else:
        print(f"job {job['job_id']}: {job['status']}")
        print(f"  run folder: {job['run_dir']}")
        print(f"  output:     {job['output_dir']}")
        if job.get("cluster_job_id"):
            print(f"  Ray job:    {job['cluster_job_id']}")
        if job["error"]:
            print(f"  error:      {job['error']}")
        if job["status"] in ("queued", "running"):
            print(f"  follow it:  python -m alignui jobs show {job['job_id']}")
    if getattr(args, "wait", False):
        return 0 if job["status"] == "succeeded" else 1
    return 0
