"""The Erlang C (and Erlang A) cross-check of a simulation: per interval and time of day, and
over the window, with the mechanisms that explain where theory and simulation differ.

``erlang_c_differs`` is a two-sided test at the 5% level (``DIFFERS_LEVEL``) of "Erlang C
equals the simulated service level" for each interval (or time of day). The simulated side
is answered within T / offered pooled over replications; Erlang C is evaluated at the mean
simulated offered load, and the standard error of their difference (the delta method over
replications) includes the noise of that load. The variance is pooled over alike intervals
(same agents and expected calls in the interval and the two before it), then Student-t.
On a scenario that meets Erlang C's assumptions about 5% of the tested intervals are
flagged by chance (``erlang["expected_by_chance"]``); measured on exact M/M/10 at 60-90%
utilisation with 5-20 replications: 4.4-5.1% (benchmarks/erlang_differs.py). With fewer than
3 replications nothing is tested. The flag is not read off the ``service_level_ci_*``
columns (a per-interval t-interval of per-replication ratios, whose coverage falls short
near 100% service level at few replications: 12% flagged instead of 5% at 10 replications).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from ska_sim.maths.erlang import erlang_arrays, erlang_b, erlang_c_result
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.timeline import build_timeline

DIFFERS_LEVEL = 0.05  # false-alarm rate of ``erlang_c_differs`` per interval when Erlang C holds
DIFFERS_MIN_REPLICATIONS = 3  # fewer replications: no interval is tested (the flag is False)


def erlang_c_slope(agents: np.ndarray, offered: np.ndarray, aht_s: float, interval_s: float, threshold_s: float):
    """Erlang C service level and its derivative with respect to the interval's offered calls.

    An unstable interval (load >= agents) counts as service level 0 with slope 0, as in the
    cross-check's window figure. dB/dA = B (c / A - 1 + B) for Erlang B; the rest is the
    chain rule through P(wait) = c B / (c - A (1 - B)) and 1 - P(wait) exp(-(c mu - lambda) T).
    """
    sl = np.zeros(len(offered))
    slope = np.zeros(len(offered))
    for i, (c, off) in enumerate(zip(agents, offered)):
        c, lam = int(c), float(off) / interval_s
        load = lam * aht_s
        if load <= 0:
            sl[i] = 1.0
            continue
        if load >= c:
            continue
        b = erlang_b(c, load)
        db = b * (c / load - 1.0 + b)
        d = c - load * (1.0 - b)
        pw = c * b / d
        dpw = c * (db * d + b * (1.0 - b) - load * b * db) / d**2
        ex = math.exp(-(c / aht_s - lam) * threshold_s)
        sl[i] = 1.0 - pw * ex
        slope[i] = -ex * (aht_s * dpw + threshold_s * pw) / interval_s
    return sl, slope


def differs_test(
    offered: np.ndarray,
    within: np.ndarray,
    agents: np.ndarray,
    aht_s: float,
    interval_s: float,
    threshold_s: float,
    groups: np.ndarray | None = None,
    n_groups: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Erlang C minus the simulated service level per group, and the standard error of that difference.

    ``offered`` and ``within`` (answered within T) are (replications, intervals). The
    simulated service level is the ratio estimator pooled over replications, sum(within) /
    sum(offered); Erlang C is evaluated at the mean simulated offered load, so it is an
    estimate too. For a group of intervals (a time of day) Erlang C is the offered-weighted
    mean of its intervals' values. The standard error comes from each replication's
    linearised contribution to both estimates (the delta method for a ratio and for Erlang C
    at an estimated load), so it includes the noise of evaluating Erlang C at a simulated
    load and the correlation between the two. NaN with fewer than 2 replications or no calls.
    """
    offered = np.asarray(offered, float)
    within = np.asarray(within, float)
    reps, n = offered.shape
    if groups is None:
        groups, n_groups = np.arange(n), n
    mean_off = offered.mean(axis=0)
    e, slope = erlang_c_slope(agents, mean_off, aht_s, interval_s, threshold_s)

    def by_group(a: np.ndarray) -> np.ndarray:  # (reps, intervals) -> (reps, groups)
        return np.stack([np.bincount(groups, weights=row, minlength=n_groups) for row in np.atleast_2d(a)])

    o_g = by_group(offered)
    a_g = by_group(within)
    big_o = o_g.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        e_g = by_group(mean_off * e)[0] / big_o
        p_g = a_g.sum(axis=0) / o_g.sum(axis=0)
        # d E_g / d mean_off_i, then each replication's linearised deviation
        grad = (e + mean_off * slope - e_g[groups]) / big_o[groups]
        infl = by_group((offered - mean_off) * grad) - (a_g - p_g * o_g) / big_o
        se = np.sqrt((infl**2).sum(axis=0) / max(reps - 1, 1) / reps)
    diff = e_g - p_g
    if reps < 2:
        se = np.full(n_groups, np.nan)
    return diff, np.where(big_o > 0, se, np.nan)


