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

With agent groups (:func:`basis_of`, :func:`group_cross_check`) groups that take no inbound
call are left out; the others are one Erlang C pool when each takes every call at once, else
each group is compared on the inbound calls offered to it in the simulation, with its agents
and AHT; the same test runs per (interval, group) and per interval on the groups' offered-weighted
Erlang C. On two independent M/M/c groups: 4.9-5.3% flagged per group, 5.0-5.4% per interval
(benchmarks/erlang_differs.py --groups).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from ska_sim.maths.erlang import erlang_arrays, erlang_b, erlang_c_result
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.timeline import build_timeline
from ska_sim.sim.thresholds import as_mix, mixed

DIFFERS_LEVEL = 0.05  # false-alarm rate of ``erlang_c_differs`` per interval when Erlang C holds
DIFFERS_MIN_REPLICATIONS = 3  # fewer replications: no interval is tested (the flag is False)


def erlang_c_slope(agents: np.ndarray, offered: np.ndarray, aht_s: float, interval_s: float, threshold_s):
    """Erlang C service level and its derivative with respect to the interval's offered calls
    (``aht_s`` one value, or one per interval; ``threshold_s`` a threshold or a mix of thresholds
    per call type (sim/thresholds.py), or a list of them, one per interval: the mix's weighted sum).

    An unstable interval (load >= agents) counts as service level 0 with slope 0, as in the
    cross-check's window figure. dB/dA = B (c / A - 1 + B) for Erlang B; the rest is the
    chain rule through P(wait) = c B / (c - A (1 - B)) and 1 - P(wait) exp(-(c mu - lambda) T).
    """
    sl = np.zeros(len(offered))
    slope = np.zeros(len(offered))
    ahts = np.broadcast_to(np.asarray(aht_s, dtype=float), (len(offered),))
    mixes = [as_mix(t) for t in threshold_s] if isinstance(threshold_s, list) else [as_mix(threshold_s)] * len(offered)
    for i, (c, off, aht) in enumerate(zip(agents, offered, ahts.tolist())):
        c, lam = int(c), float(off) / interval_s
        load = lam * aht
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
        for j, (t, w) in enumerate(mixes[i]):
            ex = math.exp(-(c / aht - lam) * t)
            value, derivative = (1.0 - pw * ex) * w, -ex * (aht * dpw + t * pw) / interval_s * w
            sl[i] = value if j == 0 else sl[i] + value
            slope[i] = derivative if j == 0 else slope[i] + derivative
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


def alike_keys(tl, m: np.ndarray, agents: np.ndarray | None = None) -> list:
    """Per measured interval, what makes intervals alike for :func:`differs`: its agents and
    expected first calls, and those of the two intervals before it when they follow without
    a break (None where the line was closed: the queue starts empty). ``agents``: per interval
    (or per interval and group), the agents compared; default the timeline's agents."""
    agents = tl.iv_agents if agents is None else agents
    rows = [tuple(a) if isinstance(a, list) else a for a in np.asarray(agents).tolist()]
    cfg = list(zip(rows, np.round(tl.iv_expected, 9).tolist()))
    if tl.iv_type_mix is not None:  # the call-type mix too, where call types have their own profiles
        cfg = [(*c, tuple(mix)) for c, mix in zip(cfg, np.round(tl.iv_type_mix, 9).tolist())]
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


