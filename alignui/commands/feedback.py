"""`python -m alignui feedback ...`: list the arena's votes and thumbs, export them as training data."""

from alignui.commands.output import print_json
from alignui.commands.train import add_wait_options, report

#: Characters of a prompt shown per line by `feedback list`.
PROMPT_WIDTH = 50


def register(subparsers) -> None:
    feedback = subparsers.add_parser("feedback", help="list and export votes and thumbs from the Compare tab")
    commands = feedback.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")

    listing = commands.add_parser("list", help="list every vote and thumb, oldest first")
    listing.add_argument("--kind", choices=("vote", "thumb"), help="only votes or only thumbs")
    listing.add_argument("--rater", metavar="NAME", help="only this rater's feedback (a login name)")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    listing.set_defaults(func=run_list)

    export = commands.add_parser("export", help="write the feedback as TRL-ready JSONL")
    export.add_argument("--type", required=True, choices=("unpaired_preference", "preference"),
                        help="unpaired_preference: thumbs, for KTO; preference: votes as pairs, for DPO")
    export.add_argument("--out", required=True, metavar="FILE.jsonl")
    export.add_argument("--rater", metavar="NAME", help="only this rater's votes or thumbs (a login name)")
    export.add_argument("--json", action="store_true", help="print one JSON object")
    export.set_defaults(func=run_export)

    train = commands.add_parser(
        "train", help="save the feedback to the catalog and train the model further on it, as a job",
        description="Export the feedback (thumbs for KTO, votes as pairs for DPO) to the catalog and submit a "
                    "job that trains BASE on it: the presets for BASE's size, or a recipe's algorithm and settings.")
    train.add_argument("--type", required=True, choices=("unpaired_preference", "preference"),
                       help="unpaired_preference: thumbs, trained with KTO; preference: votes as pairs, with DPO")
    train.add_argument("--base", required=True, metavar="MODEL_OR_JOB",
                       help="the model to train further: a finished job's id, a model folder or a hub id")
    train.add_argument("--recipe", metavar="FILE", help="a recipe whose algorithm and settings to use")
    train.add_argument("--name", help="catalog name for the exported feedback (default: arena-TYPE-TIME)")
    add_wait_options(train)
    train.set_defaults(func=run_train)


def run_list(args) -> int:
    from alignui.arena.feedback import list_feedback

    records = list_feedback(args.kind, args.rater)
    if args.json:
        print_json({"feedback": records, "count": len(records)})
        return 0
    if not records:
        print("no feedback yet: vote or give thumbs in the Compare tab")
    for r in records:
        prompt = r["prompt"].replace("\n", " ")
        prompt = prompt if len(prompt) <= PROMPT_WIDTH else prompt[:PROMPT_WIDTH - 1] + "…"
        print(f"{r['id']:>5}  {r['created_at']}  {r['user'] or '-':12} {r['kind']:5} {r['value']:9} {r['role'] or '':9} "
              f"{r['model']}  {prompt!r}" + (f"  # {r['comment']}" if r["comment"] else ""))
    return 0


def run_export(args) -> int:
    from alignui.arena import feedback_export

    rows = feedback_export.write(args.type, args.out, args.rater)
    if args.json:
        print_json({"type": args.type, "rows": rows, "out": str(args.out),
                    **({"rater": args.rater} if args.rater is not None else {})})
    else:
        print(f"wrote {rows} {args.type} rows to {args.out}")
    return 0


def run_train(args) -> int:
    from alignui.arena import feedback_export
    from alignui.train import jobs

    entry = feedback_export.save(args.type, args.name or feedback_export.default_name(args.type))
    job = jobs.submit(feedback_export.continue_training(args.base, entry.name, args.type, args.recipe))
    if not args.json:
        print(f"saved {entry.rows} {entry.type} rows as {entry.name}")
    return report(jobs.wait(job["job_id"]) if args.wait else job, args)
