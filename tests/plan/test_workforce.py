"""Hiring, training, ramp-up and attrition: stock-flow by hand, the heads -> agents mapping,
ramp-up multiplier 1 = the single pool (through the routed pool, same seed), plan-hiring's search
and its bad input."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest
import tomlkit
from click.testing import CliRunner

from ska_sim import scenario_from_dict
from ska_sim.cli import main
from ska_sim.sim.engine import Model, Replication, SinglePool
from ska_sim.sim.kpi import COUNT_FIELDS
from ska_sim.base.errors import ScenarioError
from ska_sim.plan.workforce import Heads, month_plan, months_of, plan_hiring, simulate_month
import json
import pandas as pd
from conftest import ROOT

APRIL = (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
WEEKDAY_HOURS = {d: ["09:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}

YEAR = "scenarios/year-2026.toml"


def small(heads: int = 3, hires=(("2026-04-13", 2),), ramp=(), training_weeks: float = 1, attrition: float = 0.0,
          agents: int = 4, calls: float = 200, days: int = 30) -> dict:
    """April 2026 (22 working days), 8 hours a day, 4 agents per hour planned: the plan's FTE is
    4 (no shrinkage), so 4 heads staff it exactly; exponential talk of 300 s, patience 300 s."""
    return {
        "scenario": {"name": "small month"},
        "calendar": {"start": "2026-04-01", "days": days, "warmup_days": 2, "interval_min": 60, "hours": WEEKDAY_HOURS},
        "arrivals": {"daily_calls": calls, "profile": [1 / 8] * 8},
        "call_types": [{"name": "all", "share": 1.0, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 0.8}],
        "patience": {"dist": "exponential", "mean_s": 300},
        "redial": {"probability": 0.3},
        "repeat": {"probability": 0.5, "delay": {"dist": "exponential", "mean_s": 20000}},
        "staffing": {"agents": {"default": [agents] * 8}},
        "targets": {"service_level": {"threshold_s": 20, "share": 0.8}, "answer_rate": 0.9},
        "simulation": {"replications": 3, "seed": 11},
        "workforce": {"heads": heads, "attrition_per_month": attrition, "training_weeks": training_weeks,
                      "ramp_up": [{"handle_factor": h, "resolution_factor": r} for h, r in ramp],
                      "hires": [{"start": d, "count": n} for d, n in hires]},
    }


# --------------------------------------------------------------------------- stock and flow
def test_stock_flow_is_exact_by_hand():
    d = small(heads=60, attrition=0.02, hires=(("2026-02-10", 5), ("2026-02-20", 3)))
    d["calendar"].update(start="2026-01-01", days=90)
    s = scenario_from_dict(d)
    hd = Heads(s)
    rows = [hd.flow(a, b) for a, b in months_of(s)]
    # by hand: leavers = 2% of (start + hires), at the month's end
    assert rows[0] == pytest.approx({"heads_start": 60, "hires": 0, "leavers": 1.2, "heads_end": 58.8}, abs=1e-12)
    assert rows[1] == pytest.approx({"heads_start": 58.8, "hires": 8, "leavers": 1.336, "heads_end": 65.464}, abs=1e-12)
    assert rows[2] == pytest.approx({"heads_start": 65.464, "hires": 0, "leavers": 1.30928, "heads_end": 64.15472},
                                    abs=1e-9)
    for a, b in zip(rows, rows[1:]):
        assert b["heads_start"] == pytest.approx(a["heads_end"], abs=1e-12)
    for r in rows:
        assert r["heads_start"] + r["hires"] - r["leavers"] == pytest.approx(r["heads_end"], abs=1e-12)


def test_training_heads_and_fte_by_hand():
    # 5 hires on Wed 4 Feb 2026, one week of training: off the phones Feb 4-10, i.e. 5 of
    # February's 20 working days -> 1.25 heads in training on average; 10 tenured heads
    d = small(heads=10, hires=(("2026-02-04", 5),), training_weeks=1)
    d["calendar"].update(start="2026-02-01", days=28)
    s = scenario_from_dict(d)
    mp = month_plan(s, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert mp.heads_training == pytest.approx(1.25)
    # on the phones: 10 on the 2 working days before the 4th, 10 during training, 15 after (13 days)
    assert mp.heads_phones == pytest.approx((10 * 7 + 15 * 13) / 20)
    assert mp.plan_fte == pytest.approx(4.0)  # 4 agents x 8 h x 20 days / (20 x 8 h)


def test_heads_to_agents_scale_the_plan():
    s = scenario_from_dict(small())
    mp = month_plan(s, *APRIL)
    tl = Model.from_scenario(mp.scenario).timeline
    per_day = {tl.dates[d]: set(tl.iv_agents[tl.iv_day == d].tolist()) for d in np.unique(tl.iv_day)}
    # 3 heads of a plan of 4 FTE: 4 x 3/4 = 3 agents; from Mon 20 April (training over) 5 heads: 5
    assert per_day[dt.date(2026, 4, 17)] == {3} and per_day[dt.date(2026, 4, 20)] == {5}
    assert per_day[dt.date(2026, 3, 31)] == {3}  # a warm-up day before the calendar


# --------------------------------------------------------------------------- ramp-up 1 = the single pool
def test_ramp_up_multiplier_1_equals_the_single_pool():
    """Novices with multipliers 1 (and training) through the routed pool give exactly what the
    single pool gives with the same agents per interval, same seed (one kind of advisor: the
    month runs on the single pool itself)."""
    s = scenario_from_dict(small(ramp=((1.0, 1.0), (1.0, 1.0))))
    mp = month_plan(s, *APRIL)
    m = Model.from_scenario(mp.scenario)
    assert m.routing is not None and m.routing.named  # named agent groups
    tl = m.timeline
    plain = copy.deepcopy(small())
    del plain["workforce"]
    plain["calendar"].update(start="2026-04-01", days=30)
    plain["staffing"]["dates"] = {tl.dates[d].isoformat(): [int(a) for a in tl.iv_agents[tl.iv_day == d]]
                                  for d in np.unique(tl.iv_day)}
    today = Model.from_scenario(scenario_from_dict(plain))
    assert today.routing is None
    np.testing.assert_array_equal(today.timeline.iv_agents, tl.iv_agents)
    for i in range(2):
        seed = np.random.SeedSequence(11, spawn_key=(i,))
        a = Replication(today, seed).run()
        b = Replication(m, np.random.SeedSequence(11, spawn_key=(i,)), routed=True).run()
        assert type(Replication(m, seed).pool) is SinglePool  # one group, factors 1: a single FIFO
        assert a.counts["abandoned"].sum() > 20
        for k in COUNT_FIELDS:
            if k == "wait_total_s":
                np.testing.assert_allclose(a.counts[k], b.counts[k], rtol=1e-12, atol=1e-9)
            else:
                np.testing.assert_array_equal(a.counts[k], b.counts[k], err_msg=k)


def test_a_ramp_up_multiplier_above_1_lowers_service_level_and_fcr():
    base = small(heads=2, hires=(("2026-04-01", 3),), training_weeks=0)
    slow = small(heads=2, hires=(("2026-04-01", 3),), training_weeks=0, ramp=((1.5, 0.7),))
    a = simulate_month(scenario_from_dict(base), *APRIL)
    b = simulate_month(scenario_from_dict(slow), *APRIL)
    assert [g.name for g in b.plan.scenario.groups] == ["tenured", "new h1.5 r0.7"]
    pa, pb = a.result.per_replication, b.result.per_replication  # same seed: paired replications
    assert (pb["service_level"] < pa["service_level"]).all()
    assert (pb["fcr"] < pa["fcr"]).all()
    assert b.plan.effective_fte == pytest.approx(2 + 3 / 1.5)


# --------------------------------------------------------------------------- plan-hiring
def test_plan_hiring_finds_the_smallest_number():
    s = scenario_from_dict(small(heads=1, hires=(), training_weeks=1))
    plan = plan_hiring(s, "2026-04", dt.date(2026, 3, 23))
    k = plan.hires
    assert k is not None and k >= 2
    assert simulate_month(s, *APRIL, [(dt.date(2026, 3, 23), k)]).meets()
    assert not simulate_month(s, *APRIL, [(dt.date(2026, 3, 23), k - 1)]).meets()
    tried = {r["hires"]: r["meets"] for r in plan.tried}
    assert tried[k] and not tried[k - 1]
    # asking for a 100% chance (every replication's month meets it) never needs fewer
    sure = plan_hiring(s, "2026-04", dt.date(2026, 3, 23), confidence=1.0)
    assert sure.hires is not None and sure.hires >= k
    assert all(c == 1.0 for c in sure.result.chance.values())  # every replication's April meets each target
    assert not sure.below.meets(1.0)  # and one fewer does not


def _write(tmp_path, d: dict) -> str:
    p = tmp_path / "wf.toml"
    p.write_text(tomlkit.dumps(d))
    return str(p)


def test_plan_hiring_cli(tmp_path):
    path = _write(tmp_path, small(heads=1, hires=(), training_weeks=1))
    r = CliRunner().invoke(main, ["plan-hiring", path, "--month", "2026-04", "--start-by", "2026-03-23",
                                  "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "starting by 2026-03-23 make 2026-04 meet its targets" in r.output
    r = CliRunner().invoke(main, ["workforce", path, "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "2026-04" in r.output


@pytest.mark.parametrize("args, expected", [
    (["--month", "2026-07", "--start-by", "2026-04-01"], "--month: 2026-07 is outside the scenario's calendar"),
    (["--month", "2026-4", "--start-by", "2026-04-01"], "--month: must be a month YYYY-MM"),
    (["--month", "2026-04", "--start-by", "2026-05-04"], "--start-by: 2026-05-04 is after the month 2026-04"),
    (["--month", "2026-04", "--start-by", "2026-13-01"], "--start-by: must be a date YYYY-MM-DD"),
])
def test_plan_hiring_bad_input_exits_2(tmp_path, args, expected):
    path = _write(tmp_path, small())
    r = CliRunner().invoke(main, ["plan-hiring", path, *args, "--workers", "1"])
    assert r.exit_code == 2, r.output
    assert expected in r.output and "Traceback" not in r.output


def test_negative_hires_and_missing_workforce_exit_2(tmp_path):
    d = small(hires=(("2026-04-13", -2),))
    path = _write(tmp_path, d)
    r = CliRunner().invoke(main, ["plan-hiring", path, "--month", "2026-04", "--start-by", "2026-04-01"])
    assert r.exit_code == 2 and "workforce.hires[0].count: must be greater than or equal to 0" in r.output, r.output
    d = small()
    del d["workforce"]
    path = _write(tmp_path, d)
    r = CliRunner().invoke(main, ["plan-hiring", path, "--month", "2026-04", "--start-by", "2026-04-01"])
    assert r.exit_code == 2 and f"{path}: workforce: missing" in r.output, r.output
    with pytest.raises(ScenarioError, match="workforce: no heads and no hires"):
        scenario_from_dict(small(heads=0, hires=()))


def test_with_a_roster_the_rosters_lines_are_scaled_and_absence_is_its_expected_share():
    from ska_sim.scenario.roster import RosterDay, RosterPlan, attach

    d = small(heads=2, hires=())
    d["roster"] = {"people": [{"name": "p", "count": 4}], "absence_probability": 0.5}
    s = scenario_from_dict(d)
    dates = [dt.date(2026, 4, 1) + dt.timedelta(days=i) for i in range(30)]
    people = [f"p-{i:02d}" for i in range(1, 5)]
    days = [RosterDay(p, "p", day, "work" if day.weekday() < 5 else "off", "day", 9 * 3600, 17 * 3600, paid_h=8.0)
            for p in people for day in dates]
    s = attach(s, RosterPlan(dates, people, {p: "p" for p in people}, days))
    assert set(Model.from_scenario(s).timeline.iv_agents[-8:].tolist()) == {4}  # the roster: 4 at work all day
    mp = month_plan(s, *APRIL)
    assert mp.scenario.roster is None and mp.plan_fte == 4
    tl = Model.from_scenario(mp.scenario).timeline
    # with a roster its people employed that month are the heads (4, not workforce.heads = 2):
    # 4 rostered x 4 heads / 4 people x (1 - 0.5 absent) = 2 agents in every interval of April
    assert set(tl.iv_agents[tl.iv_measured()].tolist()) == {2}
    assert mp.flow["heads_start"] == 4 and mp.roster["heads"] == 4


def test_with_a_roster_the_heads_of_a_month_are_its_people_employed_that_month():
    from ska_sim.scenario.roster import RosterDay, RosterPlan, attach

    d = small(heads=9, hires=())
    d["roster"] = {"people": [{"name": "p", "count": 4}]}
    s = scenario_from_dict(d)
    dates = [dt.date(2026, 4, 1) + dt.timedelta(days=i) for i in range(30)]
    people = [f"p-{i:02d}" for i in range(1, 5)]
    # p-04 leaves before April (not employed), p-03 is on leave all month: employed, paid
    days = [RosterDay(p, "p", day, "not_employed" if p == "p-04" else "leave" if p == "p-03" else
                      ("work" if day.weekday() < 5 else "off"), "day", 9 * 3600, 17 * 3600,
                      paid_h=8.0 if p < "p-03" else 0.0) for p in people for day in dates]
    s = attach(s, RosterPlan(dates, people, {p: "p" for p in people}, days))
    mp = month_plan(s, *APRIL)
    assert mp.flow["heads_start"] == 3 and mp.flow["leavers"] == 0  # the roster says who leaves
    assert mp.roster["heads"] == 3 and mp.roster["people_on_leave"] == 1
    working = sum(1 for day in dates if day.weekday() < 5 and day <= APRIL[1])
    assert mp.roster["paid_hours"] == 3 * 8 * working  # leave is paid; the leaver is not


def test_with_groups_each_group_is_split_into_its_kinds_in_the_routing_order():

    from ska_sim.scenario.load import read_toml

    d = read_toml(ROOT / "scenarios" / "skills-languages.toml")
    d["calendar"]["days"] = 30
    d["groups"][3]["handle_factor_by_type"] = {"family_benefits": 0.7}
    d["workforce"] = {"heads": 40, "training_weeks": 0, "ramp_up": [{"handle_factor": 1.3, "resolution_factor": 0.9}],
                      "hires": [{"start": "2026-03-02", "count": 10}]}
    s = scenario_from_dict(d)
    mp = month_plan(s, dt.date(2026, 3, 2), dt.date(2026, 3, 31))
    by = {g.name: g for g in mp.scenario.groups}
    new = by["family_specialists (new h1.3 r0.9)"]
    parent = by["family_specialists"]
    assert new.call_types == parent.call_types and new.languages == parent.languages
    assert new.handle_factor == pytest.approx(parent.handle_factor * 1.3)
    assert parent.name == "family_specialists" and parent.handle_factor_of("family_benefits") == 0.7
    assert new.handle_factor_of("family_benefits") == pytest.approx(0.7 * 1.3)  # a factor per type ramps up too
    order = mp.scenario.routing.order["family_benefits"]
    assert order[:2] == ["family_specialists", "family_specialists (new h1.3 r0.9)"]
    # the kinds of a group share its scaled agents: 50 heads / plan FTE; 10 of 50 are new
    tl = Model.from_scenario(mp.scenario).timeline
    names = [g.name for g in mp.scenario.groups]
    ga = tl.iv_group_agents
    fam = ga[:, names.index("family_specialists")] + ga[:, names.index("family_specialists (new h1.3 r0.9)")]
    share_new = ga[:, names.index("family_specialists (new h1.3 r0.9)")].sum() / fam.sum()
    assert abs(share_new - 10 / 50) < 0.1


def test_workforce_and_plan_hiring_outputs_round_heads_but_the_library_keeps_them_exact():
    from ska_sim.plan.workforce import HiringPlan, rounded_months

    months = pd.DataFrame([{"month": "2026-02", "heads_start": 55.16, "hires": 3.0, "leavers": 0.8724,
                            "heads_end": 57.2876, "heads_training": 3.0, "heads_on_phones": 55.159999999999975,
                            "phone_fte": 55.159999999999975, "effective_fte": 55.159999999999975, "plan_fte": 56.0}])
    plan = HiringPlan((dt.date(2026, 9, 1), dt.date(2026, 9, 30)), dt.date(2026, 6, 1), None, 0, 50,
                      tried=[{"hires": 0, "effective_fte": 53.66441979758895, "meets": True}], months=months)
    doc = json.loads(json.dumps(plan.to_json()))
    row = doc["months"][0]
    assert row["heads_on_phones"] == 55.16 and row["phone_fte"] == 55.16 and row["effective_fte"] == 55.16
    assert row["heads_end"] == 57.2876 and doc["tried"][0]["effective_fte"] == 53.664
    assert months["heads_on_phones"][0] == 55.159999999999975  # the table itself is untouched
    assert rounded_months(months)["heads_on_phones"][0] == 55.16
    r = CliRunner().invoke(main, ["workforce", YEAR, "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert "99999" not in r.output and "00000" not in r.output


def test_with_a_roster_hires_count_only_after_its_dates_and_the_mix_is_warned_about():
    from ska_sim.scenario.roster import RosterDay, RosterPlan, attach
    from ska_sim.scenario.workforce import roster_heads_warning, roster_hires_warning

    d = small(heads=5, hires=(("2026-04-08", 2), ("2026-04-20", 3)), training_weeks=0)
    d["roster"] = {"people": [{"name": "p", "count": 4}]}
    s = scenario_from_dict(d)
    dates = [dt.date(2026, 4, 1) + dt.timedelta(days=i) for i in range(14)]  # the roster: 1 to 14 April
    people = [f"p-{i:02d}" for i in range(1, 5)]
    days = [RosterDay(p, "p", day, "work" if day.weekday() < 5 else "off", "day", 9 * 3600, 17 * 3600, paid_h=8.0)
            for p in people for day in dates]
    s = attach(s, RosterPlan(dates, people, {p: "p" for p in people}, days))
    mp = month_plan(s, *APRIL)
    # the roster's 4 people, plus the cohort of 20 April (after the roster's last date); the
    # cohort of 8 April starts within the roster's dates, which say who is employed then
    assert mp.flow["heads_start"] == 4 and mp.flow["hires"] == 3 and mp.flow["heads_end"] == 7
    # plan-hiring's hires are the question asked: counted whenever they start
    assert Heads(s, [(dt.date(2026, 4, 6), 2)]).flow(*APRIL)["hires"] == 2 + 3
    (heads,) = roster_heads_warning(s)
    assert "workforce.heads = 5" in heads and "4 people employed on 2026-04-01" in heads and "set it to 4" in heads
    (hires,) = roster_hires_warning(s)
    assert hires.startswith("workforce.hires[0] starts on 2026-04-08") and "2026-04-01 to 2026-04-14" in hires
    d["workforce"]["heads"] = 4
    assert roster_heads_warning(attach(scenario_from_dict(d), s.roster.plan)) == []


def test_workforce_warns_about_hires_within_the_roster():
    r = CliRunner().invoke(main, ["workforce", YEAR, "--set", "calendar.days=31", "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert "warning: workforce.hires[0] (spring cohort) starts on 2026-02-02, within the roster's dates" in r.output
    assert "workforce.heads" not in r.output  # 56 heads: the roster's 56 people


def test_with_a_roster_a_head_is_the_rosters_mean_contract_and_the_agents_do_not_change():
    """year-2026, January: 56 people employed (48 x 40 h + 8 x 20 h = 52 contract FTE), no
    hires counted: the plan FTE is 52.0 (by hand), not 56 x fte_per_head; on the phones are the
    48 full-timers (the 8 part-timers are rostered on no day): 48 heads, 48.0 FTE; the month's
    agents are the same as with fte_per_head per head (the ratio heads / people)."""
    from ska_sim.plan import workforce
    from ska_sim.scenario import load_scenario

    s = load_scenario(ROOT / YEAR)
    mp = workforce.month_plan(s, dt.date(2026, 1, 5), dt.date(2026, 1, 30))
    assert mp.roster["heads"] == 56 and mp.roster["fte"] == pytest.approx(48 + 8 * 0.5)
    assert mp.plan_fte == pytest.approx(52.0) and mp.phone_fte == pytest.approx(48.0)
    assert mp.heads_phones == pytest.approx(48.0) and mp.effective_fte == pytest.approx(48.0)
    per_head = s.model_copy(update={"shrinkage": s.shrinkage.model_copy(update={"fte_per_head": 0.5})})
    other = workforce.month_plan(per_head, dt.date(2026, 1, 5), dt.date(2026, 1, 30))
    assert other.plan_fte == mp.plan_fte and other.agent_hours == mp.agent_hours
