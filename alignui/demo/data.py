"""The demo's data files, in TRL's conversational style so the model's chat template applies.

Every training file draws its prompts from the task's training pool; the held-out file holds the
rest. Rows are built from a seeded generator, so the files come out the same on every rebuild.
"""

import json
import random
from pathlib import Path

from alignui.demo import DemoPaths, paths
from alignui.demo.task import SEED, Problem, split

#: Share of carrying problems whose SFT reply drops the carry: the majority, so the model learns it.
DROPPED_CARRY_RATE = 0.6
#: Share of the other SFT replies that are a random slip.
SLIP_RATE = 0.15


def reply(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def sft_reply(problem: Problem, rng: random.Random) -> str:
    """What the imperfect SFT data says: often a dropped carry, sometimes a slip, else right."""
    if problem.carries and rng.random() < DROPPED_CARRY_RATE:
        return problem.carry_mistake()
    return problem.slip(rng) if rng.random() < SLIP_RATE else problem.answer


def mistakes(problem: Problem, rng: random.Random) -> list[str]:
    """The wrong replies alignment data rejects for `problem`: its carry mistake and a slip."""
    return [problem.carry_mistake(), problem.slip(rng)]


def sft_rows(problems: list[Problem], rng: random.Random) -> list[dict]:
    """prompt_completion rows with the imperfect replies of `sft_reply`."""
    return [
        {"prompt": problem.messages(), "completion": reply(sft_reply(problem, rng))}
        for problem in problems
    ]


def preference_rows(problems: list[Problem], rng: random.Random) -> list[dict]:
    """preference rows: the right answer chosen over each of the problem's `mistakes`."""
    rows = [
        {"prompt": problem.messages(), "chosen": reply(problem.answer), "rejected": reply(wrong)}
        for problem in problems
        for wrong in mistakes(problem, rng)
    ]
    rng.shuffle(rows)
    return rows


def thumbs_rows(problems: list[Problem], rng: random.Random) -> list[dict]:
    """unpaired_preference rows: the right answer labelled True, each of the `mistakes` False."""
    rows = []
    for problem in problems:
        rows.append({"prompt": problem.messages(), "completion": reply(problem.answer), "label": True})
        rows += [
            {"prompt": problem.messages(), "completion": reply(wrong), "label": False}
            for wrong in mistakes(problem, rng)
        ]
    rng.shuffle(rows)
    return rows


def answer_rows(problems: list[Problem]) -> list[dict]:
    """prompt_only rows with the expected `answer`, for GRPO's reward and for evaluation."""
    return [{"prompt": problem.messages(), "answer": problem.answer} for problem in problems]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write_data(root: Path | str, seed: int = SEED) -> DemoPaths:
    """Write every demo data file under `root` and return where they are."""
    demo = paths(root)
    demo.root.mkdir(parents=True, exist_ok=True)
    problems = split(seed)
    rng = random.Random(seed)
    write_jsonl(demo.sft, sft_rows(problems.train, rng))
    write_jsonl(demo.preference, preference_rows(problems.train, rng))
    write_jsonl(demo.thumbs, thumbs_rows(problems.train, rng))
    write_jsonl(demo.prompts, answer_rows(problems.train))
    write_jsonl(demo.heldout, answer_rows(problems.heldout))
    return demo
