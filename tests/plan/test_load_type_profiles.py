"""Offered load and staffing requirement where call types have their own arrival profiles:
each type's load follows its profile (counted by hand), and the AHT of an interval its mix."""

from __future__ import annotations

import numpy as np

from ska_sim import scenario_from_dict
from ska_sim.plan.load import LoadModel
from ska_sim.plan.requirement import interval_requirement


def two_types(own: bool) -> dict:
    """Mon 09-12 (hourly), 100 calls: a (60%, 300 s) and b (40%, 100 s); with ``own`` b's calls
    come late (0.1, 0.2, 0.7) and a's early (0.3, 0.5, 0.2); else both follow (0.22, 0.38, 0.4)."""
    d = {
        "calendar": {"start": "2026-03-02", "days": 1, "interval_min": 60, "hours": {"mon": ["09:00", "12:00"]}},
        "arrivals": {"daily_calls": 100, "profile": [0.22, 0.38, 0.4]},
        "call_types": [{"name": "a", "share": 0.6, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 1.0},
                       {"name": "b", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 100}, "resolved": 1.0}],
        "staffing": {"agents": {"default": [3, 3, 3]}},
    }
    if own:
        d["call_types"][0]["profile"] = [0.3, 0.5, 0.2]
        d["call_types"][1]["profile"] = [0.1, 0.2, 0.7]
        del d["arrivals"]["profile"]
    return d


def test_offered_load_per_type_follows_each_profile():
    lm = LoadModel(scenario_from_dict(two_types(own=True)))
    np.testing.assert_allclose(lm.first, [[18, 4], [30, 8], [12, 28]], rtol=1e-12)  # 60 x a's, 40 x b's
    # AHT per interval from the mix: (18 x 300 + 4 x 100) / 22, ...
    np.testing.assert_allclose(lm.aht(lm.first), [5800 / 22, 9800 / 38, 6400 / 40])
    shared = LoadModel(scenario_from_dict(two_types(own=False)))
    np.testing.assert_allclose(shared.first.sum(axis=1), lm.first.sum(axis=1))  # the same calls per interval
    np.testing.assert_allclose(shared.aht(shared.first), [220.0] * 3)


def test_the_requirement_follows_the_mix():
    """Same calls per interval, but the last hour holds mostly short b calls: with own profiles
    it needs fewer agents there than with the shared mix (the loads by hand:
    the load 22 x 263.6 s / 3600 = 1.61 Erlang against 22 x 220 / 3600 = 1.34)."""
    own, shared = (LoadModel(scenario_from_dict(two_types(x))) for x in (True, False))
    r_own = interval_requirement(own, own.first, None)
    r_shared = interval_requirement(shared, shared.first, None)
    load_own = own.first.sum(axis=1) * own.aht(own.first) / 3600
    load_shared = shared.first.sum(axis=1) * shared.aht(shared.first) / 3600
    np.testing.assert_allclose(load_own, [1.6111111, 2.7222222, 1.7777778], rtol=1e-6)
    np.testing.assert_allclose(load_shared, [1.3444444, 2.3222222, 2.4444444], rtol=1e-6)
    assert r_own[2] < r_shared[2] and (r_own >= load_own).all()
