"""Training data for the training tests: small TRL-ready JSONL files, one shape per algorithm.

The tests of this module check that the data studio accepts each file as the type its algorithm
trains on, so a failing training test is never a data problem in disguise.
"""

import json
import random

import pytest

from alignui.algorithms import ALGORITHMS


def rows_for(algorithm: str, n: int = 24, seed: int = 0) -> list[dict]:
    """Arithmetic questions in the shape `algorithm` trains on."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.randint(0, 9), rng.randint(0, 9)
        question, right, wrong = f"What is {a} + {b}?", f" The answer is {a + b}.", f" The answer is {a + b + 1}."
        if algorithm == "sft":
            rows.append({"messages": [{"role": "user", "content": question},
                                      {"role": "assistant", "content": right.strip()}]})
        elif algorithm == "kto":
            rows.append({"prompt": question, "completion": right if i % 2 else wrong, "label": bool(i % 2)})
        elif algorithm == "grpo":
            rows.append({"prompt": [{"role": "user", "content": question}], "answer": str(a + b)})
        else:
            rows.append({"prompt": question, "chosen": right, "rejected": wrong})
    return rows


def write_rows(path, rows: list[dict]):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def data_file(tmp_path, algorithm: str, n: int = 24):
    return write_rows(tmp_path / f"{algorithm}.jsonl", rows_for(algorithm, n))


#: Settings that keep a training run to a few seconds on two CPU cores.
TINY = ["max_steps=3", "per_device_train_batch_size=2", "logging_steps=1", "save_steps=2"]
TINY_LENGTHS = {"grpo": ["max_completion_length=8", "num_generations=2"]}


def tiny_settings(algorithm: str) -> list[str]:
    return TINY + TINY_LENGTHS.get(algorithm, ["max_length=32"])


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_each_algorithm_gets_data_of_a_type_it_trains_on(tmp_path, algorithm):
    from alignui.data import catalog

    entry = catalog.lookup(str(data_file(tmp_path, algorithm)), into=tmp_path)
    assert entry.type in ALGORITHMS[algorithm].data_types
    assert entry.rows == 24


def test_grpo_rows_keep_their_answers(tmp_path):
    from alignui.data import catalog

    path = catalog.resolve(str(data_file(tmp_path, "grpo")), into=tmp_path)
    assert all("answer" in json.loads(line) for line in path.read_text().splitlines())
