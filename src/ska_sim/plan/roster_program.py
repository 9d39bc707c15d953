"""The roster's integer program (``scipy.optimize.milp``, HiGHS): the horizon it is built from,
its variables and rows, and the roster a solution gives. :func:`ska_sim.plan.roster.solve_roster`
puts the steps together; the formulation is in that module's docstring."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np

from ska_sim.plan.roster_activities import WEEKS_PER_MONTH
from ska_sim.plan.shifts import columns_for, coverage
from ska_sim.scenario.clock import DAY_S, WEEKDAYS
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.people import line_people
from ska_sim.scenario.roster import DAILY_REST_H, RosterDay, RosterPlan
from ska_sim.scenario.timeline import Timeline

SHORT_PENALTY = 100.0  # paid hours one agent-interval of shortfall costs in the objective


@dataclass(frozen=True)
class Option:
    shift: int
    start_s: int
    end_s: int
    paid_h: float
    cols: tuple[int, ...]  # indices into the day's columns


def horizon_dates(s: Scenario, weeks: int) -> list[dt.date]:
    return [s.calendar.start + dt.timedelta(days=i) for i in range(7 * weeks)]


@dataclass
class People:
    """The roster's people, each with their line (index), leave weeks and weeks away (before
    joining or after leaving)."""

    names: list[str]
    line_of: list[int]
    leave: list[set[int]]
    away: list[set[int]]


def people_of(s: Scenario, weeks: int) -> People:
    r = s.roster
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
    return People(people, line_of, leave, away)


@dataclass
class Horizon:
    """What the integer program is built from: the scenario, shifts, horizon dates, people and
    their groups, and per horizon day its open intervals, columns, coverage and options."""

    s: Scenario
    shifts: object
    weeks: int
    dates: list[dt.date]
    people: People
    gnames: list[str]
    pg: list[int]  # each person's group
    req_all: np.ndarray  # (open intervals, groups): required at work
    week_h: float  # activity hours per person and week
    iv_h: float  # hours of one interval
    day_ivs: list[np.ndarray]
    day_cols: list[list]
    day_cov: list[np.ndarray]
    day_opts: list[list[Option]]
    allowed: list[set[int]]  # per line: the shift indices it may work

    @property
    def H(self) -> int:
        return len(self.dates)

    @property
    def P(self) -> int:
        return len(self.people.names)

    @property
    def G(self) -> int:
        return max(1, len(self.gnames))


def horizon_of(s: Scenario, shifts, tl: Timeline, required_at_work: np.ndarray, weeks: int, needs: list) -> Horizon:
    r = s.roster
    week_h = sum(a.hours_per_advisor_month for a in needs) / WEEKS_PER_MONTH
    dates = horizon_dates(s, weeks)
    day_of = {date: i for i, date in enumerate(tl.dates)}
    iv_s = tl.interval_s
    names = [st.name for st in shifts.shifts]
    pe = people_of(s, weeks)
    gnames = [g.name for g in s.groups]
    G = max(1, len(gnames))
    pg = [gnames.index(r.people[pe.line_of[p]].group) if gnames else 0 for p in range(len(pe.names))]
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
        day_opts.append([Option(i, s0, int(s0 + shifts.shifts[i].length_h * 3600), shifts.shifts[i].paid_h, tuple(js))
                         for (i, s0), js in opts.items()])
    allowed = []
    for line in r.people:
        allowed.append(set(range(len(names))) if line.shifts is None else {names.index(n) for n in line.shifts})
    return Horizon(s, shifts, weeks, dates, pe, gnames, pg, req_all, week_h, iv_s / 3600, day_ivs, day_cols, day_cov,
                    day_opts, allowed)


class Program:
    """An integer program being built: its variables (cost, integrality, upper bound) and its
    rows (sparse entries with lower and upper bounds)."""

    def __init__(self):
        self.cost, self.integ, self.ub = [], [], []
        self.rows, self.cols, self.vals, self.lo, self.hi = [], [], [], [], []

    def var(self, c: float, integer: bool, upper: float) -> int:
        self.cost.append(c), self.integ.append(1 if integer else 0), self.ub.append(upper)
        return len(self.cost) - 1

    def row(self, entries, lb: float, ubound: float) -> None:
        i = len(self.lo)
        for c, v in entries:
            self.rows.append(i), self.cols.append(c), self.vals.append(v)
        self.lo.append(lb), self.hi.append(ubound)

    def solve(self, time_limit_s: float):
        """(scipy's result, seconds taken) of HiGHS on the program."""
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import coo_matrix

        n_var = len(self.cost)
        t0 = time.perf_counter()
        a = coo_matrix((self.vals, (self.rows, self.cols)), shape=(len(self.lo), n_var)).tocsr()
        res = milp(np.array(self.cost), constraints=[LinearConstraint(a, np.array(self.lo), np.array(self.hi))],
                   integrality=np.array(self.integ), bounds=Bounds(np.zeros(n_var), np.array(self.ub, dtype=float)),
                   options={"time_limit": time_limit_s, "mip_rel_gap": 1e-4})
        return res, time.perf_counter() - t0


@dataclass
class Variables:
    """Indices of the program's variables."""

    y: dict[tuple[int, int, int], int]  # (person, day, option): works it (binary)
    z: dict[tuple[int, int, int], int]  # (day, column, group): people on the column
    short: dict[tuple[int, int, int], int]  # (day, interval, group): shortfall at work
    a_short: dict[int, int]  # day: shortfall of the activity hours
    rest: dict[tuple[int, int], int]  # (person, day t): days t and t + 1 both off (the weekly rest)
    by_pd: dict[tuple[int, int], list[int]]  # (person, day): its y variables
    by_do: dict[tuple[int, int, int], list[int]]  # (day, option, group): its y variables


def variables_of(prog: Program, h: Horizon) -> Variables:
    r = h.s.roster
    pe, H, G = h.people, h.H, h.G
    y: dict[tuple[int, int, int], int] = {}
    for p in range(h.P):
        line = r.people[pe.line_of[p]]
        for di, date in enumerate(h.dates):
            if (di // 7 + 1) in pe.leave[p] | pe.away[p] or (line.weekends_off and date.weekday() >= 5):
                continue
            for oi, o in enumerate(h.day_opts[di]):
                if o.shift in h.allowed[pe.line_of[p]]:
                    y[p, di, oi] = prog.var(o.paid_h, True, 1)
    z = {(di, j, g): prog.var(0.0, True, np.inf) for di in range(H) for j in range(len(h.day_cols[di]))
         for g in range(G)}
    short = {(di, k, g): prog.var(SHORT_PENALTY, False, np.inf) for di in range(H) for k in range(len(h.day_ivs[di]))
             for g in range(G)}
    a_short = {di: prog.var(SHORT_PENALTY, False, np.inf) for di in range(H) if h.week_h > 0 and len(h.day_ivs[di])}
    rest = {(p, t): prog.var(0.0, True, 1) for p in range(h.P) for t in range(H - 1) if t // 7 == (t + 1) // 7}
    by_pd: dict[tuple[int, int], list[int]] = {}
    by_do: dict[tuple[int, int, int], list[int]] = {}
    for (p, di, oi), v in y.items():
        by_pd.setdefault((p, di), []).append(v)
        by_do.setdefault((di, oi, h.pg[p]), []).append(v)
    return Variables(y, z, short, a_short, rest, by_pd, by_do)


def day_rows(prog: Program, v: Variables, h: Horizon) -> None:
    """Per day: coverage of every open interval, people on an option = its columns, shift
    types' max_per_day, and worked hours >= required hours + the activity hours at work."""
    r = h.s.roster
    G = h.G
    for di in range(h.H):
        idx = h.day_ivs[di]
        req = h.req_all[idx] if len(idx) else np.zeros((0, G))
        cov = h.day_cov[di]
        for k in range(len(idx)):
            for g in range(G):
                ent = [(v.z[di, j, g], cov[k, j]) for j in range(cov.shape[1]) if cov[k, j] > 0]
                prog.row(ent + [(v.short[di, k, g], 1.0)], float(req[k, g]), np.inf)
        for oi, o in enumerate(h.day_opts[di]):
            for g in range(G):
                prog.row([(v.z[di, j, g], 1.0) for j in o.cols] + [(x, -1.0) for x in v.by_do.get((di, oi, g), [])],
                         0.0, 0.0)
        for si, st in enumerate(h.shifts.shifts):
            js = [j for o in h.day_opts[di] if o.shift == si for j in o.cols]
            if js and st.max_per_day is not None:
                prog.row([(v.z[di, j, g], 1.0) for j in js for g in range(G)], 0.0, float(st.max_per_day))
        if di in v.a_short:  # worked hours >= required hours + activity hours of those at work
            ent = [(v.z[di, j, g], h.day_cols[di][j].paid_h) for j in range(len(h.day_cols[di])) for g in range(G)]
            ent.append((v.a_short[di], 1.0))
            for (p, dd, oi), x in v.y.items():
                if dd == di:
                    ent.append((x, -h.week_h / max(1, r.people[h.people.line_of[p]].max_days_per_week)))
            prog.row(ent, float(req.sum() * h.iv_h), np.inf)


def person_rows(prog: Program, v: Variables, h: Horizon, rules) -> None:
    """Per person: one shift a day, days per week, the weekly rest, at most N consecutive days
    and the daily rest between shifts (the rules in ``rules``)."""
    r = h.s.roster
    pe, H = h.people, h.H
    for p in range(h.P):
        line = r.people[pe.line_of[p]]
        work = [v.by_pd.get((p, di), []) for di in range(H)]
        for di in range(H):
            if len(work[di]) > 1:
                prog.row([(x, 1.0) for x in work[di]], 0.0, 1.0)
        for w in range(h.weeks):
            days = range(7 * w, 7 * w + 7)
            avail = sum(1 for di in days if work[di])
            ent = [(x, 1.0) for di in days for x in work[di]]
            lb = 0.0 if (w + 1) in pe.leave[p] | pe.away[p] or "min_days" not in rules else \
                float(min(line.min_days_per_week, avail))
            if ent:
                prog.row(ent, lb, float(line.max_days_per_week))
            if "contract" in rules and (line.hours_per_week is not None or line.fte is not None):
                cap = line.contract_fte(h.s.shrinkage.fte_hours_per_week) * h.s.shrinkage.fte_hours_per_week
                paid = [(v.y[p, di, oi], h.day_opts[di][oi].paid_h) for di in days
                        for oi in range(len(h.day_opts[di])) if (p, di, oi) in v.y]
                if paid:  # a stated contract: paid hours rostered in a week at most the contract's
                    prog.row(paid, 0.0, float(cap))
            if "weekly_rest" in rules:
                prog.row([(v.rest[p, t], 1.0) for t in range(7 * w, 7 * w + 6)], 1.0, np.inf)
        for t in range(H - 1):
            if (p, t) in v.rest:
                for dd in (t, t + 1):
                    prog.row([(v.rest[p, t], 1.0)] + [(x, 1.0) for x in work[dd]], 0.0, 1.0)
        n = line.max_consecutive_days
        for t0 in range(0, H - n if "consecutive" in rules else 0):
            ent = [(x, 1.0) for di in range(t0, t0 + n + 1) for x in work[di]]
            if len({di for di in range(t0, t0 + n + 1) if work[di]}) > n:
                prog.row(ent, 0.0, float(n))
        _daily_rest_rows(prog, v, h, p, rules)


def _daily_rest_rows(prog: Program, v: Variables, h: Horizon, p: int, rules) -> None:
    """11 h between a shift's end and the next day's start, for person ``p``."""
    y = v.y
    for di in range(h.H - 1 if "daily_rest" in rules else 0):
        for oi, o in enumerate(h.day_opts[di]):
            if (p, di, oi) not in y:
                continue
            clash = [y[p, di + 1, oj] for oj, o2 in enumerate(h.day_opts[di + 1])
                     if (p, di + 1, oj) in y and DAY_S - o.end_s + o2.start_s < DAILY_REST_H * 3600 - 1e-6]
            if clash:
                prog.row([(y[p, di, oi], 1.0)] + [(x, 1.0) for x in clash], 0.0, 1.0)


def plan_of(res, solve_s: float, prog: Program, v: Variables, h: Horizon) -> RosterPlan:
    """The roster the solution gives: each person's day (work with shift and break, off, leave
    or not employed) and the solver's figures."""
    r, pe, gnames, shifts = h.s.roster, h.people, h.gnames, h.shifts
    people, P, G = pe.names, h.P, h.G
    x = np.round(res.x).astype(int)
    plan_days = []
    for p, person in enumerate(people):
        for di, date in enumerate(h.dates):
            w = di // 7 + 1
            status = "not_employed" if w in pe.away[p] else ("leave" if w in pe.leave[p] else "off")
            plan_days.append(RosterDay(person, r.people[pe.line_of[p]].name, date, status,
                                       group=gnames[h.pg[p]] if gnames else ""))
    index = {(d.person, d.date): d for d in plan_days}
    for di, date in enumerate(h.dates):
        for oi, o in enumerate(h.day_opts[di]):
            for g in range(G):
                workers = [people[p] for p in range(P) if h.pg[p] == g and (p, di, oi) in v.y and x[v.y[p, di, oi]] == 1]
                slots = [j for j in o.cols for _ in range(x[v.z[di, j, g]])]
                st = shifts.shifts[o.shift]
                for person, j in zip(workers, slots + [o.cols[0]] * max(0, len(workers) - len(slots))):
                    c = h.day_cols[di][j]
                    d = index[person, date]
                    d.status, d.shift, d.start_s, d.end_s, d.paid_h = "work", st.name, o.start_s, o.end_s, st.paid_h
                    d.group = gnames[g] if gnames else ""
                    if c.break_s is not None:
                        d.break_s, d.break_min = int(c.break_s), float(st.unpaid_break.length_min)
    short_total = float(sum(res.x[i] for i in v.short.values()))
    return RosterPlan(h.dates, people, {people[p]: r.people[pe.line_of[p]].name for p in range(P)}, plan_days,
                      {"people": P, "days": h.H, "variables": len(prog.cost), "binaries": len(v.y) + len(v.rest),
                       "constraints": len(prog.lo), "solve_s": solve_s, "status": res.message,
                       "paid_hours": float(sum(d.paid_h for d in plan_days)),
                       "mip_gap": float(getattr(res, "mip_gap", 0.0) or 0.0),
                       "shortfall_agent_intervals": short_total})
