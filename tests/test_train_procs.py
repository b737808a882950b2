"""Process identity and stopping a whole process family, on real processes."""

import os
import subprocess
import sys
import time

import pytest

from alignui.train import procs

#: A leader whose child starts a grandchild in a session of its own, as torch's elastic agent does.
TREE = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
print("ready", flush=True)
time.sleep(60)
"""


def start_tree():
    leader = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    assert leader.stdout.readline().strip() == "ready"
    return leader


def test_a_pid_is_alive_only_with_its_own_start_time():
    me = os.getpid()
    started = procs.start_time(me)
    assert procs.alive(me) and procs.alive(me, started)
    assert not procs.alive(me, started - 100)  # another process that once had this pid
    assert not procs.alive(None)


def test_a_zombie_counts_as_gone():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.time() + 10
    while procs.info(child.pid).state != "Z" and time.time() < deadline:
        time.sleep(0.05)
    assert not procs.alive(child.pid)
    child.wait()
    assert not procs.alive(child.pid)


def test_the_family_includes_descendants_in_other_sessions():
    leader = start_tree()
    try:
        family = procs.family({leader.pid}, group=leader.pid)
        assert leader.pid in family and len(family) == 3
        assert any(procs.info(pid).pgid != leader.pid for pid in family)
    finally:
        procs.stop_family({leader.pid}, group=leader.pid, grace=2)
        leader.wait()


@pytest.mark.timeout(30)
def test_stopping_a_family_leaves_nothing_behind():
    leader = start_tree()
    family = procs.family({leader.pid}, group=leader.pid)
    left = procs.stop_family({leader.pid}, group=leader.pid, grace=5)
    leader.wait()
    assert left == set()
    assert not any(procs.alive(pid) for pid in family)
    assert not [p for p in procs.all_processes() if p.pgid == leader.pid]  # zombies aside, the group is empty


@pytest.mark.timeout(30)
def test_a_process_that_ignores_sigterm_gets_sigkill_after_the_grace_period():
    stubborn = subprocess.Popen(
        [sys.executable, "-c", ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                                "print('ready', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert stubborn.stdout.readline().strip() == "ready"
    started = time.monotonic()
    assert procs.stop_family({stubborn.pid}, grace=1) == set()
    assert stubborn.wait(timeout=5) == -9
    assert time.monotonic() - started >= 1
