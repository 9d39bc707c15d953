"""Stopping a run from outside: Ctrl-C (SIGINT) and SIGTERM (``kill PID``, ``timeout``).

SIGINT raises ``KeyboardInterrupt`` and, inside :func:`sigterm_raises`, SIGTERM raises
:class:`Terminated` in the main thread, so ``finally`` blocks run: worker processes are
stopped and no half-written file is left. The command line turns them into exit statuses
130 and 143 (128 + the signal's number, as a shell reports a process killed by it).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so ``except Exception`` lets it through."""


def exception_for(signum: int) -> BaseException:
    """The exception a noted signal is raised as."""
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated()


def _raise_terminated(signum, frame) -> None:
    raise Terminated


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def handlers(handler, signums=(signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Install ``handler`` for ``signums`` while inside; restore the previous ones after.
    Does nothing outside the main thread (where Python cannot set signal handlers)."""
    if not _in_main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in signums}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, signal.SIG_DFL if h is None else h)


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While inside, SIGTERM raises :class:`Terminated` (as SIGINT raises KeyboardInterrupt)."""
    with handlers(_raise_terminated, (signal.SIGTERM,)):
        yield
