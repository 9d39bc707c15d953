"""Estimates from a call log, and the scenario they make (issue 10: ``ska-sim fit``).

Input: the canonical call-log DataFrame of :mod:`calllog` (one row per call that reached the
line: ``caller`` (hashed), ``call_type``, ``language``, ``arrival``, ``answer``, ``end``,
``abandon`` as tz-aware timestamps, ``wrap_up_s``; ``kind`` is never used: real logs lack it).
Everything is vectorised over calls (no Python loop per call).

The order of the estimates matters (ISSUE-NOTES):

1. **Follow-ups first.** A call of the same caller within ``redial_window_min`` minutes of
   opening time after a call that was not answered is a *redial*; within
   ``repeat_window_days`` after an answered call, a *repeat call*. ``daily_calls``,
   ``weekday_factor``, ``profile`` and the call-type shares are estimated from the remaining
   *first calls*: the model generates redials and repeats itself, so counting them in the
   volume would count them twice.
2. **Volume**: first calls per open day, per weekday (``weekday_factor``, mean 1 over the
   weekdays), day-to-day overdispersion by the method of moments net of Poisson noise
   (Var N = m + c^2 m^2, so c^2 = (s^2 - m) / m^2, pooled over weekdays), unusual days
   (|z| > 3 against that variance) flagged and left out of the means.
3. **Profile**: first calls per weekday and interval on full ordinary days, optionally
   smoothed (a moving average of k intervals) or pooled over weekdays with the same hours;
   a chi-square test says whether the weekdays' shapes differ.
4. **Talk time** (answer to end) and **after-call work** (``wrap_up_s``) separately, per call
   type: lognormal, gamma, Weibull and exponential by maximum likelihood (scipy.stats,
   location 0), chosen by AIC, Kolmogorov-Smirnov distance reported. Never talk + ACW as talk.
5. **Patience from censored waits**: abandoned calls are events at their wait, answered
   calls are right-censored at theirs. Kaplan-Meier (``scipy.stats.ecdf`` of
   ``CensoredData``) and the four families fitted with censoring, chosen by AIC. The mean of
   abandoned calls' waits alone is biased low (the patient callers were answered first).
6. **Redials**: P(a call that was not answered is followed by a redial) and the delay in
   opening time. **Repeat calls**: P(an answered call is followed by a call of the same
   caller within the window) = (1 - resolved) x repeat.probability. Only the product is
   identifiable from a log; ``repeat.probability`` is fixed (``repeat_probability``, default
   1: every unresolved caller calls again, so ``resolved`` is the FCR the log shows) and
   ``resolved`` per call type = 1 - product / repeat.probability. Calls too close to the
   log's end for their window to be seen are left out of both denominators.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_S = 86400
FAMILY_NAMES = ("lognormal", "gamma", "weibull", "exponential")


class FitError(ValueError):
    """The log cannot be fitted (too few calls of a kind, a missing column): one message per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class FitOptions:
    tz: str = "Europe/Tallinn"
    interval_min: int = 30
    smooth: str = "none"  # "none", "pool" (one profile for weekdays with the same hours), or an odd k
    acw_s: float | None = None  # after-call work per call when the log has no wrap-up column
    redial_window_min: float = 60.0  # minutes of opening time after a call that was not answered
    repeat_window_days: float = 14.0  # days after an answered call
    repeat_probability: float = 1.0  # the fixed factor of (1 - resolved) x repeat.probability
    unusual_z: float = 3.0
    max_fit_sample: int = 100_000  # calls per maximum-likelihood fit (a seeded random subset above it)
    seed: int = 0


# --------------------------------------------------------------------------- distributions
def _scipy_family(name: str):
    from scipy import stats

    return {"lognormal": stats.lognorm, "gamma": stats.gamma, "weibull": stats.weibull_min, "exponential": stats.expon}[name]


@dataclass(frozen=True)
class DurationFit:
    """Maximum-likelihood fits of the four families; ``family`` is the one with the lowest AIC."""

    family: str
    mean_s: float
    cv: float
    n: int  # observations (events + censored)
    n_events: int
    n_fitted: int  # observations in the fit (a random subset when above max_fit_sample)
    aic: dict[str, float]
    ks: dict[str, float]  # KS distance of each family (against the Kaplan-Meier curve when censored)
    params: dict[str, tuple]  # scipy parameters of each family
    means: dict[str, float]
    dropped_zero: int = 0

    def frozen(self, family: str | None = None):
        fam = family or self.family
        return _scipy_family(fam)(*self.params[fam])

    def spec(self) -> dict[str, Any]:
        """The scenario's duration block: the chosen family as mean_s (+ cv)."""
        if self.family == "exponential":
            return {"dist": "exponential", "mean_s": round(self.mean_s, 1)}
        return {"dist": self.family, "mean_s": round(self.mean_s, 1), "cv": round(self.cv, 3)}

    def note(self) -> str:
        others = ", ".join(f"{f} {self.aic[f] - self.aic[self.family]:+.0f}" for f in FAMILY_NAMES if f != self.family)
        sub = f", fitted on a random {self.n_fitted:,}" if self.n_fitted < self.n else ""
        cens = f" ({self.n_events:,} events, {self.n - self.n_events:,} censored)" if self.n_events < self.n else ""
        return (f"n = {self.n:,}{cens}{sub}; {self.family} by AIC (others: {others}); "
                f"KS distance {self.ks[self.family]:.3f}")


