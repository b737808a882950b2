"""`python -m alignui data ...`: inspect, convert, save, list and delete datasets."""

import sys

from alignui.algorithms import DATASET_TYPES
from alignui.commands.output import print_json
from alignui.data.split import DEFAULT_SEED
from alignui.evaluate.pair_filter import DEFAULT_MIN_MARGIN

#: Errors printed by `data inspect` without --json; the JSON always has them all.
SHOWN_ERRORS = 20


def register(subparsers) -> None:
    data = subparsers.add_parser("data", help="inspect, convert and save feedback data")
    commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    inspect = commands.add_parser("inspect", help="detect the type, check every row, show stats")
    inspect.add_argument("path", help="JSONL, JSON, CSV, TSV or Parquet file, or a save_to_disk folder")
    inspect.add_argument("--tokenizer", metavar="DIR", help="model folder whose tokenizer measures lengths")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.set_defaults(func=run_inspect)

    convert = commands.add_parser("convert", help="write TRL-ready JSONL of another type")
    convert.add_argument("path")
    convert.add_argument("--to", required=True, choices=DATASET_TYPES, help="target dataset type")
    convert.add_argument("--out", required=True, metavar="OUT.jsonl")
    _conversion_options(convert)
    convert.add_argument("--validation-split", type=float, default=0.0, metavar="F",
                         help="hold out this share of the rows (e.g. 0.05) in OUT.validation.jsonl")
    convert.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the validation split")
    convert.add_argument("--json", action="store_true")
    convert.set_defaults(func=run_convert)

    save = commands.add_parser("save", help="save a normalised copy in the catalog under a name")
    save.add_argument("path")
    save.add_argument("--name", required=True)
    save.add_argument("--to", choices=DATASET_TYPES, help="convert to this type first")
    _conversion_options(save)
    save.add_argument("--overwrite", action="store_true", help="replace a saved dataset of that name")
    save.add_argument("--json", action="store_true")
    save.set_defaults(func=run_save)

    listing = commands.add_parser("list", help="list saved datasets")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_list)

    filtering = commands.add_parser(
        "filter", help="keep the preference pairs a reward model clearly agrees with",
        description="Score chosen and rejected with a reward model; keep pairs whose margin "
                    "score(chosen) - score(rejected) is at least --min-margin.")
    filtering.add_argument("path", metavar="PAIRS", help="preference data file or saved dataset")
    filtering.add_argument("--reward-model", required=True, metavar="JOB_OR_PATH",
                           help="a finished `reward` job id, or a sequence-classification model folder")
    filtering.add_argument("--min-margin", type=float, default=DEFAULT_MIN_MARGIN, metavar="M",
                           help=f"smallest margin kept (default {DEFAULT_MIN_MARGIN})")
    filtering.add_argument("--out", metavar="OUT.jsonl", help="write the kept pairs here")
    filtering.add_argument("--save-as", metavar="NAME", help="save the kept pairs in the catalog")
    filtering.add_argument("--json", action="store_true")
    filtering.set_defaults(func=run_filter)

    delete = commands.add_parser("delete", help="remove a saved dataset")
    delete.add_argument("name")
    delete.set_defaults(func=run_delete)


def _conversion_options(parser) -> None:
    from alignui.data.convert import ConversionOptions

    default = ConversionOptions()
    parser.add_argument("--chosen-min", type=float, default=default.chosen_min, metavar="R",
                        help="ratings → preference: lowest rating a chosen response may have "
                             f"(default {default.chosen_min:g})")
    parser.add_argument("--rejected-max", type=float, default=default.rejected_max, metavar="R",
                        help="ratings → preference: highest rating a rejected response may have "
                             f"(default {default.rejected_max:g})")
    parser.add_argument("--threshold", type=float, default=default.threshold, metavar="R",
                        help="ratings → unpaired_preference: rating from which a response is desirable "
                             f"(default {default.threshold:g})")


def _options(args):
    from alignui.data.convert import ConversionOptions

    return ConversionOptions(chosen_min=args.chosen_min, rejected_max=args.rejected_max, threshold=args.threshold)


