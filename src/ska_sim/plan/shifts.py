"""Shift scheduling: which shifts, and how many people on each, cover the requirement in every
interval at the least paid hours.

A shifts file (:mod:`ska_sim.scenario.shifts`) lists shift types. Every (shift, start, break
position) is a column of an integer program solved per day with ``scipy.optimize.milp`` (HiGHS)::

    minimise   sum_j paid_hours_j * x_j
    subject to sum_j cover[k, j] * x_j >= required_k    for every open interval k
               min_s <= sum_{j in shift s} x_j <= max_s  for every shift type s
               x_j >= 0, integer

``cover[k, j]`` is the share of interval k that column j works (a 15-minute break in a
30-minute interval covers half of it). Inputs that cannot be covered get a message naming
the intervals and why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.scenario.clock import DAY_S, WEEKDAYS, format_clock, parse_clock
from ska_sim.scenario.shifts import ShiftsFile
from ska_sim.scenario.timeline import Timeline


# --------------------------------------------------------------------------- columns
@dataclass(frozen=True)
class Column:
    shift: int  # index into ShiftsFile.shifts
    start_s: int  # seconds since midnight
    break_s: int | None  # unpaid break start, seconds since midnight
    paid_h: float


def columns_for(shifts: ShiftsFile, weekday: str) -> list[Column]:
    cols = []
    for i, st in enumerate(shifts.shifts):
        if weekday not in st.weekdays:
            continue
        for start in st.starts:
            s0 = parse_clock(start)
            if st.unpaid_break is None:
                cols.append(Column(i, s0, None, st.paid_h))
                continue
            b = st.unpaid_break
            lo, hi, step = parse_clock(b.earliest), parse_clock(b.latest), 15 * 60
            end = s0 + st.length_h * 3600 - b.length_min * 60
            for bs in range(lo, hi + 1, step):
                if s0 <= bs <= end:
                    cols.append(Column(i, s0, bs, st.paid_h))
    return cols


def coverage(cols: list[Column], shifts: ShiftsFile, slot_starts: np.ndarray, interval_s: int) -> np.ndarray:
    """cover[k, j]: the share of interval k (starting at slot_starts[k], s since midnight) column j works."""
    a = np.zeros((len(slot_starts), len(cols)))
    lo, hi = slot_starts, slot_starts + interval_s
    for j, c in enumerate(cols):
        st = shifts.shifts[c.shift]
        end = c.start_s + st.length_h * 3600
        work = np.clip(np.minimum(hi, end) - np.maximum(lo, c.start_s), 0, None)
        if c.break_s is not None:
            b_end = c.break_s + st.unpaid_break.length_min * 60
            work -= np.clip(np.minimum(hi, b_end) - np.maximum(lo, c.break_s), 0, None)
        a[:, j] = work / interval_s
    return a


# --------------------------------------------------------------------------- the integer program
@dataclass
class DayPlan:
    date: str
    columns: list[Column]
    counts: np.ndarray  # people per column
    required: np.ndarray  # agents at work needed per interval
    covered: np.ndarray  # agents at work per interval


def solve_day(
    shifts: ShiftsFile, weekday: str, date: str, slot_starts: np.ndarray, interval_s: int, required: np.ndarray
) -> DayPlan:
    """The least-paid-hours shift counts covering ``required`` agents at work in every interval."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    cols = columns_for(shifts, weekday)
    a = coverage(cols, shifts, slot_starts, interval_s)
    _check_coverable(shifts, cols, a, required, slot_starts, interval_s, date)
    if not cols:
        return DayPlan(date, cols, np.zeros(0, dtype=int), required, np.zeros(len(required)))
    n = len(cols)
    constraints = [LinearConstraint(a, lb=required, ub=np.inf)]
    for i, st in enumerate(shifts.shifts):
        member = np.array([1.0 if c.shift == i else 0.0 for c in cols])
        if member.sum() and (st.min_per_day or st.max_per_day is not None):
            ub = st.max_per_day if st.max_per_day is not None else np.inf
            constraints.append(LinearConstraint(member[None, :], lb=st.min_per_day, ub=ub))
    cost = np.array([c.paid_h for c in cols])
    res = milp(cost, constraints=constraints, integrality=np.ones(n), bounds=Bounds(0, np.inf))
    if res.status != 0 or res.x is None:
        raise ScenarioError([Problem("shifts", "", f"{date}: no shift plan covers the requirement ({res.message})")])
    counts = np.round(res.x).astype(int)
    return DayPlan(date, cols, counts, required, a @ counts)


