"""The routed pool (agent groups) checked call by call against an independent
reference (tests/groups_reference.py), and against known answers under the conditions of
ISSUE-NOTES.md ("Known-answer tests").

Statistical checks use fixed seeds and the 99.9% Student-t interval over replications of
the simulated value (each replication is one independent run), so they never change from
run to run, and a wrong mechanism (a line limit counting after-call work, overflow taking
calls before its time, groups sharing agents) moves the value far outside them.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from groups_reference import draw_day, reference
from helpers import ci, ALL_DAY, as_one_group, forecast_rows, mmc_dict, write_forecast
from ska_sim import scenario_from_dict
from ska_sim.sim.engine import PURPOSES, Model, simulate_replication
from ska_sim.maths.erlang import erlang_b, erlang_c_result

SEED = 8


def seeds(n: int, base: int = SEED):
    return [np.random.SeedSequence(base, spawn_key=(i,)) for i in range(n)]


def run(d: dict, n: int, base: int = SEED):
    model = Model.from_scenario(scenario_from_dict(d))
    return [simulate_replication(model, q) for q in seeds(n, base)]


def assert_inside(values, theory: float, what: str, max_half: float) -> None:
    mean, half = ci(values)
    assert half < max_half, f"{what}: interval too wide to test anything (+/- {half:.4f})"
    assert abs(mean - theory) <= half, f"{what}: simulated {mean:.4f} +/- {half:.4f} (99.9%), theory {theory:.4f}"


def total(rc, field: str) -> float:
    return float(rc.counts[field].sum())


# --------------------------------------------------------------------------- engine vs reference
def skills_scenario(**kw) -> dict:
    """3 groups with overlapping skills, overflow after 30 s, priorities, 2 languages, lines,
    identity failures, handle and resolution factors; queue cut off at closing."""
    d = mmc_dict(agents=1, calls_per_hour=kw.pop("calls_per_hour", 70), days=kw.pop("days", 3), warmup_days=0,
                 patience_s=180)
    d["call_types"] = [
        {"name": "general", "share": 0.7, "talk": {"dist": "exponential", "mean_s": 280},
         "after_call_work": {"dist": "gamma", "mean_s": 40, "cv": 0.6}, "resolved": 0.7,
         "identity_check": {"probability": 0.5, "extra": {"dist": "lognormal", "mean_s": 45, "cv": 0.3},
                            "fails": 0.2, "written_request": 0.5}},
        {"name": "family", "share": 0.3, "talk": {"dist": "lognormal", "mean_s": 360, "cv": 0.8}, "resolved": 0.6,
         "language_shares": {"et": 0.8, "ru": 0.2}},
    ]
    d["languages"] = {"et": {"share": 0.65}, "ru": {"share": 0.35, "talk_factor": 1.15}}
    del d["staffing"]
    d["groups"] = [
        {"name": "et_general", "languages": ["et"], "agents": {"default": [3] * 24}},
        {"name": "ru_general", "languages": ["ru", "et"], "agents": {"default": [2] * 24}, "overflow_after_s": 30,
         "priority": {"default": 1, "family": 2}},
        {"name": "family", "call_types": ["family"], "agents": {"default": [2] * 24}, "handle_factor": 0.8,
         "resolution_factor": 1.3},
    ]
    d["routing"] = {"order": {"family": ["family", "et_general", "ru_general"]}}
    d["lines"] = {"count": 11}
    d["simulation"]["queued_at_close"] = "drop"
    d.update(kw)
    return d


def changing_staffing(d: dict) -> dict:
    """Opening hours 08:00-18:00 and staffing that changes during the day."""
    d = copy.deepcopy(d)
    d["calendar"]["hours"] = {k: ["08:00", "18:00"] for k in ALL_DAY}
    d["arrivals"]["profile"] = [0.06, 0.09, 0.12, 0.13, 0.1, 0.08, 0.1, 0.12, 0.11, 0.09]
    d["arrivals"]["daily_calls"] = 10 * 80
    vectors = {"et_general": [2, 3, 4, 4, 3, 2, 3, 4, 3, 2], "ru_general": [1, 2, 2, 3, 2, 1, 1, 2, 2, 1],
               "family": [1, 1, 2, 2, 2, 1, 0, 1, 2, 1]}
    for g in d["groups"]:
        g["agents"] = {"default": vectors[g["name"]]}
    return d


REDIAL = {"probability": 0.6, "delay": {"dist": "exponential", "mean_s": 900}}
SCENARIOS = {
    "constant staffing": lambda: skills_scenario(),
    "changing staffing, closing": lambda: changing_staffing(skills_scenario()),
    "no lines, no factors, overflow at once": lambda: _no_lines(),
    "serve the queue at closing": lambda: _serve_at_close(),
    "per call type: factors, policies, overflow, thresholds": lambda: _per_type(),
    "per call type: random line, one type in group order": lambda: _per_type_random_line(),
    "a message at the maximum wait": lambda: changing_staffing(skills_scenario(message={"after_s": 60, "leave": 0.6})),
    "redials": lambda: changing_staffing(skills_scenario(redial=REDIAL)),
    "redials by the same caller, messages": lambda: changing_staffing(skills_scenario(
        redial=REDIAL | {"same_caller": True, "keep_patience": 0.5}, message={"after_s": 150, "leave": 0.5})),
    "same caller drawing a new talk time": lambda: skills_scenario(
        redial=REDIAL | {"same_caller": True, "keep_patience": 1.0, "keep_talk": False}),
    "patience per type, talk and patience by period": lambda: _by_type_and_period(),
    "redials drawing patience per type and factors by period": lambda: _by_type_and_period(redial=REDIAL),
    "the same caller with patience per type, longest idle": lambda: _by_type_and_period(
        redial=REDIAL | {"same_caller": True, "keep_patience": 0.7, "keep_talk": False}, policy="longest_idle"),
    "call types with their own profiles": lambda: _own_profiles(),
    "call types with their own calls per hour": lambda: _own_rates(),
    "all at once: own profiles, same caller, patience and thresholds per type": lambda: _all_at_once(),
}


def _all_at_once() -> dict:
    """Family calls late in the day with their own patience; talk and patience by period; redials
    by the same caller; a threshold per call type; messages at a maximum wait."""
    d = _by_type_and_period(redial=REDIAL | {"same_caller": True, "keep_patience": 0.8})
    d["call_types"][1]["profile"] = [0.02, 0.03, 0.05, 0.05, 0.1, 0.1, 0.15, 0.15, 0.2, 0.15]
    d["targets"] = {"service_level": {"threshold_s": 20, "threshold_s_by_type": {"family": 45}}}
    d["message"] = {"after_s": 200, "leave": 0.5}
    return d


def _per_type() -> dict:
    """Handle factors per (group, call type); general calls go to et_general or ru_general at once,
    whichever random draw picks; family calls wait 15 s for their own group, then the longest idle
    agent of the other two takes them; family calls' service level counts within 60 s."""
    d = changing_staffing(skills_scenario())
    d["groups"][2]["handle_factor_by_type"] = {"family": 0.7}
    d["groups"][0]["handle_factor_by_type"] = {"family": 1.2}
    d["routing"]["policy_by_type"] = {"general": "random", "family": "longest_idle"}
    d["routing"]["overflow_after_s_by_type"] = {"general": 0, "family": 15}
    d["targets"] = {"service_level": {"threshold_s": 20, "threshold_s_by_type": {"family": 60}}}
    return d


