"""The plan's people per agent group (plan.group_figures) and a rostered scenario whose dates
have their own [staffing.dates] grid (plan.scenario_plan), checked by hand on small rosters."""

from __future__ import annotations

import numpy as np
import pytest

from ska_sim import scenario_from_dict
from ska_sim.plan.plan import group_figures, plan_figures, plan_people, scenario_plan
from ska_sim.plan.roster import solve_roster
from ska_sim.scenario.roster import attach
from ska_sim.scenario.timeline import build_timeline

from helpers import roster_shifts, small_roster, solved_roster


def _grouped_roster():
    """4 people of line a (30 h contracts) answer for group first, 3 of line b (full time) for second."""
    d = small_roster([{"name": "a", "count": 4, "group": "first", "hours_per_week": 30},
                      {"name": "b", "count": 3, "group": "second"}])
    d["call_types"] = [{"name": "x", "share": 0.6, "talk": {"dist": "exponential", "mean_s": 240}, "resolved": 1.0},
                       {"name": "y", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 240}, "resolved": 1.0}]
    d.pop("staffing")
    d["groups"] = [{"name": "first", "call_types": ["x"], "agents": {"default": [2] * 8}},
                   {"name": "second", "call_types": ["y"], "agents": {"default": [1] * 8}}]
    s = scenario_from_dict(d)
    tl = build_timeline(s)
    req = np.zeros((len(tl.iv_day), 2))
    req[tl.iv_measured(), 0], req[tl.iv_measured(), 1] = 2, 1
    return attach(s, solve_roster(s, roster_shifts(), tl, req, 1))


def test_a_rostered_group_is_paid_its_peoples_contracts():
    s = _grouped_roster()
    tl = build_timeline(s)
    plan = scenario_plan(s, tl)
    t = group_figures(s, tl, plan).set_index("group")
    # one Monday-Friday week, norm 40 h: first 4 x 30 h, second 3 x 40 h
    assert t.loc["first", "paid_hours"] == 4 * 30 and t.loc["first", "fte"] == 3 and t.loc["first", "heads"] == 4
    assert t.loc["second", "paid_hours"] == 3 * 40 and t.loc["second", "heads"] == 3
    assert set(t["basis"]) == {"roster contracts"}
    total = plan_figures(s, tl, plan)
    assert t.loc["total", "paid_hours"] == total["paid_hours"] == 240 and t.loc["total", "heads"] == total["heads"] == 7
    assert t.loc[["first", "second"], "paid_hours"].sum() == pytest.approx(total["paid_hours"])
    assert t.loc[["first", "second"], "phone_hours"].sum() == pytest.approx(total["phone_hours"])


def test_staff_groups_table_total_is_the_plans_row():
    """staff's per-group table: its total row is the plan's figures (the table of plans' row)."""
    from ska_sim.plan.staffing_groups import plan_staffing_groups
    d = small_roster([{"name": "p", "count": 1}])
    d.pop("roster")
    d["call_types"] = [{"name": "x", "share": 0.5, "talk": {"dist": "exponential", "mean_s": 240}, "resolved": 1.0},
                       {"name": "y", "share": 0.5, "talk": {"dist": "exponential", "mean_s": 240}, "resolved": 1.0}]
    d.pop("staffing")
    d["shrinkage"] = {"breaks": 0.1, "absence": 0.1}
    d["groups"] = [{"name": "gx", "call_types": ["x"], "agents": {"default": [2] * 8}},
                   {"name": "gy", "call_types": ["y"], "agents": {"default": [1] * 8}}]
    st = plan_staffing_groups(scenario_from_dict(d), replications=1, seed=3)
    for plan, rows in st.group_fte.groupby("plan"):
        row = st.comparison.set_index("plan").loc[plan]
        total = rows.set_index("group").loc["total"]
        for k in ("paid_hours", "fte", "heads"):
            assert total[k] == pytest.approx(row[k], rel=1e-12), (plan, k)
        parts = rows[rows["group"] != "total"]
        assert parts["paid_hours"].sum() == pytest.approx(total["paid_hours"])
    today = st.group_fte[st.group_fte["plan"] == "today"].set_index("group")
    # 2 agents x 40 h / 0.9 / 0.9 = 98.77 h: 2.47 FTE, 3 heads; 1 agent: 1.23 FTE, 2 heads; total 3.70 FTE, 4 heads
    assert today.loc["gx", "paid_hours"] == pytest.approx(80 / 0.81) and today.loc["gx", "heads"] == 3
    assert today.loc["gy", "heads"] == 2 and today.loc["total", "heads"] == 4


def _override(agents: list[int]):
    _, _, plan = solved_roster()
    d = small_roster([{"name": "p", "count": 6}])
    d["staffing"]["dates"] = {"2026-03-04": agents}
    return attach(scenario_from_dict(d), plan)


def test_a_dates_own_grid_on_a_roster_is_priced_as_its_difference_from_the_roster():
    """The solved roster: 6 full-timers (240 h of contracts in the week); on Wednesday it puts
    6, 6, 6, 3, 6, 6, 6, 6 agents on the phones (45 agent-hours; 3 in the lunch hour)."""
    s = _override([5] * 8)
    tl = build_timeline(s)
    wed = np.array([str(tl.dates[d]) == "2026-03-04" for d in tl.iv_day])
    assert list(tl.iv_agents[wed]) == [5] * 8  # the date's grid replaces the roster on the phones
    plain = attach(scenario_from_dict(small_roster([{"name": "p", "count": 6}])), s.roster.plan)
    assert list(build_timeline(plain).iv_agents[wed]) == [6, 6, 6, 3, 6, 6, 6, 6]
    f = plan_people(s)
    # contracts 240 h, plus (40 - 45) agent-hours by the chain (no shrinkage here): 235 h
    assert f["paid_hours"] == 235 and f["fte"] == 235 / 40 and f["heads"] == 6
    assert f["contracted_paid_hours"] == 240 and f["chain_paid_hours"] == -5
    assert "1 date(s) of their own [staffing.dates] grid" in f["plan"]
    more = plan_people(_override([8] * 8))  # 64 - 45 = 19 agent-hours beyond the roster: 259 h, 7 heads
    assert more["paid_hours"] == 259 and more["heads"] == 6 + 1
    same = plan_people(_override([6, 6, 6, 3, 6, 6, 6, 6]))  # the roster's own grid: its contracts only
    assert same["paid_hours"] == 240 and same["chain_paid_hours"] == 0
