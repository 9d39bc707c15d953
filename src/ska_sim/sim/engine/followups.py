"""What follows a call: redials and repeat calls (:class:`FollowUps`), and on the routed pool
transfers (:class:`TransferPart`) and callbacks with virtual hold (:class:`CallbackPart`).
"""

from __future__ import annotations

import heapq
import math
from collections import deque

from simpy.events import NORMAL

from ska_sim.maths.distributions import Stream
from ska_sim.sim.engine.calls import GCall, Leg, PromisedCallback, Tick, Uniform
from ska_sim.sim.kpi import REDIAL, REPEAT

DAY_BATCH = 128  # values a day's delay and duration streams draw at a time (each day starts its own)


class FollowUps:
    """Redials and repeat calls not yet due: a heap of (time, sequence, call, kind), their
    delays (stream "followup_delay") and the calls' attributes (``calls``), both from the
    streams of the day in progress when the follow-up is created (``new_day``)."""

    def __init__(self, rep, calls):
        self.rep, self.env, self.calls, self.obs = rep, rep.env, calls, rep.obs
        self.new_day(rep.rng)
        self.into_opening_hours = rep.tl.opening_hours().into  # where follow-ups land
        self.heap: list[tuple] = []
        self.seq = 0
        self.arrivals_at = rep.arrivals_at
        self.callers = None  # the pool's CallerPart when a redial is the same caller
        self.by_period = rep.m.periods is not None

    def floor(self) -> float:
        """The earliest a follow-up, a transfer's handover or a callback falling due may start: the
        latest time the pool's state is at, the clock or, when the arrivals driver ran ahead of the
        clock, the time the pool's replay ran to (its ``noticed``). One due before it starts then:
        an agent idle by then may have been busy at its own time."""
        noticed, now = self.rep.pool.noticed, self.env.now
        return noticed if noticed > now else now

    def new_day(self, streams) -> None:
        m, rng = self.rep.m, streams["followup_delay"]
        self.redial_delay = Stream(m.redial_delay, rng, DAY_BATCH)
        self.repeat_delay = Stream(m.repeat_delay, rng, DAY_BATCH)
        self.calls.new_day(streams)

    def redial(self, call, now: float) -> None:
        """The caller of ``call`` (abandoned, blocked or cut off at ``now``) redials after a delay."""
        self.add(call, now + self.redial_delay.next(), REDIAL)

    def repeat(self, call, end: float) -> None:
        """The issue of ``call`` (unresolved, ended at ``end``) comes back as a repeat call."""
        self.add(call, end + self.repeat_delay.next(), REPEAT)

    def add(self, call, t: float, kind: int) -> None:
        """Create the redial or repeat call of ``call``'s issue, arriving at ``t`` (moved into
        opening hours). Its attributes are drawn first, also when it falls after the last
        simulated day (then it is dropped): the day's later draws do not depend on where the
        window ends."""
        first = call.first if kind == REDIAL else False
        if self.by_period:  # its talk and patience by the period of its own arrival
            t = self.into_opening_hours(t)
            if t is not None:
                t = max(t, self.floor())
            new = self.calls.follow_up_at(call, first, t)
        else:
            new = self.calls.follow_up(call, first)
            t = self.into_opening_hours(t)
            if t is not None:
                # A repeat call is created when its call is answered, which the replay may notice a
                # little after the fact; a repeat delay shorter than that (seconds to minutes) starts then (floor).
                t = max(t, self.floor())
        callers = self.callers
        if callers is not None:
            callers.follow(call, new, kind)
        if t is None:
            if callers is not None:
                callers.dropped(call, kind)
            return
        self.seq += 1
        if self.obs is not None:
            self.obs.follow_up(call, new)
        heapq.heappush(self.heap, (t, self.seq, new, kind))
        self.arrivals_at(t)