def _per_type_random_line() -> dict:
    """The line's policy random, family calls in group order, every group at once for them."""
    d = skills_scenario(calls_per_hour=80)
    d["routing"]["policy"] = "random"
    d["routing"]["policy_by_type"] = {"family": "group_order"}
    d["routing"]["overflow_after_s_by_type"] = {"family": 0}
    d["targets"] = {"service_level": {"threshold_s": 20, "threshold_s_by_type": {"general": 10}}}
    return d


def _by_type_and_period(redial: dict | None = None, policy: str | None = None) -> dict:
    """Changing staffing; the family type with its own patience, general with [patience]; talk
    of general x 1.4 in the morning and x 0.7 after 13:00 on Monday and Wednesday only (x 1 on
    other days); patience x 0.5 then x 2 for every type without its own periods, family's own
    periods around noon."""
    d = changing_staffing(skills_scenario() if redial is None else skills_scenario(redial=redial))
    if policy is not None:
        d["routing"]["policy"] = policy
    d["call_types"][1]["patience"] = {"dist": "weibull", "mean_s": 90, "cv": 0.7}
    d["call_types"][0]["talk_factor_by_period"] = [
        {"hours": ["08:00", "13:00"], "factor": 1.4, "days": ["mon", "wed"]},
        {"hours": ["13:00", "18:00"], "factor": 0.7, "days": ["mon", "wed"]}]
    d["patience_factor_by_period"] = [{"hours": ["00:00", "12:00"], "factor": 0.5},
                                      {"hours": ["12:00", "24:00"], "factor": 2.0}]
    d["call_types"][1]["patience_factor_by_period"] = [{"hours": ["08:00", "11:30"], "factor": 1.0},
                                                       {"hours": ["11:30", "18:00"], "factor": 3.0}]
    return d