def differs(
    offered: np.ndarray,
    within: np.ndarray,
    agents: np.ndarray,
    aht_s: float,
    interval_s: float,
    threshold_s: float,
    keys: list | None = None,
    groups: np.ndarray | None = None,
    n_groups: int = 0,
) -> np.ndarray:
    """``erlang_c_differs``: a two-sided test at level DIFFERS_LEVEL that Erlang C equals the
    simulated service level, on :func:`differs_test`'s difference and standard error.

    The variance is pooled over alike intervals (equal ``keys``: the same agents and expected
    calls in the interval and the two before it, or the same start from an empty queue), then
    Student-t with (replications - 1) x (alike intervals) degrees of freedom. Pooling matters
    near 100% service level: one interval's few replication values are skewed (most hours
    answer almost everything in time, a rare burst answers little), and an interval whose
    replications missed the rare burst gets a too small interval of its own (on exact M/M/10
    at 92% service level that flagged 12% of intervals at 10 replications instead of 5%).
    False everywhere with fewer than DIFFERS_MIN_REPLICATIONS replications, and where an
    interval has no calls.
    """
    reps = np.asarray(offered).shape[0]
    diff, se = differs_test(offered, within, agents, aht_s, interval_s, threshold_s, groups, n_groups)
    if reps < DIFFERS_MIN_REPLICATIONS:
        return np.zeros(len(diff), dtype=bool)
    var = se**2
    pooled, df = var.copy(), np.full(len(var), float(reps - 1))
    if keys is not None:
        members: dict = {}
        for i, k in enumerate(keys):
            if not np.isnan(var[i]):
                members.setdefault(k, []).append(i)
        for idx in members.values():
            pooled[idx] = var[idx].mean()
            df[idx] = len(idx) * (reps - 1)
    half = stdtrit(df, 1 - DIFFERS_LEVEL / 2) * np.sqrt(pooled)
    with np.errstate(invalid="ignore"):
        return np.asarray(np.abs(diff) > half) & ~np.isnan(pooled)


def alike_keys(tl, m: np.ndarray) -> list:
    """Per measured interval, what makes intervals alike for :func:`differs`: its agents and
    expected first calls, and those of the two intervals before it when they follow without
    a break (None where the line was closed: the queue starts empty)."""
    cfg = list(zip(tl.iv_agents.tolist(), np.round(tl.iv_expected, 9).tolist()))
    follows = np.concatenate([[False], np.isclose(np.diff(tl.iv_start_s), tl.interval_s)])
    keys = []
    for g in np.flatnonzero(m):
        prev1 = cfg[g - 1] if follows[g] else None
        prev2 = cfg[g - 2] if follows[g] and follows[g - 1] else None
        keys.append((cfg[g], prev1, prev2))
    return keys


def weighted(iv: pd.DataFrame, groups: np.ndarray, n: int, column: str = "erlang_c_service_level") -> np.ndarray:
    off = iv["offered"].to_numpy()
    e = np.nan_to_num(iv[column].to_numpy(), nan=0.0)
    num = np.bincount(groups, weights=off * e, minlength=n)
    den = np.bincount(groups, weights=off, minlength=n)
    return np.divide(num, den, out=np.full(n, np.nan), where=den > 0)


