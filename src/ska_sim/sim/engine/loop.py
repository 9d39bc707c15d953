"""The event loop of one replication: the clock (interval boundaries and closings), the
arrivals event and the day's first calls; the pool part chosen when it is built.
"""

from __future__ import annotations

import datetime as dt
import gc
import heapq
import math

import numpy as np
from simpy import Environment
from simpy.events import NORMAL

from ska_sim.maths.arrivals import arrival_times, day_factors, types_by_interval
from ska_sim.scenario.clock import DAY_S
from ska_sim.sim.collector import Collector, ReplicationCounts
from ska_sim.sim.engine.blend import BlendPart
from ska_sim.sim.engine.calls import Tick
from ska_sim.sim.engine.followups import FollowUps
from ska_sim.sim.engine.model import Model, general_model, inbound_routes
from ska_sim.sim.engine.routed import RoutedPool
from ska_sim.sim.engine.single import SinglePool
from ska_sim.sim.engine.written import activity_steps, phone_agents, work_written

CLOSE, INTERVAL = 0, 1  # kinds of marks; a closing sorts before an opening at the same instant
FLUSH_CALLS = 20_000  # answered calls buffered before they are folded into the KPI arrays
# New purposes are appended, never inserted: the streams of the others stay as they were.
PURPOSES = ("arrivals", "handling", "patience", "resolution", "followup_delay", "followup_calls",
            "language", "routing", "identity", "transfer", "callback", "absence", "message", "forecast",
            "written", "written_answer")
PURPOSE_INDEX = {p: i for i, p in enumerate(PURPOSES)}


class DateStreams(dict):
    """The random streams of one calendar date in one replication: purpose -> Generator, each
    made on first use from ``SeedSequence(entropy, spawn_key=(*replication's spawn key, date
    ordinal, purpose index))``. A date's draws depend on the seed, the replication and the date
    only, never on the window simulated around it."""

    def __init__(self, seed: np.random.SeedSequence, date: dt.date):
        super().__init__()
        self.entropy = seed.entropy
        self.key = (*seed.spawn_key, date.toordinal())

    def __missing__(self, purpose: str) -> np.random.Generator:
        rng = np.random.default_rng(np.random.SeedSequence(self.entropy, spawn_key=(*self.key, PURPOSE_INDEX[purpose])))
        self[purpose] = rng
        return rng


def absence_draws(roster, seed: np.random.SeedSequence, dates) -> np.ndarray:
    """One U(0,1) per person-day of ``roster`` (a RosterModel): person p on date d gets element
    p of ``DateStreams(seed, d)["absence"].random(people)``; person-days outside the window 1.0."""
    u = np.ones(len(roster.pd_day))
    if not len(u):
        return u
    n_people = int(roster.pd_person.max()) + 1
    order = np.argsort(roster.pd_day, kind="stable")
    days = roster.pd_day[order]
    bounds = np.flatnonzero(np.diff(days)) + 1
    for sel in np.split(order, bounds):
        d = int(roster.pd_day[sel[0]])
        if d >= 0:
            u[sel] = DateStreams(seed, dates[d])["absence"].random(n_people)[roster.pd_person[sel]]
    return u