def explain_differences(s: Scenario, summary: pd.DataFrame, aht_s: float, tl=None, basis: Basis | None = None) -> list[str]:
    """Which mechanisms of the scenario Erlang C leaves out, most important first.

    Only mechanisms the scenario has: changing arrival rates or staffing only when the
    expected first calls or the agents differ between measured intervals, "starts empty"
    only when the line closes (or nothing is simulated before the window). ``tl`` is the
    model's timeline; without it those two are judged from the scenario alone. With agent
    groups (``basis``), what moves calls between the groups compared.
    """
    k = summary.set_index("kpi")["mean"]
    out = []
    if s.has_patience():
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
    fc = s.arrivals.forecast
    if fc is not None:  # the measured days are the forecast's: day_cv does not apply to them
        if fc.uncertainty:
            out.append("daily volume is drawn from the forecast's predictive distribution (its 80% and 95% "
                       "intervals); Erlang C sees only the mean load")
    elif s.arrivals.day_cv > 0:
        out.append(f"daily volume varies beyond Poisson (cv {s.arrivals.day_cv:g}); Erlang C sees only the mean load")
    if s.redial.probability > 0 or s.repeat.probability > 0:
        out.append("redials and repeat calls are in the offered load, but they cluster after busy periods")
    out += group_explanations(s, basis)
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
    w = np.array(s.written_shares())
    m1 = float(np.dot(w, means))
    m2 = float(np.dot(w, second))
    return (m2 - m1**2) / m1**2 if m1 > 0 else 0.0


@dataclass
class Check:
    """What the cross-check tests: per unit (a measured interval, or with agent groups compared
    one by one an (interval, group)), the replications' offered calls and calls answered within
    T, the agents and the AHT Erlang C is evaluated with; ``unit_iv`` maps units to intervals."""

    offered: np.ndarray  # (replications, units)
    within: np.ndarray
    agents: np.ndarray  # (units,)
    aht_s: Any  # one value, or (units,)
    interval_s: float
    threshold_s: float
    unit_iv: np.ndarray | None = None  # None: each unit is an interval
    unstable: np.ndarray | None = None  # per interval, with groups: a group's load >= its agents

    def args(self) -> tuple:
        return self.offered, self.within, self.agents, self.aht_s, self.interval_s, self.threshold_s

    def to_intervals(self, of_interval: np.ndarray) -> np.ndarray:
        """A per-interval map (times of day, intervals themselves) as a per-unit map."""
        return of_interval if self.unit_iv is None else of_interval[self.unit_iv]


def erlang_columns(iv: pd.DataFrame, levels: dict, keys: list, aht, interval_s: float, threshold: float,
                   patience_mean_s: float | None, agents: np.ndarray | None = None) -> Check:
    """Add Erlang C (and Erlang A) columns to the intervals table, on the interval's simulated
    offered calls and ``agents`` (default its agents); returns what the times of day test."""
    agents = iv["agents"].to_numpy() if agents is None else agents
    iv["aht_s"] = aht  # one value, or one per interval (call types with their own profiles: the interval's mix)
    iv["load_erlang"] = iv["offered"] * aht / interval_s
    ahts = np.broadcast_to(np.asarray(aht, dtype=float), (len(iv),)).tolist()  # one AHT, or one per interval
    iv["erlang_c_service_level"] = [
        mixed(lambda t: erlang_c_result(int(a), off / interval_s, h, t).service_level, threshold)
        for a, off, h in zip(agents, iv["offered"], ahts)
    ]
    rep_off = levels["interval"]["offered"]
    rep_within = np.nan_to_num(levels["interval"]["service_level"]) * rep_off  # answered within T
    check = Check(rep_off, rep_within, agents, aht, interval_s, threshold)
    iv["erlang_c_differs"] = differs(*check.args(), keys=keys)
    if patience_mean_s is not None and patience_mean_s > 0:
        def erlang_a(t: float) -> dict:  # all intervals at once, the values of erlang_a_result
            return erlang_arrays(agents, iv["offered"].to_numpy() / interval_s, aht, t, patience_mean_s)

        a = erlang_a(as_mix(threshold)[0][0])
        iv["erlang_a_service_level"] = mixed(lambda t: erlang_a(t)["service_level"], threshold)
        iv["erlang_a_abandon_rate"] = a["abandon_rate"]
    return check