def explain_differences(s: Scenario, summary: pd.DataFrame, aht_s: float, tl=None) -> list[str]:
    """Which mechanisms of the scenario Erlang C leaves out, most important first.

    Only mechanisms the scenario has: changing arrival rates or staffing only when the
    expected first calls or the agents differ between measured intervals, "starts empty"
    only when the line closes (or nothing is simulated before the window). ``tl`` is the
    model's timeline; without it those two are judged from the scenario alone.
    """
    k = summary.set_index("kpi")["mean"]
    out = []
    if s.patience is not None:
        out.append(
            f"abandonment: {k['abandon_rate']:.1%} of calls hang up; Erlang C keeps every caller waiting, "
            "so where agents are short it overstates the queue (Erlang A models patience)"
        )
    cv2 = _handle_cv2(s)
    if abs(cv2 - 1.0) > 0.1:
        out.append(
            f"handle times have cv {math.sqrt(cv2):.2f} (Erlang C assumes exponential, cv 1): "
            "waits grow roughly with (1 + cv^2) / 2"
        )
    if tl is None:
        tl = build_timeline(s)
    m = tl.iv_measured()
    expected, agents = tl.iv_expected[m], tl.iv_agents[m]
    rates_vary = expected.size > 0 and float(np.ptp(expected)) > 1e-9 * max(float(expected.max()), 1.0)
    staff_vary = agents.size > 0 and int(np.ptp(agents)) > 0
    if rates_vary or staff_vary:
        what = " and ".join(w for w, on in (("arrival rates", rates_vary), ("staffing", staff_vary)) if on)
        out.append(f"{what} change between intervals and queues carry over; Erlang C treats each interval as steady")
    follows = np.concatenate([[False], np.isclose(np.diff(tl.iv_start_s), tl.interval_s)])
    cold = m & ~follows
    if cold.any():
        if not (~follows[1:]).any():  # open around the clock: only the very first interval starts cold
            out.append(
                "nothing is simulated before the window (no warm-up): the first interval starts with an "
                "empty queue and answers more in time than steady-state Erlang C"
            )
        else:
            out.append(
                "starts empty: the line closes, so the first intervals of a day start with an empty queue "
                "and answer more in time than steady-state Erlang C"
            )
    if s.arrivals.day_cv > 0:
        out.append(f"daily volume varies beyond Poisson (cv {s.arrivals.day_cv:g}); Erlang C sees only the mean load")
    if s.redial.probability > 0 or s.repeat.probability > 0:
        out.append("redials and repeat calls are in the offered load, but they cluster after busy periods")
    if len(s.groups) > 1:
        out.append(f"agent groups: Erlang C pools all agents, but skills split them into {len(s.groups)} groups "
                   "(smaller pools answer fewer calls in time at the same load)")
    if s.lines is not None:
        out.append(f"phone lines: at most {s.lines.count} calls in queue and talk; callers beyond get a busy tone")
    return out


def _handle_cv2(s: Scenario) -> float:
    """Squared cv of the handle time over the call-type mix (talk, identity check, ACW independent)."""
    means, second = [], []
    for ct in s.call_types:
        parts = [ct.talk.build()]
        if ct.after_call_work:
            parts.append(ct.after_call_work.build())
        mean = sum(p.mean for p in parts)
        var = sum(p.variance for p in parts)
        if ct.identity_check:
            e = ct.identity_check.extra.build()
            q = ct.identity_check.probability
            mean += q * e.mean
            var += q * (e.variance + e.mean**2) - (q * e.mean) ** 2
        means.append(mean)
        second.append(var + mean**2)
    w = np.array([ct.share for ct in s.call_types])
    m1 = float(np.dot(w, means))
    m2 = float(np.dot(w, second))
    return (m2 - m1**2) / m1**2 if m1 > 0 else 0.0


