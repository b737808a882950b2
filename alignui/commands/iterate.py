"""`python -m alignui iterate ...`: on-policy rounds (iterative DPO) from prompts and a judge."""

import argparse

from alignui.commands.output import print_json
from alignui.iterate import IterateSettings

DEFAULTS = IterateSettings(recipe="", prompts="")


def register(subparsers) -> None:
    iterate = subparsers.add_parser(
        "iterate", help="on-policy rounds: sample, judge, pair best vs worst, train, measure",
        description="Each round samples --samples answers per prompt from the current model, scores them "
                    "with the judge, pairs each prompt's best answer with its worst, trains one round of the "
                    "recipe (a training job) on those pairs, and measures the new model on the held-out prompts.")
    iterate.add_argument("--recipe", metavar="FILE", help="training recipe (TrainSpec YAML): model, "
                         "algorithm (dpo, ipo, simpo, orpo) and hyperparameters; its dataset is replaced")
    iterate.add_argument("--prompts", metavar="FILE", help="prompt file (`prompt`; `answer` for the verifier)")
    iterate.add_argument("--judge", default=DEFAULTS.judge, metavar="JUDGE",
                         help="verifier, reward-model:JOB_OR_PATH or llm:MODEL (default verifier)")
    iterate.add_argument("--judge-template", metavar="FILE", help="with llm:MODEL, the judge's prompt template")
    iterate.add_argument("--rounds", type=int, default=DEFAULTS.rounds, metavar="R")
    iterate.add_argument("--samples", type=int, default=DEFAULTS.samples, metavar="K",
                         help=f"answers sampled per prompt and round (default {DEFAULTS.samples})")
    iterate.add_argument("--heldout", metavar="FILE", help="prompts each round is measured on (default: a "
                         "share of --prompts that no round trains on)")
    iterate.add_argument("--heldout-fraction", type=float, default=DEFAULTS.heldout_fraction, metavar="F",
                         help=f"without --heldout, the share of --prompts held out and measured on (default "
                              f"{DEFAULTS.heldout_fraction}; 0 measures nothing)")
    iterate.add_argument("--temperature", type=float, default=DEFAULTS.temperature,
                         help=f"sampling temperature (default {DEFAULTS.temperature})")
    iterate.add_argument("--max-new-tokens", type=int, default=DEFAULTS.max_new_tokens, metavar="N",
                         help=f"answer length limit (default {DEFAULTS.max_new_tokens})")
    iterate.add_argument("--wait", action="store_true",
                         help="run the rounds here and print the result; without it they run in the background")
    iterate.add_argument("--list", action="store_true", help="list the on-policy runs and their rounds")
    iterate.add_argument("--json", action="store_true", help="print one JSON object")
    iterate.add_argument("--id", type=int, help=argparse.SUPPRESS)  # the background run's reserved id
    iterate.add_argument("--owner", help=argparse.SUPPRESS)  # the account a background run acts as
    iterate.set_defaults(func=run_iterate)


def run_iterate(args) -> int:
    from alignui import iterate
    from alignui.errors import SpecError
    from alignui.evaluate import judges
    from alignui.people import acting

    if args.list:
        runs = iterate.list_runs()
        if args.json:
            print_json({"iterations": runs})
        for found in [] if args.json else runs:
            print(f"run {found['id']}: {found['status']}, {len(found['rounds'])} round(s), "
                  f"final model {found['final_model']}")
        return 0
    if not (args.recipe and args.prompts):
        raise SpecError("give --recipe FILE and --prompts FILE")
    config = IterateSettings(
        recipe=args.recipe, prompts=args.prompts, judge=args.judge, rounds=args.rounds, samples=args.samples,
        heldout=args.heldout, heldout_fraction=args.heldout_fraction, temperature=args.temperature,
        max_new_tokens=args.max_new_tokens,
        judge_template=judges.read_template(args.judge_template) if args.judge_template else None)
    if not args.wait:
        found = iterate.start(config)
        print_json(found) if args.json else print(f"on-policy run {found['iteration_id']} started; "
                                                  f"follow it with `python -m alignui iterate --list`")
        return 0
    quiet = args.json
    with acting.acting_as(_account(args.owner)):
        record = iterate.run(config, progress=lambda message: None if quiet else print(message, flush=True),
                             iteration_id=args.id)
    if args.json:
        print_json(record)
        return 0
    for entry in record["rounds"]:
        measured = ", ".join(f"{k} {entry[k]}" for k in ("heldout_accuracy", "win_rate") if k in entry)
        print(f"round {entry['round']}: job {entry['job_id']}, {entry['pairs']} pairs, {measured}, "
              f"{entry['seconds']} s")
    print(f"final model: {record['final_model']}")
    return 0


def _account(name: str | None):
    """The account a background run started from the web acts as (None: the local operator)."""
    if not name:
        return None
    from alignui.errors import Forbidden
    from alignui.people import accounts

    user = accounts.get(name)
    if user is None:
        raise Forbidden(f"the account {name!r} that started this run no longer exists")
    return user