def _own_rates() -> dict:
    """Changing staffing; each type's own calls per hour (general early, family late)."""
    d = changing_staffing(skills_scenario())
    d["arrivals"] = {"profile_unit": "calls_per_hour"}
    d["call_types"][0].pop("share")
    d["call_types"][1].pop("share")
    d["call_types"][0]["profile"] = [60, 70, 80, 70, 60, 50, 40, 40, 30, 30]
    d["call_types"][1]["profile"] = [5, 5, 10, 10, 15, 20, 25, 30, 30, 25]
    return d


def _own_profiles() -> dict:
    """Changing staffing; family calls come late in the day (their own profile), general calls
    as arrivals.profile says."""
    d = changing_staffing(skills_scenario())
    d["call_types"][1]["profile"] = [0.02, 0.03, 0.05, 0.05, 0.1, 0.1, 0.15, 0.15, 0.2, 0.15]
    return d


def _serve_at_close() -> dict:
    """Changing staffing with the closing crew serving the queue; a group ends the day with no
    agents (its busy agents are past their shift at closing)."""
    d = changing_staffing(skills_scenario())
    d["simulation"]["queued_at_close"] = "serve"
    d["arrivals"]["profile"] = [0.06, 0.09, 0.12, 0.13, 0.1, 0.08, 0.1, 0.1, 0.1, 0.12]
    d["groups"][1]["agents"]["default"][-1] = 0
    return d


def _no_lines() -> dict:
    d = skills_scenario(calls_per_hour=80)
    del d["lines"]
    for g in d["groups"]:
        g.pop("handle_factor", None)
    d["groups"][1]["overflow_after_s"] = 0
    return d


def test_the_profile_scenarios_move_the_call_type_mix():
    for name in ("call types with their own profiles", "call types with their own calls per hour"):
        mix = Model.from_scenario(scenario_from_dict(SCENARIOS[name]())).timeline.iv_type_mix
        assert mix is not None and np.ptp(mix[:, 1]) > 0.2, name  # family calls: a small part early, a large late


