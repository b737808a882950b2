"""Prompt sets: the prompts a trainer assigns to raters, and the two models raters compare on them.

A rater only ever names a set; which models answer stays on the server and is never shown to them.
"""

import json

from alignui import store
from alignui.errors import DataError, NotFound
from alignui.people import acting
from alignui.people.accounts import ADMIN, TRAINER

#: Most prompts one set may hold.
MAX_PROMPTS = 10_000


def assign(name: str, prompts: list[str], reference: str, aligned: str) -> dict:
    """Create or replace the set `name`; the two models are resolved now (a job, a folder, a hub id)."""
    from alignui.arena import models
    from alignui.data.catalog import check_name

    acting.require_role((TRAINER, ADMIN), "assigning prompts to raters")
    name = check_name(name)
    prompts = [p.strip() for p in prompts if p and p.strip()]
    if not prompts:
        raise DataError("a prompt set needs at least one prompt")
    if len(prompts) > MAX_PROMPTS:
        raise DataError(f"a prompt set holds at most {MAX_PROMPTS} prompts, not {len(prompts)}")
    db = store.connect()
    existing = next(db["prompt_sets"].rows_where("name = ?", [name]), None)
    if existing:
        acting.require_owner(existing["owner"], f"replacing prompt set {name!r}")
    row = {"name": name, "prompts": json.dumps(prompts, ensure_ascii=False),
           "reference": models.resolve(reference).id, "aligned": models.resolve(aligned).id,
           "owner": acting.owner_name(), "created_at": store.now()}
    db["prompt_sets"].upsert(row, pk="name")
    return {**row, "prompts": prompts}


def prompts_from_dataset(name: str) -> list[str]:
    """The distinct prompts of a catalog dataset (a conversation's last user turn)."""
    from alignui.data import catalog

    seen = []
    with open(catalog.get(name).path) as rows:
        for line in rows:
            prompt = json.loads(line).get("prompt")
            if isinstance(prompt, list):
                prompt = next((m.get("content") for m in reversed(prompt) if m.get("role") == "user"), None)
            if isinstance(prompt, str) and prompt.strip() and prompt not in seen:
                seen.append(prompt)
    if not seen:
        raise DataError(f"dataset {name!r} has no prompts to rate")
    return seen


def names() -> list[str]:
    return [row["name"] for row in store.connect()["prompt_sets"].rows_where(order_by="name", select="name")]


def get(name: str) -> dict:
    row = next(store.connect()["prompt_sets"].rows_where("name = ?", [name]), None)
    if row is None:
        raise NotFound(f"no prompt set named {name!r}; ask a trainer to assign one")
    return {**row, "prompts": json.loads(row["prompts"])}


def delete(name: str) -> None:
    row = get(name)
    acting.require_owner(row["owner"], f"deleting prompt set {name!r}")
    store.connect()["prompt_sets"].delete(name)
