"""The SimPy model of one replication: callers, the queue, agents, abandonment, follow-ups
(redials, repeat calls, transfers, callbacks), phone lines and staffing changes.

One event loop (:class:`Replication`) with parts chosen when the replication is built, so that
a scenario pays only for the mechanisms it uses:

- the agent pool and its queue: :class:`SinglePool` (one group with every skill and one
  language: a count of agents and one FIFO queue) or :class:`RoutedPool` (agent groups,
  skills, languages, routing with overflow and priorities, see routing.py);
- :class:`FollowUps`: redials and repeat calls not yet due, their delays and their draws;
- :class:`Lines` (phone lines), :class:`TransferPart` and :class:`CallbackPart` (callbacks
  and virtual hold), present only when the scenario has them (routed pool only);
- an observer (:class:`CallRecorder`, ``--record-calls``) that the parts notify of each
  call's arrival and outcome; None unless recording.

How SimPy is used (see benchmarks/ for the measurement):

- No process per caller and no ``simpy.Resource``: the SimPy events are plain triggered
  events with a callback, scheduled with ``Environment.schedule`` (interval boundaries and
  closings, arrivals, a waiting caller's patience running out). ``Resource``
  cannot change its capacity, and staffing changes every interval, so agents are an
  explicit pool: agents on duty, the interval's staffing, and each busy agent as the time its
  call ends, in a heap.
- A call's end is not an event. At every event, the agents whose calls have ended by then
  are *replayed* in the order their calls ended (``replay``): each goes home if past its
  shift, else takes the next caller still waiting at that moment, else waits idle. Nothing
  else changes between two events, so this is exactly an event per call end, without the
  events (the tests compare the engine with a call-by-call reference implementation).
- Arrivals (the day's first calls, drawn in bulk when the day opens, and follow-ups, kept in
  a heap) are handled by one *arrivals* event that takes every arrival due before the next
  other scheduled event, then schedules itself for the next one.
- On the single pool a caller who would not redial needs no patience event: the replay
  counts them as having hung up when an agent reaches them after their patience ran out (or
  at closing). Callers who would redial keep a patience event, so that the redial is
  scheduled when they hang up. (The routed pool gives every waiting caller with a finite
  patience an event: lines and overflow must know who still waits.)
- The queues are FIFO with lazy deletion: a caller who hangs up is marked and skipped when
  an agent next takes from the queue.
- An agent going off duty (staffing drops at a boundary) finishes the current call first;
  idle agents leave at once. At closing time idle agents leave; with
  ``queued_at_close = "serve"`` the closing crew (busy agents of the last interval's
  staffing, not those already past their shift) keeps taking queued calls until the queue
  is empty; with ``"drop"`` the queued calls are cut off (unanswered at close). When no
  crew agent is busy at closing, queued calls are unanswered at close in either mode.
- Randomness (DESIGN.md): a replication's SeedSequence spawns one Generator per purpose
  (:data:`PURPOSES`). A day's first calls and all their attributes are drawn in bulk when
  the day opens, so two scenarios that differ only in staffing see exactly the same first
  callers. Redials and repeat calls draw their attributes when they are created, from the
  follow-up streams (in batches per call type). A repeat call is created when its call is
  answered.
- A redial or repeat call whose time falls outside opening hours moves to the next open
  day, placed at the same fraction of that day's hours as it fell in the closed gap (not
  all at the stroke of opening). Follow-ups falling after the last simulated day are not
  simulated.
"""

from __future__ import annotations

import dataclasses
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
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.timeline import DAY_S, Timeline, build_timeline
from ska_sim.sim.kpi import FIRST, FIRST_RESOLVED, FIRST_UNRESOLVED, REDIAL, REPEAT, REPEAT_CONTACT, Collector, ReplicationCounts
from ska_sim.sim.routing import RoutingModel, build_routing, free_group, may_take, next_call, single_group

CLOSE, INTERVAL = 0, 1  # kinds of marks; a closing sorts before an opening at the same instant
FLUSH_CALLS = 20_000  # answered calls buffered before they are folded into the KPI arrays
# New purposes are appended, never inserted: the streams of the others stay as they were.
PURPOSES = ("arrivals", "handling", "patience", "resolution", "followup_delay", "followup_calls",
            "language", "routing", "identity", "transfer", "callback", "absence")


# --------------------------------------------------------------------------- the model
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
        :meth:`handle_times`, so (talk + acw) + check is the same handle time."""
        talk = self.talk.sample(rng, size)
        acw = self.after_call_work.sample(rng, size)
        if self.identity_probability > 0:
            needs = rng.random(size) < self.identity_probability
            extra = np.where(needs, self.identity_extra.sample(rng, size), 0.0)
        else:
            needs, extra = np.zeros(size, bool), np.zeros(size)
        return talk, acw, extra, needs


@dataclass(frozen=True)
class IdentityFailures:
    """Per call type: P(the identity check fails | it is needed), P(written request | failed),
    P(the caller calls again | failed)."""

    fails: tuple[float, ...]
    written: tuple[float, ...]
    repeat: tuple[float, ...]


@dataclass(frozen=True)
class Transfers:
    """Per call type: the share of answered calls transferred and where they go."""

    share: tuple[float, ...]
    to: tuple[int, ...]  # the group it goes to, -1 = out of the line
    talk: tuple[Duration, ...]
    acw: tuple[Duration, ...]
    resolved: tuple[float, ...]
    priority: tuple[int, ...]  # the receiving group's priority for the call type


@dataclass(frozen=True)
class VirtualHold:
    offer_after_s: float  # offered above this expected wait
    accept: float  # P(the caller accepts)


@dataclass(frozen=True)
class Callbacks:
    """Promised callbacks (per call type: share of unresolved answered calls) and virtual hold."""

    share: tuple[float, ...]
    group: int  # the group that places callbacks
    delay: Duration
    handle: Duration
    due_within_s: float
    priority: bool  # before the inbound calls (else after them)
    resolved: float
    virtual_hold: VirtualHold | None = None


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
    languages: tuple[str, ...] = ()  # names, [languages] order; () = one unnamed language
    lang_cum: np.ndarray | None = None  # (types, languages): cumulative language shares per type
    talk_factor: tuple[float, ...] = (1.0,)  # per language
    routing: RoutingModel | None = None  # groups and routing tables; None = one pool, one queue
    lines: int | None = None  # phone lines (calls waiting + calls in talk), None = unlimited
    identity: IdentityFailures | None = None  # None: identity checks never fail
    transfers: Transfers | None = None
    callbacks: Callbacks | None = None
    roster: object | None = None  # roster.RosterModel: people per interval and their absence draws

    @property
    def n_langs(self) -> int:
        return max(1, len(self.languages))

    def single_pool(self) -> bool:
        """True when one pool with one FIFO queue is this model exactly: no routing, or the
        implicit single group (general_model) with one language and nothing else."""
        r = self.routing
        if r is None:
            return True
        return (not r.named and r.n_groups == 1 and not self.languages and self.lines is None
                and self.identity is None and self.transfers is None and self.callbacks is None
                and r.handle_factor == (1.0,) and r.resolution_factor == (1.0,))

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
            general = _routed_fields(s)
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


def general_model(model: Model) -> Model:
    """``model`` (without routing) with its pool as routing's implicit single group ("all")."""
    routing = single_group(len(model.types), model.n_langs, model.timeline.iv_agents)
    return dataclasses.replace(model, routing=routing)