def run_inspect(args) -> int:
    from alignui.data.report import inspect_file, no_rows_message

    report = inspect_file(args.path, tokenizer=args.tokenizer)
    if args.json:
        print_json(report.to_dict())
    else:
        print_report(report)
    if report.valid_rows == 0:
        print(f"error: {no_rows_message(report)}", file=sys.stderr)
        return 1
    return 0


def print_report(report) -> None:
    style = report.style + (", prompts extracted from chosen/rejected" if report.implicit_prompt else "")
    print(f"file:     {report.path} ({report.format})")
    print(f"type:     {report.type} ({style})")
    print(f"rows:     {report.rows} read, {report.valid_rows} valid, {len(report.errors)} skipped")
    if report.columns:
        print("renamed:  " + ", ".join(f"{raw} → {field}" for raw, field in report.columns.items()))
    print(f"trains:   {', '.join(report.algorithms) or 'no algorithm as it is'}")
    print(f"converts: {', '.join(report.conversions)}")
    for field, length in report.stats.get("lengths", {}).items():
        print(f"length of {field}: median {length['median']}, p95 {length['p95']}, max {length['max']} characters")
    for field, length in report.stats.get("tokens", {}).items():
        print(f"tokens in {field}: median {length['median']}, p95 {length['p95']}, max {length['max']}")
    balance = report.stats.get("label_balance")
    if balance:
        print(f"labels:   {balance['desirable']} desirable, {balance['undesirable']} undesirable")
    if report.errors:
        print("errors:")
        for error in report.errors[:SHOWN_ERRORS]:
            print(f"  row {error['row']}: {error['message']}")
        if len(report.errors) > SHOWN_ERRORS:
            print(f"  ... and {len(report.errors) - SHOWN_ERRORS} more (--json lists them all)")
    for warning in report.warnings:
        print(f"warning:  {warning}")


def run_convert(args) -> int:
    from alignui.data.jsonl import convert_file

    done = convert_file(args.path, args.to, args.out, _options(args), args.validation_split, args.seed)
    if args.json:
        print_json(done.__dict__)
        return 0
    print(f"wrote {done.rows} {done.type} rows ({done.style}) to {done.out}")
    if done.validation_out:
        print(f"wrote {done.validation_rows} validation rows to {done.validation_out}")
    if done.invalid_records:
        print(f"left out {done.invalid_records} invalid records (see `data inspect`)")
    for note in done.notes:
        print(f"note: {note}")
    return 0


def run_save(args) -> int:
    from alignui.data import catalog

    entry = catalog.save(args.path, args.name, to=args.to, options=_options(args), overwrite=args.overwrite)
    if args.json:
        print_json(entry.__dict__)
        return 0
    print(f"saved {entry.rows} {entry.type} rows ({entry.style}) as {entry.name!r} in {entry.path}")
    for note in entry.stats.get("notes", []):
        print(f"note: {note}")
    return 0


def run_list(args) -> int:
    from alignui.data import catalog

    entries = catalog.list_entries()
    if args.json:
        print_json({"datasets": [e.__dict__ for e in entries]})
        return 0
    if not entries:
        print("no saved datasets yet: `python -m alignui data save FILE --name NAME` adds one")
    for e in entries:
        print(f"{e.name}\t{e.type}\t{e.style}\t{e.rows} rows\t{e.created_at}\t{e.source}")
    return 0


def run_filter(args) -> int:
    from alignui.evaluate.pair_filter import filter_pairs

    report = filter_pairs(args.path, args.reward_model, args.min_margin, out=args.out, save_as=args.save_as)
    if args.json:
        print_json(report.to_dict())
        return 0
    print(f"kept {report.kept} pairs, dropped {report.dropped} (margin < {report.min_margin:g}); "
          f"mean margin {report.mean_margin:.3g}")
    widest = max((b["count"] for b in report.histogram), default=0) or 1
    for b in report.histogram:
        print(f"  {b['low']:8.3g} .. {b['high']:8.3g}  {b['count']:6d}  {'#' * round(40 * b['count'] / widest)}")
    for where in (report.out, report.name):
        if where:
            print(f"kept pairs: {where}")
    return 0


def run_delete(args) -> int:
    from alignui.data import catalog

    catalog.delete(args.name)
    print(f"deleted {args.name!r}")
    return 0
