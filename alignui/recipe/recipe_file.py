"""Recipes: a TrainSpec saved as YAML (TRL field names), validated on save and on load.

Paths in a recipe that start with "./" or "../" (model, dataset, reward model) are relative to the
recipe's own folder, so a recipe and its data travel together (the demo's recipes do).
"""

import dataclasses
from pathlib import Path

from alignui.errors import NotFound
from alignui.recipe.spec import TrainSpec
from alignui.recipe.validate import validate

RELATIVE = ("./", "../")


def save_recipe(spec: TrainSpec, path: Path) -> Path:
    """Validate `spec` and write it as YAML."""
    path = Path(path)
    validate(spec).save(path)
    return path


def read_recipe(path: Path) -> TrainSpec:
    """A recipe's spec with its relative paths resolved, not yet validated (flags may still change it)."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"recipe {path} does not exist")
    spec = TrainSpec.load(path)
    folder = path.resolve().parent
    return dataclasses.replace(spec, **{
        name: str((folder / value).resolve())
        for name in ("model", "dataset", "reward_model")
        if isinstance(value := getattr(spec, name), str) and value.startswith(RELATIVE)
    })


def load_recipe(path: Path) -> TrainSpec:
    """Read a recipe and validate it (one error listing every problem)."""
    return validate(read_recipe(path))
