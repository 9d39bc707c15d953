"""Staffing plans with the per-call-type keys: a group's ``handle_factor_by_type`` is the handle
time Erlang plans that group's calls with, and ``threshold_s_by_type`` the threshold of the
marginal step's gains (a group's calls at its type's threshold)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from helpers import two_mmc_groups
from ska_sim import scenario_from_dict
from ska_sim.maths.erlang import erlang_c_result
from ska_sim.plan.marginal import best_gains
from ska_sim.plan.requirement import erlang_plan
from ska_sim.plan.staffing_groups import erlang_group_plan
from ska_sim.sim.engine import Model


def test_a_groups_factor_for_a_type_is_the_handle_time_its_plan_uses():
    d = two_mmc_groups(days=2, replications=2)
    d["groups"][0]["handle_factor"] = 2.0  # not used for type a: its own factor wins
    d["groups"][0]["handle_factor_by_type"] = {"a": 0.5}
    plan = erlang_group_plan(scenario_from_dict(d), "interval")
    alone = copy.deepcopy(d)
    alone["call_types"] = [dict(d["call_types"][0], share=1.0, talk={"dist": "exponential", "mean_s": 150.0})]
    alone["groups"] = [dict(d["groups"][0], handle_factor=1.0, handle_factor_by_type={})]
    alone["arrivals"]["daily_calls"] = d["arrivals"]["daily_calls"] * d["call_types"][0]["share"]
    own = erlang_plan(scenario_from_dict(alone), "interval")
    np.testing.assert_array_equal(plan.agents[:, 0], own.agents)
    assert (own.agents < erlang_group_plan(scenario_from_dict(two_mmc_groups(days=2, replications=2)),
                                           "interval").agents[:, 0]).all()


def test_the_marginal_gains_of_a_group_use_its_types_threshold():
    d = two_mmc_groups(days=2, replications=2)
    d["targets"]["service_level"]["threshold_s_by_type"] = {"b": 90}
    s = scenario_from_dict(d)
    gains = best_gains(s, Model.from_scenario(s), 1, np.arange(3))
    sl = erlang_c_result(6, 36 / 3600, 400, 90).service_level
    assert gains(0, 6) == pytest.approx(sl * 36, rel=1e-9)
    line = best_gains(scenario_from_dict(two_mmc_groups(days=2, replications=2)),
                      Model.from_scenario(scenario_from_dict(two_mmc_groups(days=2, replications=2))), 1, np.arange(3))
    assert line(0, 6) == pytest.approx(erlang_c_result(6, 36 / 3600, 400, 20).service_level * 36, rel=1e-9)