def _subset(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """A seeded random subset of k values; sorted first, so it does not depend on the row order
    (rows are sorted by the caller hash, whose salt changes with every process)."""
    return x if len(x) <= k else rng.choice(np.sort(x), size=k, replace=False)


def _weibull_mle(x: np.ndarray) -> tuple[float, float, float]:
    """Weibull (location 0) by maximum likelihood: the shape solves the profile-likelihood equation
    sum(x^k ln x) / sum(x^k) - 1/k - mean(ln x) = 0 (one root), then scale = mean(x^k)^(1/k)."""
    from scipy.optimize import brentq

    lx = np.log(x)
    lx0 = lx - lx.max()  # x^k scaled to avoid overflow: the ratio is unchanged
    mean_lx = lx.mean()

    def g(k: float) -> float:
        w = np.exp(k * lx0)
        return float(np.sum(w * lx) / np.sum(w)) - 1.0 / k - mean_lx

    lo, hi = 0.02, 1.0
    while g(hi) < 0 and hi < 1e3:
        hi *= 2
    k = brentq(g, lo, hi, xtol=1e-10)
    scale = math.exp(lx.max()) * float(np.mean(np.exp(k * lx0))) ** (1 / k)
    return (k, 0.0, scale)


def fit_duration(values, max_n: int = 100_000, seed: int = 0) -> DurationFit:
    """The four families fitted to uncensored durations (seconds) by maximum likelihood, location 0."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    positive = x[x > 0]
    if len(positive) < 2:
        raise FitError([f"needs at least 2 positive durations (got {len(positive)})"])
    xs = _subset(positive, max_n, np.random.default_rng(seed))
    aic, ks, params, means = {}, {}, {}, {}
    for fam in FAMILY_NAMES:
        d = _scipy_family(fam)
        p = _weibull_mle(xs) if fam == "weibull" else d.fit(xs, floc=0)
        k = 1 if fam == "exponential" else 2
        aic[fam] = 2 * k - 2 * float(np.sum(d.logpdf(xs, *p)))
        ks[fam] = float(stats.kstest(xs, d(*p).cdf).statistic)
        params[fam], means[fam] = tuple(float(v) for v in p), float(d(*p).mean())
    best = min(aic, key=aic.get)
    f = _scipy_family(best)(*params[best])
    return DurationFit(best, float(f.mean()), float(f.std() / f.mean()), len(x), len(x), len(xs), aic, ks, params,
                       means, dropped_zero=int(len(x) - len(positive)))


@dataclass(frozen=True)
class Survival:
    """A Kaplan-Meier curve: survival probability after each event time (s)."""

    times_s: np.ndarray
    sf: np.ndarray

    def at(self, t: np.ndarray | float) -> np.ndarray:
        idx = np.searchsorted(self.times_s, np.asarray(t, dtype=float), side="right") - 1
        return np.where(idx >= 0, self.sf[np.clip(idx, 0, None)], 1.0)

    def restricted_mean_s(self) -> float:
        """Area under the curve up to the last event time (a lower bound of the mean)."""
        t = np.concatenate([[0.0], self.times_s])
        s = np.concatenate([[1.0], self.sf])
        return float(np.sum(np.diff(t) * s[:-1]))


def kaplan_meier(events, censored) -> Survival:
    from scipy import stats

    res = stats.ecdf(stats.CensoredData(uncensored=np.asarray(events, float), right=np.asarray(censored, float)))
    return Survival(np.asarray(res.sf.quantiles, float), np.asarray(res.sf.probabilities, float))


def _censored_mle(fam: str, ev: np.ndarray, ce: np.ndarray) -> tuple[float, ...]:
    """Maximum likelihood with right censoring (location 0), in scipy's parameters: the log-likelihood
    sum(log f(events)) + sum(log S(censored)) written out with scipy.special (fast on 10^5 points),
    minimised over log-parameters by Nelder-Mead from the censored exponential's closed form."""
    from scipy import optimize, special

    n_ev = len(ev)
    scale0 = (ev.sum() + ce.sum()) / n_ev  # exponential: events / total time at risk
    if fam == "exponential":
        return (0.0, float(scale0))
    lev, lce = np.log(ev), np.log(ce)
    sum_lev = float(lev.sum())

    if fam == "lognormal":
        def nll(th):
            mu, sd = th[0], math.exp(th[1])
            z = (lev - mu) / sd
            ll = -sum_lev - n_ev * (th[1] + 0.5 * math.log(2 * math.pi)) - 0.5 * float(z @ z)
            return -(ll + float(special.log_ndtr(-(lce - mu) / sd).sum()))
        start = [math.log(scale0) - 0.5, 0.0]
    elif fam == "weibull":
        def nll(th):
            k, ll_ = math.exp(th[0]), th[1]
            ll = n_ev * (th[0] - ll_) + (k - 1) * (sum_lev - n_ev * ll_) - float(np.exp(k * (lev - ll_)).sum())
            return -(ll - float(np.exp(k * (lce - ll_)).sum()))
        start = [0.0, math.log(scale0)]
    elif fam == "gamma":
        def nll(th):
            a, sc = math.exp(th[0]), math.exp(th[1])
            ll = (a - 1) * sum_lev - float(ev.sum()) / sc - n_ev * (special.gammaln(a) + a * th[1])
            sf = special.gammaincc(a, ce / sc)
            return -(ll + float(np.log(np.maximum(sf, 1e-300)).sum()))
        start = [0.0, math.log(scale0)]
    else:  # pragma: no cover
        raise ValueError(fam)
    res = optimize.minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-3, "maxiter": 2000})
    th = res.x
    if fam == "lognormal":
        return (math.exp(th[1]), 0.0, math.exp(th[0]))
    return (math.exp(th[0]), 0.0, math.exp(th[1]))


def fit_censored(events, censored, max_n: int = 50_000, seed: int = 0) -> tuple[DurationFit, Survival]:
    """The four families fitted to right-censored durations (events: seen; censored: at least this long)."""
    ev = np.asarray(events, float)
    ce = np.asarray(censored, float)
    ev, ce = ev[np.isfinite(ev) & (ev > 0)], ce[np.isfinite(ce) & (ce > 0)]  # censored at 0 says nothing
    if len(ev) < 2:
        raise FitError([f"needs at least 2 events (got {len(ev)})"])
    km = kaplan_meier(ev, ce)
    n = len(ev) + len(ce)
    rng = np.random.default_rng(seed)
    if n > max_n:  # the same share of each, so the censoring pattern is kept
        keep = max_n / n
        ev_s = _subset(ev, max(2, int(round(len(ev) * keep))), rng)
        ce_s = _subset(ce, int(round(len(ce) * keep)), rng)
    else:
        ev_s, ce_s = ev, ce
    # KS distance against the Kaplan-Meier curve where it is well determined (>= 50 and >= 1% still at risk)
    obs = np.sort(np.concatenate([ev, ce]))
    at_risk = len(obs) - np.searchsorted(obs, km.times_s, side="left")
    well = at_risk >= max(50, 0.01 * len(obs))
    grid, km_sf = km.times_s[well], km.sf[well]
    aic, ks, params, means = {}, {}, {}, {}
    for fam in FAMILY_NAMES:
        d = _scipy_family(fam)
        p = _censored_mle(fam, ev_s, ce_s)
        k = 1 if fam == "exponential" else 2
        ll = float(np.sum(d.logpdf(ev_s, *p)) + np.sum(d.logsf(ce_s, *p)))
        aic[fam] = 2 * k - 2 * ll
        ks[fam] = float(np.max(np.abs(d.sf(grid, *p) - km_sf))) if len(grid) else math.nan
        params[fam], means[fam] = tuple(float(v) for v in p), float(d(*p).mean())
    best = min(aic, key=aic.get)
    f = _scipy_family(best)(*params[best])
    fit = DurationFit(best, float(f.mean()), float(f.std() / f.mean()), n, len(ev), len(ev_s) + len(ce_s), aic, ks,
                      params, means)
    return fit, km


def mean_se(fit: DurationFit, events, censored=()) -> float:
    """Standard error of the chosen family's mean (see :func:`stat_se`)."""
    return stat_se(fit, events, censored, "mean")


