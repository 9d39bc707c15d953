"""Rolling-origin evaluation of the forecast against two baselines, in the same run.

Origins: ``origins`` dates spread evenly over the last year of the history (the last one a
horizon before its end). From each origin every method forecasts the next ``horizon`` days
from the history up to the origin only:

- ``model``: the forecast (``model.py``), its 80% and 95% intervals;
- ``naive_week``: each open day gets the count of the last open day with its weekday before
  the origin (seasonal naive, a week);
- ``naive_year``: each open day gets the count of the open day with its weekday 52 weeks
  before (or the nearest such day one or two weeks around it); a day without one (a history
  shorter than a year before it) is left out of this baseline's scores (its ``days`` say so).

The baselines' intervals: the quantiles of their own in-sample log errors. Closed days are
forecast 0 by every method and left out of the scores. MASE: mean absolute error over the
open days of the horizon / the in-sample (up to the origin) mean absolute error of the
seven-day seasonal naive on open days; MAPE over the open days with calls; coverage: the share
of open days inside the interval.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.forecast.effects import UserEvent, build_calendar
from ska_sim.forecast.history import MIN_DAYS, History
from ska_sim.forecast.model import fit_type

METHODS = ("model", "naive_week", "naive_year")
ORIGINS = 6
YEAR_DAYS = 365
WEEKS_YEAR = 364


@dataclass
class BacktestResult:
    scores: pd.DataFrame  # method, call_type, origin, mase, mape, cover80, cover95, days
    summary: pd.DataFrame  # method: mean mase, mape, cover80, cover95 over origins and types; days
    origins: list[dt.date]
    horizon: int


def origins_of(history: History, horizon: int, n: int = ORIGINS) -> list[dt.date]:
    """``n`` origins (the last history date used) over the history's last year."""
    last = history.last - dt.timedelta(days=horizon)
    first = max(history.last - dt.timedelta(days=YEAR_DAYS), history.first + dt.timedelta(days=MIN_DAYS * 2))
    if last < history.first + dt.timedelta(days=MIN_DAYS * 2):
        raise ScenarioError([Problem(history.source, "--backtest", f"a horizon of {horizon} days leaves too short a "
                                     "history before it to fit from (shorten --horizon-days)")])
    if first >= last:
        return [last]
    span = (last - first).days
    return sorted({first + dt.timedelta(days=round(span * k / (n - 1))) for k in range(n)})


def _naive_scale(y: np.ndarray, open_: np.ndarray, dates: list[dt.date]) -> float:
    """In-sample mean |y_t - y_(t-7)| over the open days whose day a week before is open too."""
    a = y[7:] - y[:-7]
    both = open_[7:] & open_[:-7] & ~np.isnan(a)
    return float(np.mean(np.abs(a[both]))) if both.any() else float("nan")


def _baseline(y: pd.Series, open_: pd.Series, origin: dt.date, dates: list[dt.date], lag_weeks: int) -> np.ndarray:
    """Seasonal naive: the count of the open day with the same weekday ``lag_weeks`` weeks before
    (for the week baseline: the last such day up to the origin); nearest open one around it."""
    out = np.full(len(dates), np.nan)
    for i, d in enumerate(dates):
        if lag_weeks == 1:
            back = (d - origin).days
            cands = [d - dt.timedelta(days=7 * k) for k in range((back + 6) // 7, (back + 6) // 7 + 4)]
        else:
            base = d - dt.timedelta(days=7 * lag_weeks)
            cands = [base + dt.timedelta(days=7 * k) for k in (0, -1, 1, -2, 2)]
        for c in cands:
            if c <= origin and c in y.index and open_.get(c, False) and not np.isnan(y[c]):
                out[i] = y[c]
                break
    return out


def _baseline_bands(y: pd.Series, open_: pd.Series, origin: dt.date, lag_weeks: int) -> tuple[float, ...]:
    """Quantiles (10, 90, 2.5, 97.5%) of the baseline's in-sample log errors over the year before the origin."""
    days = [d for d in y.index if origin - dt.timedelta(days=YEAR_DAYS) < d <= origin and open_.get(d, False)]
    if not days:
        return (0.0, 0.0, 0.0, 0.0)
    origin_back = [d - dt.timedelta(days=1) for d in days]
    errs = []
    for d, o in zip(days, origin_back):
        p = _baseline(y, open_, o if lag_weeks == 1 else origin, [d], lag_weeks)[0]
        if not np.isnan(p) and not np.isnan(y[d]):
            errs.append(np.log1p(y[d]) - np.log1p(p))
    if not errs:
        return (0.0, 0.0, 0.0, 0.0)
    return tuple(float(np.quantile(errs, q)) for q in (0.1, 0.9, 0.025, 0.975))


def _scores(actual, mean, low80, high80, low95, high95, scale) -> dict:
    ok = ~np.isnan(actual) & ~np.isnan(mean)
    a, m = actual[ok], mean[ok]
    pos = a > 0
    return {"mase": float(np.mean(np.abs(a - m)) / scale) if ok.any() and scale > 0 else np.nan,
            "mape": float(np.mean(np.abs(a[pos] - m[pos]) / a[pos])) if pos.any() else np.nan,
            "cover80": float(np.mean((a >= low80[ok]) & (a <= high80[ok]))) if ok.any() else np.nan,
            "cover95": float(np.mean((a >= low95[ok]) & (a <= high95[ok]))) if ok.any() else np.nan,
            "days": int(ok.sum())}


def backtest(history: History, horizon: int, events: list[UserEvent] = (), country: str = "EE",
             n_origins: int = ORIGINS) -> BacktestResult:
    """Every method from every origin, scored on the open days of each horizon."""
    origins = origins_of(history, horizon, n_origins)
    cal = build_calendar(history.first, history.last, history.open_weekdays, list(events), country)
    closed = cal.frame["closed"]
    rows = []
    for origin in origins:
        dates = [origin + dt.timedelta(days=i + 1) for i in range(horizon)]
        open_days = np.array([not closed[d] for d in dates])
        past = [d for d in history.counts.index if d <= origin]
        annual = (origin - history.first).days + 1 >= YEAR_DAYS
        for t in history.types:
            y = history.counts[t]
            yp = y.loc[past]
            open_s = ~closed.loc[past]
            scale = _naive_scale(yp.to_numpy(), open_s.to_numpy(), past)
            actual = np.where(open_days, y.loc[dates].to_numpy(), np.nan)
            tf = fit_type(t, yp, cal, dates, annual)
            rows.append({"method": "model", "call_type": t, "origin": origin,
                         **_scores(actual, tf.mean, tf.low80, tf.high80, tf.low95, tf.high95, scale)})
            for method, lag in (("naive_week", 1), ("naive_year", 52)):
                p = _baseline(yp, open_s, origin, dates, lag)
                q10, q90, q025, q975 = _baseline_bands(yp, open_s, origin, lag)
                lp = np.log1p(p)
                band = [np.maximum(np.expm1(lp + q), 0.0) for q in (q10, q90, q025, q975)]
                rows.append({"method": method, "call_type": t, "origin": origin,
                             **_scores(actual, p, *band, scale)})
    scores = pd.DataFrame(rows)
    summary = scores.groupby("method", sort=False).agg(
        mase=("mase", "mean"), mape=("mape", "mean"), cover80=("cover80", "mean"), cover95=("cover95", "mean"),
        days=("days", "sum")).reset_index()
    return BacktestResult(scores, summary, origins, horizon)
