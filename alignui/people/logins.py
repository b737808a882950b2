"""Login attempts, limited per login name and per client address, with a lockout that ends by itself.

`login_window_s` seconds of failures are counted per key ("user:NAME" and "addr:IP"). Once a key has
`login_max_failures` failures in the window it is locked for `login_lockout_s` seconds: every
attempt on it fails without checking the password, so guessing gets nowhere and costs no hashing.
A success clears the name's failures (not the address's: one good account must not reset the
count for guesses at others from the same place).
"""

import threading
import time
from collections import deque

from alignui.people import accounts
from alignui.settings import PeopleLimits

#: Keys with recent failures kept before quiet ones are forgotten (bounds memory under a flood).
MAX_TRACKED = 10_000


class LoginGuard:
    """Checks logins against the accounts (or an extra fixed pair) under the limits."""

    def __init__(self, limits: PeopleLimits | None = None, extra: tuple[str, str] | None = None,
                 clock=time.monotonic):
        self.limits = limits or PeopleLimits.from_env()
        self.extra = extra
        self.clock = clock
        self._failures: dict[str, deque] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def login(self, name: str, password: str, address: str | None = None) -> accounts.User | None:
        """The user if the password is right and neither the name nor the address is locked."""
        name = (name or "").strip()
        keys = [f"user:{name}"] + ([f"addr:{address}"] if address else [])
        if any(self.locked(key) for key in keys):
            return None
        user = self._check(name, password)
        with self._lock:
            if user is None:
                for key in keys:
                    self._fail(key)
            else:
                self._failures.pop(keys[0], None)
        return user

    def locked(self, key: str) -> bool:
        with self._lock:
            until = self._locked_until.get(key)
            if until is None:
                return False
            if self.clock() >= until:
                del self._locked_until[key]
                self._failures.pop(key, None)
                return False
            return True

    def _check(self, name: str, password: str) -> accounts.User | None:
        if self.extra is not None:
            import hmac

            extra_name, extra_password = self.extra
            if hmac.compare_digest(name.encode(), extra_name.encode()) and \
                    hmac.compare_digest((password or "").encode(), extra_password.encode()):
                return accounts.User(extra_name, accounts.ADMIN)
        return accounts.verify(name, password)

    def _fail(self, key: str) -> None:
        now = self.clock()
        if len(self._failures) > MAX_TRACKED:  # many made-up names: forget the ones gone quiet
            for stale in [k for k, f in self._failures.items() if not f or f[-1] <= now - self.limits.login_window_s]:
                del self._failures[stale]
        failures = self._failures.setdefault(key, deque())
        failures.append(now)
        while failures and failures[0] <= now - self.limits.login_window_s:
            failures.popleft()
        if len(failures) >= self.limits.login_max_failures:
            self._locked_until[key] = now + self.limits.login_lockout_s
            failures.clear()
