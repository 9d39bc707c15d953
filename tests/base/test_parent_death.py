"""A worker whose parent died before the worker's start ran (so the kernel's parent-death signal
came too early to be asked for) exits at once: die_with_parent and watch_parent compare the
parent's pid with the one that started it. A forked child plays the worker, told a pid that is
not its parent's."""

from __future__ import annotations

import os
import time

import pytest

from ska_sim.base.interrupts import die_with_parent, watch_parent


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


@pytest.mark.parametrize("start", [die_with_parent, watch_parent], ids=["die_with_parent", "watch_parent"])
def test_a_worker_whose_parent_is_not_the_one_that_started_it_exits(start):
    not_the_parent = os.getpid() + 1_000_000  # never a pid (pid_max is at most 2**22)
    assert exit_status_of_child(lambda: start(not_the_parent)) == 1


@pytest.mark.parametrize("start", [die_with_parent, watch_parent], ids=["die_with_parent", "watch_parent"])
def test_a_worker_whose_parent_lives_goes_on(start):
    parent = os.getpid()
    assert exit_status_of_child(lambda: start(parent)) == 0
