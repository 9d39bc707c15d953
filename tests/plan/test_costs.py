"""Requests in people and money. Euros by hand: FTE x the month's (year's) working-time
norm x EUR per paid hour (README, "Costs")."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ska_sim.cli import main
from ska_sim.plan.costs import money_of
from ska_sim.plan.plan import plan_people
from ska_sim.scenario.load import load_scenario
from ska_sim.plan.people import fte_of, heads_of
from ska_sim.plan.marginal import marginal

BASE = "scenarios/baseline.toml"
COSTS = "costs={eur_per_paid_hour=20, manager_eur_per_hour=30}"


def test_one_week_of_400_paid_hours_at_20_eur_by_hand():
    # an ordinary Monday-Friday week (2-6 March 2026) of the EE calendar: norm 40 h, so 400 paid h = 10 FTE;
    # a month is 2,004 / 12 = 167 h, a year 2,004 h: 10 x 167 x 20 = 33,400 EUR, 10 x 2,004 x 20 = 400,800 EUR
    s = load_scenario(BASE, ['calendar.country="EE"', COSTS])
    value = fte_of(s, 400.0)
    assert value == pytest.approx(10.0)
    m = money_of(s, value)
    assert m["eur_per_month"] == pytest.approx(33_400.0)
    assert m["eur_per_year"] == pytest.approx(400_800.0)
    assert m["paid_hours_per_month"] == pytest.approx(1_670.0)
    assert m["eur_per_week"] == pytest.approx(10 * 40 * 20)  # an ordinary week: 8,000 EUR


def test_without_a_country_the_norms_are_the_scenarios_own_calendar():
    # the baseline closes 24 Feb 2026 and shortens 23 Feb: 2026 has 261 Mondays-Fridays, so 260 x 8 - 3 = 2,077 h
    s = load_scenario(BASE, [COSTS])
    m = money_of(s, 10.0)
    assert m["year_norm_hours"] == pytest.approx(2_077.0)
    assert m["eur_per_month"] == pytest.approx(10 * 2_077 / 12 * 20)


def test_managers_time_is_counted_apart():
    # 34 heads in teams of 10: 4 teams; 1:1s of 30 min with each of 10 advisors = 5 h per team a month
    s = load_scenario(BASE, [COSTS, 'calendar.country="EE"', "activities={team_size=10, one_to_one_min_per_month=30}"])
    m = money_of(s, 33.9, 34.0)
    assert (m["teams"], m["manager_hours_per_month"], m["manager_eur_per_month"]) == pytest.approx((4, 20.0, 600.0))
    # and not in the advisors' euros
    assert m["eur_per_month"] == pytest.approx(33.9 * 167 * 20)


def test_no_costs_no_euros():
    p = plan_people(load_scenario("tests/data/minimal.toml"))  # a scenario without [costs]
    for k in ("eur_per_week", "eur_per_month", "eur_per_year"):
        assert p[k] != p[k]  # NaN
    assert p["paid_hours_per_month"] > 0


def test_the_baseline_has_the_assumed_costs_of_the_year_scenario():
    p = plan_people(load_scenario(BASE))
    assert p["fte"] == pytest.approx(p["paid_hours"] / 40)
    assert p["eur_per_week"] == pytest.approx(p["fte"] * 40 * 13)
    assert p["eur_per_month"] == pytest.approx(p["paid_hours_per_month"] * 13)


def test_marginal_rows_are_resource_requests():
    s = load_scenario(BASE, ['calendar.country="EE"', COSTS])
    mg = marginal(s, [0, 2], replications=3, seed=11)
    for r in mg.table.to_dict(orient="records"):
        assert r["eur_per_month"] == pytest.approx(r["fte"] * 167 * 20)
        assert r["eur_per_year"] == pytest.approx(r["fte"] * 2004 * 20)
        assert r["heads"] == heads_of(s, r["fte"])
        assert r["hours_at_work"] < r["paid_hours"]
        targets = mg.results[r["step"]].targets.set_index("kpi")
        for kpi in targets.index:
            assert r[f"{kpi}_days_met_share"] == targets.loc[kpi, "days_met_share"]
            assert r[f"{kpi}_replications_met_share"] == targets.loc[kpi, "replications_met_share"]
    two = mg.table.set_index("step").loc[2]
    assert two["eur_per_month_change"] == pytest.approx(two["fte_change"] * 167 * 20)


def test_marginal_and_staff_text_and_json_show_money():
    args = ["--set", COSTS, "-r", "2", "--workers", "1"]
    r = CliRunner().invoke(main, ["marginal", BASE, "--agents", "0..1", *args])
    assert r.exit_code == 0, r.output
    assert "As a resource request" in r.output and "EUR/month" in r.output and "days / window met" in r.output
    r = CliRunner().invoke(main, ["staff", BASE, *args, "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert all(p["eur_per_month"] > 0 for p in doc["plans"])
    # the recommended plan's money: its FTE x 2,077 / 12 h x 20 EUR (the baseline's own 2026 calendar)
    assert doc["money"]["eur_per_month"] == pytest.approx(doc["fte"]["fte"] * 2077 / 12 * 20)


def test_report_lists_shrinkage_costs_and_the_request_table(tmp_path):
    out = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["report", BASE, "--set", COSTS, "--set", 'calendar.country="EE"', "-o", str(out),
                                  "--agents", "0..1", "-r", "2", "--workers", "1"])
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert "Today&#x27;s plan in people and money" in html or "Today's plan in people and money" in html
    assert ">Shrinkage<" in html and ">Costs<" in html and "20 EUR per paid hour" in html
    assert "As a resource request" in html and "EUR/month" in html
    assert "Calendar rules" in html and "public holidays of EE" in html


def test_bad_costs_exit_2_naming_the_key():
    r = CliRunner().invoke(main, ["validate", BASE, "--set", "costs={eur_per_paid_hour=-1}"])
    assert r.exit_code == 2 and "costs.eur_per_paid_hour" in r.output, r.output
