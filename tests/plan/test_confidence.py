"""staff --confidence: the chance of meeting every target at once, and the cheapest scaled plan
that reaches the confidence asked."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import ROOT
from helpers import forecast_rows, write_forecast
from ska_sim import load_scenario
from ska_sim.cli import main
from ska_sim.plan.by_simulation import with_agents
from ska_sim.plan.confidence import STEP, confidence_plan, scaled
from ska_sim.scenario.timeline import build_timeline
from ska_sim.sim import runner
from ska_sim.sim.targets import window_chance

MINIMAL = (ROOT / "tests" / "data" / "minimal.toml").read_text()


def forecast_scenario(tmp_path, cv: float = 0.2):
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 120, cv))
    p = tmp_path / "s.toml"
    p.write_text(MINIMAL.replace("[[call_types]]", '[arrivals.forecast]\nfile = "forecast.csv"\n\n[[call_types]]', 1)
                 .replace("replications = 2", "replications = 40"))
    return p


def test_the_chance_counts_replications_meeting_every_target_at_once():
    """Service level >= 80% and answer rate >= 90%: each met in 3 of 4 replications, both at once
    in 2 of 4 (the figure is the joint one, not the smaller of the two)."""
    s = load_scenario(ROOT / "tests" / "data" / "minimal.toml", ["targets.answer_rate=0.9"])
    per = pd.DataFrame({"service_level": [0.85, 0.85, 0.75, 0.9], "answer_rate": [0.95, 0.85, 0.95, 0.99]})
    assert window_chance(SimpleNamespace(scenario=s, per_replication=per)) == 0.5


def test_scaled_rounds_to_the_nearest_and_never_takes_agents_away():
    np.testing.assert_array_equal(scaled(np.array([0, 1, 4, 10, 25]), 1.1), [0, 1, 4, 11, 28])
    np.testing.assert_array_equal(scaled(np.array([[3, 7]]), 1.5), [[5, 11]])


def test_the_plan_is_the_smallest_factor_that_reaches_the_confidence(tmp_path):
    s = load_scenario(forecast_scenario(tmp_path))
    tl = build_timeline(s)
    base = tl.iv_agents.copy()
    cp = confidence_plan(s, tl, base, 0.9, "today")
    assert cp.met and cp.chance >= 0.9 > cp.base_chance
    assert cp.extra_fte() > 0
    below = scaled(base, cp.factor - STEP)
    r = runner.simulate(with_agents(s, tl, below))
    assert window_chance(r) < 0.9  # one step less falls short: the smallest of the grid
    assert [t["chance"] for t in cp.tried] == sorted(t["chance"] for t in cp.tried)


def test_staff_confidence_prints_what_the_uncertainty_costs(tmp_path):
    path = forecast_scenario(tmp_path)
    res = CliRunner().invoke(main, ["staff", str(path), "--confidence", "0.9"])
    assert res.exit_code == 0, res.output
    assert "intervals include the forecast's uncertainty" in res.output
    assert "Plan for 90%: agents x" in res.output and "The 90% chance costs +" in res.output
    assert "(the forecast's uncertainty included)" in res.output
    res = CliRunner().invoke(main, ["staff", str(path), "--confidence", "0.9", "--format", "json"])
    doc = json.loads(res.output)
    assert doc["confidence"]["chance"] >= 0.9 and doc["confidence"]["extra_fte"] > 0
    assert "intervals include the forecast's uncertainty" in doc["plan"]["forecast"]


@pytest.mark.parametrize("args,part", [
    (["--confidence", "1.5"], "--confidence"),
    (["--confidence", "0"], "--confidence"),
    (["--confidence", "nan"], "--confidence"),
    (["--confidence", "0.9", "--shifts", "x.toml"], "not with --shifts or --roster"),
])
def test_bad_confidence_options_exit_2(tmp_path, args, part):
    res = CliRunner().invoke(main, ["staff", str(forecast_scenario(tmp_path)), *args])
    assert res.exit_code == 2 and part in res.output and "Traceback" not in res.output


def test_marginal_says_its_intervals_include_the_forecasts_uncertainty(tmp_path):
    path = forecast_scenario(tmp_path)
    res = CliRunner().invoke(main, ["marginal", str(path), "--agents", "0..1", "-r", "4"])
    assert res.exit_code == 0, res.output
    assert "Note: arrivals from the forecast forecast.csv on 2 open day(s); intervals include the forecast's " \
           "uncertainty." in res.output
    doc = json.loads(CliRunner().invoke(main, ["marginal", str(path), "--agents", "0..1", "-r", "4",
                                               "--format", "json"]).output)
    assert any("intervals include the forecast's uncertainty" in n for n in doc["notes"])
