"""`pip install .` gives an `alignui` command that works from any folder, with the demo inside."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project built as a wheel and installed into a folder of its own (dependencies from this venv)."""
    out = tmp_path_factory.mktemp("package")
    # A copy of the source: the build leaves build/ and *.egg-info behind, never in the working tree.
    source = out / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "build", "*.egg-info", "tests", "benchmarks", "screenshots"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(source),
                    "-w", str(out / "wheel")], check=True, capture_output=True)
    [wheel] = (out / "wheel").glob("alignui-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(out / "site"),
                    str(wheel)], check=True, capture_output=True)
    return out / "site"


def run_installed(site, *args, cwd):
    env = dict(os.environ, PYTHONPATH=str(site), ALIGNUI_HOME=str(cwd / "home"))
    return subprocess.run([sys.executable, str(site / "bin" / "alignui"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_console_script_runs_from_any_folder_with_the_demo(installed, tmp_path):
    help_text = run_installed(installed, "--help", cwd=tmp_path)
    assert help_text.returncode == 0 and help_text.stdout.startswith("usage: alignui ")
    recipe = installed / "alignui" / "assets" / "demo" / "recipes" / "dpo.yaml"
    checked = run_installed(installed, "recipe", "check", recipe, "--json", cwd=tmp_path)
    assert json.loads(checked.stdout)["ok"] is True, checked.stderr
    code = "from alignui.demo import paths; d = paths(); print(d.root, d.exists())"
    where = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=str(installed)))
    root, exists = where.stdout.split()
    assert root.startswith(str(installed)) and exists == "True"
