"""The plan's people: agents on the phones -> at work (in-shift shrinkage) -> paid (absence) ->
FTE (paid hours / the window's working-time norm) -> heads. One figure, one function: every
command takes FTE, paid hours and heads from here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ska_sim.scenario.activities import activity_share, shrinkage_shares
from ska_sim.scenario.calendar import shortened_working_days, window_days
from ska_sim.scenario.calendar import working_days as calendar_working_days
from ska_sim.scenario.clock import WEEKDAYS, format_clock
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.timeline import Timeline


def shrinkage_table(s: Scenario, tl: Timeline, agents: np.ndarray) -> pd.DataFrame:
    """Agents on the phones -> agents at work (in-shift shrinkage) -> paid agents (absence), per interval."""
    weekdays = [WEEKDAYS[tl.dates[d].weekday()] for d in tl.iv_day]

    share = activity_share(s) if s.activities is not None else None  # [activities] replace typed shares
    per_day = {w: shrinkage_shares(s, w, share) for w in set(weekdays)}
    in_shift = np.array([per_day[w][0] for w in weekdays])
    absence = np.array([per_day[w][1] for w in weekdays])
    at_work = agents / (1 - in_shift)
    paid = at_work / (1 - absence)
    return pd.DataFrame(
        {
            "date": [tl.dates[d].isoformat() for d in tl.iv_day],
            "weekday": weekdays,
            "time": [format_clock(x * tl.interval_s) for x in tl.iv_slot],
            "agents_on_phones": agents,
            "in_shift_shrinkage": in_shift,
            "agents_at_work": at_work,
            "absence": absence,
            "agents_paid": paid,
        }
    )


def working_days(s: Scenario) -> list:
    """The working days of the measured window: Monday to Friday, less the closed dates
    (``calendar.closed`` lists public holidays). Weekends count as no working day even when
    the line is open then: the working-time norm of a full-time advisor is per calendar week.
    With ``calendar.country`` its public holidays are no working days either (calendar.py)."""
    return calendar_working_days(s)


def working_time_norm_h(s: Scenario) -> float:
    """Paid hours of one full-time equivalent over the measured window: ``fte_hours_per_week``
    / 5 per working day (40 h in an ordinary Monday-Friday week; 80 h in two), less
    ``calendar.shortened_by_h`` for each shortened working day (``calendar.shortened``; EE §53:
    the week of 23 February 2026 has 4 working days and one shortened: 4 x 8 - 3 = 29 h)."""
    days = working_days(s)
    shortened = shortened_working_days(s)  # calendar.shortened, and the country's pre-holiday days
    return len(days) * s.shrinkage.fte_hours_per_week / 5 - len(shortened) * s.calendar.shortened_by_h


def window_label(s: Scenario) -> str:
    """The measured window in words: "week of 23 Feb 2026" (Monday to Sunday), "23 Feb 2026"
    (one day), "2026" (a calendar year), else "23 Feb - 1 Mar 2026"."""
    days = [d.date for d in window_days(s)]
    if not days:
        return "no measured day"
    first, last = days[0], days[-1]

    def day(d) -> str:
        return f"{d.day} {d:%b %Y}"

    if len(days) == 1:
        return day(first)
    if len(days) == 7 and first.weekday() == 0:
        return f"week of {day(first)}"
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31) and first.year == last.year:
        return str(first.year)
    if first.year == last.year:
        return f"{first.day} {first:%b} - {day(last)}"
    return f"{day(first)} - {day(last)}"


def window_norm(s: Scenario) -> dict:
    """The measured window and its working-time norm, as every command labels its hours:
    ``window`` (its name), ``days`` (calendar days), ``working_days``, ``shortened_days``,
    ``working_time_norm_hours`` (paid hours of one FTE over the window: 29 h in the week of
    23 February 2026), ``fte_hours_per_week`` (the norm of an ordinary Monday-Friday week) and
    ``label`` ("week of 23 Feb 2026: norm 29 h per FTE")."""
    norm = working_time_norm_h(s)
    name = window_label(s)
    return {"window": name, "days": s.calendar.days, "working_days": len(working_days(s)),
            "shortened_days": len(shortened_working_days(s)), "working_time_norm_hours": norm,
            "fte_hours_per_week": s.shrinkage.fte_hours_per_week, "label": f"{name}: norm {norm:g} h per FTE"}


def per_ordinary_week(s: Scenario, hours: float) -> float:
    """``hours`` of the window as a rate per ordinary Monday-Friday week: hours x
    ``fte_hours_per_week`` / the window's norm (the week of 23 February 2026, norm 29 h: 29 paid
    hours are 40 per ordinary week). The one per-week rate every command uses; NaN without a
    working day."""
    norm = working_time_norm_h(s)
    return hours * s.shrinkage.fte_hours_per_week / norm if norm > 0 else math.nan


def fte_of(s: Scenario, paid_hours: float) -> float:
    """Full-time equivalents of ``paid_hours`` paid over the measured window: paid hours / the
    window's working-time norm. The one definition every command uses; NaN without a working day."""
    norm = working_time_norm_h(s)
    return paid_hours / norm if norm > 0 else math.nan


def heads_of(s: Scenario, fte_value: float) -> float:
    """People needed for ``fte_value`` FTE at ``shrinkage.fte_per_head`` FTE per person, rounded up."""
    if not math.isfinite(fte_value):
        return math.nan
    return float(math.ceil(fte_value / s.shrinkage.fte_per_head - 1e-9))


def paid_hours_of(s: Scenario, tl: Timeline, agents: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Paid hours of agents on the phones per interval: / (1 - in-shift shrinkage) / (1 - absence)."""
    table = shrinkage_table(s, tl, agents)
    paid = table["agents_paid"].to_numpy()
    if mask is not None:
        paid = paid[mask]
    return float(paid.sum() * tl.interval_s / 3600)


def fte(s: Scenario, table: pd.DataFrame, interval_s: int) -> dict[str, float]:
    """The shrinkage chain of a plan over the measured window: hours on the phones -> hours at
    work -> paid hours -> FTE (paid hours / the window's working-time norm) -> heads.

    ``table`` is a :func:`shrinkage_table` of the measured intervals. Check by hand: one
    Monday-Friday week, FTE = paid hours / 40.
    """
    h = interval_s / 3600
    return chain(s, float(table["agents_on_phones"].sum() * h), float(table["agents_at_work"].sum() * h),
                 float(table["agents_paid"].sum() * h))


def chain(s: Scenario, phones: float, work: float, paid: float) -> dict[str, float]:
    """The shrinkage chain from its hours: phone, at work, paid -> FTE and heads (see :func:`fte`)."""
    norm = working_time_norm_h(s)
    value = fte_of(s, paid)
    return {
        "phone_hours": phones,
        "hours_at_work": work,
        "paid_hours": paid,
        "window": window_label(s),
        "working_days": float(len(working_days(s))),
        "shortened_days": float(len(shortened_working_days(s))),
        "working_time_norm_hours": norm,
        "paid_hours_per_ordinary_week": per_ordinary_week(s, paid),
        "fte": value,
        "fte_hours_per_week": s.shrinkage.fte_hours_per_week,
        "heads": heads_of(s, value),
        "fte_per_head": s.shrinkage.fte_per_head,
        "shrinkage_total": 1 - phones / paid if paid > 0 else 0.0,
    }
