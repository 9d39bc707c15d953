"""Erlang staffing when talk depends on the period: each interval's load uses the mean handle
time of its period (and with groups, each group's own calls at theirs)."""

from __future__ import annotations

import copy

import numpy as np

from helpers import mmc_dict, two_mmc_groups
from ska_sim import scenario_from_dict
from ska_sim.plan.load import LoadModel
from ska_sim.plan.requirement import erlang_plan
from ska_sim.plan.staffing_groups import erlang_group_plan, group_load_models
from ska_sim.scenario.periods import interval_handle_s


def halves(d: dict, morning: float, evening: float) -> dict:
    """Talk x ``morning`` 00:00-12:00 and x ``evening`` 12:00-24:00, every call type."""
    d = copy.deepcopy(d)
    for ct in d["call_types"]:
        ct["talk_factor_by_period"] = [{"hours": ["00:00", "12:00"], "factor": morning},
                                       {"hours": ["12:00", "24:00"], "factor": evening}]
    return d


def test_each_intervals_aht_is_its_periods():
    d = mmc_dict(agents=10, calls_per_hour=80, aht_s=300, days=2, warmup_days=0)
    d["call_types"].append({"name": "b", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 500},
                            "after_call_work": {"dist": "deterministic", "mean_s": 30}, "resolved": 1.0})
    d["call_types"][0]["share"] = 0.6
    s = scenario_from_dict(halves(d, 1.5, 0.5))
    lm = LoadModel(s)
    aht = lm.aht(lm.first)
    tl = lm.tl
    np.testing.assert_allclose(aht, interval_handle_s(s, tl) @ np.array([0.6, 0.4]))
    morning = (tl.iv_start_s % 86400) < 12 * 3600
    np.testing.assert_allclose(aht[morning], 0.6 * 450 + 0.4 * (750 + 30))
    np.testing.assert_allclose(aht[~morning], 0.6 * 150 + 0.4 * (250 + 30))


def test_a_constant_factor_staffs_as_the_scaled_talk():
    d = mmc_dict(agents=10, calls_per_hour=80, aht_s=300, days=2, warmup_days=0)
    doubled = copy.deepcopy(d)
    doubled["call_types"][0]["talk"]["mean_s"] = 600
    a = erlang_plan(scenario_from_dict(doubled))
    b = erlang_plan(scenario_from_dict(halves(d, 2.0, 2.0)))
    np.testing.assert_array_equal(a.agents, b.agents)
    plain = erlang_plan(scenario_from_dict(d))
    assert b.agents.sum() > 1.5 * plain.agents.sum()


def test_the_morning_needs_more_agents_than_the_evening():
    d = mmc_dict(agents=10, calls_per_hour=80, aht_s=300, days=1, warmup_days=0)
    s = scenario_from_dict(halves(d, 1.4, 0.7))
    plan = erlang_plan(s)
    tl = LoadModel(s).tl
    morning = (tl.iv_start_s % 86400) < 12 * 3600
    assert plan.agents[morning].min() > plan.agents[~morning].max()


def test_groups_staff_their_own_calls_at_their_periods_aht():
    s = scenario_from_dict(halves(two_mmc_groups(days=1, replications=2), 2.0, 1.0))
    lm = LoadModel(s)
    glms = group_load_models(s, lm)
    morning = (lm.tl.iv_start_s % 86400) < 12 * 3600
    for glm, talk in zip(glms, (300.0, 400.0)):
        aht = glm.aht(glm.first)
        np.testing.assert_allclose(aht[morning], 2 * talk)
        np.testing.assert_allclose(aht[~morning], talk)
    plan = erlang_group_plan(s, lm=lm, glms=glms)
    assert (plan.agents[morning].sum(axis=0) > plan.agents[~morning].sum(axis=0)).all()
