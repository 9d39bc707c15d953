"""The plan's written hours: a dedicated kind's agents are paid time off the phones. Phone
hours exclude them and the plan shows them as their own figure (plan.off_phones, used by
every command); paid hours, FTE, heads and euros stay, the same people. Checked by hand."""

from __future__ import annotations

import math

import numpy as np

from helpers import small_roster, solved_roster
from ska_sim import scenario_from_dict
from ska_sim.plan.plan import group_figures, plan_figures, plan_people, scenario_plan
from ska_sim.report.costs import people_text
from ska_sim.scenario.roster import attach
from ska_sim.scenario.timeline import build_timeline


def letters(agents: int = 2, **dedicated) -> dict:
    return {"name": "letters", "daily_items": 10, "handling": {"dist": "exponential", "mean_s": 1200},
            "deadline_days": 2, "dedicated": {"agents": agents, "hours": ["13:00", "17:00"], **dedicated}}


def office(written: list | None = None, agents: int = 5) -> dict:
    """Monday-Friday 09:00-17:00 in hourly intervals, one week, ``agents`` on the phones, [costs]."""
    d = small_roster([{"name": "p", "count": 6}])
    d.pop("roster")
    d["staffing"] = {"agents": {"default": [agents] * 8}}
    d["costs"] = {"eur_per_paid_hour": 13}
    if written is not None:
        d["written"] = written
    return d


def test_two_agents_dedicated_four_hours_on_five_days_are_40_written_hours_off_the_phones():
    plain = plan_people(scenario_from_dict(office()))
    both = plan_people(scenario_from_dict(office([letters()])))
    assert "written_dedicated_hours" not in plain
    assert both["written_dedicated_hours"] == 40.0  # 2 agents x 4 h (13:00-17:00) x 5 days
    assert plain["phone_hours"] == 5 * 8 * 5 and both["phone_hours"] == plain["phone_hours"] - 40
    for key in ("hours_at_work", "paid_hours", "fte", "heads", "eur_per_month", "eur_per_year"):
        assert math.isclose(both[key], plain[key]), key  # the same people, paid the same
    assert both["shrinkage_total"] > plain["shrinkage_total"]  # more of the paid time is off the phones
    assert "160 h on the phones (and 40 h of dedicated written work, paid and off the phones)" in people_text(
        scenario_from_dict(office([letters()])), both)


def test_a_kind_takes_no_more_agents_than_are_there():
    # 10 dedicated of 5 agents: the engine takes the 5 there (phone_agents), so 5 x 4 h x 5 days
    f = plan_people(scenario_from_dict(office([letters(agents=10)])))
    assert f["written_dedicated_hours"] == 100.0 and f["phone_hours"] == 200 - 100


def test_a_rostered_plan_takes_the_written_hours_off_its_phones_too():
    s, tl, plan = solved_roster()  # 6 people covering 3 agents 09:00-17:00
    d = small_roster([{"name": "p", "count": 6}])
    d["written"] = [letters(agents=1)]
    sw = attach(scenario_from_dict(d), plan)
    base = plan_figures(attach(s, plan), tl, scenario_plan(attach(s, plan), tl))
    f = plan_figures(sw, tl, scenario_plan(sw, tl))
    on = scenario_plan(sw, tl).agents  # everyone present, per interval
    m = tl.iv_measured()
    pm = (tl.iv_slot >= 13) & (tl.iv_slot < 17) & m  # hourly slots 13..16
    assert f["written_dedicated_hours"] == float(np.minimum(on[pm], 1).sum())
    assert f["written_dedicated_hours"] > 0 and f["phone_hours"] == base["phone_hours"] - f["written_dedicated_hours"]
    assert f["paid_hours"] == base["paid_hours"] and f["fte"] == base["fte"]


def test_with_groups_the_written_hours_are_the_dedicated_groups():
    d = office([letters(group="gb")])
    d.pop("staffing")
    d["groups"] = [{"name": "ga", "agents": {"default": [3] * 8}}, {"name": "gb", "agents": {"default": [2] * 8}}]
    s = scenario_from_dict(d)
    tl = build_timeline(s)
    g = group_figures(s, tl, scenario_plan(s, tl)).set_index("group")
    assert g.loc["ga", "written_dedicated_hours"] == 0 and g.loc["gb", "written_dedicated_hours"] == 40
    assert g.loc["gb", "phone_hours"] == 2 * 8 * 5 - 40 and g.loc["total", "written_dedicated_hours"] == 40
    assert g.loc["total", "phone_hours"] == g.loc["ga", "phone_hours"] + g.loc["gb", "phone_hours"]


def test_staff_shows_the_written_hours_of_every_plan_and_its_chain():
    from ska_sim.plan.staffing import plan_staffing
    from ska_sim.report.text import plans_table

    d = office([letters()])
    d["targets"] = {"service_level": {"threshold_s": 20, "share": 0.8}, "written_on_time": 0.9}
    st = plan_staffing(scenario_from_dict(d), replications=2)
    n = st.plan_scenario.written[0].dedicated.agents  # the dedicated agents found
    rows = st.comparison.set_index("plan")
    assert rows.loc["today", "written_dedicated_hours"] == 40.0  # the file's 2 x 4 h x 5 days
    key = st.recommended.replace(" ", "_")
    agents_h = float(st.plans[key].agents[build_timeline(st.scenario).iv_measured()].sum())
    assert rows.loc[st.recommended, "written_dedicated_hours"] == n * 4 * 5
    assert rows.loc[st.recommended, "phone_hours"] == agents_h - n * 20
    assert st.fte["written_dedicated_hours"] == n * 20 and st.fte["phone_hours"] == agents_h - n * 20
    head = plans_table(st.comparison)[0]
    assert head.index("phone h") < head.index("written h") < head.index("paid h")
