"""Who may call which endpoint. The server decides, not the page.

Gradio builds one Blocks for everyone, and every event listener is an API endpoint that any signed-in
client can call, whatever the page shows it. So `protect` wraps EVERY handler of the app, once it is
built: the wrapper looks up the caller's role from the login name on the request, refuses a role the
handler does not allow, and otherwise runs the handler as that user (alignui.people.acting), so the
core records owners and checks ownership. A handler is for trainers and admins unless marked with
`allow(...)`: a new endpoint is closed to raters until someone opens it on purpose.

Without logins (this machine only, or --insecure-no-auth) the caller is the local operator, who may
do everything.
"""

import inspect
from dataclasses import dataclass

import gradio as gr

from alignui.people import acting
from alignui.people.accounts import ADMIN, ROLES, TRAINER, User

#: The roles a handler that is not marked with `allow` is open to.
STAFF = (TRAINER, ADMIN)
EVERYONE = ROLES
#: Events the page fires by itself (page load, timers): refused, they change nothing instead of
#: showing an error (a rater's page still loads the hidden tabs' components).
SILENT_EVENTS = {"load", "tick"}
_MARK = "_alignui_roles"


def allow(*roles: str):
    """Open a handler to these roles (by default it is open to trainers and admins only)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def mark(handler):
        setattr(handler, _MARK, tuple(roles))
        return handler
    return mark


@dataclass(frozen=True)
class Gate:
    """How callers are identified: `logins` says whether the app asks for a login at all;
    `single_admin` is the name given with --auth USER:PASS, an admin without an account."""

    logins: bool
    single_admin: str | None = None

    def caller(self, request) -> tuple[bool, User | None]:
        """(known, user): the local operator is (True, None); a name without an account (False, None)."""
        if not self.logins:
            return True, None
        from alignui.people import accounts

        name = getattr(request, "username", None) if request is not None else None
        if name and name == self.single_admin:
            return True, User(name, ADMIN)
        user = accounts.get(name) if name else None
        return user is not None, user

    def role(self, request) -> str | None:
        """The caller's role: ADMIN for the local operator, None for someone unknown."""
        known, user = self.caller(request)
        return (user.role if user else ADMIN) if known else None


class UploadGuard:
    """ASGI middleware: Gradio's own upload route keeps any file a signed-in client sends, before any
    handler runs; only trainers and admins may upload. The caller is found the way Gradio finds
    them, from the session cookie."""

    def __init__(self, app, gate: Gate):
        self.app = app
        self.gate = gate

    async def __call__(self, scope, receive, send):
        if self.gate.logins and scope["type"] == "http" and scope["method"] == "POST" \
                and scope["path"].rstrip("/").endswith("/upload"):
            from types import SimpleNamespace

            from starlette.requests import Request
            from starlette.responses import JSONResponse

            server = scope.get("app")
            cookie_id = getattr(server, "cookie_id", "")
            cookies = Request(scope).cookies
            token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
            name = getattr(server, "tokens", {}).get(token)
            role = self.gate.role(SimpleNamespace(username=name))
            if role not in STAFF:
                detail = f"Not allowed: signed in as a {role}, and uploads need the role trainer or admin."
                return await JSONResponse({"detail": detail}, status_code=403)(scope, receive, send)
        await self.app(scope, receive, send)


def protect(app: gr.Blocks, gate: Gate) -> gr.Blocks:
    """Wrap every handler of `app` with the role check; returns the app."""
    for block_fn in app.fns.values():
        if block_fn.fn is not None:
            block_fn.fn = _guarded(block_fn.fn, gate, _silent(block_fn), len(block_fn.outputs))
    return app


def _silent(block_fn) -> bool:
    return bool(block_fn.targets) and all(event in SILENT_EVENTS for _, event in block_fn.targets)


def _guarded(handler, gate: Gate, silent: bool, outputs: int):
    """`handler` behind the check, with a gr.Request parameter added if it has none."""
    import typing

    roles = getattr(handler, _MARK, STAFF)
    signature = inspect.signature(handler)
    hints = typing.get_type_hints(handler)
    params = list(signature.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    at = next((i for i, p in enumerate(positional) if hints.get(p.name) is gr.Request), None)
    added = at is None
    if added:  # Gradio fills a gr.Request-annotated positional parameter: add one after the others
        at = len(positional)
        extra = inspect.Parameter("_alignui_request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
        params.insert(at, extra)
        hints = {**hints, "_alignui_request": gr.Request}

    def split(args):
        request = args[at] if len(args) > at else None
        return request, (args[:at] + args[at + 1:] if added else args)

    def admitted(args) -> tuple[bool, User | None, tuple]:
        """(whether the caller may run the handler, the acting user, the handler's own arguments); a
        refusal raises gr.Error, unless the event is silent."""
        request, args = split(args)
        known, user = gate.caller(request)
        role = user.role if user else ADMIN
        if not known:
            problem = "Your account no longer exists or was never made: sign in again."
        elif role not in roles:
            problem = f"Not allowed: signed in as a {role}, and this needs the role {' or '.join(roles)}."
        else:
            return True, user, args
        if silent:
            return False, user, args
        raise gr.Error(problem)

    def skipped():
        return None if outputs == 0 else gr.skip() if outputs == 1 else tuple(gr.skip() for _ in range(outputs))

    if inspect.isgeneratorfunction(handler):
        def wrapper(*args, **kwargs):
            allowed, user, args = admitted(args)
            if not allowed:
                yield skipped()
                return
            steps = handler(*args, **kwargs)
            try:
                while True:  # the acting user is set around each step: steps may run on different threads
                    with acting.acting_as(user):
                        try:
                            item = next(steps)
                        except StopIteration:
                            return
                    yield item
            finally:
                steps.close()  # a page that went away stops the handler now, not when collected
    elif inspect.iscoroutinefunction(handler):
        async def wrapper(*args, **kwargs):
            allowed, user, args = admitted(args)
            if not allowed:
                return skipped()
            with acting.acting_as(user):
                return await handler(*args, **kwargs)
    else:
        def wrapper(*args, **kwargs):
            allowed, user, args = admitted(args)
            if not allowed:
                return skipped()
            with acting.acting_as(user):
                return handler(*args, **kwargs)

    wrapper.__name__ = getattr(handler, "__name__", "handler")
    wrapper.__doc__ = handler.__doc__
    wrapper.__signature__ = signature.replace(parameters=params)
    wrapper.__annotations__ = hints
    setattr(wrapper, _MARK, roles)
    return wrapper

