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
import datetime as dt
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.jsonable import json_records
from ska_sim.calibration.calllog import LogError, agents_per_interval, local_slots
from ska_sim.calibration.spans import GAP_DAYS, date_stretches, describe
from ska_sim.scenario.calendar import WorkingCalendar
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


def actual_counts(log, interval_min: int, threshold_s: float, threshold_by_type: dict | None = None) -> pd.DataFrame:
    """Per (local date, slot) of arrival: the counts kpi.kpis needs, from the log (inbound calls).
    ``threshold_by_type``: a call type's own threshold (by the log's call_type), else ``threshold_s``."""
    f = log.frame
    if "kind" in f:
        f = f[(f["kind"] != "callback").fillna(True).to_numpy(bool)]
    day, slot = local_slots(f["arrival"], interval_min)
    wait = (f["answer"] - f["arrival"]).dt.total_seconds().to_numpy(float)
    if threshold_by_type and "call_type" in f:
        threshold_s = np.array([threshold_by_type.get(n, threshold_s) for n in f["call_type"].astype(str)], dtype=float)
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
    stretches: list[tuple] = field(default_factory=list)  # (first, last) date of each stretch simulated

    def to_json(self) -> dict:
        return {"log": self.log_source, "replications": self.replications, "seed": self.seed,
                "staffing": self.staffing_source, "expected_inside": expected_coverage(self.replications),
                "stretches": [[str(a), str(b)] for a, b in self.stretches],
                "notes": self.notes, "summary": json_records(self.summary)}


def backtest_scenario(data: dict, log, staffing_file: str | None = None, source: str = "<scenario>",
                      overrides: tuple[str, ...] = (), window: tuple | None = None):
    """The scenario (raw dict, as read from TOML) set to the log's days (``window``: (first, last)
    date, default the log's whole span) and staffing: (Scenario, the staffing source in words, notes)."""
    local = log.frame["arrival"].dt.tz_localize(None)
    first, last = window or (local.min().date(), local.max().date())
    s = _load_window(_windowed(data, first, last), source, overrides, first, last, log)
    agents = agents_per_interval(log, s.calendar.interval_min, staffing_file)
    s, staffing, filled, measured = _staffed(data, s, agents, source, overrides, first, last)
    _check_staffing_file(staffing_file, filled, measured, first, last)
    return s, staffing, ([f"{filled} intervals without staffing in the log keep the scenario's agents"] if filled else [])


def _check_staffing_file(staffing_file, filled: int, measured: int, first, last) -> None:
    if staffing_file is not None and measured and filled == measured:
        raise LogError([f"--staffing {Path(staffing_file).name}: no row falls on an open interval of the log's days "
                        f"({first} to {last}): nothing to simulate with it"])


def _windowed(data: dict, first, last) -> dict:
    d = copy.deepcopy(data)
    d.setdefault("calendar", {})
    d["calendar"]["start"] = first.isoformat()
    d["calendar"]["days"] = (last - first).days + 1
    return d


def _load_window(d: dict, source: str, overrides, first, last, log):
    try:
        return scenario_from_dict(d, source=source, overrides=overrides)
    except ScenarioError as exc:  # the window is the log's, not the file's calendar: say so
        raise ScenarioError([Problem(p.source, p.path, f"{p.message} (the measured window is the log's days, "
                                     f"{first} to {last} from {log.source}: calendar.start and calendar.days "
                                     "are set from the log)") if p.path.startswith("calendar") else p
                             for p in exc.problems]) from None


def _with_log_agents(d: dict, s, agents: pd.DataFrame, source: str, overrides):
    """The scenario with the log's agents per measured interval (an interval the log says nothing
    about keeps the scenario's): (Scenario, intervals kept, measured intervals)."""
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
    d = copy.deepcopy(d)
    d.setdefault("staffing", {})
    d["staffing"]["scale"] = 1.0  # the log's agents as they are (the scenario's defaults above are already scaled)
    d["staffing"]["dates"] = {**d["staffing"].get("dates", {}), **dates}
    return scenario_from_dict(d, source=source, overrides=overrides), filled, int(m.sum())


@dataclass
class _Simulated:
    """The simulated stretches joined: measured intervals (date, slot), simulated days, and per
    replication the interval and day KPIs in that order."""

    iv: pd.DataFrame
    days: list
    results: list[dict[str, dict[str, np.ndarray]]]


