"""Accounts: login names, roles and argon2id password hashes in the `users` table.

Roles, from least to most:
- rater: the Rate page only (blind comparisons, votes, thumbs, comments);
- trainer: the whole flow; sees everyone's work, cancels, resumes and deletes only their own;
- admin: everything, including other people's work and the accounts themselves.

Passwords are hashed with argon2id (argon2-cffi's defaults: salted, memory-hard); the hash string
carries its own salt and parameters, so a later change of parameters still verifies old hashes.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from alignui import store
from alignui.errors import DataError, NotFound

RATER, TRAINER, ADMIN = "rater", "trainer", "admin"
ROLES = (RATER, TRAINER, ADMIN)
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 8
#: Environment variables that create the first admin (the Docker image's bootstrap).
ADMIN_USER_ENV = "ALIGNUI_ADMIN_USER"
ADMIN_PASSWORD_ENV = "ALIGNUI_ADMIN_PASSWORD"
ADMIN_PASSWORD_FILE_ENV = "ALIGNUI_ADMIN_PASSWORD_FILE"


@dataclass(frozen=True)
class User:
    """Someone acting in the app: a login name and a role."""

    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_PATTERN.fullmatch(name):
        raise DataError(f"user name {name!r} is not allowed: use 1-64 letters, digits, '.', '_', '@' or '-', "
                        "starting with a letter or digit")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise DataError(f"role is one of {', '.join(ROLES)}, not {role!r}")
    return role


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise DataError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def add(name: str, role: str, password: str, if_missing: bool = False) -> bool:
    """Create an account; False (and nothing changed) if it exists and `if_missing` is set."""
    name, role = check_name(name), check_role(role)
    check_password(password)
    db = store.connect()
    if _row(db, name):
        if if_missing:
            return False
        raise DataError(f"user {name!r} exists already; change the password with `python -m alignui "
                        f"users passwd {name}`")
    db["users"].insert({"name": name, "role": role, "password_hash": _hasher().hash(password),
                        "created_at": store.now()})
    return True


def remove(name: str) -> None:
    db = store.connect()
    _need(db, name)
    db["users"].delete(name)


def set_password(name: str, password: str) -> None:
    check_password(password)
    db = store.connect()
    _need(db, name)
    db["users"].update(name, {"password_hash": _hasher().hash(password)})


def list_users() -> list[dict]:
    """Every account's name, role and creation time (never the hash), by name."""
    return list(store.connect()["users"].rows_where(order_by="name", select="name, role, created_at"))


def count() -> int:
    return store.connect()["users"].count


def get(name: str) -> User | None:
    """The account called `name`, or None."""
    row = _row(store.connect(), name)
    return User(row["name"], row["role"]) if row else None


def verify(name: str, password: str) -> User | None:
    """The account if `password` is its password, else None. Takes the same time for an unknown name."""
    from argon2.exceptions import InvalidHashError, VerificationError

    row = _row(store.connect(), (name or "").strip())
    hasher = _hasher()
    try:
        # An unknown name still costs one hash, so timing does not tell which names exist.
        hasher.verify(row["password_hash"] if row else _decoy(hasher), password or "")
    except (VerificationError, InvalidHashError):
        return None
    return User(row["name"], row["role"]) if row else None


def bootstrap_admin() -> str | None:
    """Create the admin named by ALIGNUI_ADMIN_USER if missing, its password from
    ALIGNUI_ADMIN_PASSWORD or the file ALIGNUI_ADMIN_PASSWORD_FILE (a mounted secret).
    Returns what happened, or None when no admin is configured."""
    name = os.environ.get(ADMIN_USER_ENV, "").strip()
    if not name:
        return None
    password = os.environ.get(ADMIN_PASSWORD_ENV)
    secret = os.environ.get(ADMIN_PASSWORD_FILE_ENV)
    if secret:
        try:
            password = Path(secret).read_text().rstrip("\r\n")
        except OSError as error:
            raise DataError(f"cannot read {ADMIN_PASSWORD_FILE_ENV} ({secret}): {error.strerror}") from None
    if not password:
        raise DataError(f"{ADMIN_USER_ENV} is set: give its password in {ADMIN_PASSWORD_ENV} "
                        f"or a file named by {ADMIN_PASSWORD_FILE_ENV}")
    created = add(name, ADMIN, password, if_missing=True)
    return f"admin {name} created" if created else f"user {name} exists already; left as it is"


_DECOY: list[str] = []


def _decoy(hasher) -> str:
    if not _DECOY:
        _DECOY.append(hasher.hash(os.urandom(16).hex()))
    return _DECOY[0]


def _row(db, name: str) -> dict | None:
    return next(db["users"].rows_where("name = ?", [name]), None)


def _need(db, name: str) -> dict:
    row = _row(db, name)
    if row is None:
        raise NotFound(f"no user {name!r}; `python -m alignui users list` shows the accounts")
    return row
