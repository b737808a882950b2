"""The LLM judge: each pair read in both orders, a verdict only when both agree, the template the
user sees and can change; mechanics on a tiny model (its verdicts mean nothing)."""

import json

import pytest
from conftest import run_cli
from test_arena_models import aligned_model  # noqa: F401 (fixture)

from alignui.errors import DataError
from alignui.evaluate import judges
from alignui.evaluate.judges import DEFAULT_TEMPLATE, PromptItem

ITEMS = [PromptItem(f"What is {a} + {b}?") for a, b in [(1, 2), (3, 4), (5, 6), (2, 2), (7, 1), (9, 0)]]
FIRST = ["3", "The answer is 7.", "eleven", "4!", "8 it is", "9"]
SECOND = ["4", "7", "The answer is 11.", "22", "no idea", "nine, clearly"]


def preference_alone(judge, item, a, b) -> float:
    """log P(A) - log P(B) for one prompt, unbatched and unpadded, straight from the model."""
    import torch

    tokenizer, model = judge.loaded.tokenizer, judge.loaded.model
    text = tokenizer.apply_chat_template([{"role": "user", "content": judge.prompt(item, a, b)}],
                                         add_generation_prompt=True, tokenize=False)
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        last = model(**ids).logits[0, -1].log_softmax(-1)
    return float(last[judge.letters[0][0]] - last[judge.letters[1][0]])


def test_a_verdict_needs_both_orders_to_agree(tiny_model):
    judge = judges.make(f"llm:{tiny_model}")
    verdicts = judge.compare(ITEMS, FIRST, SECOND)
    for item, a, b, verdict in zip(ITEMS, FIRST, SECOND, verdicts):
        forward, backward = preference_alone(judge, item, a, b), preference_alone(judge, item, b, a)
        expected = 1.0 if forward > 0 > backward else 0.0 if backward > 0 > forward else 0.5
        assert verdict == expected, (a, b, forward, backward)
    batched = judge.preferences(ITEMS, FIRST, SECOND)
    assert batched == pytest.approx([preference_alone(judge, i, a, b) for i, a, b in zip(ITEMS, FIRST, SECOND)],
                                    abs=1e-4)
    # The same answer in both places reads the same in both orders: a tie, whatever the model favours.
    assert judge.compare(ITEMS, FIRST, FIRST) == [0.5] * len(ITEMS)
    scores = judges.pair_scores(judge, ITEMS, FIRST, SECOND)
    assert scores == (verdicts, [1 - v for v in verdicts])


def test_the_template_is_the_users_and_must_name_every_part(tiny_model, tmp_path):
    custom = "Q: {question}\nFirst: {answer_a}\nSecond: {answer_b}\nBetter (A or B)?"
    judge = judges.make(f"llm:{tiny_model}", custom)
    assert judge.prompt(ITEMS[0], "x {answer_b}", "y") == "Q: What is 1 + 2?\nFirst: x {answer_b}\nSecond: y\nBetter (A or B)?"
    assert judges.make(f"llm:{tiny_model}").template == DEFAULT_TEMPLATE
    with pytest.raises(DataError, match=r"lacks \{answer_b\}"):
        judges.make(f"llm:{tiny_model}", "Q: {question} A: {answer_a}")
    with pytest.raises(DataError, match="gives no score to one answer"):
        judge.scores(ITEMS, FIRST)


def test_eval_with_an_llm_judge_and_a_template_file(tiny_model, aligned_model, tmp_path, alignui_home):  # noqa: F811
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": item.prompt}) + "\n" for item in ITEMS))
    template = tmp_path / "judge.txt"
    template.write_text("Question: {question}\n[A] {answer_a}\n[B] {answer_b}\nWhich is better, A or B?")
    result = run_cli("eval", "--reference", tiny_model, "--aligned", aligned_model, "--prompts", prompts,
                     "--judge", f"llm:{tiny_model}", "--judge-template", template, "--max-new-tokens", "6",
                     "--json", home=alignui_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["judge"] == f"llm:{tiny_model}" and report["judge_template"] == template.read_text()
    assert report["wins"] + report["ties"] + report["losses"] == report["n"] == len(ITEMS)
    for row in report["per_prompt"]:
        assert row["aligned_score"] + row["reference_score"] == 1.0
    bad = tmp_path / "bad.txt"
    bad.write_text("{question} only")
    refused = run_cli("eval", "--reference", tiny_model, "--aligned", aligned_model, "--prompts", prompts,
                      "--judge", f"llm:{tiny_model}", "--judge-template", bad, home=alignui_home)
    assert refused.returncode == 1 and "lacks {answer_a}, {answer_b}" in refused.stderr


def test_the_evaluate_tab_takes_an_llm_judge_and_its_template(client, tiny_model, aligned_model, tmp_path):  # noqa: F811
    from gradio_client import handle_file

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": item.prompt}) + "\n" for item in ITEMS[:3]))
    template = "Q {question}\nA) {answer_a}\nB) {answer_b}\nA or B?"
    summary, _, table, _ = client.predict(str(tiny_model), str(aligned_model), handle_file(str(prompts)), None, 0.05,
                                          "llm", str(tiny_model), 4, template, api_name="/evaluate")
    assert f"judge `llm:{tiny_model}`" in summary and "3 prompts" in summary
    assert all(row[4] + row[5] == 1.0 for row in table["data"])
