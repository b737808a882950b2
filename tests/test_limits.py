"""Limits, each refused with a clear message: processes, LoRA rank, disk space, uploads, Gradio's cache."""

import os
import subprocess
import sys

import pytest
from conftest import ROOT
from test_train_data import data_file

from alignui import hardware, settings
from alignui.demo import ASSETS
from alignui.errors import AlignUIError, SpecError
from alignui.recipe.spec import HardwareSpec, LoraSpec, TrainSpec
from alignui.recipe.validate import validate
from alignui.train import jobs


@pytest.mark.skipif(bool(hardware.gpus()), reason="the CPU limit applies on a machine without GPUs")
def test_a_job_cannot_start_more_processes_than_the_cpu_has_cores():
    cores = os.cpu_count()
    hardware.check("", cores)
    with pytest.raises(SpecError, match=f"{cores + 1} processes on the CPU, but this machine has {cores} cores"):
        hardware.check("", cores + 1)


def test_the_server_can_lower_the_processes_per_job(monkeypatch):
    monkeypatch.setattr(settings, "MAX_PROCESSES", 1)
    hardware.check("", 1)
    with pytest.raises(SpecError, match=r"more than this server allows per job \(1, ALIGNUI_MAX_PROCESSES\)"):
        hardware.check("", 2)


@pytest.mark.parametrize("rank", [0, -3, 1025, 10**9, "big", 2.5, True])
def test_lora_rank_out_of_range_is_refused(rank):
    with pytest.raises(SpecError, match=r"lora.r .* must be a whole number from 1 to 1024"):
        validate(TrainSpec("dpo", "m", "d", lora=LoraSpec(r=rank)))


def test_a_job_or_a_save_that_would_not_fit_on_disk_is_refused(tmp_path, monkeypatch):
    from alignui.data import catalog

    monkeypatch.setattr(settings, "DISK_RESERVE", 10**18)
    with pytest.raises(AlignUIError, match="not enough disk space for dataset 'pairs'"):
        catalog.save(data_file(tmp_path, "dpo"), "pairs")
    assert catalog.list_entries() == []
    spec = TrainSpec("dpo", str(ASSETS / "model"), str(data_file(tmp_path, "dpo")), hardware=HardwareSpec())
    with pytest.raises(AlignUIError, match="not enough disk space for this job's run folder"):
        jobs.submit(spec)
    assert jobs.list_jobs() == []


def test_limits_are_read_from_the_environment():
    env = dict(os.environ, ALIGNUI_MAX_UPLOAD_SIZE="5mb", ALIGNUI_MAX_LORA_RANK="64")
    shown = subprocess.run([sys.executable, "-c", "from alignui import settings as s; "
                            "print(s.MAX_UPLOAD_SIZE, s.MAX_LORA_RANK, s.UPLOAD_CACHE_SWEEP)"],
                           cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.split(maxsplit=2)
    assert shown == ["5mb", "64", "(3600, 86400)\n"]
    env["ALIGNUI_MAX_LORA_RANK"] = "lots"
    failed = subprocess.run([sys.executable, "-c", "import alignui.settings"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert failed.returncode == 1 and failed.stderr.strip() == "error: ALIGNUI_MAX_LORA_RANK='lots' is not a whole number"


def test_the_app_sweeps_gradios_upload_cache():
    from alignui.ui.app import build_app

    assert build_app().delete_cache == settings.UPLOAD_CACHE_SWEEP
