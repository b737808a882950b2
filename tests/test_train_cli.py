"""Every algorithm trains a few steps on CPU through `python -m alignui train`, and the CLI contract holds.

The training runs are submitted all at once, from concurrent `train` commands that exit at once (the
jobs outlive them), and the queue runs them one after another; each test then checks its own job.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from test_train_data import data_file, rows_for, tiny_settings, write_rows

from alignui import settings, store
from alignui.algorithms import ALGORITHMS
from alignui.errors import DataError
from alignui.recipe.spec import HardwareSpec, LoraSpec, TrainSpec
from alignui.train import jobs


def sets(settings: list[str]) -> list[str]:
    return [part for setting in settings for part in ("--set", setting)]


def train(home, model, data, algorithm, *extra, settings=None):
    result = run_cli("train", "--algorithm", algorithm, "--model", model, "--data", data,
                     *sets(settings or tiny_settings(algorithm)), *extra, "--wait", "--json", home=home)
    assert result.stdout, result.stderr
    return result, json.loads(result.stdout)


def build_foreign_model(folder: Path) -> Path:
    """A tiny GPT-2 (Conv1D layers, learned positions) with a GPT-2 tokenizer: no pad token, no chat template."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

    folder.mkdir()
    corpus = [f"What is {a} + {b}? The answer is {a + b}." for a in range(10) for b in range(10)]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus, vocab_size=300, special_tokens=["<|endoftext|>"], show_progress=False)
    bpe.save_model(str(folder))
    tokenizer = GPT2Tokenizer(vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt"))
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=2, n_positions=128,
                        eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.bos_token_id)
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


#: A recipe that sets every part of a spec a CPU run can honour (QLoRA and multi-node need other machines).
RECIPE_LORA = {"r": 4, "alpha": 8, "dropout": 0.1, "target_modules": ["q_proj", "v_proj"], "quantize_4bit": False}


def write_recipe(folder: Path, model) -> Path:
    """A LoRA DPO recipe over a file with three pairs per prompt, its data next to it (a relative path)."""
    rows = [{"prompt": f"What is {a} + 1?", "chosen": f" {a + 1}", "rejected": f" {a + 1 + k}"}
            for a in range(8) for k in (1, 2, 3)]
    write_rows(folder / "several-per-prompt.jsonl", rows)
    spec = TrainSpec("dpo", str(model), "./several-per-prompt.jsonl",
                     args={"per_device_train_batch_size": 2, "logging_steps": 1, "save_steps": 2, "max_length": 32,
                           "learning_rate": 1e-4, "seed": 5, "lr_scheduler_type": "cosine"},
                     lora=LoraSpec(**RECIPE_LORA), hardware=HardwareSpec(distributed="ddp"), eval_fraction=0.25)
    spec.save(folder / "recipe.yaml")
    return folder / "recipe.yaml"


