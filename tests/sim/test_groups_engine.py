"""The routed pool (scenarios with agent groups): agent groups, languages, routing and overflow,
phone lines and identity-check failures, against the single pool and known answers.

Exact tests compare ReplicationCounts arrays under the same seed. ``wait_total_s`` (waiting
hours, which include the waits of callers who hung up) is compared to 1e-12 relative: the
routed pool records a hung-up caller at its patience event, the single pool when an agent next
looks at the queue, so the same waits are summed in another order (float rounding only).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from helpers import EXP, mmc_dict
from ska_sim import scenario_from_dict
from ska_sim.sim.engine import Model, Replication, RoutedPool, SinglePool, simulate_replication
from ska_sim.maths.erlang import erlang_b
from ska_sim.sim.kpi import COUNT_FIELDS
from ska_sim.sim.replication import Groups, replication_kpis
from helpers import as_one_group, assert_counts_equal, baseline_dict, seed











# --------------------------------------------------------------------------- 1. no groups: the single pool
def test_a_scenario_without_groups_languages_or_lines_runs_on_the_single_pool():
    m = Model.from_scenario(scenario_from_dict(baseline_dict()))
    assert m.routing is None and m.lines is None and m.n_langs == 1
    assert type(Replication(m, seed()).pool) is SinglePool
    rc = simulate_replication(m, seed())
    assert rc.groups is None and rc.counts["offered"].shape[1] == len(m.types)
    assert rc.counts["blocked"].sum() == 0 and rc.counts["written_requests"].sum() == 0
    out = replication_kpis(m, Groups.of(m), 1, 0)
    # (the baseline's letters, [[written]], add their own levels)
    assert set(out) == {"interval", "day", "time_of_day", "call_type", "window", "type_counts", "type_group",
                        "written_kinds", "written_kind_day"}


def test_no_arrival_is_lost_when_its_event_fires_an_ulp_early():
    """Regression: an arrivals event fires at now0 + (t - now0), which can be one ulp short of t;
    the loop then found nothing due and the rest of the day's calls never arrived (this seed)."""
    d = mmc_dict(agents=7, calls_per_hour=75, days=6, warmup_days=1, patience_s=200, redial={"probability": 0.3})
    m = Model.from_scenario(scenario_from_dict(d))
    for routed in (False, True):
        r = Replication(m, seed(0), routed=routed)
        r.run()
        offered = r.col.counts["offered"].sum(axis=1)
        assert offered.min() > 30, (type(r.pool).__name__, offered[:26])


# --------------------------------------------------------------------------- 2. one group = the single pool
@pytest.mark.parametrize("close", ["serve", "drop"])
def test_the_routed_pool_on_a_model_without_groups_equals_the_single_pool(close):
    d = baseline_dict()
    d["simulation"]["queued_at_close"] = close
    m = Model.from_scenario(scenario_from_dict(d))
    for i in range(2):
        a = Replication(m, seed(i)).run()
        b = Replication(m, seed(i), routed=True).run()  # forced onto the routed pool
        assert b.groups is not None
        assert a.counts["abandoned"].sum() > 50 and a.counts["offered_repeat"].sum() > 50
        assert_counts_equal(a, b)


def test_one_group_with_every_skill_and_one_language_equals_the_single_pool():
    d = baseline_dict()
    today = Model.from_scenario(scenario_from_dict(d))
    g = as_one_group(d)
    g["languages"] = {"et": {"share": 1.0, "talk_factor": 1.0}}
    m = Model.from_scenario(scenario_from_dict(g))
    assert m.routing is not None and m.routing.named
    assert type(Replication(m, seed()).pool) is RoutedPool
    for i in range(2):
        a = Replication(today, seed(i)).run()
        b = simulate_replication(m, seed(i))
        assert_counts_equal(a, b)
        np.testing.assert_array_equal(b.groups.counts["answered"][:, 0], a.counts["answered"].sum(axis=1))
        np.testing.assert_array_equal(b.groups.iv_busy_s[:, 0], a.iv_busy_s)


