"""`python -m alignui`: the command line, a thin face over the same core functions the UI calls.

Each command group lives in `alignui/commands/<group>.py` and exposes `register(subparsers)`.
"""

import argparse
import os
import sys

from alignui import __version__
from alignui.commands import advise, data, demo, evaluate, feedback, iterate, jobs, leaderboard, models, train, users
from alignui.errors import AlignUIError

GROUPS = [data, advise, train, jobs, feedback, evaluate, leaderboard, iterate, models, demo, users]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        # The console script installed by `pip install .` is `alignui`; otherwise `python -m alignui`.
        prog="alignui" if os.path.basename(sys.argv[0]) == "alignui" else "python -m alignui",
        description="Align language models with DPO, KTO and friends, from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"alignui {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(subparsers)
    return parser


#: Commands that read, start or resolve training jobs: the job table is made true before they run.
JOB_COMMANDS = {"train", "jobs", "feedback", "eval", "demo", "iterate", "leaderboard"}
#: Commands that read or save the dataset catalog: what a killed save left is cleaned first.
CATALOG_COMMANDS = {"data", "feedback", "train"}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in JOB_COMMANDS:
            from alignui.train.jobs import reconcile

            reconcile()  # jobs whose processes are gone are marked interrupted before anything reads them
        if args.command in CATALOG_COMMANDS:
            from alignui.data.catalog import clean_orphans

            clean_orphans()  # what a killed save left behind
        return args.func(args) or 0
    except AlignUIError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
