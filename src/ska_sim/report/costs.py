"""A plan's people and money in words and table rows (the figures are ``plan.plan``'s and ``plan.costs``'s)."""

from __future__ import annotations

import math

from ska_sim.plan.costs import money_of
from ska_sim.plan.plan import plan_people
from ska_sim.scenario.model import Scenario


def money_text(s: Scenario, fte_value: float, heads: float | None = None) -> str:
    """One sentence: the plan's euros a month and a year and how they were computed ('' without [costs])."""
    if s.costs is None or not math.isfinite(fte_value):
        return ""
    m = money_of(s, fte_value, heads)
    text = (f"Cost: {fte_value:.2f} FTE x {m['month_norm_hours']:.1f} h a month x {m['eur_per_paid_hour']:g} EUR/h = "
            f"{m['eur_per_month']:,.0f} EUR a month; x {m['year_norm_hours']:,.0f} h a year = {m['eur_per_year']:,.0f} EUR "
            "a year (the month and year norms of the scenario's calendar)")
    if "manager_hours_per_month" in m:
        text += (f"; managers' activity time apart: {m['teams']:.0f} teams x {m['manager_hours_per_month'] / max(m['teams'], 1):.1f}"
                 f" h = {m['manager_hours_per_month']:.1f} h a month")
        if m["manager_eur_per_month"] == m["manager_eur_per_month"]:
            text += f" ({m['manager_eur_per_month']:,.0f} EUR)"
    return text + "."


def _h(x: float) -> str:
    return "-" if x != x else f"{x:,.0f} h"


def people_text(s: Scenario, f: dict) -> str:
    """The plan's people (plan.plan_figures) in words, each figure saying what it counts, and its euros."""
    if f["paid_hours"] <= 0 and f["phone_hours"] <= 0:
        return ""
    fte_text = "-" if f["fte"] != f["fte"] else f"{f['fte']:.2f}"
    written = (f" (and {_h(f['written_dedicated_hours'])} of dedicated written work, paid and off the phones)"
               if f.get("written_dedicated_hours") else "")
    heads = "-" if f["heads"] != f["heads"] else f"{f['heads']:.0f}"
    norm = f"paid hours / {f['working_time_norm_hours']:g} h, the working-time norm of {f['window']}"
    if f.get("basis", "").startswith("roster"):
        text = (f"People ({f['plan']}; {f['window']}): {heads} heads (the people employed), paid their contracts: "
                f"{_h(f['contracted_paid_hours'])} paid (contracted hours of everyone employed, leave included) = "
                f"{fte_text} FTE ({norm}). Beside them: {_h(f['roster_worked_hours'])} rostered at work, "
                f"{_h(f['leave_hours'])} contracted on leave ({f['people_on_leave']:.0f} people), "
                f"{_h(f['contracted_hours_not_rostered'])} contracted hours not rostered (paid, not used; "
                f"{f['people_not_rostered']:.0f} people rostered on no day), {_h(f['rostered_hours_beyond_contract'])} "
                f"rostered beyond the contracts; {_h(f['phone_hours'])} on the phones{written} (everyone present; drawn "
                "absence comes off in the simulation).")
        if abs(f.get("chain_paid_hours", 0.0)) > 1e-9:
            text += (f" Agents beside the roster (shrinkage chain): {f['chain_paid_hours']:+,.0f} paid h; total "
                     f"{_h(f['paid_hours'])} paid.")
    else:
        text = (f"People ({f['plan']}; {f['window']}; shrinkage chain, the contracts the plan needs): "
                f"{_h(f['phone_hours'])} on the phones{written} -> {_h(f['hours_at_work'])} at work (in-shift shrinkage) -> "
                f"{_h(f['paid_hours'])} paid (absence; total shrinkage {f['shrinkage_total']:.1%}) -> {fte_text} FTE "
                f"({norm}) -> {heads} heads at {f['fte_per_head']:g} FTE per person.")
    money = money_text(s, f["fte"], f["heads"])
    return text + (f"\n{money}" if money else "")


def people_rows(scenarios: list[tuple[str, Scenario]]) -> tuple[list[str], list[list[str]]]:
    """One row per (label, scenario): its window, hours on the phones, at work and paid over it, its
    working-time norm per FTE, FTE, heads, euros."""
    people = [(label, plan_people(s)) for label, s in scenarios]
    money = any(p["eur_per_month"] == p["eur_per_month"] for _, p in people)
    written = any(p.get("written_dedicated_hours", 0.0) > 0 for _, p in people)  # dedicated written work somewhere
    head = ["scenario", "window", "paid as", "phone h", *(["written h"] if written else []), "at work h", "paid h",
            "FTE norm h", "FTE", "heads"]
    head += ["EUR/month", "EUR/year"] if money else []
    rows = []
    for label, p in people:
        cells = [label, p["window"], p["basis"], f"{p['phone_hours']:,.0f}",
                 *([f"{p.get('written_dedicated_hours', 0.0):,.0f}"] if written else []),
                 f"{p['hours_at_work']:,.0f}", f"{p['paid_hours']:,.0f}",
                 f"{p['working_time_norm_hours']:g}", "-" if p["fte"] != p["fte"] else f"{p['fte']:.1f}", "-" if p["heads"] != p["heads"] else f"{p['heads']:.0f}"]
        if money:
            cells += ["-" if p["eur_per_month"] != p["eur_per_month"] else f"{p['eur_per_month']:,.0f}",
                      "-" if p["eur_per_year"] != p["eur_per_year"] else f"{p['eur_per_year']:,.0f}"]
        rows.append(cells)
    return head, rows
