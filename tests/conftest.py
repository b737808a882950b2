"""Shared fixtures: a private data home for every test, and a real app server for UI tests."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def alignui_home(tmp_path, monkeypatch):
    """Every test gets its own empty data home."""
    home = tmp_path / "alignui-home"
    monkeypatch.setenv("ALIGNUI_HOME", str(home))
    return home


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_roots(base: Path) -> dict:
    """Environment letting a test's server read models and data under `base` (pytest's temp folder)."""
    return {"ALIGNUI_MODEL_DIRS": str(base), "ALIGNUI_DATA_DIRS": str(base)}


def session_temp_of(path: Path) -> Path:
    """The session's temp folder (pytest-of-USER/pytest-N) that `path` lies in."""
    return next((p for p in Path(path).resolve().parents if p.parent.name.startswith("pytest-of-")), Path(path))


def run_cli(*args, home=None, check=False, timeout=300, stdin=None):
    """Run `python -m alignui ARGS` in a fresh process, as a user would (`stdin`: text to type in)."""
    env = dict(os.environ)
    if home is not None:
        env["ALIGNUI_HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-m", "alignui", *map(str, args)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout, input=stdin,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"alignui {args} failed:\n{result.stdout}\n{result.stderr}")
    return result


@contextlib.contextmanager
def serve_app(home: Path, *args: str, env: dict | None = None):
    """Start `python app.py --port P ARGS` with data home `home`; yields (url, process), then stops it."""
    port = free_port()
    env = dict(os.environ, ALIGNUI_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False",
               **served_roots(session_temp_of(home)), **(env or {}))
    log = open(home / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), *args],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("app.py exited:\n" + (home / "server.log").read_text())
        try:  # the page itself, not just the socket: a busy machine accepts before it serves
            urllib.request.urlopen(url, timeout=10).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("app.py did not start:\n" + (home / "server.log").read_text())
    try:
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """A real `python app.py` server on a free port, with its own data home.

    Yields (url, home). Shared by the UI tests of a session; tests must not depend on each other's data.
    """
    home = tmp_path_factory.mktemp("server-home")
    with serve_app(home) as (url, _):
        yield url, home


@pytest.fixture(scope="session")
def client(app_server):
    from gradio_client import Client

    url, _ = app_server
    return Client(url, verbose=False)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A folder holding a tiny Llama-style model with its own tokenizer and chat template."""
    from tiny import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))
