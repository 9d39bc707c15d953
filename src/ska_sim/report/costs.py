"""A plan's people and money in words and table rows (the figures are ``plan.costs``'s)."""

from __future__ import annotations

import math

from ska_sim.plan.costs import money_of, plan_people
from ska_sim.scenario.model import Scenario


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


def people_rows(scenarios: list[tuple[str, Scenario]]) -> tuple[list[str], list[list[str]]]:
    """One row per (label, scenario): its window, hours on the phones, at work and paid over it, its
    working-time norm per FTE, FTE, heads, euros."""
    people = [(label, plan_people(s)) for label, s in scenarios]
    money = any(p["eur_per_month"] == p["eur_per_month"] for _, p in people)
    head = ["scenario", "window", "phone h", "at work h", "paid h", "FTE norm h", "FTE", "heads"]
    head += ["EUR/month", "EUR/year"] if money else []
    rows = []
    for label, p in people:
        cells = [label, p["window"], f"{p['phone_hours']:,.0f}", f"{p['hours_at_work']:,.0f}", f"{p['paid_hours']:,.0f}",
                 f"{p['working_time_norm_hours']:g}", "-" if p["fte"] != p["fte"] else f"{p['fte']:.1f}", "-" if p["heads"] != p["heads"] else f"{p['heads']:.0f}"]
        if money:
            cells += ["-" if p["eur_per_month"] != p["eur_per_month"] else f"{p['eur_per_month']:,.0f}",
                      "-" if p["eur_per_year"] != p["eur_per_year"] else f"{p['eur_per_year']:,.0f}"]
        rows.append(cells)
    return head, rows
