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
from scipy.special import betainc, gammainc, gammaincc, gammaln


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
_NEGLIGIBLE_LOG = 45.0  # terms e^-45 (3e-20) below the largest are left out of the low-state sum


def _bucket_rows(widths: np.ndarray) -> list[np.ndarray]:
    """Rows grouped by the power of two of their array width, so that a few wide rows do not
    pad every other row to their width."""
    if len(widths) and widths.max() <= max(64, 2 * widths.min()):
        return [np.arange(len(widths))]
    key = np.floor(np.log2(np.maximum(widths, 1))).astype(np.int64)
    return [np.flatnonzero(key == k) for k in np.unique(key)]


def _stirlerr(n: np.ndarray) -> np.ndarray:
    """log Gamma(n + 1) - [(n + 1/2) log n - n + log(2 pi) / 2], n > 0: Stirling's series from 16 on."""
    n = n.astype(float)
    out = np.empty(len(n))
    small = n < 16
    ns = n[small]
    out[small] = gammaln(ns + 1) - (ns + 0.5) * np.log(ns) + ns - 0.5 * math.log(2 * math.pi)
    nb = n[~small]
    n2 = nb * nb
    out[~small] = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * n2)) / n2) / n2) / n2) / nb
    return out


def _log1p_minus(d: np.ndarray) -> np.ndarray:
    """(1 + d) log(1 + d) - d without cancellation for small d: below |d| = 0.5 by Loader's
    series (2000) in v = d / (2 + d), d v + 2 (1 + d) sum_{k>=1} v^(2k+1) / (2k+1)."""
    out = (1 + d) * np.log1p(d) - d
    small = np.abs(d) < 0.5
    ds = d[small]
    v = ds / (2 + ds)
    w = v * v
    acc = np.full(len(ds), 1.0 / 27)
    for k in range(12, 0, -1):  # |v| < 0.2: 13 terms leave less than 1e-19 of the sum
        acc = acc * w + 1.0 / (2 * k + 1)
    out[small] = ds * v + 2 * (1 + ds) * v * w * acc
    return out


