"""The app shell: launch options, safe defaults, lazy imports, one tab per step."""

import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from conftest import ROOT


def test_importing_the_ui_does_not_import_torch_or_trl():
    code = (
        "import sys, alignui.ui.app, alignui.cli; "
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'datasets', 'peft') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_modules_never_import_gradio():
    code = (
        "import sys, pkgutil, importlib, alignui\n"
        "sys.modules['gradio'] = None  # any import of gradio now fails\n"
        "for m in pkgutil.walk_packages(alignui.__path__, 'alignui.'):\n"
        "    if m.name.startswith('alignui.ui') or m.name.endswith('__main__'):\n"
        "        continue\n"
        "    importlib.import_module(m.name)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_defaults_bind_to_localhost_only():
    from app import parse_args

    args = parse_args([])
    assert args.host == "127.0.0.1"
    assert args.auth is None


def test_auth_must_be_user_colon_password():
    result = subprocess.run(
        [sys.executable, "app.py", "--auth", "nopassword"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "USER:PASS" in result.stderr


def test_app_serves_one_tab_per_step(app_server):
    url, _ = app_server
    page = urllib.request.urlopen(url + "config").read().decode()
    for tab in ("Data", "Algorithm", "Train", "Compare", "Evaluate"):
        assert f'"label": "{tab}"' in page or f'"label":"{tab}"' in page


@pytest.mark.parametrize("name", ["alignui.db", "alignui.db-wal", "datasets/anything.jsonl"])
def test_data_home_is_not_served(app_server, name):
    url, home = app_server
    target = home / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_text("secret")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{url}gradio_api/file={target}")
    assert error.value.code in (403, 404)


def test_cli_help_works_for_every_command():
    from alignui.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        result = subprocess.run(
            [sys.executable, "-m", "alignui", name, "--help"], cwd=ROOT, capture_output=True, text=True
        )
        assert result.returncode == 0, (name, result.stderr)
        nested = [a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"]
        for action in nested:
            for child in action.choices:
                result = subprocess.run(
                    [sys.executable, "-m", "alignui", name, child, "--help"],
                    cwd=ROOT, capture_output=True, text=True,
                )
                assert result.returncode == 0, (name, child, result.stderr)


def test_every_endpoint_keeps_the_name_it_was_given():
    import re

    from alignui.ui.app import build_app

    names = [fn.api_name for fn in build_app().fns.values() if fn.api_name and fn.api_visibility == "public"]
    renamed = [name for name in names if re.fullmatch(r".+_\d+", str(name))]
    assert renamed == [], f"two listeners share an api_name, so Gradio renamed: {renamed}"
