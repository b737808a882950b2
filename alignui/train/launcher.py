"""How a run is started: the `accelerate launch` command, its config file and its environment.

Every run folder gets an `accelerate.yaml` describing the launch (DDP, DeepSpeed ZeRO-2/3 or FSDP,
machines, precision), so `accelerate launch --config_file accelerate.yaml -m alignui.train.entry RUN`
reproduces it with stock tools; the command repeats the main settings as flags for the log.
No torch here: the supervisor builds the command without paying for it.
"""

import os
import sys

import yaml

from alignui.recipe.spec import TrainSpec
from alignui.train.run_folder import RunFolder

#: The module every training process runs.
ENTRY = "alignui.train.entry"
#: Environment variable through which the training processes learn their job id.
JOB_ID_ENV = "ALIGNUI_JOB_ID"


def strategy(spec: TrainSpec) -> str:
    """The distribution strategy in effect: "single", "ddp", "deepspeed-zero2/3" or "fsdp"."""
    hw = spec.hardware
    if hw.distributed in ("auto", "ddp"):
        return "ddp" if total_processes(spec) > 1 else "single"
    return hw.distributed


def total_processes(spec: TrainSpec) -> int:
    """Processes over all machines: `hardware.processes` runs on each machine."""
    return spec.hardware.processes * spec.hardware.machines


def threads_per_process(spec: TrainSpec) -> int:
    """CPU threads each process may use: this machine's cores shared out (accelerate would give 1).

    An OMP_NUM_THREADS set by the user wins.
    """
    if os.environ.get("OMP_NUM_THREADS"):
        return int(os.environ["OMP_NUM_THREADS"])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // spec.hardware.processes)


def mixed_precision(spec: TrainSpec) -> str:
    """What the spec asks for; "no" leaves the choice to the training arguments (bf16 where supported)."""
    if spec.args.get("fp16"):
        return "fp16"
    if spec.args.get("bf16"):
        return "bf16"
    return "no"


def accelerate_config(spec: TrainSpec) -> dict:
    """The accelerate config file's content for this run."""
    hw = spec.hardware
    kind = strategy(spec)
    config = {
        "compute_environment": "LOCAL_MACHINE",
        "distributed_type": {"single": "NO", "ddp": "MULTI_GPU", "fsdp": "FSDP"}.get(kind, "DEEPSPEED"),
        "num_processes": total_processes(spec),
        "num_machines": hw.machines,
        "machine_rank": hw.machine_rank,
        "mixed_precision": mixed_precision(spec),
        "gpu_ids": "all",
        "rdzv_backend": "static",
        "same_network": True,
        "use_cpu": False,
    }
    if hw.machines > 1:
        config.update(main_process_ip=hw.main_address, main_process_port=hw.main_port)
    if kind.startswith("deepspeed"):
        stage = 3 if kind == "deepspeed-zero3" else 2
        config["deepspeed_config"] = {
            "zero_stage": stage,
            "offload_optimizer_device": "none",
            "offload_param_device": "none",
            "deepspeed_multinode_launcher": "standard",
            # ZeRO-3 shards weights at load time and gathers a 16-bit copy for the final save.
            "zero3_init_flag": stage == 3,
            "zero3_save_16bit_model": stage == 3,
        }
    if kind == "fsdp":
        config["fsdp_config"] = {
            "fsdp_version": 2,
            "fsdp_auto_wrap_policy": "TRANSFORMER_BASED_WRAP",
            "fsdp_reshard_after_forward": True,
            "fsdp_state_dict_type": "FULL_STATE_DICT",  # the final model loads without accelerate
            "fsdp_cpu_ram_efficient_loading": True,
            "fsdp_offload_params": False,
            "fsdp_activation_checkpointing": False,
        }
    return config


def command(spec: TrainSpec, run: RunFolder) -> list[str]:
    """The launch command; writes the run's accelerate.yaml as a side effect."""
    hw = spec.hardware
    run.accelerate_config.write_text(yaml.safe_dump(accelerate_config(spec), sort_keys=False))
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(run.accelerate_config),
           "--num_processes", str(total_processes(spec)), "--num_machines", str(hw.machines),
           "--num_cpu_threads_per_process", str(threads_per_process(spec)),
           "--mixed_precision", mixed_precision(spec), "--dynamo_backend", "no"]
    if strategy(spec) == "ddp":
        cmd.append("--multi_gpu")
    if hw.machines > 1:
        cmd += ["--machine_rank", str(hw.machine_rank), "--main_process_ip", hw.main_address,
                "--main_process_port", str(hw.main_port)]
    return cmd + ["-m", ENTRY, str(run.root)]


def environment(spec: TrainSpec, job_id: int | None) -> dict[str, str]:
    """The training processes' environment: ours, plus the GPU pick and quiet, unbuffered output."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false",
               TRL_EXPERIMENTAL_SILENCE="1")
    if spec.hardware.gpus:
        env["CUDA_VISIBLE_DEVICES"] = spec.hardware.gpus
    if job_id is not None:
        env[JOB_ID_ENV] = str(job_id)
    return env