def test_languages_with_talk_factor_1_equal_the_single_pool_per_call_type():
    d = baseline_dict()
    today = Model.from_scenario(scenario_from_dict(d))
    g = copy.deepcopy(d)
    g["languages"] = {"et": {"share": 0.6}, "ru": {"share": 0.3}, "en": {"share": 0.1}}
    m = Model.from_scenario(scenario_from_dict(g))
    assert m.n_langs == 3 and not m.routing.named
    a = Replication(today, seed()).run()
    b = simulate_replication(m, seed())
    for k in COUNT_FIELDS:  # the language splits each type's cell; its sum is the single pool's
        got = b.by_type_lang(k).sum(axis=2)
        if k == "wait_total_s":
            np.testing.assert_allclose(got, a.counts[k], rtol=1e-12, atol=1e-9)
        else:
            np.testing.assert_array_equal(got, a.counts[k], err_msg=k)
    per_lang = b.by_type_lang("offered_first").sum(axis=(0, 1))
    n = per_lang.sum()
    for share, got in zip((0.6, 0.3, 0.1), per_lang):  # binomial, 5 standard errors
        assert abs(got / n - share) < 5 * math.sqrt(share * (1 - share) / n)
    out = replication_kpis(m, Groups.of(m), 1, 0)
    assert "language" in out and "group" not in out and len(out["language"]["offered"]) == 3


# --------------------------------------------------------------------------- 3. overflow
def two_groups(overflow_s: float | None, c1: int = 4, c2: int = 3, patience_s: float | None = 240) -> dict:
    """Type 'a' served by g1 (and g2 after ``overflow_s``; None: g2 not in a's order);
    type 'b' served by g2 only."""
    d = mmc_dict(agents=1, calls_per_hour=70, days=6, warmup_days=1, patience_s=patience_s,
                 redial={"probability": 0.3}, repeat={"probability": 0.2})
    d["call_types"] = [
        {"name": "a", "share": 0.7, "talk": EXP, "resolved": 0.8},
        {"name": "b", "share": 0.3, "talk": {"dist": "lognormal", "mean_s": 250, "cv": 0.8}, "resolved": 0.8},
    ]
    del d["staffing"]
    d["groups"] = [
        {"name": "g1", "call_types": ["a"], "agents": {"default": [c1] * 24}},
        {"name": "g2", "agents": {"default": [c2] * 24}, "overflow_after_s": overflow_s or 0.0},
    ]
    d["routing"] = {"order": {"a": ["g1", "g2"] if overflow_s is not None else ["g1"], "b": ["g2"]}}
    return d


def test_overflow_after_a_very_long_wait_equals_no_overflow():
    late = Model.from_scenario(scenario_from_dict(two_groups(1e9)))
    never = Model.from_scenario(scenario_from_dict(two_groups(None)))
    soon = Model.from_scenario(scenario_from_dict(two_groups(30.0)))
    for i in range(2):
        a, b = simulate_replication(late, seed(i)), simulate_replication(never, seed(i))
        assert_counts_equal(a, b)
        for k in a.groups.counts:
            np.testing.assert_array_equal(a.groups.counts[k], b.groups.counts[k])
        c = simulate_replication(soon, seed(i))  # the test can fail: overflow after 30 s does change things
        assert not np.array_equal(c.counts["answered_within_t"], b.counts["answered_within_t"])
        assert c.groups.counts["answered"][:, 1].sum() > b.groups.counts["answered"][:, 1].sum()


def test_overflow_at_once_into_a_group_without_calls_of_its_own_is_one_pooled_group():
    d = mmc_dict(agents=7, calls_per_hour=75, days=6, warmup_days=1, patience_s=200, redial={"probability": 0.3})
    pooled = Model.from_scenario(scenario_from_dict(d))
    g = copy.deepcopy(d)
    del g["staffing"]
    g["groups"] = [
        {"name": "first", "agents": {"default": [4] * 24}},
        {"name": "overflow", "agents": {"default": [3] * 24}, "overflow_after_s": 0},
    ]
    split = Model.from_scenario(scenario_from_dict(g))
    for i in range(2):
        a, b = simulate_replication(pooled, seed(i)), simulate_replication(split, seed(i))
        assert a.counts["abandoned"].sum() > 50
        assert_counts_equal(a, b, duty_exact=False)  # on-duty time is summed per group (rounding)
        assert b.groups.counts["answered"][:, 1].sum() > 0
        np.testing.assert_allclose(b.groups.iv_busy_s.sum(axis=1), a.iv_busy_s, rtol=1e-12)


