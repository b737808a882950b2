"""How long `python app.py` takes from start to serving its first page (target: 10 s on 2 cores).

Run: .venv/bin/python benchmarks/app_startup.py [--runs 3]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def time_to_first_page() -> float:
    port = free_port()
    env = dict(os.environ, ALIGNUI_HOME=tempfile.mkdtemp(), GRADIO_ANALYTICS_ENABLED="False")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("app.py exited")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = [time_to_first_page() for _ in range(parser.parse_args().runs)]
    print(f"app start to first page: best {min(runs):.2f} s, worst {max(runs):.2f} s over {len(runs)} runs")


if __name__ == "__main__":
    main()
