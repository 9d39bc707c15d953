"""``[arrivals.forecast]``: the day's first calls from a forecast table (forecast_file.py)
instead of ``daily_calls``, and the forecast's uncertainty drawn by every replication.

On a date the file gives (README, "Forecast"):

- the day's expected first calls are the forecast's ``calls_mean`` (summed over the call types
  when the file has a row per type: that date's type shares then follow the forecast). This
  replaces ``daily_calls x weekday_factor x`` the date's factor (``[[arrivals.events]]``,
  ``date_factor``): the forecast has the calendar's effects in it;
- ``profile`` still spreads them over the day, and ``volume_scale`` still multiplies them
  (a what-if on top of the forecast);
- ``day_cv`` does not apply: with ``uncertainty = true`` (the default) each replication draws
  the day's volume from the forecast's predictive distribution (maths/predictive.py: a gamma
  factor whose cv is fitted to the row's 80% and 95% intervals, independent per call type),
  with ``uncertainty = false`` the day has the mean forecast and Poisson noise only;
- ``override`` (date -> first calls, every call type together) wins over the forecast on its
  date: the forecast's type shares and relative uncertainty of that date are kept (none on a
  date the file does not give);
- the calendar decides which days are open: a day the forecast marks closed that the calendar
  opens (or the other way round) is the calendar's, with a warning.

Open dates of the measured window that the file does not give (and no override) are refused;
warm-up dates it does not give use ``daily_calls`` and the date factors as without a forecast.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ska_sim.base.limits import MAX_CALLS_PER_DAY
from ska_sim.maths.predictive import fit_cv, gamma_interval
from ska_sim.scenario.calendar import simulated_days
from ska_sim.scenario.forecast_file import ArrivalsForecast, ForecastRow, LoadedForecast, read_forecast

if TYPE_CHECKING:
    from ska_sim.scenario.model import Scenario

FIT_TOLERANCE = 0.05  # a row whose intervals the fitted distribution misses by more (share of the mean) is warned of
UNCERTAINTY_LINE = "intervals include the forecast's uncertainty"


def attach_forecast(s: Scenario, folder: str | Path) -> Scenario:
    """Read ``arrivals.forecast.file`` (relative to ``folder``) and attach it to the block."""
    fc = s.arrivals.forecast
    if fc is None:
        return s
    fc.attach(LoadedForecast(base_dir=str(folder)))
    fc.attach(LoadedForecast(read_forecast(fc.path(), [ct.name for ct in s.call_types]), str(folder)))
    return s


def row_fit(fc: ArrivalsForecast, row: ForecastRow) -> tuple[float, float]:
    """(cv, error) of a row's predictive distribution (maths/predictive.fit_cv), computed once."""
    fits = fc.fits
    if row.line not in fits:
        fits[row.line] = fit_cv(row.mean, row.quantiles())
    return fits[row.line]


@dataclass(frozen=True)
class ForecastDay:
    """One date as the forecast gives it to the simulation."""

    date: dt.date
    mean: float  # expected first calls (every type), the override's when there is one
    shares: tuple[float, ...] | None  # the date's call-type shares (None: the scenario's)
    cvs: tuple[float, ...]  # the gamma factor's cv per call type (or one for every type together)
    band: tuple[float, float, float, float]  # 2.5%, 10%, 90%, 97.5% points of the day's first calls
    forecast_mean: float | None  # the file's mean (None: the file does not give the date)
    override: bool
    closed: bool  # the file marks the date closed
    effects: tuple[tuple[str, str], ...]


