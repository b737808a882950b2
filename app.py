"""Start the alignui web app: `python app.py [--host H] [--port P] [--auth USER:PASS]`."""

import argparse

from alignui import settings


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the alignui web app.")
    parser.add_argument("--host", default=settings.DEFAULT_HOST,
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=settings.DEFAULT_PORT)
    parser.add_argument("--auth", metavar="USER:PASS", help="require this login")
    args = parser.parse_args(argv)
    if args.auth and ":" not in args.auth:
        parser.error("--auth takes USER:PASS")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    from alignui import store
    from alignui.ui.app import build_app

    store.connect()  # create and migrate the database before the first request
    from alignui.train.jobs import reconcile

    reconcile()  # jobs that died while the app was down show as interrupted, live ones stay live
    from alignui.data.catalog import clean_orphans

    clean_orphans()  # what a save killed midway left behind
    app = build_app()
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=args.host,
        server_port=args.port,
        auth=tuple(args.auth.split(":", 1)) if args.auth else None,
        share=False,
        max_file_size=settings.MAX_UPLOAD_SIZE,
        # The database, datasets and models must never be served through Gradio's file routes.
        blocked_paths=[str(settings.home())],
        show_error=True,
    )


if __name__ == "__main__":
    main()
