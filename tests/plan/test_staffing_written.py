"""`staff` and `marginal` with written work: a dedicated kind's agents by the M/M/c known
answer, the recommended plan meeting both targets in its own simulation, the dedicated agents
paid as the plan's, blended kinds raising the plan's agents, marginal's written columns moving
the right way, and a scenario without [[written]] planned as before."""

from __future__ import annotations

import math

import numpy as np

from helpers import mmc_dict

from ska_sim import scenario_from_dict, simulate
from ska_sim.maths.erlang import erlang_c
from ska_sim.plan.marginal import marginal
from ska_sim.plan.plan import agents_plan, plan_figures
from ska_sim.plan.staffing import plan_staffing
from ska_sim.plan.staffing_written import calls_scenario, dedicated_load
from ska_sim.scenario.clock import DAY_S
from ska_sim.scenario.timeline import build_timeline
from ska_sim.report.text import marginal_text

H = 3600.0


def letters(**kw) -> dict:
    w = {"name": "letters", "daily_items": 60, "handling": {"dist": "exponential", "mean_s": 1200},
         "deadline_days": 1, "dedicated": {"agents": 1, "hours": ["08:00", "12:00"]}}
    w.update(kw)
    return w


def office(written: list, target: float = 0.9, **kw) -> dict:
    d = mmc_dict(agents=8, calls_per_hour=60, days=5, warmup_days=1, patience_s=300, replications=3,
                 written=written, **kw)
    d.setdefault("targets", {})["written_on_time"] = target
    return d


def mmc_on_time(c: int, lam: float, mu: float, deadline_s: float) -> float:
    """M/M/c (FIFO): the share of items done within ``deadline_s`` plus the rest of their day
    (an item arriving u of the way into its day is due ``deadline_s`` + (1 - u) days later)."""
    C = erlang_c(c, lam / mu)
    th = c * mu - lam
    t = deadline_s + DAY_S * (1 - (np.arange(4000) + 0.5) / 4000)
    tail = (1 - C) * np.exp(-mu * t) + C * (th * np.exp(-mu * t) - mu * np.exp(-th * t)) / (th - mu)
    return float((1 - tail).mean())


def test_a_dedicated_kind_with_no_calls_gets_the_mmc_agents():
    # 10.2 items a day of 4 h each (load 1.7), due by the end of the next calendar day, worked
    # around the clock: M/M/c gives 91.5% on time with 2 agents, 99.9% with 3: target 97% needs 3
    lam, mu = 10.2 / DAY_S, 1 / (4 * H)
    assert mmc_on_time(2, lam, mu, DAY_S) < 0.93 and mmc_on_time(3, lam, mu, DAY_S) > 0.99
    w = letters(daily_items=10.2, handling={"dist": "exponential", "mean_s": 4 * H}, deadline_kind="calendar",
                dedicated={"agents": 1, "hours": ["00:00", "24:00"]})
    d = mmc_dict(agents=2, calls_per_hour=0.01, days=120, warmup_days=10, replications=6, written=[w])
    d.setdefault("targets", {})["written_on_time"] = 0.97
    s = scenario_from_dict(d)
    assert dedicated_load(s, 0) == 1  # the search starts at the load, rounded down
    st = plan_staffing(s)
    assert st.written_work.startswith("written work: 3 dedicated agents 00:00-24:00 for letters meet 97% on time")
    row = st.comparison.set_index("plan").loc[st.recommended]
    assert row["written_on_time"] >= 0.97


def test_the_recommended_plan_meets_both_targets_and_pays_the_dedicated_agents():
    s = scenario_from_dict(office([letters()]))
    st = plan_staffing(s)
    row = st.comparison.set_index("plan").loc[st.recommended]
    assert row["written_on_time"] >= 0.9 and row["service_level"] >= 0.8
    n = int(st.written_work.split(": ")[1].split(" ")[0])
    assert n >= 1
    # the plan's agents are the calls' plan with n more in the dedicated hours
    calls = plan_staffing(calls_scenario(s).model_copy(update={"written": [], "targets": s.targets.model_copy(
        update={"written_on_time": None})}))
    tl = build_timeline(s)
    key = st.recommended.replace(" ", "_")
    hours = (tl.iv_slot * tl.interval_s >= 8 * H) & (tl.iv_slot * tl.interval_s < 12 * H)
    assert np.array_equal(st.plans[key].agents - calls.plans[key].agents, n * hours)
    # and paid: the row's paid hours are the plan's agents priced by plan_figures, n x 4 h a day above the calls'
    m = tl.iv_measured()
    paid = plan_figures(s, tl, agents_plan(st.plans[key].agents))["paid_hours"]
    paid_calls = plan_figures(s, tl, agents_plan(calls.plans[key].agents))["paid_hours"]
    assert math.isclose(row["paid_hours"], paid)
    assert math.isclose(paid - paid_calls, n * hours[m].sum() * tl.interval_s / H)


