"""The login check Gradio calls, with the client's address for the per-address limit.

Gradio calls `auth(username, password)` with nothing else, from inside its /login route. The ASGI
middleware below records each HTTP request's client address in a context variable that this call
can read: the route runs in the same context as the middleware that passed the request on.
Behind a reverse proxy the address is the proxy's, so the per-name limit is what protects then.
"""

from contextvars import ContextVar

from alignui.people.logins import LoginGuard

_client_address: ContextVar[str | None] = ContextVar("alignui_client_address", default=None)
MESSAGE = "Sign in with your alignui account. Too many wrong passwords lock the name and the address for a while."


class ClientAddress:
    """ASGI middleware: remember the client address of the request being served."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("client"):
            return await self.app(scope, receive, send)
        token = _client_address.set(scope["client"][0])
        try:
            await self.app(scope, receive, send)
        finally:
            _client_address.reset(token)


def auth_function(guard: LoginGuard):
    """The callable for `launch(auth=...)`: True if the login may go in.

    Gradio awaits a coroutine function; the memory-hard hash then runs on a worker thread instead of
    stalling every other request on the event loop while it is computed."""
    import anyio

    async def check(username: str, password: str) -> bool:
        address = _client_address.get()
        return await anyio.to_thread.run_sync(guard.login, username, password, address) is not None
    return check


def app_kwargs(gate) -> dict:
    """FastAPI settings that put the address middleware and the upload check (access.UploadGuard)
    in front of Gradio's routes."""
    from starlette.middleware import Middleware

    from alignui.ui.access import UploadGuard

    return {"middleware": [Middleware(ClientAddress), Middleware(UploadGuard, gate=gate)]}
