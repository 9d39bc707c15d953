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
- ``summary``: ``kpi``, ``unit``, ``mean``, ``ci_low``, ``ci_high`` over the measured window
- ``targets``: ``kpi``, ``target``, ``mean``, ``ci_low``, ``ci_high``, ``status``
  (PASS/FAIL/UNCERTAIN), ``days_met_share`` (share of simulated days, all replications,
  on which the day as a whole met the target)
- ``per_replication``: ``replication`` and the window KPIs of each replication
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .engine import Model
from .erlang import erlang_a_result, erlang_c_result
from .kpi import KPI_NAMES, KPI_UNITS, summarise, targets_of
from .runner import Groups, stack
from .scenario import WEEKDAYS, Scenario, _clock

def _clip(name: str, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every KPI is >= 0 and a share <= 1: its interval is clipped to those bounds."""
    top = 1.0 if KPI_UNITS[name] == "share" else np.inf
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

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, scenario: Scenario, model: Model, groups: Groups, results: list, seed: int) -> SimulationResult:
        levels: dict[str, dict[str, np.ndarray]] = {}
        for level, name, arr in stack(results):
            levels.setdefault(level, {})[name] = arr
        tl = model.timeline
        m = tl.iv_measured()
        dates = [tl.dates[d] for d in tl.iv_day[m]]
        agents = tl.iv_agents[m]
        iv = pd.DataFrame(
            {
                "date": [d.isoformat() for d in dates],
                "weekday": [WEEKDAYS[d.weekday()] for d in dates],
                "time": [_clock(s * tl.interval_s) for s in tl.iv_slot[m]],
                "agents": agents,
                **_kpi_columns(levels["interval"]),
            }
        )
        # Erlang C for each interval's simulated offered load and its agents
        types = pd.DataFrame({"call_type": [ct.name for ct in scenario.call_types], **_kpi_columns(levels["call_type"])})
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
        iv["erlang_c_differs"] = _differs(iv)
        patience = scenario.patience_dist()
        if patience is not None and patience.mean > 0:
            a = [
                erlang_a_result(int(ag), off / tl.interval_s, aht, patience.mean, threshold)
                for ag, off in zip(iv["agents"], iv["offered"])
            ]
            iv["erlang_a_service_level"] = [r.service_level for r in a]
            iv["erlang_a_abandon_rate"] = [r.abandon_rate for r in a]

        tod = pd.DataFrame(
            {
                "time": [_clock(s * tl.interval_s) for s in groups.slots],
                "agents": np.bincount(groups.time_of_day, weights=agents, minlength=len(groups.slots))
                / np.bincount(groups.time_of_day, minlength=len(groups.slots)),
                **_kpi_columns(levels["time_of_day"]),
            }
        )
        tod["erlang_c_service_level"] = _weighted(iv, groups.time_of_day, len(groups.slots))
        tod["erlang_c_differs"] = _differs(tod)
        if "erlang_a_service_level" in iv:
            tod["erlang_a_service_level"] = _weighted(iv, groups.time_of_day, len(groups.slots), "erlang_a_service_level")

        day_dates = [tl.dates[d] for d in groups.day_index]
        days = pd.DataFrame(
            {
                "date": [d.isoformat() for d in day_dates],
                "weekday": [WEEKDAYS[d.weekday()] for d in day_dates],
                "agent_hours": np.bincount(groups.day, weights=agents, minlength=groups.n_days) * tl.interval_s / 3600,
                **_kpi_columns(levels["day"]),
            }
        )
        types = types.drop(columns=[c for c in types.columns if c.startswith("occupancy")])

        w = levels["window"]
        rows = []
        for name in KPI_NAMES:
            mean, lo, hi = summarise(w[name])
            lo, hi = _clip(name, lo, hi)
            rows.append({"kpi": name, "unit": KPI_UNITS[name], "mean": mean[0], "ci_low": lo[0], "ci_high": hi[0]})
        summary = pd.DataFrame(rows)

        trows = []
        for t in targets_of(scenario):
            s = summary.set_index("kpi").loc[t.kpi]
            day_values = levels["day"][t.kpi]
            trows.append(
                {
                    "kpi": t.kpi,
                    "target": t.describe(),
                    "mean": s["mean"],
                    "ci_low": s["ci_low"],
                    "ci_high": s["ci_high"],
                    "status": t.status(s["mean"], s["ci_low"], s["ci_high"]),
                    "days_met_share": float(t.met(day_values).mean()) if day_values.size else math.nan,
                }
            )
        targets = pd.DataFrame(trows)
        per_rep = pd.DataFrame({"replication": np.arange(len(results)), **{k: w[k][:, 0] for k in KPI_NAMES}})

        offered = iv["offered"].to_numpy()
        sl_e = iv["erlang_c_service_level"].to_numpy()
        weights = np.where(np.isnan(sl_e), 0.0, sl_e)  # an unstable interval answers (almost) nothing in time
        erlang = {
            "aht_s": aht,
            "service_level": float((offered * weights).sum() / offered.sum()) if offered.sum() > 0 else math.nan,
            "unstable_intervals": int(np.isnan(sl_e).sum()),
            "differing_intervals": int(iv["erlang_c_differs"].sum()),
            "intervals": len(iv),
            "explanations": explain_differences(scenario, summary, aht),
        }
        if "erlang_a_service_level" in iv:
            w = offered.sum()
            erlang["erlang_a_service_level"] = float((offered * iv["erlang_a_service_level"]).sum() / w) if w else math.nan
            erlang["erlang_a_abandon_rate"] = float((offered * iv["erlang_a_abandon_rate"]).sum() / w) if w else math.nan
            erlang["patience_mean_s"] = float(scenario.patience_dist().mean)
        return cls(scenario, seed, len(results), summary, targets, iv, tod, days, types, per_rep, erlang)

    # ------------------------------------------------------------------ views
    def kpi(self, name: str) -> float:
        """The window mean of one KPI."""
        return float(self.summary.set_index("kpi").loc[name, "mean"])

    def to_json(self) -> dict[str, Any]:
        """One JSON-ready document with the same numbers as the tables."""
        kpis = {
            r.kpi: {"mean": _num(r.mean), "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high), "unit": r.unit}
            for r in self.summary.itertuples()
        }
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "replications": self.replications,
            "version": __version__,
            "kpis": kpis,
            "targets": _records(self.targets),
            "erlang_c": {k: (_num(v) if isinstance(v, float) else v) for k, v in self.erlang.items()},
            "intervals": _records(self.intervals),
            "days": _records(self.days),
            "call_types": _records(self.call_types),
        }


def _differs(df: pd.DataFrame) -> np.ndarray:
    e = df["erlang_c_service_level"].to_numpy()
    lo, hi = df["service_level_ci_low"].to_numpy(), df["service_level_ci_high"].to_numpy()
    e0 = np.where(np.isnan(e), 0.0, e)
    return ((e0 < lo) | (e0 > hi)) & ~np.isnan(lo)


def _weighted(iv: pd.DataFrame, groups: np.ndarray, n: int, column: str = "erlang_c_service_level") -> np.ndarray:
    off = iv["offered"].to_numpy()
    e = np.nan_to_num(iv[column].to_numpy(), nan=0.0)
    num = np.bincount(groups, weights=off * e, minlength=n)
    den = np.bincount(groups, weights=off, minlength=n)
    return np.divide(num, den, out=np.full(n, np.nan), where=den > 0)


def explain_differences(s: Scenario, summary: pd.DataFrame, aht_s: float) -> list[str]:
    """Which mechanisms of the scenario Erlang C leaves out, most important first."""
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
    out.append("arrival rates change every interval and queues carry over; Erlang C treats each interval as steady")
    if s.arrivals.day_cv > 0:
        out.append(f"daily volume varies beyond Poisson (cv {s.arrivals.day_cv:g}); Erlang C sees only the mean load")
    if s.redial.probability > 0 or s.repeat.probability > 0:
        out.append("redials and repeat calls are in the offered load, but they cluster after busy periods")
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


def _num(x: Any) -> Any:
    if isinstance(x, (float, np.floating)):
        return None if math.isnan(x) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _num(v) for k, v in row.items()} for row in df.to_dict(orient="records")]
