"""The SimPy model of one replication: callers, the queue, agents, abandonment, redials,
repeat calls and staffing changes.

How SimPy is used (decided once, here; see benchmarks/ for the measurement):

- No process per caller and no ``simpy.Resource``: the SimPy events are plain triggered
  events with a callback, scheduled with ``Environment.schedule`` (interval boundaries and
  closings, arrivals, a waiting caller's patience running out). ``Resource``
  cannot change its capacity, and staffing changes every interval, so agents are an
  explicit pool: ``staffed`` agents are on duty, ``target`` is the interval's staffing, and
  each busy agent is the time its call ends, in a heap (``busy_ends``).
- A call's end is not an event. At every event, the agents whose calls have ended by then
  are *replayed* in the order their calls ended (``_replay``): each goes home if past its
  shift, else takes the next caller still waiting at that moment, else waits idle. Nothing
  else changes between two events, so this is exactly an event per call end, without the
  events (the tests compare the engine with a call-by-call reference implementation).
- Arrivals (the day's first calls, drawn in bulk when the day opens, and redials and repeat
  calls, kept in a heap) are handled by one *arrivals* event that takes every arrival due
  before the next other scheduled event, then schedules itself for the next one.
- A caller who would not redial needs no patience event: the replay counts them as having
  hung up when an agent reaches them after their patience ran out (or at closing). Callers
  who would redial keep a patience event, so that the redial is scheduled when they hang up.
- Together this takes the engine from about 2.3 SimPy events per call (one per arrival,
  call end and patience) to about 0.2-0.4 (benchmarks/).
- The queue is FIFO with lazy deletion: a caller who hangs up is marked and skipped when
  an agent next takes from the queue.
- An agent going off duty (staffing drops at a boundary) finishes the current call first;
  idle agents leave at once. At closing time idle agents leave; with
  ``queued_at_close = "serve"`` the closing crew (busy agents of the last interval's
  staffing, not those already past their shift) keeps taking queued calls until the queue
  is empty; with ``"drop"`` the queued calls are cut off (unanswered at close). When no
  crew agent is busy at closing, queued calls are unanswered at close in either mode.
- Randomness (DESIGN.md): a replication's SeedSequence spawns one Generator per purpose.
  A day's first calls and all their attributes (type, handle time, patience, whether the
  issue is resolved, whether the caller would redial or call again) are drawn in bulk when
  the day opens, from the arrivals, handling, patience and resolution streams, so two
  scenarios that differ only in staffing see exactly the same first callers. Redials and
  repeat calls draw their attributes when they are created, from follow-up streams (in
  batches per call type). A repeat call is created when its call is answered.
- A redial or repeat call whose time falls outside opening hours moves to the next open
  day, placed at the same fraction of that day's hours as it fell in the closed gap (not
  all at the stroke of opening). Follow-ups falling after the last simulated day are not
  simulated.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from simpy import Environment
from simpy.events import NORMAL, Event

from .arrivals import arrival_times, day_factors
from .distributions import ZERO, Duration, Stream
from .kpi import FIRST_RESOLVED, FIRST_UNRESOLVED, REDIAL, REPEAT, REPEAT_CONTACT, Collector, ReplicationCounts
from .scenario import Scenario
from .timeline import DAY_S, Timeline, build_timeline

_CLOSE, _INTERVAL = 0, 1
FLUSH_CALLS = 20_000  # answered calls buffered before they are folded into the KPI arrays
PURPOSES = ("arrivals", "handling", "patience", "resolution", "followup_delay", "followup_calls")


@dataclass(frozen=True)
class CallTypeModel:
    talk: Duration
    after_call_work: Duration
    identity_probability: float
    identity_extra: Duration
    resolved: float

    def handle_times(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Agent time per call: talk + identity check (when needed) + after-call work (s)."""
        h = self.talk.sample(rng, size) + self.after_call_work.sample(rng, size)
        if self.identity_probability > 0:
            needs = rng.random(size) < self.identity_probability
            h += np.where(needs, self.identity_extra.sample(rng, size), 0.0)
        return h


