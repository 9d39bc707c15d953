"""Call types with their own arrival profiles in the engine: identical results when the profiles
equal the shared one (both pools), each type's calls at its own hours, and Erlang A per type
on disjoint groups."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from helpers import as_one_group, baseline_dict, ci, mmc_dict
from ska_sim import scenario_from_dict, simulate
from ska_sim.maths.arrivals import types_by_interval
from ska_sim.maths.erlang import erlang_arrays
from ska_sim.sim.engine import Model, simulate_replication


def test_types_by_interval_draws_what_choice_draws_for_one_mix():
    p = np.array([0.4, 0.27, 0.03, 0.18, 0.12])
    p = p / p.sum()
    ref = np.random.default_rng(3).choice(len(p), size=5000, p=p)
    got = types_by_interval(np.random.default_rng(3), np.tile(p, (7, 1)), np.arange(5000) % 7)
    np.testing.assert_array_equal(got, ref)


def test_types_by_interval_follows_each_interval_mix():
    mix = np.array([[1.0, 0.0], [0.0, 1.0], [0.25, 0.75]])
    iv = np.repeat([0, 1, 2], 20_000)
    types = types_by_interval(np.random.default_rng(1), mix, iv)
    assert (types[iv == 0] == 0).all() and (types[iv == 1] == 1).all()
    share = (types[iv == 2] == 1).mean()
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / 20_000)


def same_profile_everywhere(d: dict, which: list[int] | None = None) -> dict:
    """``d`` with call types ``which`` (default all, then without arrivals.profile) given
    arrivals.profile as their own."""
    d = copy.deepcopy(d)
    prof = d["arrivals"]["profile"]
    which = range(len(d["call_types"])) if which is None else which
    for k in which:
        d["call_types"][k]["profile"] = copy.deepcopy(prof)
    if len(which) == len(d["call_types"]):
        del d["arrivals"]["profile"]
    return d


def kpis(d: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    r = simulate(scenario_from_dict(d), replications=2, seed=11)
    return r.summary, r.call_types, r.intervals


@pytest.mark.parametrize("pool", ["single", "routed"])
def test_profiles_equal_to_the_shared_one_give_identical_results(pool):
    """The baseline (5 call types, per-weekday shared profile, redials, repeats) and the same with
    every type (or one type) given that profile as its own: every KPI identical, same seed."""
    d = baseline_dict(days=3)
    if pool == "routed":
        d = as_one_group(d)
        d["languages"] = {"et": {"share": 0.8}, "ru": {"share": 0.2}}  # languages: the routed pool
    base = kpis(d)
    for variant in (same_profile_everywhere(d), same_profile_everywhere(d, [1])):
        s = scenario_from_dict(variant)
        assert Model.from_scenario(s).single_pool() == (pool == "single")
        assert Model.from_scenario(s).timeline.iv_type_mix is not None
        for a, b in zip(base, kpis(variant)):
            pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_each_type_arrives_at_its_own_hours():
    """First calls per type and interval, over replications, inside the 99.9% interval of the
    expected share_k x profile_k x volume (no redials, no repeats)."""
    d = mmc_dict(agents=30, calls_per_hour=100, days=2, warmup_days=0)
    d["arrivals"]["profile"] = [1 / 24] * 24
    d["call_types"] = [
        {"name": "morning", "share": 0.3, "talk": {"dist": "exponential", "mean_s": 200}, "resolved": 1.0,
         "profile": [0.0] * 8 + [0.25] * 4 + [0.0] * 12},
        {"name": "flat", "share": 0.7, "talk": {"dist": "exponential", "mean_s": 200}, "resolved": 1.0},
    ]
    s = scenario_from_dict(d)
    model = Model.from_scenario(s)
    reps = [simulate_replication(model, np.random.SeedSequence(5, spawn_key=(i,))) for i in range(30)]
    offered = np.stack([rc.counts["offered"] for rc in reps])  # (reps, intervals, types)
    morning = offered[:, :, 0].reshape(30, 2, 24).sum(axis=1)  # per replication and hour, both days
    assert morning[:, :8].sum() == 0 and morning[:, 12:].sum() == 0
    mean, half = ci(morning[:, 8:12].sum(axis=1))
    assert abs(mean - 2 * 0.3 * 2400) <= half  # 1,440 morning calls in the two days
    flat = offered[:, :, 1]  # (reps, 24 x 2 hours)
    mean, half = ci(flat.mean(axis=1))
    assert abs(mean - 0.7 * 100) <= half


def test_erlang_a_per_type_on_disjoint_groups():
    """Each type routed to its own group, each with its own profile (rates changing by the hour,
    300 s calls, patience 180 s, no redials): every group's service level and abandon rate per
    interval agree with Erlang A on the type's own expected calls of the interval, inside the
    99.9% interval over replications (hourly intervals, so each is close to steady state)."""
    d = mmc_dict(agents=1, calls_per_hour=100, days=1, warmup_days=0, patience_s=180)
    d["calendar"]["hours"] = {k: ["08:00", "16:00"] for k in d["calendar"]["hours"]}
    del d["arrivals"]
    d["arrivals"] = {"profile_unit": "calls_per_hour"}
    rates = {"a": [20, 20, 40, 40, 60, 60, 30, 30], "b": [50, 50, 30, 30, 10, 10, 40, 40]}
    d["call_types"] = [{"name": n, "talk": {"dist": "exponential", "mean_s": 300.0}, "resolved": 1.0, "profile": r}
                       for n, r in rates.items()]
    del d["staffing"]
    d["groups"] = [{"name": "ga", "call_types": ["a"], "agents": {"default": [2, 2, 4, 4, 5, 5, 3, 3]}},
                   {"name": "gb", "call_types": ["b"], "agents": {"default": [5, 5, 3, 3, 1, 1, 4, 4]}}]
    s = scenario_from_dict(d)
    model = Model.from_scenario(s)
    np.testing.assert_allclose(model.timeline.iv_expected, np.add(*rates.values()))
    reps = [simulate_replication(model, np.random.SeedSequence(21, spawn_key=(i,))) for i in range(400)]
    checked = 0
    for k, (name, r) in enumerate(rates.items()):
        agents = np.array(d["groups"][k]["agents"]["default"])
        e = erlang_arrays(agents, np.array(r) / 3600, np.full(8, 300.0), 20.0, 180.0)
        off = np.stack([rc.counts["offered"][:, k] for rc in reps])
        within = np.stack([rc.counts["answered_within_t"][:, k] for rc in reps])
        abandoned = np.stack([rc.counts["abandoned"][:, k] for rc in reps])
        for iv in (1, 3, 5, 7):  # the second hour of each rate: the queue has settled
            for sim, theory in ((within[:, iv] / off[:, iv], e["service_level"][iv]),
                                (abandoned[:, iv] / off[:, iv], e["abandon_rate"][iv])):
                mean, half = ci(sim[off[:, iv] > 0])
                assert half < 0.04 and abs(mean - theory) <= half, (name, iv, mean, half, theory)
                checked += 1
    assert checked == 16


def test_erlang_cross_check_takes_each_interval_aht_from_its_mix():
    """Pensions (360 s, 60%, profile 0.4/0.3/0.2/0.1) and family benefits (240 s, flat): by hand
    the 09:00 mix is 0.24 / 0.34 pensions, AHT 0.706 x 360 + 0.294 x 240 = 324.7 s against the
    window mix's 312 s; the cross-check scales the simulated window AHT by that ratio."""
    d = mmc_dict(agents=12, days=2, warmup_days=0, patience_s=180)
    d["calendar"]["hours"] = {k: ["09:00", "13:00"] for k in d["calendar"]["hours"]}
    d["arrivals"] = {"daily_calls": 400, "profile": [0.25] * 4}
    d["staffing"]["agents"] = {"default": [14, 12, 9, 7]}
    d["call_types"] = [{"name": "pensions", "share": 0.6, "talk": {"dist": "exponential", "mean_s": 360},
                        "resolved": 1.0, "profile": [0.4, 0.3, 0.2, 0.1]},
                       {"name": "family", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 240}, "resolved": 1.0}]
    r = simulate(scenario_from_dict(d), replications=3, seed=2)
    pension = 0.6 * np.array([0.4, 0.3, 0.2, 0.1]) / (0.6 * np.array([0.4, 0.3, 0.2, 0.1]) + 0.1)
    ratio = (pension * 360 + (1 - pension) * 240) / 312
    assert ratio[0] == pytest.approx(324.7 / 312, abs=1e-3)
    np.testing.assert_allclose(r.intervals["aht_s"].to_numpy(), r.erlang["aht_s"] * np.tile(ratio, 2), rtol=1e-12)
