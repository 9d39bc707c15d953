"""A roster as text and HTML: person x day tables per week, the `staff --roster` summary, and
the report's roster section. Computes nothing: the roster and its coverage come from
:mod:`ska_sim.plan.roster` and :mod:`ska_sim.scenario.roster`."""

from __future__ import annotations

import datetime as dt

import html
from typing import TYPE_CHECKING

import pandas as pd

from ska_sim.report.text import staffing_text
from ska_sim.scenario.clock import WEEKDAYS, format_clock
from ska_sim.scenario.roster import RosterPlan
from ska_sim.scenario.roster_agents import mean_absence

if TYPE_CHECKING:
    from ska_sim.plan.roster import RosterResult
    from ska_sim.scenario.model import Scenario


def e(text) -> str:
    """Text escaped for HTML (as report.html's ``e``; report.html imports this module)."""
    return html.escape(str(text), quote=True)


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


def roster_text(rr: RosterResult) -> str:
    """`staff --roster` on the terminal: the staffing summary, the roster's size and solve, its weeks
    as person x day, and warnings about short intervals and unplaced activities."""
    plan = rr.plan
    info = plan.info
    lines = [staffing_text(rr.staffing), "", f"Roster: {info['people']} {'person' if info['people'] == 1 else 'people'} "
             f"over {rr.weeks} week(s), {info['paid_hours']:,.1f} h in rostered shifts (the shifts' paid hours; "
             f"people are paid their contracts, see the plan's figures) (integer program: {info['binaries']} binaries, "
             f"{info['constraints']} constraints, {info['solve_s']:.1f} s, {info['status']})"]
    if info.get("forced_hours", 0) > 0.5:
        lines.append(f"The contracts force {info['forced_hours']:,.0f} paid hours at work beyond the requirement: "
                     f"{info['forced_rule']} (without that rule the roster's shifts hold {info['forced_hours']:,.0f} h "
                     f"fewer, counting hours outside opening hours; within opening hours the roster has "
                     f"{info['surplus_hours_at_work']:,.0f} h at work beyond the requirement of "
                     f"{info['required_hours_at_work']:,.0f} h)")
    elif info.get("surplus_hours_at_work", 0) > 0.5:
        lines.append(f"{info['surplus_hours_at_work']:,.0f} h at work in open intervals beyond the requirement of "
                     f"{info['required_hours_at_work']:,.0f} h (shift lengths and starts); no contract rule forces more")
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


def roster_html(s: Scenario, result=None, weeks_shown: int = 2) -> str:
    """The report's roster section: people, paid hours, absence and the days meeting the
    targets, and the first weeks as person x day (the whole roster is roster.csv)."""
    plan: RosterPlan = s.roster.plan
    worked = plan.worked()
    p = mean_absence(s) if s.roster.people else s.roster.absence_probability
    first = s.calendar.start
    last = first + dt.timedelta(days=s.calendar.days - 1)
    in_window = [d for d in worked if first <= d.date <= last]
    lines = [f"<p>{len(plan.people)} people rostered over {len(plan.dates)} days ({plan.dates[0]} to "
             f"{plan.dates[-1]}{', repeated over every simulated day' if s.roster.repeat else ''}): "
             f"{len(worked):,} shifts holding {sum(d.paid_h for d in worked):,.1f} h (the shifts' paid hours; "
             f"people are paid their contracts, see the people and money above), "
             f"{sum(d.paid_h for d in in_window):,.1f} h of them in the measured window ({first} to {last}); "
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
    weeks = week_tables(plan)
    shown = [w for w, wk in zip(weeks, range(0, len(plan.dates), 7))
             if plan.dates[wk] <= last and plan.dates[min(wk + 6, len(plan.dates) - 1)] >= first]
    for title, df in (shown or weeks)[:weeks_shown]:  # the weeks of the measured window (else the first)
        head = "".join(f"<th>{e(c)}</th>" for c in ["person", *df.columns])
        body = "".join("<tr><td>" + e(person) + "</td>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>"
                       for person, row in df.iterrows())
        lines.append(f"<h3>{e(title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    lines.append("<p class='note'>'*': a shift with an off-phone activity; '-': not employed that week. Breaks and "
                 "activities per person and day are in roster.csv.</p>")
    return "".join(lines)