def test_an_agent_takes_the_highest_priority_call_it_may_take():
    """Two types, one group; type 'urgent' has priority: its calls wait less (same seed)."""
    d = mmc_dict(agents=1, calls_per_hour=110, days=4, warmup_days=1)
    d["call_types"] = [{"name": "plain", "share": 0.5, "talk": EXP, "resolved": 1.0},
                       {"name": "urgent", "share": 0.5, "talk": EXP, "resolved": 1.0}]
    del d["staffing"]
    d["groups"] = [{"name": "all", "agents": {"default": [10] * 24}, "priority": {"urgent": 2}}]
    rc = simulate_replication(Model.from_scenario(scenario_from_dict(d)), seed())
    waits = rc.counts["wait_sum_s"].sum(axis=0) / rc.counts["answered"].sum(axis=0)
    assert waits[1] < 0.5 * waits[0]
    d["groups"][0]["priority"] = {}
    rc = simulate_replication(Model.from_scenario(scenario_from_dict(d)), seed())
    waits = rc.counts["wait_sum_s"].sum(axis=0) / rc.counts["answered"].sum(axis=0)
    assert 0.7 < waits[1] / waits[0] < 1.4  # without priority both wait alike


@pytest.mark.parametrize("policy", ["random", "longest_idle"])
def test_other_policies_route_every_call_and_conserve_calls(policy):
    d = two_groups(20.0)
    d["routing"]["policy"] = policy
    m = Model.from_scenario(scenario_from_dict(d))
    rc = simulate_replication(m, seed())
    c = {k: v.sum() for k, v in rc.counts.items()}
    assert c["offered"] == c["answered"] + c["abandoned"] + c["unanswered_at_close"] + c["blocked"]
    assert rc.groups.counts["answered"].sum() == c["answered"]
    np.testing.assert_allclose(rc.groups.iv_on_duty_s.sum(), rc.iv_on_duty_s.sum(), rtol=1e-12)
    assert rc.groups.busy_s.sum() <= rc.groups.on_duty_s.sum() + 1e-6


# --------------------------------------------------------------------------- 4. phone lines
def lines_dict(agents: int, lines: int, calls_per_hour: float, days: int = 30) -> dict:
    d = mmc_dict(agents=agents, calls_per_hour=calls_per_hour, days=days, warmup_days=1)
    d["lines"] = {"count": lines}
    return d


def blocked_share(d: dict, reps: int = 4) -> tuple[float, float]:
    m = Model.from_scenario(scenario_from_dict(d))
    shares = []
    for i in range(reps):
        rc = simulate_replication(m, seed(i))
        shares.append(rc.counts["blocked"].sum() / rc.counts["offered"].sum())
    shares = np.asarray(shares)
    return float(shares.mean()), float(shares.std(ddof=1) / math.sqrt(reps))


def test_lines_without_waiting_room_match_erlang_b():
    """lines = agents, exponential talk, no ACW, no redial: M/M/c/c (Erlang's loss formula)."""
    c, a = 5, 4.0  # 48 calls/h x 300 s
    mean, se = blocked_share(lines_dict(c, c, 48))
    b = erlang_b(c, a)
    assert 0.15 < b < 0.25
    assert abs(mean - b) < max(4 * se, 0.01), (mean, se, b)


def test_lines_with_waiting_room_match_mmck():
    """lines K > agents c, no abandonment: M/M/c/K blocking, p_K of the birth-death chain."""
    c, k, a = 4, 7, 3.6
    p = np.array([a**n / math.factorial(min(n, c)) / c ** max(0, n - c) for n in range(k + 1)])
    p_block = p[-1] / p.sum()
    mean, se = blocked_share(lines_dict(c, k, 3.6 * 12))
    assert abs(mean - p_block) < max(4 * se, 0.01), (mean, se, p_block)


def test_blocked_calls_are_offered_not_answered_and_redial():
    d = lines_dict(3, 3, 48, days=4)
    d["redial"] = {"probability": 0.5, "delay": {"dist": "exponential", "mean_s": 60}}
    rc = simulate_replication(Model.from_scenario(scenario_from_dict(d)), seed())
    c = {k: v.sum() for k, v in rc.counts.items()}
    assert c["blocked"] > 100
    assert c["offered"] == c["answered"] + c["abandoned"] + c["unanswered_at_close"] + c["blocked"]
    share = c["offered_redial"] / c["blocked"]  # no patience, so redials are of blocked callers only
    assert abs(share - 0.5) < 5 * math.sqrt(0.25 / c["blocked"]) + 0.01
    d["lines"]["count"] = 10_000  # lines never full: the routed pool without a line limit
    big = simulate_replication(Model.from_scenario(scenario_from_dict(d)), seed())
    del d["lines"]
    d["languages"] = {"et": {"share": 1.0}}
    free = simulate_replication(Model.from_scenario(scenario_from_dict(d)), seed())
    assert big.counts["blocked"].sum() == 0
    assert_counts_equal(big, free)


