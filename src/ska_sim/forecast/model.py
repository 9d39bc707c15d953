"""One call type's daily first calls: a log-linear regression with AR(1) errors
(statsmodels' SARIMAX, maximum likelihood through the Kalman filter).

log(1 + calls) on the open days, in their order (a closed day is no observation; a missing
open day is a gap the filter steps over), regressed on: a constant, the weekday, and with a
year of history or more a linear trend and the annual season (Fourier terms, three
harmonics); the calendar effects (``effects.py``) present in the history; the user events
without a given factor. A user event's given factor divides the history's counts on its days
and multiplies the forecast (applied as given). The forecast of an open day is lognormal:
mean exp(m + v/2) - 1, quantiles exp(m +- z sqrt(v)) - 1 (never below 0), where m and v are
the filter's predictive mean and variance (the AR error and the noise, not the coefficients'
uncertainty); a closed day is forecast exactly 0.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ska_sim.forecast.effects import LABELS, Calendar

HARMONICS = 3
YEAR_DAYS = 365.25
Z80, Z95 = 1.2815515655446004, 1.959963984540054
MIN_EFFECT_DAYS = 2  # an effect is estimated from at least this many observed open days
EXACT_SD = 1e-9  # a history the regression explains exactly (no noise): no AR error is fitted


@dataclass
class Effect:
    """A calendar effect's factor on the volume: estimated (with its standard error), given, or
    not estimable (absent from the history: factor 1)."""

    name: str
    column: str
    factor: float
    se: float
    source: str  # "estimated", "given", "not in the history"


@dataclass
class TypeForecast:
    call_type: str
    dates: list[dt.date]
    mean: np.ndarray
    low80: np.ndarray
    high80: np.ndarray
    low95: np.ndarray
    high95: np.ndarray
    closed: np.ndarray
    effects: list[Effect]
    annual: bool
    method: str
    notes: list[str] = field(default_factory=list)


def _design(cal: Calendar, dates: list[dt.date], t0: dt.date, weekdays: list[int], annual: bool,
            effect_cols: list[str]) -> tuple[np.ndarray, list[str]]:
    """The regressors of ``dates`` (rows) and their names."""
    f = cal.frame.loc[dates]
    cols, names = [np.ones(len(dates))], ["const"]
    wd = np.array([d.weekday() for d in dates])
    for w in weekdays[1:]:
        cols.append((wd == w).astype(float))
        names.append(f"weekday:{w}")
    if annual:
        t = np.array([(d - t0).days for d in dates], float)
        cols.append(t / YEAR_DAYS)
        names.append("trend")
        for k in range(1, HARMONICS + 1):
            angle = 2 * math.pi * k * np.array([d.timetuple().tm_yday for d in dates]) / YEAR_DAYS
            cols += [np.sin(angle), np.cos(angle)]
            names += [f"sin{k}", f"cos{k}"]
    for c in effect_cols:
        cols.append(f[c].to_numpy(float))
        names.append(c)
    return np.column_stack(cols), names


def _given(cal: Calendar, dates: list[dt.date]) -> np.ndarray:
    """The product of the user events' given factors on each date (1 elsewhere)."""
    out = np.ones(len(dates))
    f = cal.frame.loc[dates]
    for ev in cal.events:
        if ev.factor is not None:
            out *= np.where(f[ev.column].to_numpy() > 0, ev.factor, 1.0)
    return out


