"""Accounts from the CLI: add, list, passwd, remove, the Docker bootstrap; argon2id hashes."""

import json
import sqlite3

import pytest
from conftest import run_cli


def add(home, name, role, password):
    return run_cli_input(home, password + "\n", "users", "add", name, "--role", role, "--password-stdin")


def run_cli_input(home, text, *args):
    return run_cli(*args, home=home, stdin=text)


def test_users_cli_adds_lists_changes_and_removes(alignui_home):
    assert add(alignui_home, "ada", "trainer", "correct horse").returncode == 0
    assert add(alignui_home, "rae", "rater", "battery staple").returncode == 0
    listed = json.loads(run_cli("users", "list", "--json", home=alignui_home, check=True).stdout)["users"]
    assert [(u["name"], u["role"]) for u in listed] == [("ada", "trainer"), ("rae", "rater")]
    assert all("password_hash" not in u for u in listed)

    again = add(alignui_home, "ada", "admin", "another one")
    assert again.returncode == 1 and "exists already" in again.stderr
    assert again.stderr.count("\n") == 1  # one line, no traceback

    from alignui.people import accounts

    assert accounts.verify("ada", "correct horse").role == "trainer"
    assert run_cli_input(alignui_home, "new password\n", "users", "passwd", "ada", "--password-stdin").returncode == 0
    assert accounts.verify("ada", "correct horse") is None
    assert accounts.verify("ada", "new password").name == "ada"

    assert run_cli("users", "remove", "rae", home=alignui_home).returncode == 0
    assert accounts.get("rae") is None
    gone = run_cli_input(alignui_home, "", "users", "passwd", "rae", "--password-stdin")
    assert gone.returncode == 1 and "no user 'rae'" in gone.stderr


@pytest.mark.parametrize("args, problem", [
    (("ada", "--role", "boss"), "invalid choice"),
    (("no spaces", "--role", "rater"), "not allowed"),
])
def test_bad_names_and_roles_are_refused(alignui_home, args, problem):
    result = run_cli_input(alignui_home, "long enough\n", "users", "add", *args, "--password-stdin")
    assert result.returncode != 0 and problem in result.stderr


def test_short_passwords_are_refused(alignui_home):
    result = add(alignui_home, "ada", "admin", "short")
    assert result.returncode == 1 and "at least 8" in result.stderr


def test_hashes_are_salted_argon2id(alignui_home):
    from alignui import settings
    from alignui.people import accounts

    accounts.add("one", "rater", "same password")
    accounts.add("two", "rater", "same password")
    hashes = [row[0] for row in sqlite3.connect(settings.database_path()).execute(
        "select password_hash from users order by name")]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert hashes[0] != hashes[1] and "same password" not in "".join(hashes)


def test_bootstrap_creates_the_first_admin_from_a_secret_file(alignui_home, tmp_path, monkeypatch):
    from alignui.people import accounts

    secret = tmp_path / "admin-password"
    secret.write_text("from a mounted secret\n")
    monkeypatch.setenv("ALIGNUI_ADMIN_USER", "root")
    monkeypatch.setenv("ALIGNUI_ADMIN_PASSWORD_FILE", str(secret))
    assert run_cli("users", "bootstrap", home=alignui_home, check=True).stdout.startswith("admin root created")
    assert accounts.verify("root", "from a mounted secret").role == "admin"
    # A second start leaves the account (and a password changed since) alone.
    secret.write_text("changed later\n")
    assert "left as it is" in run_cli("users", "bootstrap", home=alignui_home, check=True).stdout
    assert accounts.verify("root", "from a mounted secret") is not None


def test_bootstrap_without_a_password_says_how(alignui_home, monkeypatch):
    monkeypatch.setenv("ALIGNUI_ADMIN_USER", "root")
    monkeypatch.delenv("ALIGNUI_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("ALIGNUI_ADMIN_PASSWORD_FILE", raising=False)
    result = run_cli("users", "bootstrap", home=alignui_home)
    assert result.returncode == 1 and "ALIGNUI_ADMIN_PASSWORD" in result.stderr