REF_FIELDS = ("offered", "answered", "answered_within_t", "abandoned", "unanswered_at_close", "blocked",
              "resolved_first", "written_requests", "messages", "offered_redial", "callers", "callers_answered",
              "callers_answered_within_t", "caller_attempts")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_engine_equals_the_reference_call_by_call(name):
    s = scenario_from_dict(SCENARIOS[name]())
    model = Model.from_scenario(s)
    for q in seeds(2, base=80):
        rc = simulate_replication(model, q)
        ref = reference(s, np.random.SeedSequence(q.entropy, spawn_key=q.spawn_key), PURPOSES, draw_day)
        assert total(rc, "offered") > 1000
        for f in REF_FIELDS:
            np.testing.assert_array_equal(rc.counts[f], ref["cells"][f], err_msg=f"{name}: {f}")
        for f in ("wait_sum_s", "caller_wait_sum_s"):
            np.testing.assert_allclose(rc.counts[f], ref["cells"][f], rtol=1e-9, atol=1e-6, err_msg=f)
        for f in ("answered", "answered_within_t", "offered", "offered_within_t"):
            np.testing.assert_array_equal(rc.groups.counts[f], ref["groups"][f], err_msg=f"{name}: groups {f}")
        np.testing.assert_allclose(rc.groups.counts["wait_sum_s"], ref["groups"]["wait_sum_s"], rtol=1e-9, atol=1e-6)
        # every inbound call offered is offered to exactly one group
        np.testing.assert_array_equal(rc.groups.counts["offered"].sum(axis=1), rc.counts["offered"].sum(axis=1))
    # the scenario exercises what it claims to
    c = ref["cells"]
    assert c["abandoned"].sum() > 10 and c["written_requests"].sum() > 10
    assert (ref["groups"]["answered"].sum(axis=0) > 100).all()
    if s.lines is not None:
        assert c["blocked"].sum() > 10
    assert (c["messages"].sum() > 10) == (s.message is not None)
    assert (c["offered_redial"].sum() > 100) == (s.redial.probability > 0)
    assert (c["callers"].sum() > 1000) == s.redial.same_caller


def test_engine_equals_the_reference_with_a_forecast(tmp_path):
    """The routed pool with [arrivals.forecast] (a row per call type, cv fitted per type): the
    days' volumes and type shares drawn from the forecast stream, call by call as the reference."""
    write_forecast(tmp_path, forecast_rows("2026-03-02", 3, 70 * 24, 0.2, types={"general": 0.5, "family": 0.5}))
    d = skills_scenario()
    d["arrivals"]["forecast"] = {"file": "forecast.csv"}
    s = scenario_from_dict(d, folder=tmp_path)
    model = Model.from_scenario(s)
    assert model.forecast is not None and not model.single_pool()
    for q in seeds(2, base=81):
        rc = simulate_replication(model, q)
        ref = reference(s, np.random.SeedSequence(q.entropy, spawn_key=q.spawn_key), PURPOSES, draw_day)
        for f in REF_FIELDS:
            np.testing.assert_array_equal(rc.counts[f], ref["cells"][f], err_msg=f)
        np.testing.assert_allclose(rc.counts["wait_sum_s"], ref["cells"]["wait_sum_s"], rtol=1e-9, atol=1e-6)
        offered = rc.counts["offered"].sum(axis=0)
        n_l = len(model.languages)
        general, family = offered[:n_l].sum(), offered[n_l:].sum()
        assert 0.8 < general / family < 1.25  # the forecast's half and half, not the scenario's 0.7/0.3


# --------------------------------------------------------------------------- phone lines
def mmck_blocking(c: int, k: int, load: float) -> float:
    """P(an arrival finds all K lines busy) in M/M/c/K: p_n ~ A^n/n! for n <= c, A^c/c! (A/c)^(n-c)
    for c < n <= K; blocking = p_K / sum p_n (PASTA).

    Worked case: c = 2, K = 3, A = 1: p_0..p_3 ~ 1, 1, 1/2, 1/4 (sum 11/4), blocking 1/11."""
    w = [load**n / math.factorial(n) for n in range(c + 1)]
    w += [w[c] * (load / c) ** (n - c) for n in range(c + 1, k + 1)]
    return w[k] / sum(w)