# --------------------------------------------------------------------------- 5. identity failures
def identity_dict(fails: float, written: float, repeat: float) -> dict:
    d = mmc_dict(agents=12, calls_per_hour=100, days=8, warmup_days=1,
                 repeat={"probability": 1.0, "delay": {"dist": "exponential", "mean_s": 3600}})
    d["call_types"] = [{"name": "all", "share": 1.0, "talk": EXP, "resolved": 1.0,
                        "identity_check": {"probability": 0.5, "extra": {"dist": "deterministic", "mean_s": 30},
                                           "fails": fails, "written_request": written, "repeat_probability": repeat}}]
    return d


def test_identity_failures_answer_without_resolving_and_count_written_requests():
    m = Model.from_scenario(scenario_from_dict(identity_dict(0.3, 0.5, 0.0)))
    assert m.routing is not None  # identity failures run on the routed pool
    rc = simulate_replication(m, seed())
    c = {k: v.sum() for k, v in rc.counts.items()}
    n = c["first_contacts"]
    fail = 0.5 * 0.3  # P(check needed) x P(fails)
    assert c["answered"] == c["offered"]  # failed checks are answered calls
    assert abs((n - c["resolved_first"]) / n - fail) < 5 * math.sqrt(fail * (1 - fail) / n)
    w = fail * 0.5
    assert abs(c["written_requests"] / n - w) < 5 * math.sqrt(w * (1 - w) / n)
    assert c["offered_repeat"] == 0  # resolved calls need no repeat; failed ones call again only if asked

    again = simulate_replication(Model.from_scenario(scenario_from_dict(identity_dict(0.3, 0.5, 1.0))), seed())
    # every failed check calls again, and a repeat call can fail again: fail / (1 - fail) per issue
    got = again.counts["offered_repeat"].sum() / again.counts["offered_first"].sum()
    want = fail / (1 - fail)
    assert abs(got - want) < 0.1 * want

    none = simulate_replication(Model.from_scenario(scenario_from_dict(identity_dict(0.0, 0.5, 0.0))), seed())
    assert none.counts["resolved_first"].sum() == none.counts["first_contacts"].sum()
    assert none.counts["written_requests"].sum() == 0


# --------------------------------------------------------------------------- groups and languages
def test_disjoint_language_groups_apply_talk_factor_and_count_per_group():
    d = mmc_dict(agents=1, calls_per_hour=60, days=6, warmup_days=1)
    d["languages"] = {"et": {"share": 0.7}, "ru": {"share": 0.3, "talk_factor": 1.5}}
    del d["staffing"]
    d["groups"] = [
        {"name": "et", "languages": ["et"], "agents": {"default": [6] * 24}},
        {"name": "ru", "languages": ["ru"], "agents": {"default": [5] * 24}, "handle_factor": 0.8},
    ]
    m = Model.from_scenario(scenario_from_dict(d))
    rc = simulate_replication(m, seed())
    gc = rc.groups
    answered = gc.counts["answered"].sum(axis=0)
    np.testing.assert_array_equal(answered, rc.by_type_lang("answered").sum(axis=(0, 1)))
    mean_busy = gc.busy_s / answered
    for got, want in zip(mean_busy, (300.0, 300.0 * 1.5 * 0.8)):  # exponential: sd = mean
        assert abs(got - want) < 5 * want / math.sqrt(answered.min())
    out = replication_kpis(m, Groups.of(m), 1, 0)
    assert {"language", "group", "group_interval"} <= set(out)
    assert len(out["group"]["occupancy"]) == 2
    assert len(out["group_interval"]["answered"]) == 2 * int(m.timeline.iv_measured().sum())
    hours = out["group"]["agent_hours"]  # on duty all day, plus a last call finished after the end
    assert np.all(hours >= [6 * 24 * 6, 5 * 24 * 6]) and np.all(hours < [6 * 24 * 6 + 1, 5 * 24 * 6 + 1])


def test_resolution_factor_of_the_answering_group():
    d = mmc_dict(agents=1, calls_per_hour=60, days=6, warmup_days=1)
    d["call_types"][0]["resolved"] = 0.5
    del d["staffing"]
    d["groups"] = [{"name": "experts", "agents": {"default": [8] * 24}, "resolution_factor": 1.6}]
    rc = simulate_replication(Model.from_scenario(scenario_from_dict(d)), seed())
    n = rc.counts["first_contacts"].sum()
    fcr = rc.counts["resolved_first"].sum() / n
    assert abs(fcr - 0.8) < 5 * math.sqrt(0.16 / n)
