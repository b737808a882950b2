"""The offline demo: task, tokenizer, data files, the committed model, and the alignment check."""

import json
import re

import pytest
from conftest import run_cli

from alignui import demo
from alignui.data.jsonl import read_jsonl
from alignui.demo import data, task
from alignui.demo.tokenizer import build_tokenizer

PROMPT_FILES = ("sft", "preference", "thumbs", "prompts")


def prompt_texts(path) -> set[str]:
    return {row["prompt"][-1]["content"] for row in read_jsonl(path)}


# ----- task -----

def test_split_keeps_heldout_out_of_training_pool():
    split = task.split()
    train = {(p.a, p.b) for p in split.train}
    heldout = {(p.a, p.b) for p in split.heldout}
    assert len(heldout) == task.HELDOUT_SIZE >= 100
    assert not train & heldout
    assert len(train | heldout) == task.MAX_OPERAND ** 2
    assert task.split() == split


def test_carry_mistake_drops_or_invents_the_carry():
    assert task.Problem(17, 25).carries and task.Problem(17, 25).carry_mistake() == "32"
    assert not task.Problem(12, 5).carries and task.Problem(12, 5).carry_mistake() == "27"


def test_slips_are_wrong_of_several_kinds_and_never_negative():
    problem = task.Problem(17, 25)
    slips = problem.slips()
    assert problem.answer not in slips and problem.carry_mistake() not in slips
    assert {int(s) - 42 for s in slips} == {-2, -1, 1, 2, 10}
    assert all(int(s) >= 0 for s in task.Problem(0, 1).slips())


@pytest.mark.parametrize("reply, expected", [
    ("42", True),
    ("The answer is 42.", True),
    ("41 or 42", True),
    ("42 or 41", False),
    ("43", False),
    ("", False),
    ([{"role": "assistant", "content": "42"}], True),
])
def test_verifier_reads_the_final_number(reply, expected):
    assert task.is_correct(reply, "42") is expected


def test_accuracy_reward_scores_each_completion():
    completions = [[{"role": "assistant", "content": "42"}], [{"role": "assistant", "content": "32"}]]
    assert task.accuracy_reward(completions, answer=["42", "42"]) == [1.0, 0.0]


# ----- tokenizer -----

def test_tokenizer_round_trips_task_text_one_character_per_token():
    tokenizer = build_tokenizer()
    for problem in task.split().heldout[:50]:
        for text in (problem.question, problem.answer):
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            assert len(ids) == len(text)
            assert tokenizer.unk_token_id not in ids
            assert tokenizer.decode(ids) == text


