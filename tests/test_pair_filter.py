"""Pair filtering by reward margin: the margins are the reward model's own scores, the kept pairs are
exactly those at or above the minimum, and the CLI and the Data tab report counts and a histogram."""

import json

import pytest
from conftest import run_cli
from datafiles import jsonl, lines
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from test_arena_models import build_reward_model, built_once

from alignui.data import catalog
from alignui.errors import DataError
from alignui.evaluate import pair_filter

PAIRS = [{"prompt": f"What is {a} + {b}?", "chosen": f"It is {a + b}.", "rejected": f"Maybe {a * b + 7}, or not."}
         for a, b in [(1, 2), (3, 4), (5, 6), (7, 8), (2, 9), (6, 3), (4, 4), (8, 1), (9, 9), (0, 5)]]


@pytest.fixture(scope="module")
def reward_model(tmp_path_factory):
    return built_once(tmp_path_factory, "reward", build_reward_model)


def one_by_one(folder, rows) -> list[float]:
    """Margins computed pair by pair, unbatched, straight from transformers."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()

    def score(prompt, answer):
        text = tokenizer.apply_chat_template([{"role": "user", "content": prompt},
                                              {"role": "assistant", "content": answer}], tokenize=False)
        with torch.no_grad():
            return float(model(**tokenizer(text, return_tensors="pt", add_special_tokens=False)).logits[0, 0])

    return [score(r["prompt"], r["chosen"]) - score(r["prompt"], r["rejected"]) for r in rows]


def test_kept_pairs_are_those_whose_margin_reaches_the_minimum(tmp_path, reward_model):
    expected = one_by_one(reward_model, PAIRS)
    threshold = sorted(expected)[len(expected) // 2]
    out = tmp_path / "kept.jsonl"
    report = pair_filter.filter_pairs(str(jsonl(tmp_path / "pairs.jsonl", PAIRS)), str(reward_model), threshold,
                                      out=out, save_as="kept-pairs")
    keep = [row for row, margin in zip(PAIRS, expected) if margin >= threshold - 1e-5]
    assert (report.kept, report.dropped) == (len(keep), len(PAIRS) - len(keep)) and 0 < report.kept < len(PAIRS)
    assert lines(out) == keep
    assert catalog.get("kept-pairs").rows == len(keep)
    assert report.mean_margin == pytest.approx(sum(expected) / len(expected), abs=1e-4)
    assert sum(b["count"] for b in report.histogram) == len(PAIRS)
    assert report.histogram[0]["low"] == pytest.approx(min(expected), abs=1e-4)
    assert report.histogram[-1]["high"] == pytest.approx(max(expected), abs=1e-4)


def test_the_cli_prints_counts_and_refuses_data_that_is_not_pairs(tmp_path, reward_model, alignui_home):
    pairs = jsonl(tmp_path / "pairs.jsonl", PAIRS)
    out = tmp_path / "kept.jsonl"
    result = run_cli("data", "filter", pairs, "--reward-model", reward_model, "--min-margin", "-1000",
                     "--out", out, "--json", home=alignui_home)
    report = json.loads(result.stdout)
    assert (report["kept"], report["dropped"], report["out"]) == (10, 0, str(out))
    assert len(lines(out)) == 10
    text = run_cli("data", "filter", pairs, "--reward-model", reward_model, "--min-margin", "1000",
                   home=alignui_home)
    assert "kept 0 pairs, dropped 10" in text.stdout
    thumbs = jsonl(tmp_path / "thumbs.jsonl", [{"prompt": "q", "completion": "a", "label": True}] * 2)
    with pytest.raises(DataError, match="needs preference pairs"):
        pair_filter.filter_pairs(str(thumbs), str(reward_model))
    refused = run_cli("data", "filter", pairs, "--reward-model", tmp_path / "none", home=alignui_home)
    assert refused.returncode == 1 and "cannot load reward model" in refused.stderr


def test_the_data_tab_filters_and_saves_with_a_histogram(client, tmp_path, reward_model):
    pairs = handle_file(str(jsonl(tmp_path / "pairs.jsonl", PAIRS)))
    message, plot, table = client.predict(pairs, str(reward_model), -1000, "ui-filtered", False,
                                          api_name="/filter_pairs")
    assert "Kept **10** pairs, dropped **0**" in message and "**ui-filtered**" in message
    assert sum(row[1] for row in plot["data"]) == 10
    assert any(row[0] == "ui-filtered" for row in table["data"])
    with pytest.raises(AppError, match="reward model"):
        client.predict(pairs, "", 0.5, "x", False, api_name="/filter_pairs")