@pytest.fixture(scope="module")
def batch(tmp_path_factory, tiny_model):
    """(home, {name: submitted job}): one job per algorithm, a GPT-2 job and a LoRA job."""
    home = tmp_path_factory.mktemp("batch-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALIGNUI_HOME", str(home))
        store.connect()  # the database exists before the commands race to use it
    folder = tmp_path_factory.mktemp("batch-data")
    runs = {algorithm: (algorithm, tiny_model, []) for algorithm in ALGORITHMS}
    runs["gpt2"] = ("dpo", build_foreign_model(folder / "gpt2"), [])
    runs["lora"] = ("dpo", tiny_model, ["--lora"])
    commands = {
        name: subprocess.Popen(
            [sys.executable, "-m", "alignui", "train", "--algorithm", algorithm, "--model", str(model),
             "--data", str(data_file(folder, algorithm)), *sets(tiny_settings(algorithm)), *extra, "--json"],
            cwd=ROOT, env=dict(os.environ, ALIGNUI_HOME=str(home)), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        for name, (algorithm, model, extra) in runs.items()
    }
    commands["recipe"] = subprocess.Popen(
        [sys.executable, "-m", "alignui", "train", "--recipe", str(write_recipe(folder, tiny_model)),
         "--set", "max_steps=3", "--json"],
        cwd=ROOT, env=dict(os.environ, ALIGNUI_HOME=str(home)), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    submitted = {}
    for name, command in commands.items():
        out, err = command.communicate(timeout=300)
        assert command.returncode == 0, err
        submitted[name] = json.loads(out)
    return home, submitted


def finished(batch, name, monkeypatch) -> dict:
    home, submitted = batch
    monkeypatch.setenv("ALIGNUI_HOME", str(home))
    job = jobs.wait(submitted[name]["job_id"], timeout=400)
    assert job["status"] == "succeeded", job["error"]
    return job


@pytest.mark.timeout(600)
@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_each_algorithm_trains_and_saves_a_model(batch, algorithm, monkeypatch):
    submitted = batch[1][algorithm]
    assert submitted["status"] in ("queued", "running") and set(submitted) >= {"job_id", "status", "output_dir"}

    job = finished(batch, algorithm, monkeypatch)

    assert (job["step"], job["max_steps"], job["world_size"]) == (3, 3, 1)
    assert [m["step"] for m in job["metrics"] if "loss" in m] == [1, 2, 3]
    model = Path(job["output_dir"])
    for name in ("model.safetensors", "config.json", "tokenizer.json", "chat_template.jinja", "README.md"):
        assert (model / name).is_file(), name
    card = (model / "README.md").read_text()
    assert ALGORITHMS[algorithm].title in card and "max_steps" in card and "## Final metrics" in card


@pytest.mark.timeout(600)
def test_a_model_and_tokenizer_from_elsewhere_train(batch, monkeypatch):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    job = finished(batch, "gpt2", monkeypatch)

    assert type(AutoModelForCausalLM.from_pretrained(job["output_dir"])).__name__ == "GPT2LMHeadModel"
    assert type(AutoTokenizer.from_pretrained(job["output_dir"])).__name__ == "GPT2Tokenizer"


@pytest.mark.timeout(600)
def test_lora_saves_an_adapter_of_the_base_model(batch, tiny_model, monkeypatch):
    job = finished(batch, "lora", monkeypatch)

    model = Path(job["output_dir"])
    assert (model / "adapter_model.safetensors").is_file()
    assert not (model / "model.safetensors").exists()
    adapter = json.loads((model / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == str(Path(tiny_model).resolve())
    assert "library_name: peft" in (model / "README.md").read_text()


@pytest.mark.timeout(600)
def test_a_recipe_keeps_every_field_and_splits_by_prompt(batch, monkeypatch):
    import yaml

    job = finished(batch, "recipe", monkeypatch)

    run = Path(job["run_dir"])
    spec = yaml.safe_load((run / "spec.yaml").read_text())
    assert spec["lora"] == RECIPE_LORA and spec["hardware"]["distributed"] == "ddp"
    assert spec["eval_fraction"] == 0.25 and spec["dataset"].endswith("several-per-prompt.jsonl")
    assert spec["args"]["max_steps"] == 3 and spec["args"]["lr_scheduler_type"] == "cosine"  # --set on top
    adapter = json.loads((Path(job["output_dir"]) / "adapter_config.json").read_text())
    assert (adapter["r"], adapter["lora_alpha"], adapter["lora_dropout"]) == (4, 8, 0.1)
    assert sorted(adapter["target_modules"]) == ["q_proj", "v_proj"]
    train_rows, eval_rows = (
        [json.loads(line) for line in (run / name).read_text().splitlines()] for name in ("train.jsonl", "eval.jsonl"))
    assert len(train_rows) + len(eval_rows) == 24 and len(eval_rows) >= 3
    assert not {r["prompt"] for r in train_rows} & {r["prompt"] for r in eval_rows}
    assert not (run / "dataset.jsonl").exists()  # the split is the snapshot: no second copy


@pytest.mark.timeout(600)
def test_jobs_show_and_list_follow_the_contract(batch, monkeypatch):
    home, submitted = batch
    for name in submitted:
        finished(batch, name, monkeypatch)
    job_id = submitted["dpo"]["job_id"]

    shown = json.loads(run_cli("jobs", "show", job_id, "--json", home=home, check=True).stdout)

    assert set(shown) >= {"job_id", "status", "pid", "step", "world_size", "metrics", "output_dir", "error",
                          "resumed_from_step"}
    assert shown["status"] == "succeeded" and all("step" in record for record in shown["metrics"])
    listed = json.loads(run_cli("jobs", "list", "--json", home=home, check=True).stdout)["jobs"]
    assert sorted(j["job_id"] for j in listed) == sorted(j["job_id"] for j in submitted.values())
    assert {j["status"] for j in listed} == {"succeeded"}
    text = run_cli("jobs", "show", job_id, "--log", "5", home=home, check=True).stdout
    assert f"job {job_id}: succeeded" in text and "ended: succeeded" in text


@pytest.mark.timeout(120)
def test_a_failed_job_shows_the_error_itself(tmp_path, alignui_home, tiny_model):
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in Path(tiny_model).iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")

    result, job = train(alignui_home, broken, data_file(tmp_path, "dpo"), "dpo")

    assert result.returncode == 1
    assert job["status"] == "failed"
    assert "safetensors" in job["error"].lower() or "header" in job["error"].lower(), job["error"]
    assert "exit status" not in job["error"]


def test_bad_settings_are_refused_before_any_job_exists(tmp_path, alignui_home, tiny_model):
    result = run_cli("train", "--algorithm", "dpo", "--model", tiny_model, "--data", data_file(tmp_path, "dpo"),
                     "--set", "not_a_field=1", "--json", home=alignui_home)
    assert result.returncode == 1
    assert "not_a_field" in result.stderr and "DPOConfig" in result.stderr
    for setting, message in (("max_steps=abc", "max_steps: must be a whole number, not 'abc'"),
                             ("beta=NaN", "beta: NaN is not a finite number")):
        result = run_cli("train", "--algorithm", "dpo", "--model", tiny_model, "--data", data_file(tmp_path, "dpo"),
                         "--set", setting, "--json", home=alignui_home)
        assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert json.loads(run_cli("jobs", "list", "--json", home=alignui_home).stdout)["jobs"] == []


def test_train_needs_a_recipe_or_the_three_flags(alignui_home):
    result = run_cli("train", "--algorithm", "dpo", home=alignui_home)
    assert result.returncode == 1 and "give a recipe (--recipe FILE) or --model, --data" in result.stderr


def test_data_of_the_wrong_type_is_refused_with_the_way_out(tmp_path, tiny_model):
    unpaired = write_rows(tmp_path / "unpaired.jsonl", rows_for("kto"))
    with pytest.raises(DataError, match="unpaired_preference.*data convert --to preference"):
        jobs.submit(TrainSpec("dpo", str(tiny_model), str(unpaired)))
    assert jobs.list_jobs() == []
    assert not any(settings.runs_dir().iterdir())  # no half-made run folder either


def test_a_missing_model_folder_is_refused(tmp_path, alignui_home):
    result = run_cli("train", "--algorithm", "dpo", "--model", tmp_path / "nowhere", "--data",
                     data_file(tmp_path, "dpo"), home=alignui_home)
    assert result.returncode == 1 and "does not exist" in result.stderr


def test_unknown_jobs_are_reported_plainly(alignui_home):
    for command in (["show", "41"], ["cancel", "41"], ["resume", "41"]):
        result = run_cli("jobs", *command, home=alignui_home)
        assert result.returncode == 1
        assert result.stderr.startswith("error: no job 41"), result.stderr


@pytest.mark.parametrize("command", [["train"], ["jobs"], ["jobs", "show"], ["jobs", "resume"], ["jobs", "doctor"]])
def test_help_works(command):
    result = run_cli(*command, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout
