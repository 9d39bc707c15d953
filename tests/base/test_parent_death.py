"""A worker whose parent died before the worker's start ran (so the kernel's parent-death signal
came too early to be asked for) exits at once: die_with_parent compares the parent's pid with the
one that started it, watch_server sees that the server's pid does not run. A forked child plays
the worker, told a pid that is not its parent's. A warm worker forked by another process than
the server (the forkserver) exits once the server is killed."""

from __future__ import annotations

import os
import signal
import time

import pytest

from ska_sim.base.interrupts import die_with_parent, watch_server


def exit_status_of_child(start) -> int:
    pid = os.fork()
    if pid == 0:  # the child: only os-level calls, then _exit
        try:
            start()
            time.sleep(2)  # a watch thread gets the time to notice
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.parametrize("start", [die_with_parent, watch_server], ids=["die_with_parent", "watch_server"])
def test_a_worker_whose_parent_is_not_the_one_that_started_it_exits(start):
    not_the_parent = os.getpid() + 1_000_000  # never a pid (pid_max is at most 2**22)
    assert exit_status_of_child(lambda: start(not_the_parent)) == 1


@pytest.mark.parametrize("start", [die_with_parent, watch_server], ids=["die_with_parent", "watch_server"])
def test_a_worker_whose_parent_lives_goes_on(start):
    parent = os.getpid()
    assert exit_status_of_child(lambda: start(parent)) == 0


def test_a_worker_that_is_not_the_servers_child_exits_when_the_server_is_killed():
    """The server is a forked child that sleeps; the worker, another child of this process (as
    the forkserver's workers are not the server's), watches it and ends once it is killed."""
    server = os.fork()
    if server == 0:
        time.sleep(60)
        os._exit(0)
    worker = os.fork()
    if worker == 0:
        try:
            watch_server(server, every_s=0.05)
            time.sleep(30)  # the watch ends it long before
        finally:
            os._exit(0)
    time.sleep(0.3)
    assert os.waitpid(worker, os.WNOHANG) == (0, 0)  # the server runs: the worker goes on
    os.kill(server, signal.SIGKILL)  # not reaped yet: a zombie, which does not run
    t0 = time.monotonic()
    _, status = os.waitpid(worker, 0)
    assert os.waitstatus_to_exitcode(status) == 1 and time.monotonic() - t0 < 5
    os.waitpid(server, 0)
