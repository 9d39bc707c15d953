"""A forecast of first calls per call type and date (``model.py`` per type), its table
(``forecast.csv``), its calendar effects and the scenario fragment that points a scenario at it."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.forecast.effects import Calendar, UserEvent, build_calendar
from ska_sim.forecast.history import History
from ska_sim.forecast.model import TypeForecast, fit_type

MAX_HORIZON_DAYS = 730
COLUMNS = ["date", "call_type", "calls_mean", "calls_low_80", "calls_high_80", "calls_low_95", "calls_high_95",
           "closed", "effects"]


@dataclass
class Forecast:
    history: History
    dates: list[dt.date]
    types: list[TypeForecast]
    calendar: Calendar  # the history's dates and the horizon's
    events: list[UserEvent]
    notes: list[str] = field(default_factory=list)
    profile: pd.DataFrame | None = None  # call_type ("all" pooled), weekday, start, share

    @property
    def method(self) -> str:
        return self.types[0].method if self.types else ""

    def table(self) -> pd.DataFrame:
        """forecast.csv: one row per date and call type."""
        effects = dict(zip(self.calendar.frame.index, self.calendar.effects_text()))
        parts = []
        for tf in self.types:
            parts.append(pd.DataFrame({
                "date": [d.isoformat() for d in tf.dates], "call_type": tf.call_type,
                "calls_mean": np.round(tf.mean, 2), "calls_low_80": np.round(tf.low80, 2),
                "calls_high_80": np.round(tf.high80, 2), "calls_low_95": np.round(tf.low95, 2),
                "calls_high_95": np.round(tf.high95, 2), "closed": tf.closed.astype(int),  # 1 = closed, as [arrivals.forecast] reads it
                "effects": [effects[d] for d in tf.dates]}))
        return pd.concat(parts, ignore_index=True)[COLUMNS]

    def totals(self) -> pd.DataFrame:
        """Per type over the horizon's open days: their number, the forecast calls, each day's 80%
        bounds added up (wider than an 80% interval of the total), calls per open day."""
        rows = []
        for tf in self.types:
            op = ~tf.closed
            n = int(op.sum())
            rows.append((tf.call_type, n, float(tf.mean[op].sum()), float(tf.low80[op].sum()),
                         float(tf.high80[op].sum()), float(tf.mean[op].mean()) if n else 0.0))
        return pd.DataFrame(rows, columns=["call_type", "open_days", "calls", "low80_sum", "high80_sum",
                                           "per_open_day"])

    def effects_table(self) -> pd.DataFrame:
        """Each type's calendar effects: factor, standard error, where the factor comes from."""
        rows = [(tf.call_type, e.name, e.factor, e.se, e.source) for tf in self.types for e in tf.effects]
        return pd.DataFrame(rows, columns=["call_type", "effect", "factor", "se", "source"])

    def history_table(self) -> pd.DataFrame:
        """The history (date, call_type, calls; no row for a gap), for the plot and the folder."""
        h = self.history.counts.rename_axis("date").reset_index().melt("date", var_name="call_type",
                                                                        value_name="calls")
        return h.dropna(subset=["calls"]).sort_values(["call_type", "date"], ignore_index=True)

    def pooled_factors(self) -> dict[str, float]:
        """Each effect's factor over all types: the types' factors weighted by their history's calls."""
        weight = self.history.counts.sum()
        out: dict[str, float] = {}
        for col in self.calendar.effects:
            logs, ws = [], []
            for tf in self.types:
                e = next(x for x in tf.effects if x.column == col)
                logs.append(math.log(e.factor) if e.factor > 0 else 0.0)
                ws.append(float(weight[tf.call_type]))
            out[col] = math.exp(float(np.average(logs, weights=ws))) if sum(ws) > 0 else 1.0
        return out


def forecast_horizon(history: History, horizon_days: int, start: dt.date | None = None) -> list[dt.date]:
    """The forecast's dates: ``horizon_days`` from ``start`` (default: the day after the history)."""
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise ScenarioError([Problem("", "--horizon-days", f"{horizon_days}: between 1 and {MAX_HORIZON_DAYS} days "
                                                           "(two years)")])
    start = start or history.last + dt.timedelta(days=1)
    if start <= history.last:
        raise ScenarioError([Problem("", "--start", f"{start.isoformat()} is not after the history's last date "
                                                    f"{history.last.isoformat()}")])
    if (start - history.last).days + horizon_days - 1 > MAX_HORIZON_DAYS:  # the last date's distance from the history
        raise ScenarioError([Problem("", "--start", f"{start.isoformat()} + {horizon_days} days reaches more than "
                                                    f"{MAX_HORIZON_DAYS} days (two years) past the history")])
    return [start + dt.timedelta(days=i) for i in range(horizon_days)]


