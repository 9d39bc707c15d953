"""Phone lines (routed pool).
"""

from __future__ import annotations

import heapq


class Lines:
    """Phone lines: calls waiting + calls holding a line (answered, until talk + identity check
    end) at most ``count``; an arrival finding them all taken is blocked (busy tone)."""

    def __init__(self, count: int):
        self.count = count
        self.ends: list[float] = []  # when each held line is freed (a heap)

    def full(self, now: float, waiting: int) -> bool:
        held = self.ends
        while held and held[0] <= now:
            heapq.heappop(held)
        return waiting + len(held) >= self.count

    def hold(self, until: float) -> None:
        heapq.heappush(self.ends, until)
