"""A forecast's predictive distribution of a day's first calls, as the simulation draws it.

The simulation draws a day's expected first calls as ``mean x F`` with F gamma-distributed
(mean 1, coefficient of variation ``cv``), then the calls themselves as Poisson around that:
the day's count is negative binomial (a Poisson-gamma mixture) with mean ``mean`` and variance
``mean + cv^2 mean^2``. :func:`fit_cv` chooses ``cv`` so that this count's quantiles reproduce
the forecast's prediction intervals (their 10/90% and 2.5/97.5% points) as closely as least
squares on the quantiles divided by the mean allows; the mean is reproduced exactly.
The count's quantiles are computed with a gamma of the same mean and variance (the negative
binomial's continuous twin: within 1% of its quantiles from a mean of about 50 calls a day).
An interval narrower than Poisson noise alone gives ``cv = 0`` (Poisson only).
"""

from __future__ import annotations

import math

import numpy as np

# the probabilities of the quantiles a forecast's 80% and 95% intervals give
LEVELS = (0.025, 0.10, 0.90, 0.975)
MAX_CV = 3.0


def count_quantiles(mean: float, cv: float, probs=LEVELS) -> np.ndarray:
    """Quantiles of the day's count (negative binomial with mean ``mean`` and variance
    ``mean + cv^2 mean^2``) at ``probs``, by its gamma twin of the same mean and variance."""
    from scipy.stats import gamma

    p = np.asarray(probs, dtype=float)
    if mean <= 0:
        return np.zeros_like(p)
    var = mean + cv * cv * mean * mean
    shape = mean * mean / var
    return gamma.ppf(p, shape, scale=var / mean)


def fit_cv(mean: float, quantiles, probs=LEVELS) -> tuple[float, float]:
    """(cv, error): the cv whose count quantiles come closest to ``quantiles`` (at ``probs``),
    and the largest difference left, as a share of the mean (0 for a mean of 0)."""
    from scipy.optimize import minimize_scalar

    q = np.asarray(quantiles, dtype=float)
    if mean <= 0:
        return 0.0, 0.0
    scale = max(mean, 1.0)

    def loss(cv: float) -> float:
        return float(np.sum(((count_quantiles(mean, cv, probs) - q) / scale) ** 2))

    best = minimize_scalar(loss, bounds=(0.0, MAX_CV), method="bounded", options={"xatol": 1e-6})
    cv = float(best.x)
    if loss(0.0) <= best.fun:  # the boundary: an interval no wider than Poisson noise
        cv = 0.0
    err = float(np.max(np.abs(count_quantiles(mean, cv, probs) - q)) / scale)
    return cv, err


def draw_factors(rng: np.random.Generator, cvs: np.ndarray) -> np.ndarray:
    """One gamma factor (mean 1, coefficient of variation ``cvs[k]``) per element; 1 where the cv
    is 0. Draws one gamma variate per element with a positive cv, in order."""
    cvs = np.asarray(cvs, dtype=float)
    out = np.ones(len(cvs))
    pos = cvs > 0
    if pos.any():
        c2 = cvs[pos] ** 2
        out[pos] = rng.gamma(1.0 / c2, c2)
    return out


def gamma_interval(mean: float, var_rate: float, probs=LEVELS) -> np.ndarray:
    """Quantiles of a count with mean ``mean`` whose rate has variance ``var_rate`` (Poisson
    noise added), at ``probs``: a sum of independent per-type counts is shown this way."""
    if mean <= 0:
        return np.zeros(len(probs))
    return count_quantiles(mean, math.sqrt(max(var_rate, 0.0)) / mean, probs)