def stat_se(fit: DurationFit, events, censored=(), stat: str = "mean") -> float:
    """Standard error of the chosen family's mean or cv: observed information (a numerical Hessian
    of the log-likelihood in log-parameters) and the delta method. ``events`` / ``censored`` as fitted."""
    ev = np.asarray(events, float)
    ce = np.asarray(censored, float)
    ev, ce = ev[np.isfinite(ev) & (ev > 0)], ce[np.isfinite(ce) & (ce > 0)]
    d = _scipy_family(fit.family)
    p = np.array(fit.params[fit.family], float)
    free = [i for i in range(len(p)) if not (fit.family != "exponential" and i == len(p) - 2)]  # loc fixed at 0
    if fit.family == "exponential":
        free = [1]

    def ll(theta):
        q = p.copy()
        q[free] = np.exp(theta)
        return float(np.sum(d.logpdf(ev, *q)) + (np.sum(d.logsf(ce, *q)) if len(ce) else 0.0))

    def mean(theta):
        q = p.copy()
        q[free] = np.exp(theta)
        f = d(*q)
        return float(f.mean()) if stat == "mean" else float(f.std() / f.mean())

    th = np.log(p[free])
    k, h = len(th), 1e-4
    hess = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            hess[i, j] = (ll(th + ei + ej) - ll(th + ei - ej) - ll(th - ei + ej) + ll(th - ei - ej)) / (4 * h * h)
    grad = np.array([(mean(th + np.eye(k)[i] * h) - mean(th - np.eye(k)[i] * h)) / (2 * h) for i in range(k)])
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return math.nan
    return float(math.sqrt(max(grad @ cov @ grad, 0.0)))


