"""The model of one replication, built once from a scenario (picklable): call types, and the
frozen parts a scenario may add (identity failures, transfers, callbacks with virtual hold).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from ska_sim.maths.distributions import ZERO, Duration
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.periods import PeriodTable, interval_talk_factors, period_table, uses_periods
from ska_sim.scenario.timeline import Timeline, build_timeline, roster_model
from ska_sim.sim.collector import InboundRoutes
from ska_sim.sim.engine.forecast import ForecastDraws, forecast_draws
from ska_sim.sim.engine.written import WrittenModel, phone_timeline, written_model
from ska_sim.sim.routing import RoutingModel, build_routing, single_group


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
class SameCaller:
    """A redial is the same caller: its patience is ``keep_patience`` x the first attempt's;
    with ``keep_talk`` its handle time is the first attempt's."""

    keep_patience: float
    keep_talk: bool


@dataclass(frozen=True)
class MessageOffer:
    """After ``after_s`` s of waiting a share ``leave`` of the callers still waiting leave a message."""

    after_s: float
    leave: float


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
    type_threshold_s: tuple[float, ...] | None = None  # per call type (threshold_s_by_type); None = threshold_s for all
    languages: tuple[str, ...] = ()  # names, [languages] order; () = one unnamed language
    lang_cum: np.ndarray | None = None  # (types, languages): cumulative language shares per type
    talk_factor: tuple[float, ...] = (1.0,)  # per language
    routing: RoutingModel | None = None  # groups and routing tables; None = one pool, one queue
    lines: int | None = None  # phone lines (calls waiting + calls in talk), None = unlimited
    identity: IdentityFailures | None = None  # None: identity checks never fail
    transfers: Transfers | None = None
    callbacks: Callbacks | None = None
    written_answer: tuple[float, ...] | None = None  # per call type: share of unresolved answered calls promised a written answer
    roster: object | None = None  # roster.RosterModel: people per interval and their absence draws
    same_caller: SameCaller | None = None  # None: a redial draws a new patience and talk time
    message: MessageOffer | None = None  # None: no message is offered
    # per call type patience (None: ``patience`` for every type) and talk / patience factors by
    # period of arrival (None: factor 1), scenario/periods.py; engine/durations.py draws them
    type_patience: tuple[Duration | None, ...] | None = None
    periods: PeriodTable | None = None

    def patience_of(self, k: int) -> Duration | None:
        """Call type k's patience (None: its callers never hang up)."""
        return self.patience if self.type_patience is None else self.type_patience[k]
    forecast: ForecastDraws | None = None  # [arrivals.forecast]: the days' volume draws (engine/forecast.py)
    written: WrittenModel | None = None  # [[written]]: written work and the agents it takes (engine/written.py)

    @functools.cached_property
    def n_langs(self) -> int:  # read for every call (engine/calls.py): computed once
        return max(1, len(self.languages))

    def single_pool(self) -> bool:
        """True when one pool with one FIFO queue is this model exactly: no routing, or one group
        (routing's implicit one, or a single [[groups]] entry) that takes every call at once with
        one priority, at factors 1, with one language and no lines, identity failures, transfers
        or callbacks. Such a scenario pays nothing for routing."""
        r = self.routing
        if r is None:
            return True
        one_fifo = (r.n_groups == 1 and all(e == ((0, 0.0),) for e in r.eligible)
                    and len({priority for _, _, priority in r.group_cells[0]}) <= 1)
        return (one_fifo and not self.languages and self.lines is None
                and self.identity is None and self.transfers is None and self.callbacks is None
                and self.written_answer is None
                and all(f == (1.0,) for f in r.handle_factors(len(self.types))) and r.resolution_factor == (1.0,))

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
        general = {}
        tl = build_timeline(s)
        wm = written_model(s, tl) if s.written else None
        if wm is not None and s.roster is None:  # the dedicated agents off the phones in their hours
            tl, wm = phone_timeline(tl, wm)
        if s.uses_groups():
            general = _routed_fields(s, tl)
        if s.roster is not None and s.roster.plan is not None:
            general["roster"] = roster_model(s)
        rd, msg = s.redial, s.message
        if rd.same_caller:
            general["same_caller"] = SameCaller(float(rd.keep_patience), bool(rd.keep_talk))
        if msg is not None and msg.leave > 0:
            general["message"] = MessageOffer(float(msg.after_s), float(msg.leave))
        if s.uses_type_patience():
            general["type_patience"] = tuple(p.build() if p is not None else None
                                             for p in (s.type_patience(ct) for ct in s.call_types))
        if uses_periods(s):
            general["periods"] = period_table(s, tl.dates)
        shares = s.type_shares()
        fc = forecast_draws(s, tl, shares)
        if fc is not None:
            general["forecast"] = fc
        if wm is not None:
            general["written"] = wm
        return cls(
            timeline=tl,
            shares=shares,
            types=tuple(types),
            patience=s.patience_dist(),
            redial_probability=s.redial.probability,
            redial_delay=s.redial.delay.build(),
            repeat_probability=s.repeat.probability,
            repeat_delay=s.repeat.delay.build(),
            day_cv=s.arrivals.day_cv,
            threshold_s=s.targets.service_level.threshold_s,
            type_threshold_s=type_thresholds(s),
            drop_at_close=s.simulation.queued_at_close == "drop",
            **general,
        )


def type_thresholds(s: Scenario) -> tuple[float, ...] | None:
    """Each call type's service-level threshold T, or None when every type has ``threshold_s``."""
    sl = s.targets.service_level
    out = tuple(sl.threshold_of(ct.name) for ct in s.call_types)
    return None if all(t == sl.threshold_s for t in out) else out


def inbound_routes(model: Model) -> InboundRoutes | None:
    """Per cell, the group first in its order and each group's mean handle time of its calls
    (for the inbound calls offered per group); None without named agent groups."""
    r = model.routing
    if r is None or not r.named:
        return None
    n_langs = model.n_langs
    first = np.array([el[0][0] if el else 0 for el in r.eligible], dtype=np.int64)
    handle = np.zeros((len(r.eligible), r.n_groups))
    hf = r.handle_factors(len(model.types))
    talk = np.zeros((len(r.eligible), r.n_groups))
    for c in range(len(r.eligible)):
        ct = model.types[c // n_langs]
        tt = ct.talk.mean * model.talk_factor[c % n_langs]
        h = tt + ct.after_call_work.mean + ct.identity_probability * ct.identity_extra.mean
        factor = np.asarray(hf[c // n_langs])
        handle[c] = h * factor
        talk[c] = tt * factor
    p = model.periods
    if p is None or not p.has_talk:
        return InboundRoutes(first, handle)
    return InboundRoutes(first, handle, talk, interval_talk_factors(p, model.timeline))


def general_model(model: Model) -> Model:
    """``model`` (without routing) with its pool as routing's implicit single group ("all")."""
    routing = single_group(len(model.types), model.n_langs, model.timeline.iv_agents)
    return dataclasses.replace(model, routing=routing)


def _routed_fields(s: Scenario, tl: Timeline) -> dict:
    """The Model fields of groups, languages, lines, identity failures, transfers and callbacks."""
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
        "written_answer": (tuple(float(ct.written_answer) for ct in s.call_types)
                           if s.uses_written_answers() else None),
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