def time_of_day_columns(tod: pd.DataFrame, iv: pd.DataFrame, check: Check, keys: list, time_of_day: np.ndarray,
                        n_tod: int) -> None:
    """The Erlang columns of the times-of-day table: offered-weighted over the days, tested on
    alike times of day (alike intervals on every day)."""
    tod["erlang_c_service_level"] = weighted(iv, time_of_day, n_tod)
    members: list[list[str]] = [[] for _ in range(n_tod)]
    for k, g in zip(keys, time_of_day.tolist()):
        members[g].append(repr(k))
    tod_keys = [tuple(sorted(x)) for x in members]
    tod["erlang_c_differs"] = differs(*check.args(), keys=tod_keys, groups=check.to_intervals(time_of_day),
                                      n_groups=n_tod)
    if "erlang_a_service_level" in iv:
        tod["erlang_a_service_level"] = weighted(iv, time_of_day, n_tod, "erlang_a_service_level")


def window_figures(iv: pd.DataFrame, s: Scenario, summary: pd.DataFrame, aht: float, replications: int, tl,
                   check: Check | None = None, basis: Basis | None = None, gi: pd.DataFrame | None = None,
                   levels: dict | None = None) -> dict[str, Any]:
    """The cross-check over the window: Erlang C's offered-weighted service level, how many
    intervals are unstable or differ (and how many would by chance), and the explanations.
    With agent groups (``basis``) also what it compares (``compares``), each group's figures
    (``groups``: :func:`group_figures`) and the groups left out (``left_out``: group -> why)."""
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
        "explanations": explain_differences(s, summary, aht, tl, basis),
    }
    if basis is not None:
        if check is not None and check.unstable is not None:
            erlang["unstable_intervals"] = int(check.unstable.sum())
        if offered.sum() > 0:  # the offered-weighted AHT of the groups compared
            erlang["aht_s"] = float(np.nansum(iv["aht_s"].to_numpy() * offered) / offered.sum())
        erlang["compares"] = basis.compares
        erlang["groups"] = group_figures(gi, levels, basis, replications)
        erlang["left_out"] = dict(basis.left_out)
    if "erlang_a_service_level" in iv:
        w = offered.sum()
        erlang["erlang_a_service_level"] = float((offered * iv["erlang_a_service_level"]).sum() / w) if w else math.nan
        erlang["erlang_a_abandon_rate"] = float((offered * iv["erlang_a_abandon_rate"]).sum() / w) if w else math.nan
        erlang["patience_mean_s"] = float(s.mean_patience_s())
    return erlang


# --------------------------------------------------------------------------- agent groups
POOLED, PER_GROUP = "inbound groups pooled", "per group"


@dataclass(frozen=True)
class Basis:
    """What the cross-check compares on a scenario with agent groups: the groups that take
    inbound calls, pooled into one Erlang C pool when each of them takes every call at once
    (they share every skill), else each group on its own calls; and the groups left out, with why."""

    compares: str  # POOLED or PER_GROUP
    names: tuple[str, ...]  # every group, in file order
    inbound: tuple[int, ...]  # the groups that take inbound calls
    left_out: dict[str, str]  # group -> why it is not in the comparison
    overflow_to: tuple[str, ...] = ()  # inbound groups that take some calls only after they waited
    other_work: dict[str, str] = field(default_factory=dict)  # inbound group -> the callbacks or transfers it works too
    shared_calls: bool = False  # some calls may go to more than one group


def basis_of(s: Scenario, routing) -> Basis | None:
    """The :class:`Basis` of a scenario with [[groups]] (``routing``: its RoutingModel); None without."""
    if routing is None or not routing.named:
        return None
    names = routing.group_names
    inbound = tuple(g for g in range(len(names)) if routing.group_cells[g])
    callbacks = s.callbacks.group if s.callbacks is not None and s.uses_callbacks() else None
    transfers_to = {ct.transfer.to for ct in s.call_types if ct.transfer is not None and ct.transfer.share > 0}
    left_out, other_work = {}, {}
    for g, name in enumerate(names):
        does = " and ".join(w for w, on in (("places callbacks", name == callbacks),
                                            ("takes transferred calls", name in transfers_to)) if on)
        if g not in inbound:
            left_out[name] = "no inbound calls" + (f": {does}" if does else "")
        elif does:
            other_work[name] = does
    shared = all(set(at_once) == set(inbound) for at_once, el in zip(routing.arrival_groups, routing.eligible) if el)
    late = sorted({g for el in routing.eligible for g, delay in el if delay > 0})
    return Basis(POOLED if shared else PER_GROUP, names, inbound, left_out, tuple(names[g] for g in late), other_work,
                 any(len(el) > 1 for el in routing.eligible))


