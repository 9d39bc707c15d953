"""The waiting callers' deadlines on the routed pool (patience, overflow steps, the message
offer): one heap of them and one clock event, at the earliest deadline of a caller still waiting.

Most deadlines never come to anything: the caller is answered first (a caller waits seconds,
patience and overflow delays are minutes). As clock events
each of them was created, scheduled, taken off SimPy's queue and called only to find its caller
gone. Here a deadline is a tuple in :class:`Deadlines`' heap; one whose caller no longer waits
is dropped when it reaches the top, without an event. The others fire at their own times, in
the order of their times and then of their scheduling, as their events did: at the instant an
event scheduled when the deadline was added fires (``now + (t - now)``, SimPy's arithmetic,
which can be ``t`` less one ulp), whenever the clock event is scheduled (``Clock.schedule_at``). A caller who stops
waiting never waits again (``waiting`` is set once, when the call joins a queue), so a deadline
dropped early would have found nobody at its time.

What else changes is when the agents' ends are replayed: a deadline event replayed them up to
its time before looking at its caller; now the next event that reads the queues does (every
event replays the ends due by its time before it reads them, in time order), with the same
outcome. The exceptions are exact ties of a deadline with another event's time (continuous
times: not seen) and a repeat call created at a replayed end whose delay is shorter than the
replay's lag (``FollowUps.add`` then starts it at the clock's time; repeat delays are hours).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from ska_sim.sim.engine.calls import Tick


class Deadlines:
    """Deadlines ``(time, order, callback, item)`` of waiting items (calls, transferred callers'
    second legs): ``callback(item)`` at ``time`` if ``item.waiting`` then, with the clock at
    ``time``; one clock event at the earliest deadline (``at``)."""

    __slots__ = ("env", "heap", "seq", "at")

    def __init__(self, env):
        self.env = env  # the loop's Clock (its ``schedule_at``)
        self.heap: list[tuple] = []
        self.seq = 0
        self.at = math.inf  # the time of the clock event that fires the next deadlines

    def add(self, t: float, callback: Callable, item) -> None:
        """``callback(item)`` at ``t`` if ``item`` still waits then (at the time an event
        scheduled now for ``t`` fires: ``now + (t - now)``, which can differ from ``t`` in the last bit)."""
        now = self.env.now
        t = now + (t - now)
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, callback, item))
        if t < self.at:  # an earlier clock event (the later one, superseded, does nothing)
            self.at = t
            self.env.schedule_at(Tick(self.env, self.fire, t), t)

    def fire(self, ev) -> None:
        """The clock event: the deadlines due now of items still waiting, in order; then the
        event of the next deadline whose item still waits."""
        if ev._value != self.at:  # superseded by an earlier deadline
            return
        heap, pop = self.heap, heapq.heappop
        now = self.env.now
        self.at = math.inf
        while heap:
            top = heap[0]
            if not top[3].waiting:  # answered (or gone) before its deadline
                pop(heap)
                continue
            if top[0] > now:
                break
            pop(heap)
            top[2](top[3])
        if heap and heap[0][0] < self.at:  # (a callback above may have added an earlier one)
            t = heap[0][0]
            self.at = t
            self.env.schedule_at(Tick(self.env, self.fire, t), t)
