"""Start the alignui web app: `python app.py [--host H] [--port P] [--auth USER:PASS] [--insecure-no-auth]`.

Secure by default: once accounts exist (`python -m alignui users add`), everyone signs in with one.
Binding an address other than this machine's own without any login refuses to start, unless
--insecure-no-auth says so on purpose.
"""

import argparse
import ipaddress
import sys

from alignui import settings

NO_ACCOUNTS = """alignui: refusing to serve {host} without logins: anyone who can reach this address could
train, read and delete everything. Add an account first, then start again:

    python -m alignui users add NAME --role admin

(or pass --auth USER:PASS for one admin login, or --insecure-no-auth to start anyway)."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the alignui web app.")
    parser.add_argument("--host", default=settings.DEFAULT_HOST,
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=settings.DEFAULT_PORT)
    parser.add_argument("--auth", metavar="USER:PASS", help="one admin login besides the accounts")
    parser.add_argument("--insecure-no-auth", action="store_true",
                        help="serve a public address without any login (everyone is an admin)")
    args = parser.parse_args(argv)
    if args.auth and ":" not in args.auth:
        parser.error("--auth takes USER:PASS")
    return args


def is_loopback(host: str) -> bool:
    if host in settings.LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv=None) -> None:
    args = parse_args(argv)
    from alignui import store
    from alignui.people import accounts

    store.connect()  # create and migrate the database before the first request
    single = tuple(args.auth.split(":", 1)) if args.auth else None
    logins = bool(single) or accounts.count() > 0
    if args.insecure_no_auth:
        logins = False
        print("alignui: WARNING: --insecure-no-auth: no login; everyone who reaches "
              f"{args.host}:{args.port} can do everything", file=sys.stderr)
    elif not logins and not is_loopback(args.host):
        print(NO_ACCOUNTS.format(host=args.host), file=sys.stderr)
        raise SystemExit(2)

    from alignui.train.jobs import reconcile
    from alignui.ui import login
    from alignui.ui.access import Gate
    from alignui.ui.app import build_app

    reconcile()  # jobs that died while the app was down show as interrupted, live ones stay live
    from alignui.data.catalog import clean_orphans

    clean_orphans()  # what a save killed midway left behind
    gate = Gate(logins=logins, single_admin=single[0] if single else None)
    app = build_app(gate)
    app.queue(default_concurrency_limit=4)
    guard = None
    if logins:
        from alignui.people.logins import LoginGuard

        guard = login.auth_function(LoginGuard(extra=single))
    app.launch(
        server_name=args.host,
        server_port=args.port,
        auth=guard,
        auth_message=login.MESSAGE if logins else None,
        app_kwargs=login.app_kwargs(gate),
        share=False,
        max_file_size=settings.MAX_UPLOAD_SIZE,
        # The database, datasets and models must never be served through Gradio's file routes.
        blocked_paths=[str(settings.home())],
        show_error=True,
    )


if __name__ == "__main__":
    main()
