"""The Erlang C cross-check flag (``erlang_c_differs``) and its explanations.

On an exact M/M/c scenario (open 24 h after a warm-up day, constant rate and staffing,
exponential handling, no abandonment) Erlang C is the truth, so every flagged interval is a
false alarm: the flagged share must be within a binomial tolerance of the flag's 5% level.
The scenario runs at 60% utilisation (service level about 92%), where one interval's
replication values are most skewed and a naive flag (Erlang C outside the per-interval
Student-t interval) flags about 12% of intervals at 10 replications.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from helpers import mmc, mmc_dict
from ska_sim import scenario_from_dict, simulate
from ska_sim.maths.erlang import erlang_c_result
from ska_sim.report.text import time_of_day_table
from ska_sim.sim.erlang_check import DIFFERS_LEVEL, erlang_c_slope, explain_differences

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture(scope="module")
def exact_mmc():
    # 10 agents, 72 calls/h x 300 s = 6 Erlang; 40 days x 24 hourly intervals, 10 replications
    return simulate(mmc(agents=10, calls_per_hour=72, aht_s=300, days=40, replications=10), seed=11)


def test_false_alarm_rate_on_exact_mmc_is_the_nominal_level(exact_mmc):
    r = exact_mmc
    iv = r.intervals
    n = len(iv)
    assert n == 960 and r.erlang["tested_intervals"] == n
    flagged = int(iv["erlang_c_differs"].sum())
    # 99.9% binomial range of the count if each interval is a false alarm with probability 5%
    lo, hi = binom.ppf(0.0005, n, DIFFERS_LEVEL), binom.ppf(0.9995, n, DIFFERS_LEVEL)
    assert lo <= flagged <= hi, f"{flagged} of {n} flagged, expected {lo:.0f}-{hi:.0f} at {DIFFERS_LEVEL:.0%}"
    assert r.erlang["differing_intervals"] == flagged
    assert r.erlang["expected_by_chance"] == pytest.approx(DIFFERS_LEVEL * n)
    # the naive definition (Erlang C outside the per-interval t-interval) fails this same check
    e = iv["erlang_c_service_level"]
    naive = int(((e < iv["service_level_ci_low"]) | (e > iv["service_level_ci_high"])).sum())
    assert naive > hi, f"the per-interval t-interval flags {naive} of {n}"


def test_exact_mmc_run_states_the_chance_count_and_no_mechanism(exact_mmc):
    text = time_of_day_table(exact_mmc)
    flagged = exact_mmc.erlang["differing_intervals"]
    assert f"{flagged} of 960 intervals differ at the 5% level" in text
    assert "about 48 would by chance" in text
    assert exact_mmc.erlang["explanations"] == []
    assert "arrival rates" not in text and "starts empty" not in text


def test_first_interval_of_a_closing_line_truly_differs():
    # open 08-20 at 90% utilisation: each day's first hour starts with an empty queue
    d = mmc_dict(agents=10, calls_per_hour=108, days=10, replications=10)
    d["calendar"]["hours"] = {w: ["08:00", "20:00"] for w in WEEK}
    d["arrivals"] = {"daily_calls": 108 * 12, "profile": [1 / 12] * 12}
    d["staffing"] = {"agents": {"default": [10] * 12}}
    r = simulate(scenario_from_dict(d), seed=3)
    flags = r.intervals["erlang_c_differs"].to_numpy().reshape(10, 12)
    assert flags[:, 0].sum() >= 7, flags.sum(axis=0)  # a real difference is found
    first = r.times_of_day.iloc[0]
    assert first["erlang_c_differs"] and first["service_level"] > first["erlang_c_service_level"]
    assert any(x.startswith("starts empty") for x in r.erlang["explanations"])
    assert not any("arrival rates" in x or "staffing" in x for x in r.erlang["explanations"])


def test_fewer_than_three_replications_test_nothing():
    r = simulate(mmc(days=2, replications=2), seed=1)
    assert not r.intervals["erlang_c_differs"].any()
    assert r.erlang["tested_intervals"] == 0
    assert "not tested" in time_of_day_table(r)


def _summary() -> pd.DataFrame:
    return pd.DataFrame({"kpi": ["abandon_rate"], "mean": [0.0]})


def _explain(d) -> list[str]:
    return explain_differences(scenario_from_dict(d), _summary(), 300.0)


def test_explanations_list_only_mechanisms_present():
    assert _explain(mmc_dict()) == []
    profile = [0.5 / 24] * 12 + [1.5 / 24] * 12
    varying_rate = _explain(mmc_dict(arrivals={"daily_calls": 2304, "profile": profile}))
    assert varying_rate == ["arrival rates change between intervals and queues carry over; "
                            "Erlang C treats each interval as steady"]
    varying_staff = _explain(mmc_dict(staffing={"agents": {"default": [10] * 12 + [12] * 12}}))
    assert len(varying_staff) == 1 and varying_staff[0].startswith("staffing change")
    closes = mmc_dict()
    closes["calendar"]["hours"] = {w: ["08:00", "20:00"] for w in WEEK}
    closes["arrivals"] = {"daily_calls": 1152, "profile": [1 / 12] * 12}
    closes["staffing"] = {"agents": {"default": [10] * 12}}
    out = _explain(closes)
    assert len(out) == 1 and out[0].startswith("starts empty")
    no_warmup = _explain(mmc_dict(warmup_days=0))
    assert len(no_warmup) == 1 and "no warm-up" in no_warmup[0]


@pytest.mark.parametrize("agents,offered", [(10, 96.0), (10, 70.0), (3, 5.0), (30, 300.0), (1, 5.0)])
def test_erlang_c_slope_matches_finite_differences(agents, offered):
    sl, slope = erlang_c_slope(np.array([agents]), np.array([offered]), 300.0, 3600.0, 20.0)
    h = 1e-4 * offered

    def f(x: float) -> float:
        return erlang_c_result(agents, x / 3600, 300.0, 20.0).service_level

    assert sl[0] == pytest.approx(f(offered), abs=1e-12)
    assert slope[0] == pytest.approx((f(offered + h) - f(offered - h)) / (2 * h), rel=1e-5)
