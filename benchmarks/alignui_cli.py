"""`python -m alignui ARGS --json` as a benchmark runs it: a fresh process, as a user types it, in the
benchmark's own data home."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, home: Path) -> dict:
    """The command's JSON answer; a failed command stops the benchmark with its output."""
    done = subprocess.run([sys.executable, "-m", "alignui", *map(str, args), "--json"], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, ALIGNUI_HOME=str(home)))
    if done.returncode:
        raise SystemExit(f"alignui {' '.join(map(str, args))} failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout)