def _log_low_closed(c: np.ndarray, load: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``_log_low`` in closed form for c >= 1, given q = Q(c + 1, A):
    1/B = e^A Q(c + 1, A) c! / A^c (Q the regularised upper incomplete gamma function), with
    A + log c! - c log A = A [(1 + d) log(1 + d) - d] + log(2 pi c) / 2 + stirlerr(c), d = c/A - 1,
    computed without the cancellation of the three large terms."""
    if not len(c):
        return np.zeros(0)
    cf = c.astype(float)
    log_inv_b = (np.log(q) + load * _log1p_minus((cf - load) / load)
                 + 0.5 * np.log(2 * math.pi * cf) + _stirlerr(c))
    with np.errstate(divide="ignore"):
        return log_inv_b + np.log(-np.expm1(-log_inv_b))  # log(1/B - 1)


def _log_low(c: np.ndarray, load: np.ndarray) -> np.ndarray:
    """log(sum_{n<c} p_n / p_c) = log(1/B(c, A) - 1) per row (-inf where c = 0), B = Erlang B.

    p_{c-i} / p_c = t_i = prod_{k<i} (c - k) / A; the logs of the factors are summed as
    log1p((c - k - A) / A), exact to rounding for thousands of agents (no factorials, no
    cancellation). The t_i peak at i = c - A and fall like a normal density of variance A, so
    the sum stops 10 sqrt(A) + 40 terms after the peak, where they are below 1e-20 of it.
    Arrays are (terms, rows); sums run down the terms in order (cumsum), so that a row's value
    does not depend on the other rows.
    """
    out = np.full(len(c), -np.inf)
    q = np.zeros(len(c))
    q[c >= 1] = gammaincc(c[c >= 1] + 1.0, load[c >= 1])
    closed = q > 1e-280  # far below the load Q underflows: the sum, whose terms then fall fast
    out[closed] = _log_low_closed(c[closed], load[closed], q[closed])
    m = np.minimum(c, np.ceil(np.maximum(c - load, 0.0) + 10.0 * np.sqrt(load) + 40.0)).astype(np.int64)
    m[closed] = 0
    for rows in _bucket_rows(m):
        rows = rows[m[rows] > 0]
        if not len(rows):
            continue
        cr, ar, mr = c[rows], load[rows], m[rows]
        k = np.arange(int(mr.max()))[:, None]
        valid = k < mr
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(valid, np.log1p((cr - k - ar) / ar), 0.0)
        logt = np.where(valid, np.cumsum(terms, axis=0), -np.inf)
        top = logt.max(axis=0)
        out[rows] = top + np.log(np.cumsum(np.exp(logt - top), axis=0)[-1])
    return out


def _abandon_closed(near: np.ndarray, c: np.ndarray, lam: np.ndarray, cmu: np.ndarray, theta: float,
                    log_low: np.ndarray, res: dict[str, np.ndarray]) -> None:
    """Erlang A's waiting probability and abandonment in closed form, for the rows ``near``.

    With b = c mu / theta and y = lam / theta, sum_j q_j = W = Gamma(b + 1) y^-b e^y P(b, y)
    (P the regularised lower incomplete gamma function; the log of the first three factors as
    y [(1 + e) log(1 + e) - e] + log(2 pi b) / 2 + stirlerr(b), e = b / y - 1, without
    cancellation), and from (b + j) q_j = y q_{j-1} the abandoning callers' weight
    sum_j q_j (j + 1) / (b + j + 1) = W - (b / y) (W - 1). Used by the fixed point, which needs
    abandonment only. The cancellation in W - (b / y) (W - 1) grows with b / y: the rows with
    c mu > 2 lam (short sums) keep the sums."""
    rows = np.flatnonzero(near)
    if not len(rows):
        return
    b, y = cmu[rows] / theta, lam[rows] / theta
    log_w = (y * _log1p_minus((b - y) / y) + 0.5 * np.log(2 * math.pi * b) + _stirlerr(b)
             + np.log(gammainc(b, y)))
    low = log_low[rows]
    top = np.maximum(low, log_w)
    w, w_low = np.exp(log_w - top), np.exp(low - top)
    z = w + w_low
    ab = (w - (b / y) * (w - np.exp(-top))) / z
    res["p_wait"][rows] = w / z
    res["abandon_rate"][rows] = ab
    res["p_answer"][rows] = 1.0 - ab
    res["service_level"][rows] = res["asa_s"][rows] = np.nan


def _erlang_a_rows(c: np.ndarray, lam: np.ndarray, mu: np.ndarray, theta: float, t: float,
                   service: bool) -> dict[str, np.ndarray]:
    """Erlang A for rows with lam > 0: the M/M/c+M chain relative to p_c, in log space.

    Waiting states p_{c+j} / p_c = q_j = prod_{k=1..j} lam / (c mu + k theta), j = 0..jmax with
    jmax = excess + 10 sqrt(lam / theta + 1) + 10: the q_j peak at excess = (lam - c mu)^+ / theta
    and fall at least like a normal density of variance lam / theta beyond it, so the states left
    out are below e^-50 of the peak. Low states enter only through their sum (``_log_low``).
    A caller who finds j waiting is answered with probability c mu / (c mu + (j+1) theta), and
    within T with that times P(S_{j+1} <= T) = I_x(j+1, b), b = c mu / theta + 1,
    x = 1 - exp(-theta T): the upper tail P(N >= j+1) of a negative binomial N (b, x), whose
    probabilities follow one from the next by the ratio (b + i - 1) x / i, so that all j of a
    row cost one cumulative sum and one incomplete beta function (for N > jmax).
    Arrays are (j, rows); sums run down j in order, so a row's values do not depend on the others.
    """
    n = len(c)
    load = lam / mu
    cmu = c * mu
    log_low = _log_low(c, load)
    jmax = (np.maximum(0.0, (lam - cmu) / theta) + 10.0 * np.sqrt(lam / theta + 1.0) + 10.0).astype(np.int64)
    res = {k: np.empty(n) for k in ("p_wait", "p_answer", "service_level", "asa_s", "abandon_rate")}
    x = -math.expm1(-theta * t) if t > 0 else 0.0
    if not service:  # abandonment in closed form unless overstaffed (c mu > 2 lam: short sums)
        near = (c >= 1) & (cmu < 2.0 * lam)
        _abandon_closed(near, c, lam, cmu, theta, log_low, res)
        jmax[near] = -1

    def total(a: np.ndarray) -> np.ndarray:
        return np.cumsum(a, axis=0)[-1]

    for rows in _bucket_rows(jmax + 1):
        rows = rows[jmax[rows] >= 0]
        if not len(rows):
            continue
        lr, cm, jm = lam[rows], cmu[rows], jmax[rows]
        j = np.arange(int(jm.max()) + 1)[:, None]
        valid = j <= jm
        logq = np.empty((len(j), len(rows)))
        logq[0] = 0.0
        np.cumsum(np.log1p(((cm - lr) + j[1:] * theta) / lr), axis=0, out=logq[1:])
        np.negative(logq[1:], out=logq[1:])
        low = log_low[rows]
        top = np.maximum(low, logq.max(axis=0))  # the peak lies within jmax: padding cannot raise it
        w_low = np.exp(low - top)
        wq = np.where(valid, np.exp(logq - top), 0.0)
        rates = cm + (j + 1) * theta
        served = wq * (cm / rates)  # weight of the answered among the waiting
        z = w_low + total(wq)
        answered = w_low + total(served)
        res["p_wait"][rows] = total(wq) / z
        res["p_answer"][rows] = answered / z
        res["abandon_rate"][rows] = total(wq * ((j + 1) * theta / rates)) / z
        if not service:
            res["service_level"][rows] = res["asa_s"][rows] = np.nan
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_wait = total(served * np.cumsum(1.0 / rates, axis=0))
            res["asa_s"][rows] = np.where(answered > 0, mean_wait / answered, np.nan)
        if x <= 0:
            res["service_level"][rows] = w_low / z
        else:
            b = cm / theta + 1.0
            i = j[1:]
            logf0 = -(cm + theta) * t  # log P(N = 0) = b log(1 - x)
            logf = np.concatenate([logf0[None, :], logf0 + np.cumsum(np.log((b + i - 1) / i) + math.log(x), axis=0)])
            f = np.where(valid, np.exp(logf), 0.0)
            # P(N >= j + 1) = sum_{l = j+1..jmax} P(N = l) + P(N > jmax): positive terms summed
            # from the far end (accurate when small), and one incomplete beta function per row
            beyond = np.cumsum(f[::-1], axis=0)[::-1]
            within = np.concatenate([beyond[1:], np.zeros((1, len(rows)))]) + betainc(jm + 1.0, b, x)
            res["service_level"][rows] = (w_low + total(served * within)) / z
    with np.errstate(invalid="ignore", divide="ignore"):
        res["occupancy"] = np.where(c > 0, load * res["p_answer"] / np.maximum(c, 1), np.nan)
    return res


def _erlang_c_rows(c: np.ndarray, lam: np.ndarray, aht: np.ndarray, t: float) -> dict[str, np.ndarray]:
    """Erlang C for stable rows (0 < load < c), Erlang B from ``_log_low``: 1/B = 1 + sum_{n<c} p_n/p_c."""
    load = lam * aht
    b = np.exp(-np.logaddexp(0.0, _log_low(c, load)))
    pw = c * b / (c - load * (1.0 - b))
    drain = c / aht - lam  # > 0 for a stable row; 0 only where rounding puts the load at c (ASA infinite)
    with np.errstate(divide="ignore"):
        asa = pw / drain
    return {"p_wait": pw, "service_level": 1.0 - pw * np.exp(-drain * t), "asa_s": asa,
            "abandon_rate": np.zeros(len(c)), "occupancy": load / c}


def erlang_arrays(agents, rate_per_s, aht_s, threshold_s: float = 20.0, patience_s: float | None = None,
                  service: bool = True) -> dict[str, np.ndarray]:
    """Erlang C (``patience_s`` None or infinite) or Erlang A for many (agents, rate, AHT) rows at
    once, the arguments broadcast together: arrays ``p_wait``, ``service_level``, ``asa_s``,
    ``abandon_rate``, ``occupancy``, ``stable``, the same quantities as ``erlang_result``.
    ``service=False`` leaves the service level and ASA out (NaN) under Erlang A, half the work.
    A row's values do not depend on the other rows."""
    c, lam, aht = (a.ravel() for a in np.broadcast_arrays(np.asarray(agents, dtype=np.int64),
                                                         np.asarray(rate_per_s, dtype=float),
                                                         np.asarray(aht_s, dtype=float)))
    n = len(c)
    out = {"p_wait": np.zeros(n), "service_level": np.ones(n), "asa_s": np.zeros(n),
           "abandon_rate": np.zeros(n), "occupancy": np.zeros(n), "stable": np.ones(n, dtype=bool)}
    erlang_a = patience_s is not None and math.isfinite(patience_s)
    if erlang_a and (patience_s <= 0 or (aht <= 0).any()):
        raise ValueError("patience_s and aht_s must be > 0")
    busy = lam * aht > 0 if not erlang_a else lam > 0
    if erlang_a:
        rows = np.flatnonzero(busy)
        part = _erlang_a_rows(c[rows], lam[rows], 1.0 / aht[rows], 1.0 / patience_s, threshold_s, service)
    else:
        unstable = busy & (lam * aht >= c)
        for k, v in (("p_wait", 1.0), ("service_level", np.nan), ("asa_s", np.nan), ("occupancy", np.nan)):
            out[k][unstable] = v
        out["stable"][unstable] = False
        rows = np.flatnonzero(busy & ~unstable)
        part = _erlang_c_rows(c[rows], lam[rows], aht[rows], threshold_s)
        if not service:
            part["service_level"] = np.full(len(rows), np.nan)
    for k in ("p_wait", "service_level", "asa_s", "abandon_rate", "occupancy"):
        out[k][rows] = part[k]
    if not service:
        out["service_level"][~busy] = np.nan
    return out


def erlang_a_result(
    agents: int, rate_per_s: float, aht_s: float, patience_s: float, threshold_s: float = 20.0
) -> ErlangResult:
    """Erlang A (M/M/c+M) with exponential patience of mean ``patience_s``."""
    if not math.isfinite(patience_s):
        return erlang_c_result(agents, rate_per_s, aht_s, threshold_s)
    if patience_s <= 0 or aht_s <= 0:
        raise ValueError("patience_s and aht_s must be > 0")
    c, load = int(agents), rate_per_s * aht_s
    if rate_per_s <= 0:
        return ErlangResult("erlang_a", c, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    r = erlang_arrays(c, rate_per_s, aht_s, threshold_s, patience_s)
    return ErlangResult("erlang_a", c, load, float(r["p_wait"][0]), float(r["service_level"][0]),
                        float(r["asa_s"][0]), float(r["abandon_rate"][0]), float(r["occupancy"][0]))


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

    def met(self, r: dict[str, np.ndarray]) -> np.ndarray:
        """``met_by`` for every row of an ``erlang_arrays`` result (the same comparisons)."""
        ok = r["stable"].copy()
        with np.errstate(invalid="ignore"):
            if self.service_level is not None:
                ok &= r["service_level"] >= self.service_level - 1e-12
            if self.answer_rate is not None:
                ok &= (1 - r["abandon_rate"]) >= self.answer_rate - 1e-12
            if self.asa_max_s is not None:
                ok &= r["asa_s"] <= self.asa_max_s + 1e-12
            if self.occupancy_max is not None:
                ok &= r["occupancy"] <= self.occupancy_max + 1e-12
        return ok


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
    and no service level, ASA or occupancy. Rows have an ``abandon_rate`` with ``patience_s``
    (Erlang A) only."""
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
        if not patience_s:  # Erlang C: no caller hangs up, so no abandon rate
            del row["abandon_rate"]
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
