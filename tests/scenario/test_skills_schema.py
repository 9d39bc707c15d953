"""Scenario keys for agent groups: languages, agent groups, routing, lines, identity failures.

Every key is optional: a scenario without them loads as before (same digest, same timeline);
with them, every name must exist and every call must find a group."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from helpers import mmc_dict
from ska_sim import ScenarioError, load_scenario, scenario_from_dict
from ska_sim.scenario.timeline import build_timeline
from helpers import skills_dict




def problems(d: dict) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(d)
    return [str(p) for p in exc.value.problems]


def test_a_skills_scenario_loads_and_its_timeline_has_agents_per_group():
    s = scenario_from_dict(skills_dict())
    assert s.uses_groups() and [g.name for g in s.group_order("family")] == ["family", "et_general", "ru_general"]
    assert [g.name for g in s.group_order("general")] == ["et_general", "ru_general", "family"]
    assert s.language_shares(s.call_types[1]) == {"et": 0.9, "ru": 0.1}
    assert s.language_shares(s.call_types[0]) == {"et": 0.7, "ru": 0.3}
    tl = build_timeline(s)
    assert tl.iv_group_agents.shape == (len(tl.iv_day), 3)
    np.testing.assert_array_equal(tl.iv_agents, tl.iv_group_agents.sum(axis=1))
    assert (tl.iv_group_agents[0] == [4, 2, 1]).all()
    scaled = build_timeline(scenario_from_dict(skills_dict(), overrides=["staffing.scale=1.5"]))
    assert (scaled.iv_group_agents[0] == [6, 3, 2]).all()  # each group rounded: 1.5 -> 2


def test_without_groups_languages_routing_or_lines_the_scenario_keeps_its_shape():
    s = load_scenario("scenarios/baseline.toml")
    assert not s.uses_groups()
    d = s.to_dict()
    assert not {"languages", "groups", "routing", "lines"} & set(d)  # so the digest covers only the keys written
    assert build_timeline(s).iv_group_agents is None


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d["groups"][0].update(languages=["fi"]), "groups[0].languages: unknown language(s) fi"),
        (lambda d: d["groups"][2].update(call_types=["pension"]), "groups[2].call_types: unknown call type(s) pension"),
        (lambda d: d["routing"]["order"].update(family=["family", "nobody"]), "routing.order.family: unknown group(s) nobody"),
        (lambda d: d["routing"]["order"].update(other=["family"]), "routing.order.other: unknown call type 'other'"),
        (lambda d: (d["routing"]["order"].update(family=["family"]), d["groups"][2].update(languages=["et"])),
         "routing.order.family: no group serves 'family' calls in ru"),
        (lambda d: d["languages"]["ru"].update(share=0.5), "languages: shares must sum to 1 (got 1.200000)"),
        (lambda d: d["call_types"][1].update(language_shares={"et": 0.5, "sv": 0.5}),
         "call_types[1].language_shares: unknown language(s) sv"),
        (lambda d: d.update(staffing={"agents": {"default": [1] * 24}}),
         "staffing.agents: give the agents per group in [[groups]] or in [staffing.agents], not both"),
        (lambda d: d["groups"][1].update(agents={"default": [2] * 23}), "groups[1].agents.default: has 23 agents"),
        (lambda d: d["groups"][1].update(name="et_general"), "groups: name 'et_general' is used more than once"),
        (lambda d: d["groups"][0].update(priority={"pensions": 1}), "groups[0].priority: unknown call type(s) pensions"),
        (lambda d: d.update(lines={"count": 0}), "lines.count"),
        (lambda d: d["groups"][0].update(handle_factor=float("inf")), "groups[0].handle_factor: must be a finite number"),
    ],
)
def test_bad_skills_are_named(change, expected):
    d = copy.deepcopy(skills_dict())
    change(d)
    found = problems(d)
    assert any(expected in p for p in found), found


def test_no_agents_at_all_is_named():
    d = mmc_dict()
    del d["staffing"]
    assert any("staffing.agents: missing (required)" in p for p in problems(d))


def test_identity_failure_keys():
    d = mmc_dict()
    d["call_types"][0]["identity_check"] = {"probability": 0.5, "extra": {"dist": "exponential", "mean_s": 40},
                                            "fails": 0.1}
    s = scenario_from_dict(d)
    idc = s.call_types[0].identity_check
    assert idc.fails == 0.1 and idc.written_request == 1.0 and idc.repeat_probability == 0.0
    assert s.uses_groups()  # identity failures take the routed pool
    d["call_types"][0]["identity_check"]["fails"] = 1.5
    assert any("identity_check.fails" in p for p in problems(d))
