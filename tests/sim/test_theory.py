"""The simulator against queueing theory, on scenarios that meet the theory's assumptions.

Each check compares a window KPI with its theoretical value using the simulation's own
Student-t interval over replications (fixed seeds, so the outcome never changes from run
to run). The tolerance is the 99.9% interval: wide enough that a correct model passes for
any seed, narrow enough (a fraction of a percentage point here) to catch a wrong formula.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import t as student_t

from helpers import mmc
from ska_sim import simulate
from ska_sim.maths.erlang import erlang_a_result, erlang_c_result


def within_ci(result, kpi: str, theory: float, level: float = 0.999) -> tuple[bool, str]:
    values = result.per_replication[kpi].to_numpy()
    n = len(values)
    half = student_t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / math.sqrt(n)
    ok = abs(values.mean() - theory) <= half
    return ok, f"{kpi}: simulated {values.mean():.4f} +/- {half:.4f} ({level:.1%}), theory {theory:.4f}"


def birth_death_abandonment(c: int, lam: float, mu: float, theta: float, n_max: int = 2000) -> float:
    """P(abandon) in M/M/c+M from the truncated birth-death chain: theta E[queue] / lambda."""
    p = np.zeros(n_max + 1)
    p[0] = 1.0
    for n in range(1, n_max + 1):
        death = min(n, c) * mu + max(n - c, 0) * theta
        p[n] = p[n - 1] * lam / death
    p /= p.sum()
    queue = np.maximum(np.arange(n_max + 1) - c, 0)
    return float(theta * (p * queue).sum() / lam)


@pytest.mark.slow
def test_mmc_matches_erlang_c_service_level_and_asa():
    # 10 agents, 96 calls/h x 300 s = 8 Erlang (80% utilisation), 8 days x 20 replications
    s = mmc(agents=10, calls_per_hour=96, aht_s=300, days=8, replications=20)
    r = simulate(s)
    theory = erlang_c_result(10, 96 / 3600, 300, 20)
    ok, msg = within_ci(r, "service_level", theory.service_level)
    assert ok, msg
    ok, msg = within_ci(r, "asa_s", theory.asa_s)
    assert ok, msg
    ok, msg = within_ci(r, "occupancy", theory.occupancy)
    assert ok, msg
    assert r.kpi("abandon_rate") == 0.0


@pytest.mark.slow
def test_mmc_with_exponential_patience_matches_erlang_a_abandonment():
    # 10 agents at 100% offered utilisation: only abandonment keeps the queue stable
    c, lam, aht, patience = 10, 120 / 3600, 300.0, 180.0
    s = mmc(agents=c, calls_per_hour=120, aht_s=aht, patience_s=patience, days=6, replications=20)
    r = simulate(s)
    theory = birth_death_abandonment(c, lam, 1 / aht, 1 / patience)
    ok, msg = within_ci(r, "abandon_rate", theory)
    assert ok, msg
    # erlang.py's Erlang A agrees with the chain, and with the simulated service level
    ea = erlang_a_result(c, lam, aht, patience, 20)
    assert ea.abandon_rate == pytest.approx(theory, rel=1e-9)
    ok, msg = within_ci(r, "service_level", ea.service_level)
    assert ok, msg
    ok, msg = within_ci(r, "asa_s", ea.asa_s)
    assert ok, msg


def test_redials_raise_offered_calls_by_one_over_one_minus_p():
    # no agents at all: every call hangs up, and redials with probability p
    p = 0.6
    s = mmc(
        agents=0,
        calls_per_hour=40,
        patience_s=60,
        days=8,
        replications=5,
        redial={"probability": p, "delay": {"dist": "exponential", "mean_s": 300}},
    )
    r = simulate(s)
    ok, msg = within_ci(r, "redial_share", p)
    assert ok, msg
    first_calls = 40 * 24 * 8
    ok, msg = within_ci(r, "offered", first_calls / (1 - p))
    assert ok, msg
    assert r.kpi("answered") == 0


def test_repeat_calls_follow_the_unresolved_share():
    # ample agents: every call is answered; unresolved issues come back with probability q
    resolved, q = 0.7, 0.8
    d_types = [{"name": "all", "share": 1.0, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": resolved}]
    s = mmc(
        agents=40,
        calls_per_hour=40,
        days=8,
        replications=5,
        call_types=d_types,
        repeat={"probability": q, "delay": {"dist": "exponential", "mean_s": 900}},
    )
    r = simulate(s)
    loop = (1 - resolved) * q
    ok, msg = within_ci(r, "repeat_contact_share", loop)
    assert ok, msg
    ok, msg = within_ci(r, "offered", 40 * 24 * 8 / (1 - loop))
    assert ok, msg
    ok, msg = within_ci(r, "fcr", resolved)
    assert ok, msg