def _routed_fields(s: Scenario) -> dict:
    """The Model fields of groups, languages, lines, identity failures, transfers and callbacks."""
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
    identity = IdentityFailures(
        fails=tuple(float(i.fails) if i else 0.0 for i in idcs),
        written=tuple(float(i.written_request) if i else 0.0 for i in idcs),
        repeat=tuple(float(i.repeat_probability) if i else 0.0 for i in idcs),
    )
    return {
        "languages": langs,
        "lang_cum": cum,
        "talk_factor": tuple(float(s.languages[n].talk_factor) for n in langs) or (1.0,),
        "routing": build_routing(s, n_langs, agents),
        "lines": s.lines.count if s.lines is not None else None,
        "identity": identity if any(f > 0 for f in identity.fails) else None,
        "transfers": _transfers(s),
        "callbacks": _callbacks(s),
    }


def _transfers(s: Scenario) -> Transfers | None:
    if not s.uses_transfers():
        return None
    index = {g.name: i for i, g in enumerate(s.groups)}
    trs = [ct.transfer for ct in s.call_types]
    return Transfers(
        share=tuple(float(t.share) if t else 0.0 for t in trs),
        to=tuple((-1 if t.to == "out" else index[t.to]) if t else -1 for t in trs),
        talk=tuple(t.talk.build() if t and t.talk else ZERO for t in trs),
        acw=tuple(t.after_call_work.build() if t and t.after_call_work else ZERO for t in trs),
        resolved=tuple(float(t.resolved) if t else 0.0 for t in trs),
        priority=tuple(s.groups[index[t.to]].priority_of(ct.name) if t and t.to != "out" else 0
                       for t, ct in zip(trs, s.call_types)),
    )


def _callbacks(s: Scenario) -> Callbacks | None:
    cb = s.callbacks
    if cb is None or not s.uses_callbacks():
        return None
    index = {g.name: i for i, g in enumerate(s.groups)}
    vh = cb.virtual_hold
    return Callbacks(
        share=tuple(float(ct.callback_share) for ct in s.call_types),
        group=index[cb.group],
        delay=cb.delay.build(),
        handle=cb.handle.build(),
        due_within_s=float(cb.due_within_s),
        priority=bool(cb.priority),
        resolved=float(cb.resolved),
        virtual_hold=VirtualHold(float(vh.offer_after_s), float(vh.accept)) if vh is not None and vh.accept > 0 else None,
    )


# --------------------------------------------------------------------------- calls
class Tick(Event):
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
    """One call offered to the single pool's queue. Attributes are drawn when the call is created."""

    __slots__ = ("t", "cell", "type", "handle", "patience", "resolved", "repeats", "redials", "first", "flag",
                 "waiting", "acw")

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
        # t (arrival time), cell (interval x type) and waiting are set when the call arrives;
        # acw (after-call work, s) only when the replication records calls


class GCall:
    """A call on the routed pool: its cell (type x language) and what routing needs."""

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
        self.idc_fail = bool(needs) and id_u is not None and id_u[0] < m.identity.fails[k]
        if self.idc_fail:  # answered, not resolved by phone: a written request, a repeat call only if asked
            self.written = id_u[1] < m.identity.written[k]
            self.repeats = id_u[2] < m.identity.repeat[k]
        else:
            self.written = False
            self.repeats = u_rep < m.repeat_probability
        self.waiting = False
        self.step = 0  # next overflow step


class Leg:
    """A transferred caller waiting for (or talking with) the second agent: it waits in the
    transfer queue of its call type (``col`` = n_cells + type), with what routing.next_call needs."""

    __slots__ = ("call", "to", "t", "seq", "col", "waiting", "talk", "acw", "patience", "res_u")

    def __init__(self, call: GCall, to: int, col: int, talk: float, acw: float, patience: float, res_u: float):
        self.call, self.to, self.col = call, to, col
        self.talk, self.acw, self.patience, self.res_u = talk, acw, patience, res_u
        self.waiting = False


class PromisedCallback:
    """A callback owed to the caller of ``call``: promised after an unresolved call (its own
    handle time and resolution) or accepted instead of waiting (virtual hold: the call itself)."""

    __slots__ = ("call", "due", "vh", "handle", "res_u")

    def __init__(self, call: GCall, due: float, vh: bool, handle: float, res_u: float):
        self.call, self.due, self.vh, self.handle, self.res_u = call, due, vh, handle, res_u


class Uniform:
    """U(0,1) draws one at a time from a generator, in batches."""

    def __init__(self, rng: np.random.Generator, batch: int = 1024):
        self.rng, self.batch, self.buf = rng, batch, []

    def __call__(self) -> float:
        if not self.buf:
            self.buf = self.rng.random(self.batch).tolist()
            self.buf.reverse()
        return self.buf.pop()


class SingleCalls:
    """Attributes of the single pool's redials and repeat calls, drawn in batches per call type
    from the follow-up stream. With ``split`` (recording) each call keeps its after-call work:
    the same draws (CallTypeModel.handle_parts)."""

    def __init__(self, model: Model, rng: np.random.Generator, split: bool = False, batch: int = 256):
        self.m, self.rng, self.split, self.batch = model, rng, split, batch
        self.bufs: list[list[tuple]] = [[] for _ in model.types]

    def _refill(self, k: int) -> list[tuple]:
        m, rng, n = self.m, self.rng, self.batch
        ct = m.types[k]
        if self.split:
            talk, acw, extra, _ = ct.handle_parts(rng, n)
            handle = (talk + acw) + extra
        else:
            handle = ct.handle_times(rng, n)
        patience = m.patience.sample(rng, n) if m.patience else np.full(n, math.inf)
        u = rng.random((n, 3))
        cols = [handle.tolist(), patience.tolist(), (u[:, 0] < ct.resolved).tolist(),
                (u[:, 1] < m.repeat_probability).tolist(), (u[:, 2] < m.redial_probability).tolist()]
        if self.split:
            cols.append(acw.tolist())
        rows = list(zip(*cols))
        rows.reverse()  # pop() from the end hands them out in the order drawn
        self.bufs[k] = rows
        return rows

    def follow_up(self, call: Call, first: bool) -> Call:
        k = call.type
        buf = self.bufs[k] or self._refill(k)
        row = buf.pop()
        new = Call(k, row[0], row[1], row[2], row[3], row[4], first)
        if self.split:
            new.acw = row[5]
        return new