def test_chat_template_renders_and_prompt_is_prefix_of_conversation(tmp_path):
    from transformers import AutoTokenizer

    build_tokenizer().save_pretrained(tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    prompt = task.Problem(17, 25).messages()
    conversation = prompt + [{"role": "assistant", "content": "42"}]
    text = tokenizer.apply_chat_template(conversation, tokenize=False)
    assert text == "<|user|>17+25=<|end|><|assistant|>42<|end|>"
    prompt_ids = tokenizer.apply_chat_template(prompt, add_generation_prompt=True)["input_ids"]
    full = tokenizer.apply_chat_template(conversation, return_dict=True, return_assistant_tokens_mask=True)
    assert full["input_ids"][: len(prompt_ids)] == prompt_ids
    reply_ids = [i for i, mask in zip(full["input_ids"], full["assistant_masks"]) if mask]
    assert tokenizer.decode(reply_ids) == "42<|end|>"


# ----- data files -----

def test_written_data_matches_committed_assets(tmp_path):
    written = data.write_data(tmp_path)
    committed = demo.paths()
    for name in (*PROMPT_FILES, "heldout"):
        assert getattr(written, name).read_bytes() == getattr(committed, name).read_bytes(), name


def test_heldout_prompts_appear_in_no_training_file():
    files = demo.paths()
    heldout = prompt_texts(files.heldout)
    assert len(heldout) == task.HELDOUT_SIZE
    for path in files.training_files():
        assert not heldout & prompt_texts(path), path.name


def test_data_files_have_trl_columns_and_true_labels():
    files = demo.paths()
    answers = {row["prompt"][0]["content"]: int(row["answer"]) for row in read_jsonl(files.prompts)}

    def answer(row):
        return answers[row["prompt"][0]["content"]]

    preference = read_jsonl(files.preference)
    assert set(preference[0]) == {"prompt", "chosen", "rejected"}
    for row in preference:
        assert task.is_correct(row["chosen"], answer(row))
        assert not task.is_correct(row["rejected"], answer(row))
    carry_mistakes = [
        row for row in preference if abs(int(row["rejected"][0]["content"]) - answer(row)) == 10
    ]
    assert len(preference) / 2 <= len(carry_mistakes) < len(preference)
    for row in read_jsonl(files.thumbs):
        assert set(row) == {"prompt", "completion", "label"}
        assert row["label"] is task.is_correct(row["completion"], answer(row))
    sft = read_jsonl(files.sft)
    wrong = [row for row in sft if not task.is_correct(row["completion"], answer(row))]
    assert 0.2 < len(wrong) / len(sft) < 0.6


# ----- the committed model -----

@pytest.fixture(scope="module")
def committed():
    """The committed demo model and tokenizer, loaded as any user of transformers would."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = demo.paths().model
    return AutoModelForCausalLM.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)


def test_committed_model_loads_and_answers_with_a_number(committed):
    from alignui.demo.evaluate import greedy_replies

    model, tokenizer = committed
    assert sum(p.numel() for p in model.parameters()) < 2_000_000
    rows = read_jsonl(demo.paths().heldout)[:20]
    replies = greedy_replies(model, tokenizer, [row["prompt"] for row in rows])
    assert all(re.fullmatch(r"\d{1,3}", reply) for reply in replies), replies


def test_committed_model_often_drops_the_carry(committed):
    from alignui.demo.evaluate import accuracy

    heldout = task.split().heldout
    carrying = data.answer_rows([p for p in heldout if p.carries])
    plain = data.answer_rows([p for p in heldout if not p.carries])
    assert accuracy(*committed, carrying) < 0.5
    assert accuracy(*committed, plain) > 0.8


def test_build_is_seeded(tmp_path):
    from safetensors.torch import load_file

    from alignui.demo.build import Recipe, build

    recipe = Recipe(steps=3)
    seen = []
    first = build(tmp_path / "a", recipe, progress=lambda fraction, message: seen.append(fraction))
    second = build(tmp_path / "b", recipe)
    assert seen[-1] == 1.0
    weights = [load_file(folder.model / "model.safetensors") for folder in (first, second)]
    assert weights[0].keys() == weights[1].keys()
    assert all((weights[0][k] == weights[1][k]).all() for k in weights[0])


# ----- alignment check -----

def test_short_dpo_run_goes_through_the_job_engine_and_the_evaluation():
    from alignui.demo.align import align
    from alignui.evaluate import run
    from alignui.train import jobs

    result = align("dpo", steps=2).to_dict()
    job = jobs.show(result["job_id"])
    assert (job["status"], job["step"], job["algorithm"]) == ("succeeded", 2, "dpo")
    assert result["steps"] == 2 and result["heldout_n"] == task.HELDOUT_SIZE
    report = run.get(run.history(1)[0]["id"])  # the evaluation module's own stored report
    assert report["reference_accuracy"] == pytest.approx(result["reference_accuracy"], abs=1e-4)
    assert report["aligned_accuracy"] == pytest.approx(result["aligned_accuracy"], abs=1e-4)
    assert result["seconds"] >= result["train_seconds"] > 0


def test_cli_run_prints_one_json_object():
    result = run_cli("demo", "run", "--algorithm", "grpo", "--steps", "2", "--json", check=True)
    out = json.loads(result.stdout)
    assert {"reference_accuracy", "aligned_accuracy", "heldout_n", "seconds"} <= set(out)
    assert out["algorithm"] == "grpo"


def test_cli_run_refuses_an_algorithm_the_demo_has_no_recipe_for():
    result = run_cli("demo", "run", "--algorithm", "ppo")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "dpo" in result.stderr and "grpo" in result.stderr


def test_cli_build_writes_a_loadable_demo(tmp_path):
    result = run_cli("demo", "build", "--out", tmp_path / "demo", "--steps", "2", "--json", check=True)
    out = json.loads(result.stdout)
    assert out["steps"] == 2 and 0 <= out["heldout_accuracy"] <= 1
    assert "SFT step 2/2" in result.stderr
    assert demo.paths(tmp_path / "demo").exists()


def test_cli_build_refuses_zero_steps(tmp_path):
    result = run_cli("demo", "build", "--out", tmp_path, "--steps", "0")
    assert result.returncode == 1 and "steps must be at least 1" in result.stderr