@dataclass(frozen=True)
class Model:
    """Everything one replication needs, built once from a scenario (picklable)."""

    timeline: Timeline
    shares: np.ndarray
    types: tuple[CallTypeModel, ...]
    patience: Duration | None
    redial_probability: float
    redial_delay: Duration
    repeat_probability: float
    repeat_delay: Duration
    day_cv: float
    threshold_s: float
    drop_at_close: bool

    @classmethod
    def from_scenario(cls, s: Scenario) -> Model:
        types = []
        for ct in s.call_types:
            idc = ct.identity_check
            types.append(
                CallTypeModel(
                    talk=ct.talk.build(),
                    after_call_work=ct.after_call_work.build() if ct.after_call_work else ZERO,
                    identity_probability=idc.probability if idc else 0.0,
                    identity_extra=idc.extra.build() if idc else ZERO,
                    resolved=ct.resolved,
                )
            )
        shares = np.array([ct.share for ct in s.call_types])
        return cls(
            timeline=build_timeline(s),
            shares=shares / shares.sum(),
            types=tuple(types),
            patience=s.patience_dist(),
            redial_probability=s.redial.probability,
            redial_delay=s.redial.delay.build(),
            repeat_probability=s.repeat.probability,
            repeat_delay=s.repeat.delay.build(),
            day_cv=s.arrivals.day_cv,
            threshold_s=s.targets.service_level.threshold_s,
            drop_at_close=s.simulation.queued_at_close == "drop",
        )


class _Tick(Event):
    """An event that is already triggered when it is created: what a SimPy ``Timeout`` is,
    without its checks. Scheduled with the public ``Environment.schedule``.

    NOTE: inlined for speed: this is most of the engine's events (see benchmarks/).
    """

    def __init__(self, env: Environment, callback, value):
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True


class Call:
    """One call offered to the queue. Attributes are drawn when the call is created."""

    __slots__ = ("t", "cell", "type", "handle", "patience", "resolved", "repeats", "redials", "first", "flag", "waiting")

    def __init__(self, type_, handle, patience, resolved, repeats, redials, first):
        self.type = type_
        self.handle = handle  # agent time if answered (s)
        self.patience = patience  # how long the caller waits before hanging up (s)
        self.resolved = resolved  # the issue is resolved if this call is answered
        self.repeats = repeats  # calls again if answered but unresolved
        self.redials = redials  # redials if abandoned or cut off at close
        self.first = first  # no earlier contact of this issue has been answered
        # the answered record's flag: first contact resolved / unresolved, or a repeat contact
        self.flag = (FIRST_RESOLVED if resolved else FIRST_UNRESOLVED) if first else REPEAT_CONTACT
        # t (arrival time), cell (interval x type) and waiting are set when the call arrives


class _FollowUps:
    """Attributes of redials and repeat calls, drawn in batches per call type from their stream."""

    def __init__(self, model: Model, rng: np.random.Generator, batch: int = 256):
        self.m, self.rng, self.batch = model, rng, batch
        self.bufs: list[list[tuple]] = [[] for _ in model.types]

    def _refill(self, k: int) -> list[tuple]:
        m, rng, n = self.m, self.rng, self.batch
        ct = m.types[k]
        handle = ct.handle_times(rng, n)
        patience = m.patience.sample(rng, n) if m.patience else np.full(n, math.inf)
        u = rng.random((n, 3))
        rows = list(
            zip(
                handle.tolist(),
                patience.tolist(),
                (u[:, 0] < ct.resolved).tolist(),
                (u[:, 1] < m.repeat_probability).tolist(),
                (u[:, 2] < m.redial_probability).tolist(),
            )
        )
        rows.reverse()  # pop() from the end hands them out in the order drawn
        self.bufs[k] = rows
        return rows

    def make(self, type_: int, first: bool) -> Call:
        buf = self.bufs[type_] or self._refill(type_)
        handle, patience, resolved, repeats, redials = buf.pop()
        return Call(type_, handle, patience, resolved, repeats, redials, first)


