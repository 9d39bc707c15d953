"""Lanes of a warm pool: one worker process each, renewed after a number of replications.

A server's worker process grows while it runs replication after replication of ever new plans:
the allocators keep what fragmented (Python's objects are all freed: tracemalloc stays flat), and
a worker of the skills scenario grew from 37 MB (PSS) to 74 MB after 20 replications, 97 MB
after 60 and 105 MB after 100, its memory given back after each (``malloc_trim``). So a lane
replaces its worker by a fresh one after :data:`RENEW_AFTER` replications, when the worker is
free. The fresh one is forked from multiprocessing's *forkserver*, a process that has imported
the engine once (its preload): a new worker costs a fork (milliseconds), not the engine's import
(0.7 s). Multiprocessing also runs the server's main module again in every fresh worker; for the
``ska-sim`` script that is the command line's import (click and some 25 modules), which the
forkserver makes once too. Where there is no forkserver (Windows, macOS' default), workers are
spawned: renewing then costs the import, so it happens :data:`SPAWN_FACTOR` times less often.

The lanes' state is guarded by the pool's lock: a lane is *busy* from :meth:`Lane.submit` to
:meth:`Lane.finished`.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

RENEW_AFTER = 20  # replications a worker runs before a fresh one takes its place (a baseline week: ~1 s)
SPAWN_FACTOR = 10  # spawned workers (no forkserver) are renewed this many times less often
# what the forkserver imports once: the engine, and the command line, which a fresh worker would
# otherwise import again when it runs the ``ska-sim`` script as its main module (multiprocessing does
# so for every worker)
PRELOAD = ["ska_sim.sim.executors", "ska_sim.cli"]


def worker_context() -> tuple[mp.context.BaseContext, int]:
    """The start method of lanes' workers and the replications after which one is renewed."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx, RENEW_AFTER
    return mp.get_context("spawn"), RENEW_AFTER * SPAWN_FACTOR


class Lane:
    """One worker process at a time: its executor, how many replications it was sent, busy or not."""

    def __init__(self, ctx: mp.context.BaseContext, initializer: Callable[[], None], renew_after: int):
        self.ctx, self.initializer, self.renew_after = ctx, initializer, max(1, int(renew_after))
        self._ex: ProcessPoolExecutor | None = None
        self.sent = 0  # replications sent to the present worker
        self.busy = False
        self.renewed = 0  # workers replaced since the start

    def executor(self) -> ProcessPoolExecutor:
        if self._ex is None:
            self._ex = ProcessPoolExecutor(1, mp_context=self.ctx, initializer=self.initializer)
        return self._ex

    def submit(self, fn: Callable, *args) -> tuple[ProcessPoolExecutor, Future]:
        """Send one task; the lane is busy until :meth:`finished` (the executor it went to is returned)."""
        ex = self.executor()
        self.busy = True
        self.sent += 1
        return ex, ex.submit(fn, *args)

    def finished(self, ex: ProcessPoolExecutor) -> None:
        """The task sent to ``ex`` is back: the lane is free, and its worker is renewed when due."""
        self.busy = False
        if ex is self._ex and self.sent >= self.renew_after:
            self.renew()

    def renew(self) -> None:
        """The present worker ends (after what it runs); the next task goes to a fresh one."""
        old, self._ex, self.sent = self._ex, None, 0
        if old is not None:
            self.renewed += 1
            old.shutdown(wait=False)

    def broken(self, ex: ProcessPoolExecutor) -> None:
        """``ex``'s worker died: the next task goes to a fresh one."""
        self.busy = False
        if self._ex is ex:
            self._ex, self.sent = None, 0
        ex.shutdown(wait=False, cancel_futures=True)

    def shutdown(self, wait: bool = True) -> None:
        ex, self._ex = self._ex, None
        if ex is not None:
            ex.shutdown(wait=wait, cancel_futures=True)
