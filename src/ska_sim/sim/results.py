"""The result of a simulation: pandas DataFrames with documented columns, the target
verdicts and the Erlang C cross-check. The terminal table, JSON, CSV files and plots all
read these same tables.

Columns (every KPI column ``k`` has ``k_ci_low`` and ``k_ci_high``: the 95% Student-t
interval over replications; counts are calls per group per replication):

- ``intervals``: ``date``, ``weekday``, ``time`` (interval start, HH:MM), ``agents``,
  KPIs, ``aht_s``, ``load_erlang``, ``erlang_c_service_level``, ``erlang_c_differs``, and
  when the scenario has patience ``erlang_a_service_level`` and ``erlang_a_abandon_rate``
  (Erlang A with exponential patience of the scenario's mean patience)
- ``times_of_day``: ``time``, ``agents`` (mean over days), KPIs, ``erlang_c_service_level``
  (offered-weighted over the days), ``erlang_c_differs``, ``erlang_a_service_level``
- ``days``: ``date``, ``weekday``, ``agent_hours``, KPIs
- ``call_types``: ``call_type``, KPIs (no occupancy)
- ``languages`` (with ``[languages]``): ``language``, KPIs (no occupancy)
- ``groups`` (with ``[[groups]]``): ``group``, ``answered`` (calls it answered), ``service_level``
  (of those, answered within T / answered), ``asa_s``, ``occupancy``, ``agent_hours`` (on
  duty), ``busy_hours``; ``group_intervals``: the same per measured interval and group, with
  ``date``, ``weekday``, ``time``, ``agents``
- with phone lines, ``blocked`` (busy tone); with identity failures, ``written_requests``;
  with transfers ``transfers``, ``transfer_abandoned``, ``transfer_wait_s``; with callbacks
  ``callbacks_promised``, ``callbacks_made``, ``callbacks_late``, ``callback_hours``; with
  virtual hold ``virtual_hold_accepted``, ``served_incl_callbacks``: as KPIs in every table
- ``summary``: ``kpi``, ``unit``, ``mean``, ``ci_low``, ``ci_high`` over the measured window
- ``targets``: ``kpi``, ``target``, ``mean``, ``ci_low``, ``ci_high``, ``status``
  (PASS/FAIL/UNCERTAIN), ``reading`` (for a benchmark band such as FCR 70-75%: "below
  benchmark", "within benchmark" or "above benchmark", which is better than the benchmark and
  a PASS), ``days_met_share`` (share of simulated days, all replications, on which the day as
  a whole met the target), ``replications_met_share`` (share of replications whose whole
  window met it: the chance of meeting the target over the window, e.g. this week)
- ``per_replication``: ``replication`` and the window KPIs of each replication

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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ska_sim.base.jsonable import json_records, json_value
from ska_sim.base.version import __version__
from ska_sim.sim.engine import Model
from ska_sim.maths.erlang import erlang_arrays, erlang_b, erlang_c_result
from ska_sim.sim.kpi import EXTRA_KPI_UNITS, GROUP_KPI_UNITS, KPI_NAMES, KPI_UNITS, summarise, targets_of
from ska_sim.sim.runner import Groups, stack
from ska_sim.scenario.model import WEEKDAYS, Scenario, format_clock

def _unit(name: str) -> str:
    return KPI_UNITS.get(name) or EXTRA_KPI_UNITS.get(name) or GROUP_KPI_UNITS[name]


def extra_kpis(s: Scenario) -> tuple[str, ...]:
    """KPIs of issue 8's mechanisms that the scenario uses (tables keep today's columns without them)."""
    out = []
    if s.lines is not None:
        out.append("blocked")
    if any(ct.identity_check is not None and ct.identity_check.fails > 0 for ct in s.call_types):
        out.append("written_requests")
    if s.uses_transfers():
        out += ["transfers", "transfer_abandoned", "transfer_wait_s"]
    if s.uses_callbacks():
        out += ["callbacks_promised", "callbacks_made", "callbacks_late", "callback_hours"]
        vh = s.callbacks.virtual_hold
        if vh is not None and vh.accept > 0:
            out += ["virtual_hold_accepted", "served_incl_callbacks"]
    return tuple(out)


def _clip(name: str, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every KPI is >= 0 and a share <= 1: its interval is clipped to those bounds."""
    top = 1.0 if _unit(name) == "share" else np.inf
    return np.clip(lo, 0.0, top), np.clip(hi, 0.0, top)


