"""Stopping a run from outside: Ctrl-C (SIGINT) and SIGTERM (``kill PID``, ``timeout``).

SIGINT raises ``KeyboardInterrupt`` and, inside :func:`sigterm_raises`, SIGTERM raises
:class:`Terminated` in the main thread, so ``finally`` blocks run: worker processes are
stopped and no half-written file is left. The command line turns them into exit statuses
130 and 143 (128 + the signal's number, as a shell reports a process killed by it).
Inside :func:`deferred` both wait until a few steps that belong together are done.

A worker process dies with the process that started it, however that one dies (SIGKILL, the
out-of-memory killer): :func:`die_with_parent` or :func:`watch_server`, called as it starts.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so ``except Exception`` lets it through."""


def exception_for(signum: int) -> BaseException:
    """The exception a noted signal is raised as."""
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated()


def _raise_terminated(signum, frame) -> None:
    raise Terminated


def raise_exception_for(signum, frame) -> None:
    """A handler raising the signal's exception (:func:`exception_for`) for SIGINT as for SIGTERM.
    For SIGINT it differs from Python's own handler only in being another function: asyncio
    takes Python's over (and then ends a run quietly when Ctrl-C comes as it finishes), not this one."""
    raise exception_for(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def handlers(handler, signums=(signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Install ``handler`` for ``signums`` while inside; restore the previous ones after.
    Does nothing outside the main thread (where Python cannot set signal handlers)."""
    if not _in_main_thread():
        yield
        return
    previous = {}
    try:
        for s in signums:
            previous[s] = signal.signal(s, handler)
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, signal.SIG_DFL if h is None else h)


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While inside, SIGTERM raises :class:`Terminated` (as SIGINT raises KeyboardInterrupt)."""
    with handlers(_raise_terminated, (signal.SIGTERM,)):
        yield


@contextmanager
def deferred(signums=(signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM wait: one arriving is noted, and sent again (to the
    handler in place before) when the block ends, so steps that must happen together (the
    renames that swap a folder in, removing a temporary file) are never cut between.
    Does nothing outside the main thread."""
    noted: list[int] = []
    try:
        with handlers(lambda signum, _frame: noted.append(signum), signums):
            yield
    finally:
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)


def uninterrupted(step: Callable[[], None]) -> None:
    """Run ``step`` to its end whatever SIGINT / SIGTERM arrives, then raise the signal's
    exception: the signals wait (:func:`deferred`); one arriving while the wait is being set up
    runs ``step`` again, so ``step`` must be safe to run twice (removing what may be gone)."""
    caught: BaseException | None = None
    while True:
        try:
            with deferred():
                step()
            break
        except (KeyboardInterrupt, Terminated) as exc:
            caught = exc
    if caught is not None:
        raise caught


PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): the signal a process gets when its parent dies


def die_with_parent(parent_pid: int) -> None:
    """In a worker process, as it starts: on Linux the kernel sends it SIGKILL when the thread
    that started it ends (prctl PR_SET_PDEATHSIG), so it never outlives its parent; if the
    parent ``parent_pid`` died before this call (the worker is now someone else's child), it
    exits at once. Only for workers started by a thread that lives as long as they do."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone (or the pid is someone else's now)
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:  # no /proc (not Linux): it exists
        return True


def watch_server(server_pid: int, every_s: float = 0.2) -> threading.Thread:
    """In a worker process, as it starts: a daemon thread checks every ``every_s`` seconds that
    the server ``server_pid`` still runs and ends the process at once when not. For workers
    started by any thread of the server, where :func:`die_with_parent` would kill them when that
    thread ends, and for workers that are not its children (forked by multiprocessing's
    forkserver, which in turn lives as long as its workers do)."""
    def watch() -> None:
        while running(server_pid):
            time.sleep(every_s)
        os._exit(1)

    if not running(server_pid):
        os._exit(1)
    thread = threading.Thread(target=watch, name="ska-sim-server-watch", daemon=True)
    thread.start()
    return thread
