"""Evaluating an aligned model against the reference: prompt files, held-out splits, the verifier and
reward-model judges, arena votes, the stored history, and the `eval` CLI contract."""

import json
import re

import pytest
from conftest import run_cli
from test_arena_models import (  # noqa: F401 (fixture)
    add_finished_job,
    aligned_model,
    build_reward_model,
    built_once,
    train_answerer,
)

from alignui.arena import feedback
from alignui.arena.chat import Conversation, Exchange
from alignui.arena.models import resolve
from alignui.data import catalog
from alignui.errors import DataError, NotFound
from alignui.evaluate import run
from alignui.evaluate.judges import PromptItem

SUMS = [(2, 3), (4, 4), (1, 6), (7, 2), (5, 5), (3, 8)]
PROMPTS = [f"What is {a} + {b}?" for a, b in SUMS]
RIGHT = [a + b for a, b in SUMS]
# Which prompts each model was taught to answer correctly (the others get the sum plus one).
REFERENCE_RIGHT = {0, 1, 2}
ALIGNED_RIGHT = {0, 1, 3, 4}


def taught(right: set[int]) -> dict[str, str]:
    return {prompt: f"The answer is {total if i in right else total + 1}."
            for i, (prompt, total) in enumerate(zip(PROMPTS, RIGHT))}


@pytest.fixture(scope="module")
def answerers(tmp_path_factory):
    """(reference, aligned): tiny models that give known right and wrong answers."""
    return tuple(built_once(tmp_path_factory, name, lambda folder, r=right, s=seed: train_answerer(folder, taught(r), s))
                 for name, right, seed in (("ref-answerer", REFERENCE_RIGHT, 0),
                                           ("ali-answerer", ALIGNED_RIGHT, 1)))


@pytest.fixture
def prompt_file(tmp_path):
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps({"prompt": p, "answer": str(a)}) + "\n" for p, a in zip(PROMPTS, RIGHT)))
    return path


def verified(answer: str, expected: str) -> bool:
    """Our own check, independent of the verifier's code: the last number in the answer."""
    numbers = re.findall(r"-?\d+", answer)
    return bool(numbers) and numbers[-1] == expected


def test_the_eval_cli_returns_the_contract_and_its_numbers_add_up(answerers, prompt_file, alignui_home):
    reference, aligned = answerers
    job = add_finished_job(aligned)  # the aligned model as a finished training job
    result = run_cli("eval", "--reference", reference, "--aligned", job, "--prompts", prompt_file,
                     "--judge", "verifier", "--max-new-tokens", "12", "--json", home=alignui_home, check=True)
    report = json.loads(result.stdout)
    for field in ("n", "wins", "ties", "losses", "win_rate", "ci_low", "ci_high", "mean_length_reference",
                  "mean_length_aligned", "reference_accuracy", "aligned_accuracy"):
        assert field in report, field
    n = report["n"]
    assert n == len(PROMPTS) and report["wins"] + report["ties"] + report["losses"] == n
    assert report["win_rate"] == pytest.approx((report["wins"] + report["ties"] / 2) / n)
    assert 0 <= report["ci_low"] <= report["win_rate"] <= report["ci_high"] <= 1
    rows = report["per_prompt"]
    for side in ("reference", "aligned"):
        own = sum(verified(r[f"{side}_answer"], r["expected"]) for r in rows) / n
        assert 0 <= report[f"{side}_accuracy"] <= 1 and report[f"{side}_accuracy"] == pytest.approx(own)
        mean = sum(len(r[f"{side}_answer"]) for r in rows) / n
        assert report[f"mean_length_{side}"] == pytest.approx(mean)
    # The models answer exactly as taught.
    assert report["reference_accuracy"] == pytest.approx(len(REFERENCE_RIGHT) / n)
    assert report["aligned_accuracy"] == pytest.approx(len(ALIGNED_RIGHT) / n)
    assert (report["wins"], report["ties"], report["losses"]) == (2, 3, 1)
    assert (report["aligned"], report["reference"]) == (f"job:{job}", str(reference.resolve()))