def _check_coverable(shifts, cols, a, required, slot_starts, interval_s, date) -> None:
    """Name the intervals no plan can cover: no shift works then, or too few even at every maximum."""
    problems = []
    need = required > 0
    none = need & (a.sum(axis=1) <= 1e-9) if cols else need
    if none.any():
        problems.append(
            f"{date}: intervals {_ranges(slot_starts[none], interval_s)} cannot be covered: no shift works then"
        )
    caps = []
    for c in cols:
        st = shifts.shifts[c.shift]
        caps.append(st.max_per_day if st.max_per_day is not None else math.inf)
    if cols and all(math.isfinite(x) for x in caps):
        # each shift type's maximum, spread as generously as possible: an upper bound per interval
        best = np.zeros(len(required))
        for i, st in enumerate(shifts.shifts):
            member = [j for j, c in enumerate(cols) if c.shift == i]
            if member:
                best += a[:, member].max(axis=1) * st.max_per_day
        short = need & ~none & (best + 1e-9 < required)
        if short.any():
            worst = int(np.argmax(np.where(short, required - best, -np.inf)))
            problems.append(
                f"{date}: intervals {_ranges(slot_starts[short], interval_s)} cannot be covered: even with every "
                f"shift at its max_per_day at most {best[worst]:g} people work at {format_clock(slot_starts[worst])} "
                f"(needed {required[worst]:g})"
            )
    if problems:
        raise ScenarioError([Problem("shifts", "", p) for p in problems])


def _ranges(starts: np.ndarray, interval_s: int) -> str:
    out, run = [], [int(starts[0])]
    for s in starts[1:]:
        if int(s) == run[-1] + interval_s:
            run.append(int(s))
        else:
            out.append(run)
            run = [int(s)]
    out.append(run)
    return ", ".join(f"{format_clock(r[0])}-{format_clock(r[-1] + interval_s)}" for r in out)


def schedule(shifts: ShiftsFile, tl: Timeline, required_at_work: np.ndarray) -> list[DayPlan]:
    """Solve every open day of the timeline; ``required_at_work`` is per open interval."""
    plans, problems = [], []
    source = shifts.source
    for d in np.unique(tl.iv_day):
        idx = np.flatnonzero(tl.iv_day == d)
        date = tl.dates[d]
        try:
            plans.append(
                solve_day(shifts, WEEKDAYS[date.weekday()], date.isoformat(), tl.iv_slot[idx] * tl.interval_s,
                          tl.interval_s, required_at_work[idx])
            )
        except ScenarioError as exc:
            problems += [Problem(source, p.path, p.message) for p in exc.problems]
    if problems:
        raise ScenarioError(problems)
    return plans


def plan_table(shifts: ShiftsFile, plans: list[DayPlan]) -> pd.DataFrame:
    """One row per shift and start used on a day: people, their unpaid breaks, paid hours."""
    rows: dict[tuple, dict] = {}
    for p in plans:
        for c, n in zip(p.columns, p.counts):
            if n <= 0:
                continue
            st = shifts.shifts[c.shift]
            key = (p.date, c.shift, c.start_s)
            row = rows.setdefault(
                key,
                {
                    "date": p.date,
                    "shift": st.name,
                    "start": format_clock(c.start_s),
                    "end": format_clock(c.start_s + st.length_h * 3600),
                    "people": 0,
                    "paid_hours": 0.0,
                    "unpaid_breaks": [],
                },
            )
            row["people"] += int(n)
            row["paid_hours"] += float(n * c.paid_h)
            if c.break_s is not None:
                row["unpaid_breaks"].append(f"{int(n)}x{format_clock(c.break_s)}")
    out = [dict(r, unpaid_breaks=" ".join(r["unpaid_breaks"])) for _, r in sorted(rows.items())]
    return pd.DataFrame(out, columns=["date", "shift", "start", "end", "people", "paid_hours", "unpaid_breaks"])


__all__ = ["ShiftsFile", "load_shifts", "schedule", "solve_day", "plan_table", "coverage", "columns_for", "DAY_S"]