class Replication:
    """One replication of the model. ``run()`` returns its :class:`ReplicationCounts`."""

    def __init__(self, model: Model, seed: np.random.SeedSequence):
        self.m = model
        tl = model.timeline
        self.tl = tl
        streams = dict(zip(PURPOSES, (np.random.default_rng(s) for s in seed.spawn(len(PURPOSES)))))
        self.rng = streams
        self.env = Environment()
        self._schedule = self.env.schedule
        self.col = Collector(tl, len(model.types), model.threshold_s)
        self._bind_collector()
        self.follow = _FollowUps(model, streams["followup_calls"])
        self.redial_delay = Stream(model.redial_delay, streams["followup_delay"])
        self.repeat_delay = Stream(model.repeat_delay, streams["followup_delay"])
        self.day_factor = day_factors(streams["arrivals"], tl.n_days, model.day_cv)
        self.n_types = len(model.types)
        self.slot_to_iv = tl.interval_at().tolist()
        self.iv_s = float(tl.interval_s)
        self.open_days = np.flatnonzero(tl.open_s >= 0)
        self._into_opening_hours = tl.opening_hours().into  # where follow-ups land
        # the pool of agents
        self.staffed = 0
        self.busy_ends: list[float] = []  # when each busy agent's call ends (a heap)
        self.target = 0
        self.is_open = False
        # arrivals not yet due: the day's first calls (self._times, self._day) and follow-ups
        self._times: list[float] = []
        self._day_i = 0
        self._follow_heap: list[tuple] = []  # (time, sequence, call, kind)
        self._follow_seq = 0
        self._driver_at = math.inf  # when the pending arrivals event fires
        self._in_driver = False
        self.queue: deque[Call] = deque()
        self.n_waiting = 0
        self._duty_t = 0.0

    def _bind_collector(self) -> None:
        """Bound ``append`` methods of the collector's buffers (they are replaced at each flush)."""
        col = self.col
        self._offered = col.offered.append
        self._answered = col.answered.append
        self._waits = col.waits.append
        self._svc_start = col.svc_start.append
        self._svc_end = col.svc_end.append

    # ------------------------------------------------------------------ scheduling
    def _at(self, delay: float, callback, value=None) -> None:
        self._schedule(_Tick(self.env, callback, value), NORMAL, delay)

    def run(self) -> ReplicationCounts:
        tl = self.tl
        # interval boundaries and closings, as one chain of events in time order
        # (time, kind, index); a closing sorts before an opening at the same instant
        marks: list[tuple[float, int, int]] = []
        for iv in range(len(tl.iv_day)):
            marks.append((float(tl.iv_start_s[iv]), _INTERVAL, iv))
        for d in self.open_days:
            marks.append((float(d * DAY_S + tl.close_s[d]), _CLOSE, int(d)))
        marks.sort()
        self._marks = marks
        self._mark_i = 0
        if marks:
            self._at(marks[0][0], self._on_mark)
        # NOTE: the cyclic garbage collector is paused while the model runs: calls and events
        # form no reference cycles (they are freed by reference counting), and the collector's
        # passes over hundreds of thousands of live calls cost a quarter of the run time.
        paused = gc.isenabled()
        gc.disable()
        try:
            self.env.run()
        finally:
            if paused:
                gc.enable()
        self._replay(math.inf)  # the last calls, after the last event: the crew clears the queue and goes home
        self._account_duty(self.env.now)
        return self.col.result()

    def _on_mark(self, _ev) -> None:
        t, kind, idx = self._marks[self._mark_i]
        self._mark_i += 1
        if kind == _INTERVAL:
            self._interval_starts(idx)
        else:
            self._line_closes()
        if self._mark_i < len(self._marks):
            self._at(self._marks[self._mark_i][0] - self.env.now, self._on_mark)
        # the buffers are folded at a closing time once they hold FLUSH_CALLS answered calls:
        # memory stays flat, and small days do not pay a fold each
        if kind == _CLOSE and len(self.col.answered) >= FLUSH_CALLS:
            self.col.flush()
            self._bind_collector()

    # ------------------------------------------------------------------ staffing
    def _interval_starts(self, iv: int) -> None:
        now = self.env.now
        self._replay(now)
        self._account_duty(now)
        tl = self.tl
        if not self.is_open:
            self.is_open = True
            self._open_day(int(tl.iv_day[iv]), iv)
        target = int(tl.iv_agents[iv])
        self.target = target
        if self.staffed < target:
            self.staffed = target
            self._serve_queue(now)
        elif self.staffed > target:
            idle = self.staffed - len(self.busy_ends)
            self.staffed -= min(idle, self.staffed - target)

    def _line_closes(self) -> None:
        """Closing time. The closing crew (agents on duty in the last interval) keeps the target
        of that interval; agents finishing a call after their shift ended are not part of it."""
        now = self.env.now
        self._replay(now)
        self._account_duty(now)
        self.is_open = False
        busy = len(self.busy_ends)
        crew_busy = busy - max(0, self.staffed - self.target)
        if self.m.drop_at_close or crew_busy <= 0:  # nobody left to clear the queue
            for call in self.queue:
                if call.waiting:
                    call.waiting = False
                    if call.t + call.patience < now:  # hung up before closing (see _next_waiting)
                        self.col.abandoned.append(call.cell)
                        self.col.abandon_waits.append(call.patience)
                        continue
                    self.col.dropped.append(call.cell)
                    self.col.drop_waits.append(now - call.t)
                    if call.redials:
                        self._follow_up(call, now + self.redial_delay.next(), REDIAL)
            self.queue.clear()
            self.n_waiting = 0
        self.staffed = busy  # idle agents go home; busy ones finish (the crew, in serve mode, clears the queue)

    # ------------------------------------------------------------------ arrivals
    def _open_day(self, day: int, first_iv: int) -> None:
        """Draw the day's first calls and all their attributes, then start their arrivals."""
        tl, m, rng = self.tl, self.m, self.rng
        sl = tl.day_intervals(day)
        expected = tl.iv_expected[sl] * self.day_factor[day]
        times = arrival_times(rng["arrivals"], tl.iv_start_s[sl], expected, tl.interval_s)
        n = len(times)
        types = rng["arrivals"].choice(self.n_types, size=n, p=m.shares) if self.n_types > 1 else np.zeros(n, int)
        handle = np.empty(n)
        resolved_p = np.empty(n)
        for k, ct in enumerate(m.types):
            idx = np.flatnonzero(types == k)
            handle[idx] = ct.handle_times(rng["handling"], len(idx))
            resolved_p[idx] = ct.resolved
        patience = m.patience.sample(rng["patience"], n) if m.patience else np.full(n, math.inf)
        u = rng["resolution"].random((n, 3))
        resolved = u[:, 0] < resolved_p
        # the day's first calls as parallel lists: a Call object is made only for those who wait
        self._day = (
            types.tolist(),
            handle.tolist(),
            patience.tolist(),
            resolved.tolist(),
            (u[:, 1] < m.repeat_probability).tolist(),
            (u[:, 2] < m.redial_probability).tolist(),
            np.where(resolved, FIRST_RESOLVED, FIRST_UNRESOLVED).tolist(),
        )
        self._times = times.tolist()
        self._day_i = 0
        if n:
            self._arrivals_at(self._times[0])

    def _arrivals_at(self, t: float) -> None:
        """Make sure the arrivals event fires by ``t`` (an earlier one supersedes a later)."""
        if t < self._driver_at and not self._in_driver:
            self._driver_at = t
            env = self.env
            self._schedule(_Tick(env, self._on_arrivals, t), NORMAL, t - env.now)

    def _on_arrivals(self, ev) -> None:
        """Calls arrive: the day's first calls and redials and repeat calls, in time order.

        Between this arrival and the next scheduled event nothing else changes, so every
        arrival before ``env.peek()`` is handled here at its own time, without an event
        each; one event is scheduled for the first arrival after that.
        """
        if ev._value != self._driver_at:  # superseded by an earlier arrivals event
            return
        self._driver_at = math.inf
        self._in_driver = True
        # NOTE: inlined for speed: the first-call branch repeats _arrive and _start with
        # everything they touch in local variables. Keep the three in step.
        env, times = self.env, self._times
        types, handle, patience, resolved, repeats, redials, flags = self._day
        i, n = self._day_i, len(times)
        follow = self._follow_heap
        peek, ends, queue = env.peek, self.busy_ends, self.queue
        slot_to_iv, iv_s, n_types = self.slot_to_iv, self.iv_s, self.n_types
        offered, answered, waits = self._offered, self._answered, self._waits
        svc_start, svc_end, push, pop = self._svc_start, self._svc_end, heapq.heappush, heapq.heappop
        now = env.now
        is_open = self.is_open  # nothing between two arrivals of this loop opens or closes the line
        inf = math.inf
        while True:
            if i < n and times[i] <= now and not (follow and follow[0][0] < times[i]):
                # a first call
                if ends and ends[0] <= now:
                    self._replay(now)
                cell = slot_to_iv[int(now // iv_s)] * n_types + types[i]
                offered(cell * 3)  # FIRST
                if is_open and self.staffed > len(ends):
                    end = now + handle[i]
                    push(ends, end)
                    answered(cell * 3 + flags[i])
                    waits(0.0)
                    svc_start(now)
                    svc_end(end)
                    if repeats[i] and not resolved[i]:
                        call = Call(types[i], handle[i], patience[i], False, True, redials[i], True)
                        self._follow_up(call, end + self.repeat_delay.next(), REPEAT)
                else:
                    call = Call(types[i], handle[i], patience[i], resolved[i], repeats[i], redials[i], True)
                    call.t = now
                    call.cell = cell
                    call.waiting = True
                    queue.append(call)
                    self.n_waiting += 1
                    if call.redials and call.patience != inf:
                        self._schedule(_Tick(env, self._on_patience, call), NORMAL, now + call.patience - env.now)
                i += 1
            elif follow and follow[0][0] <= now:  # a redial or a repeat call
                _, _, call, kind = pop(follow)
                self._arrive(call, kind, now)
            else:  # pragma: no cover - nothing is due (cannot happen: this event fires for an arrival)
                break
            nxt = times[i] if i < n else inf
            if follow and follow[0][0] < nxt:
                nxt = follow[0][0]
            if nxt == inf:
                break
            if nxt >= peek():
                self._in_driver = False
                self._day_i = i
                self._arrivals_at(nxt)
                return
            now = nxt
        self._day_i = i
        self._in_driver = False

    def _follow_up(self, call: Call, t: float, kind: int) -> None:
        """Create the redial or repeat call of ``call``'s issue, arriving at ``t`` (moved into opening hours)."""
        t = self._into_opening_hours(t)
        if t is None:
            return
        # A repeat call is created when its call is answered, which _replay may notice a
        # little after the fact; a repeat delay shorter than that (seconds) starts now.
        t = max(t, self.env.now)
        first = call.first if kind == REDIAL else False
        self._follow_seq += 1
        heapq.heappush(self._follow_heap, (t, self._follow_seq, self.follow.make(call.type, first), kind))
        self._arrivals_at(t)

    # ------------------------------------------------------------------ the queue
    def _arrive(self, call: Call, kind: int, now: float) -> None:
        # NOTE: hot path, kept flat for speed. ``now`` may be ahead of env.now (see _on_arrivals):
        # events are scheduled at absolute times.
        ends = self.busy_ends
        if ends and ends[0] <= now:
            self._replay(now)
        call.t = now
        cell = self.slot_to_iv[int(now // self.iv_s)] * self.n_types + call.type
        call.cell = cell
        self._offered(cell * 3 + kind)
        if self.staffed > len(ends) and self.is_open:
            self._start(call, now)
        else:
            call.waiting = True
            self.queue.append(call)
            self.n_waiting += 1
            if call.redials and call.patience != math.inf:
                env = self.env
                self._schedule(_Tick(env, self._on_patience, call), NORMAL, now + call.patience - env.now)

    def _on_patience(self, ev) -> None:
        """A caller who would redial hangs up (callers who would not are noticed lazily)."""
        call = ev._value
        now = self.env.now
        ends = self.busy_ends
        if ends and ends[0] <= now:
            self._replay(now)
        if not call.waiting:
            return
        call.waiting = False
        self.n_waiting -= 1
        self.col.abandoned.append(call.cell)
        self.col.abandon_waits.append(now - call.t)
        if call.redials:
            self._follow_up(call, now + self.redial_delay.next(), REDIAL)

    def _start(self, call: Call, now: float) -> None:
        # NOTE: hot path. The agent is busy until ``end``: a time in a heap, not an event
        # (see _replay); the call's busy time and its repeat call are known now.
        end = now + call.handle
        heapq.heappush(self.busy_ends, end)
        self._answered(call.cell * 3 + call.flag)
        self._waits(now - call.t)
        self._svc_start(now)
        self._svc_end(end)
        if call.repeats and not call.resolved:
            self._follow_up(call, end + self.repeat_delay.next(), REPEAT)

    def _replay(self, now: float) -> None:
        """Everything that happened to agents up to ``now``, in time order.

        A call's end is not an event: at every event (an arrival, a boundary, a closing, a
        redialling caller's patience) the agents whose calls ended by then are taken in the
        order their calls ended. At each end the agent goes home if past its shift (more
        agents than the interval's staffing), else takes the next caller still waiting at
        that moment (who is answered at that moment), else, after closing, goes home, else
        waits idle. Nothing else changes between two events, so this is the same as an
        event per call end, without the events.
        """
        ends = self.busy_ends
        pop = heapq.heappop
        while ends and ends[0] <= now:
            end = pop(ends)
            if self.staffed > self.target:
                self._account_duty(end)
                self.staffed -= 1
                continue
            call = self._next_waiting(end) if self.n_waiting else None
            if call is not None:
                self._start(call, end)
            elif not self.is_open:  # the closing crew goes home once nobody waits
                self._account_duty(end)
                self.staffed -= 1

    def _next_waiting(self, at: float) -> Call | None:
        """The first caller still waiting at ``at`` (FIFO, lazy deletion).

        Callers who would not redial get no patience event: one whose patience ran out
        before ``at`` hung up then, and is counted here. (Callers who would redial have an
        event, so they are gone from the queue by now.)
        """
        queue = self.queue
        while queue:
            call = queue.popleft()
            if not call.waiting:
                continue
            call.waiting = False
            self.n_waiting -= 1
            if call.t + call.patience < at:
                self.col.abandoned.append(call.cell)
                self.col.abandon_waits.append(call.patience)
                continue
            return call
        return None

    def _serve_queue(self, now: float) -> None:
        """Idle agents (new at a boundary) take waiting callers, first come first served."""
        while self.n_waiting and self.staffed > len(self.busy_ends):
            call = self._next_waiting(now)
            if call is None:
                break
            self._start(call, now)

    def _account_duty(self, now: float) -> None:
        self.col.add_on_duty(self._duty_t, now, self.staffed)
        self._duty_t = now


def simulate_replication(model: Model, seed: np.random.SeedSequence) -> ReplicationCounts:
    """Run one replication of ``model`` with its own SeedSequence."""
    return Replication(model, seed).run()
