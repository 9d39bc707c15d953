"""The agents a roster puts on the phones: per open interval, the share of it each person at
work spends on the phones (less the unpaid break and off-phone activities), times (1 - the
in-shift shrinkage the roster does not place), rounded down; and each person-day's probability
of absence.

Simulation: per open interval, on-phone agents = floor(sum over people at work of the share of
the interval they work, less breaks and activities, x (1 - the in-shift shrinkage not placed
by the roster)). Each replication draws whether each rostered person-day is lost to absence
(``roster.absence_probability``): one U(0,1) per person of the roster and simulated date, from
that date's "absence" stream (the engine's ``DateStreams``), so a person-date's absence does not
depend on the window simulated around it; dates outside the
roster keep the scenario's [staffing]. :class:`RosterModel` holds what a replication needs;
:func:`roster_timeline` puts the roster's agents (everyone present) on the timeline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ska_sim.scenario.activities import activity_needs
from ska_sim.scenario.clock import DAY_S, WEEKDAYS
from ska_sim.scenario.people import SHRINKAGE_IN_SHIFT
from ska_sim.scenario.intervals import Timeline
from ska_sim.scenario.roster import with_loaded
from ska_sim.scenario.roster_plan import RosterDay, RosterPlan

if TYPE_CHECKING:
    from ska_sim.scenario.model import Scenario


def _share(s: Scenario, weekday: str, names) -> float:
    own = s.shrinkage.weekday.get(weekday)
    total = 0.0
    for n in names:
        v = getattr(own, n) if own is not None else None
        if v is None:
            v = getattr(s.shrinkage, n)
        total += v or 0.0
    return total


def absence_of(s: Scenario, line: str) -> float:
    """A line's absence probability: its own, else ``roster.absence_probability``."""
    for ln in s.roster.people:
        if ln.name == line and ln.absence_probability is not None:
            return ln.absence_probability
    return s.roster.absence_probability


def draws_absence(s: Scenario) -> bool:
    """Absence is drawn in the simulation (then shrinkage.absence is not applied: never both)."""
    r = s.roster
    return r is not None and (r.absence_probability > 0 or any((ln.absence_probability or 0) > 0 for ln in r.people))


def mean_absence(s: Scenario) -> float:
    """The people-weighted absence probability of the roster's lines."""
    lines = s.roster.people
    n = sum(ln.count for ln in lines)
    return sum(ln.count * absence_of(s, ln.name) for ln in lines) / n if n else s.roster.absence_probability


def residual_share(s: Scenario, weekday: str, placed_activities: bool) -> float:
    """In-shift shrinkage the roster does not place itself: every typed in-shift share, or,
    when [activities] blocks are placed, only breaks and other (never both)."""
    return _share(s, weekday, ("breaks", "other") if placed_activities else SHRINKAGE_IN_SHIFT)


def activity_list(s: Scenario) -> list:
    """The activities the roster places (activities.py's needs; [] without [activities])."""
    return [a for a in activity_needs(s) if a.hours_per_advisor_month > 0]


def group_index(rd: RosterDay, gnames: list[str]) -> int:
    return gnames.index(rd.group) if gnames and rd.group in gnames else 0


def break_span(rd: RosterDay) -> tuple[int, int]:
    return (rd.break_s, int(rd.break_s + rd.break_min * 60)) if rd.break_s is not None else (0, 0)


def covered_share(starts: np.ndarray, iv_s: int, b: int, e: int, bs: int, be: int) -> np.ndarray:
    """Share of each interval inside [b, e), less its part inside the break [bs, be)."""
    def ov(x, y):
        return np.clip(np.minimum(starts + iv_s, y) - np.maximum(starts, x), 0, None)

    out = ov(b, e)
    if bs < be and max(b, bs) < min(e, be):
        out = out - ov(max(b, bs), min(e, be))
    return out / iv_s


