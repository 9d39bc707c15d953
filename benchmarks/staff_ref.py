"""Today's (before issue 12.15) Erlang A and staffing-requirement search, kept verbatim as the
named baseline of benchmarks/staff.py and as the reference the tests compare the fast path
against (tests/maths/test_erlang.py): Erlang A from the full birth-death chain per call, the
requirement found by stepping one agent at a time from a hint, the scope trim scanning every
interval for every agent it takes away, and the fixed point evaluating Erlang A per interval.

Only the names differ: ``RefLoadModel`` (today's ``LoadModel.metrics``) and ``ref_erlang_plan``
(today's ``erlang_plan``). Do not optimise this file: it is the yardstick.
"""

from __future__ import annotations

import math

import numpy as np

from ska_sim.maths.erlang import ErlangResult, erlang_c_result
from ska_sim.scenario.model import Scenario
from ska_sim.plan.load import IntervalMetrics, LoadModel, Plan
from ska_sim.plan.requirement import SCOPES


# --------------------------------------------------------------------------- Erlang A (today's)
def _stationary(agents: int, lam: float, mu: float, theta: float) -> np.ndarray:
    """p_n, n = 0..N, of the M/M/c+M chain, truncated where the tail is below 1e-16."""
    c = int(agents)
    load = lam / mu
    n = np.arange(c + 1)
    logp_low = n * math.log(load) - np.array([math.lgamma(k + 1) for k in n]) if load > 0 else np.where(n == 0, 0.0, -np.inf)
    # waiting part: p_{c+j} = p_c * prod_{k=1..j} lam / (c mu + k theta)
    excess = max(0.0, (lam - c * mu) / theta)
    jmax = int(excess + 12 * math.sqrt(lam / theta + 1) + 50)
    k = np.arange(1, jmax + 1)
    logp_high = logp_low[-1] + np.cumsum(math.log(lam) - np.log(c * mu + k * theta)) if lam > 0 else np.full(jmax, -np.inf)
    logp = np.concatenate([logp_low, logp_high])
    logp -= logp.max()
    p = np.exp(logp)
    p /= p.sum()
    return p


def _sum_exp_cdf(first_rate: float, theta: float, m: int, t: float) -> np.ndarray:
    """P(S_j <= t) for j = 1..m, S_j a sum of independent Exp(first_rate + k theta), k = 1..j.

    S_j is the j-th order statistic of j + first_rate/theta exponentials of rate theta
    (Renyi's representation), so P(S_j <= t) = I_p(j, first_rate/theta + 1) with
    p = 1 - exp(-theta t): the regularised incomplete beta function, for real arguments too.
    """
    from scipy.special import betainc

    j = np.arange(1, m + 1)
    if t <= 0:
        return np.zeros(m)
    return betainc(j, first_rate / theta + 1.0, -math.expm1(-theta * t))


