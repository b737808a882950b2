"""`jobs export ID --slurm FILE`: a SLURM batch script that runs a job's spec on N nodes."""

import subprocess

from conftest import run_cli
from test_train_data import data_file
from test_train_jobs import tiny_spec

from alignui.train import jobs


def test_export_writes_a_multi_node_sbatch_script(tmp_path, alignui_home, tiny_model):
    job = jobs.submit(tiny_spec(tiny_model, data_file(tmp_path, "dpo"), processes=2, max_steps=1))
    jobs.cancel(job["job_id"])  # the export needs its run folder, not its run
    script_path = tmp_path / "job.sbatch"

    result = run_cli("jobs", "export", job["job_id"], "--slurm", script_path, "--nodes", 2, home=alignui_home,
                     check=True)

    assert f"sbatch {script_path}" in result.stdout
    text = script_path.read_text()
    assert text.startswith("#!/bin/bash\n")
    assert subprocess.run(["bash", "-n", str(script_path)]).returncode == 0
    for line in ("#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=1", "#SBATCH --gpus-per-node=2",
                 'export MAIN_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
                 "export MAIN_PORT=29500", f"cd {job['run_dir']}"):
        assert line in text.splitlines(), line
    srun = next(line for line in text.splitlines() if line.startswith("srun "))
    assert srun.startswith("srun --ntasks-per-node=1 bash -c '")
    for part in ("accelerate.commands.launch", "--num_processes 4", "--num_machines 2", "--multi_gpu",
                 '--machine_rank "$SLURM_PROCID"', '--main_process_ip "$MAIN_ADDR"', '--main_process_port "$MAIN_PORT"',
                 f"-m alignui.train.entry {job['run_dir']}"):
        assert part in srun, part
    config = (jobs.run_folder(job["job_id"]).root / "accelerate-slurm.yaml").read_text()
    assert "num_machines: 2" in config and "num_processes: 4" in config

    # The inner command is one word for bash -c: it expands per task, on each node.
    inner = subprocess.run(["bash", "-c", srun.replace("srun --ntasks-per-node=1 bash -c", "printf '%s\\n'")],
                           capture_output=True, text=True, check=True).stdout
    assert '--machine_rank "$SLURM_PROCID"' in inner


def test_export_of_a_missing_job_says_so(alignui_home, tmp_path):
    result = run_cli("jobs", "export", 42, "--slurm", tmp_path / "x.sbatch", home=alignui_home)
    assert result.returncode != 0 and "no job 42" in result.stderr
