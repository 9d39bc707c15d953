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

from ska_sim.maths.arrivals import arrival_times, day_factors
from ska_sim.maths.distributions import ZERO, Duration, Stream
from ska_sim.sim.kpi import FIRST, FIRST_RESOLVED, FIRST_UNRESOLVED, REDIAL, REPEAT, REPEAT_CONTACT, Collector, ReplicationCounts
from ska_sim.sim.routing import RoutingModel, build_routing, free_group, may_take, next_call, single_group
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.timeline import DAY_S, Timeline, build_timeline

_CLOSE, _INTERVAL = 0, 1
FLUSH_CALLS = 20_000  # answered calls buffered before they are folded into the KPI arrays
# New purposes are appended, never inserted: the streams of the others stay as they were.
PURPOSES = ("arrivals", "handling", "patience", "resolution", "followup_delay", "followup_calls",
            "language", "routing", "identity", "transfer", "callback", "absence")


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

    def handle_parts(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(talk, after-call work, identity check or 0, check needed) with exactly the draws of
        :meth:`handle_times`, so (talk + acw) + check is the same handle time (general path)."""
        talk = self.talk.sample(rng, size)
        acw = self.after_call_work.sample(rng, size)
        if self.identity_probability > 0:
            needs = rng.random(size) < self.identity_probability
            extra = np.where(needs, self.identity_extra.sample(rng, size), 0.0)
        else:
            needs, extra = np.zeros(size, bool), np.zeros(size)
        return talk, acw, extra, needs


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
    # issue 8 (general path, GroupReplication); the defaults are today's model
    languages: tuple[str, ...] = ()  # names, [languages] order; () = one unnamed language
    lang_cum: np.ndarray | None = None  # (types, languages): cumulative language shares per type
    talk_factor: tuple[float, ...] = (1.0,)  # per language
    routing: RoutingModel | None = None  # set when the scenario uses groups/languages/lines/identity failures
    lines: int | None = None  # phone lines (calls waiting + calls in talk), None = unlimited
    idc_fails: tuple[float, ...] = ()  # per type: P(identity check fails | needed)
    idc_written: tuple[float, ...] = ()  # per type: P(written request | failed)
    idc_repeat: tuple[float, ...] = ()  # per type: P(calls again | failed)
    # transfers and callbacks (issue 8 phase B), per type; () = none
    tr_share: tuple[float, ...] = ()  # share of answered calls transferred
    tr_to: tuple[int, ...] = ()  # the group it goes to, -1 = out of the line
    tr_talk: tuple[Duration, ...] = ()
    tr_acw: tuple[Duration, ...] = ()
    tr_resolved: tuple[float, ...] = ()
    tr_prio: tuple[int, ...] = ()  # the receiving group's priority for the call type
    cb_share: tuple[float, ...] = ()  # of unresolved answered calls: a promised callback
    cb_group: int = -1  # the group that places callbacks, -1 = no [callbacks]
    cb_delay: Duration = ZERO
    cb_handle: Duration = ZERO
    cb_due_within_s: float = 0.0
    cb_priority: bool = True
    cb_resolved: float = 0.0
    vh_offer_after_s: float | None = None  # virtual hold: offered above this expected wait
    vh_accept: float = 0.0
    roster: object | None = None  # roster.RosterModel: people per interval and their absence draws (issue 9)

    @property
    def n_langs(self) -> int:
        return max(1, len(self.languages))

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
        general = {}
        if s.uses_groups():
            general = _general_fields(s)
        if s.roster is not None and s.roster._plan is not None:
            from ska_sim.plan.roster import roster_model

            general["roster"] = roster_model(s)
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
            **general,
        )


def _general_fields(s: Scenario) -> dict:
    """The Model fields of the general path (issue 8) from a scenario that uses them."""
    tl = build_timeline(s)
    langs = tuple(s.languages)
    n_langs = max(1, len(langs))
    cum = None
    if langs:
        cum = np.zeros((len(s.call_types), n_langs))
        for k, ct in enumerate(s.call_types):
            mix = s.language_shares(ct)
            p = np.array([max(0.0, mix.get(name, 0.0)) for name in langs])
            c = np.cumsum(p / p.sum())
            c[int(np.flatnonzero(p > 0)[-1]):] = np.inf  # the last language with a share takes the rest
            cum[k] = c
    agents = tl.iv_group_agents if s.groups else tl.iv_agents
    idcs = [ct.identity_check for ct in s.call_types]
    return {
        "languages": langs,
        "lang_cum": cum,
        "talk_factor": tuple(float(s.languages[n].talk_factor) for n in langs) or (1.0,),
        "routing": build_routing(s, n_langs, agents),
        "lines": s.lines.count if s.lines is not None else None,
        "idc_fails": tuple(float(i.fails) if i else 0.0 for i in idcs),
        "idc_written": tuple(float(i.written_request) if i else 0.0 for i in idcs),
        "idc_repeat": tuple(float(i.repeat_probability) if i else 0.0 for i in idcs),
        **_transfer_callback_fields(s),
    }


def _transfer_callback_fields(s: Scenario) -> dict:
    """The Model fields of transfers, callbacks and virtual hold (phase B); {} when unused."""
    out: dict = {}
    index = {g.name: i for i, g in enumerate(s.groups)}
    if s.uses_transfers():
        trs = [ct.transfer for ct in s.call_types]
        out.update(
            tr_share=tuple(float(t.share) if t else 0.0 for t in trs),
            tr_to=tuple((-1 if t.to == "out" else index[t.to]) if t else -1 for t in trs),
            tr_talk=tuple(t.talk.build() if t and t.talk else ZERO for t in trs),
            tr_acw=tuple(t.after_call_work.build() if t and t.after_call_work else ZERO for t in trs),
            tr_resolved=tuple(float(t.resolved) if t else 0.0 for t in trs),
            tr_prio=tuple(s.groups[index[t.to]].priority_of(ct.name) if t and t.to != "out" else 0
                          for t, ct in zip(trs, s.call_types)),
        )
    cb = s.callbacks
    if cb is not None and s.uses_callbacks():
        vh = cb.virtual_hold
        out.update(
            cb_share=tuple(float(ct.callback_share) for ct in s.call_types),
            cb_group=index[cb.group],
            cb_delay=cb.delay.build(),
            cb_handle=cb.handle.build(),
            cb_due_within_s=float(cb.due_within_s),
            cb_priority=bool(cb.priority),
            cb_resolved=float(cb.resolved),
            vh_offer_after_s=float(vh.offer_after_s) if vh is not None and vh.accept > 0 else None,
            vh_accept=float(vh.accept) if vh is not None else 0.0,
        )
    return out


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
    """One replication of the model. ``run()`` returns its :class:`ReplicationCounts`.

    ``Replication(model, seed)`` of a model with routing (issue 8) is a :class:`GroupReplication`.
    """

    def __new__(cls, model: Model, seed: np.random.SeedSequence):
        if cls is Replication and model.routing is not None:
            cls = GroupReplication
        return object.__new__(cls)

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
        # agents on the phones per open interval: the timeline's, or a roster's people less this replication's absences
        self.iv_agents = tl.iv_agents if model.roster is None else model.roster.agents(streams["absence"])
        self.n_types = len(model.types)
        self._slot_iv = tl.interval_at()
        self.slot_to_iv = self._slot_iv.tolist()
        self.iv_s = float(tl.interval_s)
        self.open_days = np.flatnonzero(tl.open_s >= 0)
        self._into_opening_hours = tl.opening_hours().into  # where follow-ups land
        # the pool of agents
        self.staffed = 0
        self.busy_ends: list[float] = []  # when each busy agent's call ends (a heap)
        self.target = 0
        self.is_open = False
        # arrivals not yet due: the day's first calls (self._times, self._day) and follow-ups
        self._times: list[float] = [math.inf]  # (Replication: ends with an inf sentinel)
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
        self._finish()
        return self.col.result()

    def _finish(self) -> None:
        """After the last event (the general path counts callbacks never made)."""

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
        target = int(self.iv_agents[iv])
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
        repeats = u[:, 1] < m.repeat_probability
        # each call's KPI cell (interval of arrival x type) and its offered / answered codes,
        # computed here for the whole day (np.floor_divide is Python's // on floats); valid for
        # a call handled at its own arrival time (see _on_arrivals)
        off = (self._slot_iv[(times // self.iv_s).astype(np.int64)] * self.n_types + types) * 3
        # the day's first calls as parallel lists: a Call object is made only for those who wait
        self._day = (
            types.tolist(),
            handle.tolist(),
            patience.tolist(),
            resolved.tolist(),
            repeats.tolist(),
            (u[:, 2] < m.redial_probability).tolist(),
            np.where(resolved, FIRST_RESOLVED, FIRST_UNRESOLVED).tolist(),
            off.tolist(),
            (off + np.where(resolved, FIRST_RESOLVED, FIRST_UNRESOLVED)).tolist(),
            (repeats & ~resolved).tolist(),  # answered at once: calls again
        )
        self._times = times.tolist()
        self._times.append(math.inf)  # a sentinel: the next first call of a finished day is never due
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
        types, handle, patience, resolved, repeats, redials, flags, off, ans, again = self._day
        i, n = self._day_i, len(times) - 1  # times ends with inf (a sentinel)
        follow = self._follow_heap
        peek, ends, queue = env.peek, self.busy_ends, self.queue
        offered, answered, waits = self._offered, self._answered, self._waits
        svc_start, svc_end, push, pop = self._svc_start, self._svc_end, heapq.heappush, heapq.heappop
        # the arrival's own time: env.now (now0 + (t - now0)) can fall one ulp short of it, and
        # then no arrival would be due and the rest of the day's arrivals would be lost
        now = max(env.now, ev._value)
        is_open = self.is_open  # nothing between two arrivals of this loop opens or closes the line
        staffed = self.staffed  # changes only in _replay (re-read after it, and after _arrive)
        target = self.target  # changes only at boundaries
        on_patience, schedule = self._on_patience, self._schedule
        inf = math.inf
        # the next other scheduled event: it changes only when this loop schedules a patience
        # event (re-read then); _replay and _follow_up schedule none while the driver runs
        limit = peek()
        # which arrival is due first (a first call wins a tie with a follow-up)
        if i < n and times[i] <= now and not (follow and follow[0][0] < times[i]):
            first = True
            if times[i] != now:  # (an event an ulp late) this call's cell is the one of ``now``
                cell = self.slot_to_iv[int(now // self.iv_s)] * self.n_types + types[i]
                off[i], ans[i] = cell * 3, cell * 3 + flags[i]
        elif follow and follow[0][0] <= now:
            first = False
        else:  # pragma: no cover - nothing is due (cannot happen: this event fires for an arrival)
            self._in_driver = False
            return
        # the first follow-up due: the heap changes only in _follow_up and pop (re-read after
        # each call that may reach them: _replay, _follow_up, _arrive)
        ft = follow[0][0] if follow else inf
        while True:
            if first:
                # a first call, at its own time (now == times[i])
                if ends and ends[0] <= now:
                    if is_open and not self.n_waiting and staffed <= target:
                        while ends and ends[0] <= now:  # _replay's first case, inlined
                            pop(ends)
                    else:
                        self._replay(now)
                        staffed = self.staffed
                        ft = follow[0][0] if follow else inf
                offered(off[i])  # FIRST
                if is_open and staffed > len(ends):
                    end = now + handle[i]
                    push(ends, end)
                    answered(ans[i])
                    waits(0.0)
                    svc_start(now)
                    svc_end(end)
                    if again[i]:
                        call = Call(types[i], handle[i], patience[i], False, True, redials[i], True)
                        self._follow_up(call, end + self.repeat_delay.next(), REPEAT)
                        ft = follow[0][0] if follow else inf
                else:
                    call = Call(types[i], handle[i], patience[i], resolved[i], repeats[i], redials[i], True)
                    call.t = now
                    call.cell = off[i] // 3
                    call.waiting = True
                    queue.append(call)
                    self.n_waiting += 1
                    if redials[i] and patience[i] != inf:
                        schedule(_Tick(env, on_patience, call), NORMAL, now + call.patience - env.now)
                        limit = peek()
                i += 1
            else:  # a redial or a repeat call
                _, _, call, kind = pop(follow)
                self._arrive(call, kind, now)
                staffed = self.staffed
                limit = peek()
                ft = follow[0][0] if follow else inf
            # the next arrival (after the first iteration, ``now`` is always the next arrival's
            # own time, so the branch above is decided here)
            nxt = times[i]
            if ft < nxt:
                nxt = ft
                first = False
            else:
                first = True
            if nxt == inf:
                break
            if nxt >= limit:
                self._in_driver = False
                self._day_i = i
                self._arrivals_at(nxt)
                return
            now = nxt
        self._day_i = i
        self._in_driver = False

    def _drive(self, ev, first_call) -> None:
        """The arrivals event of the general and recording paths: :meth:`_on_arrivals` without
        its inlining. ``first_call(i, now)`` lets the day's i-th first call arrive; redials and
        repeat calls arrive by ``_arrive``; one event is scheduled for the first arrival after
        the next other event."""
        if ev._value != self._driver_at:  # superseded by an earlier arrivals event
            return
        self._driver_at = math.inf
        self._in_driver = True
        env, times = self.env, self._times
        i, n = self._day_i, len(times)
        follow, peek, inf = self._follow_heap, env.peek, math.inf
        now = max(env.now, ev._value)  # the arrival's own time (see _on_arrivals)
        while True:
            if i < n and times[i] <= now and not (follow and follow[0][0] < times[i]):
                first_call(i, now)
                i += 1
            elif follow and follow[0][0] <= now:
                _, _, call, kind = heapq.heappop(follow)
                self._arrive(call, kind, now)
            else:  # pragma: no cover - nothing is due
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
            if not self.n_waiting and self.is_open and self.staffed <= self.target:
                # nobody waits and nobody goes home: each agent up to ``now`` just waits idle,
                # and that changes nothing for the next one
                while ends and ends[0] <= now:
                    pop(ends)
                return
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


# --------------------------------------------------------------------------- the general path (issue 8)
def general_model(model: Model) -> Model:
    """``model`` (without routing) for the general path: one group that serves everything."""
    import dataclasses

    zeros = (0.0,) * len(model.types)
    routing = single_group(len(model.types), model.n_langs, model.timeline.iv_agents)
    return dataclasses.replace(model, routing=routing, idc_fails=zeros, idc_written=zeros, idc_repeat=zeros)


class GCall:
    """A call on the general path: its cell (type x language) and what routing needs."""

    __slots__ = ("t", "cell", "col", "type", "lang", "handle", "hold", "patience", "res_u", "repeats", "redials",
                 "first", "idc_fail", "written", "waiting", "seq", "step")

    def __init__(self, m: Model, k, lang, talk, acw, extra, needs, patience, u_res, u_rep, u_red, id_u, first):
        self.type, self.lang, self.first = k, lang, first
        self.col = k * m.n_langs + lang
        tt = talk * m.talk_factor[lang]
        self.handle = (tt + acw) + extra  # agent time before the group's handle factor (s)
        self.hold = tt + extra  # time on a phone line once answered: talk + identity check, not ACW
        self.patience = patience
        self.res_u = u_res  # resolved if u_res < min(1, resolved x the group's resolution factor)
        self.redials = u_red < m.redial_probability
        self.idc_fail = bool(needs) and id_u is not None and id_u[0] < m.idc_fails[k]
        if self.idc_fail:  # answered, not resolved by phone: a written request, a repeat call only if asked
            self.written = id_u[1] < m.idc_written[k]
            self.repeats = id_u[2] < m.idc_repeat[k]
        else:
            self.written = False
            self.repeats = u_rep < m.repeat_probability
        self.waiting = False
        self.step = 0  # next overflow step


class _GFollowUps:
    """Attributes of redials and repeat calls on the general path: the same draws from the
    follow-up stream as :class:`_FollowUps` (so one group with every skill is today's model),
    identity failures from the identity stream; type and language are the issue's."""

    def __init__(self, model: Model, rng: np.random.Generator, rng_id: np.random.Generator, batch: int = 256):
        self.m, self.rng, self.rng_id, self.batch = model, rng, rng_id, batch
        self.bufs: list[list[tuple]] = [[] for _ in model.types]

    def _refill(self, k: int) -> list[tuple]:
        m, rng, n = self.m, self.rng, self.batch
        talk, acw, extra, needs = m.types[k].handle_parts(rng, n)
        patience = m.patience.sample(rng, n) if m.patience else np.full(n, math.inf)
        u = rng.random((n, 3))
        ids = self.rng_id.random((n, 3)).tolist() if m.idc_fails[k] > 0 else [None] * n
        rows = list(zip(talk.tolist(), acw.tolist(), extra.tolist(), needs.tolist(), patience.tolist(),
                        u[:, 0].tolist(), u[:, 1].tolist(), u[:, 2].tolist(), ids))
        rows.reverse()
        self.bufs[k] = rows
        return rows

    def make(self, k: int, lang: int, first: bool) -> GCall:
        buf = self.bufs[k] or self._refill(k)
        return GCall(self.m, k, lang, *buf.pop(), first)


class _Uniform:
    """U(0,1) draws one at a time from a generator, in batches."""

    def __init__(self, rng: np.random.Generator, batch: int = 1024):
        self.rng, self.batch, self.buf = rng, batch, []

    def __call__(self) -> float:
        if not self.buf:
            self.buf = self.rng.random(self.batch).tolist()
            self.buf.reverse()
        return self.buf.pop()


class _Leg:
    """A transferred caller waiting for (or talking with) the second agent: it waits in the
    transfer queue of its call type (``col`` = n_cells + type), with what routing.next_call needs."""

    __slots__ = ("call", "to", "t", "seq", "col", "waiting", "talk", "acw", "patience", "res_u")

    def __init__(self, call: GCall, to: int, col: int, talk: float, acw: float, patience: float, res_u: float):
        self.call, self.to, self.col = call, to, col
        self.talk, self.acw, self.patience, self.res_u = talk, acw, patience, res_u
        self.waiting = False


class _Callback:
    """A callback owed to the caller of ``call``: promised after an unresolved call (its own
    handle time and resolution) or accepted instead of waiting (virtual hold: the call itself)."""

    __slots__ = ("call", "due", "vh", "handle", "res_u")

    def __init__(self, call: GCall, due: float, vh: bool, handle: float, res_u: float):
        self.call, self.due, self.vh, self.handle, self.res_u = call, due, vh, handle, res_u


class GroupReplication(Replication):
    """One replication on the general path: agent groups with skills, languages, routing with
    overflow and priorities (routing.py), phone lines and identity-check failures.

    The event loop is :class:`Replication`'s (interval marks, the arrivals event, replay of call
    ends, patience), with these differences:

    - agents are a pool per group (``g_staffed``, ``g_target``, ``g_busy`` and ``idle[g]``, the
      times its free agents became idle); a busy agent is ``(end, n, group)`` in one heap, so
      call ends of all groups are replayed in time order;
    - waiting calls wait in one FIFO per cell (type x language); routing.next_call picks;
    - every waiting caller with a finite patience has a patience event (the line count must
      know who still waits); abandonment counts exactly as on today's path;
    - overflow timers: a waiting call gets an event at arrival + each later group's delay;
    - lines: calls waiting + calls holding a line (answered, until talk + identity check end)
      at most ``lines``; an arrival finding them all taken is blocked (busy tone) and redials
      like an abandoned caller;
    - closing: a waiting call is cut off unless a group eligible for it has a closing-crew
      agent busy (``serve``); when the last agent of a group goes home after closing, calls no
      remaining agent may take are cut off then;
    - transfers (phase B): a transferred call's first agent answers it as usual (handle time,
      wait, busy time), the caller is handed over at the end of talk + identity check (a SimPy
      event), then waits in the call type's transfer queue (a routing cell of the receiving
      group: its priority for the type, FIFO by handover) keeping the line, with a patience
      drawn anew; the second agent's time counts as the group's work (busy time, its
      answered calls and waits), not as an inbound answer;
    - callbacks: a promised callback becomes due at a SimPy event; a free agent of the
      callback group places it while the line is open, else it waits in the callback queue
      (before the inbound calls with ``priority``, after them without); virtual hold: an
      arriving caller who would wait, whose expected wait exceeds ``offer_after_s``, accepts
      with ``accept`` and is called back when that expected wait has passed.
    """

    def __init__(self, model: Model, seed: np.random.SeedSequence):
        if model.routing is None:  # today's model on the general code: one group with every skill
            model = general_model(model)
        super().__init__(model, seed)
        r = model.routing
        self.r = r
        self.n_langs = model.n_langs
        self.n_cells = self.n_types * self.n_langs
        self.col = Collector(self.tl, self.n_types, model.threshold_s, self.n_langs, r.n_groups)
        self._bind_collector()
        self.follow = _GFollowUps(model, self.rng["followup_calls"], self.rng["identity"])
        self.uniform = _Uniform(self.rng["routing"])
        G = r.n_groups
        self.G = G
        self.agents_iv = r.agents.tolist() if model.roster is None else self.iv_agents.reshape(len(self.iv_agents), -1).tolist()
        self.g_staffed = [0] * G
        self.g_target = [0] * G
        self.g_busy = [0] * G
        self.idle: list[deque[float]] = [deque() for _ in range(G)]
        self.queues: list[deque[GCall]] = [deque() for _ in range(self.n_cells)]
        self.ends: list[tuple[float, int, int]] = []
        self._end_seq = 0
        self._seq = 0
        self.line_ends: list[float] = []
        self.lines = model.lines
        self.resolved_p = [ct.resolved for ct in model.types]
        tl = self.tl
        self._last_close = max((float(d * DAY_S + tl.close_s[d]) for d in self.open_days), default=0.0)
        self._phase_b(model)

    def _phase_b(self, m: Model) -> None:
        """Transfers, callbacks and virtual hold: their queues, routing cells and streams."""
        nt, nc = self.n_types, self.n_cells
        self.tr_on = tuple(bool(m.tr_share) and m.tr_share[k] > 0 for k in range(nt))
        self.cb_on = tuple(bool(m.cb_share) and m.cb_share[k] > 0 for k in range(nt))
        self.cb = m.cb_group
        self.cb_queue: deque[_Callback] = deque()
        self.cells = self.r.group_cells
        self.eligible = self.r.eligible
        if any(self.tr_on):
            rng = self.rng["transfer"]
            self.tr_u = _Uniform(rng)
            self.tr_talk = [Stream(d, rng) for d in m.tr_talk]
            self.tr_acw = [Stream(d, rng) for d in m.tr_acw]
            self.tr_patience = Stream(m.patience, rng) if m.patience else None
            cells = [list(c) for c in self.cells]
            extra = []
            for k in range(nt):
                to = m.tr_to[k] if self.tr_on[k] else -1
                if to >= 0:  # the transfer queue of type k: a cell of the receiving group
                    cells[to].append((nc + k, 0.0, m.tr_prio[k]))
                extra.append(((to, 0.0),) if to >= 0 else ())
            self.cells = tuple(tuple(c) for c in cells)
            self.eligible = self.eligible + tuple(extra)
            self.queues += [deque() for _ in range(nt)]
        if self.cb >= 0:
            rng = self.rng["callback"]
            self.cb_u = _Uniform(rng)
            self.cb_delay = Stream(m.cb_delay, rng)
            self.cb_handle = Stream(m.cb_handle, rng)
        self.vh_after = m.vh_offer_after_s if self.cb >= 0 else None
        if self.vh_after is not None:
            # per cell: the queues its eligible groups take from, and the mean handle time there
            hf = self.r.handle_factor
            self.vh_queues, self.vh_mean = [], []
            for c in range(nc):
                el = [g for g, _ in self.eligible[c]]
                self.vh_queues.append(tuple(sorted({q for g in el for q, _, _ in self.cells[g]})))
                k, lang = divmod(c, self.n_langs)
                ct = m.types[k]
                h = ct.talk.mean * m.talk_factor[lang] + ct.after_call_work.mean + ct.identity_probability * ct.identity_extra.mean
                self.vh_mean.append(h * sum(hf[g] for g in el) / len(el))

    def _bind_collector(self) -> None:
        super()._bind_collector()
        self._group = self.col.group.append

    # ------------------------------------------------------------------ staffing
    def _interval_starts(self, iv: int) -> None:
        now = self.env.now
        self._replay(now)
        self._account_duty(now)
        if not self.is_open:
            self.is_open = True
            self._open_day(int(self.tl.iv_day[iv]), iv)
        gained = []
        for g, target in enumerate(self.agents_iv[iv]):
            self.g_target[g] = target
            staffed = self.g_staffed[g]
            if staffed < target:
                self.idle[g].extend([now] * (target - staffed))
                self.g_staffed[g] = target
                gained.append(g)
            elif staffed > target:  # idle agents leave at once (those idle longest first)
                leave = min(len(self.idle[g]), staffed - target)
                for _ in range(leave):
                    self.idle[g].popleft()
                self.g_staffed[g] -= leave
        for g in gained:
            self._serve_group(g, now)

    def _serve_group(self, g: int, now: float) -> None:
        idle, cells, queues = self.idle[g], self.cells[g], self.queues
        if g == self.cb and self.m.cb_priority:
            self._serve_callbacks(now)
        while idle and self.n_waiting:
            call = next_call(cells, queues, now)
            if call is None:
                break
            call.waiting = False
            self.n_waiting -= 1
            idle.popleft()
            self._start(call, g, now)
        if g == self.cb:
            self._serve_callbacks(now)

    def _serve_callbacks(self, now: float) -> None:
        idle, queue, g = self.idle[self.cb], self.cb_queue, self.cb
        while idle and queue and self.is_open:
            idle.popleft()
            self._start_callback(queue.popleft(), g, now)

    def _waiting_calls(self) -> list[GCall]:
        return sorted((c for q in self.queues for c in q if c.waiting), key=lambda c: c.seq)

    def _line_closes(self) -> None:
        now = self.env.now
        self._replay(now)
        self._account_duty(now)
        self.is_open = False
        if self.n_waiting:
            crew = [self.g_busy[g] - max(0, self.g_staffed[g] - self.g_target[g]) for g in range(self.G)]
            eligible, drop = self.eligible, self.m.drop_at_close
            for call in self._waiting_calls():  # in arrival order (the order of their redial draws)
                if drop or not may_take(eligible[call.col], call.t, now, crew):
                    self._cut_off(call, now)
        for g in range(self.G):  # idle agents go home; busy ones finish (the crew clears the queue)
            self.g_staffed[g] = self.g_busy[g]
            self.idle[g].clear()

    def _cut_off(self, call: GCall, now: float) -> None:
        call.waiting = False
        self.n_waiting -= 1
        if call.__class__ is _Leg:  # a transferred caller nobody will take: answered on the line, unresolved
            self._leg_lost(call, now)
            return
        self.col.dropped.append(call.cell)
        self.col.drop_waits.append(now - call.t)
        if call.redials:
            self._follow_up(call, now + self.redial_delay.next(), REDIAL)

    def _orphans(self, now: float) -> None:
        """After closing: calls no agent still at work may take are cut off now."""
        staffed, eligible = self.g_staffed, self.eligible
        for call in self._waiting_calls():
            if not may_take(eligible[call.col], call.t, now, staffed):
                self._cut_off(call, now)

    def _account_duty(self, now: float) -> None:
        add, t0 = self.col.add_on_duty, self._duty_t
        for g, staffed in enumerate(self.g_staffed):
            add(t0, now, staffed, g)
        self._duty_t = now

    # ------------------------------------------------------------------ arrivals
    def _open_day(self, day: int, first_iv: int) -> None:
        """The day's first calls: the same draws as :meth:`Replication._open_day`, then their
        languages (stream "language") and identity-check outcomes (stream "identity")."""
        tl, m, rng = self.tl, self.m, self.rng
        sl = tl.day_intervals(day)
        expected = tl.iv_expected[sl] * self.day_factor[day]
        times = arrival_times(rng["arrivals"], tl.iv_start_s[sl], expected, tl.interval_s)
        n = len(times)
        types = rng["arrivals"].choice(self.n_types, size=n, p=m.shares) if self.n_types > 1 else np.zeros(n, int)
        talk, acw, extra = np.empty(n), np.empty(n), np.empty(n)
        needs = np.zeros(n, bool)
        for k, ct in enumerate(m.types):
            idx = np.flatnonzero(types == k)
            talk[idx], acw[idx], extra[idx], needs[idx] = ct.handle_parts(rng["handling"], len(idx))
        patience = m.patience.sample(rng["patience"], n) if m.patience else np.full(n, math.inf)
        u = rng["resolution"].random((n, 3))
        if self.n_langs > 1:
            lang = (rng["language"].random(n)[:, None] >= m.lang_cum[types]).sum(axis=1)
        else:
            lang = np.zeros(n, np.int64)
        ids = rng["identity"].random((n, 3)).tolist() if any(f > 0 for f in m.idc_fails) else [None] * n
        self._day = list(zip(types.tolist(), lang.tolist(), talk.tolist(), acw.tolist(), extra.tolist(),
                             needs.tolist(), patience.tolist(), u[:, 0].tolist(), u[:, 1].tolist(),
                             u[:, 2].tolist(), ids))
        self._times = times.tolist()
        self._day_i = 0
        if n:
            self._arrivals_at(self._times[0])

    def _on_arrivals(self, ev) -> None:
        """Calls arrive in time order until the next other event (as Replication._on_arrivals)."""
        day, m = self._day, self.m
        self._drive(ev, lambda i, now: self._arrive(GCall(m, *day[i], True), FIRST, now))

    def _follow_up(self, call: GCall, t: float, kind: int) -> None:
        t = self._into_opening_hours(t)
        if t is None:
            return
        t = max(t, self.env.now)
        first = call.first if kind == REDIAL else False
        self._follow_seq += 1
        heapq.heappush(self._follow_heap, (t, self._follow_seq, self.follow.make(call.type, call.lang, first), kind))
        self._arrivals_at(t)

    # ------------------------------------------------------------------ the queues
    def _arrive(self, call: GCall, kind: int, now: float) -> None:
        ends = self.ends
        if ends and ends[0][0] <= now:
            self._replay(now)
        call.t = now
        cell = self.slot_to_iv[int(now // self.iv_s)] * self.n_cells + call.col
        call.cell = cell
        self._offered(cell * 3 + kind)
        if self.lines is not None:
            held = self.line_ends
            while held and held[0] <= now:
                heapq.heappop(held)
            if self.n_waiting + len(held) >= self.lines:  # busy tone
                self.col.blocked.append(cell)
                if call.redials:
                    self._follow_up(call, now + self.redial_delay.next(), REDIAL)
                return
        if self.is_open:
            g = free_group(self.r.arrival_groups[call.col], self.idle, self.r.policy, self.uniform)
            if g >= 0:
                self.idle[g].popleft()
                self._start(call, g, now)
                return
            if self.vh_after is not None and self._virtual_hold(call, now):
                return
        call.waiting = True
        self._seq += 1
        call.seq = self._seq
        self.queues[call.col].append(call)
        self.n_waiting += 1
        env = self.env
        if call.patience != math.inf:
            self._schedule(_Tick(env, self._on_patience, call), NORMAL, now + call.patience - env.now)
        steps = self.r.overflow_steps[call.col]
        if steps and now + steps[0][0] < self._last_close:
            self._schedule(_Tick(env, self._on_overflow, call), NORMAL, now + steps[0][0] - env.now)

    def _on_patience(self, ev) -> None:
        call = ev._value
        now = self.env.now
        ends = self.ends
        if ends and ends[0][0] <= now:
            self._replay(now)
        if not call.waiting:
            return
        call.waiting = False
        self.n_waiting -= 1
        self.col.abandoned.append(call.cell)
        # the wait as today's path records it: redialling callers at their event, others at their patience
        self.col.abandon_waits.append(now - call.t if call.redials else call.patience)
        if call.redials:
            self._follow_up(call, now + self.redial_delay.next(), REDIAL)

    def _on_overflow(self, ev) -> None:
        """A waiting call has waited the delay of groups further down its order: they may take it."""
        call = ev._value
        now = self.env.now
        ends = self.ends
        if ends and ends[0][0] <= now:
            self._replay(now)
        if not call.waiting:
            return
        steps = self.r.overflow_steps[call.col]
        g = free_group(steps[call.step][1], self.idle, self.r.policy, self.uniform)
        if g >= 0:
            call.waiting = False
            self.n_waiting -= 1
            self.idle[g].popleft()
            self._start(call, g, now)
            return
        call.step += 1
        if call.step < len(steps) and call.t + steps[call.step][0] < self._last_close:
            env = self.env
            self._schedule(_Tick(env, self._on_overflow, call), NORMAL, call.t + steps[call.step][0] - env.now)

    def _start(self, call: GCall, g: int, now: float) -> None:
        """Group g's agent answers ``call`` at ``now``: handle and resolution by the group."""
        if call.__class__ is _Leg:
            self._start_leg(call, g, now)
            return
        r = self.r
        end = now + call.handle * r.handle_factor[g]
        self._end_seq += 1
        heapq.heappush(self.ends, (end, self._end_seq, g))
        self.g_busy[g] += 1
        k = call.type
        # a transferred call's resolution is the transfer's (the first leg does not count)
        transfer = self.tr_on[k] and not call.idc_fail and self.tr_u() < self.m.tr_share[k]
        resolved = not transfer and not call.idc_fail and call.res_u < min(1.0, self.resolved_p[k] * r.resolution_factor[g])
        flag = (FIRST_RESOLVED if resolved else FIRST_UNRESOLVED) if call.first else REPEAT_CONTACT
        self._answered(call.cell * 3 + flag)
        self._waits(now - call.t)
        self._svc_start(now)
        self._svc_end(end)
        self._group(g)
        if self.lines is not None:
            heapq.heappush(self.line_ends, now + call.hold * r.handle_factor[g])
        if call.written:
            self.col.written.append(call.cell)
        if transfer:
            self._transfer(call, now + call.hold * r.handle_factor[g], end)
        elif not resolved:
            if self.cb_on[k] and not call.idc_fail and self.cb_u() < self.m.cb_share[k]:
                self._promise(call, end)  # the callback is the second contact: no repeat call
            elif call.repeats:
                self._follow_up(call, end + self.repeat_delay.next(), REPEAT)

    # ------------------------------------------------------------------ transfers (phase B)
    def _transfer(self, call: GCall, handover: float, end: float) -> None:
        """``call`` is transferred at ``handover`` (its first agent works on until ``end``)."""
        m, k = self.m, call.type
        self.col.transfers.append(call.cell)
        to = m.tr_to[k]
        if to < 0:  # out of the line: the other unit resolves the issue with its own probability
            if self.tr_u() < m.tr_resolved[k]:
                if call.first:
                    self.col.transfer_resolved.append(call.cell)
            elif call.repeats:
                self._follow_up(call, end + self.repeat_delay.next(), REPEAT)
            return
        talk = self.tr_talk[k].next() * m.talk_factor[call.lang]
        acw = self.tr_acw[k].next()
        patience = self.tr_patience.next() if self.tr_patience is not None else math.inf
        leg = _Leg(call, to, self.n_cells + k, talk, acw, patience, self.tr_u())
        env = self.env
        self._schedule(_Tick(env, self._on_handover, leg), NORMAL, handover - env.now)

    def _on_handover(self, ev) -> None:
        """The first agent hands the caller over: a free agent of the group takes the call, else it waits."""
        leg = ev._value
        now = self.env.now
        ends = self.ends
        if ends and ends[0][0] <= now:
            self._replay(now)
        leg.t = now
        to = leg.to
        if self.is_open and self.idle[to]:
            self.idle[to].popleft()
            self._start_leg(leg, to, now)
            return
        if not self.is_open and (self.m.drop_at_close or self.g_staffed[to] == 0):
            self._leg_lost(leg, now)  # after closing, with nobody of that group left
            return
        leg.waiting = True
        self._seq += 1
        leg.seq = self._seq
        self.queues[leg.col].append(leg)
        self.n_waiting += 1
        if leg.patience != math.inf:
            env = self.env
            self._schedule(_Tick(env, self._on_leg_patience, leg), NORMAL, now + leg.patience - env.now)

    def _on_leg_patience(self, ev) -> None:
        leg = ev._value
        now = self.env.now
        ends = self.ends
        if ends and ends[0][0] <= now:
            self._replay(now)
        if not leg.waiting:
            return
        leg.waiting = False
        self.n_waiting -= 1
        self._leg_lost(leg, now)

    def _leg_lost(self, leg: _Leg, now: float) -> None:
        """The transferred caller hung up (or was cut off at closing): answered on the line, unresolved."""
        call = leg.call
        self.col.transfer_abandoned.append(call.cell)
        if call.repeats:
            self._follow_up(call, now + self.repeat_delay.next(), REPEAT)

    def _start_leg(self, leg: _Leg, g: int, now: float) -> None:
        """Group g's agent takes the transferred caller: the group's work, not an inbound answer."""
        r, call = self.r, leg.call
        hf = r.handle_factor[g]
        talk_end = now + leg.talk * hf
        end = talk_end + leg.acw * hf
        self._end_seq += 1
        heapq.heappush(self.ends, (end, self._end_seq, g))
        self.g_busy[g] += 1
        col = self.col
        col.legs.append(call.cell)
        col.leg_waits.append(now - leg.t)
        col.leg_groups.append(g)
        col.work_start.append(now)
        col.work_end.append(end)
        col.work_group.append(g)
        if self.lines is not None:
            heapq.heappush(self.line_ends, talk_end)
        if leg.res_u < min(1.0, self.m.tr_resolved[call.type] * r.resolution_factor[g]):
            if call.first:
                col.transfer_resolved.append(call.cell)
        elif self.cb_on[call.type] and self.cb_u() < self.m.cb_share[call.type]:
            self._promise(call, end)
        elif call.repeats:
            self._follow_up(call, end + self.repeat_delay.next(), REPEAT)

    # ------------------------------------------------------------------ callbacks (phase B)
    def _promise(self, call: GCall, end: float, due: float | None = None) -> None:
        """A callback is owed to ``call``'s caller: promised ``delay`` after ``end`` (or, for a
        virtual-hold caller, at ``due``). Due after the last closing: never made (late)."""
        col = self.col
        col.cb_promised.append(call.cell)
        if due is None:
            cb = _Callback(call, end + self.cb_delay.next(), False, self.cb_handle.next(), self.cb_u())
        else:
            cb = _Callback(call, due, True, call.handle, call.res_u)
        if cb.due > self._last_close:
            col.cb_late.append(call.cell)
            return
        env = self.env
        self._schedule(_Tick(env, self._on_callback_due, cb), NORMAL, cb.due - env.now)

    def _on_callback_due(self, ev) -> None:
        cb = ev._value
        now = self.env.now
        ends = self.ends
        if ends and ends[0][0] <= now:
            self._replay(now)
        g = self.cb
        if self.is_open and self.idle[g] and not self.cb_queue:
            self.idle[g].popleft()
            self._start_callback(cb, g, now)
        else:
            self.cb_queue.append(cb)

    def _start_callback(self, cb: _Callback, g: int, now: float) -> None:
        """Group g's agent places the callback: agent time, outcome; never an inbound call."""
        r, m, call, col = self.r, self.m, cb.call, self.col
        handle = cb.handle * r.handle_factor[g]
        end = now + handle
        self._end_seq += 1
        heapq.heappush(self.ends, (end, self._end_seq, g))
        self.g_busy[g] += 1
        col.work_start.append(now)
        col.work_end.append(end)
        col.work_group.append(g)
        col.cb_made.append(call.cell)
        col.cb_busy.append(handle)
        if now - cb.due > m.cb_due_within_s:
            col.cb_late.append(call.cell)
        if cb.vh:  # the caller's own call, placed back: its handle time and resolution with this group
            col.vh_made.append(call.cell)
            resolved = not call.idc_fail and cb.res_u < min(1.0, self.resolved_p[call.type] * r.resolution_factor[g])
            if call.written:
                col.written.append(call.cell)
        else:
            resolved = cb.res_u < m.cb_resolved
        if not resolved and call.repeats:
            self._follow_up(call, end + self.repeat_delay.next(), REPEAT)

    def _virtual_hold(self, call: GCall, now: float) -> bool:
        """An arriving caller who would wait is offered a callback when the expected wait
        (waiting calls the eligible groups may take + 1) x their mean handle time / their
        agents on duty exceeds offer_after_s; True when they accept (offered, not waiting)."""
        c = call.col
        agents = 0
        for g, _ in self.eligible[c]:
            agents += self.g_staffed[g]
        if agents:
            queues = self.queues
            ahead = 0
            for q in self.vh_queues[c]:
                for x in queues[q]:
                    if x.waiting:
                        ahead += 1
            wait = (ahead + 1) * self.vh_mean[c] / agents
        else:
            wait = math.inf
        if wait <= self.vh_after or self.cb_u() >= self.m.vh_accept:
            return False
        self.col.vh.append(call.cell)
        self._promise(call, now, now + (wait if wait != math.inf else 0.0))
        return True

    def _finish(self) -> None:
        for cb in self.cb_queue:  # callbacks still not made at the end of the simulated days are late
            self.col.cb_late.append(cb.call.cell)
        self.cb_queue.clear()

    def _replay(self, now: float) -> None:
        """Call ends of every group up to ``now``, in time order (as Replication._replay): the
        agent goes home if past the shift, else takes the call routing.next_call gives, else
        (after closing) goes home, else waits idle."""
        ends, pop = self.ends, heapq.heappop
        staffed, target, busy, cells = self.g_staffed, self.g_target, self.g_busy, self.cells
        cbg, cbq = self.cb, self.cb_queue
        while ends and ends[0][0] <= now:
            end, _, g = pop(ends)
            busy[g] -= 1
            if staffed[g] > target[g]:
                self._account_duty(end)
                staffed[g] -= 1
                continue
            if g == cbg and cbq and self.is_open and self.m.cb_priority:
                self._start_callback(cbq.popleft(), g, end)
                continue
            call = next_call(cells[g], self.queues, end) if self.n_waiting else None
            if call is not None:
                call.waiting = False
                self.n_waiting -= 1
                self._start(call, g, end)
            elif g == cbg and cbq and self.is_open:
                self._start_callback(cbq.popleft(), g, end)
            elif not self.is_open:
                self._account_duty(end)
                staffed[g] -= 1
                if staffed[g] == 0 and self.n_waiting:
                    self._orphans(end)
            else:
                self.idle[g].append(end)

    def _serve_queue(self, now: float) -> None:  # pragma: no cover - _interval_starts serves per group
        for g in range(self.G):
            self._serve_group(g, now)


def simulate_replication(model: Model, seed: np.random.SeedSequence) -> ReplicationCounts:
    """Run one replication of ``model`` with its own SeedSequence (the general path when the
    model has routing, see :class:`GroupReplication`)."""
    if model.routing is not None:
        return GroupReplication(model, seed).run()
    return Replication(model, seed).run()


# --------------------------------------------------------------------------- per-call records (issue 10)
# ``run --record-calls``: the calls of one replication as a call log (calllog.py writes it).
# The recorder is a pair of subclasses, so the replications above do no per-call work for it
# (zero cost when not recording); the recording ones make the same draws in the same order
# and so return the same counts (tests/test_calllog.py checks it on both paths).
KIND_NAMES = ("first", "redial", "repeat", "callback")  # FIRST, REDIAL, REPEAT, then placed callbacks
CALLBACK = 3
OUTCOME_NAMES = ("", "answered", "abandoned", "blocked", "unanswered_at_close", "virtual_hold")
_ANSWERED, _ABANDONED, _BLOCKED, _DROPPED, _VHOLD = 1, 2, 3, 4, 5


class CallRecords:
    """Column lists, one entry per call that reached the line, in arrival order (times in s
    since the first simulated day; NaN where not applicable). ``caller`` is an integer: a new
    one for each first call, inherited by its redials, repeat calls and callbacks."""

    def __init__(self) -> None:
        self.caller: list[int] = []
        self.type: list[int] = []
        self.lang: list[int] = []
        self.kind: list[int] = []
        self.arrival: list[float] = []
        self.patience: list[float] = []
        self.answer: list[float] = []
        self.end: list[float] = []  # the caller leaves: talk end, hang-up, or arrival if blocked
        self.acw: list[float] = []  # after-call work of answered calls (s)
        self.group: list[int] = []  # the answering agent group, -1 when not answered
        self.outcome: list[int] = []
        self.n_callers = 0

    def add(self, caller: int | None, type_: int, lang: int, kind: int, arrival: float, patience: float) -> int:
        if caller is None:
            self.n_callers += 1
            caller = self.n_callers
        nan = math.nan
        self.caller.append(caller)
        self.type.append(type_)
        self.lang.append(lang)
        self.kind.append(kind)
        self.arrival.append(arrival)
        self.patience.append(patience)
        self.answer.append(nan)
        self.end.append(nan)
        self.acw.append(nan)
        self.group.append(-1)
        self.outcome.append(0)
        return len(self.caller) - 1

    def settle(self) -> None:
        """After the run: a caller with no outcome yet hung up when their patience ran out
        (today's path notices those lazily, see Replication._next_waiting)."""
        for row, out in enumerate(self.outcome):
            if out == 0:
                t = self.arrival[row] + self.patience[row]
                self.outcome[row] = _ABANDONED if t != math.inf else _DROPPED
                self.end[row] = t if t != math.inf else self.arrival[row]


class _Recorder:
    """What both recording replications share: rows keyed by call object, caller inheritance."""

    def _start_recording(self) -> None:
        self.rec = CallRecords()
        self._row: dict = {}  # call -> its row
        self._inherit: dict = {}  # follow-up call not yet arrived -> its caller
        self._parent_caller = None
        make = self.follow.make

        def made(*args):
            call = make(*args)
            self._inherit[call] = self._parent_caller
            return call

        self.follow.make = made

    def _record_arrival(self, call, kind: int, now: float) -> int:
        row = self.rec.add(self._inherit.pop(call, None), call.type, getattr(call, "lang", 0), kind, now, call.patience)
        self._row[call] = row
        return row

    def _follow_up(self, call, t: float, kind: int) -> None:
        self._parent_caller = self.rec.caller[self._row[call]]
        super()._follow_up(call, t, kind)

    def run(self) -> ReplicationCounts:
        counts = super().run()
        self.rec.settle()
        return counts


class _SplitFollowUps(_FollowUps):
    """_FollowUps with the same draws (CallTypeModel.handle_parts), keeping each call's after-call work."""

    def __init__(self, model: Model, rng: np.random.Generator, acw: dict):
        super().__init__(model, rng)
        self.acw_of = acw

    def _refill(self, k: int) -> list[tuple]:
        m, rng, n = self.m, self.rng, self.batch
        ct = m.types[k]
        talk, acw, extra, _ = ct.handle_parts(rng, n)
        handle = (talk + acw) + extra
        patience = m.patience.sample(rng, n) if m.patience else np.full(n, math.inf)
        u = rng.random((n, 3))
        rows = list(zip(handle.tolist(), patience.tolist(), (u[:, 0] < ct.resolved).tolist(),
                        (u[:, 1] < m.repeat_probability).tolist(), (u[:, 2] < m.redial_probability).tolist(),
                        acw.tolist()))
        rows.reverse()
        self.bufs[k] = rows
        return rows

    def make(self, type_: int, first: bool) -> Call:
        buf = self.bufs[type_] or self._refill(type_)
        handle, patience, resolved, repeats, redials, acw = buf.pop()
        call = Call(type_, handle, patience, resolved, repeats, redials, first)
        self.acw_of[call] = acw
        return call


class RecordingReplication(_Recorder, Replication):
    """Replication that also records every call (today's path). Its arrivals take the plain
    route (_arrive/_start) instead of the inlined first-call branch: the same outcomes."""

    def __init__(self, model: Model, seed: np.random.SeedSequence):
        super().__init__(model, seed)
        self._acw: dict = {}
        self.follow = _SplitFollowUps(model, self.rng["followup_calls"], self._acw)
        self._start_recording()

    def _open_day(self, day: int, first_iv: int) -> None:
        """Replication._open_day with handle_parts (the same draws), keeping after-call work apart."""
        tl, m, rng = self.tl, self.m, self.rng
        sl = tl.day_intervals(day)
        expected = tl.iv_expected[sl] * self.day_factor[day]
        times = arrival_times(rng["arrivals"], tl.iv_start_s[sl], expected, tl.interval_s)
        n = len(times)
        types = rng["arrivals"].choice(self.n_types, size=n, p=m.shares) if self.n_types > 1 else np.zeros(n, int)
        handle, acw, resolved_p = np.empty(n), np.empty(n), np.empty(n)
        for k, ct in enumerate(m.types):
            idx = np.flatnonzero(types == k)
            talk, a, extra, _ = ct.handle_parts(rng["handling"], len(idx))
            handle[idx] = (talk + a) + extra
            acw[idx] = a
            resolved_p[idx] = ct.resolved
        patience = m.patience.sample(rng["patience"], n) if m.patience else np.full(n, math.inf)
        u = rng["resolution"].random((n, 3))
        resolved = u[:, 0] < resolved_p
        self._day = (types.tolist(), handle.tolist(), patience.tolist(), resolved.tolist(),
                     (u[:, 1] < m.repeat_probability).tolist(), (u[:, 2] < m.redial_probability).tolist(),
                     acw.tolist())
        self._times = times.tolist()
        self._day_i = 0
        if n:
            self._arrivals_at(self._times[0])

    def _on_arrivals(self, ev) -> None:
        types, handle, patience, resolved, repeats, redials, acw = self._day

        def first_call(i: int, now: float) -> None:
            call = Call(types[i], handle[i], patience[i], resolved[i], repeats[i], redials[i], True)
            self._acw[call] = acw[i]
            self._arrive(call, FIRST, now)

        self._drive(ev, first_call)

    def _arrive(self, call: Call, kind: int, now: float) -> None:
        self._record_arrival(call, kind, now)
        super()._arrive(call, kind, now)

    def _start(self, call: Call, now: float) -> None:
        rec, row, acw = self.rec, self._row[call], self._acw.pop(call)
        rec.answer[row] = now
        rec.end[row] = now + call.handle - acw
        rec.acw[row] = acw
        rec.group[row] = 0
        rec.outcome[row] = _ANSWERED
        super()._start(call, now)

    def _line_closes(self) -> None:
        now = self.env.now
        self._replay(now)  # what Replication._line_closes does first (a second replay is a no-op)
        waiting = [c for c in self.queue if c.waiting]
        super()._line_closes()
        if waiting and not self.queue:  # the queue was cut off
            rec = self.rec
            for c in waiting:
                if not c.t + c.patience < now:  # (those past their patience hung up before: settle())
                    row = self._row[c]
                    rec.outcome[row] = _DROPPED
                    rec.end[row] = now

    def _on_patience(self, ev) -> None:
        call = ev._value
        super()._on_patience(ev)
        row = self._row[call]
        if self.rec.outcome[row] == 0 and not call.waiting:
            self.rec.outcome[row] = _ABANDONED
            self.rec.end[row] = self.env.now


class RecordingGroupReplication(_Recorder, GroupReplication):
    """GroupReplication that also records every call (the general path)."""

    def __init__(self, model: Model, seed: np.random.SeedSequence):
        super().__init__(model, seed)
        self._start_recording()

    def _arrive(self, call: GCall, kind: int, now: float) -> None:
        row = self._record_arrival(call, kind, now)
        super()._arrive(call, kind, now)
        rec = self.rec
        if rec.outcome[row] == 0 and not call.waiting:  # neither answered, nor waiting, nor virtual hold
            rec.outcome[row] = _BLOCKED
            rec.end[row] = now

    def _start(self, call: GCall, g: int, now: float) -> None:
        if call.__class__ is not _Leg:
            rec, row, hf = self.rec, self._row[call], self.r.handle_factor[g]
            rec.answer[row] = now
            rec.end[row] = now + call.hold * hf
            rec.acw[row] = (call.handle - call.hold) * hf
            rec.group[row] = g
            rec.outcome[row] = _ANSWERED
        super()._start(call, g, now)

    def _on_patience(self, ev) -> None:
        call = ev._value
        super()._on_patience(ev)
        row = self._row[call]
        if self.rec.outcome[row] == 0 and not call.waiting:
            self.rec.outcome[row] = _ABANDONED
            self.rec.end[row] = self.env.now

    def _cut_off(self, call: GCall, now: float) -> None:
        if call.__class__ is not _Leg:
            row = self._row[call]
            self.rec.outcome[row] = _DROPPED
            self.rec.end[row] = now
        super()._cut_off(call, now)

    def _virtual_hold(self, call: GCall, now: float) -> bool:
        accepted = super()._virtual_hold(call, now)
        if accepted:
            row = self._row[call]
            self.rec.outcome[row] = _VHOLD
            self.rec.end[row] = now
        return accepted

    def _start_callback(self, cb: _Callback, g: int, now: float) -> None:
        rec = self.rec
        row = rec.add(rec.caller[self._row[cb.call]], cb.call.type, cb.call.lang, CALLBACK, now, math.inf)
        rec.answer[row] = now
        rec.end[row] = now + cb.handle * self.r.handle_factor[g]
        rec.acw[row] = 0.0
        rec.group[row] = g
        rec.outcome[row] = _ANSWERED
        super()._start_callback(cb, g, now)


def record_replication(model: Model, seed: np.random.SeedSequence) -> tuple[ReplicationCounts, CallRecords]:
    """Run one replication of ``model`` recording every call: (its counts, its records). The
    counts are those :func:`simulate_replication` returns for the same seed."""
    rep = (RecordingGroupReplication if model.routing is not None else RecordingReplication)(model, seed)
    counts = rep.run()
    return counts, rep.rec