class TransferPart:
    """Transfers: a transferred call's first agent answers it as usual (handle time, wait,
    busy time); the caller is handed over at the end of talk + identity check (a SimPy event),
    then waits in the call type's transfer queue (a routing cell of the receiving group: its
    priority for the type, FIFO by handover) keeping the line, with a patience drawn anew; the
    second agent's time counts as the group's work (busy time, its answered calls and waits),
    not as an inbound answer. Stream "transfer"."""

    def __init__(self, pool):
        self.pool, self.env, self.col = pool, pool.env, pool.col
        m = pool.m
        tr = m.transfers
        self.m, self.tr = m, tr
        self.share, self.to, self.resolved = tr.share, tr.to, tr.resolved
        self.on = tuple(s > 0 for s in tr.share)
        self.new_day(pool.rng)
        # the transfer queue of each type sent to a group: a cell n_cells + type of that group
        nt, nc = pool.n_types, pool.n_cells
        cells = [list(c) for c in pool.cells]
        extra = []
        for k in range(nt):
            to = tr.to[k] if self.on[k] else -1
            if to >= 0:
                cells[to].append((nc + k, 0.0, tr.priority[k]))
            extra.append(((to, 0.0),) if to >= 0 else ())
        pool.cells = tuple(tuple(c) for c in cells)
        pool.eligible = pool.eligible + tuple(extra)
        pool.queues += [deque() for _ in range(nt)]

    def new_day(self, streams) -> None:
        m, tr, rng = self.m, self.tr, streams["transfer"]
        self.u = Uniform(streams, "transfer")
        self.talk = [Stream(d, rng, DAY_BATCH) for d in tr.talk]
        self.acw = [Stream(d, rng, DAY_BATCH) for d in tr.acw]
        # one stream per distinct patience, shared by the types that have it (one for all when
        # every type has [patience]); None for a type whose callers never hang up
        streams: dict = {}
        self.patience = [None if m.patience_of(k) is None
                         else streams.setdefault(m.patience_of(k), Stream(m.patience_of(k), rng, DAY_BATCH))
                         for k in range(len(m.types))]

    def transfer(self, call: GCall, handover: float, end: float) -> None:
        """``call`` is transferred at ``handover`` (its first agent works on until ``end``)."""
        pool, k = self.pool, call.type
        self.col.transfers.append(call.cell)
        to = self.to[k]
        if to < 0:  # out of the line: the other unit resolves the issue with its own probability
            if self.u() < self.resolved[k]:
                if call.first:
                    self.col.transfer_resolved.append(call.cell)
            elif call.repeats:
                pool.follow.repeat(call, end)
            return
        talk = self.talk[k].next() * self.m.talk_factor[call.lang]
        acw = self.acw[k].next()
        stream = self.patience[k]
        patience = stream.next() if stream is not None else math.inf
        periods = self.m.periods
        if periods is not None and periods.has_patience:  # the period of the call's arrival
            patience *= periods.patience[k, periods.segment(call.t)]
        leg = Leg(call, to, pool.n_cells + k, talk, acw, patience, self.u())
        env = self.env
        # The first agent's answer may be replayed after its talk ended (the replay notices a call
        # end a little after the fact, and the arrivals driver runs ahead of the clock): then the
        # caller is handed over at the latest time the pool has replayed to, never before it (an
        # agent of the group idle by then may have been busy at the handover) nor before the clock.
        pool.schedule(Tick(env, self.on_handover, leg), NORMAL, max(handover, pool.follow.floor()) - env.now)

    def on_handover(self, ev) -> None:
        """The first agent hands the caller over: a free agent of the group takes the call, else it waits."""
        leg, pool = ev._value, self.pool
        now = self.env.now
        pool.catch_up(now)
        leg.t = now
        to = leg.to
        if pool.is_open and pool.idle[to]:
            pool.idle[to].popleft()
            self.start_leg(leg, to, now)
            return
        if not pool.is_open and (self.m.drop_at_close or pool.g_staffed[to] == 0):
            self.lost(leg, now)  # after closing, with nobody of that group left
            return
        pool.enqueue(leg, self.on_leg_patience, now)

    def on_leg_patience(self, ev) -> None:
        leg, pool = ev._value, self.pool
        now = self.env.now
        pool.catch_up(now)
        if not leg.waiting:
            return
        leg.waiting = False
        pool.n_waiting -= 1
        self.lost(leg, now)

    def lost(self, leg: Leg, now: float) -> None:
        """The transferred caller hung up (or was cut off at closing): answered on the line, unresolved."""
        call = leg.call
        self.col.transfer_abandoned.append(call.cell)
        if call.repeats:
            self.pool.follow.repeat(call, now)

    def start_leg(self, leg: Leg, g: int, now: float) -> None:
        """Group g's agent takes the transferred caller: the group's work, not an inbound answer."""
        pool, call = self.pool, leg.call
        r = pool.r
        hf = pool.hf[call.type][g]
        talk_end = now + leg.talk * hf
        end = talk_end + leg.acw * hf
        pool.busy(g, end)
        col = self.col
        col.legs.append(call.cell)
        col.leg_waits.append(now - leg.t)
        col.leg_groups.append(g)
        col.work_start.append(now)
        col.work_end.append(end)
        col.work_group.append(g)
        if pool.lines is not None:
            pool.lines.hold(talk_end)
        cb = pool.callbacks
        if leg.res_u < min(1.0, self.resolved[call.type] * r.resolution_factor[g]):
            if call.first:
                col.transfer_resolved.append(call.cell)
        elif cb is not None and cb.on[call.type] and cb.u() < cb.share[call.type]:
            cb.promise(call, end)
        elif call.repeats:
            pool.follow.repeat(call, end)


