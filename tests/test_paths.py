"""Server paths typed into the UI are read only under the allowed roots."""

import json
from pathlib import Path

import pytest

from alignui import paths, settings
from alignui.data import catalog
from alignui.demo import ASSETS
from alignui.errors import NotAllowed, SpecError
from alignui.recipe.spec import TrainSpec
from alignui.train import jobs


def refusal(text: str, kind: str) -> str:
    with pytest.raises(NotAllowed) as refused:
        paths.allowed_path(text, kind)
    return str(refused.value)


def test_a_path_outside_the_roots_gets_one_message_whether_or_not_it_exists(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("root:$6$hash\n")
    missing = tmp_path / "missing.csv"
    assert refusal(str(secret), "data").replace("secret", "X") == refusal(str(missing), "data").replace("missing", "X")
    assert "hash" not in refusal(str(secret), "data")
    assert "ALIGNUI_DATA_DIRS" in refusal(str(secret), "data")
    assert "ALIGNUI_MODEL_DIRS" in refusal("/etc", "model")
    # The server's working folder is no root: relative paths resolve against it and are refused.
    assert refusal("./secret.csv", "data") == refusal(str(secret), "data").replace(str(secret), "./secret.csv")
    assert refusal("secret.csv", "data")
    for text in ["/etc/passwd", "~/.ssh/id_rsa", "../../etc", "a\x00b/c/d"]:
        refusal(text, "tokenizer")


def test_roots_hub_ids_and_saved_names_are_accepted(tmp_path, monkeypatch):
    assert paths.allowed_path(str(ASSETS / "model"), "model") == str((ASSETS / "model").resolve())
    assert paths.allowed_path("Qwen/Qwen2.5-0.5B-Instruct", "model") == "Qwen/Qwen2.5-0.5B-Instruct"
    assert paths.allowed_path("job:3", "model") == "job:3"
    assert paths.allowed_path("  ", "model") == ""
    inside = settings.home() / "models" / "m"
    assert paths.allowed_path(str(inside), "model") == str(inside)
    data = tmp_path / "pairs.jsonl"
    data.write_text(json.dumps({"prompt": "p", "chosen": "a", "rejected": "b"}) + "\n")
    catalog.save(data, "pairs")
    assert paths.allowed_path("pairs", "data") == "pairs"
    refusal(str(data), "data")
    monkeypatch.setenv("ALIGNUI_DATA_DIRS", f"/nowhere:{tmp_path}")
    assert paths.allowed_path(str(data), "data") == str(data.resolve())
    refusal(str(data), "model")  # data roots are not model roots
    monkeypatch.setenv("ALIGNUI_MODEL_DIRS", str(tmp_path))
    assert paths.allowed_path(str(tmp_path), "model") == str(tmp_path.resolve())


def test_the_database_and_the_hub_token_are_not_readable(monkeypatch, tmp_path):
    from huggingface_hub import constants

    settings.home().mkdir(parents=True, exist_ok=True)
    refusal(str(settings.database_path()), "data")
    refusal(str(Path(constants.HF_HOME) / "token"), "data")
    refusal(str(Path(constants.HF_HOME) / "token"), "tokenizer")
    hub_model = Path(constants.HF_HUB_CACHE) / "models--org--name" / "snapshots" / "abc"
    assert paths.allowed_path(str(hub_model), "model") == str(hub_model.resolve())


def test_a_symlink_inside_a_root_cannot_lead_outside(tmp_path):
    link = settings.datasets_dir() / "link"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to("/etc")
    refusal(str(link / "passwd"), "data")


def test_an_empty_model_or_dataset_is_refused_before_any_job(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError, match="model is empty"):
        jobs.submit(TrainSpec("dpo", "", "pairs"))
    with pytest.raises(SpecError, match="model is empty"):
        jobs.submit(TrainSpec("dpo", "  ", "pairs"))
    with pytest.raises(Exception, match="dataset"):
        jobs.submit(TrainSpec("dpo", str(ASSETS / "model"), ""))
    assert jobs.list_jobs() == []
    with pytest.raises(Exception, match="no dataset given"):
        catalog.lookup("")
