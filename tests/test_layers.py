"""The package's layers: the run spec at the bottom, the advisor and training beside each other above it."""

import ast
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "alignui"


def imported_packages(folder: Path) -> set[str]:
    """alignui.<sub> names imported anywhere under `folder` (module level or inside functions)."""
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            found |= {".".join(name.split(".")[:2]) for name in names if name.startswith("alignui.")}
    return found


@pytest.mark.parametrize("layer, never", [
    ("recipe", {"alignui.advisor", "alignui.train", "alignui.ui", "alignui.arena", "alignui.evaluate"}),
    ("advisor", {"alignui.train", "alignui.ui"}),
    ("train", {"alignui.advisor", "alignui.ui"}),
    ("data", {"alignui.recipe", "alignui.advisor", "alignui.train", "alignui.ui"}),
])
def test_no_layer_reaches_upward(layer, never):
    assert imported_packages(PACKAGE / layer) & never == set()


def test_the_package_ships_the_demo():
    assert (PACKAGE / "assets" / "demo" / "model" / "config.json").is_file()  # alignui/assets is assets/
    assert sorted(p.stem for p in (PACKAGE / "assets" / "demo" / "recipes").glob("*.yaml")) == [
        "dpo", "grpo", "ipo", "kto", "orpo", "reward", "sft", "simpo"]
