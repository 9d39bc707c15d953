"""Memory given back to the operating system: the peak of a process that reads a large call log
and fits it (``ska-sim fit`` of a year, 10^6 calls, in a few hundred MB), and a long-running
server and its warm workers that stay level under use (``ska-sim serve``)."""

from __future__ import annotations

import ctypes
import functools
import os
import sys


@functools.cache
def _glibc():
    """The C library when it is glibc (``mallopt``, ``malloc_trim``), else None."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - both there: glibc
        return libc
    except (OSError, AttributeError):
        return None


def lean_memory() -> None:
    """Make memory that is freed go back to the operating system instead of staying with the
    allocators, so the peak RSS is close to what is in use (the one-year fit benchmark: about
    80 MB less). Call it before pandas or pyarrow are imported (it then has full effect).

    - Arrow allocates with the C library's malloc instead of its default mimalloc, which keeps
      freed pages for reuse: ``ARROW_DEFAULT_MEMORY_POOL=system`` (unless already set), read
      when Arrow makes its first allocation; if pyarrow is already loaded, only pyarrow's own
      default pool can still be switched (``pyarrow.set_memory_pool``).
    - glibc serves blocks of 512 KiB and more with mmap, so a freed array is returned at once (by
      default the threshold rises to the size of the first large block freed, after which
      freed arrays stay in the heap): ``mallopt(M_MMAP_THRESHOLD, 512 KiB)`` (below the 1 MB blocks
      of the CSV reader).

    Process-wide; no effect on any result; a no-op where glibc is not the C library.
    """
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
            pa.set_memory_pool(pa.system_memory_pool())
    else:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    if _glibc() is not None:
        _glibc().mallopt(-3, 1 << 19)  # M_MMAP_THRESHOLD = 512 KiB (glibc)


M_ARENA_MAX = -8  # glibc's mallopt parameter
SERVER_ARENAS = 2


def server_memory() -> None:
    """Keep a long-running server's memory from growing with its threads: glibc gives each thread
    that allocates an arena of its own (up to 8 per core) and each keeps what fragmented, so a
    server answering from a pool of request threads grows edit after edit (``ska-sim serve``
    under twenty users, ``benchmarks/loadtest.py``: about +50 MB in a minute, +40 MB with two
    arenas, the bounded caches included). Limits the arenas to :data:`SERVER_ARENAS`, for this
    process (``mallopt(M_ARENA_MAX)``, before its threads start) and for the processes it starts
    (``MALLOC_ARENA_MAX``, unless set); and, as :func:`lean_memory`, Arrow's allocations (pandas'
    string columns of every result) from the C library's malloc, not mimalloc, which keeps what
    it freed, and blocks of 512 KiB and more mmap'd (given back when freed). Process-wide; no
    effect on any result; a no-op where glibc is not the C library."""
    lean_memory()
    os.environ.setdefault("MALLOC_ARENA_MAX", str(SERVER_ARENAS))
    if _glibc() is not None:
        _glibc().mallopt(M_ARENA_MAX, SERVER_ARENAS)


def give_back() -> None:
    """Return the C heap's free pages to the operating system now (glibc's ``malloc_trim``): a
    long-running process that frees most of what it built (a warm worker, after each
    replication) then does not keep the high-water mark of everything it ever built. Costs well
    under a millisecond; no effect on any result; a no-op where glibc is not the C library."""
    if _glibc() is not None:
        _glibc().malloc_trim(0)
