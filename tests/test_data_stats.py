"""Stats and warnings: balance, duplicates, near-identical pairs, lengths in characters and tokens."""

import pytest
from datafiles import PAIRS, jsonl

from alignui.data.report import inspect_file
from alignui.data.stats import histogram, label_balance, nearly_identical, summary
from alignui.errors import DataError


def unpaired(desirable: int, undesirable: int) -> list[dict]:
    return ([{"prompt": f"q{i}", "completion": "good", "label": True} for i in range(desirable)]
            + [{"prompt": f"q{i}", "completion": "bad", "label": False} for i in range(undesirable)])


def test_label_balance_past_four_to_one_suggests_undesirable_weight(tmp_path):
    report = inspect_file(jsonl(tmp_path / "d.jsonl", unpaired(90, 10)))
    balance = report.stats["label_balance"]
    assert (balance["desirable"], balance["undesirable"], balance["ratio"]) == (90, 10, 9.0)
    assert balance["undesirable_weight"] == [6.77, 9.0]
    assert any("9.0:1" in w and "undesirable_weight to 6.77-9.0" in w for w in report.warnings)


def test_balance_within_four_to_one_gives_no_warning(tmp_path):
    report = inspect_file(jsonl(tmp_path / "d.jsonl", unpaired(80, 20)))
    assert not any("weight" in w for w in report.warnings)


def test_undesirable_majority_suggests_desirable_weight_and_one_kind_only_is_flagged(tmp_path):
    report = inspect_file(jsonl(tmp_path / "a.jsonl", unpaired(10, 50)))
    assert any("desirable_weight to 5.0-6.65" in w for w in report.warnings)
    report = inspect_file(jsonl(tmp_path / "b.jsonl", unpaired(5, 0)))
    assert "No undesirable (label false) examples: KTO needs both kinds." in report.warnings


def test_label_balance_matches_trls_weight_ranges():
    assert label_balance(desirable=300, undesirable=100) == {
        "desirable": 300, "undesirable": 100, "ratio": 3.0,
        "undesirable_weight": [2.26, 3.0], "desirable_weight": [0.33, 0.44],
    }


def test_duplicate_rows_and_prompts(tmp_path):
    rows = PAIRS + [PAIRS[0], {**PAIRS[1], "chosen": "Four."}]
    report = inspect_file(jsonl(tmp_path / "d.jsonl", rows))
    stats = report.stats
    assert (stats["duplicate_rows"], stats["duplicate_row_examples"]) == (1, [4])
    assert (stats["duplicate_prompts"], stats["distinct_prompts"]) == (2, 3)
    assert any("Rows repeating an earlier row exactly: 1 (e.g. rows 4)" in w for w in report.warnings)


def test_near_identical_pairs(tmp_path):
    long = "The capital of France is Paris, a city on the Seine known for its museums and cafes."
    rows = PAIRS + [
        {"prompt": "Capital?", "chosen": long, "rejected": long.replace("cafes", "cafés")},
        {"prompt": "Capital?", "chosen": "Paris", "rejected": "  paris "},
    ]
    stats = inspect_file(jsonl(tmp_path / "d.jsonl", rows)).stats
    assert (stats["near_identical_pairs"], stats["near_identical_examples"]) == (2, [4, 5])


def test_nearly_identical_is_about_the_share_that_differs():
    assert nearly_identical("The answer is 144, because 12 x 12 = 144.", "The answer is 144, because 12 × 12 = 144.")
    assert not nearly_identical("The answer is 4.", "The answer is 5.")
    assert not nearly_identical("Blue.", "Green.")


def test_character_lengths_and_histogram(tmp_path):
    rows = [{"prompt": "p" * n, "completion": "c" * (2 * n)} for n in range(1, 101)]
    stats = inspect_file(jsonl(tmp_path / "d.jsonl", rows)).stats
    assert stats["lengths"]["prompt"] == {"min": 1, "mean": 50.5, "median": 51, "p95": 95, "max": 100}
    assert stats["lengths"]["completion"]["max"] == 200
    histogram = stats["length_histogram"]
    assert histogram["edges"][:3] == [0, 10, 20] and len(histogram["edges"]) == 21
    assert sum(histogram["counts"]["prompt"]) == sum(histogram["counts"]["completion"]) == 100


def test_conversation_length_counts_the_text_of_every_turn(tmp_path):
    messages = [{"role": "user", "content": "abc"}, {"role": "assistant", "content": "defgh"}]
    stats = inspect_file(jsonl(tmp_path / "d.jsonl", [{"messages": messages}])).stats
    assert stats["lengths"]["messages"]["max"] == 8


def test_summary_and_histogram_helpers():
    assert summary([5, 1, 3]) == {"min": 1, "mean": 3.0, "median": 3, "p95": 5, "max": 5}
    assert histogram({}) == {"edges": [], "counts": {}}


def test_ratings_distribution(tmp_path):
    rows = [{"prompt": "q", "responses": [{"text": "a", "rating": 5}, {"text": "b", "rating": 1}]},
            {"prompt": "r", "responses": [{"text": "c", "rating": 5}]}]
    assert inspect_file(jsonl(tmp_path / "d.jsonl", rows)).stats["ratings"] == {"1": 1, "5": 2}


def test_token_lengths_with_a_tokenizer(tmp_path):
    from tiny import build_tokenizer

    build_tokenizer(tmp_path / "tok")
    report = inspect_file(jsonl(tmp_path / "d.jsonl", PAIRS), tokenizer=tmp_path / "tok")
    tokens = report.stats["tokens"]
    assert set(tokens) == {"prompt", "chosen", "rejected"}
    assert 1 <= tokens["chosen"]["min"] <= tokens["chosen"]["max"] <= report.stats["lengths"]["chosen"]["max"]


def test_tokenizer_folders_that_hold_no_tokenizer(tmp_path):
    path = jsonl(tmp_path / "d.jsonl", PAIRS)
    with pytest.raises(DataError, match="holds no tokenizer"):
        inspect_file(path, tokenizer=tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        inspect_file(path, tokenizer=tmp_path / "missing")


def test_preview_holds_the_first_normalised_rows(tmp_path):
    rows = [{"instruction": f"q{i}", "chosen_response": "a", "rejected_response": "b"} for i in range(8)]
    preview = inspect_file(jsonl(tmp_path / "d.jsonl", rows)).preview
    assert [p["row"] for p in preview] == [1, 2, 3, 4, 5]
    assert preview[0] == {"row": 1, "prompt": "q0", "chosen": "a", "rejected": "b"}