def group_explanations(s: Scenario, basis: Basis | None) -> list[str]:
    """What Erlang C leaves out between agent groups: calls that reach a group after waiting for
    another one (overflow), groups that share calls, other work of the groups compared."""
    if basis is None:
        return []
    out = []
    if basis.compares == PER_GROUP and basis.overflow_to:
        out.append(f"overflow: {', '.join(basis.overflow_to)} also take calls that first waited for another group "
                   "(overflow_after_s); those are answered late whatever their agents, and a group's calls are "
                   "not Poisson when some come from another group")
    elif basis.compares == PER_GROUP and basis.shared_calls:
        out.append("groups share some calls: each is compared on the calls it received, which are not Poisson")
    inbound = [s.groups[g] for g in basis.inbound]
    if basis.compares == POOLED and any(len({g.handle_factor_of(ct.name) for g in inbound}) > 1 for ct in s.call_types):
        out.append("the pooled groups handle calls at different speeds (handle_factor); Erlang C assumes one speed")
    for name, work in basis.other_work.items():
        out.append(f"{name} also {work}: agent time Erlang C does not count")
    return out


def group_aht(levels: dict) -> np.ndarray:
    """Per group, the mean handle time of the inbound calls offered to it over the window and
    the replications (scenario means, its handle factor); NaN for a group offered no call."""
    off = levels["group"]["offered"]
    handle = np.nan_to_num(levels["group"]["offered_aht_s"]) * off
    return np.divide(handle.sum(axis=0), off.sum(axis=0), out=np.full(off.shape[1], np.nan), where=off.sum(axis=0) > 0)


def group_interval_aht(levels: dict, rows: np.ndarray | None, n: int, aht_g: np.ndarray) -> np.ndarray:
    """(intervals, groups): the mean handle time of the inbound calls offered to each group in
    each measured interval over the replications (the group's window AHT where it was offered none)."""
    gl = levels["group_interval"]
    off, aht = gl["offered"], gl["offered_aht_s"]
    if rows is not None:
        off, aht = off[:, rows], aht[:, rows]
    num = (np.nan_to_num(aht) * off).sum(axis=0).reshape(n, -1)
    den = off.sum(axis=0).reshape(n, -1)
    return np.divide(num, den, out=np.broadcast_to(aht_g, num.shape).copy(), where=den > 0)