def fit_type(name: str, history: pd.Series, cal: Calendar, horizon: list[dt.date], annual: bool) -> TypeForecast:
    """Fit one type's history (calls per date: every date from the first to the last, NaN for
    a gap) and forecast the ``horizon`` dates. ``cal`` covers both."""
    hist_dates = list(history.index)
    closed_h = cal.frame.loc[hist_dates, "closed"].to_numpy()
    obs_dates = [d for d, c in zip(hist_dates, closed_h) if not c]
    y_counts = history.loc[obs_dates].to_numpy(float) / _given(cal, obs_dates)
    y = np.log1p(y_counts)
    seen = ~np.isnan(y)
    weekdays = sorted({d.weekday() for d in obs_dates})
    effects, cols = [], []
    f_obs = cal.frame.loc[obs_dates]
    given = {ev.column: ev.factor for ev in cal.events if ev.factor is not None}
    for c in cal.effects:
        label = c[len("event:"):] if c.startswith("event:") else LABELS[c]
        if c in given:
            effects.append(Effect(label, c, float(given[c]), 0.0, "given"))
        elif int(((f_obs[c].to_numpy() > 0) & seen).sum()) >= MIN_EFFECT_DAYS:
            cols.append(c)
        else:
            effects.append(Effect(label, c, 1.0, 0.0, "not in the history"))
    t0 = hist_dates[0]
    X, names = _design(cal, obs_dates, t0, weekdays, annual, cols)
    fut_open = [d for d in horizon if not cal.frame.at[d, "closed"]]
    # the open days between the history's end and the horizon are steps of the filter too
    between = [d for d in cal.frame.index if hist_dates[-1] < d < (horizon[0] if horizon else d)
               and not cal.frame.at[d, "closed"]]
    Xf, _ = _design(cal, between + fut_open, t0, weekdays, annual, cols)
    m, v, params, bse, method = _estimate(y, X, Xf)
    m, v = m[len(between):], v[len(between):]
    for c in cols:
        i = names.index(c)
        label = c[len("event:"):] if c.startswith("event:") else LABELS[c]
        effects.append(Effect(label, c, math.exp(params[i]), math.exp(params[i]) * bse[i], "estimated"))
    order = {c: k for k, c in enumerate(cal.effects)}
    effects.sort(key=lambda e: order[e.column])
    g = _given(cal, fut_open)
    sd = np.sqrt(np.maximum(v, 0))

    def q(z: float) -> np.ndarray:
        return np.maximum(np.expm1(m + z * sd), 0.0) * g

    out = {k: np.zeros(len(horizon)) for k in ("mean", "low80", "high80", "low95", "high95")}
    idx = np.array([horizon.index(d) for d in fut_open], dtype=int)
    if len(idx):
        out["mean"][idx] = np.maximum(np.expm1(m + v / 2), 0.0) * g
        for key, z in (("low80", -Z80), ("high80", Z80), ("low95", -Z95), ("high95", Z95)):
            out[key][idx] = q(z)
    closed = cal.frame.loc[horizon, "closed"].to_numpy(bool) if horizon else np.zeros(0, bool)
    return TypeForecast(name, horizon, out["mean"], out["low80"], out["high80"], out["low95"], out["high95"],
                        closed, effects, annual, method)


def _lag_one(resid: np.ndarray) -> float:
    """The lag-one autocorrelation of the residuals, within (-0.9, 0.9)."""
    if len(resid) < 3 or float(np.std(resid)) == 0:
        return 0.0
    return float(np.clip(np.corrcoef(resid[1:], resid[:-1])[0, 1], -0.9, 0.9))


def _estimate(y: np.ndarray, X: np.ndarray, Xf: np.ndarray):
    """(predictive means and variances of log(1 + calls) for Xf's rows, coefficients, their
    standard errors, the method's name). Least squares first; the regression with AR(1) errors
    by maximum likelihood from there, unless least squares leaves no noise."""
    seen = ~np.isnan(y)
    beta, *_ = np.linalg.lstsq(X[seen], y[seen], rcond=None)
    resid = y[seen] - X[seen] @ beta
    if float(np.std(resid)) < EXACT_SD:
        return Xf @ beta, np.zeros(len(Xf)), beta, np.zeros(len(beta)), "exact weekday pattern (no noise to model)"
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    k = X.shape[1]
    # the coefficients are states of the filter (generalised least squares given the AR
    # error) and the noise variance is concentrated out: the likelihood is maximised over the
    # AR coefficient alone (Nelder-Mead from the least-squares residuals' lag-one correlation:
    # a third of the time of L-BFGS with numerical gradients, the same optimum), and the
    # forecast's variance includes the coefficients' uncertainty
    model = SARIMAX(y, exog=X, order=(1, 0, 0), trend="n", mle_regression=False,
                    concentrate_scale=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(start_params=[_lag_one(resid)], disp=False, method="nm", maxiter=200)
        fc = res.get_forecast(len(Xf), exog=Xf) if len(Xf) else None
    params = np.asarray(res.filtered_state[-k:, -1])
    bse = np.sqrt(np.maximum(np.diag(res.filtered_state_cov[-k:, -k:, -1]), 0.0))
    method = "regression with AR(1) errors (statsmodels SARIMAX)"
    if fc is None:
        return np.zeros(0), np.zeros(0), params, bse, method
    return np.asarray(fc.predicted_mean), np.asarray(fc.var_pred_mean), params, bse, method