class RoutedCalls:
    """Attributes of the routed pool's redials and repeat calls: the same draws from the
    follow-up stream as :class:`SingleCalls`, identity failures from the identity stream;
    type and language are the issue's."""

    def __init__(self, model: Model, rng: np.random.Generator, rng_id: np.random.Generator, batch: int = 256):
        self.m, self.rng, self.rng_id, self.batch = model, rng, rng_id, batch
        self.bufs: list[list[tuple]] = [[] for _ in model.types]

    def _refill(self, k: int) -> list[tuple]:
        m, rng, n = self.m, self.rng, self.batch
        talk, acw, extra, needs = m.types[k].handle_parts(rng, n)
        patience = m.patience.sample(rng, n) if m.patience else np.full(n, math.inf)
        u = rng.random((n, 3))
        fails = m.identity is not None and m.identity.fails[k] > 0
        ids = self.rng_id.random((n, 3)).tolist() if fails else [None] * n
        rows = list(zip(talk.tolist(), acw.tolist(), extra.tolist(), needs.tolist(), patience.tolist(),
                        u[:, 0].tolist(), u[:, 1].tolist(), u[:, 2].tolist(), ids))
        rows.reverse()
        self.bufs[k] = rows
        return rows

    def follow_up(self, call: GCall, first: bool) -> GCall:
        k = call.type
        buf = self.bufs[k] or self._refill(k)
        return GCall(self.m, k, call.lang, *buf.pop(), first)


class FollowUps:
    """Redials and repeat calls not yet due: a heap of (time, sequence, call, kind), their
    delays (stream "followup_delay") and the calls' attributes (``calls``)."""

    def __init__(self, rep, calls):
        self.rep, self.env, self.calls, self.obs = rep, rep.env, calls, rep.obs
        m, rng = rep.m, rep.rng["followup_delay"]
        self.redial_delay = Stream(m.redial_delay, rng)
        self.repeat_delay = Stream(m.repeat_delay, rng)
        self.into_opening_hours = rep.tl.opening_hours().into  # where follow-ups land
        self.heap: list[tuple] = []
        self.seq = 0

    def redial(self, call, now: float) -> None:
        """The caller of ``call`` (abandoned, blocked or cut off at ``now``) redials after a delay."""
        self.add(call, now + self.redial_delay.next(), REDIAL)

    def repeat(self, call, end: float) -> None:
        """The issue of ``call`` (unresolved, ended at ``end``) comes back as a repeat call."""
        self.add(call, end + self.repeat_delay.next(), REPEAT)

    def add(self, call, t: float, kind: int) -> None:
        """Create the redial or repeat call of ``call``'s issue, arriving at ``t`` (moved into opening hours)."""
        t = self.into_opening_hours(t)
        if t is None:
            return
        # A repeat call is created when its call is answered, which the replay may notice a
        # little after the fact; a repeat delay shorter than that (seconds) starts now.
        t = max(t, self.env.now)
        first = call.first if kind == REDIAL else False
        self.seq += 1
        new = self.calls.follow_up(call, first)
        if self.obs is not None:
            self.obs.follow_up(call, new)
        heapq.heappush(self.heap, (t, self.seq, new, kind))
        self.rep.arrivals_at(t)


# --------------------------------------------------------------------------- the event loop
class Replication:
    """One replication of the model: the event loop. ``run()`` returns its :class:`ReplicationCounts`.

    The loop owns the clock (interval boundaries and closings as one chain of events), the
    arrivals event and the day's first calls; the pool part (``pool``) owns agents, queues and
    what happens to a call. ``routed=True`` puts a model that fits the single pool on the
    routed pool anyway (its implicit single group; tests compare the two). ``observer`` (a
    :class:`CallRecorder`) is told of every call; it changes no draw and no outcome.
    """

    def __init__(self, model: Model, seed: np.random.SeedSequence, observer=None,
                 routed: bool = False):
        if routed and model.routing is None:
            model = general_model(model)
        self.m = model
        tl = model.timeline
        self.tl = tl
        streams = dict(zip(PURPOSES, (np.random.default_rng(s) for s in seed.spawn(len(PURPOSES)))))
        self.rng = streams
        self.env = Environment()
        self.schedule = self.env.schedule
        self.obs = observer
        r = model.routing
        self.col = Collector(tl, len(model.types), model.threshold_s, model.n_langs, r.n_groups if r else 0)
        self.day_factor = day_factors(streams["arrivals"], tl.n_days, model.day_cv)
        # agents on the phones per open interval: the timeline's, or a roster's people less this replication's absences
        self.iv_agents = tl.iv_agents if model.roster is None else model.roster.agents(streams["absence"])
        self.n_types = len(model.types)
        self.slot_iv = tl.interval_at()
        self.slot_to_iv = self.slot_iv.tolist()
        self.iv_s = float(tl.interval_s)
        self.open_days = np.flatnonzero(tl.open_s >= 0)
        self.last_close = max((float(d * DAY_S + tl.close_s[d]) for d in self.open_days), default=0.0)
        # arrivals not yet due: the day's first calls (times, day) and follow-ups (follow.heap)
        self.times: list[float] = [math.inf]
        self.day: object = ()
        self.day_i = 0
        self.driver_at = math.inf  # when the pending arrivals event fires
        self.in_driver = False
        self.pool = (SinglePool if model.single_pool() and not routed else RoutedPool)(self)
        self.follow: FollowUps = self.pool.follow
        self.on_arrivals = self.pool.on_arrivals if observer is None else self.drive

    def at(self, delay: float, callback, value=None) -> None:
        self.schedule(Tick(self.env, callback, value), NORMAL, delay)

    def run(self) -> ReplicationCounts:
        tl = self.tl
        # interval boundaries and closings, as one chain of events in time order
        marks: list[tuple[float, int, int]] = []
        for iv in range(len(tl.iv_day)):
            marks.append((float(tl.iv_start_s[iv]), INTERVAL, iv))
        for d in self.open_days:
            marks.append((float(d * DAY_S + tl.close_s[d]), CLOSE, int(d)))
        marks.sort()
        self.marks = marks
        self.mark_i = 0
        if marks:
            self.at(marks[0][0], self.on_mark)
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
        pool = self.pool
        pool.replay(math.inf)  # the last calls, after the last event: the crew clears the queue and goes home
        pool.account_duty(self.env.now)
        pool.finish()
        if self.obs is not None:
            self.obs.finish()
        return self.col.result()

    def on_mark(self, _ev) -> None:
        """An interval starts (staffing changes; the day opens) or the line closes."""
        _, kind, idx = self.marks[self.mark_i]
        self.mark_i += 1
        now, pool = self.env.now, self.pool
        pool.replay(now)
        pool.account_duty(now)
        if kind == INTERVAL:
            if not pool.is_open:
                pool.is_open = True
                self.open_day(int(self.tl.iv_day[idx]))
            pool.staff(idx, now)
        else:
            pool.is_open = False
            pool.close(now)
        if self.mark_i < len(self.marks):
            self.at(self.marks[self.mark_i][0] - now, self.on_mark)
        # the buffers are folded at a closing time once they hold FLUSH_CALLS answered calls:
        # memory stays flat, and small days do not pay a fold each
        if kind == CLOSE and len(self.col.answered) >= FLUSH_CALLS:
            self.col.flush()
            pool.bind()

    # ------------------------------------------------------------------ arrivals
    def open_day(self, day: int) -> None:
        """Draw the day's first calls (times and types here, their other attributes by the
        pool), then start their arrivals."""
        tl, rng = self.tl, self.rng["arrivals"]
        sl = tl.day_intervals(day)
        expected = tl.iv_expected[sl] * self.day_factor[day]
        times = arrival_times(rng, tl.iv_start_s[sl], expected, tl.interval_s)
        n = len(times)
        types = rng.choice(self.n_types, size=n, p=self.m.shares) if self.n_types > 1 else np.zeros(n, int)
        self.day = self.pool.first_calls(times, types)
        self.times = times.tolist()
        self.times.append(math.inf)  # a sentinel: the next first call of a finished day is never due
        self.day_i = 0
        if n:
            self.arrivals_at(self.times[0])

    def arrivals_at(self, t: float) -> None:
        """Make sure the arrivals event fires by ``t`` (an earlier one supersedes a later)."""
        if t < self.driver_at and not self.in_driver:
            self.driver_at = t
            env = self.env
            self.schedule(Tick(env, self.on_arrivals, t), NORMAL, t - env.now)

    def drive(self, ev) -> None:
        """The arrivals event: calls arrive in time order, each at its own time, until the next
        other scheduled event (nothing else changes before it); then one event is scheduled
        for the first arrival after that. The pool lets the day's i-th first call arrive
        (``first_call``) and redials and repeat calls (``arrive``)."""
        if ev._value != self.driver_at:  # superseded by an earlier arrivals event
            return
        self.driver_at = math.inf
        self.in_driver = True
        env, times, pool = self.env, self.times, self.pool
        i, n = self.day_i, len(times) - 1  # times ends with inf (a sentinel)
        follow, peek, inf = self.follow.heap, env.peek, math.inf
        # the arrival's own time: env.now (now0 + (t - now0)) can fall one ulp short of it, and
        # then no arrival would be due and the rest of the day's arrivals would be lost
        now = max(env.now, ev._value)
        while True:
            if i < n and times[i] <= now and not (follow and follow[0][0] < times[i]):
                pool.first_call(i, now)
                i += 1
            elif follow and follow[0][0] <= now:
                _, _, call, kind = heapq.heappop(follow)
                pool.arrive(call, kind, now)
            else:  # pragma: no cover - nothing is due
                break
            nxt = times[i]
            if follow and follow[0][0] < nxt:
                nxt = follow[0][0]
            if nxt == inf:
                break
            if nxt >= peek():
                self.in_driver = False
                self.day_i = i
                self.arrivals_at(nxt)
                return
            now = nxt
        self.day_i = i
        self.in_driver = False