def group_cross_check(iv: pd.DataFrame, gi: pd.DataFrame, levels: dict, tl, m: np.ndarray, basis: Basis,
                      threshold, patience_mean_s: float | None, group_thresholds: list | None = None,
                      by_interval: bool = False) -> tuple[Check, list]:
    """The Erlang columns with agent groups; returns what the times of day test and the alike keys.

    Pooled: the intervals table's columns as without groups, on the inbound groups' agents and
    their offered calls' AHT. Per group: each group on the inbound calls offered to it in the
    simulation (``gi``'s ``offered``: the calls it answered, its own and those that overflowed
    to it, and the calls lost while first in line for it) with its own agents and AHT; the
    group_intervals table gets ``aht_s``, ``load_erlang``, ``erlang_c_service_level`` and
    ``erlang_c_differs`` per group; the intervals table the offered-weighted Erlang C of its
    groups (a group's unstable interval counts as 0 in time), tested against the interval's
    simulated service level. ``threshold``: the line's threshold (or mix, sim/thresholds.py),
    used pooled; ``group_thresholds``: each group's (default: the line's). ``by_interval`` (talk
    by period): each group's AHT per interval, not over the window."""
    interval_s = tl.interval_s
    n_g = len(basis.names)
    aht_g = group_aht(levels)
    agents_g = tl.iv_group_agents[m]
    inbound = list(basis.inbound)
    iv["erlang_agents"] = agents_g[:, inbound].sum(axis=1)
    n = len(iv)
    rows = np.flatnonzero(np.repeat(m, n_g)) if levels["group_interval"]["offered"].shape[1] == len(m) * n_g else None
    aht_gi = group_interval_aht(levels, rows, n, aht_g) if by_interval else None
    if basis.compares == POOLED:
        w = levels["group"]["offered"][:, inbound].sum()
        aht = float(np.nansum(aht_g[inbound] * levels["group"]["offered"][:, inbound].sum(axis=0)) / w) if w else math.nan
        if aht_gi is not None:
            off_gi = levels["group_interval"]["offered"] if rows is None else levels["group_interval"]["offered"][:, rows]
            off_gi = off_gi.sum(axis=0).reshape(n, n_g)[:, inbound]
            tot = off_gi.sum(axis=1)
            aht = np.divide((np.nan_to_num(aht_gi[:, inbound]) * off_gi).sum(axis=1), tot, out=np.full(n, aht),
                            where=tot > 0)
        keys = alike_keys(tl, m, tl.iv_group_agents[:, inbound])
        return erlang_columns(iv, levels, keys, aht, interval_s, threshold, patience_mean_s,
                              iv["erlang_agents"].to_numpy()), keys
    reps = levels["group_interval"]["offered"].shape[0]
    off = levels["group_interval"]["offered"] if rows is None else levels["group_interval"]["offered"][:, rows]
    sl = levels["group_interval"]["offered_service_level"]
    sl = sl if rows is None else sl[:, rows]
    off3, within3 = off.reshape(reps, n, n_g), (np.nan_to_num(sl) * off).reshape(reps, n, n_g)
    k = [g for g in inbound if not np.isnan(aht_g[g])]  # groups offered calls
    u_off, u_within = off3[:, :, k].reshape(reps, -1), within3[:, :, k].reshape(reps, -1)
    u_agents = agents_g[:, k].reshape(-1)
    u_aht = np.tile(aht_g[k], n) if aht_gi is None else aht_gi[:, k].reshape(-1)
    unit_iv = np.repeat(np.arange(n), len(k))
    mean_off = u_off.mean(axis=0)
    unit_thr = [threshold] * len(u_aht) if group_thresholds is None else [group_thresholds[g] for _ in range(n) for g in k]
    e = unit_erlang(u_agents, mean_off / interval_s, u_aht, unit_thr, None)["service_level"]
    check = Check(u_off, u_within, u_agents, u_aht, interval_s, unit_thr if group_thresholds else threshold, unit_iv,
                  np.bincount(unit_iv, weights=np.isnan(e) & (mean_off > 0), minlength=n) > 0)
    den = np.bincount(unit_iv, weights=mean_off, minlength=n)

    def per_interval(values: np.ndarray, empty: float) -> np.ndarray:
        num = np.bincount(unit_iv, weights=mean_off * values, minlength=n)
        return np.divide(num, den, out=np.full(n, empty), where=den > 0)

    iv["aht_s"] = per_interval(u_aht, float(np.nanmean(aht_g[k])) if k else math.nan)
    iv["load_erlang"] = np.bincount(unit_iv, weights=mean_off * u_aht, minlength=n) / interval_s
    iv["erlang_c_service_level"] = per_interval(np.nan_to_num(e, nan=0.0), 1.0)
    keys = alike_keys(tl, m, tl.iv_group_agents[:, k])
    iv["erlang_c_differs"] = differs(*check.args(), keys=keys, groups=unit_iv, n_groups=n)
    if patience_mean_s is not None and patience_mean_s > 0:
        a = unit_erlang(u_agents, mean_off / interval_s, u_aht, unit_thr, patience_mean_s)
        iv["erlang_a_service_level"] = per_interval(a["service_level"], 1.0)
        iv["erlang_a_abandon_rate"] = per_interval(a["abandon_rate"], 0.0)
    # per group and interval (rows interval * groups + group)
    cols = {c: np.full((n, n_g), np.nan) for c in ("aht_s", "load_erlang", "erlang_c_service_level")}
    flags = np.zeros((n, n_g), dtype=bool)
    own_keys = [alike_keys(tl, m, tl.iv_group_agents[:, g]) for g in k]  # per group, its agents
    unit_keys = [(g, own_keys[j][i]) for i in range(n) for j, g in enumerate(k)]
    unit_flags = differs(*check.args(), keys=unit_keys).reshape(n, len(k))
    for j, g in enumerate(k):
        g_aht = aht_g[g] if aht_gi is None else aht_gi[:, g]
        cols["aht_s"][:, g] = g_aht
        cols["load_erlang"][:, g] = off3[:, :, g].mean(axis=0) * g_aht / interval_s
        cols["erlang_c_service_level"][:, g] = e.reshape(n, len(k))[:, j]
        flags[:, g] = unit_flags[:, j]
    for c, v in cols.items():
        gi[c] = v.reshape(-1)
    gi["erlang_c_differs"] = flags.reshape(-1)
    return check, keys


