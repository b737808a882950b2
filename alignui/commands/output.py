"""How commands print: one JSON object with --json, readable lines otherwise."""

import json
import sys


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
