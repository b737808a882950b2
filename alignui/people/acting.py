"""Who is acting, and what they may do to a record they may not own.

The web app sets the acting user around each request it serves (alignui/ui/access.py); core
functions that create or change records ask `current()` unless given an actor explicitly. No actor
means the person at this machine (the CLI, or an app without accounts): they may do everything.
"""

import contextlib
from contextvars import ContextVar

from alignui.errors import Forbidden
from alignui.people.accounts import ADMIN, TRAINER, User

_actor: ContextVar[User | None] = ContextVar("alignui_actor", default=None)


def current() -> User | None:
    return _actor.get()


@contextlib.contextmanager
def acting_as(user: User | None):
    """Run the body as `user` (None: the local operator)."""
    token = _actor.set(user)
    try:
        yield user
    finally:
        _actor.reset(token)


def owner_name(actor: User | None = None) -> str:
    """The name recorded as a new record's owner ("" for the local operator)."""
    actor = actor or current()
    return actor.name if actor else ""


def require_role(roles: tuple[str, ...], what: str, actor: User | None = None) -> None:
    actor = actor or current()
    if actor is not None and actor.role not in roles:
        raise Forbidden(f"{what} needs the role {' or '.join(roles)}; you are signed in as a {actor.role}")


def require_owner(owner: str | None, what: str, actor: User | None = None) -> None:
    """Refuse unless the actor is the local operator, an admin, or a trainer who owns the record."""
    actor = actor or current()
    if actor is None or actor.is_admin:
        return
    require_role((TRAINER, ADMIN), what, actor)
    if (owner or "") != actor.name:
        whose = f"{owner}'s" if owner else "the server's own"
        raise Forbidden(f"{what}: this is {whose}, and only its owner or an admin may do that")
