"""Weekly rosters: which person works which shift on which day, their breaks and off-phone
activities, the rest rules of the Employment Contracts Act, and absence draws.

The roster is an integer program (``scipy.optimize.milp``, HiGHS) over a horizon of
``roster.weeks`` weeks from ``calendar.start``::

    minimise   sum paid_h[o] * y[p,d,o]  +  BIG * (shortfall)
    subject to y[p,d,o] in {0, 1}: person p works option o (a shift type and start) on day d
               z[d,c] >= 0 integer: people on column c (option + unpaid-break position) on day d
               sum_{c in o} z[d,c] = sum_p y[p,d,o]                    (breaks are a day's choice)
               sum_c cover[k,c] z[d,c] + short[d,k] >= required[d,k]   (every open interval)
               per person: one shift a day; days per week within [min, max]; at most N
               consecutive days; fixed weekends off; leave weeks off; 11 h rest between
               shifts; two consecutive days off in every week (48 h of weekly rest)
               per day: worked hours >= required hours + the activity hours of those at work

People of a line are identical except for their leave. A breaks' position is a count per
day (any of that day's identical shifts may take it), so breaks cost no per-person variables.
The weekly rest is enforced as two consecutive calendar days off inside each week of the
horizon (a sufficient condition: shifts do not cross midnight, so two free days are at least
48 h); :func:`rest_violations` checks the exact rules on any roster, solved or read from a file.

Off-phone activities (activities.py's ``activity_needs``) are placed after the solve, block by
block, where the requirement has the most slack (intervals outside opening hours first), as
the integer program reserved the hours for them day by day. Shortfall is penalised, not
forbidden: a roster whose people cannot cover the requirement is still shown, with its short
intervals, and simulated.

Simulation: per open interval, on-phone agents = floor(sum over people at work of the share of
the interval they work, less breaks and activities, x (1 - the in-shift shrinkage not placed
by the roster)). Each replication draws, from the engine's "absence" stream, whether each
rostered person-day is lost to absence (``roster.absence_probability``); dates outside the
roster keep the scenario's [staffing].
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ska_sim.scenario.model import (
    SHRINKAGE_IN_SHIFT,
    WEEKDAYS,
    Problem,
    Scenario,
    ScenarioError,
    format_clock,
    parse_clock,
    line_people,
)
from ska_sim.scenario.timeline import DAY_S, Timeline

DAILY_REST_H = 11.0  # Employment Contracts Act §51: 11 consecutive hours of rest in every 24 h
WEEKLY_REST_H = 48.0  # §52: 48 consecutive hours of rest in every 7 days
BREAK_AFTER_H = 6.0  # §47: a break when the working time is longer than 6 h ...
BREAK_MIN = 30.0  # ... of at least 30 minutes
SHORT_PENALTY = 100.0  # paid hours one agent-interval of shortfall costs in the objective
WEEKS_PER_MONTH = 52 / 12
ACTIVITY_STEP_S = 15 * 60  # activity blocks start on the quarter hour


# --------------------------------------------------------------------------- the roster
@dataclass
class RosterDay:
    """One person on one date of the horizon."""

    person: str
    line: str
    date: dt.date
    status: str = "off"  # "work", "off", "leave" or "not_employed"
    shift: str = ""
    start_s: int = 0  # seconds since the date's midnight
    end_s: int = 0
    break_s: int | None = None  # unpaid break start
    break_min: float = 0.0
    paid_h: float = 0.0
    activities: list[tuple[str, int, int]] = field(default_factory=list)  # (name, start_s, end_s)
    group: str = ""  # the agent group the person answers for ([[groups]]; "" = the single pool)

    @property
    def work_h(self) -> float:
        return (self.end_s - self.start_s) / 3600 - self.break_min / 60


@dataclass
class RosterPlan:
    dates: list[dt.date]
    people: list[str]
    lines: dict[str, str]  # person -> line
    days: list[RosterDay]  # people x dates, person-major
    info: dict = field(default_factory=dict)  # solver: variables, time, status, gap, unplaced activities

    def day(self, person: str, date: dt.date) -> RosterDay:
        return self._index()[(person, date)]

    def _index(self) -> dict:
        if getattr(self, "_by", None) is None or len(self._by) != len(self.days):
            self._by = {(d.person, d.date): d for d in self.days}
        return self._by

    def worked(self) -> list[RosterDay]:
        return [d for d in self.days if d.status == "work"]


# --------------------------------------------------------------------------- scenario helpers
def attach(s: Scenario, plan: RosterPlan | None) -> Scenario:
    """The scenario with ``plan`` as its roster (None: no roster plan, [staffing] as given)."""
    r = s.roster.model_copy()
    r._plan = plan
    r._file_record = None  # attach_file sets it for a saved roster
    r._extra = None  # with_extra sets it
    return s.model_copy(update={"roster": r})


def detach(s: Scenario) -> Scenario:
    return s if s.roster is None or s.roster._plan is None else attach(s, None)


def resolve(s: Scenario, name: str) -> Path:
    """A path of [roster] (file, shifts), relative to the scenario file's folder."""
    p = Path(name)
    return p if p.is_absolute() else Path(s.roster._base_dir) / p