# --------------------------------------------------------------------------- the log, prepared
def _local(ts: pd.Series, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """(local day number since 1970, seconds since local midnight) of tz-aware timestamps; NaT -> -1 / nan."""
    s = ts.dt.tz_convert(tz).dt.tz_localize(None) if ts.dt.tz is not None else ts
    ns = s.to_numpy(dtype="datetime64[ns]").astype("int64")
    nat = s.isna().to_numpy()
    day = np.where(nat, -1, ns // (DAY_S * 10**9))
    sec = np.where(nat, np.nan, (ns - day * DAY_S * 10**9) / 1e9)
    return day, sec


def _seconds(a: pd.Series) -> np.ndarray:
    """Timestamps as float seconds since 1970 UTC (nan for NaT)."""
    v = a.dt.tz_convert("UTC").dt.tz_localize(None) if a.dt.tz is not None else a
    ns = v.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
    ns[v.isna().to_numpy()] = np.nan
    return ns / 1e9


@dataclass
class Prepared:
    """Per call arrays (in the frame's row order after sorting by caller and arrival)."""

    caller: np.ndarray
    type_code: np.ndarray  # index into type_names
    type_names: list[str]
    language: pd.Series | None  # text per call (None when the log has no languages)
    arr_t: np.ndarray  # s since 1970 UTC
    arr_day: np.ndarray  # local day number
    arr_sec: np.ndarray  # s since local midnight
    answered: np.ndarray
    abandoned: np.ndarray
    blocked: np.ndarray  # not answered, not abandoned, ended at arrival
    wait_s: np.ndarray
    talk_s: np.ndarray
    wrap_up_s: np.ndarray
    free_t: np.ndarray  # when the caller is done: talk end + wrap-up if answered, else hang-up (s since 1970)
    free_day: np.ndarray
    free_sec: np.ndarray
    agent_id: np.ndarray | None  # not filled by prepare (the fit does not use agent ids per call)


def prepare(frame: pd.DataFrame, tz: str) -> Prepared:
    # the rows sorted by caller, then arrival (stable; NaT last), taken one column at a time: a
    # sorted copy of the whole frame would cost its size again at the peak of a large log
    arr_key = frame["arrival"].array.asi8.copy()
    arr_key[frame["arrival"].isna().to_numpy()] = np.iinfo(np.int64).max
    order = np.lexsort((arr_key, frame["caller"].to_numpy()))
    del arr_key

    def col(name: str) -> pd.Series:
        return frame[name].iloc[order].reset_index(drop=True)

    arr_t, ans_t, end_t = _seconds(col("arrival")), _seconds(col("answer")), _seconds(col("end"))
    ab_t = _seconds(col("abandon")) if "abandon" in frame else np.full(len(frame), np.nan)
    answered = ~np.isnan(ans_t)
    abandoned = ~np.isnan(ab_t) & ~answered
    wait = np.where(answered, ans_t - arr_t, np.where(abandoned, ab_t - arr_t, end_t - arr_t))
    blocked = ~answered & ~abandoned & (wait <= 0)
    wrap = frame["wrap_up_s"].to_numpy(dtype=float)[order] if "wrap_up_s" in frame else np.full(len(frame), np.nan)
    free = np.where(answered, end_t + np.nan_to_num(wrap), np.where(abandoned, ab_t, end_t))
    talk = np.where(answered, end_t - ans_t, np.nan)
    del ans_t, end_t, ab_t
    arr_day, arr_sec = _local(col("arrival"), tz)
    free_ts = pd.Series(pd.to_datetime(free, unit="s", utc=True))
    free_day, free_sec = _local(free_ts, tz)
    del free_ts
    lang = None
    if "language" in frame:
        lv = col("language").astype("string").fillna("")
        if (lv != "").any():
            lang = lv  # kept as (Arrow) text: a million Python strings would cost ~60 MB
    # agent ids are not used by the fit (agents per interval come from calllog.agents_per_interval)
    ct = col("call_type").astype("string").fillna("calls") if "call_type" in frame else pd.Series(["calls"] * len(frame))
    codes, names = pd.factorize(ct, sort=True)
    del ct
    return Prepared(frame["caller"].to_numpy()[order], codes.astype(np.int32), [str(n) for n in names], lang, arr_t,
                    arr_day, arr_sec, answered, abandoned, blocked, wait, talk, wrap, free, free_day, free_sec, None)


# --------------------------------------------------------------------------- opening hours
@dataclass
class Hours:
    """Opening hours inferred from the arrivals: per weekday the usual hours, per date its own."""

    first_day: int  # local day number of the log's first date
    open_s: np.ndarray  # per date of the span: opening (s since midnight), -1 when closed
    close_s: np.ndarray
    weekday_hours: dict[str, tuple[int, int]]
    date_hours: dict[dt.date, tuple[int, int]]
    closed: list[dt.date]

    @property
    def n_days(self) -> int:
        return len(self.open_s)

    def date(self, i: int) -> dt.date:
        return dt.date(1970, 1, 1) + dt.timedelta(days=int(self.first_day + i))

    def open_clock(self, day: np.ndarray, sec: np.ndarray) -> np.ndarray:
        """Seconds of opening time since the log's first opening (a call's position on the open-hours clock)."""
        length = np.where(self.open_s >= 0, self.close_s - self.open_s, 0).astype(float)
        before = np.concatenate([[0.0], np.cumsum(length)])
        i = np.clip(day - self.first_day, 0, self.n_days - 1)
        inside = np.clip(sec - self.open_s[i], 0, length[i])
        out = before[i] + inside
        out = np.where(day - self.first_day >= self.n_days, before[-1] + 1e12, out)  # after the log: far away
        return out


def infer_hours(p: Prepared, interval_s: int) -> Hours:
    first, last = int(p.arr_day.min()), int(p.arr_day.max())
    n = last - first + 1
    idx = p.arr_day - first
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, idx, p.arr_sec)
    np.maximum.at(hi, idx, p.arr_sec)
    seen = np.isfinite(lo)
    open_s = np.where(seen, np.floor(np.where(seen, lo, 0) / interval_s) * interval_s, -1).astype(np.int64)
    close_s = np.where(seen, np.floor(np.where(seen, hi, 0) / interval_s + 1) * interval_s, -1).astype(np.int64)
    close_s = np.minimum(close_s, DAY_S)
    dates = [dt.date(1970, 1, 1) + dt.timedelta(days=first + i) for i in range(n)]
    wd = np.array([d.weekday() for d in dates])
    weekday_hours: dict[str, tuple[int, int]] = {}
    for w in range(7):
        sel = seen & (wd == w)
        if sel.any():
            pairs = pd.Series(list(zip(open_s[sel], close_s[sel])))
            o, c = pairs.value_counts().index[0]
            weekday_hours[WEEKDAYS[w]] = (int(o), int(c))
    date_hours, closed = {}, []
    for i, d in enumerate(dates):
        usual = weekday_hours.get(WEEKDAYS[d.weekday()])
        if usual is None:
            continue
        if not seen[i]:
            closed.append(d)
        elif (open_s[i], close_s[i]) != usual:
            o, c = max(int(open_s[i]), usual[0]), min(int(close_s[i]), usual[1])  # within the weekday's hours
            if c > o and (o, c) != usual:
                date_hours[d] = (o, c)
            open_s[i], close_s[i] = (o, c) if c > o else usual
    return Hours(first, open_s, close_s, weekday_hours, date_hours, closed)


# --------------------------------------------------------------------------- follow-ups
FIRST, REDIAL, REPEAT = 0, 1, 2


def classify(p: Prepared, hours: Hours, redial_window_s: float, repeat_window_s: float) -> np.ndarray:
    """First call, redial or repeat call, from the same caller's previous call (rows sorted by caller, arrival)."""
    same = np.zeros(len(p.caller), bool)
    same[1:] = p.caller[1:] == p.caller[:-1]
    prev = np.roll(np.arange(len(p.caller)), 1)
    clock_arr = hours.open_clock(p.arr_day, p.arr_sec)
    clock_free = hours.open_clock(p.free_day, p.free_sec)
    open_gap = clock_arr - clock_free[prev]
    wall_gap = p.arr_t - p.free_t[prev]
    prev_answered = p.answered[prev]
    kind = np.full(len(p.caller), FIRST, np.int8)
    kind[same & ~prev_answered & (open_gap <= redial_window_s)] = REDIAL
    kind[same & prev_answered & (wall_gap <= repeat_window_s)] = REPEAT
    return kind


# --------------------------------------------------------------------------- the fit
@dataclass
class Fit:
    """Every estimate, its sample size and diagnostic, and the scenario they make."""

    scenario: dict[str, Any]  # TOML-ready (loads with scenario.scenario_from_dict)
    notes: dict[str, str]  # key path -> comment (sample size, diagnostic)
    header: list[str]  # lines for the top of the file
    daily: pd.DataFrame  # date, weekday, first_calls, expected, z, unusual, used
    profile: pd.DataFrame  # weekday, slot, start, first_calls, share (fitted)
    talk: dict[str, DurationFit] = field(default_factory=dict)
    talk_samples: dict[str, np.ndarray] = field(default_factory=dict)
    acw: dict[str, DurationFit] = field(default_factory=dict)
    patience: DurationFit | None = None
    km: Survival | None = None
    naive_patience_mean_s: float = math.nan
    estimates: dict[str, Any] = field(default_factory=dict)  # flat numbers for tests and the report


def _smooth(shares: np.ndarray, k: int) -> np.ndarray:
    if k <= 1 or len(shares) < 3:
        return shares
    half = k // 2
    padded = np.pad(shares, half, mode="edge")
    out = np.convolve(padded, np.ones(k) / k, mode="valid")
    return out / out.sum()


def _n_days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _se(value: float, fmt: str, label: str = "SE") -> str:
    """A standard error for a comment; one that cannot be estimated (one day, no calls) says so."""
    return f"{label} {value:{fmt}}" if math.isfinite(value) else f"{label} n/a, too few days or calls"


def _hhmm(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def _round_shares(v: np.ndarray, digits: int = 6) -> list[float]:
    """Shares rounded to ``digits`` that still sum to 1 (the rounding error goes to the largest)."""
    r = np.round(v / v.sum(), digits)
    r[int(np.argmax(r))] += round(1.0 - float(r.sum()), digits)
    return [float(round(x, digits)) for x in r]


def _day_volumes(counts, checked, used, full, wd, unusual_z):
    """Weekday means of first calls per day, the overdispersion c^2 by the method of moments net of
    Poisson noise (Var N = m + c^2 m^2, pooled over weekdays), each day's z and the unusual days:
    flagged (|z| > unusual_z), then everything estimated again without them."""
    unusual = np.zeros(len(counts), bool)
    means = np.zeros(7)
    c2 = 0.0
    for _ in range(2):  # flag unusual days, then estimate again without them
        ok = used & ~unusual
        means = np.array([counts[ok & (wd == w)].mean() if (ok & (wd == w)).any() else 0.0 for w in range(7)])
        num, den = 0.0, 0.0
        for w in range(7):
            x = counts[ok & (wd == w)]
            if len(x) >= 2 and x.mean() > 0:
                num += (x.var(ddof=1) - x.mean()) / x.mean() ** 2 * (len(x) - 1)
                den += len(x) - 1
        c2 = max(0.0, num / den) if den else 0.0
        m_d = means[wd]
        z = np.where(m_d > 0, (checked - m_d) / np.sqrt(np.maximum(m_d + c2 * m_d**2, 1e-9)), 0.0)
        unusual = full & (np.abs(z) > unusual_z)  # lead-in days too: flagged, never in the means
    return means, c2, z, unusual


def _profile(p: Prepared, ok_call, wd_call, hours: Hours, present: list[int], iv: int, smooth: str):
    """Shares of first calls per weekday and interval (the calls in ``ok_call``), smoothed or pooled,
    and a chi-square test per group of weekdays with the same hours: do their shapes differ?"""
    slot = (p.arr_sec // iv).astype(int)
    prof: dict[str, list[float]] = {}
    rows = []
    from scipy import stats

    groups: dict[tuple[int, int], list[int]] = {}
    for w in present:
        groups.setdefault(hours.weekday_hours[WEEKDAYS[w]], []).append(w)
    tables = {}
    for w in present:
        o_s, c_s = hours.weekday_hours[WEEKDAYS[w]]
        lo_slot, n_slots = o_s // iv, (c_s - o_s) // iv
        sel = ok_call & (wd_call == w)
        s_idx = slot[sel] - lo_slot
        s_idx = s_idx[(s_idx >= 0) & (s_idx < n_slots)]
        tables[w] = np.bincount(s_idx, minlength=n_slots).astype(float)
    chi = {}
    for hrs, ws in groups.items():
        if len(ws) >= 2:
            t = np.array([tables[w] for w in ws])
            t = t[:, t.sum(axis=0) > 0]
            if t.shape[1] >= 2:
                chi[hrs] = stats.chi2_contingency(t)
    for w in present:
        counts_w = tables[w]
        if smooth == "pool":
            counts_w = np.sum([tables[v] for v in groups[hours.weekday_hours[WEEKDAYS[w]]]], axis=0)
        shares = counts_w / counts_w.sum() if counts_w.sum() > 0 else np.full(len(counts_w), 1 / len(counts_w))
        if smooth not in ("none", "pool"):
            shares = _smooth(shares, int(smooth))
        prof[WEEKDAYS[w]] = _round_shares(shares)
        o_s = hours.weekday_hours[WEEKDAYS[w]][0]
        for k, (c, s) in enumerate(zip(tables[w], prof[WEEKDAYS[w]])):
            rows.append((WEEKDAYS[w], k, _hhmm(o_s + k * iv), int(c), s))
    profile_df = pd.DataFrame(rows, columns=["weekday", "slot", "start", "first_calls", "share"])
    if smooth == "pool":  # one vector per group of weekdays with the same hours
        uniq = {tuple(v) for v in prof.values()}
        if len(uniq) == 1:
            prof = {"default": next(iter(uniq))}
    return prof, profile_df, chi, groups


def _language_factors(p: Prepared, first: np.ndarray):
    """Languages: shares of first calls and a talk factor each (talk / its call type's mean talk, the
    largest language 1.0); each type's talk is then fitted on talk / the call's factor.
    Returns (languages, codes per call or None, names, factor per call, note)."""
    all_types = p.type_names
    lang_factor = np.ones(len(p.type_code))
    languages: dict[str, dict] = {}
    lang_codes, lang_names = None, []
    note = ""
    if p.language is not None:
        lang_codes, names = pd.factorize(pd.Series(p.language).replace("", "unknown"), sort=True)
        lang_names = [str(n) for n in names]
        ans = p.answered & np.isfinite(p.talk_s)
        type_mean = np.bincount(p.type_code[ans], p.talk_s[ans], len(all_types)) / np.maximum(
            np.bincount(p.type_code[ans], minlength=len(all_types)), 1)
        expected = type_mean[p.type_code]
        obs = np.bincount(lang_codes[ans], p.talk_s[ans], len(lang_names))
        exp_ = np.bincount(lang_codes[ans], expected[ans], len(lang_names))
        factor = np.where(exp_ > 0, obs / np.maximum(exp_, 1e-9), 1.0)
        first_lang = np.bincount(lang_codes[first], minlength=len(lang_names))
        ref = int(np.argmax(first_lang))
        factor = np.clip(factor / factor[ref], 0.05, 10.0)
        lang_share = _round_shares(np.maximum(first_lang, 0) / max(first_lang.sum(), 1), 6)
        n_ans_lang = np.bincount(lang_codes[ans], minlength=len(lang_names))
        for k, name in enumerate(lang_names):
            languages[name] = {"share": lang_share[k], "talk_factor": round(float(factor[k]), 3)}
        note = ("shares of first calls; talk_factor = mean talk / its call type's mean talk, relative to "
                f"{lang_names[ref]} (" + ", ".join(f"{n} {int(c):,} answered" for n, c in zip(lang_names, n_ans_lang))
                + ")")
        lang_factor = factor[lang_codes]
    return languages, lang_codes, lang_names, lang_factor, note


def fit_log(frame: pd.DataFrame, options: FitOptions = FitOptions(), agents: pd.DataFrame | None = None,
            agents_source: str | None = None, source: str = "log") -> Fit:
    """Estimate a scenario from a canonical call-log frame. ``agents``: calllog.agents_per_interval's table."""
    o = options
    iv = o.interval_min * 60
    callbacks = 0
    if "kind" in frame:  # callbacks are placed by agents (outbound): not calls that reached the line
        is_cb = (frame["kind"].astype("string") == "callback").fillna(False).to_numpy(bool)
        callbacks = int(is_cb.sum())
        if callbacks:
            frame = frame[~is_cb]
    if len(frame) == 0:
        raise FitError([f"{source}: no calls"])
    p = prepare(frame, o.tz)
    span_days = (float(np.nanmax(p.arr_t)) - float(np.nanmin(p.arr_t))) / DAY_S
    repeat_window_days = o.repeat_window_days
    if repeat_window_days > span_days / 2:  # no answered call would have its whole window in the log
        repeat_window_days = max(span_days / 2, 1 / 24)
    o = dataclasses.replace(o, repeat_window_days=repeat_window_days)
    hours = infer_hours(p, iv)
    kind = classify(p, hours, o.redial_window_min * 60, o.repeat_window_days * DAY_S)
    notes: dict[str, str] = {}
    est: dict[str, Any] = {}
    first = kind == FIRST
    n_first = int(first.sum())
    est.update(calls=len(kind), first_calls=n_first, redials=int((kind == REDIAL).sum()),
               repeats=int((kind == REPEAT).sum()))
    log_end_t = float(np.nanmax(p.arr_t))
    log_end_clock = hours.open_clock(np.array([hours.first_day + hours.n_days - 1]), np.array([float(DAY_S)]))[0]

    # ---- follow-ups: what each call led to (the next call of the same caller)
    nxt = np.roll(np.arange(len(kind)), -1)
    same_next = np.zeros(len(kind), bool)
    same_next[:-1] = p.caller[:-1] == p.caller[1:]
    next_kind = np.where(same_next, kind[nxt], -1)
    clock_free = hours.open_clock(p.free_day, p.free_sec)
    not_answered = ~p.answered
    seen_red = not_answered & (clock_free + o.redial_window_min * 60 <= log_end_clock)
    n_red = int(seen_red.sum())
    k_red = int((seen_red & (next_kind == REDIAL)).sum())
    redial_p = k_red / n_red if n_red else 0.0
    est.update(redial_probability=redial_p, redial_n=n_red,
               redial_se=math.sqrt(redial_p * (1 - redial_p) / n_red) if n_red else math.nan)
    red_rows = np.flatnonzero(kind == REDIAL)
    red_delay = hours.open_clock(p.arr_day[red_rows], p.arr_sec[red_rows]) - clock_free[red_rows - 1]
    red_fit = fit_duration(red_delay, o.max_fit_sample, o.seed) if (red_delay > 0).sum() >= 2 else None

    seen_rep = p.answered & (p.free_t + o.repeat_window_days * DAY_S <= log_end_t)
    rep_rows = np.flatnonzero(kind == REPEAT)
    rep_delay = p.arr_t[rep_rows] - p.free_t[rep_rows - 1]
    rep_fit = fit_duration(rep_delay, o.max_fit_sample, o.seed) if (rep_delay > 0).sum() >= 2 else None
    # callers and wall-clock times are done with: freed before the fits (memory of a large log)
    del nxt, same_next, clock_free, seen_red
    p.caller = p.arr_t = p.free_t = p.free_day = p.free_sec = None

    # ---- volume: first calls per open day
    day_i = p.arr_day - hours.first_day
    counts = np.bincount(day_i[first], minlength=hours.n_days)
    dates = [hours.date(i) for i in range(hours.n_days)]
    wd = np.array([d.weekday() for d in dates])
    open_day = hours.open_s >= 0
    full = np.array([open_day[i] and dates[i] not in hours.date_hours for i in range(hours.n_days)])
    # lead-in: first calls of the log's first days include repeat calls of calls before the log
    lead_days = 0
    if len(rep_delay):
        lead_days = int(math.ceil(np.quantile(rep_delay, 0.95) / DAY_S))
        lead_days = min(lead_days, max(0, (hours.n_days - 7) // 2))
    after_lead = np.arange(hours.n_days) >= lead_days
    used = full & after_lead
    # on lead-in days, the repeat calls not recognised (their call was before the log) are estimated
    # from the share of repeat calls among all calls on the days used, and taken off for flagging
    all_counts = np.bincount(day_i, minlength=hours.n_days)
    rep_counts = np.bincount(day_i[kind == REPEAT], minlength=hours.n_days)
    r_ss = rep_counts[used].sum() / max(all_counts[used].sum(), 1)
    checked = np.where(after_lead, counts, np.maximum(counts - np.maximum(r_ss * all_counts - rep_counts, 0), 0))
    means, c2, z, unusual = _day_volumes(counts, checked, used, full, wd, o.unusual_z)
    day_cv = math.sqrt(c2)
    present = [w for w in range(7) if WEEKDAYS[w] in hours.weekday_hours and means[w] > 0]
    if not present:
        raise FitError([f"{source}: no full ordinary open day to estimate the volume from"])
    daily_calls = float(np.mean([means[w] for w in present]))
    weekday_factor = {WEEKDAYS[w]: round(float(means[w] / daily_calls), 4) for w in present}
    n_used_days = int((used & ~unusual).sum())
    daily = pd.DataFrame({
        "date": dates, "weekday": [WEEKDAYS[w] for w in wd], "first_calls": counts,
        "first_calls_checked": checked, "calls": all_counts, "expected": means[wd], "z": z,
        "unusual": unusual, "used": used & ~unusual, "open": open_day})
    est.update(daily_calls=daily_calls, day_cv=day_cv, weekday_factor=weekday_factor, days_used=n_used_days,
               lead_in_days=lead_days, unusual_days=[str(d) for d, u in zip(dates, unusual) if u])
    # day_cv's standard error (normal approximation for the variance of a mean-1 factor: rough)
    m_bar = daily_calls
    se_c2 = math.sqrt(2 / max(n_used_days - len(present), 1)) * (1 / m_bar + c2)
    est["day_cv_se"] = se_c2 / (2 * day_cv) if day_cv > 0 else math.nan
    # daily_calls' standard error: the mean of the weekday means, each with Var = (m + c^2 m^2) / days
    n_w = np.array([int(((used & ~unusual) & (wd == w)).sum()) for w in present])
    m_w = np.array([means[w] for w in present])
    est["daily_calls_se"] = float(math.sqrt(np.sum((m_w + c2 * m_w**2) / np.maximum(n_w, 1))) / len(present))

    # ---- profile per weekday and interval (first calls on full ordinary days)
    ok_call = first & used[np.clip(day_i, 0, hours.n_days - 1)] & ~unusual[np.clip(day_i, 0, hours.n_days - 1)]
    prof, profile_df, chi, groups = _profile(p, ok_call, wd[np.clip(day_i, 0, hours.n_days - 1)], hours, present, iv,
                                             o.smooth)

    # ---- call types: shares of first calls; talk and after-call work of answered calls
    all_types = p.type_names
    type_counts = np.bincount(p.type_code[first], minlength=len(all_types))
    shares = {t: c / n_first for t, c in zip(all_types, type_counts)}
    share_list = _round_shares(np.array([max(shares[t], 1e-6) for t in all_types]), 6)
    fit = Fit({}, notes, [], daily, profile_df)
    has_wrap = np.isfinite(p.wrap_up_s[p.answered]).mean() > 0.5 if p.answered.any() else False
    if not has_wrap and o.acw_s is None:
        raise FitError([f"{source}: the log has no wrap-up column (after-call work): give --acw-s S (seconds of "
                        "after-call work per answered call), or map wrap_up_s in --columns; "
                        "talk + after-call work is never fitted as talk"])
    languages, lang_codes, lang_names, lang_factor, lang_note = _language_factors(p, first)
    if lang_note:
        notes["languages"] = lang_note
    call_types = []
    for i, t in enumerate(all_types):
        is_t = p.type_code == i
        talk = p.talk_s[is_t & p.answered]
        if (talk > 0).sum() < 2:
            raise FitError([f"{source}: call type {t!r}: fewer than 2 answered calls with a talk time"])
        tf = fit_duration(talk / lang_factor[is_t & p.answered], o.max_fit_sample, o.seed + i)
        fit.talk[t], fit.talk_samples[t] = tf, talk / lang_factor[is_t & p.answered]
        ct: dict[str, Any] = {"name": t, "share": share_list[i], "talk": tf.spec()}
        if lang_codes is not None:
            sel_f = first & is_t
            c = np.bincount(lang_codes[sel_f], minlength=len(lang_names))
            ct["language_shares"] = dict(zip(lang_names, _round_shares(np.maximum(c, 0) + 1e-12, 6)))
            sel_a = is_t & p.answered & np.isfinite(p.talk_s)
            m_l = np.bincount(lang_codes[sel_a], p.talk_s[sel_a], len(lang_names))
            n_l = np.bincount(lang_codes[sel_a], minlength=len(lang_names))
            notes[f"call_types.{t}.language_shares"] = "mean talk by language: " + ", ".join(
                f"{n} {m / max(k, 1):.0f} s (n {k:,})" for n, m, k in zip(lang_names, m_l, n_l))
        notes[f"call_types.{t}.share"] = f"{int(shares[t] * n_first):,} of {n_first:,} first calls"
        net = ", / the language's talk_factor" if languages else ""
        notes[f"call_types.{t}.talk"] = f"talk (answer to end{net}): " + tf.note() + (
            f"; {tf.dropped_zero:,} zero talk times left out" if tf.dropped_zero else "")
        if has_wrap:
            wrap = p.wrap_up_s[is_t & p.answered]
            wrap = wrap[np.isfinite(wrap)]
            if (wrap > 0).sum() >= 2:
                af = fit_duration(wrap, o.max_fit_sample, o.seed + 100 + i)
                fit.acw[t] = af
                ct["after_call_work"] = af.spec()
                notes[f"call_types.{t}.after_call_work"] = "wrap-up column: " + af.note()
        else:
            ct["after_call_work"] = {"dist": "deterministic", "mean_s": float(o.acw_s)}
            notes[f"call_types.{t}.after_call_work"] = "from --acw-s: NOT estimated (the log has no wrap-up column)"
        # repeat calls: only the product (1 - resolved) x repeat.probability is identifiable
        den = int((seen_rep & is_t).sum())
        k = int((seen_rep & is_t & (next_kind == REPEAT)).sum())
        prod = k / den if den else 0.0
        resolved = min(1.0, max(0.0, 1.0 - prod / o.repeat_probability))
        ct["resolved"] = round(resolved, 4)
        se = math.sqrt(prod * (1 - prod) / den) if den else math.nan
        notes[f"call_types.{t}.resolved"] = (
            f"(1 - resolved) x repeat.probability = {prod:.4f} ({_se(se, '.4f')}): {k:,} of {den:,} answered calls "
            f"followed by a call within {o.repeat_window_days:g} days; repeat.probability fixed at "
            f"{o.repeat_probability:g}; FCR implied {1 - prod:.3f}")
        est.setdefault("repeat_product", {})[t] = prod
        est.setdefault("repeat_n", {})[t] = den
        call_types.append(ct)
    den_all = int(seen_rep.sum())
    k_all = int((seen_rep & (next_kind == REPEAT)).sum())
    est["repeat_product_all"] = k_all / den_all if den_all else 0.0
    est["repeat_n_all"] = den_all
    est["fcr_implied"] = 1 - est["repeat_product_all"]
    del day_i, lang_codes, lang_factor, next_kind, seen_rep  # per-call arrays no longer needed

    # ---- patience from censored waits
    usable = ~p.blocked & np.isfinite(p.wait_s)
    events = p.wait_s[usable & p.abandoned]
    cens = p.wait_s[usable & ~p.abandoned]
    patience = None
    if (events > 0).sum() >= 2:
        pf, km = fit_censored(events, cens, min(o.max_fit_sample, 50_000), o.seed + 7)
        fit.patience, fit.km = pf, km
        fit.naive_patience_mean_s = float(events.mean())
        patience = pf.spec()
        notes["patience"] = ("censored waits (abandoned = events, answered = censored at their wait): " + pf.note()
                             + f"; Kaplan-Meier restricted mean {km.restricted_mean_s():.0f} s up to "
                             f"{km.times_s[-1]:.0f} s; the mean wait of abandoned calls alone, "
                             f"{events.mean():.0f} s, is biased low")
        est.update(patience_mean_s=pf.mean_s, patience_cv=pf.cv, patience_family=pf.family,
                   patience_events=int(len(events)), patience_censored=int(len(cens)))
    est["abandon_share"] = float(p.abandoned.mean())

    # ---- staffing
    staffing, staffing_note = _staffing(agents, agents_source, hours, present, iv, daily_calls, weekday_factor, prof,
                                        call_types, patience)

    # ---- the scenario
    cal: dict[str, Any] = {
        "start": hours.date(0), "days": hours.n_days, "warmup_days": max(7, lead_days), "interval_min": o.interval_min,
        "hours": {WEEKDAYS[w]: [_hhmm(a), _hhmm(b)] for w, (a, b) in sorted(
            ((WEEKDAYS.index(k), v) for k, v in hours.weekday_hours.items()))},
    }
    if hours.date_hours:
        cal["date_hours"] = {d: [_hhmm(a), _hhmm(b)] for d, (a, b) in sorted(hours.date_hours.items())}
    if hours.closed:
        cal["closed"] = sorted(hours.closed)
    cut = (~p.answered & ~p.abandoned & ~p.blocked).sum()
    scen: dict[str, Any] = {
        "scenario": {"name": f"fitted from {source}",
                     "description": f"ska-sim fit of {source}: {len(kind):,} calls, {dates[0]} to {dates[-1]}"},
        "calendar": cal,
        "arrivals": {"daily_calls": round(daily_calls, 1), "day_cv": round(day_cv, 4), "volume_scale": 1.0,
                     "weekday_factor": weekday_factor,
                     "profile": prof},
        "call_types": call_types,
    }
    factors = {d: round(float(c / ex), 3) for d, c, ex in zip(daily.date[daily.unusual],
                                                              daily.first_calls_checked[daily.unusual],
                                                              daily.expected[daily.unusual]) if ex > 0}
    if factors:
        scen["arrivals"]["date_factor"] = factors
    if languages:
        scen["languages"] = languages
    if patience:
        scen["patience"] = patience
    scen["redial"] = {"probability": round(redial_p, 4)}
    if red_fit:
        scen["redial"]["delay"] = red_fit.spec()
    scen["repeat"] = {"probability": o.repeat_probability}
    if rep_fit:
        scen["repeat"]["delay"] = rep_fit.spec()
    scen["staffing"] = staffing
    scen["simulation"] = {"replications": 20, "seed": 2026, "queued_at_close": "drop" if cut else "serve"}

    notes["calendar"] = (f"opening hours from the arrivals (the usual hours per weekday; {len(hours.date_hours)} dates "
                         f"with their own, {len(hours.closed)} open weekdays without calls taken as closed)")
    notes["arrivals.daily_calls"] = (
        f"first calls (redials and repeat calls removed: {est['redials']:,} redials, {est['repeats']:,} repeats of "
        f"{len(kind):,} calls) per full ordinary day: {n_used_days} day{'s' if n_used_days != 1 else ''} used; mean of the weekday means "
        f"({_se(est['daily_calls_se'], '.1f')})")
    notes["arrivals.day_cv"] = (f"method of moments net of Poisson noise, c^2 = (s^2 - m) / m^2 pooled over weekdays "
                                f"({_se(est['day_cv_se'], '.3f', 'approx. SE')})")
    notes["arrivals.weekday_factor"] = ", ".join(
        f"{WEEKDAYS[w]} {_n_days(int(((used & ~unusual) & (wd == w)).sum()))}" for w in present)
    chi_txt = "; ".join(f"weekdays {'/'.join(WEEKDAYS[w] for w in ws)}: chi-square p = {chi[h].pvalue:.3g}"
                        for h, ws in groups.items() if h in chi)
    notes["arrivals.profile"] = (f"first calls per interval on the days used ({int(ok_call.sum()):,} calls); smoothing "
                                 f"{o.smooth}" + (f"; do the weekdays' shapes differ? {chi_txt}" if chi_txt else ""))
    unusual_txt = ", ".join(f"{d} ({c:.0f} vs {e:.0f}, z {zz:+.1f})" for d, c, e, zz in zip(
        daily.date[daily.unusual], daily.first_calls_checked[daily.unusual], daily.expected[daily.unusual],
        daily.z[daily.unusual]))
    if unusual_txt:
        notes["arrivals"] = (f"unusual days, left out of the means and given their own date_factor (observed / "
                             f"weekday mean; drop them for a forecast unless they recur): {unusual_txt}")
    if lead_days:
        notes["arrivals.lead_in"] = (f"the first {lead_days} days are left out of the volume: their 'first' calls "
                                     "include repeat calls of calls before the log (95% of repeat delays are shorter)")
    notes["redial"] = (f"P(redial within {o.redial_window_min:g} min of opening time | not answered) = {redial_p:.4f} "
                       f"({_se(est['redial_se'], '.4f')}, n = {n_red:,})" + (f"; delay: {red_fit.note()}" if red_fit else ""))
    notes["repeat"] = (f"only (1 - resolved) x probability is identifiable: probability FIXED at "
                       f"{o.repeat_probability:g}, resolved per call type fitted; over all answered calls the product "
                       f"is {est['repeat_product_all']:.4f} (n = {den_all:,}), FCR implied {est['fcr_implied']:.3f}"
                       + (f"; delay (wall clock, answered call's end to the next call): {rep_fit.note()}"
                          if rep_fit else ""))
    notes["staffing"] = staffing_note
    if repeat_window_days < options.repeat_window_days:
        notes["repeat"] += (f". The log spans {span_days:.1f} days: the repeat window was shortened from "
                            f"{options.repeat_window_days:g} to {repeat_window_days:.2f} days, so repeat calls later "
                            "than that are missed (the product is a lower bound)")
    if callbacks:
        notes["calendar"] += f"; {callbacks:,} callback rows (kind = callback, placed by agents) left out"
    n_blocked = int(p.blocked.sum())
    if n_blocked:
        notes["staffing"] += (f". {n_blocked:,} calls ended at arrival without an answer (busy tone or virtual hold): "
                              "[lines] and [callbacks] are not estimated")
    notes["simulation"] = "not estimated: ska-sim's defaults" + (
        f"; {int(cut):,} calls cut off at closing: queued_at_close = drop" if cut else "")
    fit.scenario = scen
    fit.header = [
        f"Fitted by ska-sim fit from {source}: {len(kind):,} calls, {dates[0]} to {dates[-1]} ({o.tz}).",
        "Every number is an estimate from the log unless its comment says otherwise; sample sizes and",
        "diagnostics are in the comments. Not in a log, so not estimated: targets and shrinkage (SKA's",
        "defaults apply), identity checks (their time is inside talk), the split of repeat calls into",
        "resolved x probability (see [repeat]).",
    ]
    est["hours"] = hours
    est["redial_delay"] = red_fit
    est["repeat_delay"] = rep_fit
    fit.estimates = est
    return fit


def _staffing(agents, agents_source, hours, present, iv, daily_calls, weekday_factor, prof, call_types, patience):
    """staffing.agents per weekday: the median of the log's agents per interval, or an Erlang C placeholder."""
    out: dict[str, dict] = {}
    if agents is not None and len(agents):
        a = agents.copy()
        a["date"] = pd.to_datetime(a["date"]).dt.date
        a["weekday"] = [WEEKDAYS[d.weekday()] for d in a["date"]]
        for w in present:
            name = WEEKDAYS[w]
            o_s, c_s = hours.weekday_hours[name]
            n = (c_s - o_s) // iv
            sub = a[a.weekday == name]
            vals = []
            med = sub.groupby("slot")["agents"].median()
            for k in range(n):
                v = med.get(o_s // iv + k)
                vals.append(int(round(float(v))) if v is not None and np.isfinite(v) else 0)
            out[name] = vals
        return {"agents": out}, (f"agents on the phones: the median per weekday and interval of {agents_source}"
                                 if agents_source else "agents on the phones per interval, median per weekday")
    from ska_sim.maths.erlang import Requirement, required_agents

    aht = sum(ct["share"] * (ct["talk"]["mean_s"] + ct.get("after_call_work", {}).get("mean_s", 0.0))
              for ct in call_types)
    for w in present:
        name = WEEKDAYS[w]
        shares = prof.get(name, prof.get("default"))
        vol = daily_calls * weekday_factor[name]
        out[name] = [int(required_agents(vol * s / iv, aht, Requirement())) for s in shares]
    return {"agents": out}, ("NOT FROM THE LOG: the log has no agent ids and no staffing file was given; these "
                             "agents are the Erlang C requirement for 80/20 on the fitted first calls: replace "
                             "them with the centre's own staffing (or give --staffing)")


# --------------------------------------------------------------------------- the TOML file
def to_toml(fit: Fit) -> str:
    """The fitted scenario as TOML with the sample sizes and diagnostics as comments."""
    import tomlkit

    doc = tomlkit.document()
    for line in fit.header:
        for part in _wrap(line):
            doc.add(tomlkit.comment(part))
    doc.add(tomlkit.nl())
    s, notes = fit.scenario, fit.notes

    def comment_lines(t, text: str) -> None:
        for line in _wrap(text):
            t.add(tomlkit.comment(line))

    for key, value in s.items():
        if key == "call_types":
            aot = tomlkit.aot()
            for ct in value:
                t = tomlkit.table()
                for k2, v2 in ct.items():
                    note = notes.get(f"call_types.{ct['name']}.{k2}")
                    if note:
                        comment_lines(t, note)
                    t.add(k2, _inline(v2))
                aot.append(t)
            doc.add("call_types", aot)
            continue
        t = tomlkit.table()
        if key in notes:
            comment_lines(t, notes[key])
        for k2, v2 in value.items():
            note = notes.get(f"{key}.{k2}")
            if key == "arrivals" and k2 == "daily_calls" and "arrivals.lead_in" in notes:
                note = f"{note}. {notes['arrivals.lead_in']}"
            if note:
                comment_lines(t, note)
            if isinstance(v2, dict) and k2 in ("hours", "date_hours", "agents", "profile", "date_factor"):
                sub = tomlkit.table()
                for k3, v3 in v2.items():
                    sub.add(str(k3), v3)
                t.add(k2, sub)
            else:
                t.add(k2, _inline(v2))
        doc.add(key, t)
    return tomlkit.dumps(doc)


def _inline(v):
    import tomlkit

    if isinstance(v, dict):
        it = tomlkit.inline_table()
        it.update(v)
        return it
    return v


def _wrap(text: str, width: int = 96) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def fit_summary(fit: Fit) -> list[str]:
    """A few lines for the terminal."""
    e = fit.estimates
    lines = [
        f"calls {e['calls']:,}: first {e['first_calls']:,}, redials {e['redials']:,}, repeat calls {e['repeats']:,}",
        f"daily first calls {e['daily_calls']:.1f} ({e['days_used']} day{'s' if e['days_used'] != 1 else ''}), day_cv {e['day_cv']:.3f}, weekday factors "
        + " ".join(f"{k} {v:.2f}" for k, v in e["weekday_factor"].items()),
    ]
    for t, f in fit.talk.items():
        lines.append(f"talk {t}: {f.family} mean {f.mean_s:.0f} s cv {f.cv:.2f} (n {f.n:,}, KS {f.ks[f.family]:.3f})")
    if fit.patience:
        pf = fit.patience
        lines.append(f"patience: {pf.family} mean {pf.mean_s:.0f} s cv {pf.cv:.2f} from {pf.n_events:,} abandoned and "
                     f"{pf.n - pf.n_events:,} censored waits (abandoned alone: {fit.naive_patience_mean_s:.0f} s)")
    lines.append(f"redial probability {e['redial_probability']:.3f} (n {e['redial_n']:,}); repeat (1 - resolved) x "
                 f"probability {e['repeat_product_all']:.3f}, FCR implied {e['fcr_implied']:.3f}")
    if e["unusual_days"]:
        lines.append("unusual days: " + ", ".join(e["unusual_days"]))
    return lines


__all__ = ["FitError", "FitOptions", "Fit", "DurationFit", "Survival", "fit_log", "fit_duration", "fit_censored",
           "kaplan_meier", "mean_se", "stat_se", "to_toml", "fit_summary"]
