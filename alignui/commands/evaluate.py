"""`python -m alignui eval ...`: the aligned model's win rate against the reference on a prompt set."""

import argparse

from alignui.commands.output import print_json
from alignui.data.split import DEFAULT_FRACTION, DEFAULT_SEED
from alignui.evaluate.judges import DEFAULT_TEMPLATE


def register(subparsers) -> None:
    evaluate = subparsers.add_parser(
        "eval", help="win rate of an aligned model against the reference",
        description="Both models answer every prompt (greedy decoding); a judge picks the better "
                    "answer. The report is kept in the evaluation history.",
        formatter_class=argparse.RawTextHelpFormatter)
    evaluate.add_argument("--reference", required=True, metavar="MODEL",
                          help="local folder, hub id, or finished job id")
    evaluate.add_argument("--aligned", required=True, metavar="MODEL_OR_JOB_ID",
                          help="finished job id, local folder, or hub id")
    prompts = evaluate.add_mutually_exclusive_group()
    prompts.add_argument("--prompts", metavar="FILE",
                         help="prompt file (JSONL, JSON, CSV, ...) with `prompt` and, for the verifier, `answer`")
    prompts.add_argument("--dataset", metavar="NAME", help="a saved dataset: evaluate on its held-out split")
    evaluate.add_argument("--held-out", type=float, default=DEFAULT_FRACTION, metavar="F",
                          help=f"with --dataset: the share held out from training (default {DEFAULT_FRACTION})")
    evaluate.add_argument("--seed", type=int, default=DEFAULT_SEED,
                          help=f"with --dataset: the split's seed (default {DEFAULT_SEED})")
    evaluate.add_argument("--judge", default="verifier", metavar="JUDGE",
                          help="verifier (answers checked against `answer`), reward-model:JOB_ID_OR_PATH "
                               "(a `reward` job or a sequence-classification model folder), llm:MODEL "
                               "(a chat model compares both answers, in both orders), or votes "
                               "(the arena's votes)")
    evaluate.add_argument("--judge-template", metavar="FILE",
                          help="with llm:MODEL, the judge's prompt: a text file with {question}, {answer_a} "
                               "and {answer_b}. The default:\n\n"
                               + DEFAULT_TEMPLATE.replace("%", "%%"))
    evaluate.add_argument("--max-new-tokens", type=int, default=256, metavar="N",
                          help="answer length limit (default 256; the server cap applies)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(func=run_eval)


def run_eval(args) -> int:
    from alignui.errors import DataError
    from alignui.evaluate import judges, run

    if args.judge == "votes":
        report = run.votes_report(args.reference, args.aligned)
    else:
        if args.prompts:
            items, source = run.read_prompts(args.prompts), args.prompts
        elif args.dataset:
            items, source = run.held_out_prompts(args.dataset, args.held_out, args.seed), args.dataset
        else:
            raise DataError("give the prompts: --prompts FILE or --dataset NAME")
        template = judges.read_template(args.judge_template) if args.judge_template else None
        report = run.evaluate(args.reference, args.aligned, items, args.judge, args.max_new_tokens, source,
                              judge_template=template)
    if args.json:
        print_json(report)
    else:
        print_summary(report)
    return 0


def print_summary(report: dict) -> None:
    print(f"evaluation {report['id']}: {report['aligned']} vs {report['reference']}, judge {report['judge']}")
    print(f"win rate {report['win_rate']:.3f} (95% CI {report['ci_low']:.3f}-{report['ci_high']:.3f}) "
          f"over {report['n']} prompts: {report['wins']} wins, {report['ties']} ties, {report['losses']} losses")
    if "aligned_accuracy" in report:
        print(f"accuracy: reference {report['reference_accuracy']:.3f}, aligned {report['aligned_accuracy']:.3f}")
    print(f"mean answer length (characters): reference {report['mean_length_reference']:.0f}, "
          f"aligned {report['mean_length_aligned']:.0f}")
