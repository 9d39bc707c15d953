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

from groups_reference import day_volume
from helpers import forecast_rows, mmc, mmc_dict, write_forecast
from ska_sim import scenario_from_dict
from ska_sim.maths.arrivals import arrival_times
from ska_sim.scenario.forecast import forecast_days
from ska_sim.sim.engine import PURPOSES, Model, Replication


def date_rng(seed: np.random.SeedSequence, date) -> dict[str, np.random.Generator]:
    """The generators of one calendar date: one per purpose, keyed by (replication, date, purpose)."""
    return {p: np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, date.toordinal(), i)))
            for i, p in enumerate(PURPOSES)}


def reference(model: Model, seed: np.random.SeedSequence, agents: int, forecast: dict | None = None
              ) -> dict[str, np.ndarray]:
    """``forecast``: scenario.forecast's forecast_days of the scenario (its dates' volume draws)."""
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
        factor, shares = day_volume(forecast or {}, tl.dates[day], rng, model.day_cv, model.shares)
        times = arrival_times(rng["arrivals"], tl.iv_start_s[idx], tl.iv_expected[idx] * factor, tl.interval_s)
        n = len(times)
        types = rng["arrivals"].choice(len(model.types), size=n, p=shares)
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
    {"name": "a", "share": 0.6, "talk": {"dist": "lognormal", "mean_s": 280, "cv": 1.0}, "resolved": 0.7},
    {"name": "b", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 200}, "resolved": 0.8},
]


def test_engine_equals_the_reference_with_a_forecast(tmp_path):
    """[arrivals.forecast] with a row per call type (shares 0.3/0.7 against the scenario's 0.6/0.4,
    cv 0.25 on one type, 0 on the other) on 3 of 4 days: the day's volume and shares are drawn
    from the forecast stream on those days, from day_cv on the fourth (a warm-up day)."""
    agents = 6
    lines = forecast_rows("2026-03-02", 3, 75 * 24, 0.25, types={"a": 0.3, "b": 0.7})
    lines = [ln if ",b," not in ln else ",".join(ln.split(",")[:3] + [ln.split(",")[2]] * 4 + ["0"]) for ln in lines]
    write_forecast(tmp_path, lines)
    d = mmc_dict(agents=agents, calls_per_hour=75, days=3, warmup_days=1, patience_s=150, call_types=TWO_TYPES)
    d["arrivals"].update(day_cv=0.2, forecast={"file": "forecast.csv"})
    s = scenario_from_dict(d, folder=tmp_path)
    model = Model.from_scenario(s)
    days = forecast_days(s)
    assert days[s.calendar.start].cvs[1] == 0 and days[s.calendar.start].cvs[0] > 0.2
    for i in range(3):
        seed = np.random.SeedSequence(2024, spawn_key=(i,))
        rc = Replication(model, seed).run()
        ref = reference(model, np.random.SeedSequence(2024, spawn_key=(i,)), agents, days)
        c = {k: v.sum(axis=1) for k, v in rc.counts.items()}
        m = model.timeline.iv_measured()
        assert c["offered"].sum() > 4000
        for k, f in (("offered", "offered"), ("answered", "answered"), ("abandoned", "abandoned"),
                     ("answered_within_t", "within")):
            np.testing.assert_array_equal(c[k], ref[f][m])
        by_type = rc.counts["offered"].sum(axis=0)
        assert by_type[1] > 1.8 * by_type[0]  # the forecast's shares, not the scenario's 0.6/0.4


def test_engine_equals_the_reference_recursion():
    agents = 6
    call_types = [
        {"name": "a", "share": 0.6, "talk": {"dist": "lognormal", "mean_s": 280, "cv": 1.0},
         "after_call_work": {"dist": "gamma", "mean_s": 40, "cv": 0.6}, "resolved": 0.7,
         "identity_check": {"probability": 0.5, "extra": {"dist": "lognormal", "mean_s": 45, "cv": 0.3}}},
        {"name": "b", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 200}, "resolved": 0.8},
    ]
    s = mmc(agents=agents, calls_per_hour=75, days=4, warmup_days=0, patience_s=150, call_types=call_types)
    s = s.model_copy(update={"patience": s.patience.model_copy(update={"dist": "weibull", "cv": 0.8})})
    model = Model.from_scenario(s)
    for i in range(3):
        seed = np.random.SeedSequence(2024, spawn_key=(i,))
        rc = Replication(model, seed).run()
        ref = reference(model, np.random.SeedSequence(2024, spawn_key=(i,)), agents)
        c = {k: v.sum(axis=1) for k, v in rc.counts.items()}
        assert c["offered"].sum() > 5000 and c["abandoned"].sum() > 100
        np.testing.assert_array_equal(c["offered"], ref["offered"])
        np.testing.assert_array_equal(c["answered"], ref["answered"])
        np.testing.assert_array_equal(c["abandoned"], ref["abandoned"])
        np.testing.assert_array_equal(c["answered_within_t"], ref["within"])
        np.testing.assert_allclose(c["wait_sum_s"], ref["wait_sum"], rtol=1e-9, atol=1e-6)
        assert not math.isnan(c["wait_sum_s"].sum())
