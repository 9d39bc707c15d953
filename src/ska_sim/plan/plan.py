"""The plan: who is on the phones per interval and where that comes from (an agents grid, a
saved or solved roster, a month of the workforce, a step of `marginal`), and its people and
money over the measured window, computed once here for every command and the page.

Two ways to pay a plan, never both:

- **A roster's people are paid their contracts** (each ``[[roster.people]]`` line's
  ``hours_per_week`` or ``fte``; full time, ``shrinkage.fte_hours_per_week``, unless stated).
  Paid hours = each person's contract FTE x the norm of every working day of the window on which
  the person is employed (a full-time working day is 8 h, a shortened one 5 h; annual and sick
  leave are paid, so a day on leave counts like a worked one). FTE = paid hours / the window's
  norm = the sum of the contract FTEs (for people employed the whole window). Heads = the people
  employed on at least one date of the window. Beside them: the hours the roster puts people at
  work (its ``paid_hours``), the contracted hours of days on leave, the contracted hours not
  rostered (capacity paid and not used) and the hours rostered beyond the contracts.
  Week of 7 December 2026, year-2026: 48 x 40 h + 8 x 20 h = 2,080 h, 52 FTE, 56 heads.
- **Without a roster, the shrinkage chain estimates the contracts a plan needs**
  (``people.shrinkage_table``: on the phones / (1 - in-shift shrinkage) / (1 - absence)).

Dates of the window outside the roster's dates (no ``roster.repeat``) have [staffing]'s agents,
priced by the chain; agents a `marginal` step adds on top of a roster are priced by the chain.
A roster date with its own [staffing.dates] grid keeps the people's contracts; the grid's
difference from the roster's own agents that date is priced by the chain (a step's rule).
With [[groups]], :func:`group_figures` prices each group's part the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.base.jsonable import json_value

from ska_sim.plan.costs import money_of
from ska_sim.plan.people import chain, fte_of, heads_of, shrinkage_table
from ska_sim.scenario.calendar import window_days
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.roster_agents import build_roster_model, group_index
from ska_sim.scenario.roster_plan import RosterPlan
from ska_sim.scenario.timeline import Timeline, build_timeline
from ska_sim.sim.engine.written import phone_agents, written_model

ROSTER_BASIS = "roster contracts"
CHAIN_BASIS = "shrinkage chain"


@dataclass(frozen=True)
class StaffPlan:
    """Who is on the phones per interval of a timeline, and where that comes from.

    ``agents``: agents on the phones per interval (all groups; a roster's with everyone present);
    ``source``: "agents" (a grid), "roster", "workforce" or "step" (of `marginal`); ``label`` in
    words; ``roster``: the roster whose people are paid their contracts; ``extra``: agents per
    interval beside the roster's people (a step's on top, a [staffing.dates] override's difference
    from the roster's own agents that date), priced by the shrinkage chain; with [[groups]],
    ``groups`` and ``group_extra`` are the same per interval and group (for :func:`group_figures`),
    and a group's part has ``group``, the group's column."""

    source: str
    label: str
    agents: np.ndarray
    roster: RosterPlan | None = None
    extra: np.ndarray | None = None
    groups: np.ndarray | None = None
    group_extra: np.ndarray | None = None
    group: int | None = None  # a group's part of a plan (:func:`group_figures`): its column


def summed(a: np.ndarray) -> np.ndarray:
    """Agents per interval, all groups."""
    a = np.asarray(a)
    return a.sum(axis=1) if a.ndim == 2 else a


def override_difference(s: Scenario, tl: Timeline) -> np.ndarray | None:
    """On a rostered scenario, the agents per interval (x group) a date's own [staffing.dates]
    (or ``groups[i].dates``) vector puts on the phones beyond (or below) the roster's own agents
    that date, everyone present; 0 elsewhere; None without such a date. The roster's people stay
    employed and paid their contracts on those dates: the difference is priced by the chain."""
    rm = build_roster_model(s, tl)
    if rm.own is None:
        return None
    present = np.ones(len(rm.p_absent), bool)
    given = dataclasses.replace(rm, extra=None).agents_given(present)
    own = dataclasses.replace(rm, own=None, extra=None).agents_given(present)
    return (given - own).astype(float)


def scenario_plan(s: Scenario, tl: Timeline | None = None) -> StaffPlan:
    """The scenario's own plan: its attached roster (``roster.file`` or solved) when there is one,
    with any agents a step added on top and the differences of dates with their own
    [staffing.dates] vector; else its agents grid ([staffing] or [[groups]])."""
    tl = tl if tl is not None else build_timeline(s)
    roster = s.roster.plan if s.roster is not None else None
    groups = np.asarray(tl.iv_group_agents, dtype=float) if s.groups else None
    if roster is None:
        return StaffPlan("agents", "agents grid", summed(tl.iv_agents), groups=groups)
    rec = s.roster.file_record
    label = f"roster {rec['path'].rsplit('/', 1)[-1]}" if rec else "roster (solved)"
    step = s.roster.extra
    diff = override_difference(s, tl)
    parts = [np.asarray(x, dtype=float) for x in (step, diff) if x is not None]
    g_extra = sum(parts) if parts else None
    if diff is not None:
        n = len({tl.dates[d] for d in tl.iv_day[np.flatnonzero(diff.reshape(len(diff), -1).any(axis=1))]})
        label += f" with {n} date(s) of their own [staffing.dates] grid" if n else ""
    extra = summed(g_extra) if g_extra is not None else None
    return StaffPlan("roster" if step is None else "step", label, summed(tl.iv_agents), roster, extra, groups,
                     g_extra if s.groups else None)


def with_agents(base: StaffPlan, agents: np.ndarray, label: str, source: str = "step") -> StaffPlan:
    """``base`` with ``agents`` on the phones per interval (x group): on a roster the difference
    from the roster's own agents is beside its people (priced by the chain); without one, a new
    agents grid."""
    groups = np.asarray(agents, dtype=float) if np.ndim(agents) == 2 else None
    total = summed(agents)
    if base.roster is None:
        return StaffPlan(source if source != "step" else "agents", label, total, groups=groups)
    extra = total - base.agents + (base.extra if base.extra is not None else 0.0)
    g_extra = None
    if groups is not None and base.groups is not None:
        g_extra = groups - base.groups + (base.group_extra if base.group_extra is not None else 0.0)
    return StaffPlan(source, label, total, base.roster, extra, groups, g_extra)


def agents_plan(agents: np.ndarray, label: str = "agents grid") -> StaffPlan:
    groups = np.asarray(agents, dtype=float) if np.ndim(agents) == 2 else None
    return StaffPlan("agents", label, summed(agents), groups=groups)


def roster_date_of(s: Scenario, roster: RosterPlan):
    """date -> the roster's date that plans it (itself; with ``roster.repeat`` the horizon's date
    with the same offset), or None outside the roster."""
    on = set(roster.dates)
    H = len(roster.dates)
    cyclic = s.roster is not None and s.roster.repeat and H and H % 7 == 0

    def of(date: dt.date):
        if cyclic:
            return roster.dates[(date - roster.dates[0]).days % H]
        return date if date in on else None
    return of


def contract_hours(s: Scenario, roster: RosterPlan) -> dict[str, float]:
    """The roster's people over the measured window, paid their contracts (see the module):
    ``paid_hours`` (contracted hours of everyone employed), ``fte``, ``heads`` (people employed),
    ``roster_worked_hours`` (the roster's hours at work), ``leave_hours`` (contracted hours of
    days on leave), ``contracted_hours_not_rostered`` (paid and not used) and
    ``rostered_hours_beyond_contract``, ``people_on_leave`` and ``people_not_rostered`` (employed,
    rostered on no date of the window), and ``roster_dates`` (window dates the roster covers)."""
    full = s.shrinkage.fte_hours_per_week
    contract = {line.name: line.contract_fte(full) for line in (s.roster.people if s.roster else [])}
    of = roster_date_of(s, roster)
    days = [(d.date, of(d.date), (full / 5 - (s.calendar.shortened_by_h if d.shortened else 0.0))
             if d.working_day else 0.0) for d in window_days(s)]
    days = [(date, rdate, norm) for date, rdate, norm in days if rdate is not None]
    index = {(rd.person, rd.date): rd for rd in roster.days}
    paid = worked = leave = unused = beyond = 0.0
    heads = on_leave = idle = 0
    for person in roster.people:
        c = contract.get(roster.lines.get(person, ""), 1.0)
        p_paid = p_work = p_leave = 0.0
        employed = any_leave = any_work = False
        for _, rdate, norm in days:
            rd = index.get((person, rdate))
            if rd is None or rd.status == "not_employed":
                continue
            employed = True
            p_paid += c * norm
            if rd.status == "leave":
                p_leave += c * norm
                any_leave = True
            elif rd.status == "work":
                p_work += rd.paid_h
                any_work = True
        heads += employed
        on_leave += any_leave
        idle += employed and not any_work and not any_leave
        paid, worked, leave = paid + p_paid, worked + p_work, leave + p_leave
        unused += max(p_paid - p_work - p_leave, 0.0)
        beyond += max(p_work + p_leave - p_paid, 0.0)
    return {"paid_hours": paid, "fte": fte_of(s, paid), "heads": float(heads), "roster_worked_hours": worked,
            "leave_hours": leave, "contracted_hours_not_rostered": unused, "rostered_hours_beyond_contract": beyond,
            "people_on_leave": float(on_leave), "people_not_rostered": float(idle), "roster_dates": float(len(days))}


def chain_hours(s: Scenario, tl: Timeline, agents: np.ndarray, m: np.ndarray) -> tuple[float, float]:
    """Hours at work and paid hours of ``agents`` on the phones over the intervals ``m`` by the
    shrinkage chain (people.shrinkage_table; summed as people.paid_hours_of sums them)."""
    table = shrinkage_table(s, tl, agents)
    return (float(table["agents_at_work"].to_numpy()[m].sum() * tl.interval_s / 3600),
            float(table["agents_paid"].to_numpy()[m].sum() * tl.interval_s / 3600))


def plan_figures(s: Scenario, tl: Timeline, plan: StaffPlan, mask: np.ndarray | None = None) -> dict:
    """The plan's people over the measured intervals ``mask`` (default: the measured window):
    hours on the phones, hours at work, paid hours, FTE, heads, with ``basis`` (roster contracts
    or the shrinkage chain), ``source`` and ``plan`` (its label); a roster's figures beside
    (:func:`contract_hours`). The one place every command and the page take them from."""
    m = tl.iv_measured() if mask is None else mask
    h = tl.interval_s / 3600
    agents = summed(plan.agents)
    phones = float(agents[m].sum() * h)
    grid = plan.groups if plan.groups is not None else agents
    if plan.roster is None:
        work, paid = chain_hours(s, tl, agents, m)
        out = off_phones(s, tl, chain(s, phones, work, paid), grid, m, plan.group)
        return {**out, "basis": CHAIN_BASIS, "source": plan.source, "plan": plan.label}
    of = roster_date_of(s, plan.roster)
    covered = np.array([of(d) is not None for d in tl.dates], dtype=bool)[tl.iv_day]
    rest = np.where(covered, 0.0 if plan.extra is None else summed(plan.extra), agents)
    c_work, c_paid = chain_hours(s, tl, rest, m)
    r = contract_hours(s, plan.roster)
    out = off_phones(s, tl, chain(s, phones, r["roster_worked_hours"] + c_work, r["paid_hours"] + c_paid), grid, m,
                     plan.group)
    c_fte = fte_of(s, c_paid)
    heads = r["heads"] + (heads_of(s, c_fte) if abs(c_paid) > 1e-9 and math.isfinite(c_fte) else 0.0)
    out.update({"heads": heads, "basis": ROSTER_BASIS if abs(c_paid) < 1e-9 else f"{ROSTER_BASIS} + {CHAIN_BASIS}",
                "source": plan.source, "plan": plan.label, "chain_paid_hours": c_paid,
                **{k: v for k, v in r.items() if k not in ("paid_hours", "fte", "heads")},
                "contracted_paid_hours": r["paid_hours"]})
    return out


def dedicated_hours(s: Scenario, tl: Timeline, agents: np.ndarray, m: np.ndarray, group: int | None = None) -> float:
    """Hours the written work's dedicated agents spend off the phones over the intervals ``m``
    when ``agents`` (per interval, or (intervals, groups)) are the plan's: each kind takes its
    ``dedicated.agents`` in its hours, never more than are there (the engine's ``phone_agents``).
    ``group``: ``agents`` is that group's column only (its kinds alone). 0 without [[written]]."""
    model = written_model(s, tl)
    if model is None:
        return 0.0
    a = np.floor(np.asarray(agents, dtype=float) + 1e-9).astype(np.int64)
    if s.groups and a.ndim == 1:  # one group's column (or, without ``group``, the first's)
        grid = np.zeros((len(a), len(s.groups)), dtype=np.int64)
        grid[:, group or 0] = a
        a = grid
    _, taken = phone_agents(model, a)
    return float(taken[:, m].sum() * tl.interval_s / 3600)


def off_phones(s: Scenario, tl: Timeline, figures: dict, agents: np.ndarray, m: np.ndarray,
               group: int | None = None) -> dict:
    """``figures`` (a shrinkage chain of ``agents``) with the written work's dedicated hours
    (:func:`dedicated_hours`) taken off the phones and shown as their own figure,
    ``written_dedicated_hours``: paid time off the phones, so hours at work, paid hours, FTE and
    heads stay (the same people). Unchanged without [[written]]."""
    if not s.written:
        return figures
    written = dedicated_hours(s, tl, agents, m, group)
    phones = figures["phone_hours"] - written
    paid = figures["paid_hours"]
    return {**figures, "phone_hours": phones, "written_dedicated_hours": written,
            "shrinkage_total": 1 - phones / paid if paid > 0 else 0.0}


def people_groups(s: Scenario, roster: RosterPlan) -> dict[str, int]:
    """Person -> index of the agent group the person answers for: the group of their roster rows
    (the simulation's, ``roster_agents.group_index``), else their line's ``group``, else the first."""
    gnames = [g.name for g in s.groups]
    line_group = {ln.name: ln.group or "" for ln in (s.roster.people if s.roster else [])}
    out: dict[str, int] = {}
    for rd in roster.days:
        if rd.person not in out and rd.group:
            out[rd.person] = group_index(rd, gnames)
    for p in roster.people:
        if p not in out:
            g = line_group.get(roster.lines.get(p, ""), "")
            out[p] = gnames.index(g) if g in gnames else 0
    return out


def roster_of(roster: RosterPlan, people: set[str]) -> RosterPlan:
    """The roster of ``people`` only (same dates)."""
    return RosterPlan(roster.dates, [p for p in roster.people if p in people],
                      {p: ln for p, ln in roster.lines.items() if p in people},
                      [d for d in roster.days if d.person in people], roster.info)


GROUP_COLUMNS = ("group", "phone_hours", "hours_at_work", "paid_hours", "fte", "heads", "basis")


def group_figures(s: Scenario, tl: Timeline, plan: StaffPlan, mask: np.ndarray | None = None) -> pd.DataFrame:
    """Per agent group, the plan's people over the measured intervals ``mask``: each group's
    hours on the phones, at work, paid, FTE and heads by :func:`plan_figures` of the group's part
    of the plan (with a roster: the people who answer for that group, paid their contracts, and
    the group's agents beside them by the chain; without one: the group's agents by the chain).
    The last row, ``total``, is :func:`plan_figures` of the whole plan: the groups' hours and FTE
    add up to it; heads are rounded up per group, so theirs may add up above the chain's total."""
    m = tl.iv_measured() if mask is None else mask
    agents = plan.groups if plan.groups is not None else np.asarray(tl.iv_group_agents, dtype=float)
    rows = []
    member = people_groups(s, plan.roster) if plan.roster is not None else {}
    for g, grp in enumerate(s.groups):
        roster = None
        if plan.roster is not None:
            roster = roster_of(plan.roster, {p for p, i in member.items() if i == g})
        extra = plan.group_extra[:, g] if plan.group_extra is not None else None
        part = StaffPlan(plan.source, grp.name, agents[:, g], roster, extra, group=g)
        rows.append({"group": grp.name, **plan_figures(s, tl, part, m)})
    rows.append({"group": "total", **plan_figures(s, tl, plan, m)})
    columns = list(GROUP_COLUMNS)
    if s.written:  # the written work's dedicated hours beside the phones' (off_phones)
        columns.insert(2, "written_dedicated_hours")
    return pd.DataFrame(rows)[columns]


def plan_money(s: Scenario, figures: dict) -> dict[str, float]:
    """The plan's euros (costs.money_of: FTE x the month's / year's norm x EUR per paid hour)."""
    return money_of(s, figures["fte"], figures["heads"])


def plan_people(s: Scenario, tl: Timeline | None = None) -> dict:
    """A scenario's own plan as people and money over its measured window: :func:`plan_figures`
    of :func:`scenario_plan`, its paid hours a month and, with [costs], its euros an ordinary
    week, a month and a year."""
    tl = tl if tl is not None else build_timeline(s)
    f = plan_figures(s, tl, scenario_plan(s, tl))
    return {**f, **people_money(s, f)}


def people_money(s: Scenario, figures: dict) -> dict[str, float]:
    """A plan's (``figures``: :func:`plan_figures`) paid hours a month and euros an ordinary week, a
    month and a year (NaN without [costs]): what `run` prints beside its people and the page shows."""
    m = plan_money(s, figures)
    return {k: m[k] for k in ("paid_hours_per_month", "eur_per_week", "eur_per_month", "eur_per_year")}


@dataclass
class PlanRun:
    """`run`'s answer: the simulation of a scenario and its plan's people and money
    (:func:`plan_people`), in every output (terminal, JSON's ``people``, people.csv)."""

    result: object
    people: dict

    def to_json(self) -> dict:
        return {**self.result.to_json(), "people": {k: json_value(v) for k, v in self.people.items()}}


def run_with_people(result) -> PlanRun:
    """A simulation result with its scenario's plan priced (:func:`plan_people`)."""
    return PlanRun(result, plan_people(result.scenario))


def employed_by_month(s: Scenario, roster: RosterPlan) -> dict[int, set[str]]:
    """Month index (year x 12 + month - 1) -> the roster's people employed on at least one date of
    that month (the calendar's days simulated; with ``roster.repeat`` mapped onto the horizon)."""
    of = roster_date_of(s, roster)
    status = {(rd.person, rd.date): rd.status for rd in roster.days}
    out: dict[int, set[str]] = {}
    first = s.calendar.start - dt.timedelta(days=s.calendar.warmup_days)
    for i in range(s.calendar.days + s.calendar.warmup_days):
        date = first + dt.timedelta(days=i)
        rdate = of(date)
        if rdate is None:
            continue
        month = out.setdefault(date.year * 12 + date.month - 1, set())
        month.update(p for p in roster.people if status.get((p, rdate), "not_employed") != "not_employed")
    return out