class CallbackPart:
    """Callbacks and virtual hold. A promised callback becomes due at a SimPy event; a free
    agent of the callback group places it while the line is open, else it waits in the
    callback queue (before the inbound calls with ``priority``, after them without). Virtual
    hold: an arriving caller who would wait, whose expected wait exceeds ``offer_after_s``,
    accepts with ``accept`` and is called back when that expected wait has passed. Stream "callback"."""

    def __init__(self, pool):
        self.pool, self.env, self.col, self.obs = pool, pool.env, pool.col, pool.obs
        m = pool.m
        cbm = m.callbacks
        self.m, self.cbm = m, cbm
        self.share, self.group, self.priority = cbm.share, cbm.group, cbm.priority
        self.on = tuple(s > 0 for s in cbm.share)
        self.queue: deque[PromisedCallback] = deque()
        self.new_day(pool.rng)
        vh = cbm.virtual_hold
        self.vh_after = vh.offer_after_s if vh is not None else None
        if vh is not None:
            # per cell: the queues its eligible groups take from, and the mean handle time there
            hf = pool.hf
            self.vh_queues, self.vh_mean = [], []
            for c in range(pool.n_cells):
                el = [g for g, _ in pool.eligible[c]]
                self.vh_queues.append(tuple(sorted({q for g in el for q, _, _ in pool.cells[g]})))
                k, lang = divmod(c, pool.n_langs)
                ct = m.types[k]
                h = ct.talk.mean * m.talk_factor[lang] + ct.after_call_work.mean + ct.identity_probability * ct.identity_extra.mean
                self.vh_mean.append(h * sum(hf[k][g] for g in el) / len(el))

    def new_day(self, streams) -> None:
        rng = streams["callback"]
        self.u = Uniform(streams, "callback")
        self.delay = Stream(self.cbm.delay, rng, DAY_BATCH)
        self.handle = Stream(self.cbm.handle, rng, DAY_BATCH)

    def serve(self, now: float) -> None:
        """Free agents of the callback group place waiting callbacks while the line is open."""
        pool, g = self.pool, self.group
        idle, queue = pool.idle[g], self.queue
        while idle and queue and pool.is_open:
            idle.popleft()
            self.start(queue.popleft(), g, now)

    def promise(self, call: GCall, end: float, due: float | None = None) -> None:
        """A callback is owed to ``call``'s caller: promised ``delay`` after ``end`` (or, for a
        virtual-hold caller, at ``due``). Due after the last closing: never made (late)."""
        col = self.col
        col.cb_promised.append(call.cell)
        if due is None:
            cb = PromisedCallback(call, end + self.delay.next(), False, self.handle.next(), self.u())
        else:
            cb = PromisedCallback(call, due, True, call.handle, call.res_u)
        if cb.due > self.pool.last_close:
            col.cb_late.append(call.cell)
            return
        env = self.env
        self.pool.schedule(Tick(env, self.on_due, cb), NORMAL, max(cb.due, self.pool.follow.floor()) - env.now)

    def on_due(self, ev) -> None:
        cb, pool = ev._value, self.pool
        now = self.env.now
        pool.catch_up(now)
        g = self.group
        if pool.is_open and pool.idle[g] and not self.queue:
            pool.idle[g].popleft()
            self.start(cb, g, now)
        else:
            self.queue.append(cb)

    def start(self, cb: PromisedCallback, g: int, now: float) -> None:
        """Group g's agent places the callback: agent time, outcome; never an inbound call."""
        pool, call, col = self.pool, cb.call, self.col
        handle = cb.handle * pool.hf[call.type][g]
        end = now + handle
        if self.obs is not None:
            self.obs.callback(call, now, end, g)
        pool.busy(g, end)
        col.work_start.append(now)
        col.work_end.append(end)
        col.work_group.append(g)
        col.cb_made.append(call.cell)
        col.cb_busy.append(handle)
        if now - cb.due > self.cbm.due_within_s:
            col.cb_late.append(call.cell)
        if cb.vh:  # the caller's own call, placed back: its handle time and resolution with this group
            col.vh_made.append(call.cell)
            resolved = not call.idc_fail and cb.res_u < pool.res_p[call.type][g]
            if call.written:
                col.written.append(call.cell)
                if pool.blend is not None:  # a written request to blended written work
                    pool.blend.identity(now)
        else:
            resolved = cb.res_u < self.cbm.resolved
        if not resolved and call.repeats:
            pool.follow.repeat(call, end)

    def virtual_hold(self, call: GCall, now: float) -> bool:
        """An arriving caller who would wait is offered a callback when the expected wait
        (waiting calls the eligible groups may take + 1) x their mean handle time / their
        agents on duty exceeds offer_after_s; True when they accept (offered, not waiting)."""
        if self.vh_after is None:
            return False
        pool, c = self.pool, call.col
        agents = 0
        for g, _ in pool.eligible[c]:
            agents += pool.g_staffed[g]
        if agents:
            queues = pool.queues
            ahead = 0
            for q in self.vh_queues[c]:
                for x in queues[q]:
                    if x.waiting:
                        ahead += 1
            wait = (ahead + 1) * self.vh_mean[c] / agents
        else:
            wait = math.inf
        if wait <= self.vh_after or self.u() >= self.cbm.virtual_hold.accept:
            return False
        self.col.vh.append(call.cell)
        if self.obs is not None:
            self.obs.virtual_hold(call, now)
        self.promise(call, now, now + (wait if wait != math.inf else 0.0))
        return True

    def finish(self) -> None:
        """Callbacks still not made at the end of the simulated days are late."""
        for cb in self.queue:
            self.col.cb_late.append(cb.call.cell)
        self.queue.clear()
