"""Arrival profiles per call type and profiles in calls per hour: the expected first calls per
interval and type, counted by hand."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from ska_sim import scenario_from_dict
from ska_sim.base.errors import ScenarioError
from ska_sim.scenario.checks import scenario_warnings
from ska_sim.scenario.timeline import build_timeline

HOURS = {"mon": ["09:00", "12:00"], "tue": ["09:00", "13:00"]}


def three_hours(**arrivals) -> dict:
    """Mon 09-12 and Tue 09-13 in hourly intervals, two call types (60/40), two days."""
    return {
        "calendar": {"start": "2026-03-02", "days": 2, "interval_min": 60, "hours": HOURS},
        "arrivals": arrivals or {"daily_calls": 100, "profile": {"mon": [0.2, 0.5, 0.3], "tue": [0.25] * 4}},
        "call_types": [{"name": "a", "share": 0.6, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 1.0},
                       {"name": "b", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 100}, "resolved": 1.0}],
        "staffing": {"agents": {"mon": [3, 3, 3], "tue": [3, 3, 3, 3]}},
    }


def per_type(d: dict) -> np.ndarray:
    """Expected first calls per interval and type, (intervals, types)."""
    tl = build_timeline(scenario_from_dict(d))
    mix = tl.iv_type_mix if tl.iv_type_mix is not None else np.tile([0.6, 0.4], (len(tl.iv_day), 1))
    return tl.iv_expected[:, None] * mix


def test_a_type_with_its_own_profile_comes_when_it_says():
    """b's calls come mostly late on Monday; a keeps arrivals.profile. By hand: Monday's 100
    calls are a 60 x (0.2, 0.5, 0.3) and b 40 x (0.1, 0.2, 0.7); Tuesday b follows its default."""
    d = three_hours()
    d["call_types"][1]["profile"] = {"mon": [0.1, 0.2, 0.7], "default": [0.4, 0.3, 0.2, 0.1]}
    got = per_type(d)
    want = np.array([[12, 4], [30, 8], [18, 28], [15, 16], [15, 12], [15, 8], [15, 4]], dtype=float)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    tl = build_timeline(scenario_from_dict(d))
    np.testing.assert_allclose(tl.iv_expected, want.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(tl.iv_type_mix.sum(axis=1), 1.0)


def test_profiles_weighted_to_the_shared_one_give_the_same_totals():
    """Per-type profiles whose share-weighted sum is arrivals.profile give its expected calls
    per interval; profiles equal to it give today's timeline exactly (the same floats)."""
    base = three_hours()
    d = copy.deepcopy(base)
    # 0.6 x a + 0.4 x b = (0.2, 0.5, 0.3) on Monday
    d["call_types"][0]["profile"] = {"mon": [0.2, 0.6, 0.2], "default": [0.25] * 4}
    d["call_types"][1]["profile"] = {"mon": [0.2, 0.35, 0.45], "default": [0.25] * 4}
    del d["arrivals"]["profile"]
    t0, t1 = build_timeline(scenario_from_dict(base)), build_timeline(scenario_from_dict(d))
    np.testing.assert_allclose(t1.iv_expected, t0.iv_expected, rtol=1e-12)
    assert not np.allclose(t1.iv_type_mix[:3], [0.6, 0.4])  # the mix moves within Monday
    same = copy.deepcopy(base)
    for ct in same["call_types"]:
        ct["profile"] = copy.deepcopy(base["arrivals"]["profile"])
    del same["arrivals"]["profile"]
    t2 = build_timeline(scenario_from_dict(same))
    np.testing.assert_array_equal(t2.iv_expected, t0.iv_expected)
    np.testing.assert_array_equal(t2.iv_type_mix, np.tile(scenario_from_dict(base).type_shares(), (7, 1)))


def test_rates_give_the_day_volume():
    """arrivals.profile in calls per hour: 60-minute intervals hold the rates' calls; 30-minute
    intervals half of them; the weekday factor and volume_scale multiply as with shares."""
    d = three_hours(profile_unit="calls_per_hour", profile={"mon": [10, 40, 0], "tue": [5, 5, 5, 5]},
                    weekday_factor={"tue": 2.0}, volume_scale=1.5)
    tl = build_timeline(scenario_from_dict(d))
    np.testing.assert_allclose(tl.iv_expected, [15, 60, 0, 15, 15, 15, 15])
    half = copy.deepcopy(d)
    half["calendar"]["interval_min"] = 30
    half["arrivals"]["profile"] = {"mon": [10, 10, 40, 40, 0, 0], "tue": [5] * 8}
    half["staffing"]["agents"] = {"mon": [3] * 6, "tue": [3] * 8}
    tl = build_timeline(scenario_from_dict(half))
    np.testing.assert_allclose(tl.iv_expected, [7.5, 7.5, 30, 30, 0, 0] + [7.5] * 8)