def on_phone_shares(rd: RosterDay, starts: np.ndarray, iv_s: int) -> np.ndarray:
    """Share of each interval (starting at ``starts``, s since midnight) the person is at work,
    not on a break and not in an activity."""
    lo, hi = starts, starts + iv_s
    work = np.clip(np.minimum(hi, rd.end_s) - np.maximum(lo, rd.start_s), 0, None).astype(float) / iv_s
    bs, be = break_span(rd)
    if bs < be:
        work -= covered_share(starts, iv_s, bs, be, 0, 0)
    for _, b, e in rd.activities:  # an activity spanning the break counts the break once
        work -= covered_share(starts, iv_s, b, e, bs, be)
    return work


@dataclass(frozen=True)
class RosterModel:
    """What a replication needs to turn a roster into agents on the phones (picklable)."""

    pd_of: np.ndarray  # per entry: person-day
    iv_of: np.ndarray  # per entry: open interval
    share: np.ndarray  # per entry: the share of the interval on the phones
    p_absent: np.ndarray  # per person-day: probability of absence
    pd_day: np.ndarray  # per person-day: its simulated day (timeline index), -1 outside the window
    pd_person: np.ndarray  # per person-day: the person (index in the roster's people)
    keep: np.ndarray  # per open interval: 1 - the in-shift shrinkage the roster does not place
    rostered: np.ndarray  # per open interval: inside the roster's dates
    base: np.ndarray  # per open interval (x group with [[groups]]): agents outside the roster ([staffing])
    group_of: np.ndarray | None = None  # per entry: the person's agent group (with [[groups]])
    scale: float = 1.0  # staffing.scale: multiplies the roster's agents per interval (rounded as timeline.py)
    own: np.ndarray | None = None  # per open interval (x group): a [staffing.dates] vector replaces the roster
    extra: np.ndarray | None = None  # per open interval (x group): agents added on top (with_extra: marginal's steps)
    # per off-phone activity named in the roster, its blocks (unpaid break cut out): person-day,
    # start and end (s from the first simulated day's midnight), the person's group (-1: none)
    activities: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] | None = None

    def capacity(self, present: np.ndarray) -> np.ndarray:
        """Agents on the phones per open interval (x group), before rounding down, for present person-days."""
        w = self.share * present[self.pd_of]
        n = len(self.keep)
        if self.group_of is None:
            return np.bincount(self.iv_of, weights=w, minlength=n) * self.keep
        G = self.base.shape[1]
        cap = np.bincount(self.iv_of * G + self.group_of, weights=w, minlength=n * G).reshape(n, G)
        return cap * self.keep[:, None]

    def agents_given(self, present: np.ndarray) -> np.ndarray:
        on = np.floor(self.capacity(present) + 1e-9).astype(np.int64)
        if self.scale != 1.0:  # as timeline.py scales [staffing]: each interval's agents x scale, rounded
            on = np.floor(on * self.scale + 0.5).astype(np.int64)
        rostered = self.rostered if self.group_of is None else self.rostered[:, None]
        if self.own is not None:
            rostered = rostered & ~self.own
        out = np.where(rostered, on, self.base)
        return out if self.extra is None else np.maximum(out + self.extra, 0)

    def present(self, u: np.ndarray) -> np.ndarray:
        """Person-day i is present when ``u[i]`` (its absence draw) >= its absence probability."""
        return np.asarray(u) >= self.p_absent

    def agents(self, u: np.ndarray) -> np.ndarray:
        """This replication's agents: person-day i is absent when ``u[i]`` < its probability."""
        return self.agents_given(self.present(u))

    def in_activity(self, name: str, present: np.ndarray, group: int | None = None) -> tuple[list[float], list[int]]:
        """(times, people from then) in ``name``'s blocks of the present person-days (of
        ``group``): a step function, 0 outside the blocks."""
        pd, begin, end, g = (self.activities or {}).get(name, (np.zeros(0, np.int64),) * 4)
        keep = present[pd] if len(pd) else np.zeros(0, bool)
        if group is not None:
            keep &= g == group
        t = np.concatenate([begin[keep], end[keep]]).astype(float)
        step = np.concatenate([np.ones(keep.sum(), np.int64), -np.ones(keep.sum(), np.int64)])
        order = np.lexsort((step, t))  # at one instant, ends before starts
        t, level = t[order], np.cumsum(step[order])
        last = np.r_[t[1:] != t[:-1], True] if len(t) else np.zeros(0, bool)  # one step per instant
        return t[last].tolist(), level[last].tolist()


