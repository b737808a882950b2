"""The accelerate launch command, its config file and environment, for each way of running."""

import os

import yaml

from alignui.recipe.spec import HardwareSpec, TrainSpec
from alignui.train import launcher
from alignui.train.run_folder import RunFolder


def spec(**hardware) -> TrainSpec:
    return TrainSpec("dpo", "model", "data", hardware=HardwareSpec(**hardware))


def launch(tmp_path, **hardware):
    run = RunFolder(tmp_path)
    command = launcher.command(spec(**hardware), run)
    return command, yaml.safe_load(run.accelerate_config.read_text())


def flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_one_process_runs_the_entry_module_without_distribution(tmp_path):
    command, config = launch(tmp_path)
    assert command[1:3] == ["-m", "accelerate.commands.launch"]
    assert command[-3:] == ["-m", "alignui.train.entry", str(tmp_path)]
    assert "--multi_gpu" not in command
    assert flag(command, "--num_processes") == "1" and flag(command, "--config_file") == str(tmp_path / "accelerate.yaml")
    assert config["distributed_type"] == "NO" and config["num_processes"] == 1


def test_several_processes_run_ddp(tmp_path):
    command, config = launch(tmp_path, processes=2)
    assert "--multi_gpu" in command and flag(command, "--num_processes") == "2"
    assert config["distributed_type"] == "MULTI_GPU"


def test_deepspeed_zero_stages_and_fsdp_get_their_config_sections(tmp_path):
    for distributed, stage in (("deepspeed-zero2", 2), ("deepspeed-zero3", 3)):
        command, config = launch(tmp_path, processes=4, distributed=distributed)
        assert config["distributed_type"] == "DEEPSPEED"
        assert config["deepspeed_config"]["zero_stage"] == stage
        assert config["deepspeed_config"]["zero3_save_16bit_model"] is (stage == 3)
        assert "--multi_gpu" not in command  # the config file says DeepSpeed
    command, config = launch(tmp_path, processes=4, distributed="fsdp")
    assert config["distributed_type"] == "FSDP"
    assert config["fsdp_config"]["fsdp_state_dict_type"] == "FULL_STATE_DICT"


def test_multi_node_flags_count_processes_over_all_machines(tmp_path):
    command, config = launch(tmp_path, processes=8, machines=2, machine_rank=1, main_address="10.0.0.5",
                             main_port=29555)
    assert flag(command, "--num_processes") == "16" and flag(command, "--num_machines") == "2"
    assert flag(command, "--machine_rank") == "1"
    assert flag(command, "--main_process_ip") == "10.0.0.5" and flag(command, "--main_process_port") == "29555"
    assert (config["machine_rank"], config["main_process_ip"], config["main_process_port"]) == (1, "10.0.0.5", 29555)


def test_mixed_precision_follows_the_spec_and_otherwise_the_training_arguments(tmp_path):
    run = RunFolder(tmp_path)
    assert flag(launcher.command(spec(), run), "--mixed_precision") == "no"
    bf16 = TrainSpec("dpo", "m", "d", args={"bf16": True})
    assert flag(launcher.command(bf16, run), "--mixed_precision") == "bf16"
    fp16 = TrainSpec("dpo", "m", "d", args={"fp16": True, "bf16": False})
    assert flag(launcher.command(fp16, run), "--mixed_precision") == "fp16"


def test_cpu_threads_are_shared_out_between_processes_unless_the_user_chose(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    assert flag(launch(tmp_path, processes=2)[0], "--num_cpu_threads_per_process") == "4"
    assert flag(launch(tmp_path, processes=16)[0], "--num_cpu_threads_per_process") == "1"
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert flag(launch(tmp_path, processes=2)[0], "--num_cpu_threads_per_process") == "3"


def test_the_gpu_pick_and_job_id_reach_the_training_processes(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    env = launcher.environment(spec(gpus="1,3"), job_id=7)
    assert env["CUDA_VISIBLE_DEVICES"] == "1,3"
    assert env[launcher.JOB_ID_ENV] == "7"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert "CUDA_VISIBLE_DEVICES" not in launcher.environment(spec(), job_id=None)
