"""Off-phone activities from the unit's rules: the arithmetic by hand, and spread
evenly they equal a flat shrinkage share (ISSUE-NOTES)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ska_sim.scenario.activities import ActivityNeed, activity_needs, activity_share, activity_table, shrinkage_shares
from ska_sim.cli import main
from ska_sim.sim.runner import simulate
from ska_sim.base.errors import ScenarioError
from ska_sim.scenario.load import load_scenario
from ska_sim.plan.people import fte, shrinkage_table
from ska_sim.scenario.timeline import build_timeline

BASE = "scenarios/baseline.toml"
EE = ['calendar.country="EE"']  # 2026: 2,004 h a year, 167 h a month
NO_TYPED = ["shrinkage.qa_sessions=0", "shrinkage.one_to_ones=0", "shrinkage.training=0", "shrinkage.back_office=0"]
RULES = ("activities={team_size=10, talk_s=300, call_review_calls=3, call_review_discussion_min=15, "
         "team_session_calls=45, team_session_every_months=3, team_session_discussion_min=30, "
         "one_to_one_min_per_month=30, training_days_per_year=6, back_office_hours_per_week=2}")


def test_the_arithmetic_by_hand():
    s = load_scenario(BASE, [*EE, RULES])
    needs = {n.name: n for n in activity_needs(s)}
    # call review: 2 x 3 calls x 5 min + 15 min = 45 min; manager 10 advisors x (15 + 15) min = 5 h
    assert needs["call review"] == ActivityNeed("call review", pytest.approx(0.75), 45, pytest.approx(5.0))
    # team listening: 45 calls x 5 min + 30 min = 255 min a quarter = 85 min a month, advisor and manager
    assert needs["team listening"].hours_per_advisor_month == pytest.approx(85 / 60)
    assert needs["team listening"].manager_hours_month == pytest.approx(85 / 60)
    assert needs["team listening"].block_min == 255
    # 1:1 30 min; manager 10 x 30 min = 5 h
    assert (needs["one-to-one"].hours_per_advisor_month, needs["one-to-one"].manager_hours_month) == \
        pytest.approx((0.5, 5.0))
    # training: 6 days / 12 x 8 h = 4 h; back office: 2 h x (167 / 40) weeks = 8.35 h
    assert needs["training"].hours_per_advisor_month == pytest.approx(4.0)
    assert needs["back office"].hours_per_advisor_month == pytest.approx(8.35)
    total = 0.75 + 85 / 60 + 0.5 + 4.0 + 8.35
    assert activity_share(s) == pytest.approx(total / 167)
    t = activity_table(s).set_index("activity")
    assert t.loc["total", "hours_per_advisor_month"] == pytest.approx(total)
    assert t.loc["total", "hours_per_team_month"] == pytest.approx(10 * total)
    assert t.loc["total", "manager_hours_per_team_month"] == pytest.approx(5 + 85 / 60 + 5)


def test_no_activities_no_needs_and_the_typed_shares_stay():
    s = load_scenario(BASE)
    assert activity_needs(s) == [] and activity_share(s) == 0.0
    assert shrinkage_shares(s, "mon") == s.shrinkage.shares("mon")


def _paid(s) -> tuple[float, float]:
    tl = build_timeline(s)
    table = shrinkage_table(s, tl, tl.iv_agents)[tl.iv_measured()]
    f = fte(s, table, tl.interval_s)
    return f["paid_hours"], f["fte"]


@pytest.mark.parametrize("absence", [0.0, 0.17])
def test_spread_evenly_they_equal_a_flat_share(absence):
    # 16.7 h of back office a month of 167 paid h: 10% of paid time. In the chain an in-shift share
    # is of the time at work, so the flat equivalent is 0.10 / (1 - absence) (0.10 without absence)
    common = [*EE, *NO_TYPED, f"shrinkage.absence={absence}"]
    act = load_scenario(BASE, [*common, "activities={back_office_hours_per_month=16.7}"])
    flat = load_scenario(BASE, [*common, f"shrinkage.qa_sessions={0.1 / (1 - absence)!r}"])
    assert activity_share(act) == pytest.approx(0.1, rel=1e-12)
    pa, fa = _paid(act)
    pf, ff = _paid(flat)
    assert pa == pytest.approx(pf, rel=1e-12) and fa == pytest.approx(ff, rel=1e-12)
    # and they replace the typed shares, never add to them: typed shares beside [activities] change nothing
    typed = load_scenario(BASE, [*EE, f"shrinkage.absence={absence}", "activities={back_office_hours_per_month=16.7}"])
    assert _paid(typed)[0] == pytest.approx(pa, rel=1e-12)
    # the same simulation: shrinkage does not change the agents on the phones
    ra, rf = simulate(act, replications=2, seed=5), simulate(flat, replications=2, seed=5)
    assert ra.summary["mean"].tolist() == rf.summary["mean"].tolist()


def test_without_activities_the_chain_would_differ():
    # the test above can fail: the typed 8% is not the activities' 10%
    common = [*EE, "shrinkage.absence=0"]
    assert _paid(load_scenario(BASE, common))[0] != pytest.approx(
        _paid(load_scenario(BASE, [*common, "activities={back_office_hours_per_month=16.7}"]))[0], rel=1e-6)


def test_staff_shows_the_arithmetic():
    r = CliRunner().invoke(main, ["staff", BASE, "--set", RULES, "-r", "2", "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "Off-phone activities from the unit's rules" in r.output
    assert "call review" in r.output and "2 x 3 calls x 5.00 min talk + 15 min" in r.output


@pytest.mark.parametrize("setting, words", [
    ("activities={call_review_calls=2}", "at least 3 calls"),
    ("activities={back_office_hours_per_week=2, back_office_hours_per_month=8}", "not both"),
    ("activities={back_office_hours_per_month=200}", "nobody is left on the phones"),
    ("activities={team_size=0}", "activities.team_size"),
])
def test_bad_activities_exit_2(setting, words):
    r = CliRunner().invoke(main, ["validate", BASE, "--set", setting])
    assert r.exit_code == 2 and words in r.output and "activities" in r.output, r.output
    with pytest.raises(ScenarioError):
        load_scenario(BASE, [setting])