def _ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, index) of every element of the ranges [starts[i], starts[i] + counts[i])."""
    owner = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    return owner, np.repeat(starts, counts) + (np.arange(int(counts.sum())) - np.repeat(first, counts))


def build_roster_model(s: Scenario, tl: Timeline) -> RosterModel:
    """Person-days x their day's open intervals, vectorised (a year's roster of 56 people is
    20,000 person-days)."""
    plan: RosterPlan = s.roster.plan
    placed = any(rd.activities for rd in plan.days) or bool(activity_list(s))
    day_of = {date: i for i, date in enumerate(tl.dates)}
    iv_s = tl.interval_s
    n_iv = len(tl.iv_day)
    first_iv = np.searchsorted(tl.iv_day, np.arange(tl.n_days), side="left")
    n_day_iv = np.searchsorted(tl.iv_day, np.arange(tl.n_days), side="right") - first_iv
    rostered = np.zeros(n_iv, bool)
    for date in set(plan.dates):
        d = day_of.get(date)
        if d is not None:
            rostered[first_iv[d]:first_iv[d] + n_day_iv[d]] = True
    worked = plan.worked()
    dates = [rd.date for rd in worked]
    if s.roster.repeat and plan.dates and len(plan.dates) % 7 == 0:
        # a cyclic roster: every simulated date works as the horizon's date with the same offset
        by_date: dict[dt.date, list[RosterDay]] = {}
        for rd in worked:
            by_date.setdefault(rd.date, []).append(rd)
        H = len(plan.dates)
        pairs = [(date, rd) for date in tl.dates for rd in by_date.get(plan.dates[(date - plan.dates[0]).days % H], [])]
        dates, worked = [p[0] for p in pairs], [p[1] for p in pairs]
        rostered[:] = True
    n_pd = len(worked)
    day = np.array([day_of.get(x, -1) for x in dates], dtype=np.int64)
    person_of = {p: i for i, p in enumerate(plan.people)}
    person = np.array([person_of.get(rd.person, -1) for rd in worked], dtype=np.int64)
    ok = day >= 0
    counts = np.where(ok, n_day_iv[np.maximum(day, 0)] if n_pd else 0, 0).astype(np.int64)
    starts = np.where(ok, first_iv[np.maximum(day, 0)] if n_pd else 0, 0).astype(np.int64)
    pd_of, iv_of = _ranges(starts, counts)
    lo = tl.iv_slot[iv_of] * iv_s
    hi = lo + iv_s

    def overlap(b: np.ndarray, e: np.ndarray) -> np.ndarray:
        return np.clip(np.minimum(hi, e) - np.maximum(lo, b), 0, None)

    begin = np.array([rd.start_s for rd in worked], dtype=np.int64)
    end = np.array([rd.end_s for rd in worked], dtype=np.int64)
    bs = np.array([rd.break_s if rd.break_s is not None else 0 for rd in worked], dtype=np.int64)
    be = np.array([int(rd.break_s + rd.break_min * 60) if rd.break_s is not None else 0 for rd in worked],
                  dtype=np.int64)
    work = (overlap(begin[pd_of], end[pd_of]) - overlap(bs[pd_of], be[pd_of])).astype(float)
    acts = [(n, b, e) for n, rd in enumerate(worked) for _, b, e in rd.activities]
    if acts:
        a_pd, a_b, a_e = (np.array(x, dtype=np.int64) for x in zip(*acts))
        entry0 = np.cumsum(counts) - counts  # the first entry of each person-day
        owner, entry = _ranges(entry0[a_pd], counts[a_pd])
        a_hi, a_lo = hi[entry], lo[entry]
        b_s, b_e = bs[a_pd][owner], be[a_pd][owner]
        minus = np.clip(np.minimum(a_hi, a_e[owner]) - np.maximum(a_lo, a_b[owner]), 0, None)
        # an activity spanning the unpaid break: the break's part is already off
        i_b, i_e = np.maximum(a_b[owner], b_s), np.minimum(a_e[owner], b_e)
        minus -= np.where(i_e > i_b, np.clip(np.minimum(a_hi, i_e) - np.maximum(a_lo, i_b), 0, None), 0)
        np.subtract.at(work, entry, minus)
    share = work / iv_s
    keep_entry = share > 1e-12
    wds = np.array([tl.dates[d].weekday() for d in range(tl.n_days)], dtype=np.int64)
    per_wd = np.array([1 - residual_share(s, WEEKDAYS[w], placed) for w in range(7)])
    keep = per_wd[wds[tl.iv_day]] if n_iv else np.zeros(0)
    # a date's own [staffing.dates] vector (of a group, with [[groups]]) replaces the roster on that date
    tables = [s.staffing.dates] if not s.groups else [g.dates for g in s.groups]
    own = np.zeros((n_iv, len(tables)), bool)
    for g, dates in enumerate(tables):
        for date in dates:
            d = day_of.get(date)
            if d is not None:
                own[first_iv[d]:first_iv[d] + n_day_iv[d], g] = True
    own = (own if s.groups else own[:, 0]) if own.any() else None
    p_line = {line.name: absence_of(s, line.name) for line in s.roster.people}
    p_abs = np.array([p_line.get(rd.line, s.roster.absence_probability) for rd in worked], dtype=float)
    pd_group = (np.array([group_index(rd, [g.name for g in s.groups]) for rd in worked], dtype=np.int64)
                if s.groups else np.full(n_pd, -1, dtype=np.int64))
    blocks = activity_blocks(worked, day, pd_group)
    if s.groups:
        return RosterModel(pd_of[keep_entry], iv_of[keep_entry], share[keep_entry], p_abs, day, person, keep,
                           rostered, tl.iv_group_agents.copy(), pd_group[pd_of[keep_entry]], s.staffing.scale, own,
                           activities=blocks)
    return RosterModel(pd_of[keep_entry], iv_of[keep_entry], share[keep_entry], p_abs, day, person, keep, rostered,
                       tl.iv_agents.copy(), None, s.staffing.scale, own, activities=blocks)


def activity_blocks(worked: list[RosterDay], day: np.ndarray, pd_group: np.ndarray) -> dict[str, tuple]:
    """Per activity name: its blocks in the window as (person-day, start, end, group) arrays,
    times in s from the first simulated day's midnight, the person's unpaid break cut out."""
    rows: dict[str, list] = {}
    for n, rd in enumerate(worked):
        if day[n] < 0 or not rd.activities:
            continue
        bs, be = break_span(rd)
        for name, b, e in rd.activities:
            parts = [(b, e)] if not bs < be else [(b, min(e, bs)), (max(b, be), e)]
            for lo, hi in parts:
                if hi > lo:
                    rows.setdefault(name, []).append((n, day[n] * DAY_S + lo, day[n] * DAY_S + hi, pd_group[n]))
    return {name: tuple(np.array(col, dtype=np.int64) for col in zip(*r)) for name, r in rows.items()}


def with_extra(s: Scenario, extra: np.ndarray | None) -> Scenario:
    """The rostered scenario with ``extra`` agents per open interval (x group) on top of the
    roster's people, after each replication's absences and staffing.scale (marginal's steps:
    the roster and its absence draws stay, k agents are added)."""
    if extra is not None:
        extra = np.array(extra, dtype=np.int64)  # a copy, read-only: the scenario's, not the caller's
        extra.setflags(write=False)
    return with_loaded(s, extra=extra)


def add_extra(s: Scenario, rm: RosterModel) -> RosterModel:
    extra = s.roster.extra
    return rm if extra is None else dataclasses.replace(rm, extra=extra)


def roster_timeline(s: Scenario, tl: Timeline) -> Timeline:
    """The timeline with the roster's agents (everyone present) on its dates."""
    rm = add_extra(s, build_roster_model(s, tl))
    agents = rm.agents_given(np.ones(len(rm.p_absent), bool))
    if rm.group_of is not None:
        return dataclasses.replace(tl, iv_agents=agents.sum(axis=1), iv_group_agents=agents)
    return dataclasses.replace(tl, iv_agents=agents)
