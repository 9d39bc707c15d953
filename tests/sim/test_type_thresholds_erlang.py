"""Service-level thresholds per call type in the Erlang cross-check and the staffing plans
(sim/thresholds.py): a pool's Erlang service level is the offered-weighted mix over the types
of P(wait <= T_k); on two disjoint M/M/c groups each group is checked and staffed at its own
type's threshold, exactly as a scenario of that type alone.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy.stats import binom

from helpers import mmc_dict, two_mmc_groups
from ska_sim import scenario_from_dict, simulate
from ska_sim.maths.erlang import erlang_c_result
from ska_sim.plan.load import LoadModel
from ska_sim.plan.staffing_groups import erlang_group_plan
from ska_sim.plan.requirement import erlang_plan
from ska_sim.sim.erlang_check import DIFFERS_LEVEL, erlang_c_slope
from ska_sim.sim.thresholds import as_mix, mix_of, mixed


def test_a_mix_of_thresholds():
    assert mix_of([20, 20, 20], [1, 2, 3]) == 20.0  # one threshold: the float itself
    assert mix_of([60, 20, 60], [1, 2, 1]) == ((20.0, 0.5), (60.0, 0.5))
    assert as_mix(20.0) == ((20.0, 1.0),)
    assert mixed(lambda t: 2 * t, ((20.0, 0.25), (60.0, 0.75))) == pytest.approx(0.25 * 40 + 0.75 * 120)
    # Erlang C of a pool serving two types: their shares of P(wait <= T), and its slope the same mix
    agents, offered = np.array([10]), np.array([96.0])  # 8 Erlang at 300 s in an hour
    mix = ((10.0, 0.3), (60.0, 0.7))
    sl, slope = erlang_c_slope(agents, offered, 300.0, 3600.0, mix)
    assert 0.5 < sl[0] < 0.95
    parts = [erlang_c_slope(agents, offered, 300.0, 3600.0, t) for t, _ in mix]
    assert sl[0] == pytest.approx(0.3 * parts[0][0][0] + 0.7 * parts[1][0][0], rel=1e-12)
    assert slope[0] == pytest.approx(0.3 * parts[0][1][0] + 0.7 * parts[1][1][0], rel=1e-12)
    assert sl[0] == pytest.approx(0.3 * erlang_c_result(10, 96 / 3600, 300, 10).service_level
                                  + 0.7 * erlang_c_result(10, 96 / 3600, 300, 60).service_level, rel=1e-12)


def test_the_load_models_service_level_is_the_mix_of_the_first_calls_types():
    d = mmc_dict(agents=10, calls_per_hour=96, days=2)
    d["call_types"] = [{"name": "a", "share": 0.25, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 1.0},
                       {"name": "b", "share": 0.75, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 1.0}]
    d["targets"]["service_level"]["threshold_s_by_type"] = {"a": 5}
    lm = LoadModel(scenario_from_dict(d))
    (t_a, w_a), (t_b, w_b) = lm.thresholds
    assert (t_a, t_b) == (5.0, 20.0) and (w_a, w_b) == pytest.approx((0.25, 0.75))
    r = lm.erlang(np.array([10]), np.array([96.0]), np.array([300.0]))
    by_hand = 0.25 * erlang_c_result(10, 96 / 3600, 300, 5).service_level + 0.75 * erlang_c_result(10, 96 / 3600, 300, 20).service_level
    assert r["service_level"][0] == pytest.approx(by_hand, rel=1e-12)


def alone(d: dict, k: int, threshold: float) -> dict:
    """Call type k of two_mmc_groups on its own group, at ``threshold``."""
    one = copy.deepcopy(d)
    one["call_types"] = [dict(one["call_types"][k], share=1.0)]
    one["groups"] = [one["groups"][k]]
    one["arrivals"]["daily_calls"] = d["arrivals"]["daily_calls"] * d["call_types"][k]["share"]
    one["targets"] = {"service_level": {"threshold_s": threshold, "share": 0.8}}
    return one


def test_disjoint_groups_are_staffed_at_their_own_types_threshold():
    d = two_mmc_groups(days=2, replications=2)
    d["targets"]["service_level"]["threshold_s_by_type"] = {"a": 5, "b": 90}
    plan = erlang_group_plan(scenario_from_dict(d), "interval")
    for k, t in ((0, 5.0), (1, 90.0)):
        own = erlang_plan(scenario_from_dict(alone(d, k, t)), "interval")
        np.testing.assert_array_equal(plan.agents[:, k], own.agents)
        np.testing.assert_allclose(plan.service_level[:, k], own.service_level, rtol=1e-12)
    # the thresholds matter: a at 5 s needs no fewer agents than at the line's 20 s, b at 90 s fewer
    line = erlang_group_plan(scenario_from_dict(two_mmc_groups(days=2, replications=2)), "interval")
    assert (plan.agents[:, 0] >= line.agents[:, 0]).all() and (plan.agents[:, 1] < line.agents[:, 1]).all()


@pytest.fixture(scope="module")
def disjoint():
    d = two_mmc_groups(days=20, replications=10)
    d["targets"]["service_level"]["threshold_s_by_type"] = {"a": 5, "b": 90}
    return simulate(scenario_from_dict(d), seed=5)


def test_the_cross_check_compares_each_disjoint_group_at_its_types_threshold(disjoint):
    r = disjoint
    gi = r.group_intervals
    for name, agents, load, aht, t in (("ga", 8, 6.0, 300.0, 5.0), ("gb", 6, 4.0, 400.0, 90.0)):
        rows = gi[gi["group"] == name]
        off = rows["offered"].to_numpy()
        expected = [erlang_c_result(agents, o / 3600, aht_s, t).service_level
                    for o, aht_s in zip(off, rows["aht_s"].to_numpy())]
        np.testing.assert_allclose(rows["erlang_c_service_level"].to_numpy(), expected, rtol=1e-9)
        # Erlang C holds on each group: its flags are false alarms at the test's level
        flagged = int(rows["erlang_c_differs"].sum())
        lo, hi = binom.ppf(0.0005, 480, DIFFERS_LEVEL), binom.ppf(0.9995, 480, DIFFERS_LEVEL)
        assert lo <= flagged <= hi, f"{name}: {flagged} of 480 flagged"
    # the call types' service levels: each at its own threshold (a at 5 s well below b at 90 s)
    types = r.call_types.set_index("call_type")
    assert types.loc["a", "service_level"] < types.loc["b", "service_level"] - 0.15
    assert types.loc["a", "service_level"] == pytest.approx(erlang_c_result(8, 72 / 3600, 300, 5).service_level, abs=0.02)
    assert types.loc["b", "service_level"] == pytest.approx(erlang_c_result(6, 36 / 3600, 400, 90).service_level, abs=0.02)


def test_the_single_pools_cross_check_is_the_mix_of_its_types_thresholds():
    d = mmc_dict(agents=10, calls_per_hour=96, days=3, replications=3)
    d["call_types"] = [{"name": "a", "share": 0.25, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 1.0},
                       {"name": "b", "share": 0.75, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 1.0}]
    d["targets"]["service_level"]["threshold_s_by_type"] = {"a": 5}
    r = simulate(scenario_from_dict(d), seed=3)
    off = r.call_types["offered"].to_numpy()
    w = off / off.sum()  # the simulated offered calls per type weigh the thresholds
    iv = r.intervals.iloc[5]
    aht = float(r.erlang["aht_s"])
    by_hand = sum(wk * erlang_c_result(10, iv["offered"] / 3600, aht, t).service_level for wk, t in zip(w, (5.0, 20.0)))
    assert iv["erlang_c_service_level"] == pytest.approx(by_hand, rel=1e-9)
    assert abs(w[0] - 0.25) < 0.03
