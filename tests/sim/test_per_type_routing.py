"""The per-call-type keys of routing and service level: a group's ``handle_factor_by_type``,
``[routing] policy_by_type`` and ``overflow_after_s_by_type``, and
``[targets.service_level] threshold_s_by_type``.

Known answers: a per-type value equal for every type gives exactly the counts of the plain key
(same seed); the service level's calls answered within T are a hand count over the recorded
calls, each against its own type's threshold, in the single pool and in the routed pool; a
type's overflow delay holds its calls for their own group that long, and for them only. The
call-by-call comparison with the reference is in test_groups_reference.py.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from helpers import assert_counts_equal, mmc_dict
from ska_sim import scenario_from_dict
from ska_sim.sim.engine import Model, simulate_replication
from ska_sim.sim.engine.recording import ANSWERED, CALLBACK, record_replication

EXP = {"dist": "exponential", "mean_s": 300}


def seed(i: int = 0) -> np.random.SeedSequence:
    return np.random.SeedSequence(21, spawn_key=(i,))


def two_types(**kw) -> dict:
    """Two call types on two groups that both serve everything, 1 warm-up day, callers hang up."""
    d = mmc_dict(agents=1, calls_per_hour=kw.pop("calls_per_hour", 100), days=4, warmup_days=1, patience_s=240)
    d["call_types"] = [{"name": "pensions", "share": 0.6, "talk": EXP, "resolved": 1.0},
                       {"name": "family", "share": 0.4, "talk": {"dist": "lognormal", "mean_s": 360, "cv": 0.8},
                        "resolved": 1.0}]
    del d["staffing"]
    d["groups"] = [{"name": "pension_desk", "agents": {"default": [5] * 24}},
                   {"name": "family_desk", "agents": {"default": [4] * 24}}]
    d["routing"] = {"order": {"family": ["family_desk", "pension_desk"]}}
    d.update(kw)
    return d


def counts(d: dict, i: int = 0):
    return simulate_replication(Model.from_scenario(scenario_from_dict(d)), seed(i))


# --------------------------------------------------------------------------- equal per type = the plain key
def test_a_handle_factor_given_for_every_type_equals_the_groups_factor():
    plain = two_types()
    plain["groups"][1]["handle_factor"] = 0.8
    keyed = two_types()
    keyed["groups"][1]["handle_factor_by_type"] = {"pensions": 0.8, "family": 0.8}
    for i in range(2):
        assert_counts_equal(counts(plain, i), counts(keyed, i))
    # a factor for one type: that type's calls with that group only (deterministic talk: exact times)
    one = two_types()
    one["call_types"][1]["talk"] = {"dist": "deterministic", "mean_s": 360}
    one["groups"][1]["handle_factor"] = 0.9
    one["groups"][1]["handle_factor_by_type"] = {"family": 0.5}
    _, rec = record_replication(Model.from_scenario(scenario_from_dict(one)), seed())
    talk = {}
    for typ, group, answer, end, outcome in zip(rec.type, rec.group, rec.answer, rec.end, rec.outcome):
        if outcome == ANSWERED:
            talk.setdefault((typ, group), set()).add(round(end - answer, 6))
    assert talk[1, 1] == {180.0} and talk[1, 0] == {360.0}  # family: 0.5 at the family desk, 1 elsewhere
    assert len(talk[0, 1]) > 100  # pensions at the family desk: exponential talk x 0.9 (the group's factor)


def test_an_overflow_delay_given_for_every_type_equals_the_groups_delay():
    plain = two_types()
    for g in plain["groups"]:
        g["overflow_after_s"] = 25
    keyed = two_types()
    keyed["routing"]["overflow_after_s_by_type"] = {"pensions": 25, "family": 25}
    for i in range(2):
        assert_counts_equal(counts(plain, i), counts(keyed, i))


@pytest.mark.parametrize("policy", ["random", "longest_idle", "group_order"])
def test_a_policy_given_for_every_type_equals_the_lines_policy(policy):
    plain = two_types()
    plain["routing"]["policy"] = policy
    keyed = two_types()
    keyed["routing"]["policy_by_type"] = {"pensions": policy, "family": policy}
    for i in range(2):
        assert_counts_equal(counts(plain, i), counts(keyed, i))


def test_thresholds_equal_for_every_type_equal_the_lines_threshold():
    plain = mmc_dict(agents=9, calls_per_hour=100, days=3)
    plain["call_types"] = two_types()["call_types"]
    plain["targets"]["service_level"]["threshold_s"] = 35
    keyed = copy.deepcopy(plain)
    keyed["targets"]["service_level"]["threshold_s_by_type"] = {"pensions": 35, "family": 35}
    m = Model.from_scenario(scenario_from_dict(keyed))
    assert m.type_threshold_s is None and m.single_pool()
    assert_counts_equal(counts(plain), counts(keyed))


# --------------------------------------------------------------------------- thresholds: a hand count
def hand_count(d: dict) -> tuple[np.ndarray, np.ndarray]:
    """(engine's answered within T per call type, the hand count over the recorded calls, each
    call's wait against its own type's threshold)."""
    s = scenario_from_dict(d)
    rc, rec = record_replication(Model.from_scenario(s), seed())
    thr = [s.targets.service_level.threshold_of(ct.name) for ct in s.call_types]
    mine = np.zeros(len(s.call_types))
    for typ, kind, arrival, answer, outcome in zip(rec.type, rec.kind, rec.arrival, rec.answer, rec.outcome):
        if outcome == ANSWERED and kind != CALLBACK and answer - arrival <= thr[typ]:
            mine[typ] += 1
    n_langs = max(1, len(s.languages))
    within = rc.counts["answered_within_t"]
    return within.reshape(len(within), -1, n_langs).sum(axis=(0, 2)), mine


def test_per_type_thresholds_count_each_call_against_its_own_type_in_the_single_pool():
    d = mmc_dict(agents=9, calls_per_hour=110, days=3, warmup_days=0, patience_s=200,
                 redial={"probability": 0.5, "delay": {"dist": "exponential", "mean_s": 300}})
    d["call_types"] = two_types()["call_types"]
    d["targets"]["service_level"]["threshold_s_by_type"] = {"pensions": 60, "family": 5}
    m = Model.from_scenario(scenario_from_dict(d))
    assert m.routing is None and m.single_pool()  # a plain scenario stays in the single pool
    engine, mine = hand_count(d)
    np.testing.assert_array_equal(engine, mine)
    # the thresholds matter: against the line's 20 s both counts differ
    d["targets"]["service_level"]["threshold_s_by_type"] = {}
    plain, _ = hand_count(d)
    assert engine[0] > plain[0] and engine[1] < plain[1]


def test_per_type_thresholds_count_each_call_against_its_own_type_in_the_routed_pool():
    d = two_types(calls_per_hour=120)
    d["calendar"]["warmup_days"] = 0
    d["languages"] = {"et": {"share": 0.7}, "ru": {"share": 0.3}}
    d["targets"] = {"service_level": {"threshold_s": 20, "threshold_s_by_type": {"pensions": 90}}}
    engine, mine = hand_count(d)
    np.testing.assert_array_equal(engine, mine)
    assert mine.sum() > 500
    # a group's calls answered within T follow each call's own threshold too
    rc = counts(d)
    assert rc.groups.counts["answered_within_t"].sum() == rc.counts["answered_within_t"].sum()


# --------------------------------------------------------------------------- own group first, else anyone after N s
def test_a_types_overflow_delay_keeps_its_calls_for_its_own_group_that_long():
    d = two_types(calls_per_hour=120)
    d["routing"]["overflow_after_s_by_type"] = {"family": 45}
    s = scenario_from_dict(d)
    _, rec = record_replication(Model.from_scenario(s), seed())
    waits = {(k, g): [] for k in range(2) for g in range(2)}
    for typ, answer, arrival, group, outcome in zip(rec.type, rec.answer, rec.arrival, rec.group, rec.outcome):
        if outcome == ANSWERED:
            waits[typ, group].append(answer - arrival)
    overflowed = np.asarray(waits[1, 0])  # family calls taken by the pension desk
    assert len(overflowed) > 50 and overflowed.min() >= 45 - 1e-9
    # pension calls still overflow to the family desk at once (its own overflow_after_s is 0)
    assert min(waits[0, 1]) == 0.0


def test_a_handle_factor_for_a_type_the_group_never_takes_is_warned_about():
    from ska_sim import load_scenario
    from ska_sim.scenario.checks import scenario_warnings

    from conftest import ROOT

    path = ROOT / "scenarios" / "skills-languages.toml"
    unused = load_scenario(path, ["groups.family_specialists.handle_factor_by_type={ other = 0.5 }"])
    assert any("groups[3].handle_factor_by_type.other: family_specialists takes no other calls" in w
               for w in scenario_warnings(unused))
    used = load_scenario(path, ["groups.family_specialists.handle_factor_by_type={ family_benefits = 0.5 }",
                                "groups.eu_unit.handle_factor_by_type={ eu_family_benefits = 0.5 }"])
    assert not [w for w in scenario_warnings(used) if "handle_factor_by_type" in w]  # served, or transferred to