def simulate_replication(model: Model, seed: np.random.SeedSequence) -> ReplicationCounts:
    """Run one replication of ``model`` with its own SeedSequence."""
    return Replication(model, seed).run()


# --------------------------------------------------------------------------- the single pool
class SinglePool:
    """One group of agents with every skill and one FIFO queue: ``staffed`` agents on duty,
    ``target`` the interval's staffing, each busy agent the time its call ends (``busy_ends``,
    a heap)."""

    def __init__(self, rep):
        self.rep, self.m, self.env, self.schedule, self.col, self.obs = rep, rep.m, rep.env, rep.schedule, rep.col, rep.obs
        self.follow = FollowUps(rep, SingleCalls(rep.m, rep.rng["followup_calls"], split=rep.obs is not None))
        self.rng = rep.rng
        self.iv_agents = rep.iv_agents
        self.n_types, self.slot_to_iv, self.iv_s = rep.n_types, rep.slot_to_iv, rep.iv_s
        self.duty_group = 0 if self.col.n_groups else None  # the implicit single group's time on duty
        self.staffed = 0
        self.busy_ends: list[float] = []  # when each busy agent's call ends (a heap)
        self.target = 0
        self.is_open = False
        self.queue: deque[Call] = deque()
        self.n_waiting = 0
        self.duty_t = 0.0
        self.bind()

    def bind(self) -> None:
        """Bound ``append`` methods of the collector's buffers (they are replaced at each flush)."""
        col = self.col
        self._offered = col.offered.append
        self._answered = col.answered.append
        self._waits = col.waits.append
        self._svc_start = col.svc_start.append
        self._svc_end = col.svc_end.append

    def finish(self) -> None:
        """After the last event: nothing is owed."""

    def account_duty(self, now: float) -> None:
        self.col.add_on_duty(self.duty_t, now, self.staffed, self.duty_group)
        self.duty_t = now

    # ------------------------------------------------------------------ staffing
    def staff(self, iv: int, now: float) -> None:
        """The interval's staffing: new agents take waiting callers; idle ones above it leave."""
        target = int(self.iv_agents[iv])
        self.target = target
        if self.staffed < target:
            self.staffed = target
            self.serve_queue(now)
        elif self.staffed > target:
            idle = self.staffed - len(self.busy_ends)
            self.staffed -= min(idle, self.staffed - target)

    def close(self, now: float) -> None:
        """Closing time. The closing crew (agents on duty in the last interval) keeps the target
        of that interval; agents finishing a call after their shift ended are not part of it."""
        busy = len(self.busy_ends)
        crew_busy = busy - max(0, self.staffed - self.target)
        if self.m.drop_at_close or crew_busy <= 0:  # nobody left to clear the queue
            col, obs = self.col, self.obs
            for call in self.queue:
                if call.waiting:
                    call.waiting = False
                    if call.t + call.patience < now:  # hung up before closing (see next_waiting)
                        col.abandoned.append(call.cell)
                        col.abandon_waits.append(call.patience)
                        continue
                    col.dropped.append(call.cell)
                    col.drop_waits.append(now - call.t)
                    if obs is not None:
                        obs.cut_off(call, now)
                    if call.redials:
                        self.follow.redial(call, now)
            self.queue.clear()
            self.n_waiting = 0
        self.staffed = busy  # idle agents go home; busy ones finish (the crew, in serve mode, clears the queue)

    # ------------------------------------------------------------------ arrivals
    def first_calls(self, times: np.ndarray, types: np.ndarray) -> tuple:
        """The other attributes of the day's first calls (handle time, patience, whether the
        issue is resolved, whether the caller would call again or redial), as parallel lists:
        a Call object is made only for those who wait."""
        m, rng, n = self.m, self.rng, len(times)
        split = self.obs is not None
        handle, acw, resolved_p = np.empty(n), np.empty(n), np.empty(n)
        for k, ct in enumerate(m.types):
            idx = np.flatnonzero(types == k)
            if split:
                talk, a, extra, _ = ct.handle_parts(rng["handling"], len(idx))
                handle[idx] = (talk + a) + extra
                acw[idx] = a
            else:
                handle[idx] = ct.handle_times(rng["handling"], len(idx))
            resolved_p[idx] = ct.resolved
        patience = m.patience.sample(rng["patience"], n) if m.patience else np.full(n, math.inf)
        u = rng["resolution"].random((n, 3))
        resolved = u[:, 0] < resolved_p
        repeats = u[:, 1] < m.repeat_probability
        redials = u[:, 2] < m.redial_probability
        if split:
            return (types.tolist(), handle.tolist(), patience.tolist(), resolved.tolist(), repeats.tolist(),
                    redials.tolist(), acw.tolist())
        # each call's KPI cell (interval of arrival x type) and its offered / answered codes,
        # computed here for the whole day (np.floor_divide is Python's // on floats); valid for
        # a call handled at its own arrival time (see on_arrivals)
        flags = np.where(resolved, FIRST_RESOLVED, FIRST_UNRESOLVED)
        off = (self.rep.slot_iv[(times // self.iv_s).astype(np.int64)] * self.n_types + types) * 3
        return (
            types.tolist(),
            handle.tolist(),
            patience.tolist(),
            resolved.tolist(),
            repeats.tolist(),
            redials.tolist(),
            flags.tolist(),
            off.tolist(),
            (off + flags).tolist(),
            (repeats & ~resolved).tolist(),  # answered at once: calls again
        )

    def first_call(self, i: int, now: float) -> None:
        """The day's i-th first call arrives (recording: the plain route, keeping its after-call work)."""
        types, handle, patience, resolved, repeats, redials, acw = self.rep.day
        call = Call(types[i], handle[i], patience[i], resolved[i], repeats[i], redials[i], True)
        call.acw = acw[i]
        self.arrive(call, FIRST, now)

    def on_arrivals(self, ev) -> None:
        """The arrivals event (Replication.drive) with the first calls' arrival done here.

        NOTE: inlined for speed: the first-call branch repeats arrive and start with
        everything they touch in local variables. Keep the three in step.
        """
        rep = self.rep
        if ev._value != rep.driver_at:  # superseded by an earlier arrivals event
            return
        rep.driver_at = math.inf
        rep.in_driver = True
        env, times = self.env, rep.times
        types, handle, patience, resolved, repeats, redials, flags, off, ans, again = rep.day
        i, n = rep.day_i, len(times) - 1  # times ends with inf (a sentinel)
        follow = self.follow.heap
        peek, ends, queue = env.peek, self.busy_ends, self.queue
        offered, answered, waits = self._offered, self._answered, self._waits
        svc_start, svc_end, push, pop = self._svc_start, self._svc_end, heapq.heappush, heapq.heappop
        # the arrival's own time (see Replication.drive)
        now = max(env.now, ev._value)
        is_open = self.is_open  # nothing between two arrivals of this loop opens or closes the line
        staffed = self.staffed  # changes only in replay (re-read after it, and after arrive)
        target = self.target  # changes only at boundaries
        on_patience, schedule = self.on_patience, self.schedule
        inf = math.inf
        # the next other scheduled event: it changes only when this loop schedules a patience
        # event (re-read then); replay and follow-ups schedule none while the driver runs
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
            rep.in_driver = False
            return
        # the first follow-up due: the heap changes only in follow-ups and pop (re-read after
        # each call that may reach them: replay, follow.repeat, arrive)
        ft = follow[0][0] if follow else inf
        while True:
            if first:
                # a first call, at its own time (now == times[i])
                if ends and ends[0] <= now:
                    if is_open and not self.n_waiting and staffed <= target:
                        while ends and ends[0] <= now:  # replay's first case, inlined
                            pop(ends)
                    else:
                        self.replay(now)
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
                        self.follow.repeat(call, end)
                        ft = follow[0][0] if follow else inf
                else:
                    call = Call(types[i], handle[i], patience[i], resolved[i], repeats[i], redials[i], True)
                    call.t = now
                    call.cell = off[i] // 3
                    call.waiting = True
                    queue.append(call)
                    self.n_waiting += 1
                    if redials[i] and patience[i] != inf:
                        schedule(Tick(env, on_patience, call), NORMAL, now + call.patience - env.now)
                        limit = peek()
                i += 1
            else:  # a redial or a repeat call
                _, _, call, kind = pop(follow)
                self.arrive(call, kind, now)
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
                rep.in_driver = False
                rep.day_i = i
                rep.arrivals_at(nxt)
                return
            now = nxt
        rep.day_i = i
        rep.in_driver = False

    # ------------------------------------------------------------------ the queue
    def arrive(self, call: Call, kind: int, now: float) -> None:
        # NOTE: hot path, kept flat for speed. ``now`` may be ahead of env.now (see
        # Replication.drive): events are scheduled at absolute times.
        if self.obs is not None:
            self.obs.arrive(call, kind, now)
        ends = self.busy_ends
        if ends and ends[0] <= now:
            self.replay(now)
        call.t = now
        cell = self.slot_to_iv[int(now // self.iv_s)] * self.n_types + call.type
        call.cell = cell
        self._offered(cell * 3 + kind)
        if self.staffed > len(ends) and self.is_open:
            self.start(call, now)
        else:
            call.waiting = True
            self.queue.append(call)
            self.n_waiting += 1
            if call.redials and call.patience != math.inf:
                env = self.env
                self.schedule(Tick(env, self.on_patience, call), NORMAL, now + call.patience - env.now)

    def on_patience(self, ev) -> None:
        """A caller who would redial hangs up (callers who would not are noticed lazily)."""
        call = ev._value
        now = self.env.now
        ends = self.busy_ends
        if ends and ends[0] <= now:
            self.replay(now)
        if not call.waiting:
            return
        call.waiting = False
        self.n_waiting -= 1
        self.col.abandoned.append(call.cell)
        self.col.abandon_waits.append(now - call.t)
        if self.obs is not None:
            self.obs.abandoned(call, now)
        if call.redials:
            self.follow.redial(call, now)

    def start(self, call: Call, now: float) -> None:
        # NOTE: hot path. The agent is busy until ``end``: a time in a heap, not an event
        # (see replay); the call's busy time and its repeat call are known now.
        end = now + call.handle
        if self.obs is not None:
            self.obs.answered(call, now, end - call.acw, call.acw, 0)
        heapq.heappush(self.busy_ends, end)
        self._answered(call.cell * 3 + call.flag)
        self._waits(now - call.t)
        self._svc_start(now)
        self._svc_end(end)
        if call.repeats and not call.resolved:
            self.follow.repeat(call, end)

    def replay(self, now: float) -> None:
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
                self.account_duty(end)
                self.staffed -= 1
                continue
            call = self.next_waiting(end) if self.n_waiting else None
            if call is not None:
                self.start(call, end)
            elif not self.is_open:  # the closing crew goes home once nobody waits
                self.account_duty(end)
                self.staffed -= 1

    def next_waiting(self, at: float) -> Call | None:
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

    def serve_queue(self, now: float) -> None:
        """Idle agents (new at a boundary) take waiting callers, first come first served."""
        while self.n_waiting and self.staffed > len(self.busy_ends):
            call = self.next_waiting(now)
            if call is None:
                break
            self.start(call, now)


# --------------------------------------------------------------------------- the routed pool
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


class RoutedPool:
    """Agent groups with skills, languages, routing with overflow and priorities (routing.py),
    and, when the scenario has them, phone lines (:class:`Lines`), identity-check failures,
    transfers (:class:`TransferPart`) and callbacks with virtual hold (:class:`CallbackPart`).

    - agents are a pool per group (``g_staffed``, ``g_target``, ``g_busy`` and ``idle[g]``, the
      times its free agents became idle); a busy agent is ``(end, n, group)`` in one heap, so
      call ends of all groups are replayed in time order;
    - waiting calls wait in one FIFO per cell (type x language); routing.next_call picks;
    - every waiting caller with a finite patience has a patience event (the line count must
      know who still waits); abandonment counts exactly as on the single pool;
    - overflow timers: a waiting call gets an event at arrival + each later group's delay;
    - lines: an arrival finding them all taken is blocked and redials like an abandoned caller;
    - closing: a waiting call is cut off unless a group eligible for it has a closing-crew
      agent busy (``serve``); when the last agent of a group goes home after closing, calls no
      remaining agent may take are cut off then.
    """

    def __init__(self, rep):
        m = rep.m
        self.rep, self.m, self.env, self.schedule, self.col, self.obs = rep, m, rep.env, rep.schedule, rep.col, rep.obs
        self.rng = rep.rng
        self.follow = FollowUps(rep, RoutedCalls(m, rep.rng["followup_calls"], rep.rng["identity"]))
        r = m.routing
        self.r = r
        self.n_types, self.slot_to_iv, self.iv_s = rep.n_types, rep.slot_to_iv, rep.iv_s
        self.n_langs = m.n_langs
        self.n_cells = self.n_types * self.n_langs
        self.uniform = Uniform(rep.rng["routing"])
        G = r.n_groups
        self.G = G
        self.agents_iv = r.agents.tolist() if m.roster is None else rep.iv_agents.reshape(len(rep.iv_agents), -1).tolist()
        self.is_open = False
        self.g_staffed = [0] * G
        self.g_target = [0] * G
        self.g_busy = [0] * G
        self.idle: list[deque[float]] = [deque() for _ in range(G)]
        self.queues: list[deque] = [deque() for _ in range(self.n_cells)]
        self.n_waiting = 0
        self.ends: list[tuple[float, int, int]] = []
        self.end_seq = 0
        self.seq = 0
        self.duty_t = 0.0
        self.lines = Lines(m.lines) if m.lines is not None else None
        self.resolved_p = [ct.resolved for ct in m.types]
        self.last_close = rep.last_close
        self.cells = r.group_cells  # per group: the (cell, delay, priority) it takes from
        self.eligible = r.eligible  # per cell: (group, delay)
        self.transfers = TransferPart(self) if m.transfers is not None and any(s > 0 for s in m.transfers.share) else None
        self.callbacks = CallbackPart(self) if m.callbacks is not None else None
        self.cb_group = self.callbacks.group if self.callbacks is not None else -1
        self.bind()

    def bind(self) -> None:
        """Bound ``append`` methods of the collector's buffers (they are replaced at each flush)."""
        col = self.col
        self._offered = col.offered.append
        self._answered = col.answered.append
        self._waits = col.waits.append
        self._svc_start = col.svc_start.append
        self._svc_end = col.svc_end.append
        self._group = col.group.append

    def finish(self) -> None:
        if self.callbacks is not None:
            self.callbacks.finish()

    def account_duty(self, now: float) -> None:
        add, t0 = self.col.add_on_duty, self.duty_t
        for g, staffed in enumerate(self.g_staffed):
            add(t0, now, staffed, g)
        self.duty_t = now

    # ------------------------------------------------------------------ staffing
    def staff(self, iv: int, now: float) -> None:
        """The interval's staffing per group: new agents take waiting callers; idle ones above it leave."""
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
            self.serve_group(g, now)

    def serve_group(self, g: int, now: float) -> None:
        idle, cells, queues, cb = self.idle[g], self.cells[g], self.queues, self.callbacks
        if g == self.cb_group and cb.priority:
            cb.serve(now)
        while idle and self.n_waiting:
            call = next_call(cells, queues, now)
            if call is None:
                break
            call.waiting = False
            self.n_waiting -= 1
            idle.popleft()
            self.start(call, g, now)
        if g == self.cb_group:
            cb.serve(now)

    def waiting_calls(self) -> list:
        return sorted((c for q in self.queues for c in q if c.waiting), key=lambda c: c.seq)

    def close(self, now: float) -> None:
        if self.n_waiting:
            crew = [self.g_busy[g] - max(0, self.g_staffed[g] - self.g_target[g]) for g in range(self.G)]
            eligible, drop = self.eligible, self.m.drop_at_close
            for call in self.waiting_calls():  # in arrival order (the order of their redial draws)
                if drop or not may_take(eligible[call.col], call.t, now, crew):
                    self.cut_off(call, now)
        for g in range(self.G):  # idle agents go home; busy ones finish (the crew clears the queue)
            self.g_staffed[g] = self.g_busy[g]
            self.idle[g].clear()

    def cut_off(self, call, now: float) -> None:
        call.waiting = False
        self.n_waiting -= 1
        if call.__class__ is Leg:  # a transferred caller nobody will take: answered on the line, unresolved
            self.transfers.lost(call, now)
            return
        self.col.dropped.append(call.cell)
        self.col.drop_waits.append(now - call.t)
        if self.obs is not None:
            self.obs.cut_off(call, now)
        if call.redials:
            self.follow.redial(call, now)

    def orphans(self, now: float) -> None:
        """After closing: calls no agent still at work may take are cut off now."""
        staffed, eligible = self.g_staffed, self.eligible
        for call in self.waiting_calls():
            if not may_take(eligible[call.col], call.t, now, staffed):
                self.cut_off(call, now)

    # ------------------------------------------------------------------ arrivals
    def first_calls(self, times: np.ndarray, types: np.ndarray) -> list[tuple]:
        """The other attributes of the day's first calls: the single pool's draws (split into
        talk, after-call work and identity check), then their languages (stream "language")
        and identity-check outcomes (stream "identity")."""
        m, rng, n = self.m, self.rng, len(times)
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
        ids = rng["identity"].random((n, 3)).tolist() if m.identity is not None else [None] * n
        return list(zip(types.tolist(), lang.tolist(), talk.tolist(), acw.tolist(), extra.tolist(),
                        needs.tolist(), patience.tolist(), u[:, 0].tolist(), u[:, 1].tolist(),
                        u[:, 2].tolist(), ids))

    def first_call(self, i: int, now: float) -> None:
        self.arrive(GCall(self.m, *self.rep.day[i], True), FIRST, now)

    def on_arrivals(self, ev) -> None:
        self.rep.drive(ev)

    # ------------------------------------------------------------------ the queues
    def arrive(self, call: GCall, kind: int, now: float) -> None:
        if self.obs is not None:
            self.obs.arrive(call, kind, now)
        ends = self.ends
        if ends and ends[0][0] <= now:
            self.replay(now)
        call.t = now
        cell = self.slot_to_iv[int(now // self.iv_s)] * self.n_cells + call.col
        call.cell = cell
        self._offered(cell * 3 + kind)
        if self.lines is not None and self.lines.full(now, self.n_waiting):  # busy tone
            self.col.blocked.append(cell)
            if self.obs is not None:
                self.obs.blocked(call, now)
            if call.redials:
                self.follow.redial(call, now)
            return
        if self.is_open:
            g = free_group(self.r.arrival_groups[call.col], self.idle, self.r.policy, self.uniform)
            if g >= 0:
                self.idle[g].popleft()
                self.start(call, g, now)
                return
            if self.callbacks is not None and self.callbacks.virtual_hold(call, now):
                return
        call.waiting = True
        self.seq += 1
        call.seq = self.seq
        self.queues[call.col].append(call)
        self.n_waiting += 1
        env = self.env
        if call.patience != math.inf:
            self.schedule(Tick(env, self.on_patience, call), NORMAL, now + call.patience - env.now)
        steps = self.r.overflow_steps[call.col]
        if steps and now + steps[0][0] < self.last_close:
            self.schedule(Tick(env, self.on_overflow, call), NORMAL, now + steps[0][0] - env.now)

    def on_patience(self, ev) -> None:
        call = ev._value
        now = self.env.now
        ends = self.ends
        if ends and ends[0][0] <= now:
            self.replay(now)
        if not call.waiting:
            return
        call.waiting = False
        self.n_waiting -= 1
        self.col.abandoned.append(call.cell)
        # the wait as the single pool records it: redialling callers at their event, others at their patience
        self.col.abandon_waits.append(now - call.t if call.redials else call.patience)
        if self.obs is not None:
            self.obs.abandoned(call, now)
        if call.redials:
            self.follow.redial(call, now)

    def on_overflow(self, ev) -> None:
        """A waiting call has waited the delay of groups further down its order: they may take it."""
        call = ev._value
        now = self.env.now
        ends = self.ends
        if ends and ends[0][0] <= now:
            self.replay(now)
        if not call.waiting:
            return
        steps = self.r.overflow_steps[call.col]
        g = free_group(steps[call.step][1], self.idle, self.r.policy, self.uniform)
        if g >= 0:
            call.waiting = False
            self.n_waiting -= 1
            self.idle[g].popleft()
            self.start(call, g, now)
            return
        call.step += 1
        if call.step < len(steps) and call.t + steps[call.step][0] < self.last_close:
            env = self.env
            self.schedule(Tick(env, self.on_overflow, call), NORMAL, call.t + steps[call.step][0] - env.now)

    def busy(self, g: int, end: float) -> None:
        """An agent of group g is busy until ``end``."""
        self.end_seq += 1
        heapq.heappush(self.ends, (end, self.end_seq, g))
        self.g_busy[g] += 1

    def start(self, call, g: int, now: float) -> None:
        """Group g's agent answers ``call`` at ``now``: handle and resolution by the group."""
        if call.__class__ is Leg:
            self.transfers.start_leg(call, g, now)
            return
        r = self.r
        hf = r.handle_factor[g]
        end = now + call.handle * hf
        if self.obs is not None:
            self.obs.answered(call, now, now + call.hold * hf, (call.handle - call.hold) * hf, g)
        self.busy(g, end)
        k = call.type
        # a transferred call's resolution is the transfer's (the first leg does not count)
        tr = self.transfers
        transfer = tr is not None and tr.on[k] and not call.idc_fail and tr.u() < tr.share[k]
        resolved = not transfer and not call.idc_fail and call.res_u < min(1.0, self.resolved_p[k] * r.resolution_factor[g])
        flag = (FIRST_RESOLVED if resolved else FIRST_UNRESOLVED) if call.first else REPEAT_CONTACT
        self._answered(call.cell * 3 + flag)
        self._waits(now - call.t)
        self._svc_start(now)
        self._svc_end(end)
        self._group(g)
        if self.lines is not None:
            self.lines.hold(now + call.hold * hf)
        if call.written:
            self.col.written.append(call.cell)
        if transfer:
            tr.transfer(call, now + call.hold * hf, end)
        elif not resolved:
            cb = self.callbacks
            if cb is not None and cb.on[k] and not call.idc_fail and cb.u() < cb.share[k]:
                cb.promise(call, end)  # the callback is the second contact: no repeat call
            elif call.repeats:
                self.follow.repeat(call, end)

    def replay(self, now: float) -> None:
        """Call ends of every group up to ``now``, in time order (as SinglePool.replay): the
        agent goes home if past the shift, else takes the call routing.next_call gives (or a
        callback), else (after closing) goes home, else waits idle."""
        ends, pop = self.ends, heapq.heappop
        staffed, target, busy, cells = self.g_staffed, self.g_target, self.g_busy, self.cells
        cbg, cb = self.cb_group, self.callbacks
        while ends and ends[0][0] <= now:
            end, _, g = pop(ends)
            busy[g] -= 1
            if staffed[g] > target[g]:
                self.account_duty(end)
                staffed[g] -= 1
                continue
            if g == cbg and cb.queue and self.is_open and cb.priority:
                cb.start(cb.queue.popleft(), g, end)
                continue
            call = next_call(cells[g], self.queues, end) if self.n_waiting else None
            if call is not None:
                call.waiting = False
                self.n_waiting -= 1
                self.start(call, g, end)
            elif g == cbg and cb.queue and self.is_open:
                cb.start(cb.queue.popleft(), g, end)
            elif not self.is_open:
                self.account_duty(end)
                staffed[g] -= 1
                if staffed[g] == 0 and self.n_waiting:
                    self.orphans(end)
            else:
                self.idle[g].append(end)


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
        rng = pool.rng["transfer"]
        self.u = Uniform(rng)
        self.talk = [Stream(d, rng) for d in tr.talk]
        self.acw = [Stream(d, rng) for d in tr.acw]
        self.patience = Stream(m.patience, rng) if m.patience else None
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
        patience = self.patience.next() if self.patience is not None else math.inf
        leg = Leg(call, to, pool.n_cells + k, talk, acw, patience, self.u())
        env = self.env
        pool.schedule(Tick(env, self.on_handover, leg), NORMAL, handover - env.now)

    def on_handover(self, ev) -> None:
        """The first agent hands the caller over: a free agent of the group takes the call, else it waits."""
        leg, pool = ev._value, self.pool
        now = self.env.now
        ends = pool.ends
        if ends and ends[0][0] <= now:
            pool.replay(now)
        leg.t = now
        to = leg.to
        if pool.is_open and pool.idle[to]:
            pool.idle[to].popleft()
            self.start_leg(leg, to, now)
            return
        if not pool.is_open and (self.m.drop_at_close or pool.g_staffed[to] == 0):
            self.lost(leg, now)  # after closing, with nobody of that group left
            return
        leg.waiting = True
        pool.seq += 1
        leg.seq = pool.seq
        pool.queues[leg.col].append(leg)
        pool.n_waiting += 1
        if leg.patience != math.inf:
            env = self.env
            pool.schedule(Tick(env, self.on_leg_patience, leg), NORMAL, now + leg.patience - env.now)

    def on_leg_patience(self, ev) -> None:
        leg, pool = ev._value, self.pool
        now = self.env.now
        ends = pool.ends
        if ends and ends[0][0] <= now:
            pool.replay(now)
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
        hf = r.handle_factor[g]
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
        rng = pool.rng["callback"]
        self.u = Uniform(rng)
        self.delay = Stream(cbm.delay, rng)
        self.handle = Stream(cbm.handle, rng)
        vh = cbm.virtual_hold
        self.vh_after = vh.offer_after_s if vh is not None else None
        if vh is not None:
            # per cell: the queues its eligible groups take from, and the mean handle time there
            hf = pool.r.handle_factor
            self.vh_queues, self.vh_mean = [], []
            for c in range(pool.n_cells):
                el = [g for g, _ in pool.eligible[c]]
                self.vh_queues.append(tuple(sorted({q for g in el for q, _, _ in pool.cells[g]})))
                k, lang = divmod(c, pool.n_langs)
                ct = m.types[k]
                h = ct.talk.mean * m.talk_factor[lang] + ct.after_call_work.mean + ct.identity_probability * ct.identity_extra.mean
                self.vh_mean.append(h * sum(hf[g] for g in el) / len(el))

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
        self.pool.schedule(Tick(env, self.on_due, cb), NORMAL, cb.due - env.now)

    def on_due(self, ev) -> None:
        cb, pool = ev._value, self.pool
        now = self.env.now
        ends = pool.ends
        if ends and ends[0][0] <= now:
            pool.replay(now)
        g = self.group
        if pool.is_open and pool.idle[g] and not self.queue:
            pool.idle[g].popleft()
            self.start(cb, g, now)
        else:
            self.queue.append(cb)

    def start(self, cb: PromisedCallback, g: int, now: float) -> None:
        """Group g's agent places the callback: agent time, outcome; never an inbound call."""
        pool, m, call, col = self.pool, self.m, cb.call, self.col
        r = pool.r
        handle = cb.handle * r.handle_factor[g]
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
            resolved = not call.idc_fail and cb.res_u < min(1.0, pool.resolved_p[call.type] * r.resolution_factor[g])
            if call.written:
                col.written.append(call.cell)
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


# --------------------------------------------------------------------------- per-call records
# ``run --record-calls``: the calls of one replication as a call log (calllog.py writes it).
# The recorder is an observer the pools notify; a replication without one does no per-call
# work for it. Recording changes no draw, so the counts are those of simulate_replication.
KIND_NAMES = ("first", "redial", "repeat", "callback")  # FIRST, REDIAL, REPEAT, then placed callbacks
CALLBACK = 3
OUTCOME_NAMES = ("", "answered", "abandoned", "blocked", "unanswered_at_close", "virtual_hold")
ANSWERED, ABANDONED, BLOCKED, DROPPED, VHOLD = 1, 2, 3, 4, 5


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
        (the single pool notices those lazily, see SinglePool.next_waiting)."""
        for row, out in enumerate(self.outcome):
            if out == 0:
                t = self.arrival[row] + self.patience[row]
                self.outcome[row] = ABANDONED if t != math.inf else DROPPED
                self.end[row] = t if t != math.inf else self.arrival[row]


class CallRecorder:
    """The observer that records every call of a replication into :class:`CallRecords`: rows
    keyed by call object; a follow-up inherits the caller of the call it follows."""

    def __init__(self) -> None:
        self.rec = CallRecords()
        self.row: dict = {}  # call -> its row
        self.inherit: dict = {}  # follow-up call not yet arrived -> its caller

    def follow_up(self, parent, call) -> None:
        self.inherit[call] = self.rec.caller[self.row[parent]]

    def arrive(self, call, kind: int, now: float) -> None:
        self.row[call] = self.rec.add(self.inherit.pop(call, None), call.type, getattr(call, "lang", 0), kind, now,
                                      call.patience)

    def _settle(self, call, outcome: int, end: float) -> None:
        row = self.row[call]
        self.rec.outcome[row] = outcome
        self.rec.end[row] = end

    def answered(self, call, now: float, talk_end: float, acw: float, group: int) -> None:
        rec, row = self.rec, self.row[call]
        rec.answer[row] = now
        rec.end[row] = talk_end
        rec.acw[row] = acw
        rec.group[row] = group
        rec.outcome[row] = ANSWERED

    def abandoned(self, call, now: float) -> None:
        self._settle(call, ABANDONED, now)

    def blocked(self, call, now: float) -> None:
        self._settle(call, BLOCKED, now)

    def cut_off(self, call, now: float) -> None:
        self._settle(call, DROPPED, now)

    def virtual_hold(self, call, now: float) -> None:
        self._settle(call, VHOLD, now)

    def callback(self, call, now: float, end: float, group: int) -> None:
        """A callback placed to the caller of ``call``: a row of its own."""
        rec = self.rec
        row = rec.add(rec.caller[self.row[call]], call.type, call.lang, CALLBACK, now, math.inf)
        rec.answer[row] = now
        rec.end[row] = end
        rec.acw[row] = 0.0
        rec.group[row] = group
        rec.outcome[row] = ANSWERED

    def finish(self) -> None:
        self.rec.settle()


def record_replication(model: Model, seed: np.random.SeedSequence) -> tuple[ReplicationCounts, CallRecords]:
    """Run one replication of ``model`` recording every call: (its counts, its records). The
    counts are those :func:`simulate_replication` returns for the same seed."""
    recorder = CallRecorder()
    counts = Replication(model, seed, observer=recorder).run()
    return counts, recorder.rec