def test_mmck_formula():
    assert mmck_blocking(2, 3, 1.0) == pytest.approx(1 / 11, rel=1e-12)
    assert mmck_blocking(5, 5, 4.0) == pytest.approx(erlang_b(5, 4.0), rel=1e-12)  # K = c is Erlang B


def blocked_share(reps) -> list[float]:
    return [total(rc, "blocked") / total(rc, "offered") for rc in reps]


def test_lines_equal_to_agents_block_as_erlang_b():
    # 6 agents and 6 lines, 60 calls/h x 300 s = 5 Erlang, exponential talk, no ACW, no redials:
    # a call finds a free line exactly when it finds a free agent -> M/M/6/6
    d = mmc_dict(agents=6, calls_per_hour=60, aht_s=300, days=8, warmup_days=1, patience_s=120)
    d["lines"] = {"count": 6}
    reps = run(d, 10)
    theory = erlang_b(6, 5.0)  # 0.1918
    assert_inside(blocked_share(reps), theory, "blocked share, M/M/6/6", max_half=0.02)
    # nobody waits: a caller who gets a line gets an agent
    assert all(total(rc, "abandoned") == 0 and total(rc, "answered_within_t") == total(rc, "answered") for rc in reps)


def test_lines_with_a_waiting_room_block_as_mmck():
    # 3 agents, 7 lines (a waiting room of 4), 36 calls/h x 300 s = 3 Erlang (rho = 1: the
    # formula is still finite), no abandonment, exponential handle, no redials
    d = mmc_dict(agents=3, calls_per_hour=36, aht_s=300, days=10, warmup_days=1)
    d["lines"] = {"count": 7}
    reps = run(d, 10)
    theory = mmck_blocking(3, 7, 3.0)  # 4.5 / 31 = 0.1452
    assert theory == pytest.approx(4.5 / 31, rel=1e-12)
    assert_inside(blocked_share(reps), theory, "blocked share, M/M/3/7", max_half=0.03)
    assert all(total(rc, "blocked") > 100 for rc in reps)


def test_after_call_work_keeps_the_line_free():
    # the same M/M/6/6 with half the handle time as ACW: lines are released at talk end, so
    # calls can now wait, and fewer are blocked than Erlang B at the talk+ACW load says
    d = mmc_dict(agents=6, calls_per_hour=60, aht_s=150, days=8, warmup_days=1)
    d["call_types"][0]["after_call_work"] = {"dist": "exponential", "mean_s": 150}
    d["lines"] = {"count": 6}
    reps = run(d, 5)
    mean, half = ci(blocked_share(reps))
    assert mean + half < erlang_b(6, 5.0) - 0.03
    assert sum(total(rc, "answered") - total(rc, "answered_within_t") for rc in reps) >= 0


# --------------------------------------------------------------------------- disjoint groups
def disjoint(d: dict) -> dict:
    d["call_types"] = [
        {"name": "a", "share": 0.6, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 1.0},
        {"name": "b", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 1.0},
    ]
    del d["staffing"]
    d["groups"] = [
        {"name": "ga", "call_types": ["a"], "agents": {"default": [10] * 24}},
        {"name": "gb", "call_types": ["b"], "agents": {"default": [7] * 24}},
    ]
    return d


def sl(rc, col=None) -> float:
    c = rc.counts
    if col is None:
        return float(c["answered_within_t"].sum() / c["offered"].sum())
    return float(c["answered_within_t"][:, col].sum() / c["offered"][:, col].sum())


