"""Duration estimators for ``ska-sim fit``: the four families (lognormal, gamma, Weibull,
exponential) by maximum likelihood with location 0, chosen by AIC, uncensored
(:func:`fit_duration`) or right-censored (:func:`fit_censored`, with the Kaplan-Meier curve),
and the standard error of a fitted mean or cv (:func:`stat_se`)."""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

FAMILY_NAMES = ("lognormal", "gamma", "weibull", "exponential")


class FitError(ValueError):
    """The log cannot be fitted (too few calls of a kind, a missing column): one message per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@contextmanager
def quiet_numerics():
    """Inside: numpy's floating-point warnings and scipy's RuntimeWarnings of an optimiser trying
    extreme parameters are silenced (the result is checked instead); outside, nothing changes."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


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
    failed: tuple[str, ...] = ()  # families whose fit did not converge (left out of the choice)

    def frozen(self, family: str | None = None):
        fam = family or self.family
        return _scipy_family(fam)(*self.params[fam])

    @property
    def constant(self) -> bool:
        """The values are all alike (the fitted cv below 0.0005): written as deterministic."""
        return self.family != "exponential" and self.cv < 5e-4

    def spec(self) -> dict[str, Any]:
        """The scenario's duration block: the chosen family as mean_s (+ cv); deterministic when
        the values are all alike."""
        if self.constant:
            return {"dist": "deterministic", "mean_s": round(self.mean_s, 1)}
        if self.family == "exponential":
            return {"dist": "exponential", "mean_s": round(self.mean_s, 1)}
        return {"dist": self.family, "mean_s": round(self.mean_s, 1), "cv": round(self.cv, 3)}

    def note(self) -> str:
        others = ", ".join(f"{f} {self.aic[f] - self.aic[self.family]:+.0f}" for f in FAMILY_NAMES
                           if f != self.family and f not in self.failed)
        sub = f", fitted on a random {self.n_fitted:,}" if self.n_fitted < self.n else ""
        cens = f" ({self.n_events:,} events, {self.n - self.n_events:,} censored)" if self.n_events < self.n else ""
        chosen = f"{self.family} by AIC (others: {others})" if others else self.family
        if self.failed:
            chosen += (f"; {', '.join(self.failed)} did not converge (the values are too alike or too spread "
                       "for a two-parameter fit)")
            if self.family == "exponential" and len(self.failed) == len(FAMILY_NAMES) - 1:
                chosen += ": FELL BACK to the exponential with the sample mean (cv 1 assumed)"
        if self.constant:
            return f"n = {self.n:,}{cens}{sub}; the values are all alike (cv below 0.001): deterministic"
        return f"n = {self.n:,}{cens}{sub}; {chosen}; KS distance {self.ks[self.family]:.3f}"


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
    if not (g(lo) < 0 < g(hi)):  # no root in reach: the values are (almost) all equal
        raise FloatingPointError("weibull shape out of reach")
    k = brentq(g, lo, hi, xtol=1e-10)
    scale = math.exp(lx.max()) * float(np.mean(np.exp(k * lx0))) ** (1 / k)
    return (k, 0.0, scale)


def compare_families(fit_one):
    """Every family of FAMILY_NAMES fitted by ``fit_one(family, scipy distribution)`` -> (params,
    log-likelihood, KS distance): their AIC, KS distance, parameters and means, the families
    whose fit found no maximum (left out of the choice, said in the note; never the exponential)
    and the family of the lowest AIC."""
    aic, ks, params, means, failed = {}, {}, {}, {}, []
    for fam in FAMILY_NAMES:
        d = _scipy_family(fam)
        k = 1 if fam == "exponential" else 2
        try:
            with quiet_numerics():
                p, ll, ks_f = fit_one(fam, d)
                a = 2 * k - 2 * ll
                m = float(d(*p).mean())
        except (ValueError, FloatingPointError, RuntimeError, OverflowError, ZeroDivisionError):
            a = ks_f = m = math.nan
        if fam != "exponential" and not (math.isfinite(a) and math.isfinite(m) and m > 0):
            failed.append(fam)
            continue
        aic[fam], ks[fam], means[fam] = a, ks_f, m
        params[fam] = tuple(float(v) for v in p)
    return aic, ks, params, means, failed, min(aic, key=aic.get)


def fit_duration(values, max_n: int = 100_000, seed: int = 0) -> DurationFit:
    """The four families fitted to uncensored durations (seconds) by maximum likelihood, location 0."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    positive = x[x > 0]
    if len(positive) < 2:
        raise FitError([f"needs at least 2 positive durations (got {len(positive)})"])
    xs = _subset(positive, max_n, np.random.default_rng(seed))
    def fit_one(fam, d):
        p = _weibull_mle(xs) if fam == "weibull" else d.fit(xs, floc=0)
        return p, float(np.sum(d.logpdf(xs, *p))), float(stats.kstest(xs, d(*p).cdf).statistic)

    aic, ks, params, means, failed, best = compare_families(fit_one)
    f = _scipy_family(best)(*params[best])
    return DurationFit(best, float(f.mean()), float(f.std() / f.mean()), len(x), len(x), len(xs), aic, ks, params,
                       means, dropped_zero=int(len(x) - len(positive)), failed=tuple(failed))


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
    def fit_one(fam, d):
        p = _censored_mle(fam, ev_s, ce_s)
        ll = float(np.sum(d.logpdf(ev_s, *p)) + np.sum(d.logsf(ce_s, *p)))
        return p, ll, float(np.max(np.abs(d.sf(grid, *p) - km_sf))) if len(grid) else math.nan

    aic, ks, params, means, failed, best = compare_families(fit_one)
    f = _scipy_family(best)(*params[best])
    fit = DurationFit(best, float(f.mean()), float(f.std() / f.mean()), n, len(ev), len(ev_s) + len(ce_s), aic, ks,
                      params, means, failed=tuple(failed))
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

    with quiet_numerics():
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
        v = float(grad @ cov @ grad)
    return float(math.sqrt(max(v, 0.0))) if math.isfinite(v) else math.nan
