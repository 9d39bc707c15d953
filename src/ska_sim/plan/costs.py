"""Requests in people and money: the shrinkage chain of a plan in FTE, heads and euros.

Euros (README, "Costs"): a plan's paid hours over the measured window are FTE (paid hours /
the window's working-time norm, ``people.fte_of``); a month of that plan costs
FTE x the month's norm x ``costs.eur_per_paid_hour`` and a year FTE x the year's norm x the
rate, the norms under the scenario's calendar (calendar.month_norm_h, year_norm_h; EE 2026:
2,004 h a year, 167 h a month) and an ordinary week FTE x ``fte_hours_per_week`` x the rate. So one
Monday-Friday week with 400 paid hours at 20 EUR/h is 10 FTE, 10 x 40 h x 20 EUR = 8,000 EUR a week,
10 x 167 h x 20 EUR = 33,400 EUR a month and 10 x 2,004 h x 20 EUR = 400,800 EUR a year.

Managers' time for the activities ([activities]) is counted apart: teams = ceil(heads /
team_size), manager hours a month = teams x the activities' manager hours per team, costed
at ``costs.manager_eur_per_hour`` when given.
"""

from __future__ import annotations

import math

from ska_sim.scenario.activities import activity_needs
from ska_sim.scenario.calendar import month_norm_h, year_norm_h
from ska_sim.scenario.model import Scenario


def money_of(s: Scenario, fte_value: float, heads: float | None = None) -> dict[str, float]:
    """FTE (and heads) in hours and euros a month and a year; euros NaN without [costs]."""
    month_h, year_h = month_norm_h(s), year_norm_h(s)
    rate = s.costs.eur_per_paid_hour if s.costs is not None else math.nan
    out = {
        "paid_hours_per_month": fte_value * month_h,
        "paid_hours_per_year": fte_value * year_h,
        "month_norm_hours": month_h,
        "year_norm_hours": year_h,
        "eur_per_paid_hour": rate,
        # an ordinary Monday-Friday week of that plan: FTE x fte_hours_per_week x rate
        "eur_per_week": fte_value * s.shrinkage.fte_hours_per_week * rate,
        "eur_per_month": fte_value * month_h * rate,
        "eur_per_year": fte_value * year_h * rate,
    }
    if s.activities is not None and heads is not None and math.isfinite(heads):
        teams = math.ceil(heads / s.activities.team_size - 1e-9)
        per_team = sum(n.manager_hours_month for n in activity_needs(s))
        mrate = s.costs.manager_eur_per_hour if s.costs is not None and s.costs.manager_eur_per_hour else math.nan
        out.update({"teams": float(teams), "manager_hours_per_month": teams * per_team,
                    "manager_eur_per_month": teams * per_team * mrate})
    return out