def _kpi_columns(level: dict[str, np.ndarray], names=KPI_NAMES) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    for name in names:
        mean, lo, hi = summarise(level[name])
        lo, hi = _clip(name, lo, hi)
        cols[name], cols[f"{name}_ci_low"], cols[f"{name}_ci_high"] = mean, lo, hi
    return cols


@dataclass
class SimulationResult:
    """KPI tables of a simulated scenario (see the module docstring for the columns)."""

    scenario: Scenario
    seed: int
    replications: int
    summary: pd.DataFrame
    targets: pd.DataFrame
    intervals: pd.DataFrame
    times_of_day: pd.DataFrame
    days: pd.DataFrame
    call_types: pd.DataFrame
    per_replication: pd.DataFrame
    erlang: dict[str, Any] = field(default_factory=dict)
    languages: pd.DataFrame | None = None  # KPIs per language (scenarios with [languages])
    groups: pd.DataFrame | None = None  # per agent group (scenarios with [[groups]])
    group_intervals: pd.DataFrame | None = None  # per measured interval and agent group
    language_per_replication: dict | None = None  # language -> KPI -> per-replication window values

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, scenario: Scenario, model: Model, groups: Groups, results: list, seed: int) -> SimulationResult:
        levels: dict[str, dict[str, np.ndarray]] = {}
        for level, name, arr in stack(results):
            levels.setdefault(level, {})[name] = arr
        tl = model.timeline
        m = tl.iv_measured()
        names = KPI_NAMES + extra_kpis(scenario)
        dates = [tl.dates[d] for d in tl.iv_day[m]]
        agents = tl.iv_agents[m]
        iv = pd.DataFrame(
            {
                "date": [d.isoformat() for d in dates],
                "weekday": [WEEKDAYS[d.weekday()] for d in dates],
                "time": [format_clock(s * tl.interval_s) for s in tl.iv_slot[m]],
                "agents": agents,
                **_kpi_columns(levels["interval"], names),
            }
        )
        # Erlang C for each interval's simulated offered load and its agents
        types = pd.DataFrame({"call_type": [ct.name for ct in scenario.call_types], **_kpi_columns(levels["call_type"], names)})
        type_aht = np.array([ct.mean_handle_s() for ct in scenario.call_types])
        offered_by_type = types["offered"].to_numpy()
        aht = float((offered_by_type * type_aht).sum() / offered_by_type.sum()) if offered_by_type.sum() > 0 else scenario.mean_handle_s()
        threshold = scenario.targets.service_level.threshold_s
        iv["aht_s"] = aht
        iv["load_erlang"] = iv["offered"] * aht / tl.interval_s
        iv["erlang_c_service_level"] = [
            erlang_c_result(int(a), off / tl.interval_s, aht, threshold).service_level
            for a, off in zip(iv["agents"], iv["offered"])
        ]
        rep_off = levels["interval"]["offered"]
        rep_within = np.nan_to_num(levels["interval"]["service_level"]) * rep_off  # answered within T
        keys = _alike_keys(tl, m)
        test = (rep_off, rep_within, agents, aht, tl.interval_s, threshold)
        iv["erlang_c_differs"] = _differs(*test, keys=keys)
        patience = scenario.patience_dist()
        if patience is not None and patience.mean > 0:
            a = erlang_arrays(iv["agents"].to_numpy(), iv["offered"].to_numpy() / tl.interval_s, aht, threshold,
                              patience.mean)  # all intervals at once, the values of erlang_a_result
            iv["erlang_a_service_level"] = a["service_level"]
            iv["erlang_a_abandon_rate"] = a["abandon_rate"]

        tod = pd.DataFrame(
            {
                "time": [format_clock(s * tl.interval_s) for s in groups.slots],
                "agents": np.bincount(groups.time_of_day, weights=agents, minlength=len(groups.slots))
                / np.bincount(groups.time_of_day, minlength=len(groups.slots)),
                **_kpi_columns(levels["time_of_day"], names),
            }
        )
        tod["erlang_c_service_level"] = _weighted(iv, groups.time_of_day, len(groups.slots))
        n_tod = len(groups.slots)
        members: list[list[str]] = [[] for _ in range(n_tod)]
        for k, g in zip(keys, groups.time_of_day.tolist()):
            members[g].append(repr(k))
        tod_keys = [tuple(sorted(x)) for x in members]  # alike times of day: alike intervals on every day
        tod["erlang_c_differs"] = _differs(*test, keys=tod_keys, groups=groups.time_of_day, n_groups=n_tod)
        if "erlang_a_service_level" in iv:
            tod["erlang_a_service_level"] = _weighted(iv, groups.time_of_day, len(groups.slots), "erlang_a_service_level")

        day_dates = [tl.dates[d] for d in groups.day_index]
        days = pd.DataFrame(
            {
                "date": [d.isoformat() for d in day_dates],
                "weekday": [WEEKDAYS[d.weekday()] for d in day_dates],
                "agent_hours": np.bincount(groups.day, weights=agents, minlength=groups.n_days) * tl.interval_s / 3600,
                **_kpi_columns(levels["day"], names),
            }
        )
        types = types.drop(columns=[c for c in types.columns if c.startswith("occupancy")])

        w = levels["window"]
        rows = []
        for name in names:
            mean, lo, hi = summarise(w[name])
            lo, hi = _clip(name, lo, hi)
            rows.append({"kpi": name, "unit": _unit(name), "mean": mean[0], "ci_low": lo[0], "ci_high": hi[0]})
        summary = pd.DataFrame(rows)

        trows = []
        for t in targets_of(scenario, languages="language" in levels):
            if t.language is not None:  # a language's target: its window values per replication
                li = list(model.languages).index(t.language)
                per_rep_values = levels["language"][t.kpi][:, li]
                mean, lo, hi = summarise(per_rep_values[:, None])
                lo, hi = _clip(t.kpi, lo, hi)
                s = {"mean": mean[0], "ci_low": lo[0], "ci_high": hi[0]}
                day_values = np.array([])  # no per-day figures per language
            else:
                s = summary.set_index("kpi").loc[t.kpi]
                per_rep_values = levels["window"][t.kpi][:, 0]
                day_values = levels["day"][t.kpi]
            trows.append(
                {
                    "kpi": t.key,
                    "target": t.describe(),
                    "mean": s["mean"],
                    "ci_low": s["ci_low"],
                    "ci_high": s["ci_high"],
                    "status": t.status(s["mean"], s["ci_low"], s["ci_high"]),
                    "reading": t.reading(s["mean"]),
                    "days_met_share": float(t.met(day_values).mean()) if day_values.size else math.nan,
                    "replications_met_share": float(t.met(per_rep_values).mean()),
                }
            )
        targets = pd.DataFrame(trows)
        per_rep = pd.DataFrame({"replication": np.arange(len(results)), **{k: w[k][:, 0] for k in names}})
        languages = groups_table = group_intervals = None
        if "language" in levels:  # KPIs per language, as per call type (no occupancy)
            languages = pd.DataFrame({"language": list(model.languages), **_kpi_columns(levels["language"], names)})
            languages = languages.drop(columns=[c for c in languages.columns if c.startswith("occupancy")])
        if "group" in levels:  # per agent group: the calls it answered, its hours and occupancy
            gnames = list(model.routing.group_names)
            groups_table = pd.DataFrame({"group": gnames, **_kpi_columns(levels["group"], tuple(GROUP_KPI_UNITS))})
            n_g = len(gnames)
            gi = _kpi_columns(levels["group_interval"], tuple(GROUP_KPI_UNITS))
            measured_rows = np.flatnonzero(np.repeat(m, n_g))  # rows are interval * groups + group, all intervals
            if len(gi["answered"]) == len(m) * n_g:
                gi = {k: v[measured_rows] for k, v in gi.items()}
            group_intervals = pd.DataFrame({
                "date": np.repeat(iv["date"].to_numpy(), n_g),
                "weekday": np.repeat(iv["weekday"].to_numpy(), n_g),
                "time": np.repeat(iv["time"].to_numpy(), n_g),
                "group": gnames * len(iv),
                "agents": tl.iv_group_agents[m].reshape(-1) if tl.iv_group_agents is not None else np.nan,
                **gi,
            })

        offered = iv["offered"].to_numpy()
        tested = int((offered > 0).sum()) if len(results) >= DIFFERS_MIN_REPLICATIONS else 0
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
            "explanations": explain_differences(scenario, summary, aht, tl),
        }
        if "erlang_a_service_level" in iv:
            w = offered.sum()
            erlang["erlang_a_service_level"] = float((offered * iv["erlang_a_service_level"]).sum() / w) if w else math.nan
            erlang["erlang_a_abandon_rate"] = float((offered * iv["erlang_a_abandon_rate"]).sum() / w) if w else math.nan
            erlang["patience_mean_s"] = float(scenario.patience_dist().mean)
        lang_reps = None
        if "language" in levels:  # for paired comparisons per language (marginal --group)
            lang_reps = {lang: {k: levels["language"][k][:, li] for k in ("service_level", "answer_rate", "asa_s")}
                         for li, lang in enumerate(model.languages)}
        return cls(scenario, seed, len(results), summary, targets, iv, tod, days, types, per_rep, erlang, languages,
                   groups_table, group_intervals, lang_reps)

    # ------------------------------------------------------------------ views
    def kpi(self, name: str) -> float:
        """The window mean of one KPI."""
        return float(self.summary.set_index("kpi").loc[name, "mean"])

    def to_json(self) -> dict[str, Any]:
        """One JSON-ready document with the same numbers as the tables."""
        kpis = {
            r.kpi: {"mean": json_value(r.mean), "ci_low": json_value(r.ci_low), "ci_high": json_value(r.ci_high), "unit": r.unit}
            for r in self.summary.itertuples()
        }
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "replications": self.replications,
            "version": __version__,
            "kpis": kpis,
            "targets": json_records(self.targets),
            "erlang_c": {k: (json_value(v) if isinstance(v, float) else v) for k, v in self.erlang.items()},
            "intervals": json_records(self.intervals),
            "days": json_records(self.days),
            "call_types": json_records(self.call_types),
            **({"languages": json_records(self.languages)} if self.languages is not None else {}),
            **({"groups": json_records(self.groups)} if self.groups is not None else {}),
            **({"group_intervals": json_records(self.group_intervals)} if self.group_intervals is not None else {}),
        }


DIFFERS_LEVEL = 0.05  # false-alarm rate of ``erlang_c_differs`` per interval when Erlang C holds
DIFFERS_MIN_REPLICATIONS = 3  # fewer replications: no interval is tested (the flag is False)


def _erlang_c_slope(agents: np.ndarray, offered: np.ndarray, aht_s: float, interval_s: float, threshold_s: float):
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


def _differs_test(
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
    e, slope = _erlang_c_slope(agents, mean_off, aht_s, interval_s, threshold_s)

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


def _differs(
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
    simulated service level, on :func:`_differs_test`'s difference and standard error.

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
    diff, se = _differs_test(offered, within, agents, aht_s, interval_s, threshold_s, groups, n_groups)
    if reps < DIFFERS_MIN_REPLICATIONS:
        return np.zeros(len(diff), dtype=bool)
    from scipy.special import stdtrit

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


def _alike_keys(tl, m: np.ndarray) -> list:
    """Per measured interval, what makes intervals alike for :func:`_differs`: its agents and
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


def _weighted(iv: pd.DataFrame, groups: np.ndarray, n: int, column: str = "erlang_c_service_level") -> np.ndarray:
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
        from ska_sim.scenario.timeline import build_timeline

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
