"""Off-phone activities derived from the unit's rules ([activities]; DOMAIN.md).

Per advisor and month (README, "Off-phone activities"):

- **call review**: ``call_review_calls`` recorded calls (at least 3) listened to alone and again
  with the manager, then discussed: 2 x calls x mean talk time + ``call_review_discussion_min``
  (a recording holds talk time only). The manager spends calls x talk + discussion per advisor.
- **team listening**: every ``team_session_every_months`` months the team listens to
  ``team_session_calls`` calls together (45-50 per team at SKA) and discusses them: calls x
  talk + ``team_session_discussion_min``, attended by each advisor and the manager; per month
  that session / every_months.
- **one-to-one**: ``one_to_one_min_per_month`` with the manager.
- **training**: ``training_days_per_year`` / 12 days of fte_hours_per_week / 5 hours.
- **back office**: ``back_office_hours_per_week`` x working weeks per month (the month's norm /
  fte_hours_per_week), or ``back_office_hours_per_month``.

Manager time is per team (``team_size`` advisors) and is counted apart: it is not on the phones
and not in the advisors' paid hours. The month is one twelfth of the year's working-time norm
(calendar.month_norm_h; EE 2026: 2,004 / 12 = 167 h).

Without a roster the activities become one share of paid time, :func:`activity_share`, that
replaces the typed in-shift shares ``qa_sessions``, ``one_to_ones``, ``training`` and
``back_office`` in the shrinkage chain (never both; ``breaks`` and ``other`` stay). In the chain
an in-shift share is of the time at work, so the activities enter as activity_share / (1 -
absence): their hours are then exactly activity_share x paid hours on every weekday. With a
roster, roster.py places the blocks in the quietest intervals and the share is not applied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ska_sim.scenario.calendar import month_norm_h
from ska_sim.scenario.clock import WEEKDAYS

if TYPE_CHECKING:
    from ska_sim.scenario.model import Scenario

REPLACED_SHARES = ("qa_sessions", "one_to_ones", "training", "back_office")


@dataclass(frozen=True)
class ActivityNeed:
    name: str                      # "call review", "team listening", "one-to-one", "training", "back office"
    hours_per_advisor_month: float  # off the phones, per advisor on the roster
    block_min: int                 # one sitting, minutes, placed whole (e.g. 60)
    manager_hours_month: float     # the manager's time for it, per team (counted separately, not on the phones)


def review_talk_s(s: Scenario) -> float:
    """Mean talk time of a reviewed call: ``activities.talk_s``, else the call-type mix's mean talk."""
    a = s.activities
    if a is not None and a.talk_s is not None:
        return float(a.talk_s)
    return float(sum(w * ct.talk.build().mean for w, ct in zip(s.written_shares(), s.call_types)))


def _needs_with_rules(s: Scenario) -> list[tuple[ActivityNeed, str]]:
    a = s.activities
    if a is None:
        return []
    talk_min = review_talk_s(s) / 60
    day_h = s.shrinkage.fte_hours_per_week / 5
    out: list[tuple[ActivityNeed, str]] = []
    if a.call_review_calls > 0:
        own = a.call_review_calls * talk_min
        minutes = 2 * own + a.call_review_discussion_min
        out.append((ActivityNeed("call review", minutes / 60, math.ceil(minutes - 1e-9),
                                 a.team_size * (own + a.call_review_discussion_min) / 60),
                    f"2 x {a.call_review_calls} calls x {talk_min:.2f} min talk + {a.call_review_discussion_min:g} min "
                    f"discussion = {minutes:.1f} min a month; manager: {a.team_size} x ({own:.1f} + "
                    f"{a.call_review_discussion_min:g}) min"))
    if a.team_session_calls > 0:
        session = a.team_session_calls * talk_min + a.team_session_discussion_min
        per = session / a.team_session_every_months
        out.append((ActivityNeed("team listening", per / 60, math.ceil(session - 1e-9), per / 60),
                    f"({a.team_session_calls} calls x {talk_min:.2f} min + {a.team_session_discussion_min:g} min) = "
                    f"{session:.0f} min every {a.team_session_every_months} months; each advisor and the manager attend"))
    if a.one_to_one_min_per_month > 0:
        m = a.one_to_one_min_per_month
        out.append((ActivityNeed("one-to-one", m / 60, math.ceil(m - 1e-9), a.team_size * m / 60),
                    f"{m:g} min a month; manager: {a.team_size} x {m:g} min"))
    if a.training_days_per_year > 0:
        h = a.training_days_per_year / 12 * day_h
        out.append((ActivityNeed("training", h, round(day_h * 60), 0.0),
                    f"{a.training_days_per_year:g} days a year / 12 x {day_h:g} h"))
    if a.back_office_hours_per_week is not None and a.back_office_hours_per_week > 0:
        weeks = month_norm_h(s) / s.shrinkage.fte_hours_per_week
        out.append((ActivityNeed("back office", a.back_office_hours_per_week * weeks, a.back_office_block_min, 0.0),
                    f"{a.back_office_hours_per_week:g} h a week x {weeks:.2f} working weeks a month"))
    elif a.back_office_hours_per_month is not None and a.back_office_hours_per_month > 0:
        out.append((ActivityNeed("back office", a.back_office_hours_per_month, a.back_office_block_min, 0.0),
                    f"{a.back_office_hours_per_month:g} h a month"))
    return out