def test_rates_equal_to_shares_times_daily_calls_give_the_same_timeline():
    shares = three_hours()
    rates = three_hours(profile_unit="calls_per_hour", profile={"mon": [20, 50, 30], "tue": [25] * 4})
    np.testing.assert_allclose(build_timeline(scenario_from_dict(rates)).iv_expected,
                               build_timeline(scenario_from_dict(shares)).iv_expected, rtol=1e-12)


def test_rates_per_call_type_give_each_type_its_calls_and_share():
    """Every type with its own calls per hour: no share, no arrivals.profile; a type's share is
    its part of a week of the rates (Monday: a 60, b 40 calls; Tuesday: a 40, b 40 x 2)."""
    d = three_hours(profile_unit="calls_per_hour", weekday_factor={"tue": 2.0})
    d["call_types"][0].pop("share")
    d["call_types"][1].pop("share")
    d["call_types"][0]["profile"] = {"mon": [30, 30, 0], "tue": [5, 5, 5, 5]}
    d["call_types"][1]["profile"] = {"mon": [0, 10, 30], "default": [10, 0, 0, 10]}
    s = scenario_from_dict(d)
    got = per_type(d)
    want = np.array([[30, 0], [30, 10], [0, 30], [10, 20], [10, 0], [10, 0], [10, 20]], dtype=float)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(s.type_shares(), [100 / 180, 80 / 180])
    assert "share" not in s.to_dict()["call_types"][0]


def test_rates_of_zero_are_intervals_without_calls():
    d = three_hours(profile_unit="calls_per_hour", profile={"default": [0, 0, 0, 0], "mon": [0, 12, 0]})
    tl = build_timeline(scenario_from_dict(d))
    np.testing.assert_allclose(tl.iv_expected, [0, 12, 0, 0, 0, 0, 0])


def test_a_type_profile_rounded_within_a_thousandth_is_normalised_with_a_warning():
    d = three_hours()
    d["call_types"][1]["profile"] = {"default": [0.4, 0.3, 0.2, 0.0995], "mon": [0.1, 0.2, 0.7]}
    s = scenario_from_dict(d)
    assert scenario_warnings(s) == ["call_types[1].profile.default: shares sum to 0.999500, not 1: divided by their "
                                    "sum (a rounding)"]
    tue_b = per_type(d)[3:, 1]
    np.testing.assert_allclose(tue_b, 40 * np.array([0.4, 0.3, 0.2, 0.0995]) / 0.9995)


def test_scenarios_without_the_new_keys_keep_their_digest():
    """profile_unit = "shares" (the default) and unused per-type profiles stay out of the
    canonical dictionary, so an existing scenario keeps its digest."""
    s = scenario_from_dict(three_hours())
    assert "profile_unit" not in s.to_dict()["arrivals"]
    assert all("profile" not in ct for ct in s.to_dict()["call_types"])
    d = three_hours(profile_unit="calls_per_hour", profile=[1, 2, 3, 4])
    d["staffing"]["agents"] = {"default": [3, 3, 3, 3]}
    d["calendar"]["hours"] = {"mon": ["09:00", "13:00"]}
    assert scenario_from_dict(d).to_dict()["arrivals"]["profile_unit"] == "calls_per_hour"


@pytest.mark.parametrize("change, where, what", [
    (lambda d: d["call_types"][1].update(profile={"mon": [0.5, 0.5, 0.1]}), "call_types[1].profile.mon", "sum to 1"),
    (lambda d: d["call_types"][1].update(profile={"mon": [0.5, 0.5, 0.0]}), "call_types[1].profile",
     "no vector for tue"),
])
def test_type_profiles_refused(change, where, what):
    d = three_hours()
    change(d)
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(d)
    assert any(p.path == where and what in p.message for p in exc.value.problems), str(exc.value)


def test_arrivals_profile_unused_by_every_type_is_a_warning():
    """Every type with its own profile: arrivals.profile stays allowed (a --set may give the
    last type its own) and a warning says it is not used."""
    d = three_hours()
    d["call_types"][0]["profile"] = {"mon": [0.5, 0.25, 0.25], "tue": [0.25] * 4}
    s = scenario_from_dict(d)
    assert scenario_warnings(s) == []
    d["call_types"][1]["profile"] = {"mon": [0.5, 0.25, 0.25], "tue": [0.25] * 4}
    assert scenario_warnings(scenario_from_dict(d)) == ["arrivals.profile is not used: every call type has a "
                                                        "profile of its own"]


def test_rates_per_type_that_are_all_zero_are_refused():
    d = three_hours(profile_unit="calls_per_hour")
    for ct in d["call_types"]:
        ct.pop("share")
        ct["profile"] = [0, 0, 0, 0]
    d["calendar"]["hours"] = {"tue": ["09:00", "13:00"]}
    d["calendar"]["start"] = "2026-03-03"
    with pytest.raises(ScenarioError, match="call_types: the call types' calls per hour are 0 on every open weekday"):
        scenario_from_dict(d)
    d["call_types"][1]["profile"] = [0, 0, 0, 6]
    s = scenario_from_dict(d)
    assert s.type_shares().tolist() == [0.0, 1.0] and s.written_shares() == [0.0, 1.0]
    assert s.mean_handle_s() == 100.0  # b's
