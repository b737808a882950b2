"""A real server with accounts: the API itself refuses what a role may not do; logins lock out and
unlock; a public address without accounts refuses to start."""

import os
import subprocess
import sys
import time

import httpx
import pytest
from conftest import ROOT, serve_app
from gradio_client import Client, handle_file
from test_ui_train import launch

PASSWORDS = {"root": "root password", "ada": "ada password", "bo": "bo password", "rae": "rae password"}
ROLES = {"root": "admin", "ada": "trainer", "bo": "trainer", "rae": "rater"}
#: The rater's own endpoints; every other one must refuse a rater.
RATER_ENDPOINTS = {"rate_sets", "rate_next", "rate_ask", "rate_vote", "rate_thumb"}
DEMO_MODEL = str(ROOT / "assets" / "demo" / "model")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(url, home): an app with four accounts and --auth owner:PASS, quick lockouts for the test."""
    home = tmp_path_factory.mktemp("accounts-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALIGNUI_HOME", str(home))
        from alignui.people import accounts

        for name, role in ROLES.items():
            accounts.add(name, role, PASSWORDS[name])
    limits = {"ALIGNUI_LOGIN_MAX_FAILURES": "3", "ALIGNUI_LOGIN_LOCKOUT_S": "4"}
    with serve_app(home, "--auth", "owner:owner password", env=limits) as (url, _):
        yield url, home


def session(server, name, password=None) -> Client:
    return Client(server[0], auth=(name, password or PASSWORDS[name]), verbose=False)


def refused(call) -> str:
    with pytest.raises(Exception) as error:
        call()
    return str(error.value)


def test_only_the_rate_endpoints_are_open_to_raters():
    from alignui.people.accounts import RATER
    from alignui.ui.access import _MARK, Gate
    from alignui.ui.app import build_app

    app = build_app(Gate(logins=True))
    open_to_raters = {f.api_name for f in app.fns.values() if RATER in getattr(f.fn, _MARK)
                      and f.api_visibility == "public"}
    assert open_to_raters == RATER_ENDPOINTS


def test_a_rater_cannot_train_upload_or_read_server_paths(server, tmp_path, tiny_model):
    rater = session(server, "rae")
    data = tmp_path / "pairs.jsonl"
    data.write_text('{"prompt": "p", "chosen": "a", "rejected": "b"}\n')
    calls = {
        "launch": lambda: launch(rater, tiny_model, data, ""),
        "inspect (upload)": lambda: rater.predict(handle_file(str(data)), "", api_name="/inspect"),
        "dataset_facts (path)": lambda: rater.predict("/etc/passwd", api_name="/dataset_facts"),
        "read_model (path)": lambda: rater.predict(str(tiny_model), api_name="/read_model"),
        "jobs": lambda: rater.predict(api_name="/jobs"),
        "export_feedback (others' votes)": lambda: rater.predict("preference", "x", api_name="/export_feedback"),
        "add_user": lambda: rater.predict("mallory", "admin", "long password", api_name="/add_user"),
    }
    for what, call in calls.items():
        said = refused(call)
        assert "Not allowed: signed in as a rater" in said or "403" in said, what
    # Gradio's own upload route, which stores a file before any handler runs, refuses a rater too.
    upload = httpx.post(server[0] + "gradio_api/upload", files={"files": ("x.jsonl", b"{}")},
                        cookies=rater.cookies)
    assert upload.status_code == 403 and "Not allowed" in upload.text
    trainer = session(server, "ada")
    assert httpx.post(server[0] + "gradio_api/upload", files={"files": ("x.jsonl", b"{}")},
                      cookies=trainer.cookies).status_code == 200
    assert not (server[1] / "runs").exists()  # nothing was started for the rater


def test_a_rater_rates_a_prompt_set_and_the_vote_is_theirs(server):
    trainer, rater = session(server, "ada"), session(server, "rae")
    trainer.predict("set-1", DEMO_MODEL, DEMO_MODEL, "12+30=\n7+8=", None, api_name="/assign_prompts")
    assert rater.predict(api_name="/rate_sets")["choices"] == [["set-1", "set-1"]]
    chat_a, chat_b, status, _vote = rater.predict("set-1", 0, api_name="/rate_next")
    assert chat_a[0]["content"][0]["text"] == "12+30=" and chat_b[-1]["role"] == "assistant"
    assert "Model" not in status and "demo" not in str((chat_a, chat_b, status))  # blind: no names, no paths
    message, _comment = rater.predict("b", "clearer", api_name="/rate_vote")
    assert "1 votes" in message
    result = subprocess.run([sys.executable, "-m", "alignui", "feedback", "list", "--rater", "rae", "--json"],
                            cwd=ROOT, env=dict(os.environ, ALIGNUI_HOME=str(server[1])), capture_output=True,
                            text=True, check=True)
    assert '"user": "rae"' in result.stdout and '"comment": "clearer"' in result.stdout


def test_a_trainer_cannot_cancel_another_trainers_job(server, tmp_path, tiny_model):
    from test_train_data import data_file

    ada, bo = session(server, "ada"), session(server, "bo")
    launch(ada, tiny_model, data_file(tmp_path, "dpo"), "max_steps=100000")
    newest = ada.predict(api_name="/jobs")["data"][0]
    job_id = newest[0]
    assert "ada" in newest  # the owner column
    assert "this is ada's" in refused(lambda: bo.predict(job_id, api_name="/cancel"))
    message, _table = ada.predict(job_id, api_name="/cancel")
    assert "cancelled" in message


def test_the_auth_pair_is_an_admin(server):
    owner = session(server, "owner", "owner password")
    message, table, _password = owner.predict("newbie", "rater", "newbie password", api_name="/add_user")
    assert "newbie" in message and "newbie" in str(table["data"])


def test_wrong_passwords_lock_the_login_and_the_lockout_ends(server):
    login = server[0] + "login"
    for _ in range(3):
        assert httpx.post(login, data={"username": "bo", "password": "guess"}).status_code == 400
    assert httpx.post(login, data={"username": "bo", "password": PASSWORDS["bo"]}).status_code == 400
    time.sleep(4.5)
    assert httpx.post(login, data={"username": "bo", "password": PASSWORDS["bo"]}).status_code == 200


def test_a_public_address_without_accounts_refuses_to_start(alignui_home):
    result = subprocess.run([sys.executable, "app.py", "--host", "0.0.0.0", "--port", "9"], cwd=ROOT,
                            env=dict(os.environ, ALIGNUI_HOME=str(alignui_home)), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "python -m alignui users add NAME --role admin" in result.stderr