def check_events(events: list[UserEvent], history: History, cal: Calendar, source: str = "--events") -> None:
    """An event without a factor must have open days in the history (it is estimated there)."""
    problems = []
    f = cal.frame.loc[history.first:history.last]
    for ev in events:
        if ev.factor is None and not (f[ev.column] > 0).any():
            problems.append(Problem(source, f"event {ev.name!r}",
                                    "no open day of it in the history, so its factor cannot be estimated: give factor"))
    if problems:
        raise ScenarioError(problems)


def make_forecast(history: History, horizon_days: int, start: dt.date | None = None,
                  events: list[UserEvent] = (), country: str = "EE", profile: pd.DataFrame | None = None,
                  events_source: str = "--events") -> Forecast:
    """Forecast every type of ``history`` over the horizon."""
    dates = forecast_horizon(history, horizon_days, start)
    cal = build_calendar(history.first, dates[-1], history.open_weekdays, list(events), country)
    check_events(list(events), history, cal, events_source)
    types = [fit_type(t, history.counts[t], cal, dates, history.annual) for t in history.types]
    return Forecast(history, dates, types, cal, list(events), list(history.notes), profile)


def fragment_toml(fc: Forecast, csv_name: str = "forecast.csv") -> str:
    """The scenario fragment: the forecast file, the profile, and the calendar factors as
    ``[[arrivals.events]]`` rules (``[arrivals.date_factor]`` for shortened days, which no rule
    names), the same rules the forecast used."""
    f = fc.pooled_factors()
    lines = [f"# Written by ska-sim forecast from {fc.history.source}: {fc.method}.",
             f"# History {fc.history.first.isoformat()} to {fc.history.last.isoformat()}; forecast "
             f"{fc.dates[0].isoformat()} to {fc.dates[-1].isoformat()}.",
             "# Factors are the call types' estimates weighted by their calls (forecast.csv has each type's days).",
             "", "[arrivals.forecast]", f'file = "{csv_name}"', ""]
    if fc.profile is not None:
        pooled = fc.profile[fc.profile["call_type"] == "all"]
        if len(pooled):
            lines.append("# first calls per interval over the recent weeks of the call log, all call types")
            lines.append("[arrivals.profile]")
            for wd, g in pooled.groupby("weekday", sort=False):
                lines.append(f"{wd} = [{', '.join(f'{x:.6f}' for x in g['share'])}]")
            lines.append("")

    def rule(name: str, factor: float, **keys) -> None:
        lines.append("[[arrivals.events]]")
        lines.append(f'name = "{name}"')
        for k, v in keys.items():
            lines.append(f"{k} = " + (f'"{v}"' if isinstance(v, str) else v.isoformat()
                                      if isinstance(v, dt.date) else f"{v}"))
        lines.append(f"factor = {factor:.4f}")
        lines.append("")

    pay = f["payment"]
    rule("payment day", pay, rule="monthly", day=5, if_closed="previous_open_day", valid_to=dt.date(2024, 12, 31))
    rule("payment day", pay, rule="monthly", day=5, if_closed="next_open_day", spread_days=2,
         valid_from=dt.date(2025, 1, 1))
    rule("first working day of the month", f["month_start"], rule="monthly", day=1, if_closed="next_open_day")
    rule("day after a holiday", f["after_holiday"], rule="after_holiday")
    for ev in fc.events:
        rule(ev.name, f[ev.column], rule="range", start=ev.start, end=ev.end)
    short = [d for d in fc.dates if fc.calendar.frame.at[d, "shortened"] > 0 and not fc.calendar.frame.at[d, "closed"]]
    if short:
        lines.append("# shortened days: their factor times the other rules that apply that date")
        lines.append("[arrivals.date_factor]")
        row = fc.calendar.frame
        for d in short:
            prod = f["shortened"]
            for col in fc.calendar.effects:
                if col != "shortened" and row.at[d, col] > 0:
                    prod *= f[col] ** row.at[d, col]
            lines.append(f"{d.isoformat()} = {prod:.4f}")
        lines.append("")
    return "\n".join(lines)