def forecast_days(s: Scenario) -> dict[dt.date, ForecastDay]:
    """Every date the forecast (file or override) gives, with what the simulation uses."""
    fc = s.arrivals.forecast
    if fc is None or fc.table is None:
        return {}
    out = {}
    for date, rows in fc.table.by_date().items():
        out[date] = _day(s, fc, date, rows)
    for date, calls in fc.override.items():
        day = out.get(date)
        if day is None:
            out[date] = ForecastDay(date, calls, None, (0.0,), (calls,) * 4, None, True, False, ())
            continue
        k = calls / day.mean if day.mean > 0 else 0.0
        band = tuple(x * k for x in day.band) if day.mean > 0 else (calls,) * 4
        out[date] = ForecastDay(date, calls, day.shares, day.cvs, band, day.forecast_mean, True, day.closed, day.effects)
    return out


def _day(s: Scenario, fc: ArrivalsForecast, date: dt.date, rows: list[ForecastRow]) -> ForecastDay:
    effects = tuple(dict.fromkeys(e for r in rows for e in r.effects))
    closed = all(r.closed for r in rows)
    if rows[0].call_type is None:
        r = rows[0]
        cv = row_fit(fc, r)[0] if fc.uncertainty else 0.0
        return ForecastDay(date, r.mean, None, (cv,), r.quantiles(), r.mean, False, closed, effects)
    by_type = {r.call_type: r for r in rows}
    ordered = [by_type[ct.name] for ct in s.call_types]
    total = sum(r.mean for r in ordered)
    shares = tuple(r.mean / total for r in ordered) if total > 0 else None
    cvs = tuple(row_fit(fc, r)[0] if fc.uncertainty else 0.0 for r in ordered)
    var_rate = sum((c * r.mean) ** 2 for c, r in zip(cvs, ordered))
    band = tuple(float(x) for x in gamma_interval(total, var_rate))
    return ForecastDay(date, total, shares, cvs, band, total, False, closed, effects)