def erlang_columns(iv: pd.DataFrame, levels: dict, keys: list, aht: float, interval_s: float, threshold: float,
                   patience_mean_s: float | None) -> tuple:
    """Add Erlang C (and Erlang A) columns to the intervals table; returns the test's arguments
    (replications' offered and answered within T, agents, ...) for the times of day."""
    iv["aht_s"] = aht
    iv["load_erlang"] = iv["offered"] * aht / interval_s
    iv["erlang_c_service_level"] = [
        erlang_c_result(int(a), off / interval_s, aht, threshold).service_level
        for a, off in zip(iv["agents"], iv["offered"])
    ]
    rep_off = levels["interval"]["offered"]
    rep_within = np.nan_to_num(levels["interval"]["service_level"]) * rep_off  # answered within T
    test = (rep_off, rep_within, iv["agents"].to_numpy(), aht, interval_s, threshold)
    iv["erlang_c_differs"] = differs(*test, keys=keys)
    if patience_mean_s is not None and patience_mean_s > 0:
        a = erlang_arrays(iv["agents"].to_numpy(), iv["offered"].to_numpy() / interval_s, aht, threshold,
                          patience_mean_s)  # all intervals at once, the values of erlang_a_result
        iv["erlang_a_service_level"] = a["service_level"]
        iv["erlang_a_abandon_rate"] = a["abandon_rate"]
    return test


def time_of_day_columns(tod: pd.DataFrame, iv: pd.DataFrame, test: tuple, keys: list, time_of_day: np.ndarray,
                        n_tod: int) -> None:
    """The Erlang columns of the times-of-day table: offered-weighted over the days, tested on
    alike times of day (alike intervals on every day)."""
    tod["erlang_c_service_level"] = weighted(iv, time_of_day, n_tod)
    members: list[list[str]] = [[] for _ in range(n_tod)]
    for k, g in zip(keys, time_of_day.tolist()):
        members[g].append(repr(k))
    tod_keys = [tuple(sorted(x)) for x in members]
    tod["erlang_c_differs"] = differs(*test, keys=tod_keys, groups=time_of_day, n_groups=n_tod)
    if "erlang_a_service_level" in iv:
        tod["erlang_a_service_level"] = weighted(iv, time_of_day, n_tod, "erlang_a_service_level")


def window_figures(iv: pd.DataFrame, s: Scenario, summary: pd.DataFrame, aht: float, replications: int, tl) -> dict[str, Any]:
    """The cross-check over the window: Erlang C's offered-weighted service level, how many
    intervals are unstable or differ (and how many would by chance), and the explanations."""
    offered = iv["offered"].to_numpy()
    tested = int((offered > 0).sum()) if replications >= DIFFERS_MIN_REPLICATIONS else 0
    sl_e = iv["erlang_c_service_level"].to_numpy()
    weights = np.where(np.isnan(sl_e), 0.0, sl_e)  # an unstable interval answers (almost) nothing in time
    erlang = {
        "aht_s": aht,
        "service_level": float((offered * weights).sum() / offered.sum()) if offered.sum() > 0 else math.nan,
        "unstable_intervals": int(np.isnan(sl_e).sum()),
        "differing_intervals": int(iv["erlang_c_differs"].sum()),
        "intervals": len(iv),
        # the flag's test: its level, how many intervals it tested, how many it flags by chance
        "differs_level": DIFFERS_LEVEL,
        "tested_intervals": tested,
        "expected_by_chance": DIFFERS_LEVEL * tested,
        "explanations": explain_differences(s, summary, aht, tl),
    }
    if "erlang_a_service_level" in iv:
        w = offered.sum()
        erlang["erlang_a_service_level"] = float((offered * iv["erlang_a_service_level"]).sum() / w) if w else math.nan
        erlang["erlang_a_abandon_rate"] = float((offered * iv["erlang_a_abandon_rate"]).sum() / w) if w else math.nan
        erlang["patience_mean_s"] = float(s.patience_dist().mean)
    return erlang
