"""Requests in people and money (issue 9.6): the shrinkage chain of a plan in FTE, heads and euros.

Euros (README, "Costs"): a plan's paid hours over the measured window are FTE (paid hours /
the window's working-time norm, ``staffing.fte_of``); a month of that plan costs
FTE x the month's norm x ``costs.eur_per_paid_hour`` and a year FTE x the year's norm x the
rate, the norms under the scenario's calendar (calendar.month_norm_h, year_norm_h; EE 2026:
2,004 h a year, 167 h a month). So one Monday-Friday week with 400 paid hours at 20 EUR/h is
10 FTE, 10 x 167 h x 20 EUR = 33,400 EUR a month and 10 x 2,004 h x 20 EUR = 400,800 EUR a year.

Managers' time for the activities ([activities]) is counted apart: teams = ceil(heads /
team_size), manager hours a month = teams x the activities' manager hours per team, costed
at ``costs.manager_eur_per_hour`` when given.
"""

from __future__ import annotations

import math

from ska_sim.scenario.model import Scenario


def money_of(s: Scenario, fte_value: float, heads: float | None = None) -> dict[str, float]:
    """FTE (and heads) in hours and euros a month and a year; euros NaN without [costs]."""
    from ska_sim.scenario.activities import activity_needs
    from ska_sim.scenario.calendar import month_norm_h, year_norm_h

    month_h, year_h = month_norm_h(s), year_norm_h(s)
    rate = s.costs.eur_per_paid_hour if s.costs is not None else math.nan
    out = {
        "paid_hours_per_month": fte_value * month_h,
        "paid_hours_per_year": fte_value * year_h,
        "month_norm_hours": month_h,
        "year_norm_hours": year_h,
        "eur_per_paid_hour": rate,
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


def money_text(s: Scenario, fte_value: float, heads: float | None = None) -> str:
    """One sentence: the plan's euros a month and a year and how they were computed ('' without [costs])."""
    if s.costs is None or not math.isfinite(fte_value):
        return ""
    m = money_of(s, fte_value, heads)
    text = (f"Cost: {fte_value:.2f} FTE x {m['month_norm_hours']:.1f} h a month x {m['eur_per_paid_hour']:g} EUR/h = "
            f"{m['eur_per_month']:,.0f} EUR a month; x {m['year_norm_hours']:g} h a year = {m['eur_per_year']:,.0f} EUR "
            "a year (the month and year norms of the scenario's calendar)")
    if "manager_hours_per_month" in m:
        text += (f"; managers' activity time apart: {m['teams']:.0f} teams x {m['manager_hours_per_month'] / max(m['teams'], 1):.1f}"
                 f" h = {m['manager_hours_per_month']:.1f} h a month")
        if m["manager_eur_per_month"] == m["manager_eur_per_month"]:
            text += f" ({m['manager_eur_per_month']:,.0f} EUR)"
    return text + "."


def plan_people(s: Scenario) -> dict[str, float]:
    """A scenario's own staffing plan as people and money: the shrinkage chain over the measured
    window (staffing.fte: phones -> at work -> paid -> FTE -> heads) and, with [costs], euros."""
    from ska_sim.plan.staffing import fte, shrinkage_table
    from ska_sim.scenario.timeline import build_timeline

    tl = build_timeline(s)
    f = fte(s, shrinkage_table(s, tl, tl.iv_agents)[tl.iv_measured()], tl.interval_s)
    m = money_of(s, f["fte"], f["heads"])
    return {**f, "eur_per_month": m["eur_per_month"], "eur_per_year": m["eur_per_year"]}


def people_rows(scenarios: list[tuple[str, Scenario]]) -> tuple[list[str], list[list[str]]]:
    """One row per (label, scenario): hours on the phones, at work, paid; FTE; heads; euros."""
    people = [(label, plan_people(s)) for label, s in scenarios]
    money = any(p["eur_per_month"] == p["eur_per_month"] for _, p in people)
    head = ["scenario", "phone h", "at work h", "paid h", "FTE", "heads"] + (["EUR/month", "EUR/year"] if money else [])
    rows = []
    for label, p in people:
        cells = [label, f"{p['phone_hours']:,.0f}", f"{p['hours_at_work']:,.0f}", f"{p['paid_hours']:,.0f}",
                 "-" if p["fte"] != p["fte"] else f"{p['fte']:.1f}", "-" if p["heads"] != p["heads"] else f"{p['heads']:.0f}"]
        if money:
            cells += ["-" if p["eur_per_month"] != p["eur_per_month"] else f"{p['eur_per_month']:,.0f}",
                      "-" if p["eur_per_year"] != p["eur_per_year"] else f"{p['eur_per_year']:,.0f}"]
        rows.append(cells)
    return head, rows