class Clock(Environment):
    """SimPy's environment (its clock, ``schedule``, ``peek`` and queue) with a run loop for
    :class:`Tick` events only: each fires its one callback at its time, in SimPy's order
    (time, priority, order of scheduling), without ``Environment.step``'s work for events that
    may fail or have several callbacks."""

    def run(self, until=None) -> None:
        """Fire every scheduled Tick in order until none is left (``until`` is not supported)."""
        if until is not None:
            raise ValueError("Clock.run runs until no event is left")
        queue, pop = self._queue, heapq.heappop
        while queue:
            self._now, _, _, ev = pop(queue)
            ev.callback(ev)

    def head(self) -> Tick | None:
        """The next scheduled event (not taken), or None."""
        return self._queue[0][3] if self._queue else None

    def take(self) -> Tick:
        """Take the next scheduled event and set the clock to its time, as ``run`` does before
        firing it (the caller fires it)."""
        self._now, _, _, ev = heapq.heappop(self._queue)
        return ev


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
        self.seed = seed
        # the streams of the day in progress (see open_day); a date's own from its opening on
        self.rng = DateStreams(seed, tl.dates[0] if tl.n_days else dt.date.min)
        self.env = Clock()
        self.schedule = self.env.schedule
        self.obs = observer
        r = model.routing
        self.col = Collector(tl, len(model.types), model.threshold_s, model.n_langs, r.n_groups if r else 0,
                             inbound_routes(model), model.type_threshold_s)
        # agents on the phones per open interval: the timeline's, or a roster's people less this replication's absences
        present = None if model.roster is None else model.roster.present(absence_draws(model.roster, seed, tl.dates))
        self.iv_agents = tl.iv_agents if present is None else model.roster.agents_given(present)
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
        single = model.single_pool() and not routed
        # [[written]]: its dedicated agents off the phones in their hours (per kind, per interval)
        self.taken = self.group_agents = None
        if model.written is not None and model.written.taken is not None:  # taken in the model's timeline
            self.taken = model.written.taken
        elif model.written is not None:  # a roster's agents: taken per replication
            if single:
                self.iv_agents, self.taken = phone_agents(model.written, self.iv_agents)
            else:
                base = (model.routing.agents if model.roster is None
                        else self.iv_agents.reshape(len(self.iv_agents), -1))
                self.group_agents, self.taken = phone_agents(model.written, base)
        # kinds worked in an off-phone activity's blocks: the roster's people present in them
        self.blocks = (activity_steps(model.written, model.roster, present, model.routing is not None)
                       if model.written is not None and present is not None else {})
        self.pool = (SinglePool if single else RoutedPool)(self)
        if model.written is not None and any(w.reserve is not None for w in model.written.kinds):
            dates = tl.dates  # written work between calls: its items drawn now (engine/blend.py)
            self.pool.blend = BlendPart(self.pool, model.written, tl, lambda d: DateStreams(seed, dates[d])["written"])
            self.pool.replay = self.pool.replay_blend
            if single and not self.pool.blend.urgent:
                self.pool.blend_low = self.pool.blend.low.get(0, math.inf)
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
        written = None
        if self.m.written is not None:  # the written work, served by the agents taken off the phones
            self.col.flush()
            identity = self.col.counts["written_requests"].sum(axis=1)
            dates, seed = tl.dates, self.seed
            written = work_written(self.m.written, tl, self.taken,
                                   lambda d: DateStreams(seed, dates[d])["written"], identity, self.pool.blend,
                                   self.blocks)
        rc = self.col.result()
        rc.written = written
        return rc

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
        """The date's streams take over (every draw from now until the next day opens comes
        from them: first calls, follow-ups, transfers, callbacks, routing); draw the day's volume
        factor and first calls (times and types here, their other attributes by the pool), then
        start their arrivals."""
        tl = self.tl
        streams = self.rng = DateStreams(self.seed, tl.dates[day])
        self.pool.new_day(streams)
        rng = streams["arrivals"]
        sl = tl.day_intervals(day)
        fc = self.m.forecast
        if fc is not None and fc.given[day]:  # the forecast's predictive distribution instead of day_cv
            factor, shares = fc.draw(streams["forecast"], day)
        else:
            factor, shares = day_factors(rng, 1, self.m.day_cv)[0], self.m.shares
        expected = tl.iv_expected[sl] * factor
        times = arrival_times(rng, tl.iv_start_s[sl], expected, tl.interval_s)
        n = len(times)
        mix = tl.iv_type_mix
        if self.n_types == 1:
            types = np.zeros(n, int)
        elif mix is None:
            types = rng.choice(self.n_types, size=n, p=shares)
        else:  # call types with their own profiles: each call's type from its interval's mix
            starts = tl.iv_start_s[sl]
            within = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, len(starts) - 1)
            types = types_by_interval(rng, mix[sl], within)
        self.follow.calls.expect(np.bincount(types, minlength=self.n_types))
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
