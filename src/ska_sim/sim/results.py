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
  duty), ``busy_hours``, ``offered`` (inbound calls offered to it: those it answered, and those
  no agent answered, counted for the group first in their order), ``offered_service_level``
  (answered by it within T / offered to it), ``offered_aht_s`` (their mean handle time at the
  scenario's means); ``group_intervals``: the same per measured interval and group, with
  ``date``, ``weekday``, ``time``, ``agents``, and when groups are compared one by one
  ``aht_s``, ``load_erlang``, ``erlang_c_service_level``, ``erlang_c_differs`` per group
- ``written`` (with ``[[written]]``): ``kind`` (each, then ``all``), the written KPIs over the
  window; ``written_days``: ``kind``, ``date``, items received, done and the backlog at the day's
  end per kind and measured day
- with ``[[groups]]`` the intervals table's Erlang columns are of the groups that take inbound
  calls (``erlang_agents``: their agents), pooled or per group (erlang_check.group_cross_check)
- with phone lines, ``blocked`` (busy tone); with identity failures or promised written answers, ``written_requests``;
  with transfers ``transfers``, ``transfer_abandoned``, ``transfer_wait_s``; with callbacks
  ``callbacks_promised``, ``callbacks_made``, ``callbacks_late``, ``callback_hours``; with
  virtual hold ``virtual_hold_accepted``, ``served_incl_callbacks``; with ``[message]``
  ``messages``, ``message_share``; with ``[redial] same_caller`` ``callers``,
  ``caller_service_level``, ``caller_answer_rate``, ``caller_wait_s``, ``attempts_per_caller``:
  as KPIs in every table
- ``summary``: ``kpi``, ``unit``, ``mean``, ``ci_low``, ``ci_high`` over the measured window
- ``targets``: ``kpi``, ``target``, ``mean``, ``ci_low``, ``ci_high``, ``status``
  (PASS/FAIL/UNCERTAIN), ``reading`` (for a benchmark band such as FCR 70-75%: "below
  benchmark", "within benchmark" or "above benchmark", which is better than the benchmark and
  a PASS), ``days_met_share`` (share of simulated days, all replications, on which the day as
  a whole met the target), ``replications_met_share`` (share of replications whose whole
  window met it: the chance of meeting the target over the window, e.g. this week)
- ``per_replication``: ``replication`` and the window KPIs of each replication

The Erlang C cross-check's columns and figures come from :mod:`ska_sim.sim.erlang_check`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ska_sim.base.jsonable import json_records, json_value
from ska_sim.base.version import __version__
from ska_sim.scenario.clock import WEEKDAYS, format_clock
from ska_sim.scenario.forecast import forecast_note
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.periods import interval_handle_s
from ska_sim.sim.engine import Model
from ska_sim.sim.erlang_check import (
    alike_keys,
    basis_of,
    erlang_columns,
    group_cross_check,
    time_of_day_columns,
    window_figures,
)
from ska_sim.sim.per_replication import per_replication_table
from ska_sim.sim.kpi import EXTRA_KPI_UNITS, GROUP_KPI_UNITS, KPI_NAMES, KPI_UNITS, summarise
from ska_sim.sim.replication import Groups, stack
from ska_sim.sim.targets import targets_of
from ska_sim.sim.thresholds import group_mixes, line_mix
from ska_sim.sim.written_kpis import WRITTEN_DAY_KPIS, WRITTEN_KPI_NAMES, WRITTEN_KPI_UNITS


def _unit(name: str) -> str:
    return KPI_UNITS.get(name) or EXTRA_KPI_UNITS.get(name) or WRITTEN_KPI_UNITS.get(name) or GROUP_KPI_UNITS[name]


def extra_kpis(s: Scenario) -> tuple[str, ...]:
    """KPIs of the mechanisms the scenario uses (lines, identity failures, transfers, callbacks, virtual
    hold, messages, the same caller over attempts); a scenario without them keeps the tables' base columns."""
    out = []
    if s.lines is not None:
        out.append("blocked")
    if any(ct.identity_check is not None and ct.identity_check.fails > 0 for ct in s.call_types) \
            or s.uses_written_answers():
        out.append("written_requests")
    if s.uses_transfers():
        out += ["transfers", "transfer_abandoned", "transfer_wait_s"]
    if s.uses_callbacks():
        out += ["callbacks_promised", "callbacks_made", "callbacks_late", "callback_hours"]
        vh = s.callbacks.virtual_hold
        if vh is not None and vh.accept > 0:
            out += ["virtual_hold_accepted", "served_incl_callbacks"]
    if s.message is not None:
        out += ["messages", "message_share"]
    if s.redial.same_caller:
        out += ["callers", "caller_service_level", "caller_answer_rate", "caller_wait_s", "attempts_per_caller"]
    return tuple(out)


def _clip(name: str, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every KPI is >= 0 and a share <= 1: its interval is clipped to those bounds."""
    top = 1.0 if _unit(name) == "share" else np.inf
    return np.clip(lo, 0.0, top), np.clip(hi, 0.0, top)


def kpi_columns(level: dict[str, np.ndarray], names=KPI_NAMES) -> dict[str, np.ndarray]:
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
    times_of_day: pd.DataFrame | None  # None in a result built for the planning page (build's ``page``)
    days: pd.DataFrame
    call_types: pd.DataFrame
    per_replication: pd.DataFrame
    erlang: dict[str, Any] = field(default_factory=dict)
    languages: pd.DataFrame | None = None  # KPIs per language (scenarios with [languages])
    groups: pd.DataFrame | None = None  # per agent group (scenarios with [[groups]])
    group_intervals: pd.DataFrame | None = None  # per measured interval and agent group
    language_per_replication: dict | None = None  # language -> KPI -> per-replication window values
    timeline: Any = None  # the model's timeline (intervals, dates, agents), for figures derived from the plan
    per_replication_calls: pd.DataFrame | None = None  # every count and time per replication x type x group
    written: pd.DataFrame | None = None  # [[written]]: per kind and every kind ("all"), WRITTEN_KPI_NAMES
    written_days: pd.DataFrame | None = None  # [[written]]: per kind and measured day, WRITTEN_DAY_KPIS

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, scenario: Scenario, model: Model, groups: Groups, results: list, seed: int,
              page: bool = False) -> SimulationResult:
        """The tables of ``results`` (each replication's KPIs per level, in replication order).

        ``page``: only what the planning page draws (web/documents.py), for each stage of an
        edit: ``times_of_day``, ``languages``, ``language_per_replication``,
        ``per_replication_calls`` and ``written_days`` are left out (None); every table built
        is the same as in the whole result."""
        levels: dict[str, dict[str, np.ndarray]] = {}
        for level, name, arr in stack(results):
            levels.setdefault(level, {})[name] = arr
        tl = model.timeline
        m = tl.iv_measured()
        names = KPI_NAMES + extra_kpis(scenario)
        iv = interval_table(tl, m, levels, names)
        types = pd.DataFrame({"call_type": [ct.name for ct in scenario.call_types], **kpi_columns(levels["call_type"], names)})
        aht = mean_aht(scenario, types["offered"].to_numpy())
        iv_aht = interval_aht(scenario, tl, m, types["offered"].to_numpy())  # None: talk not by period
        if iv_aht is not None and iv["offered"].sum() > 0:
            aht = float((iv["offered"].to_numpy() * iv_aht).sum() / iv["offered"].sum())
        keys = alike_keys(tl, m)
        patience_s = scenario.mean_patience_s()
        threshold = line_mix(scenario, types["offered"].to_numpy())  # per-type thresholds: their mix
        groups_table, group_intervals = group_tables(model, levels, iv, tl, m)
        basis = basis_of(scenario, model.routing)
        if basis is None:
            if iv_aht is None and tl.iv_type_mix is not None:  # call types with their own profiles
                iv_aht = type_mix_aht(scenario, model.shares, tl.iv_type_mix[m], aht)
            check = erlang_columns(iv, levels, keys, aht if iv_aht is None else iv_aht, tl.interval_s, threshold,
                                   patience_s)
        else:  # agent groups: their inbound agents pooled, or each group on its own calls
            per_group = (group_mixes(scenario, model.routing, model.n_langs)
                         if scenario.targets.service_level.threshold_s_by_type else None)
            check, keys = group_cross_check(iv, group_intervals, levels, tl, m, basis, threshold, patience_s, per_group,
                                            by_interval=iv_aht is not None)
        tod = None
        if not page:
            tod = time_of_day_table(tl, groups, tl.iv_agents[m], levels, names)
            time_of_day_columns(tod, iv, check, keys, groups.time_of_day, len(groups.slots))
        # [[written]]: its KPIs in the day table, the summary and per replication, and per kind
        wnames = WRITTEN_KPI_NAMES if "written_kinds" in levels else ()
        days = day_table(tl, groups, tl.iv_agents[m], levels, names + wnames)
        types = types.drop(columns=[c for c in types.columns if c.startswith("occupancy")])
        summary = summary_table(levels["window"], names + wnames)
        targets = targets_table(scenario, model, levels, summary)
        per_rep = pd.DataFrame({"replication": np.arange(len(results)),
                                **{k: levels["window"][k][:, 0] for k in names + wnames}})
        written = written_days = None
        if wnames:
            kinds = [w.name for w in scenario.written] + ["all"]
            written = pd.DataFrame({"kind": kinds, **kpi_columns(levels["written_kinds"], wnames)})
        if wnames and not page:
            written_days = pd.DataFrame({"kind": np.repeat(kinds[:-1], len(days)),
                                         "date": np.tile(days["date"].to_numpy(), len(kinds) - 1),
                                         **kpi_columns(levels["written_kind_day"], tuple(WRITTEN_DAY_KPIS))})
        languages = None if page else language_table(model, levels, names)
        erlang = window_figures(iv, scenario, summary, aht, len(results), tl, check, basis, group_intervals, levels)
        lang_reps = calls = None
        if not page:
            calls = per_replication_table([ct.name for ct in scenario.call_types],
                                          model.routing.group_names if model.routing is not None and model.routing.named
                                          else (), levels["type_counts"], levels["type_group"])
        if "language" in levels and not page:  # for paired comparisons per language (marginal --group)
            lang_reps = {lang: {k: levels["language"][k][:, li] for k in ("service_level", "answer_rate", "asa_s")}
                         for li, lang in enumerate(model.languages)}
        return cls(scenario, seed, len(results), summary, targets, iv, tod, days, types, per_rep, erlang, languages,
                   groups_table, group_intervals, lang_reps, tl, calls, written, written_days)

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
            "erlang_c": {k: _json_nested(v) for k, v in self.erlang.items()},
            "intervals": json_records(self.intervals),
            "days": json_records(self.days),
            "call_types": json_records(self.call_types),
            **({"languages": json_records(self.languages)} if self.languages is not None else {}),
            **({"groups": json_records(self.groups)} if self.groups is not None else {}),
            **({"group_intervals": json_records(self.group_intervals)} if self.group_intervals is not None else {}),
            **({"written": json_records(self.written)} if self.written is not None else {}),
            **({"forecast": forecast_note(self.scenario)} if forecast_note(self.scenario) else {}),
        }


def _json_nested(v: Any) -> Any:
    """A figure of the cross-check made JSON-ready (floats, and the lists and dicts of the per-group figures)."""
    if isinstance(v, float):
        return json_value(v)
    if isinstance(v, dict):
        return {k: _json_nested(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_nested(x) for x in v]
    return v


# --------------------------------------------------------------------------- the tables, step by step
def interval_table(tl, m: np.ndarray, levels: dict, names: tuple[str, ...]) -> pd.DataFrame:
    dates = [tl.dates[d] for d in tl.iv_day[m]]
    return pd.DataFrame(
        {
            "date": [d.isoformat() for d in dates],
            "weekday": [WEEKDAYS[d.weekday()] for d in dates],
            "time": [format_clock(s * tl.interval_s) for s in tl.iv_slot[m]],
            "agents": tl.iv_agents[m],
            **kpi_columns(levels["interval"], names),
        }
    )


def mean_aht(scenario: Scenario, offered_by_type: np.ndarray) -> float:
    """Mean handle time of the calls offered, over the simulated call-type mix (seconds)."""
    type_aht = np.array([ct.mean_handle_s() for ct in scenario.call_types])
    if offered_by_type.sum() > 0:
        return float((offered_by_type * type_aht).sum() / offered_by_type.sum())
    return scenario.mean_handle_s()


def interval_aht(scenario: Scenario, tl, m: np.ndarray, offered_by_type: np.ndarray) -> np.ndarray | None:
    """Per measured interval, when talk depends on the period (scenario/periods.py): the mean
    handle time at the interval's talk factors of the interval's expected call-type mix (call
    types with their own profiles) or else of the simulated mix; None otherwise."""
    per = interval_handle_s(scenario, tl)
    if per is None:
        return None
    if tl.iv_type_mix is not None:
        return (per[m] * tl.iv_type_mix[m]).sum(axis=1)
    w = offered_by_type if offered_by_type.sum() > 0 else np.asarray(scenario.type_shares())
    return per[m] @ (w / w.sum())


def type_mix_aht(scenario: Scenario, shares: np.ndarray, mix: np.ndarray, aht: float) -> np.ndarray:
    """Mean handle time per interval where call types have their own profiles: the window's
    simulated ``aht`` x the interval's expected AHT (its call-type ``mix``, (intervals, types))
    / the AHT of the window's mix ``shares``; an interval with the window's mix keeps ``aht``."""
    type_aht = np.array([ct.mean_handle_s() for ct in scenario.call_types])
    ratio = (mix @ type_aht) / float(shares @ type_aht)
    return aht * np.where((mix == shares[None, :]).all(axis=1), 1.0, ratio)


def time_of_day_table(tl, groups: Groups, agents: np.ndarray, levels: dict, names: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": [format_clock(s * tl.interval_s) for s in groups.slots],
            "agents": np.bincount(groups.time_of_day, weights=agents, minlength=len(groups.slots))
            / np.bincount(groups.time_of_day, minlength=len(groups.slots)),
            **kpi_columns(levels["time_of_day"], names),
        }
    )


def day_table(tl, groups: Groups, agents: np.ndarray, levels: dict, names: tuple[str, ...]) -> pd.DataFrame:
    day_dates = [tl.dates[d] for d in groups.day_index]
    return pd.DataFrame(
        {
            "date": [d.isoformat() for d in day_dates],
            "weekday": [WEEKDAYS[d.weekday()] for d in day_dates],
            "agent_hours": np.bincount(groups.day, weights=agents, minlength=groups.n_days) * tl.interval_s / 3600,
            **kpi_columns(levels["day"], names),
        }
    )


def summary_table(window: dict[str, np.ndarray], names: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for name in names:
        mean, lo, hi = summarise(window[name])
        lo, hi = _clip(name, lo, hi)
        rows.append({"kpi": name, "unit": _unit(name), "mean": mean[0], "ci_low": lo[0], "ci_high": hi[0]})
    return pd.DataFrame(rows)


def targets_table(scenario: Scenario, model: Model, levels: dict, summary: pd.DataFrame) -> pd.DataFrame:
    """Each target's verdict over the window, and how often days and replications met it."""
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
            if t.kpi in WRITTEN_KPI_UNITS:  # written work on time: judged on the days some item fell due
                day_values = day_values[~np.isnan(day_values)]
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
    return pd.DataFrame(trows)


def language_table(model: Model, levels: dict, names: tuple[str, ...]) -> pd.DataFrame | None:
    """KPIs per language, as per call type (no occupancy); None without [languages]."""
    if "language" not in levels:
        return None
    languages = pd.DataFrame({"language": list(model.languages), **kpi_columns(levels["language"], names)})
    return languages.drop(columns=[c for c in languages.columns if c.startswith("occupancy")])


def group_tables(model: Model, levels: dict, iv: pd.DataFrame, tl, m: np.ndarray):
    """Per agent group (the calls it answered, its hours and occupancy), and the same per
    measured interval and group; (None, None) without [[groups]]."""
    if "group" not in levels:
        return None, None
    gnames = list(model.routing.group_names)
    groups_table = pd.DataFrame({"group": gnames, **kpi_columns(levels["group"], tuple(GROUP_KPI_UNITS))})
    n_g = len(gnames)
    gi = kpi_columns(levels["group_interval"], tuple(GROUP_KPI_UNITS))
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
    return groups_table, group_intervals