def test_a_blended_kind_raises_the_plans_agents_until_both_targets_are_met():
    w = letters(daily_items=150, deadline_days=1, dedicated=None, blend={"reserve": 2})
    w.pop("dedicated")
    s = scenario_from_dict(office([w], target=0.95))
    st = plan_staffing(s)
    assert "more in every open interval for the blended kinds meet 95% on time" in st.written_work
    add = int(st.written_work.split(": ")[1].split(" ")[0])
    assert add >= 1  # the calls' plan alone leaves too little time between calls
    row = st.comparison.set_index("plan").loc[st.recommended]
    assert row["written_on_time"] >= 0.95 and row["service_level"] >= 0.8


def test_a_scenario_without_written_is_planned_as_before():
    d = office([letters()])
    d.pop("written")
    d["targets"].pop("written_on_time")
    st = plan_staffing(scenario_from_dict(d))
    assert st.written_work == "" and "written work" not in st.recommendation()


def test_marginal_shows_what_one_more_person_buys_on_the_written_work():
    # 400 letters a day blended with 8 agents: each agent more leaves more time between calls
    w = letters(daily_items=400, dedicated=None, blend={"reserve": 2})
    w.pop("dedicated")
    s = scenario_from_dict(office([w], target=0.95))
    t = marginal(s, [-1, 0, 1]).table.set_index("step")
    assert t.loc[1, "written_on_time_change_ci_low"] > 0 and t.loc[1, "written_backlog_change_ci_high"] < 0
    assert t.loc[-1, "written_on_time_change_ci_high"] < 0 and t.loc[-1, "written_backlog_change_ci_low"] > 0
    assert t.loc[0, "written_on_time_change"] == 0 and t.loc[0, "written_backlog"] > 0
    text = marginal_text(marginal(s, [0, 1]), s)
    assert "written on time" in text.splitlines()[3] and "written backlog" in text.splitlines()[3]


def test_marginal_without_written_has_no_written_columns():
    d = office([letters()])
    d.pop("written")
    d["targets"].pop("written_on_time")
    s = scenario_from_dict(d)
    mg = marginal(s, [0, 1])
    assert not any(c.startswith("written") for c in mg.table.columns)
    assert "written" not in marginal_text(mg, s)


def test_the_calls_scenario_drops_the_dedicated_kinds_and_a_target_left_without_work():
    s = scenario_from_dict(office([letters()]))
    c = calls_scenario(s)
    assert c.written == [] and c.targets.written_on_time is None
    assert "written_on_time" not in simulate(c).summary["kpi"].tolist()  # it simulates (the search by simulation runs on it)
    w = letters(name="mail", dedicated=None, blend={"reserve": 2})
    w.pop("dedicated")
    both = calls_scenario(scenario_from_dict(office([letters(), w])))
    assert [k.name for k in both.written] == ["mail"] and both.targets.written_on_time == 0.9


def grouped(written: list) -> dict:
    """``office`` with two groups: ga (4 agents, first in line for the calls) and gb (6)."""
    d = office(written)
    d.pop("staffing")
    d["groups"] = [{"name": "ga", "agents": {"default": [4] * 24}}, {"name": "gb", "agents": {"default": [6] * 24}}]
    return d


def calls_only(s):
    """The scenario without its written work and target: the calls' plans alone."""
    return s.model_copy(update={"written": [], "targets": s.targets.model_copy(update={"written_on_time": None})})


def test_with_groups_the_dedicated_agents_are_found_in_their_group():
    s = scenario_from_dict(grouped([letters(dedicated={"group": "gb", "agents": 1, "hours": ["08:00", "12:00"]})]))
    st = plan_staffing(s, replications=2)
    head = "written work: "
    assert st.written_work.startswith(head) and " dedicated agent" in st.written_work
    assert " of group gb 08:00-12:00 for letters meet 90% on time" in st.written_work
    n = int(st.written_work[len(head):].split(" ")[0])
    assert st.plan_scenario.written[0].dedicated.agents == n
    calls = plan_staffing(calls_only(s), replications=2)
    tl = build_timeline(s)
    key = st.recommended.replace(" ", "_")
    hours = (tl.iv_slot * tl.interval_s >= 8 * H) & (tl.iv_slot * tl.interval_s < 12 * H)
    diff = st.plans[key].agents - calls.plans[key].agents
    assert np.array_equal(diff[:, 0], 0 * hours) and np.array_equal(diff[:, 1], n * hours)  # gb's column only
    row = st.comparison.set_index("plan").loc[st.recommended]
    assert row["written_on_time"] >= 0.9
    # the group table pays them: gb's paid hours in the recommended plan are n x 4 h a day above the calls'
    g = st.group_fte.set_index(["plan", "group"])
    gc = calls.group_fte.set_index(["plan", "group"])
    m = tl.iv_measured()
    extra_h = n * hours[m].sum() * tl.interval_s / H
    assert math.isclose(g.loc[(st.recommended, "gb"), "paid_hours"] - gc.loc[(st.recommended, "gb"), "paid_hours"],
                        extra_h, rel_tol=1e-9)
    assert math.isclose(g.loc[(st.recommended, "ga"), "paid_hours"], gc.loc[(st.recommended, "ga"), "paid_hours"])


