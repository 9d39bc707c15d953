"""The Erlang cross-check when talk depends on the period: each interval is checked with the mean
handle time of its period (without groups, pooled groups and groups compared one by one), and a
scenario whose periods all have factor 1 keeps the cross-check of one AHT."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from helpers import mmc_dict, two_mmc_groups
from ska_sim import scenario_from_dict, simulate
from ska_sim.maths.erlang import erlang_c_result
from ska_sim.scenario.periods import interval_handle_s
from ska_sim.scenario.timeline import build_timeline
from ska_sim.sim.erlang_check import PER_GROUP, POOLED

NIGHT, DAY = 0.6, 1.5  # talk factors 00:00-08:00 and 08:00-24:00


def by_period(d: dict, factors=(NIGHT, DAY)) -> dict:
    d = copy.deepcopy(d)
    for ct in d["call_types"]:
        ct["talk_factor_by_period"] = [{"hours": ["00:00", "08:00"], "factor": factors[0]},
                                       {"hours": ["08:00", "24:00"], "factor": factors[1]}]
    return d


def test_each_interval_is_checked_with_its_periods_aht():
    d = by_period(mmc_dict(agents=12, calls_per_hour=70, aht_s=300, days=3, warmup_days=0, replications=3))
    s = scenario_from_dict(d)
    r = simulate(s)
    iv = r.intervals
    hour = iv["time"].str.slice(0, 2).astype(int).to_numpy()
    np.testing.assert_allclose(iv["aht_s"].to_numpy(), np.where(hour < 8, 300 * NIGHT, 300 * DAY))
    want = [erlang_c_result(int(a), off / 3600, h, 20).service_level
            for a, off, h in zip(iv["agents"], iv["offered"], iv["aht_s"])]
    np.testing.assert_allclose(iv["erlang_c_service_level"].to_numpy(), want)
    offered = iv["offered"].to_numpy()
    assert r.erlang["aht_s"] == pytest.approx(float((offered * iv["aht_s"]).sum() / offered.sum()))
    # the cross-check's intervals: night intervals are near-idle, day ones busy
    assert iv["erlang_c_service_level"][hour < 8].min() > iv["erlang_c_service_level"][hour >= 8].max()


def test_interval_handle_time_weights_a_period_boundary_inside_an_interval():
    """A boundary at 08:30 inside the 08:00 hour: that interval's factor is the time-weighted mean."""
    d = mmc_dict(days=1, warmup_days=0)
    d["call_types"][0]["talk_factor_by_period"] = [{"hours": ["00:00", "08:30"], "factor": 1.0},
                                                   {"hours": ["08:30", "24:00"], "factor": 2.0}]
    s = scenario_from_dict(d)
    h = interval_handle_s(s, build_timeline(s))[:, 0]
    assert h[7] == pytest.approx(300) and h[8] == pytest.approx(450) and h[9] == pytest.approx(600)


def test_factor_1_keeps_the_cross_check_of_one_aht():
    d = mmc_dict(agents=12, calls_per_hour=70, aht_s=300, days=2, warmup_days=0, replications=3)
    a = simulate(scenario_from_dict(d))
    b = simulate(scenario_from_dict(by_period(d, (1.0, 1.0))))
    for c in ("aht_s", "erlang_c_service_level", "erlang_c_differs"):
        np.testing.assert_array_equal(a.intervals[c].to_numpy(), b.intervals[c].to_numpy(), err_msg=c)
    assert a.erlang["aht_s"] == b.erlang["aht_s"]


@pytest.mark.parametrize("pooled", [False, True])
def test_groups_are_checked_with_their_periods_aht(pooled):
    """Two groups: each group's AHT per interval is the period's (x its handle factor); pooled
    (both groups take both types) the offered-weighted AHT of the interval."""
    d = two_mmc_groups(days=2, replications=3)
    if pooled:
        for g in d["groups"]:
            del g["call_types"]
    s = scenario_from_dict(by_period(d))
    r = simulate(s)
    assert r.erlang["compares"] == (POOLED if pooled else PER_GROUP)
    iv = r.intervals
    night = iv["time"].str.slice(0, 2).astype(int).to_numpy() < 8
    if not pooled:
        gi = r.group_intervals
        for name, talk in (("ga", 300.0), ("gb", 400.0)):
            mine = gi[gi["group"] == name]
            np.testing.assert_allclose(mine["aht_s"].to_numpy(), np.where(night, talk * NIGHT, talk * DAY))
    mix = iv["aht_s"].to_numpy()
    assert np.all((mix[night] > 300 * NIGHT - 1e-9) & (mix[night] < 400 * NIGHT + 1e-9))
    assert np.all((mix[~night] > 300 * DAY - 1e-9) & (mix[~night] < 400 * DAY + 1e-9))