def unit_erlang(agents: np.ndarray, rate: np.ndarray, aht: np.ndarray, thresholds: list, patience_s) -> dict:
    """``erlang_arrays`` of units with a threshold (or mix) each: one evaluation for a common
    threshold, else one per distinct threshold, each unit's service level its mix's weighted sum."""
    mixes = [as_mix(t) for t in thresholds]
    if not mixes or (len(set(mixes)) == 1 and len(mixes[0]) == 1):
        return erlang_arrays(agents, rate, aht, mixes[0][0][0] if mixes else 20.0, patience_s)
    out = dict(erlang_arrays(agents, rate, aht, mixes[0][0][0], patience_s))
    by_t = {t: erlang_arrays(agents, rate, aht, t, patience_s)["service_level"] for t in {t for mix in mixes for t, _ in mix}}
    sl = np.zeros(len(mixes))
    for i, mix in enumerate(mixes):
        sl[i] = sum(by_t[t][i] * w for t, w in mix)
    out["service_level"] = sl
    return out


def group_figures(gi: pd.DataFrame, levels: dict, basis: Basis, replications: int) -> list[dict[str, Any]]:
    """Per group, the cross-check over the window: what it compares (its offered calls, AHT,
    Erlang C and simulated service level, intervals that differ) or why it is left out."""
    out = []
    offered = levels["group"]["offered"].sum(axis=0)
    within = (np.nan_to_num(levels["group"]["offered_service_level"]) * levels["group"]["offered"]).sum(axis=0)
    for g, name in enumerate(basis.names):
        row: dict[str, Any] = {"group": name}
        if name in basis.left_out:
            out.append({**row, "compared": False, "reason": basis.left_out[name]})
            continue
        if offered[g] <= 0:
            out.append({**row, "compared": False, "reason": "no calls"})
            continue
        mine = gi[gi["group"] == name]
        off = mine["offered"].to_numpy()
        e = mine["erlang_c_service_level"].to_numpy() if "erlang_c_service_level" in mine else np.full(len(off), np.nan)
        tested = int((off > 0).sum()) if replications >= DIFFERS_MIN_REPLICATIONS else 0
        row.update({
            "compared": True,
            "offered": float(offered[g] / replications),
            "aht_s": float(group_aht(levels)[g]),
            "service_level": float(within[g] / offered[g]),
        })
        if basis.compares == PER_GROUP:
            row.update({
                "erlang_c_service_level": float((off * np.nan_to_num(e)).sum() / off.sum()) if off.sum() > 0 else math.nan,
                "unstable_intervals": int((np.isnan(e) & (off > 0)).sum()),
                "differing_intervals": int(mine["erlang_c_differs"].sum()),
                "tested_intervals": tested,
                "expected_by_chance": DIFFERS_LEVEL * tested,
            })
        out.append(row)
    return out