def attach_file(s: Scenario, source: str = "") -> Scenario:
    """``roster.file``: read the saved roster and attach it (the rest rules are checked)."""
    if s.roster is None or not s.roster.file:
        return s
    path = resolve(s, s.roster.file)
    plan = read_roster_csv(path)
    problems = [Problem(str(path), "", v) for v in rest_violations(plan)]
    if problems:
        raise ScenarioError(problems)
    out = attach(s, plan)
    out.roster._file_record = {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return out


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
    """activities.py's needs ([] without [activities] or before activities.py exists)."""
    try:
        from ska_sim.scenario.activities import activity_needs
    except ImportError:  # pragma: no cover - activities.py is another helper's
        return []
    return [a for a in activity_needs(s) if a.hours_per_advisor_month > 0]


# --------------------------------------------------------------------------- rest rules
def check_shifts(shifts, s: Scenario) -> list[Problem]:
    """Shift types a roster line may use that break a rest rule, and lines that name unknown
    shifts or whose pattern leaves no weekly rest."""
    problems = []
    src = shifts.source
    used = set()
    names = [st.name for st in shifts.shifts]
    for i, line in enumerate(s.roster.people):
        if line.shifts is not None:
            unknown = [n for n in line.shifts if n not in names]
            if unknown:
                problems.append(Problem("[roster]", f"roster.people[{i}].shifts", f"unknown shift(s) {', '.join(unknown)} "
                                        f"(shifts in {src}: {', '.join(names)})"))
            used |= set(line.shifts)
        else:
            used |= set(names)
        if line.min_days_per_week >= 6:
            problems.append(Problem("[roster]", f"roster.people[{i}].min_days_per_week",
                                    f"{line.name}: {line.min_days_per_week} days a week leave no 48 h weekly rest "
                                    "(two consecutive days off in every week; Employment Contracts Act §52)"))
    for st in shifts.shifts:
        if st.name not in used:
            continue
        work = st.paid_h
        brk = st.unpaid_break.length_min if st.unpaid_break else 0.0
        if st.length_h > 24 - DAILY_REST_H:
            problems.append(Problem(src, f"shifts.{st.name}.length_h", f"a {st.length_h:g} h shift leaves less than "
                                    f"{DAILY_REST_H:g} h of rest in 24 h (Employment Contracts Act §51)"))
        if work > BREAK_AFTER_H + 1e-9 and brk < BREAK_MIN:
            what = f"a {brk:g}-min break" if brk else "no break"
            problems.append(Problem(src, f"shifts.{st.name}.unpaid_break", f"{work:g} h of work with {what}: a break "
                                    f"of at least {BREAK_MIN:g} min is due after {BREAK_AFTER_H:g} h "
                                    "(Employment Contracts Act §47)"))
        for start in st.starts:
            if parse_clock(start) + st.length_h * 3600 > DAY_S:
                problems.append(Problem(src, f"shifts.{st.name}.starts", f"{start} + {st.length_h:g} h crosses "
                                        "midnight: rosters of night shifts are not supported"))
                break
    return problems


def rest_violations(plan: RosterPlan) -> list[str]:
    """Every person's breaches of the rest rules (exact, from the shift times), one line each."""
    out = []
    weeks = [plan.dates[i:i + 7] for i in range(0, len(plan.dates), 7)]
    origin = plan.dates[0] if plan.dates else dt.date.today()
    by_person: dict[str, list[RosterDay]] = {p: [] for p in plan.people}
    for d in plan.days:
        if d.status == "work":
            by_person.setdefault(d.person, []).append(d)
    for person in plan.people:
        mine = sorted(by_person[person], key=lambda d: d.date)
        spans = []
        for d in mine:
            off = (d.date - origin).days * DAY_S
            spans.append((off + d.start_s, off + d.end_s, d))
            if d.work_h > BREAK_AFTER_H + 1e-9 and d.break_min < BREAK_MIN:
                what = f"a {d.break_min:g}-min break" if d.break_min else "no break"
                out.append(f"{person} on {d.date}: {d.work_h:g} h of work with {what}: a break of at least "
                           f"{BREAK_MIN:g} min is due after {BREAK_AFTER_H:g} h (Employment Contracts Act §47)")
            if (d.end_s - d.start_s) / 3600 > 24 - DAILY_REST_H:
                out.append(f"{person} on {d.date}: a {(d.end_s - d.start_s) / 3600:g} h shift leaves less than "
                           f"{DAILY_REST_H:g} h of rest in 24 h (Employment Contracts Act §51)")
        for (_, e1, d1), (s2, _, d2) in zip(spans, spans[1:]):
            gap = (s2 - e1) / 3600
            if gap < DAILY_REST_H - 1e-9:
                out.append(f"{person}: {gap:g} h of rest between {d1.date} {format_clock(d1.end_s)} and {d2.date} "
                           f"{format_clock(d2.start_s)}: at least {DAILY_REST_H:g} h in every 24 h (Employment Contracts "
                           "Act §51)")
        in_week: dict[int, list] = {}  # shifts do not cross midnight: each lies in its date's week
        for span in spans:
            in_week.setdefault(span[0] // (7 * DAY_S), []).append(span)
        for w, week in enumerate(weeks):
            if len(week) < 7:
                continue  # a part week at the end of a horizon is not a 7-day period
            lo = (week[0] - origin).days * DAY_S
            hi = lo + 7 * DAY_S
            edges = [lo] + [t for a, b, _ in in_week.get(w, []) for t in (max(a, lo), min(b, hi))] + [hi]
            longest = max(edges[i + 1] - edges[i] for i in range(0, len(edges) - 1, 2)) / 3600
            if longest < WEEKLY_REST_H - 1e-9:
                out.append(f"{person}: the 7 days from {week[0]} have at most {longest:g} h of consecutive rest: at "
                           f"least {WEEKLY_REST_H:g} h in every 7 days (Employment Contracts Act §52)")
    return out


# --------------------------------------------------------------------------- the integer program
@dataclass(frozen=True)
class _Option:
    shift: int
    start_s: int
    end_s: int
    paid_h: float
    cols: tuple[int, ...]  # indices into the day's columns


def horizon_dates(s: Scenario, weeks: int) -> list[dt.date]:
    return [s.calendar.start + dt.timedelta(days=i) for i in range(7 * weeks)]


RULES = {
    "min_days": "min_days_per_week",
    "consecutive": "max_consecutive_days",
    "weekly_rest": "48 h weekly rest (two consecutive days off in every week; Employment Contracts Act §52)",
    "daily_rest": "11 h daily rest between shifts (Employment Contracts Act §51)",
}


def solve_roster(s: Scenario, shifts, tl: Timeline, required_at_work: np.ndarray, weeks: int,
                 needs: list | None = None, time_limit_s: float = 120.0, rules=frozenset(RULES),
                 diagnose: bool = True) -> RosterPlan:
    """The least-paid-hours roster of [roster]'s people covering ``required_at_work`` (per open
    interval of ``tl``) on the horizon's dates. Raises ScenarioError when a rule cannot be met,
    naming the person and the rules that clash. ``rules`` leaves rules out (for that diagnosis)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    from ska_sim.plan.shifts import columns_for, coverage

    r = s.roster
    problems = check_shifts(shifts, s)
    if problems:
        raise ScenarioError(problems)
    needs = needs or []
    week_h = sum(a.hours_per_advisor_month for a in needs) / WEEKS_PER_MONTH
    dates = horizon_dates(s, weeks)
    H = len(dates)
    day_of = {date: i for i, date in enumerate(tl.dates)}
    iv_s = tl.interval_s
    h = iv_s / 3600
    names = [st.name for st in shifts.shifts]
    # people, their line and leave
    people, line_of, leave, away = [], [], [], []  # away: weeks before joining or after leaving
    for li, line in enumerate(r.people):
        taken: dict[int, int] = {}
        for k, person in enumerate(line_people(line)):
            weeks_off = set(r.leave.get(person, []))
            for lv in line.leave:
                n = lv.people if lv.people is not None else line.count
                if taken.get(lv.week, 0) < n and lv.week not in weeks_off:
                    weeks_off.add(lv.week)
                    taken[lv.week] = taken.get(lv.week, 0) + 1
            people.append(person)
            line_of.append(li)
            leave.append(weeks_off)
            away.append({w for w in range(1, weeks + 1)
                         if w < line.from_week or (line.until_week is not None and w > line.until_week)})
    P = len(people)
    gnames = [g.name for g in s.groups]
    G = max(1, len(gnames))
    pg = [gnames.index(r.people[line_of[p]].group) if gnames else 0 for p in range(P)]  # each person's group
    req_all = np.asarray(required_at_work, dtype=float).reshape(len(tl.iv_day), -1)
    if req_all.shape[1] != G:
        raise ValueError(f"required_at_work has {req_all.shape[1]} columns, the scenario {G} group(s)")
    # per horizon day: open intervals, columns, options
    day_ivs, day_cols, day_cov, day_opts = [], [], [], []
    for date in dates:
        d = day_of.get(date)
        idx = np.flatnonzero(tl.iv_day == d) if d is not None else np.zeros(0, int)
        day_ivs.append(idx)
        if not len(idx):
            day_cols.append([]), day_cov.append(np.zeros((0, 0))), day_opts.append([])
            continue
        cols = columns_for(shifts, WEEKDAYS[date.weekday()])
        cov = coverage(cols, shifts, tl.iv_slot[idx] * iv_s, iv_s)
        opts: dict[tuple[int, int], list[int]] = {}
        for j, c in enumerate(cols):
            opts.setdefault((c.shift, c.start_s), []).append(j)
        day_cols.append(cols)
        day_cov.append(cov)
        day_opts.append([_Option(i, s0, int(s0 + shifts.shifts[i].length_h * 3600), shifts.shifts[i].paid_h, tuple(js))
                         for (i, s0), js in opts.items()])
    allowed = []
    for line in r.people:
        allowed.append(set(range(len(names))) if line.shifts is None else {names.index(n) for n in line.shifts})

    # variables
    cost, integ, ub = [], [], []

    def var(c: float, integer: bool, upper: float) -> int:
        cost.append(c), integ.append(1 if integer else 0), ub.append(upper)
        return len(cost) - 1

    y: dict[tuple[int, int, int], int] = {}
    for p in range(P):
        line = r.people[line_of[p]]
        for di, date in enumerate(dates):
            if (di // 7 + 1) in leave[p] | away[p] or (line.weekends_off and date.weekday() >= 5):
                continue
            for oi, o in enumerate(day_opts[di]):
                if o.shift in allowed[line_of[p]]:
                    y[p, di, oi] = var(o.paid_h, True, 1)
    z = {(di, j, g): var(0.0, True, np.inf) for di in range(H) for j in range(len(day_cols[di])) for g in range(G)}
    short = {(di, k, g): var(SHORT_PENALTY, False, np.inf) for di in range(H) for k in range(len(day_ivs[di]))
             for g in range(G)}
    a_short = {di: var(SHORT_PENALTY, False, np.inf) for di in range(H) if week_h > 0 and len(day_ivs[di])}
    rest = {(p, t): var(0.0, True, 1) for p in range(P) for t in range(H - 1) if t // 7 == (t + 1) // 7}
    n_var = len(cost)

    rows, cols_, vals, lo, hi = [], [], [], [], []

    def row(entries, lb: float, ubound: float) -> None:
        i = len(lo)
        for c, v in entries:
            rows.append(i), cols_.append(c), vals.append(v)
        lo.append(lb), hi.append(ubound)

    by_pd: dict[tuple[int, int], list[int]] = {}
    by_do: dict[tuple[int, int], list[int]] = {}
    for (p, di, oi), v in y.items():
        by_pd.setdefault((p, di), []).append(v)
        by_do.setdefault((di, oi, pg[p]), []).append(v)
    for di in range(H):
        idx = day_ivs[di]
        req = req_all[idx] if len(idx) else np.zeros((0, G))
        cov = day_cov[di]
        for k in range(len(idx)):
            for g in range(G):
                ent = [(z[di, j, g], cov[k, j]) for j in range(cov.shape[1]) if cov[k, j] > 0] + [(short[di, k, g], 1.0)]
                row(ent, float(req[k, g]), np.inf)
        for oi, o in enumerate(day_opts[di]):
            for g in range(G):
                row([(z[di, j, g], 1.0) for j in o.cols] + [(v, -1.0) for v in by_do.get((di, oi, g), [])], 0.0, 0.0)
        for si, st in enumerate(shifts.shifts):
            js = [j for o in day_opts[di] if o.shift == si for j in o.cols]
            if js and st.max_per_day is not None:
                row([(z[di, j, g], 1.0) for j in js for g in range(G)], 0.0, float(st.max_per_day))
        if di in a_short:  # worked hours >= required hours + activity hours of those at work
            ent = [(z[di, j, g], day_cols[di][j].paid_h) for j in range(len(day_cols[di])) for g in range(G)]
            ent.append((a_short[di], 1.0))
            for (p, dd, oi), v in y.items():
                if dd == di:
                    ent.append((v, -week_h / max(1, r.people[line_of[p]].max_days_per_week)))
            row(ent, float(req.sum() * h), np.inf)
    for p in range(P):
        line = r.people[line_of[p]]
        work = [by_pd.get((p, di), []) for di in range(H)]
        for di in range(H):
            if len(work[di]) > 1:
                row([(v, 1.0) for v in work[di]], 0.0, 1.0)
        for w in range(weeks):
            days = range(7 * w, 7 * w + 7)
            avail = sum(1 for di in days if work[di])
            ent = [(v, 1.0) for di in days for v in work[di]]
            lb = 0.0 if (w + 1) in leave[p] | away[p] or "min_days" not in rules else \
                float(min(line.min_days_per_week, avail))
            if ent:
                row(ent, lb, float(line.max_days_per_week))
            if "weekly_rest" in rules:
                row([(rest[p, t], 1.0) for t in range(7 * w, 7 * w + 6)], 1.0, np.inf)
        for t in range(H - 1):
            if (p, t) in rest:
                for dd in (t, t + 1):
                    row([(rest[p, t], 1.0)] + [(v, 1.0) for v in work[dd]], 0.0, 1.0)
        n = line.max_consecutive_days
        for t0 in range(0, H - n if "consecutive" in rules else 0):
            ent = [(v, 1.0) for di in range(t0, t0 + n + 1) for v in work[di]]
            if len({di for di in range(t0, t0 + n + 1) if work[di]}) > n:
                row(ent, 0.0, float(n))
        for di in range(H - 1 if "daily_rest" in rules else 0):  # 11 h between a shift's end and the next start
            for oi, o in enumerate(day_opts[di]):
                if (p, di, oi) not in y:
                    continue
                clash = [y[p, di + 1, oj] for oj, o2 in enumerate(day_opts[di + 1])
                         if (p, di + 1, oj) in y and DAY_S - o.end_s + o2.start_s < DAILY_REST_H * 3600 - 1e-6]
                if clash:
                    row([(y[p, di, oi], 1.0)] + [(v, 1.0) for v in clash], 0.0, 1.0)
    t0 = time.perf_counter()
    a = coo_matrix((vals, (rows, cols_)), shape=(len(lo), n_var)).tocsr()
    res = milp(np.array(cost), constraints=[LinearConstraint(a, np.array(lo), np.array(hi))],
               integrality=np.array(integ), bounds=Bounds(np.zeros(n_var), np.array(ub, dtype=float)),
               options={"time_limit": time_limit_s, "mip_rel_gap": 1e-4})
    solve_s = time.perf_counter() - t0
    if res.x is None:
        if not diagnose:
            raise ScenarioError([Problem("[roster]", "roster", f"no roster meets every rule ({res.message})")])
        raise ScenarioError(_infeasible(s, shifts, tl, weeks, people, line_of, leave, away, res.message))
    x = np.round(res.x).astype(int)
    plan_days = []
    for p, person in enumerate(people):
        for di, date in enumerate(dates):
            w = di // 7 + 1
            status = "not_employed" if w in away[p] else ("leave" if w in leave[p] else "off")
            plan_days.append(RosterDay(person, r.people[line_of[p]].name, date, status,
                                       group=gnames[pg[p]] if gnames else ""))
    index = {(d.person, d.date): d for d in plan_days}
    for di, date in enumerate(dates):
        for oi, o in enumerate(day_opts[di]):
            for g in range(G):
                workers = [people[p] for p in range(P) if pg[p] == g and (p, di, oi) in y and x[y[p, di, oi]] == 1]
                slots = [j for j in o.cols for _ in range(x[z[di, j, g]])]
                st = shifts.shifts[o.shift]
                for person, j in zip(workers, slots + [o.cols[0]] * max(0, len(workers) - len(slots))):
                    c = day_cols[di][j]
                    d = index[person, date]
                    d.status, d.shift, d.start_s, d.end_s, d.paid_h = "work", st.name, o.start_s, o.end_s, st.paid_h
                    d.group = gnames[g] if gnames else ""
                    if c.break_s is not None:
                        d.break_s, d.break_min = int(c.break_s), float(st.unpaid_break.length_min)
    short_total = float(sum(res.x[v] for v in short.values()))
    plan = RosterPlan(dates, people, {people[p]: r.people[line_of[p]].name for p in range(P)}, plan_days,
                      {"people": P, "days": H, "variables": n_var, "binaries": len(y) + len(rest),
                       "constraints": len(lo), "solve_s": solve_s, "status": res.message,
                       "paid_hours": float(sum(d.paid_h for d in plan_days)),
                       "mip_gap": float(getattr(res, "mip_gap", 0.0) or 0.0),
                       "shortfall_agent_intervals": short_total})
    if needs:
        place_activities(plan, needs, tl, required_at_work, s)
    return plan


def _infeasible(s, shifts, tl, weeks, people, line_of, leave, away, message) -> list[Problem]:
    """Which person's rules cannot be met together: each kind of person (line, leave) is rostered
    alone with no requirement, then without each rule in turn; the rules whose removal makes a
    roster are the ones that clash."""
    out = []
    seen = set()
    zero = np.zeros(len(tl.iv_day))
    for p, person in enumerate(people):
        li = line_of[p]
        key = (li, frozenset(leave[p]))
        if key in seen:
            continue
        seen.add(key)
        line = s.roster.people[li]
        alone = s.roster.model_copy(update={"people": [line.model_copy(update={"count": 1, "leave": []})],
                                            "leave": {line.name: sorted(leave[p])}})
        s1 = s.model_copy(update={"roster": alone})

        def feasible(rules) -> bool:
            try:
                solve_roster(s1, shifts, tl, zero, weeks, rules=frozenset(rules), diagnose=False)
            except ScenarioError:
                return False
            return True

        if feasible(RULES):
            continue
        clash = [r for r in RULES if feasible(set(RULES) - {r})]
        named = [f"{RULES[r]} = {getattr(line, RULES[r])}" if r in ("min_days", "consecutive") else RULES[r]
                 for r in clash]
        extra = []
        if line.weekends_off:
            extra.append("weekends off")
        if leave[p]:
            extra.append(f"leave in week(s) {', '.join(map(str, sorted(leave[p])))}")
        if away[p]:
            extra.append(f"not employed in week(s) {', '.join(map(str, sorted(away[p])))}")
        context = f" with {' and '.join(extra)}" if extra else ""
        what = (" and ".join(named) + " cannot all hold" if len(named) > 1 else
                (f"{named[0]} cannot hold" if named else "its rules cannot all hold"))
        out.append(Problem("[roster]", f"roster.people[{li}]", f"{person}: {what}{context} over the "
                           f"{weeks}-week horizon ({len(shifts.shifts)} shift types, the line's open days)"))
    if not out:
        out.append(Problem("[roster]", "roster", f"no roster meets every rule ({message}): check min_days_per_week, "
                                                 "max_consecutive_days and leave against the open days and shifts"))
    return out


# --------------------------------------------------------------------------- activities
def place_activities(plan: RosterPlan, needs: list, tl: Timeline, required_at_work: np.ndarray, s: Scenario) -> None:
    """Each person's activity blocks, week by week, where the requirement has the most slack."""
    iv_s = tl.interval_s
    day_of = {date: i for i, date in enumerate(tl.dates)}
    gnames = [g.name for g in s.groups]
    req_all = np.asarray(required_at_work, dtype=float).reshape(len(tl.iv_day), -1)
    # per date: interval starts and, per group, the slack at work (rostered - required)
    slack: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    for date in plan.dates:
        d = day_of.get(date)
        idx = np.flatnonzero(tl.iv_day == d) if d is not None else np.zeros(0, int)
        for g in range(req_all.shape[1]):
            slack[date, g] = (tl.iv_slot[idx] * iv_s, -req_all[idx, g].copy())
    for rd in plan.worked():
        starts, sl = slack[rd.date, _gi(rd, gnames)]
        sl += _on_phone_shares(rd, starts, iv_s)
    unplaced = 0
    by_person: dict[str, list[RosterDay]] = {}
    for rd in plan.worked():
        by_person.setdefault(rd.person, []).append(rd)
    n_weeks = len(plan.dates) // 7
    order = {p: i for i, p in enumerate(plan.people)}
    for a in needs:
        per_week = a.hours_per_advisor_month / WEEKS_PER_MONTH * 60 / a.block_min
        for person, mine in by_person.items():
            # cumulative rounding with a phase per person: monthly and quarterly sittings spread
            # over the weeks instead of falling on everyone in the same week
            phase = (order[person] + 0.5) / len(plan.people)
            for w in range(n_weeks):
                week_days = [rd for rd in mine if (rd.date - plan.dates[0]).days // 7 == w]
                if not week_days:  # not at work that week: no sittings
                    continue
                for _ in range(math.floor((w + 1) * per_week + phase) - math.floor(w * per_week + phase)):
                    own = {rd.date: slack[rd.date, _gi(rd, gnames)] for rd in week_days}
                    if not (_place_block(a, week_days, own, iv_s, False) or _place_block(a, week_days, own, iv_s, True)):
                        unplaced += 1
    plan.info["activities_unplaced_blocks"] = unplaced


def _gi(rd: RosterDay, gnames: list[str]) -> int:
    return gnames.index(rd.group) if gnames and rd.group in gnames else 0


def _break_of(rd: RosterDay) -> tuple[int, int]:
    return (rd.break_s, int(rd.break_s + rd.break_min * 60)) if rd.break_s is not None else (0, 0)


def _place_block(a, week_days: list[RosterDay], slack: dict, iv_s: int, span_break: bool) -> bool:
    """The block's best place in the week: where the intervals it covers keep the most slack.
    With ``span_break`` a block too long for a stretch between breaks may contain the unpaid
    break (a training day with its lunch): it then ends the break's length later. Candidates
    start on the quarter hour; ties go to the earliest day and time."""
    length = int(a.block_min * 60)
    best = None
    for rd in week_days:
        starts, sl = slack[rd.date]
        bs, be = _break_of(rd)
        t = np.arange(rd.start_s, rd.end_s - length + 1, ACTIVITY_STEP_S, dtype=np.int64)
        if not len(t):
            continue
        end = t + length
        ok = np.ones(len(t), bool)
        if bs < be:
            touch = (t < be) & (bs < end)
            if span_break:
                ok &= ~touch | (t < bs)
                end = np.where(touch, end + (be - bs), end)
            else:
                ok &= ~touch
        ok &= end <= rd.end_s
        for _, b, e in rd.activities:
            ok &= ~((t < e) & (b < end))
        if not ok.any():
            continue
        t, end = t[ok], end[ok]
        lo, hi = starts[None, :], starts[None, :] + iv_s
        share = np.clip(np.minimum(hi, end[:, None]) - np.maximum(lo, t[:, None]), 0, None).astype(float)
        if bs < be:
            ib, ie = np.maximum(t, bs)[:, None], np.minimum(end, be)[:, None]
            share -= np.where(ie > ib, np.clip(np.minimum(hi, ie) - np.maximum(lo, ib), 0, None), 0)
        share /= iv_s
        score = np.where(share > 0, sl[None, :] - share, np.inf).min(axis=1) if len(starts) else np.full(len(t), np.inf)
        k = int(np.argmax(score))
        if best is None or score[k] > best[0]:
            best = (float(score[k]), rd, int(t[k]), int(end[k]), share[k])
    if best is None:
        return False
    _, rd, t0, end0, share = best
    rd.activities.append((a.name, t0, end0))
    rd.activities.sort(key=lambda x: x[1])
    slack[rd.date][1][:] -= share
    return True


def _covered(starts: np.ndarray, iv_s: int, b: int, e: int, bs: int, be: int) -> np.ndarray:
    """Share of each interval inside [b, e), less its part inside the break [bs, be)."""
    def ov(x, y):
        return np.clip(np.minimum(starts + iv_s, y) - np.maximum(starts, x), 0, None)

    out = ov(b, e)
    if bs < be and max(b, bs) < min(e, be):
        out = out - ov(max(b, bs), min(e, be))
    return out / iv_s


# --------------------------------------------------------------------------- simulation
def _on_phone_shares(rd: RosterDay, starts: np.ndarray, iv_s: int) -> np.ndarray:
    """Share of each interval (starting at ``starts``, s since midnight) the person is at work,
    not on a break and not in an activity."""
    lo, hi = starts, starts + iv_s
    work = np.clip(np.minimum(hi, rd.end_s) - np.maximum(lo, rd.start_s), 0, None).astype(float) / iv_s
    bs, be = _break_of(rd)
    if bs < be:
        work -= _covered(starts, iv_s, bs, be, 0, 0)
    for _, b, e in rd.activities:  # an activity spanning the break counts the break once
        work -= _covered(starts, iv_s, b, e, bs, be)
    return work


@dataclass(frozen=True)
class RosterModel:
    """What a replication needs to turn a roster into agents on the phones (picklable)."""

    pd_of: np.ndarray  # per entry: person-day
    iv_of: np.ndarray  # per entry: open interval
    share: np.ndarray  # per entry: the share of the interval on the phones
    p_absent: np.ndarray  # per person-day: probability of absence
    keep: np.ndarray  # per open interval: 1 - the in-shift shrinkage the roster does not place
    rostered: np.ndarray  # per open interval: inside the roster's dates
    base: np.ndarray  # per open interval (x group with [[groups]]): agents outside the roster ([staffing])
    group_of: np.ndarray | None = None  # per entry: the person's agent group (with [[groups]])
    scale: float = 1.0  # staffing.scale: multiplies the roster's agents per interval (rounded as timeline.py)
    own: np.ndarray | None = None  # per open interval (x group): a [staffing.dates] vector replaces the roster
    extra: np.ndarray | None = None  # per open interval (x group): agents added on top (with_extra: marginal's steps)

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

    def agents(self, rng: np.random.Generator) -> np.ndarray:
        """This replication's agents: each person-day is absent with its probability."""
        present = rng.random(len(self.p_absent)) >= self.p_absent
        return self.agents_given(present)


def _ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, index) of every element of the ranges [starts[i], starts[i] + counts[i])."""
    owner = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    return owner, np.repeat(starts, counts) + (np.arange(int(counts.sum())) - np.repeat(first, counts))


def _build_model(s: Scenario, tl: Timeline) -> RosterModel:
    """Person-days x their day's open intervals, vectorised (a year's roster of 56 people is
    20,000 person-days)."""
    plan: RosterPlan = s.roster._plan
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
    if s.groups:
        gnames = [g.name for g in s.groups]
        pd_group = np.array([_gi(rd, gnames) for rd in worked], dtype=np.int64)
        return RosterModel(pd_of[keep_entry], iv_of[keep_entry], share[keep_entry], p_abs, keep, rostered,
                           tl.iv_group_agents.copy(), pd_group[pd_of[keep_entry]], s.staffing.scale, own)
    return RosterModel(pd_of[keep_entry], iv_of[keep_entry], share[keep_entry], p_abs, keep, rostered,
                       tl.iv_agents.copy(), None, s.staffing.scale, own)


def with_extra(s: Scenario, extra: np.ndarray | None) -> Scenario:
    """The rostered scenario with ``extra`` agents per open interval (x group) on top of the
    roster's people, after each replication's absences and staffing.scale (marginal's steps:
    the roster and its absence draws stay, k agents are added)."""
    r = s.roster.model_copy()
    r._extra = None if extra is None else np.asarray(extra, dtype=np.int64)
    return s.model_copy(update={"roster": r})


def _extra_of(s: Scenario, rm: RosterModel) -> RosterModel:
    extra = s.roster._extra
    return rm if extra is None else dataclasses.replace(rm, extra=extra)


def roster_timeline(s: Scenario, tl: Timeline) -> Timeline:
    """The timeline with the roster's agents (everyone present) on its dates."""
    rm = _extra_of(s, _build_model(s, tl))
    agents = rm.agents_given(np.ones(len(rm.p_absent), bool))
    if rm.group_of is not None:
        return dataclasses.replace(tl, iv_agents=agents.sum(axis=1), iv_group_agents=agents)
    return dataclasses.replace(tl, iv_agents=agents)


def roster_model(s: Scenario) -> RosterModel:
    from ska_sim.scenario.timeline import build_timeline

    plain = with_extra(s, None) if s.roster._extra is not None else s  # the extra is added once, here
    return _extra_of(s, _build_model(plain, build_timeline(plain)))


# --------------------------------------------------------------------------- tables and files
ROSTER_COLUMNS = ["person", "line", "group", "date", "weekday", "status", "shift", "start", "end", "break",
                  "activities", "paid_hours"]


def roster_table(plan: RosterPlan) -> pd.DataFrame:
    """One row per person and date: status (work / off / leave), shift start-end, unpaid break,
    activities ("name HH:MM-HH:MM; ..."), paid hours."""
    rows = []
    for d in plan.days:
        work = d.status == "work"
        rows.append({
            "person": d.person, "line": d.line, "group": d.group, "date": d.date.isoformat(),
            "weekday": WEEKDAYS[d.date.weekday()],
            "status": d.status, "shift": d.shift if work else "",
            "start": format_clock(d.start_s) if work else "", "end": format_clock(d.end_s) if work else "",
            "break": f"{format_clock(d.break_s)}-{format_clock(int(d.break_s + d.break_min * 60))}" if work and d.break_s is not None
            else "",
            "activities": "; ".join(f"{n} {format_clock(b)}-{format_clock(e)}" for n, b, e in d.activities),
            "paid_hours": d.paid_h if work else 0.0,
        })
    return pd.DataFrame(rows, columns=ROSTER_COLUMNS)


def _clock_s(text: str) -> int:
    """HH:MM -> seconds since midnight (fast path of scenario._parse_clock for roster files)."""
    h, sep, m = text.partition(":")
    if sep and h.isdigit() and m.isdigit() and len(m) == 2 and len(h) <= 2 and int(m) < 60:
        s = int(h) * 3600 + int(m) * 60
        if s <= DAY_S:
            return s
    return parse_clock(text)  # raises ValueError with the message


def _span(text: str, where: str, problems: list) -> tuple[int, int] | None:
    try:
        a, b = text.split("-")
        lo, hi = _clock_s(a.strip()), _clock_s(b.strip())
    except ValueError:
        problems.append(f"{where}: {text!r} is not HH:MM-HH:MM")
        return None
    if hi <= lo:
        problems.append(f"{where}: {text!r} ends before it starts")
        return None
    return lo, hi


def read_roster_csv(path: str | Path) -> RosterPlan:
    """A roster.csv (as :func:`roster_table` writes it); bad rows raise ScenarioError naming the row."""
    import csv

    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            records = [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
            columns = reader.fieldnames or []
    except FileNotFoundError:
        raise ScenarioError([Problem(str(path), "roster.file", "file not found")]) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError([Problem(str(path), "roster.file", f"cannot read: {exc}")]) from None
    missing = [c for c in ("person", "date", "status", "start", "end") if c not in columns]
    if missing:
        raise ScenarioError([Problem(str(path), "", f"missing column(s) {', '.join(missing)} (roster.csv has "
                                                    f"{', '.join(ROSTER_COLUMNS)})")])
    problems: list[str] = []
    days = []
    seen: dict[tuple, int] = {}
    for i, row in enumerate(records, start=2):
        where = f"row {i}"
        try:
            date = dt.date.fromisoformat(row["date"].strip())
        except ValueError:
            problems.append(f"{where}: date: {row['date']!r} is not YYYY-MM-DD")
            continue
        status = row["status"].strip()
        rd = RosterDay(row["person"].strip(), row.get("line", "").strip() or row["person"].strip(), date, status,
                       group=row.get("group", "").strip())
        if status not in ("work", "off", "leave", "not_employed"):
            problems.append(f"{where}: status: {status!r} must be work, off, leave or not_employed")
            continue
        if status == "work":
            span = _span(f"{row['start']}-{row['end']}", f"{where}: start-end", problems)
            if span is None:
                continue
            rd.start_s, rd.end_s = span
            rd.shift = row.get("shift", "").strip()
            if row.get("break", "").strip():
                b = _span(row["break"], f"{where}: break", problems)
                if b is not None:
                    rd.break_s, rd.break_min = b[0], (b[1] - b[0]) / 60
            for part in filter(None, (x.strip() for x in row.get("activities", "").split(";"))):
                name, _, when = part.rpartition(" ")
                a = _span(when, f"{where}: activities", problems)
                if a is not None:
                    rd.activities.append((name or "activity", a[0], a[1]))
            rd.paid_h = rd.work_h
            parts = [("break", rd.break_s, int(rd.break_s + rd.break_min * 60))] if rd.break_s is not None else []
            for what, lo, hi in parts + [(f"activity {n!r}", b, e) for n, b, e in rd.activities]:
                if lo < rd.start_s or hi > rd.end_s:
                    problems.append(f"{where}: {what} {format_clock(lo)}-{format_clock(hi)} is outside the shift "
                                    f"{format_clock(rd.start_s)}-{format_clock(rd.end_s)}")
        key = (rd.person, rd.date)
        if key in seen:
            problems.append(f"{where}: {rd.person} on {rd.date} is listed twice (also row {seen[key]})")
            continue
        seen[key] = i
        days.append(rd)
    if problems:
        raise ScenarioError([Problem(str(path), "", p) for p in problems])
    if not days:
        raise ScenarioError([Problem(str(path), "", "no rows")])
    people = list(dict.fromkeys(d.person for d in days))
    first, last = min(d.date for d in days), max(d.date for d in days)
    dates = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return RosterPlan(dates, people, {d.person: d.line for d in days}, days, {"source": str(path)})


def coverage_table(plan: RosterPlan, tl: Timeline, required_at_work: np.ndarray, s: Scenario) -> pd.DataFrame:
    """Per open interval of the roster's dates (and group, with [[groups]]): required at work,
    rostered at work (less breaks and activities), the agents on the phones that follow, and the
    surplus."""
    model = _build_model(attach(s, plan), tl)
    present = np.ones(len(model.p_absent), bool)
    m = model.rostered
    cols = {"date": [tl.dates[d].isoformat() for d in tl.iv_day[m]],
            "time": [format_clock(x * tl.interval_s) for x in tl.iv_slot[m]]}
    if model.group_of is None:
        at_work = np.bincount(model.iv_of, weights=model.share, minlength=len(tl.iv_day))
        req = np.asarray(required_at_work, dtype=float).reshape(len(tl.iv_day))
        return pd.DataFrame({**cols, "required_at_work": req[m], "rostered_at_work": at_work[m],
                             "agents_on_phones": model.agents_given(present)[m],
                             "surplus_at_work": at_work[m] - req[m]})
    G = model.base.shape[1]
    n = len(tl.iv_day)
    at_work = np.bincount(model.iv_of * G + model.group_of, weights=model.share, minlength=n * G).reshape(n, G)
    req = np.asarray(required_at_work, dtype=float).reshape(n, G)
    phones = model.agents_given(present)
    parts = []
    for g, grp in enumerate(s.groups):
        parts.append(pd.DataFrame({**cols, "group": grp.name, "required_at_work": req[m, g],
                                   "rostered_at_work": at_work[m, g], "agents_on_phones": phones[m, g],
                                   "surplus_at_work": at_work[m, g] - req[m, g]}))
    return pd.concat(parts, ignore_index=True)


def week_tables(plan: RosterPlan) -> list[tuple[str, pd.DataFrame]]:
    """Person x day per week of the horizon: 'HH:MM-HH:MM' for a shift (a '*' marks an activity),
    'off', 'leave', or '-' before joining / after leaving (from_week, until_week)."""
    out = []
    for w in range(0, len(plan.dates), 7):
        dates = plan.dates[w:w + 7]
        body = {}
        for person in plan.people:
            cells = []
            for date in dates:
                d = plan.day(person, date)
                cell = f"{format_clock(d.start_s)}-{format_clock(d.end_s)}" if d.status == "work" else \
                    ("-" if d.status == "not_employed" else d.status)
                cells.append(cell + ("*" if d.activities else ""))
            body[person] = cells
        df = pd.DataFrame.from_dict(body, orient="index",
                                    columns=[f"{WEEKDAYS[x.weekday()]} {x.isoformat()[5:]}" for x in dates])
        out.append((f"week {w // 7 + 1} ({dates[0]} to {dates[-1]})", df))
    return out


# --------------------------------------------------------------------------- `staff --roster`
@dataclass
class RosterResult:
    staffing: object  # StaffingResult, its comparison with the roster row (the recommendation)
    plan: RosterPlan
    table: pd.DataFrame
    coverage: pd.DataFrame
    weeks: int

    def to_json(self) -> dict:
        from ska_sim.base.jsonable import json_records

        doc = self.staffing.to_json()
        doc["roster"] = {"weeks": self.weeks, "solver": {k: v for k, v in self.plan.info.items()},
                         "table": json_records(self.table), "coverage": json_records(self.coverage)}
        return doc


def shifts_of(s: Scenario, shifts_file: str | None):
    """The shifts file: --shifts, else roster.shifts (relative to the scenario)."""
    from ska_sim.plan.shifts import load_shifts

    if shifts_file:
        return load_shifts(shifts_file), shifts_file
    if s.roster is not None and s.roster.shifts:
        path = resolve(s, s.roster.shifts)
        return load_shifts(path), str(path)
    raise ScenarioError([Problem("--roster", "roster.shifts", "needs a shifts file: --shifts FILE or roster.shifts")])


TODAY_FILE = "today (roster.file)"  # staff --roster's row of the saved roster a scenario simulates


def plan_roster(s: Scenario, shifts, weeks: int | None = None, method: str = "erlang", scope: str = "interval",
                replications: int | None = None, seed: int | None = None, workers: int = 1, progress=None,
                say=None, executor=None) -> RosterResult:
    """The requirement (as `staff` computes it) over the roster's horizon, the roster that covers
    it at the least paid hours, and the roster simulated beside today's and the Erlang plans."""
    from ska_sim.sim.runner import simulate
    from ska_sim.plan.staffing import chain, plan_row, plan_staffing, with_agents
    from ska_sim.scenario.timeline import build_timeline

    say = say or (lambda msg: None)
    if s.roster is None or not s.roster.people:
        raise ScenarioError([Problem("--roster", "roster.people", "the scenario has no [[roster.people]] lines")])
    weeks = weeks or s.roster.weeks
    saved = s.roster._plan  # roster.file: today's plan is that roster, as `run` simulates it
    s = detach(s)
    s = s.model_copy(update={"calendar": s.calendar.model_copy(update={"days": 7 * weeks}),
                             "roster": s.roster.model_copy(update={"weeks": weeks})})
    today = s if saved is None else attach(s, saved)
    st = plan_staffing(today, method, scope, None, replications, seed, workers, progress, say, executor)
    st.scenario = s
    if saved is not None:
        st.comparison["plan"] = st.comparison["plan"].replace("today", TODAY_FILE)
    tl = build_timeline(s)
    chosen = st.plans[f"{method}_{scope}"].agents
    needs = activity_list(s)
    wds = [WEEKDAYS[tl.dates[d].weekday()] for d in tl.iv_day]
    resid = np.array([residual_share(s, w, bool(needs)) for w in wds])
    cover = 1 - mean_absence(s) if s.roster.cover_absence else 1.0  # plan for the expected absence
    at_work = np.ceil(chosen / ((1 - resid) * cover).reshape(-1, *([1] * (chosen.ndim - 1))) - 1e-9)
    say(f"roster (integer program): {sum(line.count for line in s.roster.people)} people, {weeks} week(s)")
    plan = solve_roster(s, shifts, tl, at_work, weeks, needs)
    bad = rest_violations(plan)
    if bad:  # pragma: no cover - the program's rows prevent them; a check of the check
        raise ScenarioError([Problem("roster", "", b) for b in bad])
    given = with_agents(s, tl, chosen)  # the requirement's agents on the dates outside the roster
    on = set(plan.dates)  # (a date's own staffing.dates vector would replace the roster on it)
    if given.groups:
        given = given.model_copy(update={"groups": [g.model_copy(update={"dates": {
            d: v for d, v in g.dates.items() if d not in on}}) for g in given.groups]})
    else:
        given = given.model_copy(update={"staffing": given.staffing.model_copy(update={"dates": {
            d: v for d, v in given.staffing.dates.items() if d not in on}})})
    rostered = attach(given, plan)
    say("simulating the roster")
    result = simulate(rostered, replications=replications, seed=seed, workers=workers, executor=executor)
    rtl = build_timeline(rostered)
    m = rtl.iv_measured()
    h = tl.interval_s / 3600
    measured = {d for d, ok in zip(tl.dates, tl.measured) if ok}
    work = float(sum(d.paid_h for d in plan.worked() if d.date in measured))
    if draws_absence(s):  # absence is drawn in the simulation: not again in the chain
        paid = work
    else:
        paid = float(sum(d.paid_h / (1 - s.shrinkage.shares(WEEKDAYS[d.date.weekday()])[1])
                         for d in plan.worked() if d.date in measured))
    phones = float(rtl.iv_agents[m].sum() * h)
    row = plan_row(s, "roster", phones, paid, result)
    cmp = st.comparison.drop(columns="recommended")
    cmp = pd.concat([cmp, pd.DataFrame([row])], ignore_index=True)
    cmp.insert(1, "recommended", cmp["plan"] == "roster")
    st.comparison, st.recommended, st.plan_result = cmp, "roster", result
    st.fte = chain(s, phones, work, paid)
    cov = coverage_table(plan, tl, at_work, s)
    cov = cov[cov["date"].isin({d.isoformat() for d in measured})].reset_index(drop=True)
    return RosterResult(st, plan, roster_table(plan), cov, weeks)


def roster_text(rr: RosterResult) -> str:
    from ska_sim.report.text import staffing_text

    plan = rr.plan
    info = plan.info
    lines = [staffing_text(rr.staffing), "", f"Roster: {info['people']} people over {rr.weeks} week(s), "
             f"{info['paid_hours']:.1f} paid hours (integer program: {info['binaries']} binaries, "
             f"{info['constraints']} constraints, {info['solve_s']:.1f} s, {info['status']})"]
    if info.get("mip_gap", 0) > 1e-4:
        lines.append(f"(stopped at the time limit: within {info['mip_gap']:.1%} of the least paid hours)")
    for title, df in week_tables(plan):
        lines += ["", title, df.to_string()]
    lines.append("('*': off-phone activities in the shift; breaks and activities per person and day in roster.csv)")
    short = rr.coverage[rr.coverage["surplus_at_work"] < -1e-9]
    if len(short):
        worst = short.sort_values("surplus_at_work").iloc[0]
        lines.append(f"WARNING: the roster is short at work in {len(short)} interval(s) (worst {worst['date']} "
                     f"{worst['time']}: {worst['rostered_at_work']:g} at work, {worst['required_at_work']:g} needed): "
                     "more people or other shifts needed")
    if info.get("activities_unplaced_blocks"):
        lines.append(f"WARNING: {info['activities_unplaced_blocks']} activity block(s) found no room in their "
                     "person's shifts")
    return "\n".join(lines)


def write_roster(rr: RosterResult, out_dir: str | Path) -> list[Path]:
    from ska_sim.base.files import write_csv

    from ska_sim.base.files import write_text
    from ska_sim.report.html import build_report

    out = Path(out_dir)
    write_csv(out / "roster.csv", rr.table)
    write_csv(out / "roster_coverage.csv", rr.coverage)
    write_text(out / "report.html", build_report(rr.staffing.plan_result, label="staff --roster"))
    return [out / "roster.csv", out / "roster_coverage.csv", out / "report.html"]


def roster_html(s: Scenario, result=None, weeks_shown: int = 2) -> str:
    """The report's roster section: people, paid hours, absence and the days meeting the
    targets, and the first weeks as person x day (the whole roster is roster.csv)."""
    from ska_sim.report.html import e

    plan: RosterPlan = s.roster._plan
    worked = plan.worked()
    p = mean_absence(s) if s.roster.people else s.roster.absence_probability
    lines = [f"<p>{len(plan.people)} people rostered over {len(plan.dates)} days ({plan.dates[0]} to "
             f"{plan.dates[-1]}{', repeated over every simulated day' if s.roster.repeat else ''}): "
             f"{len(worked):,} shifts, {sum(d.paid_h for d in worked):,.1f} paid hours, "
             f"{sum(len(d.activities) for d in worked):,} off-phone activity blocks placed in the quietest intervals. "
             "On-phone agents per interval follow from it (people at work less breaks and activities).</p>"]
    if p > 0:
        lines.append(f"<p>Absence: each rostered person is absent on a worked day with probability {p:.0%} (mean of "
                     "the lines), drawn per "
                     "replication (it replaces <code>shrinkage.absence</code>). ")
        if result is not None:
            t = result.targets.set_index("kpi")
            if "service_level" in t.index:
                lines[-1] += (f"The service-level target was met on {t.loc['service_level', 'days_met_share']:.0%} of "
                              "simulated days: the risk of short days.")
        lines[-1] += "</p>"
    for title, df in week_tables(plan)[:weeks_shown]:
        head = "".join(f"<th>{e(c)}</th>" for c in ["person", *df.columns])
        body = "".join("<tr><td>" + e(person) + "</td>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>"
                       for person, row in df.iterrows())
        lines.append(f"<h3>{e(title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    lines.append("<p class='note'>'*': a shift with an off-phone activity; '-': not employed that week. Breaks and "
                 "activities per person and day are in roster.csv.</p>")
    return "".join(lines)


def window_warning(s: Scenario) -> list[str]:
    """A saved roster whose dates miss part of the measured window: those days keep [staffing]."""
    plan: RosterPlan = s.roster._plan
    cal = s.calendar
    window = {cal.start + dt.timedelta(days=i) for i in range(cal.days)}
    missing = sorted(window - set(plan.dates))
    if not missing:
        return []
    if len(missing) == len(window):
        return [f"roster.file: no date of the roster ({plan.dates[0]} to {plan.dates[-1]}) falls in the measured "
                f"window ({cal.start} + {cal.days} days): it is not simulated ([staffing] is; roster.repeat = true "
                "cycles it)"]
    return [f"roster.file: {len(missing)} measured day(s) outside the roster ({plan.dates[0]} to {plan.dates[-1]}; "
            f"first {missing[0]}) keep [staffing] (roster.repeat = true cycles the roster over them)"]


def unused_vectors_warning(s: Scenario, overrides=()) -> list[str]:
    """A ``--set`` of weekday staffing vectors (staffing.agents, groups[i].agents) on a scenario
    whose saved roster gives the agents of the simulated dates it covers: there they are not used
    (staffing.scale multiplies the roster's agents; a date's staffing.dates vector replaces them)."""
    keys = [o.split("=", 1)[0].strip() for o in overrides]
    hit = [k for k in keys if k.startswith("staffing.agents") or re.match(r"groups(\[\d+\]|\.\d+)\.agents", k)]
    if not hit:
        return []
    plan: RosterPlan = s.roster._plan
    first = s.calendar.start - dt.timedelta(days=s.calendar.warmup_days)
    simulated = {first + dt.timedelta(days=i) for i in range(s.calendar.warmup_days + s.calendar.days)}
    covered = simulated if s.roster.repeat else simulated & set(plan.dates)
    if not covered:
        return []
    return [f"{hit[0]}: not used on the {len(covered)} simulated date(s) the roster (roster.file) covers, of "
            f"{len(simulated)}: the roster gives their agents (staffing.scale multiplies them; a date's "
            "staffing.dates vector replaces them)"]