def test_with_groups_the_blending_agents_go_to_the_blending_group():
    # 500 letters of 20 min a day (167 h) are more than gb's 6 agents less the reserve can do (120 h)
    w = letters(daily_items=500, dedicated=None, blend={"group": "gb", "reserve": 1})
    w.pop("dedicated")
    s = scenario_from_dict(grouped([w]))
    st = plan_staffing(s, replications=2)
    assert "of group gb more in every open interval for the blended kinds meet 90% on time" in st.written_work
    add = int(st.written_work.split(": ")[1].split(" ")[0])
    calls = plan_staffing(calls_only(s), replications=2)
    key = st.recommended.replace(" ", "_")
    diff = st.plans[key].agents - calls.plans[key].agents
    assert add >= 1 and np.all(diff[:, 0] == 0) and np.all(diff[:, 1] == add)
    assert st.comparison.set_index("plan").loc[st.recommended, "written_on_time"] >= 0.9


def test_staff_roster_rosters_and_simulates_the_dedicated_agents_found():
    from helpers import roster_shifts, small_roster
    from ska_sim.plan.roster import plan_roster

    d = small_roster([{"name": "p", "count": 8}])
    # the file says 3 dedicated agents; 12 letters of 20 min a day need 1 (the search goes down to it)
    d["written"] = [letters(daily_items=12, dedicated={"agents": 3, "hours": ["13:00", "17:00"]})]
    d["targets"] = {"service_level": {"threshold_s": 20, "share": 0.8}, "written_on_time": 0.9}
    s = scenario_from_dict(d)
    rr = plan_roster(s, roster_shifts(), replications=2)
    n = int(rr.staffing.written_work.split(": ")[1].split(" ")[0])
    assert n == 1
    # the roster's simulation takes the n agents found off the phones, not the file's 3
    assert rr.staffing.plan_result.scenario.written[0].dedicated.agents == n
    # and rosters them: the requirement at work in the dedicated hours includes them
    cov = rr.coverage
    afternoon = cov["time"].isin(["13:00", "14:00", "15:00", "16:00"])
    calls = plan_staffing(calls_only(s).model_copy(update={"calendar": s.calendar.model_copy(update={"days": 7})}),
                          replications=2)
    key = calls.recommended.replace(" ", "_")
    tl = build_timeline(s)
    need = calls.plans[key].agents[tl.iv_measured()]
    assert np.array_equal(cov.loc[afternoon, "required_at_work"].to_numpy(), need[afternoon.to_numpy()] + n)
    assert "written_on_time" in rr.staffing.comparison.columns


def test_staff_for_a_confidence_simulates_the_dedicated_agents_found():
    s = scenario_from_dict(office([letters()]))
    st = plan_staffing(s, confidence=0.5, replications=3)
    assert st.plan_scenario.written[0].dedicated.agents == int(st.written_work.split(": ")[1].split(" ")[0])
    assert st.confidence is not None


def test_the_json_says_what_the_written_work_takes():
    st = plan_staffing(scenario_from_dict(office([letters()])))
    assert st.to_json()["written_work"] == st.written_work and st.written_work in st.to_json()["recommendation"]
    # the recommended plan is UNCERTAIN on the written target here: the verdict names it as a share
    assert "written work on time UNCERTAIN at" in st.verdict()


def test_the_plans_table_shows_the_written_work_on_time_with_or_without_its_target():
    from ska_sim.report.text import plans_table

    st = plan_staffing(scenario_from_dict(office([letters()])), replications=2)
    lines = plans_table(st.comparison)
    head = lines[0]
    assert "written on time" in head and head.index("written on time") > head.index("service level")
    row = st.comparison.set_index("plan").loc[st.recommended]
    rec = next(line for line in lines if "(recommended)" in line)
    assert f"{row['written_on_time']:.1%} {row['written_on_time_status']}" in rec
    # no written target: the share on time all the same, in the table, the CSV's rows and the JSON
    d = office([letters()])
    d["targets"].pop("written_on_time")
    st = plan_staffing(scenario_from_dict(d), replications=2)
    assert "written_on_time_status" not in st.comparison
    ran = st.comparison[st.comparison["verdict"] != "not simulated"]
    shares = ran["written_on_time"]
    assert len(ran) >= 2 and shares.between(0, 1).all() and (ran["written_on_time_ci_low"] <= shares).all()
    lines = plans_table(st.comparison)
    assert lines[0].endswith("written on time  verdict")
    today = next(line for line in lines if line.startswith("today"))
    assert f"{st.comparison.set_index('plan').loc['today', 'written_on_time']:.1%}" in today
    assert st.to_json()["plans"][0]["written_on_time"] == shares.iloc[0]
    # a scenario without [[written]] has no such column
    d.pop("written")
    assert "written_on_time" not in plan_staffing(scenario_from_dict(d), replications=2).comparison


def test_a_missed_written_target_is_named_with_its_shortfall_in_points():
    from ska_sim.plan.staffing_result import target_misses

    s = scenario_from_dict(office([letters()]))
    misses = target_misses(s, {"service_level": 0.9, "written_on_time": 0.85})
    assert misses == ["written work on time 85.0% against >= 90%, 5.0 points short"]