def test_disjoint_groups_are_separate_mmc_queues():
    # 160 calls/h split 60/40: type a is Poisson 96/h on 10 agents (8 Erlang), type b 64/h on 7
    # agents (5.33 Erlang); each group is M/M/c: Erlang C per group, and the same as a run of
    # that group alone (a statistical comparison: the split draws different callers)
    d = disjoint(mmc_dict(calls_per_hour=160, days=8, warmup_days=1))
    reps = run(d, 12)
    alone = {0: run(mmc_dict(agents=10, calls_per_hour=96, days=8, warmup_days=1), 12, base=SEED + 1),
             1: run(mmc_dict(agents=7, calls_per_hour=64, days=8, warmup_days=1), 12, base=SEED + 2)}
    for col, (agents, rate_h) in enumerate(((10, 96), (7, 64))):
        theory = erlang_c_result(agents, rate_h / 3600, 300, 20).service_level
        assert_inside([sl(rc, col) for rc in reps], theory, f"service level of group {col}", max_half=0.06)
        assert_inside([sl(rc) for rc in alone[col]], theory, f"service level of group {col} alone", max_half=0.06)
        m1, h1 = ci([sl(rc, col) for rc in reps])
        m2, h2 = ci([sl(rc) for rc in alone[col]])
        assert abs(m1 - m2) <= math.hypot(h1, h2), (col, m1, h1, m2, h2)
        # the group answered exactly its own calls
        for rc in reps:
            np.testing.assert_array_equal(rc.groups.counts["answered"][:, col], rc.counts["answered"][:, col])


# --------------------------------------------------------------------------- overflow
def two_types_two_groups(overflow_s: float | None) -> dict:
    """Type a: group ga first, then gb after ``overflow_s`` (None: a is not routed to gb)."""
    d = mmc_dict(calls_per_hour=150, days=4, warmup_days=0, patience_s=200)
    d["call_types"] = [
        {"name": "a", "share": 0.7, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 0.8},
        {"name": "b", "share": 0.3, "talk": {"dist": "lognormal", "mean_s": 240, "cv": 0.7}, "resolved": 0.8},
    ]
    del d["staffing"]
    d["groups"] = [{"name": "ga", "call_types": ["a"], "agents": {"default": [8] * 24}},
                   {"name": "gb", "agents": {"default": [4] * 24}, "handle_factor": 0.9}]
    d["routing"] = {"order": {"a": ["ga", "gb"] if overflow_s is not None else ["ga"], "b": ["gb"]}}
    if overflow_s is not None:
        d["groups"][1]["overflow_after_s"] = overflow_s
    return d


def assert_same_counts(r1, r2, fields=REF_FIELDS + ("wait_sum_s",)) -> None:
    for a, b in zip(r1, r2):
        for f in fields:
            np.testing.assert_array_equal(a.counts[f], b.counts[f], err_msg=f)


def test_overflow_after_a_very_long_wait_is_no_overflow():
    never = run(two_types_two_groups(1e9), 3)
    assert_same_counts(never, run(two_types_two_groups(None), 3))
    # and overflow after 30 s does change things (so the comparison could fail)
    soon = run(two_types_two_groups(30), 3)
    assert sum(rc.groups.counts["answered"][:, 1].sum() for rc in soon) > sum(
        rc.groups.counts["answered"][:, 1].sum() for rc in never)
    assert sum(total(rc, "abandoned") for rc in soon) != sum(total(rc, "abandoned") for rc in never)


def pooled(split: tuple[int, int] | None, **kw) -> dict:
    d = mmc_dict(agents=7, calls_per_hour=72, days=6, warmup_days=1, **kw)
    if split is not None:
        del d["staffing"]
        d["groups"] = [{"name": "g1", "agents": {"default": [split[0]] * 24}},
                       {"name": "g2", "agents": {"default": [split[1]] * 24}, "overflow_after_s": 0}]
    return d


def test_overflow_at_once_into_an_idle_group_is_one_pooled_group():
    # g2 has no calls of its own and takes a's calls at once: the same as 7 agents in one group
    # (exact, same seed), the single pool included; and M/M/7 at 6 Erlang (Erlang C)
    split = run(pooled((4, 3)), 10)
    assert_same_counts(split, run(pooled((7, 0)), 10))
    assert_same_counts(split, run(pooled(None), 10), fields=REF_FIELDS[:5] + ("wait_sum_s",))
    theory = erlang_c_result(7, 72 / 3600, 300, 20).service_level
    assert_inside([sl(rc) for rc in split], theory, "service level, M/M/7", max_half=0.06)
    assert all(rc.groups.counts["answered"][:, 1].sum() > 100 for rc in split)


