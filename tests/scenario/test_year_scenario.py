"""scenarios/year-2026.toml: it validates, its calendar is Estonia's 2026, its
[workforce] gives heads per month, and a short window of it runs."""

from __future__ import annotations

import datetime as dt

from ska_sim import load_scenario
from ska_sim.sim.runner import simulate
from ska_sim.plan.people import working_days, working_time_norm_h
from ska_sim.scenario.timeline import build_timeline
from ska_sim.plan.workforce import month_plan
from conftest import ROOT

YEAR = ROOT / "scenarios" / "year-2026.toml"


def test_the_year_validates_with_the_estonian_calendar():
    s = load_scenario(YEAR)
    assert s.calendar.start == dt.date(2026, 1, 1) and s.calendar.days == 365
    # 2026 in Estonia: 252 working days, 4 shortened by 3 h: 252 x 8 - 4 x 3 = 2,004 h (ISSUE-NOTES)
    assert len(working_days(s)) == 252
    assert working_time_norm_h(s) == 2004
    assert s.workforce is not None and s.workforce.hires
    # a roster (the year's file, within the rest rules), absences drawn, activities from rules, events
    from ska_sim.scenario.roster import rest_violations

    plan = s.roster.plan
    assert plan is not None and len(plan.people) == 56 and s.roster.absence_probability > 0
    tl = build_timeline(s)  # every open day simulated (the warm-up's too) is on the roster
    assert plan.dates[0] <= tl.dates[int(tl.iv_day[0])]
    assert plan.dates[-1] >= dt.date(2026, 12, 31)
    assert rest_violations(plan) == []
    assert s.activities is not None and s.activities.call_review_calls >= 3
    assert {e.rule for e in s.arrivals.events} == {"monthly", "after_holiday", "range"}
    text = YEAR.read_text()
    assert "ASSUMED" in text and "SOURCED" in text


def test_a_short_window_of_the_year_runs():
    # Wed 1 to Fri 3 April 2026: the pension indexation's first days; Friday 3 April is Good
    # Friday (a public holiday): 2 open days, each busier than an ordinary one (factor 1.6)
    s = load_scenario(YEAR, ["calendar.start=2026-04-01", "calendar.days=3", "calendar.warmup_days=2"])
    r = simulate(s, replications=2)
    assert r.days["date"].tolist() == ["2026-04-01", "2026-04-02"]
    assert r.kpi("offered") > 2 * 1000 * 1.3
    assert 0 < r.kpi("service_level") <= 1


def test_the_years_heads_are_the_rosters_people():
    """The year's roster file covers all of 2026, so a month's heads are the roster's people
    employed that month (56); the [[workforce.hires]] cohorts start within the roster's dates and
    are not in its file, so they are not counted (workforce and plan-hiring warn about them)."""
    s = load_scenario(YEAR)
    mp = month_plan(s, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert mp.flow == {"heads_start": 56.0, "hires": 0.0, "leavers": 0.0, "heads_end": 56.0}
    assert mp.heads_training == 0
    assert [h.start for h in s.workforce.hires] and all(h.start <= dt.date(2026, 12, 31) for h in s.workforce.hires)
