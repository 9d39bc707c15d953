"""Peak memory of a process that reads a large call log and fits it (``ska-sim fit``
of a year, 10^6 calls, in a few hundred MB)."""

from __future__ import annotations

import os
import sys


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
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 19)  # M_MMAP_THRESHOLD = 512 KiB (glibc)
    except (OSError, AttributeError):
        pass