def test_closing_crew_and_overflow_delays_equal_the_reference():
    # 2 h a day, a first group that ends the day with no agents (busy ones past their shift at
    # closing) and a second group that may take its calls only after 900 s: at closing the
    # queue is kept only for calls a busy crew group may already take (routing.py rule 6)
    d = mmc_dict(agents=1, days=4, warmup_days=0)
    d["calendar"]["hours"] = {k: ["08:00", "10:00"] for k in ALL_DAY}
    d["arrivals"] = {"daily_calls": 12, "profile": [0.5, 0.5]}
    d["call_types"] = [{"name": "a", "share": 0.7, "talk": {"dist": "exponential", "mean_s": 2400}, "resolved": 1.0},
                       {"name": "b", "share": 0.3, "talk": {"dist": "exponential", "mean_s": 600}, "resolved": 1.0}]
    del d["staffing"]
    d["groups"] = [{"name": "g1", "agents": {"default": [1, 1]}, "overflow_after_s": 900},
                   {"name": "g2", "call_types": ["a"], "agents": {"default": [3, 0]}}]
    d["routing"] = {"order": {"a": ["g2", "g1"], "b": ["g1"]}}
    d["lines"] = {"count": 50}
    s = scenario_from_dict(d)
    model = Model.from_scenario(s)
    cut = 0
    for q in seeds(40, base=5):
        rc = simulate_replication(model, q)
        ref = reference(s, np.random.SeedSequence(q.entropy, spawn_key=q.spawn_key), PURPOSES, draw_day)["cells"]
        for f in REF_FIELDS:
            np.testing.assert_array_equal(rc.counts[f], ref[f], err_msg=f"{q.spawn_key}: {f}")
        cut += ref["unanswered_at_close"].sum()
    assert cut > 20


@pytest.mark.parametrize("keep_talk", [True, False])
def test_the_single_pool_with_same_caller_redials_and_messages_equals_the_reference(keep_talk):
    """One group with every skill runs on the single pool: its redials by the same caller and
    its messages, call by call against the reference."""
    d = mmc_dict(agents=1, calls_per_hour=60, days=3, warmup_days=0, patience_s=150,
                 redial=REDIAL | {"same_caller": True, "keep_patience": 0.7, "keep_talk": keep_talk},
                 message={"after_s": 120, "leave": 0.5})
    d["calendar"]["hours"] = {k: ["08:00", "18:00"] for k in ALL_DAY}
    d["arrivals"]["profile"] = [0.1] * 10
    d["arrivals"]["daily_calls"] = 600
    d["call_types"][0]["talk"] = {"dist": "lognormal", "mean_s": 300, "cv": 1.0}
    d["staffing"] = {"agents": {"default": [4, 5, 5, 6, 5, 4, 4, 5, 5, 3]}}
    d["simulation"]["queued_at_close"] = "drop"
    s = scenario_from_dict(as_one_group(d))
    model = Model.from_scenario(s)
    assert model.single_pool()
    for q in seeds(2, base=81):
        rc = simulate_replication(model, q)
        ref = reference(s, np.random.SeedSequence(q.entropy, spawn_key=q.spawn_key), PURPOSES, draw_day)["cells"]
        for f in REF_FIELDS:
            np.testing.assert_array_equal(rc.counts[f], ref[f], err_msg=f)
        for f in ("wait_sum_s", "caller_wait_sum_s"):
            np.testing.assert_allclose(rc.counts[f], ref[f], rtol=1e-9, atol=1e-6, err_msg=f)
        assert ref["offered_redial"].sum() > 200 and ref["messages"].sum() > 20
        assert ref["unanswered_at_close"].sum() > 0
