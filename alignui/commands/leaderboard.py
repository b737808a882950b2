"""`python -m alignui leaderboard`: Bradley-Terry ratings of every model that met another."""

from alignui.commands.output import print_json


def register(subparsers) -> None:
    board = subparsers.add_parser(
        "leaderboard", help="rate every model from arena votes and evaluations",
        description="A Bradley-Terry fit over every arena vote and evaluation between two models "
                    "(ties and both-bad count half), on an Elo-like scale (1000 + 400 * log10 strength), "
                    "with 95% intervals from 100 bootstrap rounds.")
    board.add_argument("--json", action="store_true", help="print one JSON object")
    board.set_defaults(func=run_leaderboard)


def run_leaderboard(args) -> int:
    from alignui.evaluate.leaderboard import leaderboard

    found = leaderboard()
    if args.json:
        print_json(found)
        return 0
    if not found["models"]:
        print("no model has met another yet: vote in the Compare tab or run `python -m alignui eval`")
    for rank, m in enumerate(found["models"], start=1):
        print(f"{rank:3d}. {m['rating']:7.1f}  [{m['ci_low']:7.1f}, {m['ci_high']:7.1f}]  "
              f"{m['battles']:5d} battles  {m['model']}")
    return 0
