"""The event-driven engine against a straightforward reference implementation of the same model.

The reference draws the same random inputs as DESIGN.md prescribes (a Generator per purpose and
calendar date, from SeedSequence(seed, spawn_key=(replication, date ordinal, purpose index)); a
day's volume factor, then its first calls and their attributes drawn in bulk) and then serves the callers with the
classic call-by-call recursion for a FCFS queue with abandonment: a caller is answered at
max(arrival, earliest free agent) if that is before arrival + patience, else hangs up. With
constant staffing, no redials and no repeat calls the two must agree exactly on every count;
waiting times agree to float rounding (the engine reaches an arrival time as now + (t - now)).
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from groups_reference import typed_by_interval
from helpers import mmc, mmc_dict
from ska_sim import scenario_from_dict
from ska_sim.maths.arrivals import arrival_times, day_factors
from ska_sim.sim.engine import PURPOSES, Model, Replication


def date_rng(seed: np.random.SeedSequence, date) -> dict[str, np.random.Generator]:
    """The generators of one calendar date: one per purpose, keyed by (replication, date, purpose)."""
    return {p: np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, date.toordinal(), i)))
            for i, p in enumerate(PURPOSES)}


def reference(model: Model, seed: np.random.SeedSequence, agents: int) -> dict[str, np.ndarray]:
    tl = model.timeline
    n_iv, threshold = len(tl.iv_day), model.threshold_s
    out = {k: np.zeros(n_iv) for k in ("offered", "answered", "within", "abandoned", "wait_sum")}
    free = [0.0] * agents  # when each agent is next free
    heapq.heapify(free)
    for day in range(tl.n_days):
        idx = np.flatnonzero(tl.iv_day == day)
        if not len(idx):
            continue
        rng = date_rng(seed, tl.dates[day])
        factor = day_factors(rng["arrivals"], 1, model.day_cv)[0]
        times = arrival_times(rng["arrivals"], tl.iv_start_s[idx], tl.iv_expected[idx] * factor, tl.interval_s)
        n = len(times)
        if tl.iv_type_mix is None:
            types = rng["arrivals"].choice(len(model.types), size=n, p=model.shares)
        else:
            types = typed_by_interval(rng["arrivals"], tl, idx, times)
        handle = np.empty(n)
        for k, ct in enumerate(model.types):
            sel = np.flatnonzero(types == k)
            handle[sel] = ct.handle_times(rng["handling"], len(sel))
        patience = model.patience.sample(rng["patience"], n)
        rng["resolution"].random((n, 3))
        for t, h, p in zip(times, handle, patience):
            iv = idx[int((t - tl.iv_start_s[idx[0]]) // tl.interval_s)]
            out["offered"][iv] += 1
            start = max(t, free[0])
            if start <= t + p:
                heapq.heapreplace(free, start + h)
                out["answered"][iv] += 1
                out["within"][iv] += (start - t) <= threshold
                out["wait_sum"][iv] += start - t
            else:
                out["abandoned"][iv] += 1
    return out


TWO_TYPES = [
    {"name": "a", "share": 0.6, "talk": {"dist": "lognormal", "mean_s": 280, "cv": 1.0},
     "after_call_work": {"dist": "gamma", "mean_s": 40, "cv": 0.6}, "resolved": 0.7,
     "identity_check": {"probability": 0.5, "extra": {"dist": "lognormal", "mean_s": 45, "cv": 0.3}}},
    {"name": "b", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 200}, "resolved": 0.8},
]


def compare_with_reference(model: Model, agents: int, reps: int = 3) -> dict[str, np.ndarray]:
    """The engine's counts equal the reference's, replication by replication; the last engine counts."""
    for i in range(reps):
        seed = np.random.SeedSequence(2024, spawn_key=(i,))
        rc = Replication(model, seed).run()
        ref = reference(model, np.random.SeedSequence(2024, spawn_key=(i,)), agents)
        c = {k: v.sum(axis=1) for k, v in rc.counts.items()}
        assert c["offered"].sum() > 5000 and c["abandoned"].sum() > 100
        for k, r in (("offered", "offered"), ("answered", "answered"), ("abandoned", "abandoned"),
                     ("answered_within_t", "within")):
            np.testing.assert_array_equal(c[k], ref[r])
        np.testing.assert_allclose(c["wait_sum_s"], ref["wait_sum"], rtol=1e-9, atol=1e-6)
    return rc.counts


def test_call_types_with_their_own_profiles_equal_the_reference():
    """Type a comes mostly at night, type b mostly by day (own profiles, in shares): the
    single pool types each call by its interval's mix exactly as the reference does call by call."""
    agents = 6
    d = mmc_dict(agents=agents, calls_per_hour=75, days=4, warmup_days=0, patience_s=150)
    d["call_types"] = [dict(TWO_TYPES[0], profile=[0.07] * 12 + [0.16 / 12] * 12),
                       dict(TWO_TYPES[1], profile=[0.16 / 12] * 12 + [0.07] * 12)]
    del d["arrivals"]["profile"]
    model = Model.from_scenario(scenario_from_dict(d))
    assert model.single_pool() and model.timeline.iv_type_mix is not None
    counts = compare_with_reference(model, agents)
    a, b = counts["offered"][:, 0], counts["offered"][:, 1]
    night, day = model.timeline.iv_slot < 12, model.timeline.iv_slot >= 12
    assert a[night].sum() > 3 * a[day].sum() and b[day].sum() > 3 * b[night].sum()  # each at its own hours


def test_engine_equals_the_reference_recursion():
    agents = 6
    s = mmc(agents=agents, calls_per_hour=75, days=4, warmup_days=0, patience_s=150, call_types=TWO_TYPES)
    s = s.model_copy(update={"patience": s.patience.model_copy(update={"dist": "weibull", "cv": 0.8})})
    counts = compare_with_reference(Model.from_scenario(s), agents)
    assert not math.isnan(counts["wait_sum_s"].sum())


def test_call_types_with_their_own_rates_equal_the_reference():
    """The same two types given as calls per hour (type a 60/h at night, b 60/h by day, 10/h else)."""
    agents = 6
    d = mmc_dict(agents=agents, calls_per_hour=75, days=3, warmup_days=0, patience_s=150)
    d["arrivals"] = {"profile_unit": "calls_per_hour"}
    d["call_types"] = [{k: v for k, v in ct.items() if k != "share"} for ct in TWO_TYPES]
    d["call_types"][0]["profile"] = [60] * 12 + [10] * 12
    d["call_types"][1]["profile"] = [10] * 12 + [60] * 12
    model = Model.from_scenario(scenario_from_dict(d))
    np.testing.assert_allclose(model.timeline.iv_expected, 70.0)
    np.testing.assert_allclose(model.timeline.iv_type_mix[0], [6 / 7, 1 / 7])
    compare_with_reference(model, agents)