def _simulate_stretches(data: dict, log, bounds, reps: int, seed: int, staffing_file, source: str, overrides,
                        executor, notes: list[str]):
    """Each stretch simulated on its own (its calendar = the stretch, the scenario's warm-up before it;
    stretch k with root seed ``seed + k``), then joined. Returns (first stretch's Scenario, staffing
    source, _Simulated)."""
    first_s, staffing, agents, parts = None, "", None, []
    filled_all = measured_all = 0
    for k, (first, last) in enumerate(bounds):
        s = _load_window(_windowed(data, first, last), source, overrides, first, last, log)
        if first_s is None:
            agents = agents_per_interval(log, s.calendar.interval_min, staffing_file)
        s, staffing, filled, measured = _staffed(data, s, agents, source, overrides, first, last)
        filled_all, measured_all = filled_all + filled, measured_all + measured
        first_s = first_s or s
        model = Model.from_scenario(s)
        results = run_replications(model, reps, seed + k, executor=executor)
        tl = model.timeline
        m = tl.iv_measured()
        iv = pd.DataFrame({"date": [tl.dates[d] for d in tl.iv_day[m]], "slot": tl.iv_slot[m]})
        parts.append((iv, [tl.dates[d] for d in Groups.of(model).day_index], results))
    _check_staffing_file(staffing_file, filled_all, measured_all, bounds[0][0], bounds[-1][1])
    if filled_all:
        notes.append(f"{filled_all} intervals without staffing in the log keep the scenario's agents")
    joined = [{lvl: {k: np.concatenate([p[2][r][lvl][k] for p in parts]) for k in parts[0][2][r][lvl]}
               for lvl in ("interval", "day")} for r in range(reps)]
    sim = _Simulated(pd.concat([p[0] for p in parts], ignore_index=True), [d for p in parts for d in p[1]], joined)
    return first_s, staffing, sim


def _staffed(data, s, agents, source, overrides, first, last):
    """The window's scenario with the log's (or the staffing file's) agents ``agents``: (Scenario,
    staffing source in words, intervals that keep the scenario's agents, measured intervals)."""
    if agents is None:
        return s, "the scenario's own staffing (the log has no agent ids and no staffing file was given)", 0, 0
    if s.groups:
        return s, ("the scenario's own staffing (it has agent groups; the log's agents are not split by group: "
                   f"{agents.attrs['source']} not used)"), 0, 0
    s, filled, measured = _with_log_agents(_windowed(data, first, last), s, agents, source, overrides)
    return s, agents.attrs["source"], filled, measured


def _open_stretches(data: dict, log, source: str, overrides, notes: list[str]):
    """The log's stretches (spans.py) with an open day in the scenario, and the scenario over the
    log's whole span (refused, as one window, when no day of it is open). A stretch without an
    open day is not simulated, and a note says so (its calls fall outside the opening hours)."""
    local = log.frame["arrival"].dt.tz_localize(None)
    bounds = date_stretches(sorted(set(local.dt.date.dropna())))
    first, last = bounds[0][0], bounds[-1][1]
    s_all = _load_window(_windowed(data, first, last), source, overrides, first, last, log)
    wc = WorkingCalendar(s_all)
    is_open = [any(wc.is_open(a + dt.timedelta(days=i)) for i in range((b - a).days + 1)) for a, b in bounds]
    closed = [ab for ab, o in zip(bounds, is_open) if not o]
    if closed:
        notes.append(f"{len(closed)} stretch{'es' if len(closed) != 1 else ''} of the log with no open day in the "
                     f"scenario, not simulated: {describe(closed)}")
    return [ab for ab, o in zip(bounds, is_open) if o], s_all


def backtest(data: dict, log, replications: int | None = None, seed: int | None = None,
             staffing_file: str | None = None, source: str = "<scenario>", overrides: tuple[str, ...] = (),
             executor=None) -> BacktestResult:
    """The scenario over the stretches of days the log covers (spans.py: a gap of more than
    GAP_DAYS days without calls is not simulated), R replications each, compared with the log per
    interval and per day."""
    notes: list[str] = []
    bounds, s_all = _open_stretches(data, log, source, overrides, notes)
    reps = replications or s_all.simulation.replications
    seed = s_all.simulation.seed if seed is None else seed
    s, staffing, simulated = _simulate_stretches(data, log, bounds, reps, seed, staffing_file, source, overrides,
                                                 executor, notes)
    if len(bounds) > 1:
        span = (bounds[-1][1] - bounds[0][0]).days + 1
        n_sim = sum((b - a).days + 1 for a, b in bounds)
        notes.append(f"the log covers {len(bounds)} stretches with gaps of more than {GAP_DAYS} days between them: "
                     f"simulated {n_sim:,} of the {span:,} days from {bounds[0][0]} to {bounds[-1][1]}, each stretch "
                     f"with its own warm-up (stretch k with seed {seed} + k): {describe(bounds)}")
    results = simulated.results
    sl = s.targets.service_level
    act = actual_counts(log, s.calendar.interval_min, sl.threshold_s, sl.threshold_s_by_type)
    merged, partial_days = _compared(simulated.iv, act, s.calendar.interval_min, notes)
    iv_act = _kpis_of(merged)
    # per day: the same counts summed over the day's compared intervals
    day_counts = merged.drop(columns=["index", "slot"]).groupby("date", sort=True).sum().reset_index()
    day_act = _kpis_of(day_counts)
    sim = {lvl: {k: np.stack([r[lvl][k] for r in results]) for k in KPIS} for lvl in ("interval", "day")}
    sim_day = _simulated_days(simulated.days, results, sim["day"], day_counts, merged, partial_days)
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
    return BacktestResult(intervals, days, summary, reps, seed, staffing, s, log.source, notes, bounds)


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


def _simulated_days(sim_days: list, results, sim_days_kpis: dict, day_counts: pd.DataFrame, merged: pd.DataFrame,
                    partial_days: list) -> dict[str, np.ndarray]:
    """Per replication, the KPIs of each compared day (``sim_days``: the simulated days in the order
    of the day KPIs); a day the log covers only in part is taken over the covered intervals only."""
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
