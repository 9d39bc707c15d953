"""Backtest: a scenario against the days a call log lived through.

The scenario is simulated over the log's span (calendar.start = the log's first local date,
calendar.days = its span; the scenario's warm-up days before), with the log's own staffing
where the log gives it (a staffing file, else distinct agent ids per interval, which
undercount: calllog.agents_per_interval), else the scenario's own, and the report says which.
Per interval and per day, the log's service level, answer rate and ASA (DOMAIN.md
definitions, through kpi.kpis) are compared with the simulation's R replications:

- the band is the 2.5-97.5% quantiles of the per-replication values (a prediction band for
  one day's value, not the CI of the mean); an interval is *inside* when the actual value
  lies in it. With R replications and interpolated quantiles the share inside expected when
  the scenario is right is about 0.95 (R-1)/(R+1) (for min-max it is (R-1)/(R+1)); ties of
  discrete values (few calls in an interval) push it up;
- bias = mean(actual - simulated mean), MAE = mean |actual - simulated mean|, over the
  intervals (days) where both are defined.

Inbound calls only: rows whose kind is "callback" (placed by agents) are left out. The tables,
the plot and the output folder are drawn by report/backtest.py.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.jsonable import json_records
from ska_sim.calibration.calllog import LogError, agents_per_interval, local_slots
from ska_sim.scenario.clock import format_clock
from ska_sim.scenario.load import scenario_from_dict
from ska_sim.scenario.timeline import build_timeline
from ska_sim.sim.engine import Model
from ska_sim.sim.kpi import COUNT_FIELDS, kpis
from ska_sim.sim.replication import Groups
from ska_sim.sim.runner import run_replications

KPIS = ("service_level", "answer_rate", "asa_s")
BAND = (0.025, 0.975)


def expected_coverage(replications: int, band: tuple[float, float] = BAND) -> float:
    """Share of exchangeable new values inside the interpolated quantile band of R values:
    the band spans order-statistic positions 1 + q (R-1), and a new value falls between two
    order statistics i < j with probability (j - i) / (R + 1)."""
    r = replications
    return (band[1] - band[0]) * (r - 1) / (r + 1)


def actual_counts(log, interval_min: int, threshold_s: float) -> pd.DataFrame:
    """Per (local date, slot) of arrival: the counts kpi.kpis needs, from the log (inbound calls)."""
    f = log.frame
    if "kind" in f:
        f = f[(f["kind"] != "callback").fillna(True).to_numpy(bool)]
    day, slot = local_slots(f["arrival"], interval_min)
    wait = (f["answer"] - f["arrival"]).dt.total_seconds().to_numpy(float)
    answered = ~np.isnan(wait)
    abandoned = f["abandon"].notna().to_numpy(bool) & ~answered
    df = pd.DataFrame({"date": day, "slot": slot, "offered": 1.0, "answered": answered.astype(float),
                       "answered_within_t": (answered & (wait <= threshold_s)).astype(float),
                       "wait_sum_s": np.where(answered, wait, 0.0), "abandoned": abandoned.astype(float)})
    out = df.groupby(["date", "slot"], sort=True).sum().reset_index()
    out["date"] = pd.to_datetime(out["date"]).dt.date
    return out


def _kpis_of(counts: pd.DataFrame) -> dict[str, np.ndarray]:
    n = len(counts)
    c = {k: np.zeros(n) for k in COUNT_FIELDS}
    for k in ("offered", "answered", "answered_within_t", "wait_sum_s", "abandoned"):
        c[k] = counts[k].to_numpy(float)
    nan = np.full(n, np.nan)
    return kpis(c, np.full((n, 3), np.nan), nan, nan)


@dataclass
class BacktestResult:
    intervals: pd.DataFrame  # date, interval_start, per KPI: actual, sim_mean, band_low, band_high, inside
    days: pd.DataFrame
    summary: pd.DataFrame  # level, kpi, compared, inside_share, expected_inside, bias, mae
    replications: int
    seed: int
    staffing_source: str
    scenario: object
    log_source: str
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"log": self.log_source, "replications": self.replications, "seed": self.seed,
                "staffing": self.staffing_source, "expected_inside": expected_coverage(self.replications),
                "notes": self.notes, "summary": json_records(self.summary)}


def backtest_scenario(data: dict, log, staffing_file: str | None = None, source: str = "<scenario>",
                      overrides: tuple[str, ...] = ()):
    """The scenario (raw dict, as read from TOML) set to the log's days and staffing:
    (Scenario, the staffing source in words, notes)."""
    d = copy.deepcopy(data)
    local = log.frame["arrival"].dt.tz_localize(None)
    first, last = local.min().date(), local.max().date()
    d.setdefault("calendar", {})
    d["calendar"]["start"] = first.isoformat()
    d["calendar"]["days"] = (last - first).days + 1
    try:
        s = scenario_from_dict(d, source=source, overrides=overrides)
    except ScenarioError as exc:  # the window is the log's, not the file's calendar: say so
        raise ScenarioError([Problem(p.source, p.path, f"{p.message} (the measured window is the log's days, "
                                     f"{first} to {last} from {log.source}: calendar.start and calendar.days "
                                     "are set from the log)") if p.path.startswith("calendar") else p
                             for p in exc.problems]) from None
    notes: list[str] = []
    agents = agents_per_interval(log, s.calendar.interval_min, staffing_file)
    if agents is None:
        return s, "the scenario's own staffing (the log has no agent ids and no staffing file was given)", notes
    if s.groups:
        return s, ("the scenario's own staffing (it has agent groups; the log's agents are not split by group: "
                   f"{agents.attrs['source']} not used)"), notes
    tl = build_timeline(s)
    m = tl.iv_measured()
    key = {(a, b): v for a, b, v in zip(agents["date"], agents["slot"], agents["agents"])}
    dates: dict[str, list[int]] = {}
    filled = 0
    for iv in np.flatnonzero(m):
        date = tl.dates[tl.iv_day[iv]]
        v = key.get((date, int(tl.iv_slot[iv])))
        if v is None:
            filled += 1
            v = tl.iv_agents[iv]  # an interval the log says nothing about keeps the scenario's
        dates.setdefault(date.isoformat(), []).append(int(round(float(v))))
    d.setdefault("staffing", {})
    d["staffing"]["scale"] = 1.0  # the log's agents as they are (the scenario's defaults above are already scaled)
    d["staffing"]["dates"] = {**d["staffing"].get("dates", {}), **dates}
    s = scenario_from_dict(d, source=source, overrides=overrides)
    if staffing_file is not None and filled == int(m.sum()):
        raise LogError([f"--staffing {Path(staffing_file).name}: no row falls on an open interval of the log's days "
                        f"({first} to {last}): nothing to simulate with it"])
    if filled:
        notes.append(f"{filled} intervals without staffing in the log keep the scenario's agents")
    return s, agents.attrs["source"], notes


def backtest(data: dict, log, replications: int | None = None, seed: int | None = None,
             staffing_file: str | None = None, source: str = "<scenario>", overrides: tuple[str, ...] = (),
             executor=None) -> BacktestResult:
    """The scenario over the log's days, R replications, compared with the log per interval and per day."""
    s, staffing, notes = backtest_scenario(data, log, staffing_file, source, overrides)
    reps = replications or s.simulation.replications
    seed = s.simulation.seed if seed is None else seed
    model = Model.from_scenario(s)
    results = run_replications(model, reps, seed, executor=executor)
    tl = model.timeline
    m = tl.iv_measured()
    sim_iv = pd.DataFrame({"date": [tl.dates[d] for d in tl.iv_day[m]], "slot": tl.iv_slot[m]})
    act = actual_counts(log, s.calendar.interval_min, s.targets.service_level.threshold_s)
    merged, partial_days = _compared(sim_iv, act, s.calendar.interval_min, notes)
    iv_act = _kpis_of(merged)
    # per day: the same counts summed over the day's compared intervals
    day_counts = merged.drop(columns=["index", "slot"]).groupby("date", sort=True).sum().reset_index()
    day_act = _kpis_of(day_counts)
    sim = {lvl: {k: np.stack([r[lvl][k] for r in results]) for k in KPIS} for lvl in ("interval", "day")}
    sim_day = _simulated_days(model, results, sim["day"], day_counts, merged, partial_days)
    keys_iv = merged[["date", "slot"]].copy()
    mins = keys_iv["slot"] * s.calendar.interval_min
    keys_iv.insert(1, "interval_start", [f"{h:02d}:{x:02d}" for h, x in zip(mins // 60, mins % 60)])
    keys_iv["offered_actual"] = merged["offered"].to_numpy()
    intervals, iv_rows = _table(keys_iv.drop(columns=["slot"]), iv_act,
                                {k: v[:, merged["index"].to_numpy()] for k, v in sim["interval"].items()}, reps)
    keys_day = day_counts[["date"]].copy()
    keys_day["offered_actual"] = day_counts["offered"].to_numpy()
    days, day_rows = _table(keys_day, day_act, sim_day, reps)
    summary = pd.DataFrame([{"level": "interval", **r} for r in iv_rows] + [{"level": "day", **r} for r in day_rows])
    return BacktestResult(intervals, days, summary, reps, seed, staffing, s, log.source, notes)


def _compared(sim_iv: pd.DataFrame, act: pd.DataFrame, interval_min: int, notes: list[str]):
    """The simulated intervals with the log's counts beside them (column ``index``: the interval's
    position among the simulated ones), only from the log's first arrival to its last: a log that
    starts or ends within a day says nothing about the rest of that day. Returns (merged, the days
    only partly covered); ``notes`` says what is not compared."""
    merged = sim_iv.reset_index().merge(act, on=["date", "slot"], how="left")
    first_key = (act["date"].iloc[0], int(act["slot"].iloc[0])) if len(act) else None
    last_key = (act["date"].iloc[-1], int(act["slot"].iloc[-1])) if len(act) else None
    keys = list(zip(merged["date"], merged["slot"].astype(int)))
    covered = np.array([first_key <= k <= last_key for k in keys], bool) if len(act) else np.ones(len(keys), bool)
    partial_days = sorted(set(merged.loc[~covered, "date"]) & set(merged.loc[covered, "date"]))
    n_uncovered = int((~covered).sum())
    merged = merged[covered].reset_index(drop=True)
    if n_uncovered:
        notes.append(f"the log covers {first_key[0]} {format_clock(first_key[1] * interval_min * 60)} to "
                     f"{last_key[0]} {format_clock((last_key[1] + 1) * interval_min * 60)}: "
                     f"{n_uncovered} simulated intervals outside that are not compared"
                     + (f", and the day level of {', '.join(map(str, partial_days))} compares only the intervals "
                        "the log covers" if partial_days else ""))
    merged[["offered", "answered", "answered_within_t", "wait_sum_s", "abandoned"]] = merged[
        ["offered", "answered", "answered_within_t", "wait_sum_s", "abandoned"]].fillna(0.0)
    outside = act.merge(sim_iv, on=["date", "slot"], how="left", indicator=True)
    lost = int((outside["_merge"] == "left_only").sum())
    if lost:
        n_calls = int(outside.loc[outside["_merge"] == "left_only", "offered"].sum())
        notes.append(f"{lost} intervals of the log ({n_calls} calls) fall outside the scenario's opening hours: "
                     "not compared")
    return merged, partial_days


def _simulated_days(model, results, sim_days_kpis: dict, day_counts: pd.DataFrame, merged: pd.DataFrame,
                    partial_days: list) -> dict[str, np.ndarray]:
    """Per replication, the KPIs of each compared day; a day the log covers only in part is taken
    over the covered intervals only."""
    tl = model.timeline
    g = Groups.of(model)
    sim_days = [tl.dates[d] for d in g.day_index]
    day_pos = pd.Series(range(len(sim_days)), index=sim_days).reindex(day_counts["date"]).to_numpy()
    sim_day = {k: v[:, day_pos] for k, v in sim_days_kpis.items()}
    for j, date in enumerate(day_counts["date"]):
        if date in partial_days:  # the simulated day over the covered intervals only
            cols = merged["index"].to_numpy()[(merged["date"] == date).to_numpy()]
            iv = {k: np.stack([r["interval"][k][cols] for r in results]) for k in (*KPIS, "offered", "answered")}
            off, ans = iv["offered"].sum(axis=1), iv["answered"].sum(axis=1)
            within = np.nansum(iv["service_level"] * iv["offered"], axis=1)
            wait = np.nansum(iv["asa_s"] * iv["answered"], axis=1)
            with np.errstate(all="ignore"):
                sim_day["service_level"][:, j] = np.where(off > 0, within / off, np.nan)
                sim_day["answer_rate"][:, j] = np.where(off > 0, ans / off, np.nan)
                sim_day["asa_s"][:, j] = np.where(ans > 0, wait / ans, np.nan)
    return sim_day


def _table(keys: pd.DataFrame, actual: dict, simulated: dict, reps: int) -> tuple[pd.DataFrame, list[dict]]:
    """Per row of ``keys`` and KPI: actual, simulated mean, band, inside; and a summary row per KPI."""
    out = keys.copy()
    rows = []
    for k in KPIS:
        a = np.asarray(actual[k], float)
        v = simulated[k]
        with np.errstate(all="ignore"), _quiet():
            lo, hi = np.nanquantile(v, BAND[0], axis=0), np.nanquantile(v, BAND[1], axis=0)
            mean = np.nanmean(v, axis=0)
        ok = ~np.isnan(a) & ~np.isnan(lo) & ~np.isnan(hi)
        tol = 1e-3 if k == "asa_s" else 1e-9  # a log's times are to the millisecond
        inside = ok & (a >= lo - tol) & (a <= hi + tol)
        out[f"{k}_actual"], out[f"{k}_sim_mean"] = a, mean
        out[f"{k}_band_low"], out[f"{k}_band_high"] = lo, hi
        out[f"{k}_inside"] = np.where(ok, inside, np.nan)
        diff = (a - mean)[ok]
        rows.append({"kpi": k, "compared": int(ok.sum()),
                     "inside_share": float(inside.sum() / ok.sum()) if ok.any() else np.nan,
                     "expected_inside": expected_coverage(reps),
                     "bias": float(diff.mean()) if ok.any() else np.nan,
                     "mae": float(np.abs(diff).mean()) if ok.any() else np.nan})
    return out, rows


class _quiet:
    """Warnings of all-nan slices (intervals without calls in any replication) silenced."""

    def __enter__(self):
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)
