"""A job's run as a SLURM batch script (`python -m alignui jobs export ID --slurm FILE`), for HPC sites.

The script runs the same spec and entry as a local job on N nodes, the way TRL's and accelerate's
multi-node SLURM examples do: one `srun` task per node, each starting `accelerate launch` for its
node's processes, with the machine rank from SLURM_PROCID and the main address from the first host
of the allocation. It reads and writes the job's run folder, which must be on a filesystem every
node shares; the job table does not follow such a run (its metrics.jsonl and progress.json do).
"""

import dataclasses
import shlex
from pathlib import Path

import yaml

from alignui.recipe.spec import TrainSpec
from alignui.train import launcher
from alignui.train.run_folder import RunFolder

#: The accelerate config the script's launches read, next to the run's own accelerate.yaml.
CONFIG_NAME = "accelerate-slurm.yaml"


def script(job_id: int, run: RunFolder, nodes: int | None = None) -> str:
    """The sbatch script for job `job_id`'s run folder; writes its accelerate config into the folder."""
    spec = TrainSpec.load(run.spec)
    nodes = nodes or spec.hardware.machines
    # The rank and the main address are only known on the nodes, at run time.
    spec = dataclasses.replace(spec, hardware=dataclasses.replace(
        spec.hardware, machines=nodes, machine_rank=0, main_address="", gpus=""))
    config = run.root / CONFIG_NAME
    config.write_text(yaml.safe_dump(launcher.accelerate_config(spec), sort_keys=False))
    launch = ["python", "-m", "accelerate.commands.launch", "--config_file", str(config),
              "--num_processes", str(launcher.total_processes(spec)), "--num_machines", str(nodes),
              "--mixed_precision", launcher.mixed_precision(spec), "--dynamo_backend", "no"]
    if launcher.strategy(spec) == "ddp":
        launch.append("--multi_gpu")
    per_node = shlex.join(launch) + ' --machine_rank "$SLURM_PROCID" --main_process_ip "$MAIN_ADDR" ' \
        f'--main_process_port "$MAIN_PORT" -m {launcher.ENTRY} {shlex.quote(str(run.root))}'
    package_root = Path(__file__).resolve().parents[2]
    quiet = " ".join(f"{name}={value}" for name, value in launcher.QUIET.items())
    return f"""#!/bin/bash
# alignui job {job_id}: {spec.algorithm} on {spec.model}, exported for SLURM.
# {nodes} node(s) x {spec.hardware.processes} process(es). The run folder below (spec, data, checkpoints,
# model) and alignui at {package_root} must be on a filesystem every node shares; each node's
# `python` needs alignui's requirements. Submit with: sbatch THIS_FILE
#SBATCH --job-name=alignui-{job_id}
#SBATCH --nodes={nodes}
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node={spec.hardware.processes}
#SBATCH --output={run.root}/slurm-%j.log

set -euo pipefail
export PYTHONPATH={shlex.quote(str(package_root))}${{PYTHONPATH:+:$PYTHONPATH}}
export {quiet}
# The first host of the allocation is the main process's machine.
export MAIN_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
export MAIN_PORT={spec.hardware.main_port}
cd {shlex.quote(str(run.root))}

# One task per node; SLURM_PROCID is the task's (the machine's) rank.
srun --ntasks-per-node=1 bash -c {shlex.quote(per_node)}
"""


def export(job_id: int, run: RunFolder, path: Path, nodes: int | None = None) -> Path:
    path = Path(path)
    path.write_text(script(job_id, run, nodes))
    path.chmod(0o755)
    return path
