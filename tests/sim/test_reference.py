"""The event-driven engine against a straightforward reference implementation of the same model.

The reference draws the same random inputs as DESIGN.md prescribes (a Generator per purpose and
calendar date, from SeedSequence(seed, spawn_key=(replication, date ordinal, purpose index)); a
day's volume factor, then its first calls and their attributes drawn in bulk) and then serves the callers with the
classic call-by-call recursion for a FCFS queue with abandonment: a caller is answered at
max(arrival, earliest free agent) if that is before arrival + patience, else hangs up. With
constant staffing, no redials and no repeat calls the two must agree exactly on every count;
waiting times agree to float rounding (the engine reaches an arrival time as now + (t - now)).
With thresholds per call type a call counts as answered in time against its own type's threshold.

With a message offered at ``after_s`` (``[message]``): a caller not answered by arrival +
after_s whose patience is longer is offered it, and leaves a message when the next U(0,1) of
the "message" stream of the date the offer falls on is below ``leave`` (offers in arrival
order); a message takes no agent. The others go on as before.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from groups_reference import day_volume, period_factor, type_patience, typed_by_interval
from helpers import forecast_rows, mmc, mmc_dict, write_forecast
from ska_sim import scenario_from_dict
from ska_sim.maths.arrivals import arrival_times
from ska_sim.scenario.clock import DAY_S
from ska_sim.scenario.calls import Message
from ska_sim.scenario.forecast import forecast_days
from ska_sim.sim.engine import PURPOSES, Model, Replication


def date_rng(seed: np.random.SeedSequence, date) -> dict[str, np.random.Generator]:
    """The generators of one calendar date: one per purpose, keyed by (replication, date, purpose)."""
    return {p: np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, date.toordinal(), i)))
            for i, p in enumerate(PURPOSES)}


class MessageStream:
    """U(0,1) draws of each date's "message" stream, in order (the engine draws them in batches)."""

    def __init__(self, seed, tl):
        self.seed, self.tl, self.bufs = seed, tl, {}

    def __call__(self, t: float) -> float:
        day = min(int(t // DAY_S), self.tl.n_days - 1)
        buf = self.bufs.get(day)
        if buf is None:
            buf = self.bufs[day] = iter(date_rng(self.seed, self.tl.dates[day])["message"].random(10**6).tolist())
        return next(buf)


def reference(s, model: Model, seed: np.random.SeedSequence, agents: int, by_type: bool = False,
              forecast: dict | None = None) -> dict[str, np.ndarray]:
    """Counts per interval of one replication of scenario ``s``; with ``by_type`` each call's
    patience is its type's (groups_reference.type_patience) and its talk and patience are
    multiplied by the factors of the period of its arrival (groups_reference.period_factor).
    ``forecast``: scenario.forecast's forecast_days of the scenario (its dates' volume draws)."""
    tl = model.timeline
    n_iv = len(tl.iv_day)
    thresholds = [s.targets.service_level.threshold_of(ct.name) for ct in s.call_types]
    out = {k: np.zeros(n_iv) for k in ("offered", "answered", "within", "abandoned", "wait_sum", "messages")}
    out["within_type"] = np.zeros(len(thresholds))
    free = [0.0] * agents  # when each agent is next free
    heapq.heapify(free)
    msg = model.message
    message_u = MessageStream(seed, tl)
    for day in range(tl.n_days):
        idx = np.flatnonzero(tl.iv_day == day)
        if not len(idx):
            continue
        rng = date_rng(seed, tl.dates[day])
        factor, shares = day_volume(forecast or {}, tl.dates[day], rng, model.day_cv, model.shares)
        times = arrival_times(rng["arrivals"], tl.iv_start_s[idx], tl.iv_expected[idx] * factor, tl.interval_s)
        n = len(times)
        if tl.iv_type_mix is None:
            types = rng["arrivals"].choice(len(model.types), size=n, p=shares)
        else:
            types = typed_by_interval(rng["arrivals"], tl, idx, times)
        handle = np.empty(n)
        for k, ct in enumerate(model.types):
            sel = np.flatnonzero(types == k)
            if not by_type:
                handle[sel] = ct.handle_times(rng["handling"], len(sel))
            else:  # talk x its period's factor, then after-call work and identity check
                talk, acw, extra, _ = ct.handle_parts(rng["handling"], len(sel))
                f = np.array([period_factor(s, "talk", k, x, tl) for x in times[sel].tolist()])
                handle[sel] = (talk * f + acw) + extra
        if not by_type:
            patience = model.patience.sample(rng["patience"], n)
        else:
            patience = type_patience(s, rng["patience"], types)
            patience *= np.array([period_factor(s, "patience", k, x, tl) for k, x in zip(types.tolist(), times.tolist())])
        rng["resolution"].random((n, 3))
        for t, h, p, k in zip(times, handle, patience, types):
            iv = idx[int((t - tl.iv_start_s[idx[0]]) // tl.interval_s)]
            out["offered"][iv] += 1
            start = max(t, free[0])
            if msg is not None and start > t + msg.after_s and p > msg.after_s:  # still waiting: the offer
                if msg.leave >= 1.0 or message_u(t + msg.after_s) < msg.leave:
                    out["messages"][iv] += 1
                    continue
            if start <= t + p:
                heapq.heapreplace(free, start + h)
                out["answered"][iv] += 1
                out["within"][iv] += (start - t) <= thresholds[k]
                out["within_type"][k] += (start - t) <= thresholds[k]
                out["wait_sum"][iv] += start - t
            else:
                out["abandoned"][iv] += 1
    return out


@pytest.mark.parametrize(("thresholds", "message"), [
    ({}, None), ({"a": 45, "b": 5}, None), ({}, {"after_s": 100, "leave": 0.6}),
    ({"a": 45, "b": 5}, {"after_s": 150, "leave": 1.0})])
def test_engine_equals_the_reference_recursion(thresholds, message):
    agents = 6
    call_types = [
        {"name": "a", "share": 0.6, "talk": {"dist": "lognormal", "mean_s": 280, "cv": 1.0},
         "after_call_work": {"dist": "gamma", "mean_s": 40, "cv": 0.6}, "resolved": 0.7,
         "identity_check": {"probability": 0.5, "extra": {"dist": "lognormal", "mean_s": 45, "cv": 0.3}}},
        {"name": "b", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 200}, "resolved": 0.8},
    ]
    s = mmc(agents=agents, calls_per_hour=75, days=4, warmup_days=0, patience_s=150, call_types=call_types)
    s = s.model_copy(update={"patience": s.patience.model_copy(update={"dist": "weibull", "cv": 0.8})})
    sl = s.targets.service_level.model_copy(update={"threshold_s_by_type": thresholds})
    s = s.model_copy(update={"targets": s.targets.model_copy(update={"service_level": sl})})
    if message is not None:
        s = s.model_copy(update={"message": Message(**message)})
    model = Model.from_scenario(s)
    assert model.single_pool() and model.routing is None
    for i in range(3):
        seed = np.random.SeedSequence(2024, spawn_key=(i,))
        rc = Replication(model, seed).run()
        ref = reference(s, model, np.random.SeedSequence(2024, spawn_key=(i,)), agents)
        c = {k: v.sum(axis=1) for k, v in rc.counts.items()}
        assert c["offered"].sum() > 5000 and c["abandoned"].sum() > 100
        np.testing.assert_array_equal(c["offered"], ref["offered"])
        np.testing.assert_array_equal(c["answered"], ref["answered"])
        np.testing.assert_array_equal(c["abandoned"], ref["abandoned"])
        np.testing.assert_array_equal(c["answered_within_t"], ref["within"])
        np.testing.assert_array_equal(rc.counts["answered_within_t"].sum(axis=0), ref["within_type"])
        np.testing.assert_array_equal(c["messages"], ref["messages"])
        assert (c["messages"].sum() > 40) == (message is not None)
        np.testing.assert_allclose(c["wait_sum_s"], ref["wait_sum"], rtol=1e-9, atol=1e-6)
        assert not math.isnan(c["wait_sum_s"].sum())


def test_engine_equals_the_reference_with_patience_per_type_and_factors_by_period():
    """Type a with its own patience (type b: [patience]); a's talk and b's patience by period,
    b's on Monday and Wednesday only (x 1 on other days)."""
    agents = 5
    call_types = [
        {"name": "a", "share": 0.6, "talk": {"dist": "lognormal", "mean_s": 280, "cv": 1.0},
         "after_call_work": {"dist": "gamma", "mean_s": 40, "cv": 0.6}, "resolved": 0.7,
         "identity_check": {"probability": 0.5, "extra": {"dist": "lognormal", "mean_s": 45, "cv": 0.3}},
         "patience": {"dist": "weibull", "mean_s": 100, "cv": 0.8},
         "talk_factor_by_period": [{"hours": ["00:00", "08:00"], "factor": 0.8},
                                   {"hours": ["08:00", "16:00"], "factor": 1.4},
                                   {"hours": ["16:00", "24:00"], "factor": 1.0}]},
        {"name": "b", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 200}, "resolved": 0.8,
         "patience_factor_by_period": [{"hours": ["00:00", "12:00"], "factor": 0.5, "days": ["mon", "wed"]},
                                       {"hours": ["12:00", "24:00"], "factor": 2.0, "days": ["mon", "wed"]}]},
    ]
    d = mmc_dict(agents=agents, calls_per_hour=62, days=4, warmup_days=0, patience_s=150, call_types=call_types)
    s = scenario_from_dict(d)
    model = Model.from_scenario(s)
    for i in range(2):
        rc = Replication(model, np.random.SeedSequence(2024, spawn_key=(i,))).run()
        ref = reference(s, model, np.random.SeedSequence(2024, spawn_key=(i,)), agents, by_type=True)
        c = {k: v.sum(axis=1) for k, v in rc.counts.items()}
        assert c["offered"].sum() > 5000 and rc.counts["abandoned"][:, 1].sum() > 100
        for k in ("offered", "answered", "abandoned"):
            np.testing.assert_array_equal(c[k], ref[k], err_msg=k)
        np.testing.assert_array_equal(c["answered_within_t"], ref["within"])
        np.testing.assert_allclose(c["wait_sum_s"], ref["wait_sum"], rtol=1e-9, atol=1e-6)


TWO_TYPES = [
    {"name": "a", "share": 0.6, "talk": {"dist": "lognormal", "mean_s": 280, "cv": 1.0},
     "after_call_work": {"dist": "gamma", "mean_s": 40, "cv": 0.6}, "resolved": 0.7,
     "identity_check": {"probability": 0.5, "extra": {"dist": "lognormal", "mean_s": 45, "cv": 0.3}}},
    {"name": "b", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 200}, "resolved": 0.8},
]


def compare_with_reference(s, agents: int, reps: int = 3) -> dict[str, np.ndarray]:
    """The engine's counts equal the reference's, replication by replication; the last engine counts."""
    model = Model.from_scenario(s)
    assert model.single_pool() and model.timeline.iv_type_mix is not None
    for i in range(reps):
        rc = Replication(model, np.random.SeedSequence(2024, spawn_key=(i,))).run()
        ref = reference(s, model, np.random.SeedSequence(2024, spawn_key=(i,)), agents)
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
    s = scenario_from_dict(d)
    counts = compare_with_reference(s, agents)
    tl = Model.from_scenario(s).timeline
    a, b = counts["offered"][:, 0], counts["offered"][:, 1]
    night, day = tl.iv_slot < 12, tl.iv_slot >= 12
    assert a[night].sum() > 3 * a[day].sum() and b[day].sum() > 3 * b[night].sum()  # each at its own hours


def test_call_types_with_their_own_rates_equal_the_reference():
    """The same two types given as calls per hour (type a 60/h at night, b 60/h by day, 10/h else)."""
    agents = 6
    d = mmc_dict(agents=agents, calls_per_hour=75, days=3, warmup_days=0, patience_s=150)
    d["arrivals"] = {"profile_unit": "calls_per_hour"}
    d["call_types"] = [{k: v for k, v in ct.items() if k != "share"} for ct in TWO_TYPES]
    d["call_types"][0]["profile"] = [60] * 12 + [10] * 12
    d["call_types"][1]["profile"] = [10] * 12 + [60] * 12
    s = scenario_from_dict(d)
    model = Model.from_scenario(s)
    np.testing.assert_allclose(model.timeline.iv_expected, 70.0)
    np.testing.assert_allclose(model.timeline.iv_type_mix[0], [6 / 7, 1 / 7])
    compare_with_reference(s, agents)


def test_own_profiles_with_patience_per_type_and_thresholds_per_type_equal_the_reference():
    """The mechanisms together on the single pool: own profiles, a type's own patience and talk by
    period, a threshold per call type."""
    agents = 6
    d = mmc_dict(agents=agents, calls_per_hour=75, days=3, warmup_days=0, patience_s=150)
    d["call_types"] = [dict(TWO_TYPES[0], profile=[0.07] * 12 + [0.16 / 12] * 12,
                            patience={"dist": "weibull", "mean_s": 100, "cv": 0.8},
                            talk_factor_by_period=[{"hours": ["00:00", "12:00"], "factor": 0.8},
                                                   {"hours": ["12:00", "24:00"], "factor": 1.3}]),
                       dict(TWO_TYPES[1], profile=[0.16 / 12] * 12 + [0.07] * 12)]
    d["targets"] = {"service_level": {"threshold_s": 20, "threshold_s_by_type": {"a": 40}}}
    del d["arrivals"]["profile"]
    s = scenario_from_dict(d)
    model = Model.from_scenario(s)
    for i in range(2):
        rc = Replication(model, np.random.SeedSequence(7, spawn_key=(i,))).run()
        ref = reference(s, model, np.random.SeedSequence(7, spawn_key=(i,)), agents, by_type=True)
        c = {k: v.sum(axis=1) for k, v in rc.counts.items()}
        assert rc.counts["abandoned"][:, 0].sum() > 50
        for k, r in (("offered", "offered"), ("answered", "answered"), ("abandoned", "abandoned"),
                     ("answered_within_t", "within")):
            np.testing.assert_array_equal(c[k], ref[r], err_msg=k)
        np.testing.assert_array_equal(rc.counts["answered_within_t"].sum(axis=0), ref["within_type"])


FORECAST_TYPES = [
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
    d = mmc_dict(agents=agents, calls_per_hour=75, days=3, warmup_days=1, patience_s=150, call_types=FORECAST_TYPES)
    d["arrivals"].update(day_cv=0.2, forecast={"file": "forecast.csv"})
    s = scenario_from_dict(d, folder=tmp_path)
    model = Model.from_scenario(s)
    days = forecast_days(s)
    assert days[s.calendar.start].cvs[1] == 0 and days[s.calendar.start].cvs[0] > 0.2
    for i in range(3):
        seed = np.random.SeedSequence(2024, spawn_key=(i,))
        rc = Replication(model, seed).run()
        ref = reference(s, model, np.random.SeedSequence(2024, spawn_key=(i,)), agents, forecast=days)
        c = {k: v.sum(axis=1) for k, v in rc.counts.items()}
        m = model.timeline.iv_measured()
        assert c["offered"].sum() > 4000
        for k, f in (("offered", "offered"), ("answered", "answered"), ("abandoned", "abandoned"),
                     ("answered_within_t", "within")):
            np.testing.assert_array_equal(c[k], ref[f][m])
        by_type = rc.counts["offered"].sum(axis=0)
        assert by_type[1] > 1.8 * by_type[0]  # the forecast's shares, not the scenario's 0.6/0.4