def forecast_checks(s: Scenario) -> list[tuple[str, str]]:
    """Open measured dates the forecast does not give; overrides outside the simulated days."""
    fc = s.arrivals.forecast
    if fc is None or fc.table is None:
        return []
    days = simulated_days(s)
    given = set(fc.table.by_date()) | set(fc.override)
    missing = [d.date for d in days[s.calendar.warmup_days:] if d.is_open and d.date not in given]
    out = []
    if missing:
        shown = ", ".join(x.isoformat() for x in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        out.append(("arrivals.forecast.file", f"{fc.table.path} gives no forecast for open date(s) of the measured "
                    f"window: {shown} (warm-up days it does not give use daily_calls)"))
    fdays = forecast_days(s)
    big = [(f.mean * s.arrivals.volume_scale, f.date) for f in fdays.values() if f.date >= days[0].date]
    if big and max(big)[0] > MAX_CALLS_PER_DAY:
        calls, date = max(big)
        out.append(("arrivals.forecast", f"{calls:.4g} first calls expected on {date.isoformat()} (the forecast x "
                    f"volume_scale); at most {MAX_CALLS_PER_DAY:,} per day are simulated (README, Limits)"))
    own_profiles = [ct.name for ct in s.call_types if ct.profile is not None]
    if own_profiles and any(f.shares is not None for f in fdays.values()):
        out.append(("arrivals.forecast.file", f"{fc.table.path} forecasts each call type, and call types "
                    f"{', '.join(own_profiles)} have their own profile: give the forecast for all types together "
                    "(call_type empty), or one arrival profile for every type"))
    dates = {d.date for d in days}
    for date in fc.override:
        if date not in dates:
            out.append((f"arrivals.forecast.override.{date.isoformat()}", f"{date.isoformat()} is not a simulated date "
                        f"({days[0].date.isoformat()} to {days[-1].date.isoformat()})"))
    return out


def forecast_warnings(s: Scenario) -> list[str]:
    """Dates the forecast and the calendar disagree on (the calendar wins), and rows whose
    intervals the fitted predictive distribution reproduces only loosely."""
    fc = s.arrivals.forecast
    if fc is None or fc.table is None:
        return []
    out = []
    fdays = forecast_days(s)
    for d in simulated_days(s):
        f = fdays.get(d.date)
        if f is None or f.override:
            continue
        if f.closed and d.is_open:
            out.append(f"arrivals.forecast: {fc.table.path} marks {d.date.isoformat()} closed, the calendar opens it: "
                       f"the calendar's hours apply, with the forecast's {f.mean:,.0f} calls")
        elif not f.closed and not d.is_open and f.mean > 0:
            out.append(f"arrivals.forecast: {fc.table.path} forecasts {f.mean:,.0f} calls on {d.date.isoformat()}, "
                       f"which the calendar closes ({d.hours_rule}): the line is closed that day")
    if fc.uncertainty:
        loose = [(r, row_fit(fc, r)[1]) for r in fc.table.rows]
        loose = [(r, e) for r, e in loose if e > FIT_TOLERANCE]
        if loose:
            r, e = max(loose, key=lambda x: x[1])
            out.append(f"arrivals.forecast: the predictive distribution reproduces the intervals of {len(loose)} row(s) "
                       f"of {fc.table.path} only within more than {FIT_TOLERANCE:.0%} of the mean (worst: line {r.line}, "
                       f"{e:.0%}): intervals asymmetric or narrower than Poisson noise")
    return out


def forecast_facts(s: Scenario) -> dict | None:
    """What :func:`forecast_note` says, as data (None without a forecast): the file's name, the
    open days it gives, how many of them are overridden, the warm-up days it does not give, and
    whether the intervals include its uncertainty."""
    fc = s.arrivals.forecast
    if fc is None or fc.table is None:
        return None
    fdays = forecast_days(s)
    days = simulated_days(s)
    used = [d.date for d in days if d.is_open and d.date in fdays]
    fallback = [d.date for d in days if d.is_open and d.date not in fdays]
    return {"file": Path(fc.table.path).name, "days": len(used), "overridden": sum(1 for d in used if fdays[d].override),
            "warmup_days": len(fallback), "uncertainty": bool(fc.uncertainty)}


def forecast_note(s: Scenario) -> str:
    """The line every output prints for a scenario with a forecast ('' without one)."""
    f = forecast_facts(s)
    if f is None:
        return ""
    text = f"arrivals from the forecast {f['file']} on {f['days']} open day(s)"
    if f["overridden"]:
        text += f" ({f['overridden']} overridden)"
    if f["warmup_days"]:
        text += f"; {f['warmup_days']} warm-up day(s) it does not give from daily_calls"
    if f["uncertainty"]:
        return text + f"; {UNCERTAINTY_LINE}"
    return text + "; uncertainty = false: the mean forecast, intervals without the forecast's uncertainty"


def forecast_week(s: Scenario) -> list[dict]:
    """The forecast behind the measured window, one dict per measured date the forecast gives:
    ``date``, ``weekday``, ``open`` (the calendar's word), ``calls`` (what is simulated, before
    volume_scale), ``forecast`` (the file's mean, None when only overridden), ``low_95``,
    ``low_80``, ``high_80``, ``high_95`` (of ``calls``), ``override`` (a manager's figure),
    ``override_key`` (its --set key), ``closed`` (the file's flag) and ``effects`` ("column=value")."""
    fdays = forecast_days(s)
    out = []
    for d in simulated_days(s)[s.calendar.warmup_days:]:
        f = fdays.get(d.date)
        if f is None:
            continue
        lo95, lo80, hi80, hi95 = (float(x) for x in f.band)
        out.append({"date": d.date.isoformat(), "weekday": d.date.strftime("%a").lower(), "open": d.is_open,
                    "calls": f.mean, "forecast": f.forecast_mean, "low_95": lo95, "low_80": lo80, "high_80": hi80,
                    "high_95": hi95, "override": f.override,
                    "override_key": f"arrivals.forecast.override.{d.date.isoformat()}", "closed": f.closed,
                    "effects": [v if k == "effects" else f"{k}: {v}" for k, v in f.effects]})
    return out
