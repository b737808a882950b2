"""Raters under load: 20 people voting at once while 5 watch a job in the Train tab.

A real `app.py` with accounts on loopback; every rater and viewer is its own gradio_client session
signed in with its own account, calling the same endpoints the page calls:
- each rater asks the next prompt of an assigned prompt set (the demo model answers on both sides,
  greedy) and votes on it, over and over;
- each viewer asks the Train tab's job status (`/job_status`, what the 2-second timer calls) of a
  finished KTO job on the demo thumbs (6,000 rows), every 2 s.
Target: 0 errors and every vote in the database; the p95 vote latency is reported.

Run: .venv/bin/python benchmarks/rater_load.py [--duration 120] [--raters 20] [--viewers 5]
"""

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "assets" / "demo"
PASSWORD = "load-test-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(home: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([sys.executable, "-m", "alignui", *args], cwd=ROOT, input=stdin, text=True,
                            capture_output=True, env=dict(os.environ, ALIGNUI_HOME=str(home)))
    if result.returncode:
        raise RuntimeError(f"alignui {' '.join(args)}: {result.stderr}")
    return result.stdout


def prepare(home: Path, raters: int, viewers: int) -> int:
    """Accounts, and a finished KTO job for the viewers to watch; returns its id."""
    sys.path.insert(0, str(ROOT))
    os.environ["ALIGNUI_HOME"] = str(home)
    from alignui.people import accounts

    accounts.add("lead", "trainer", PASSWORD)
    for name in [f"rater{n:02d}" for n in range(raters)]:
        accounts.add(name, "rater", PASSWORD)
    for name in [f"viewer{n}" for n in range(viewers)]:
        accounts.add(name, "trainer", PASSWORD)
    job = json.loads(cli(home, "train", "--algorithm", "kto", "--model", str(DEMO / "model"),
                         "--data", str(DEMO / "thumbs.jsonl"), "--set", "max_steps=4",
                         "--set", "per_device_train_batch_size=8", "--set", "logging_steps=1",
                         "--eval-fraction", "0", "--wait", "--json"))
    if job["status"] != "succeeded":
        raise RuntimeError(f"the KTO job for the viewers did not succeed: {job['error']}")
    return job["job_id"]


def sign_in(url: str, name: str):
    """A session as a browser holds one; like a browser, it waits for a slow answer (60 s)."""
    from gradio_client import Client

    return Client(url, auth=(name, PASSWORD), verbose=False, httpx_kwargs={"timeout": 60})


def serve(home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT,
                            env=dict(os.environ, ALIGNUI_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False"),
                            stdout=open(home / "server.log", "w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("app.py exited:\n" + (home / "server.log").read_text())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("app.py did not start")


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.votes, self.asks, self.ticks, self.errors = [], [], [], []

    def add(self, series: list, seconds: float) -> None:
        with self.lock:
            series.append(seconds)

    def error(self, who: str, error: Exception) -> None:
        with self.lock:
            self.errors.append(f"{who}: {type(error).__name__}: {error}")


def rater(client, name: str, prompt_set: str, deadline: float, tally: Tally) -> None:
    try:
        choice = 0
        while time.time() < deadline:
            start = time.perf_counter()
            client.predict(prompt_set, api_name="/rate_next")
            tally.add(tally.asks, time.perf_counter() - start)
            start = time.perf_counter()
            client.predict(("a", "b", "tie", "both_bad")[choice % 4], "", api_name="/rate_vote")
            tally.add(tally.votes, time.perf_counter() - start)
            choice += 1
    except Exception as error:  # counted and reported: the target is zero
        tally.error(name, error)


def viewer(client, name: str, job_id: int, deadline: float, tally: Tally) -> None:
    try:
        while time.time() < deadline:
            start = time.perf_counter()
            client.predict(job_id, api_name="/job_status")
            tally.add(tally.ticks, time.perf_counter() - start)
            time.sleep(max(0.0, 2.0 - (time.perf_counter() - start)))
    except Exception as error:
        tally.error(name, error)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else float("nan"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load (default 120)")
    parser.add_argument("--raters", type=int, default=20)
    parser.add_argument("--viewers", type=int, default=5)
    parser.add_argument("--home", type=Path, help="reuse the data home a previous run prepared (its accounts "
                                                   "and KTO job; its votes are counted from zero again)")
    args = parser.parse_args()

    if args.home:
        home = args.home
        db = sqlite3.connect(home / "alignui.db")
        job_id = db.execute("select max(id) from jobs where status = 'succeeded'").fetchone()[0]
        db.execute("delete from feedback")
        db.commit()
    else:
        home = Path(tempfile.mkdtemp(prefix="alignui-load-"))
        job_id = prepare(home, args.raters, args.viewers)
    print(f"data home {home}, watching job {job_id}", file=sys.stderr)
    proc, url = serve(home)
    try:
        lead = sign_in(url, "lead")
        prompts = [json.loads(line)["prompt"] for line in (DEMO / "heldout.jsonl").read_text().splitlines()[:200]]
        prompts = [p if isinstance(p, str) else p[-1]["content"] for p in prompts]
        lead.predict("load", str(DEMO / "model"), str(DEMO / "model"), "\n".join(prompts), None,
                     api_name="/assign_prompts")
        # Everyone signs in first (one after the other, as people arrive); the load is what follows.
        raters = {f"rater{n:02d}": sign_in(url, f"rater{n:02d}") for n in range(args.raters)}
        viewers = {f"viewer{n}": sign_in(url, f"viewer{n}") for n in range(args.viewers)}
        tally = Tally()
        deadline = time.time() + args.duration
        threads = [threading.Thread(target=rater, args=(client, name, "load", deadline, tally))
                   for name, client in raters.items()]
        threads += [threading.Thread(target=viewer, args=(client, name, job_id, deadline, tally))
                    for name, client in viewers.items()]
        started = time.time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.time() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    stored = sqlite3.connect(home / "alignui.db").execute(
        "select count(*), count(distinct user) from feedback where kind = 'vote'").fetchone()
    result = {
        "raters": args.raters, "viewers": args.viewers, "seconds": round(elapsed, 1),
        "votes": len(tally.votes), "votes_stored": stored[0], "raters_stored": stored[1],
        "errors": len(tally.errors),
        "vote_p50_s": round(statistics.median(tally.votes), 3) if tally.votes else None,
        "vote_p95_s": round(p95(tally.votes), 3),
        "ask_p95_s": round(p95(tally.asks), 3),
        "status_p50_s": round(statistics.median(tally.ticks), 3) if tally.ticks else None,
        "status_p95_s": round(p95(tally.ticks), 3), "status_polls": len(tally.ticks),
    }
    print(json.dumps(result))
    for line in tally.errors[:10]:
        print("error:", line, file=sys.stderr)
    ok = not tally.errors and tally.votes and stored[0] == len(tally.votes)
    print(f"{result['votes']} votes from {args.raters} raters in {elapsed:.0f} s, {stored[0]} in the database, "
          f"{len(tally.errors)} errors; vote latency p50 {result['vote_p50_s']} s, p95 {result['vote_p95_s']} s; "
          f"job status p95 {result['status_p95_s']} s over {len(tally.ticks)} polls: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