def activity_needs(s: Scenario) -> list[ActivityNeed]:
    """The activities' hours per advisor and month ([] when the scenario has no [activities])."""
    return [n for n, _ in _needs_with_rules(s)]


def advisor_month_paid_h(s: Scenario) -> float:
    """Paid hours of one advisor in a month: the month's working-time norm x fte_per_head."""
    return month_norm_h(s) * s.shrinkage.fte_per_head


def activity_share(s: Scenario) -> float:
    """The activities' hours as a share of paid time, spread evenly: hours per advisor and month
    / paid hours of an advisor in a month (0 without [activities])."""
    needs = activity_needs(s)
    if not needs:
        return 0.0
    paid = advisor_month_paid_h(s)
    return sum(n.hours_per_advisor_month for n in needs) / paid if paid > 0 else math.inf


def shrinkage_shares(s: Scenario, weekday: str, share: float | None = None) -> tuple[float, float]:
    """(in-shift share, absence share) of a weekday as the shrinkage chain uses them. With
    [activities] (and no roster placing them) the typed qa_sessions, one_to_ones, training and
    back_office are replaced by activity_share / (1 - absence). ``share``: a precomputed
    :func:`activity_share`. With a roster the typed shares are still replaced, and the share is
    not applied: the roster places the sittings."""
    in_shift, absence = s.shrinkage.shares(weekday)
    if s.activities is None:
        return in_shift, absence
    rostered = getattr(s, "roster", None) is not None  # the roster places the sittings: no share on top
    own = s.shrinkage.weekday.get(weekday)

    def get(name: str) -> float:
        v = getattr(own, name) if own is not None else None
        return (getattr(s.shrinkage, name) if v is None else v) or 0.0

    typed = sum(get(n) for n in REPLACED_SHARES)
    if rostered:
        return in_shift - typed, absence
    p = activity_share(s) if share is None else share
    return in_shift - typed + p / (1 - absence), absence


def activity_table(s: Scenario):
    """The arithmetic, one row per activity and a total: hours per advisor and month, per team
    (x team_size), the manager's hours per team and month, the sitting, and the rule."""
    import pandas as pd

    a = s.activities
    rows = []
    for n, rule in _needs_with_rules(s):
        rows.append({"activity": n.name, "hours_per_advisor_month": n.hours_per_advisor_month,
                     "hours_per_team_month": n.hours_per_advisor_month * a.team_size,
                     "manager_hours_per_team_month": n.manager_hours_month, "block_min": n.block_min, "rule": rule})
    if rows:
        total = sum(r["hours_per_advisor_month"] for r in rows)
        rows.append({"activity": "total", "hours_per_advisor_month": total, "hours_per_team_month": total * a.team_size,
                     "manager_hours_per_team_month": sum(r["manager_hours_per_team_month"] for r in rows),
                     "block_min": 0,
                     "rule": f"{total:.2f} h of {advisor_month_paid_h(s):.1f} paid h a month = {activity_share(s):.2%} "
                             "of paid time"})
    return pd.DataFrame(rows, columns=["activity", "hours_per_advisor_month", "hours_per_team_month",
                                       "manager_hours_per_team_month", "block_min", "rule"])


def activities_checks(s: Scenario) -> list[tuple[str, str]]:
    """The activities must leave time on the phones on every weekday."""
    if s.activities is None:
        return []
    share = activity_share(s)
    for day in WEEKDAYS:
        in_shift, absence = shrinkage_shares(s, day, share)
        if in_shift >= 1.0:
            return [("activities", f"{share:.1%} of paid time off the phones (with breaks and other shrinkage "
                                   f"{in_shift:.0%} of the time at work on {day}): nobody is left on the phones")]
    return []