def test_without_json_the_cli_prints_a_short_summary(capsys):
    from alignui.commands.evaluate import print_summary

    print_summary({"id": 4, "aligned": "job:2", "reference": "base", "judge": "verifier", "n": 6, "wins": 2,
                   "ties": 3, "losses": 1, "win_rate": 7 / 12, "ci_low": 0.3, "ci_high": 0.8,
                   "reference_accuracy": 0.5, "aligned_accuracy": 2 / 3,
                   "mean_length_reference": 16, "mean_length_aligned": 16.2})
    plain = capsys.readouterr().out
    assert "win rate 0.583 (95% CI 0.300-0.800) over 6 prompts: 2 wins, 3 ties, 1 losses" in plain
    assert "accuracy: reference 0.500, aligned 0.667" in plain


def test_the_eval_cli_explains_what_is_missing(answerers, tmp_path, alignui_home):
    reference, aligned = answerers
    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps({"prompt": "hi"}) + "\n")
    result = run_cli("eval", "--reference", reference, "--aligned", aligned, "--prompts", bare, home=alignui_home)
    assert result.returncode == 1 and "needs an `answer`" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("eval", "--reference", reference, "--aligned", aligned, home=alignui_home)
    assert result.returncode == 1 and "--prompts FILE or --dataset NAME" in result.stderr


def test_reports_are_kept_in_the_history(answerers, prompt_file):
    reference, aligned = answerers
    seen = []
    report = run.evaluate(str(reference), str(aligned), run.read_prompts(prompt_file), "verifier", 12,
                          source=str(prompt_file), progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (6, 6)
    assert run.get(report["id"]) == report
    latest = run.history()[0]
    assert latest["id"] == report["id"] and latest["judge"] == "verifier"
    assert (latest["wins"], latest["ties"], latest["losses"]) == (2, 3, 1)
    assert report["prompts"] == str(prompt_file) and report["max_new_tokens"] == 12
    with pytest.raises(NotFound):
        run.get(999)


def test_a_reward_model_judges_without_reference_answers(answerers, tmp_path_factory):
    reference, aligned = answerers
    judge = built_once(tmp_path_factory, "reward", build_reward_model)
    report = run.evaluate(str(reference), str(aligned), [PromptItem(p) for p in PROMPTS[:3]],
                          f"reward-model:{judge}", 12)
    assert report["n"] == 3 and "aligned_accuracy" not in report
    assert all(isinstance(r["aligned_score"], float) for r in report["per_prompt"])
    assert report["judge"] == f"reward-model:{judge}"


def test_the_held_out_split_of_a_saved_dataset_is_the_trainers(answerers):
    from alignui.data.jsonl import read_jsonl
    from alignui.data.split import split_rows

    rows = [{"prompt": f"What is {a} + {b}?", "answer": str(a + b)} for a in range(10) for b in range(4)]
    entry = catalog.save_rows(rows, "sums")
    items = run.held_out_prompts("sums", 0.1)
    _, held_out = split_rows(read_jsonl(entry.path), 0.1, 42)
    assert [(i.prompt, i.answer) for i in items] == [(r["prompt"], r["answer"]) for r in held_out]
    assert len(items) == 4
    catalog.save_rows(rows[:1], "tiny-set")
    with pytest.raises(DataError, match="holds none out"):
        run.held_out_prompts("tiny-set", 0.05)


def test_prompts_repeated_across_rows_are_evaluated_once(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps({"prompt": "Q", "chosen": c, "rejected": "bad"}) + "\n" for c in ("a", "b")))
    assert [i.prompt for i in run.read_prompts(path)] == ["Q"]


def test_arena_votes_give_a_win_rate_without_generating(tiny_model, aligned_model):  # noqa: F811
    ref, ali = resolve(str(tiny_model)), resolve(str(aligned_model))
    chat = Conversation(ref, ali, aligned_side="a")
    for number, vote in enumerate(["a", "a", "b", "tie", "both_bad"]):
        chat.exchanges.append(Exchange(f"e{number}", f"q{number}", {"a": "ali", "b": "reference"}, {}))
        feedback.record_vote(chat, vote)
    report = run.votes_report(str(tiny_model), str(aligned_model))
    assert (report["wins"], report["ties"], report["losses"]) == (2, 2, 1)
    assert report["judge"] == "human-votes" and report["mean_length_aligned"] == 3
    with pytest.raises(NotFound, match="no votes"):
        run.votes_report(str(aligned_model), str(aligned_model))
