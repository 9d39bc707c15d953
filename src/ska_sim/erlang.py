"""Erlang B, C and A: the analytic queueing formulas ska-sim is checked against.

No simulation here. Everything is stable for thousands of agents: Erlang B by its
recursion (no factorials), Erlang A from the birth-death chain in log space, waiting-time
probabilities from the regularised incomplete beta function.

Notation: ``agents`` c, arrival rate lambda (calls/s), mean handle time ``aht_s`` (1/mu),
offered load A = lambda * aht_s in Erlangs, mean patience ``patience_s`` (1/theta).

- Erlang C (M/M/c): P(wait) = c B / (c - A (1 - B)), B = Erlang B;
  service level P(W <= T) = 1 - P(wait) exp(-(c mu - lambda) T); ASA = P(wait) / (c mu - lambda).
- Erlang A (M/M/c+M): stationary distribution p_n of the chain with births lambda and deaths
  min(n, c) mu + max(n - c, 0) theta. A caller who finds j others waiting is answered with
  probability c mu / (c mu + (j+1) theta), and answered within T with that probability times
  P(S_{j+1} <= T), S_m a sum of exponentials with rates c mu + k theta, k = 1..m (a tagged
  caller's wait, discounted by its own patience): an order statistic of exponentials, so an
  incomplete beta function (Zeltyn & Mandelbaum 2005 give the same quantities with
  incomplete gamma functions). Service level follows SKA's definition:
  answered within T / offered, so abandoned calls count against it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class ErlangResult:
    """Steady-state performance of one staffing level."""

    model: str  # "erlang_c" or "erlang_a"
    agents: int
    load_erlang: float
    p_wait: float  # probability an arriving call waits
    service_level: float  # answered within T / offered
    asa_s: float  # mean wait of answered calls
    abandon_rate: float  # abandoned / offered (0 under Erlang C)
    occupancy: float  # busy agent time / agent time
    stable: bool = True  # Erlang C only: load < agents

    def to_dict(self) -> dict:
        return asdict(self)


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/c/c: B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1))."""
    if agents < 0 or load < 0:
        raise ValueError("agents and load must be >= 0")
    b = 1.0
    for k in range(1, int(agents) + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability of waiting in M/M/c. 1.0 when the queue is unstable (load >= agents)."""
    if load <= 0:
        return 0.0
    if load >= agents:
        return 1.0
    b = erlang_b(agents, load)
    return agents * b / (agents - load * (1.0 - b))


def erlang_c_result(agents: int, rate_per_s: float, aht_s: float, threshold_s: float = 20.0) -> ErlangResult:
    """Erlang C service level, ASA and occupancy; NaN where unstable (``stable=False``)."""
    load = rate_per_s * aht_s
    if load >= agents and load > 0:
        nan = math.nan
        return ErlangResult("erlang_c", int(agents), load, 1.0, nan, nan, 0.0, nan, stable=False)
    pw = erlang_c(agents, load)
    if load == 0:
        return ErlangResult("erlang_c", int(agents), 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    drain = agents / aht_s - rate_per_s  # c mu - lambda
    sl = 1.0 - pw * math.exp(-drain * threshold_s)
    return ErlangResult("erlang_c", int(agents), load, pw, sl, pw / drain, 0.0, load / agents)


# --------------------------------------------------------------------------- Erlang A
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


# --------------------------------------------------------------------------- requirements
@dataclass(frozen=True)
class Requirement:
    """What a staffing level must achieve. ``None`` leaves a criterion out."""

    threshold_s: float = 20.0
    service_level: float | None = 0.80
    answer_rate: float | None = None
    asa_max_s: float | None = None
    occupancy_max: float | None = None

    def met_by(self, r: ErlangResult) -> bool:
        if r.model == "erlang_c" and not r.stable:
            return False
        ok = True
        if self.service_level is not None:
            ok &= r.service_level >= self.service_level - 1e-12
        if self.answer_rate is not None:
            ok &= (1 - r.abandon_rate) >= self.answer_rate - 1e-12
        if self.asa_max_s is not None:
            ok &= r.asa_s <= self.asa_max_s + 1e-12
        if self.occupancy_max is not None:
            ok &= r.occupancy <= self.occupancy_max + 1e-12
        return bool(ok)


def required_agents(
    rate_per_s: float,
    aht_s: float,
    requirement: Requirement = Requirement(),
    patience_s: float | None = None,
    max_agents: int = 100_000,
) -> int:
    """The fewest agents meeting every criterion of ``requirement`` (each is monotone in agents)."""
    if rate_per_s <= 0:
        return 0

    def ok(c: int) -> bool:
        return requirement.met_by(erlang_result(c, rate_per_s, aht_s, requirement.threshold_s, patience_s))

    load = rate_per_s * aht_s
    lo = 0 if patience_s is not None else int(math.floor(load))  # ok(lo) is False (or lo = 0)
    if ok(lo) and lo == 0:
        return 0
    hi = max(lo + 1, int(load + 3 * math.sqrt(load) + 3))
    while not ok(hi):
        lo, hi = hi, hi * 2
        if hi > max_agents:
            raise ValueError(f"no staffing up to {max_agents} agents meets the requirement")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


# --------------------------------------------------------------------------- calculator table
def erlang_rows(
    calls: float,
    interval_s: float,
    aht_s: float,
    threshold_s: float = 20.0,
    target: float = 0.8,
    patience_s: float | None = None,
    agents: int | None = None,
    spread: int = 4,
) -> dict:
    """The classic Erlang table: agents from ``spread`` below to ``spread`` above the requirement
    (or around ``agents`` when given). Rows where Erlang C is unstable have ``stable: False``
    and no service level, ASA or occupancy."""
    if interval_s <= 0 or aht_s <= 0:
        raise ValueError("interval and AHT must be > 0")
    rate = calls / interval_s
    required = required_agents(rate, aht_s, Requirement(threshold_s, service_level=target), patience_s)
    centre = required if agents is None else agents
    lo = max(0 if patience_s else 1, centre - spread)
    rows = []
    for c in range(lo, max(centre, required) + spread + 1):
        r = erlang_result(c, rate, aht_s, threshold_s, patience_s)
        row = {
            "agents": c,
            "p_wait": r.p_wait,
            "service_level": r.service_level,
            "asa_s": r.asa_s,
            "abandon_rate": r.abandon_rate,
            "occupancy": r.occupancy,
            "stable": r.stable,
            "required": c == required,
        }
        rows.append({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()})
    return {
        "model": "erlang_a" if patience_s else "erlang_c",
        "calls": calls,
        "interval_s": interval_s,
        "aht_s": aht_s,
        "load_erlang": rate * aht_s,
        "threshold_s": threshold_s,
        "target": target,
        "patience_s": patience_s,
        "required_agents": required,
        "agents": agents,
        "rows": rows,
    }
