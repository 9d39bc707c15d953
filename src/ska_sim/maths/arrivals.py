"""Arrivals: the day-to-day volume factor and the arrival times of one day's first calls.

Within a day, first calls form a Poisson process whose rate is constant in each interval
(expected calls of the interval / interval length). The day's volume is multiplied by a
gamma factor with mean 1 and coefficient of variation ``day_cv``, which makes daily
volumes vary more than Poisson alone would (overdispersion; Jongbloed & Koole 2001).
"""

from __future__ import annotations

import numpy as np


def day_factors(rng: np.random.Generator, n_days: int, cv: float) -> np.ndarray:
    """One volume factor per simulated day: gamma(shape 1/cv^2, scale cv^2), or 1 when cv = 0."""
    if cv <= 0:
        return np.ones(n_days)
    return rng.gamma(1.0 / cv**2, cv**2, n_days)


def arrival_times(
    rng: np.random.Generator, starts_s: np.ndarray, expected: np.ndarray, interval_s: float
) -> np.ndarray:
    """Sorted arrival times (s) of a Poisson process piecewise constant by interval.

    ``starts_s[k]`` is when interval k begins and ``expected[k]`` its expected number of
    calls; the count of each interval is Poisson and its calls are uniform within it.
    """
    counts = rng.poisson(expected)
    total = int(counts.sum())
    offsets = rng.random(total) * interval_s
    times = np.repeat(starts_s, counts) + offsets
    times.sort()
    return times


def types_by_interval(rng: np.random.Generator, mix: np.ndarray, interval: np.ndarray) -> np.ndarray:
    """The call type of each call, drawn from the mix of its interval: ``mix[k]`` holds the types'
    parts of interval k's calls and ``interval[i]`` is call i's interval (both within the day).

    One uniform per call, compared with the cumulative mix as ``rng.choice(n, size, p=mix[k])``
    does (``cdf = p.cumsum(); cdf /= cdf[-1]``, the count of cdf values <= u): a day whose every
    interval has the mix p draws exactly the types ``rng.choice(len(p), size, p=p)`` draws. A
    Poisson process whose calls are typed independently this way is the superposition of the
    types' own Poisson processes.
    """
    cdf = mix.cumsum(axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(interval))
    return (cdf[interval] <= u[:, None]).sum(axis=1)
