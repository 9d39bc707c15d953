"""Written work blended between calls (``[[written]] blend = { reserve = r }``): an agent on the
phones takes a written item only when no call waits and at least ``reserve`` other agents of
its group (or of the single pool) stay free; an item once taken is finished (the agent is busy
until then, as on a call: occupancy and the calls see it). While the line is closed no item is
taken.

The items of every blended kind are drawn when the replication starts (each date's "written"
stream, as dedicated kinds: engine/written.py; identity failures' written requests join when
their call is answered, ``identity``); an item's arrival matters only when its kind's queue is
empty (see ``watch``): on the routed pool it is then an event; the single pool has no event per
item (``ITEMS_AT_EVENTS``): every event of it replays up to its ``item_at`` (the next such
item) first, and its replay takes the item in at its own time between the agents' ends. The
pool's ``replay_blend`` calls :meth:`BlendPart.take` when an agent would otherwise wait idle
(a call ends and no call waits) and ``arrive_next`` for the items due between its agents'
ends; :meth:`BlendPart.join` when agents join (staffing rises); an arrival offers the items to
the idle agents of their group.

Deadline priority (``urgent = { days, agents }``): an agent freed at an end (before the next
caller: the pools' ``replay_blend``), agents joining (before the waiting calls: the pools'
staffing) and an item's arrival first call :meth:`BlendPart.take_urgent`: the oldest waiting
item of the group's kinds with it, if due by the kind's ``urgent_due`` of the day and fewer
than ``agents`` agents are on items taken this way (``urgent_ends``), whatever the reserve.
Items become urgent as days pass: checked at those moments (and at each day's opening).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from heapq import heappop, heappush
from collections import deque

import numpy as np
from simpy.events import NORMAL

from ska_sim.scenario.clock import DAY_S
from ska_sim.sim.engine.calls import Tick
from ska_sim.sim.engine.written import WrittenModel, draw_items


class BlendPart:
    """The blended kinds' items: their times, handling and deadlines, the queue of each kind
    (arrived, not taken) and each item's completion time (``done``, inf until taken)."""

    def __init__(self, pool, model: WrittenModel, tl, stream_of):
        self.pool, self.env, self.col = pool, pool.env, pool.col
        self.kinds = [k for k, w in enumerate(model.kinds) if w.reserve is not None]
        self.reserve = {k: model.kinds[k].reserve for k in self.kinds}
        self.group = {k: model.kinds[k].group for k in self.kinds}
        self.by_group: dict[int, list[int]] = {}
        for k in self.kinds:
            self.by_group.setdefault(self.group[k], []).append(k)
        # per group: the smallest reserve of its kinds (below it, no item is taken)
        self.low = {g: min(self.reserve[k] for k in ks) for g, ks in self.by_group.items()}
        # deadline priority (``urgent``): per group its kinds with it; per kind the ends of the items
        # its agents took before calls (a heap: those after now are the agents on urgent items)
        self.urgent = {g: [k for k in ks if model.kinds[k].urgent_agents] for g, ks in self.by_group.items()}
        self.urgent = {g: ks for g, ks in self.urgent.items() if ks}
        self.urgent_ends = {k: [] for ks in self.urgent.values() for k in ks}
        self.cache: dict[int, np.random.Generator] = {}
        self.stream_of = stream_of
        self.models = model.kinds
        # per kind, in time order: arrival, handling, deadline, completion (inf until taken)
        self.times, self.handle, self.due_t, self.done = {}, {}, {}, {}
        for k in self.kinds:
            t, h, due = draw_items(model.kinds[k], tl, self.streams, None)
            self.times[k], self.handle[k], self.due_t[k] = t.tolist(), h.tolist(), due.tolist()
            self.done[k] = [math.inf] * len(t)
        # the kind identity failures' written requests join (their agents' answers; at most one)
        self.id_kind = next((k for k in self.kinds if model.kinds[k].from_identity), None)
        # the single pool takes the items due in at its events (``item_at``): no event per item
        self.lazy = pool.ITEMS_AT_EVENTS
        self.next = dict.fromkeys(self.kinds, 0)  # each kind's first item not yet in its queue
        self.queues = {k: deque() for k in self.kinds}
        self.due = dict.fromkeys(self.kinds, math.inf)  # a kind with an empty queue: its next item's time
        self.token = dict.fromkeys(self.kinds, 0)  # the valid arrival event of each kind
        self.unscheduled: set[int] = set()
        pool.n_written = 0
        self.next_due = math.inf  # the earliest of ``due``
        for k in self.kinds:
            self.watch(k)
        self.schedule_pending()

    def streams(self, d: int) -> np.random.Generator:
        """Date d's "written" stream (the items drawn at the start, then identity failures' handling)."""
        if d not in self.cache:
            self.cache[d] = self.stream_of(d)
        return self.cache[d]

    def result(self, k: int):
        """((arrival, handling, deadline), completion) of kind k's items, as arrays."""
        return (np.asarray(self.times[k]), np.asarray(self.handle[k]), np.asarray(self.due_t[k])), np.asarray(self.done[k])

    def identity(self, now: float) -> None:
        """A caller whose identity check failed at ``now`` writes: an item of the identity kind
        arrives now (its handling from the date's stream, due as the kind's items of that date)."""
        k = self.id_kind
        if k is None:
            return
        w = self.models[k]
        d = min(int(now // DAY_S), len(w.due_day) - 1)
        h = float(w.handling.sample(self.streams(d), 1)[0])
        pos = bisect_right(self.times[k], now)  # after every item admitted (their times are <= now)
        self.times[k].insert(pos, now)
        self.handle[k].insert(pos, h)
        self.due_t[k].insert(pos, (w.due_day[d] + 1) * DAY_S)
        self.done[k].insert(pos, math.inf)
        if not self.queues[k]:  # its queue waits for its next item: this one
            self.watch(k)
            self.schedule_pending()

    # An item's arrival matters only when its kind's queue is empty (an agent may be free for
    # it); behind a waiting item it changes nothing until an agent takes from the queue, which
    # first admits every item arrived by then (``admit``). So a kind with an empty queue waits
    # for its next item (``due``): by an event when it falls after the time being replayed, or,
    # when it falls inside a replay (the queue emptied at a call's end before it), at its own
    # time between the agents' ends (the pools' replays call ``arrive_next``).
    def watch(self, k: int) -> None:
        """Kind ``k``'s queue is empty: wait for its next item (scheduled by ``settle``)."""
        j = self.next[k]
        self.due[k] = self.times[k][j] if j < len(self.times[k]) else math.inf
        self.token[k] += 1
        if self.due[k] != math.inf and not self.lazy:
            self.unscheduled.add(k)
        self.mark()

    def mark(self) -> None:
        """``next_due``: the next item due at an empty queue (the single pool's ``item_at``)."""
        self.next_due = self.pool.item_at = min(self.due.values())

    def schedule_pending(self) -> None:
        """Each kind waiting for its next item without an event gets one (its item is due after
        the time replayed: the pools' replays take in every item due by then)."""
        env = self.env
        for k in list(self.unscheduled):
            if self.due[k] == math.inf:
                self.unscheduled.discard(k)
            elif self.due[k] >= env.now:  # (an item due before the clock is taken in by the replay running)
                self.pool.schedule(Tick(env, self.on_item, (k, self.token[k])), NORMAL, self.due[k] - env.now)
                self.unscheduled.discard(k)

    def arrive_next(self) -> None:
        """The next item due at an empty queue arrives, at its own time: it joins its queue and
        idle agents may take it (the pools call this between their agents' ends, in time order)."""
        pool, due = self.pool, self.due
        k = min(due, key=due.__getitem__)
        t = due[k]
        due[k] = math.inf
        self.token[k] += 1
        self.unscheduled.discard(k)
        self.admit(k, t)
        if pool.is_open:
            self.serve(t)
        if not self.queues[k]:
            self.watch(k)
        else:
            self.mark()

    def settle(self, now: float) -> None:
        """At an event at ``now`` (no agent's end due by then): the items due by now arrive; the
        others get their event."""
        while self.next_due <= now:
            self.arrive_next()
        self.schedule_pending()

    def admit(self, k: int, now: float) -> None:
        """Kind ``k``'s items arrived by ``now`` join its queue."""
        times, j, n, q = self.times[k], self.next[k], len(self.times[k]), self.queues[k]
        start = j
        while j < n and times[j] <= now:
            q.append(j)
            j += 1
        self.next[k] = j
        self.pool.n_written += j - start

    def on_item(self, ev) -> None:
        """A kind's next item arrives at its empty queue (unless a replay took it in already)."""
        k, token = ev._value
        if token != self.token[k]:
            return
        now = self.env.now
        self.pool.catch_up(now)  # (a replay takes in the items due by now, this one too)
        self.settle(now)

    def take(self, now: float, others_free: int, g: int) -> bool:
        """An agent of group ``g`` free at ``now``, with ``others_free`` other agents of it free and
        no call waiting, takes the oldest item of its group's kinds whose reserve is kept; True
        if it did (the pool's agent is then busy with it)."""
        if others_free < self.low.get(g, math.inf):
            return False
        best, best_t = -1, math.inf
        for k in self.by_group[g]:
            q = self.queues[k]
            if q and others_free >= self.reserve[k]:
                j = self.next[k]
                if j < len(self.times[k]) and self.times[k][j] <= now:
                    self.admit(k, now)
                t = self.times[k][q[0]]
                if t < best_t:
                    best, best_t = k, t
        if best < 0:
            return False
        self.start(best, now, g)
        return True

    def take_urgent(self, now: float, g: int) -> bool:
        """Deadline priority: an agent of group ``g`` free at ``now`` (the line open, before any
        waiting call and whatever the reserve) takes the oldest urgent item of its group's kinds
        with ``urgent`` whose agents on urgent items are fewer than its ``urgent.agents``; True if
        it did. An item is urgent when its deadline is by the kind's ``urgent_due`` of the day."""
        best, best_t = -1, math.inf
        for k in self.urgent.get(g, ()):
            q = self.queues[k]
            if not q:
                continue
            w, ends = self.models[k], self.urgent_ends[k]
            while ends and ends[0] <= now:
                heappop(ends)
            i = q[0]  # the oldest waiting: the earliest deadline of its kind
            if len(ends) < w.urgent_agents and self.due_t[k][i] <= w.urgent_due[min(int(now // DAY_S), len(w.urgent_due) - 1)]:
                t = self.times[k][i]
                if t < best_t:
                    best, best_t = k, t
        if best < 0:
            return False
        heappush(self.urgent_ends[best], self.start(best, now, g))
        return True

    def serve_urgent(self, now: float) -> None:
        """Idle agents take urgent items, before any waiting call (agents joined, an item arrived)."""
        pool = self.pool
        for g in self.urgent:
            while pool.n_written and pool.free_agents(g) >= 1 and self.take_urgent(now, g):
                pool.leave_idle(g)

    def start(self, best: int, now: float, g: int) -> float:
        """An agent of group ``g`` takes kind ``best``'s oldest item at ``now``; its end."""
        q = self.queues[best]
        i = q.popleft()
        self.pool.n_written -= 1
        end = now + self.handle[best][i]
        self.done[best][i] = end
        self.pool.start_written(g, end)
        col = self.col
        col.work_start.append(now)
        col.work_end.append(end)
        col.work_group.append(g)
        if not q:
            self.watch(best)
        return end

    def join(self, now: float) -> None:
        """Agents joined (staffing rose) at ``now``: idle ones take items."""
        self.serve(now)
        self.settle(now)

    def serve(self, now: float) -> None:
        """Idle agents take items while no call waits and the reserve is kept (agents joined, an item arrived)."""
        pool = self.pool
        if self.urgent:
            self.serve_urgent(now)
        for g, low in self.low.items():
            while pool.n_written and not pool.n_waiting:
                free = pool.free_agents(g)
                if free - 1 < low or not self.take_idle(now, free, g):  # (below every reserve: none taken)
                    break

    def take_idle(self, now: float, free: int, g: int) -> bool:
        pool = self.pool
        if not self.take(now, free - 1, g):
            return False
        pool.leave_idle(g)
        return True