def erlang_a_result(
    agents: int, rate_per_s: float, aht_s: float, patience_s: float, threshold_s: float = 20.0
) -> ErlangResult:
    """Erlang A (M/M/c+M) with exponential patience of mean ``patience_s``."""
    if not math.isfinite(patience_s):
        return erlang_c_result(agents, rate_per_s, aht_s, threshold_s)
    if patience_s <= 0 or aht_s <= 0:
        raise ValueError("patience_s and aht_s must be > 0")
    c, lam, mu, theta = int(agents), rate_per_s, 1.0 / aht_s, 1.0 / patience_s
    load = lam * aht_s
    if lam <= 0:
        return ErlangResult("erlang_a", c, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    p = _stationary(c, lam, mu, theta)
    pq = p[c:]  # a caller finds j = 0, 1, ... others waiting
    j1 = np.arange(1, len(pq) + 1)
    served = c * mu / (c * mu + j1 * theta)
    rates = c * mu + j1 * theta
    within = _sum_exp_cdf(c * mu, theta, len(pq), threshold_s)
    mean_wait_if_served = np.cumsum(1.0 / rates)
    p_wait = float(pq.sum())
    p_answer = float(p[:c].sum() + (pq * served).sum())
    sl = float(p[:c].sum() + (pq * served * within).sum())
    asa = float((pq * served * mean_wait_if_served).sum() / p_answer) if p_answer > 0 else math.nan
    abandon = 1.0 - p_answer
    occupancy = load * p_answer / c if c > 0 else math.nan
    return ErlangResult("erlang_a", c, load, p_wait, sl, asa, abandon, occupancy)


def erlang_result(
    agents: int, rate_per_s: float, aht_s: float, threshold_s: float = 20.0, patience_s: float | None = None
) -> ErlangResult:
    """Erlang A when a mean patience is given, else Erlang C."""
    if patience_s is None:
        return erlang_c_result(agents, rate_per_s, aht_s, threshold_s)
    return erlang_a_result(agents, rate_per_s, aht_s, patience_s, threshold_s)


# --------------------------------------------------------------------------- staffing (today's)
class RefLoadModel(LoadModel):
    """LoadModel with today's per-interval ``metrics``."""

    def metrics(self, offered: np.ndarray, agents: np.ndarray) -> IntervalMetrics:
        calls = offered.sum(axis=1)
        aht = self.aht(offered)
        out = [erlang_result(int(c), n / self.tl.interval_s, a, self.req.threshold_s, self.patience_s)
               for c, n, a in zip(agents, calls, aht)]
        return IntervalMetrics(
            np.array([r.service_level if r.stable else 0.0 for r in out]),
            np.array([r.abandon_rate for r in out]),
            np.array([r.asa_s for r in out]),
            np.array([r.occupancy for r in out]),
        )


def _interval_requirement(lm: RefLoadModel, offered: np.ndarray, hint: np.ndarray | None) -> np.ndarray:
    calls = offered.sum(axis=1)
    aht = lm.aht(offered)
    out = np.zeros(len(calls), dtype=np.int64)
    for k, (n, a) in enumerate(zip(calls, aht)):
        out[k] = _required(lm, n, a, None if hint is None else int(hint[k]))
    return out


def _required(lm: RefLoadModel, calls: float, aht: float, hint: int | None) -> int:
    rate = calls / lm.tl.interval_s
    if rate <= 0:
        return 0

    def ok(c: int) -> bool:
        return lm.req.met_by(erlang_result(c, rate, aht, lm.req.threshold_s, lm.patience_s))

    c = hint if hint is not None else max(0, int(rate * aht) - 1)
    if ok(c):
        while c > 0 and ok(c - 1):
            c -= 1
        return c
    while not ok(c):
        c += 1
    return c


def _trim_to_scope(lm: RefLoadModel, offered: np.ndarray, groups: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Fewest agents so that each group of intervals (a day, or the window) meets the targets
    as a whole. Starts from the interval-scope requirement (which meets them everywhere) and
    takes away, one at a time, the agent whose absence costs the fewest calls answered in
    time, while the group still meets every target and every interval its occupancy cap."""
    calls = offered.sum(axis=1)
    aht = lm.aht(offered)
    rate = calls / lm.tl.interval_s
    thr, pat, req = lm.req.threshold_s, lm.patience_s, lm.req
    agents = base.copy()
    cache: dict[tuple[int, int], tuple[float, float, float, bool]] = {}

    def perf(k: int, c: int) -> tuple[float, float, float, bool]:
        """(answered within T, answered, waiting time of answered calls, within occupancy cap)."""
        key = (k, c)
        if key not in cache:
            if calls[k] <= 0:
                cache[key] = (0.0, 0.0, 0.0, True)
            else:
                r = erlang_result(c, rate[k], aht[k], thr, pat)
                if not r.stable or c <= 0:
                    cache[key] = (0.0, 0.0, math.inf, False)
                else:
                    answered = (1 - r.abandon_rate) * calls[k]
                    cap = req.occupancy_max is None or r.occupancy <= req.occupancy_max + 1e-12
                    cache[key] = (r.service_level * calls[k], answered, r.asa_s * answered, cap)
        return cache[key]

    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        total = calls[idx].sum()
        if total <= 0:
            agents[idx] = 0
            continue
        sums = np.sum([perf(k, agents[k])[:3] for k in idx], axis=0)

        def meets(within: float, answered: float, wait: float, total: float = total) -> bool:
            ok = req.service_level is None or within / total >= req.service_level - 1e-12
            if req.answer_rate is not None:
                ok &= answered / total >= req.answer_rate - 1e-12
            if req.asa_max_s is not None:
                ok &= answered <= 0 or wait / answered <= req.asa_max_s + 1e-12
            return bool(ok)

        while True:
            best, best_loss, best_sums = None, math.inf, None
            for k in idx:
                if agents[k] <= 0 or calls[k] <= 0:
                    continue
                now, less = perf(k, agents[k]), perf(k, agents[k] - 1)
                if not less[3]:
                    continue
                trial = sums - np.array(now[:3]) + np.array(less[:3])
                loss = now[0] - less[0]
                if loss < best_loss and meets(*trial):
                    best, best_loss, best_sums = k, loss, trial
            if best is None:
                break
            agents[best] -= 1
            sums = best_sums
    return agents


def ref_erlang_plan(s: Scenario, scope: str = "interval", max_iter: int = 50, lm: RefLoadModel | None = None) -> Plan:
    """Agents per interval by Erlang C/A on the fixed-point offered load (first calls, redials, repeats).

    The load and the agents are iterated together until neither changes. Integer staffing
    can make them cycle (an extra agent, fewer redials, one agent fewer, more redials...):
    a cycle is settled by taking, per interval, the most agents of the cycle.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    lm = lm or RefLoadModel(s)
    tl = lm.tl
    offered = lm.first.copy()
    agents: np.ndarray | None = None
    seen: list[np.ndarray] = []
    history = []
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        base = _interval_requirement(lm, offered, agents)
        if scope == "interval":
            new_agents = base
        else:
            groups = tl.iv_day if scope == "day" else np.zeros(len(base), dtype=np.int64)
            new_agents = _trim_to_scope(lm, offered, groups, base)
        offered, change = _settle_load(lm, offered, new_agents)
        history.append({"iteration": it, "agent_hours": float(new_agents.sum() * tl.interval_s / 3600),
                        "max_change_calls": change})
        if agents is not None and np.array_equal(agents, new_agents):
            agents, converged = new_agents, True
            break
        cycle = [a for a in seen if np.array_equal(a, new_agents)]
        seen.append(new_agents)
        agents = new_agents
        if cycle:
            start = next(i for i, a in enumerate(seen) if np.array_equal(a, new_agents))
            agents = np.max(np.stack(seen[start:]), axis=0)
            offered, _ = _settle_load(lm, offered, agents)
            converged = True
            break
    m = lm.metrics(offered, agents)
    return Plan(agents, offered.sum(axis=1), m.service_level, "erlang", scope, it, converged, history)


def _settle_load(lm: RefLoadModel, offered: np.ndarray, agents: np.ndarray, tol: float = 1e-3, cap: int = 200):
    """Iterate offered = first + follow-ups(offered) at fixed agents until it stops changing."""
    change = math.inf
    for _ in range(cap):
        m = lm.metrics(offered, agents)
        new = lm.first + lm.follow_ups(offered, m.abandon_rate)
        change = float(np.abs(new - offered).max()) if len(offered) else 0.0
        offered = new
        if change < tol:
            break
    return offered, change
