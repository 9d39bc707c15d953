"""Patience per call type and talk / patience factors by period of arrival, in the engine:
known answers (equal values give the numbers of a scenario without the keys, same seed; a
constant factor equals a scaled distribution; each interval's mean handle time is the
period's), in both pools and for every kind of follow-up."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from helpers import assert_counts_equal, baseline_dict, seed, two_groups

from ska_sim import scenario_from_dict
from ska_sim.scenario.periods import interval_handle_s
from ska_sim.sim.engine import CallRecorder, Model, Replication
from ska_sim.sim.engine.recording import ANSWERED

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def model_of(d: dict) -> Model:
    return Model.from_scenario(scenario_from_dict(d))


def run(d: dict, i: int = 0, routed: bool = False):
    return Replication(model_of(d), seed(i), routed=routed).run()


def with_type_patience(d: dict) -> dict:
    """Every call type given [patience] as its own patience."""
    d = copy.deepcopy(d)
    for ct in d["call_types"]:
        ct["patience"] = copy.deepcopy(d["patience"])
    return d


def all_day(factor: float) -> list[dict]:
    return [{"hours": ["00:00", "24:00"], "factor": factor}]


def transfers() -> dict:
    """Two groups, a share of calls transferred to the back office, patience, redials and repeats."""
    d = two_groups(front=4, back=2, rate_h=55, days=2, warmup_days=0)
    d["patience"] = {"dist": "lognormal", "mean_s": 150, "cv": 0.9}
    d["redial"] = {"probability": 0.6}
    d["repeat"] = {"probability": 0.5, "delay": {"dist": "exponential", "mean_s": 3600}}
    d["call_types"][0]["resolved"] = 0.6
    return d


@pytest.mark.parametrize("routed", [False, True])
def test_per_type_patience_equal_to_the_global_one_changes_no_number(routed):
    d = baseline_dict(days=3)
    for i in range(2):
        a, b = run(d, i, routed), run(with_type_patience(d), i, routed)
        assert a.counts["abandoned"].sum() > 100 and a.counts["offered"].sum() > a.counts["answered"].sum()
        assert_counts_equal(a, b)


def test_per_type_patience_equal_to_the_global_one_changes_no_transfer():
    d = transfers()
    a, b = run(d), run(with_type_patience(d))
    assert a.counts["transfer_abandoned"].sum() > 0
    assert_counts_equal(a, b)


def test_a_type_without_patience_never_abandons_without_global_patience():
    d = baseline_dict(days=3)
    patience = d.pop("patience")
    d["call_types"][0]["patience"] = patience
    rc = run(d)
    by_type = rc.counts["abandoned"]  # (intervals, call types)
    assert by_type[:, 0].sum() > 10  # the type with its own patience abandons
    assert by_type[:, 1:].sum() == 0  # the others wait for ever


@pytest.mark.parametrize("routed", [False, True])
def test_factor_1_in_every_period_changes_no_number(routed):
    d = baseline_dict(days=3)
    e = copy.deepcopy(d)
    e["patience_factor_by_period"] = [{"hours": ["00:00", "12:00"], "factor": 1.0},
                                      {"hours": ["12:00", "24:00"], "factor": 1.0}]
    for ct in e["call_types"]:
        ct["talk_factor_by_period"] = [{"hours": ["09:00", "13:00"], "factor": 1.0, "days": ["mon", "tue"]},
                                       {"hours": ["13:00", "17:00"], "factor": 1.0, "days": ["mon", "tue"]}]
    assert model_of(e).periods is not None
    for i in range(2):
        assert_counts_equal(run(d, i, routed), run(e, i, routed))


def test_factor_1_changes_no_transfer_or_follow_up():
    d = transfers()
    e = copy.deepcopy(d)
    e["call_types"][0]["talk_factor_by_period"] = all_day(1.0)
    e["call_types"][0]["patience_factor_by_period"] = all_day(1.0)
    assert_counts_equal(run(d), run(e))


@pytest.mark.parametrize("routed", [False, True])
def test_a_constant_factor_equals_the_scaled_distribution(routed):
    """Exponential talk and patience: x 2 in every period is the exponential of twice the mean
    (a draw times 2 is exact), on first calls, redials and repeat calls."""
    d = baseline_dict(days=3)
    d["patience"] = {"dist": "exponential", "mean_s": 90}
    for ct in d["call_types"]:
        ct["talk"] = {"dist": "exponential", "mean_s": ct["talk"]["mean_s"]}
    scaled = copy.deepcopy(d)
    scaled["patience"]["mean_s"] = 180
    by_period = copy.deepcopy(d)
    by_period["patience_factor_by_period"] = all_day(2.0)
    for ct, sct in zip(by_period["call_types"], scaled["call_types"]):
        ct["talk_factor_by_period"] = all_day(2.0)
        sct["talk"]["mean_s"] *= 2
    a, b = run(scaled, 0, routed), run(by_period, 0, routed)
    assert a.counts["offered"].sum() > a.counts["answered"].sum() > 1000
    assert_counts_equal(a, b)


def test_a_constant_patience_factor_equals_the_scaled_patience_on_transfers():
    d = transfers()
    d["patience"] = {"dist": "exponential", "mean_s": 150}
    scaled = copy.deepcopy(d)
    scaled["call_types"][0]["patience"] = {"dist": "exponential", "mean_s": 75}
    by_period = copy.deepcopy(d)
    by_period["call_types"][0]["patience_factor_by_period"] = all_day(0.5)
    a, b = run(scaled), run(by_period)
    assert a.counts["transfer_abandoned"].sum() > 0
    assert_counts_equal(a, b)


def two_periods(d: dict, talk: tuple[float, float], patience: tuple[float, float] | None = None) -> dict:
    """Talk (and patience) x the first factor 09:00-13:00, x the second 13:00-17:00, on weekdays."""
    d = copy.deepcopy(d)
    days = ["mon", "tue", "wed", "thu", "fri"]
    for ct in d["call_types"]:
        ct["talk_factor_by_period"] = [{"hours": ["09:00", "13:00"], "factor": talk[0], "days": days},
                                       {"hours": ["13:00", "17:00"], "factor": talk[1], "days": days}]
        if patience is not None:
            ct["patience_factor_by_period"] = [{"hours": ["09:00", "13:00"], "factor": patience[0], "days": days},
                                               {"hours": ["13:00", "17:00"], "factor": patience[1], "days": days}]
    return d


@pytest.mark.parametrize("routed", [False, True])
def test_each_intervals_mean_handle_time_is_its_periods(routed):
    """Recorded calls (every call, first calls and follow-ups): the mean handle time of the
    answered calls arriving in each interval, per call type, against the period's expected mean
    handle time, within 4 standard errors; morning and afternoon clearly apart."""
    d = baseline_dict(days=10)
    d["staffing"]["scale"] = 1.6  # calls are answered whatever their length
    d = two_periods(d, (1.3, 0.6))
    s = scenario_from_dict(d)
    m = Model.from_scenario(s)
    rec = CallRecorder()
    Replication(m, seed(), observer=rec, routed=routed).run()
    r = rec.rec
    arrival, answer, end, acw = (np.array(x) for x in (r.arrival, r.answer, r.end, r.acw))
    ok = np.array(r.outcome) == ANSWERED
    handle = (end - answer + acw)[ok]
    tl = m.timeline
    iv = np.searchsorted(tl.iv_start_s, arrival[ok], side="right") - 1
    types = np.array(r.type)[ok]
    expected = interval_handle_s(s, tl)
    morning = (tl.iv_start_s % 86400) < 13 * 3600
    for k, ct in enumerate(s.call_types):
        for half in (morning, ~morning):
            sel = (types == k) & half[iv]
            assert sel.sum() > 100
            want = float(np.mean(expected[iv[sel], k]))
            se = handle[sel].std() / np.sqrt(sel.sum())
            assert abs(handle[sel].mean() - want) < 4 * se, (ct.name, handle[sel].mean(), want, se)
        talk = ct.talk.build().mean  # x 1.3 in the morning, x 0.6 in the afternoon: 0.7 x talk apart
        np.testing.assert_allclose(expected[morning, k] - ct.mean_handle_s(), 0.3 * talk)
        np.testing.assert_allclose(expected[~morning, k] - ct.mean_handle_s(), -0.4 * talk)


@pytest.mark.parametrize("routed", [False, True])
def test_the_period_is_the_follow_ups_own_arrival(routed):
    """A repeat call keeps no factor of its first call: talk x 3 in the afternoon only, repeat
    calls a day later in the morning or afternoon at random: each recorded call's handle time
    follows the period of its own arrival (talk alone: no after-call work, no identity check)."""
    d = baseline_dict(days=4)
    d["staffing"]["scale"] = 1.6
    for ct in d["call_types"]:
        ct.pop("after_call_work", None)
        ct.pop("identity_check", None)
        ct["talk"] = {"dist": "deterministic", "mean_s": 100}
    d["repeat"] = {"probability": 1.0, "delay": {"dist": "exponential", "mean_s": 20000}}
    d = two_periods(d, (1.0, 3.0))
    rec = CallRecorder()
    Replication(model_of(d), seed(), observer=rec, routed=routed).run()
    r = rec.rec
    ok = np.array(r.outcome) == ANSWERED
    talk = (np.array(r.end) - np.array(r.answer))[ok]
    tod = (np.array(r.arrival) % 86400)[ok]
    kinds = np.array(r.kind)[ok]
    follow = kinds != 0
    assert follow.sum() > 100
    np.testing.assert_allclose(talk, np.where(tod < 13 * 3600, 100.0, 300.0))
