"""Duration distributions built from a mean and a coefficient of variation.

Every family is an object with ``mean``, ``variance``, ``cv`` and ``sample(rng, size)``
(vectorised, from a numpy ``Generator``), so that the simulator and the Erlang formulas
read the same mean handle time. All durations are in seconds.

Families and how mean + cv map to their parameters:

==============  ===============================================================
exponential     rate 1/mean; cv is 1 by definition
lognormal       sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2
gamma           shape 1/cv^2, scale mean * cv^2
weibull         shape k solves Gamma(1+2/k)/Gamma(1+1/k)^2 - 1 = cv^2 (brentq),
                scale mean / Gamma(1+1/k)
deterministic   always the mean (cv 0)
empirical       resampled uniformly from the given values
uniform         between ``low`` and ``high``: mean (low + high) / 2, sd (high - low) / sqrt(12)
triangular      from ``low`` to ``high`` with its peak at ``mode``: mean (low + mode + high) / 3,
                variance (low^2 + mode^2 + high^2 - low mode - low high - mode high) / 18
==============  ===============================================================

A lognormal, gamma or weibull with cv 0 is the deterministic duration.

**Shifted.** An exponential, lognormal, gamma or weibull with ``low`` > 0 never lasts less than
``low`` (a call of at least 20 s): the duration is ``low`` + X, where ``mean`` and ``cv`` are
the whole duration's (the mean handle time a planner knows) and X has mean ``mean - low`` and
the same standard deviation (so X's cv is cv x mean / (mean - low); an exponential X keeps cv 1,
and the whole duration's cv is then (mean - low) / mean).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

FAMILIES = ("exponential", "lognormal", "gamma", "weibull", "deterministic", "empirical", "uniform", "triangular")
SHIFTABLE = ("exponential", "lognormal", "gamma", "weibull")  # families that take a minimum ``low``


@dataclass(frozen=True)
class Duration:
    """A non-negative duration in seconds (see the module docstring for the families)."""

    family: str
    mean: float
    cv: float = 1.0
    values: tuple[float, ...] = field(default=(), repr=False)
    low: float = 0.0  # uniform, triangular: the minimum; the other families: the shift (the minimum)
    high: float = 0.0  # uniform, triangular: the maximum
    mode: float = 0.0  # triangular: the peak

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown distribution family {self.family!r}; one of {', '.join(FAMILIES)}")
        if self.family == "empirical":
            if not self.values:
                raise ValueError("empirical distribution needs at least one value")
            arr = np.asarray(self.values, dtype=float)
            object.__setattr__(self, "mean", float(arr.mean()))
            object.__setattr__(self, "cv", float(arr.std() / arr.mean()) if arr.mean() > 0 else 0.0)
        if self.family in ("uniform", "triangular"):
            self._bounded()
        elif self.low:
            self._shifted()
        if self.mean < 0 or self.cv < 0:
            raise ValueError("mean and cv must be >= 0")
        if self.family == "exponential" and not self.low:
            object.__setattr__(self, "cv", 1.0)
        if self.family == "deterministic":
            object.__setattr__(self, "cv", 0.0)

    def _bounded(self) -> None:
        """Uniform and triangular: mean and cv from low, (mode,) high."""
        a, b = self.low, self.high
        c = self.mode if self.family == "triangular" else None
        if not 0 <= a < b:
            raise ValueError(f"{self.family} needs 0 <= min < max (got {a:g}, {b:g})")
        if c is not None and not a <= c <= b:
            raise ValueError(f"triangular needs min <= mode <= max (got {a:g}, {c:g}, {b:g})")
        if c is None:
            mean, var = (a + b) / 2, (b - a) ** 2 / 12
        else:
            mean, var = (a + b + c) / 3, (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "cv", math.sqrt(var) / mean if mean > 0 else 0.0)

    def _shifted(self) -> None:
        if self.family not in SHIFTABLE:
            raise ValueError(f"a minimum is for {', '.join(SHIFTABLE)}, not {self.family}")
        if not 0 < self.low < self.mean:
            raise ValueError(f"the minimum must be above 0 and below the mean (got {self.low:g} and {self.mean:g})")
        if self.family == "exponential":  # X is exponential: the whole duration's sd is X's mean
            object.__setattr__(self, "cv", (self.mean - self.low) / self.mean)

    def excess(self) -> Duration:
        """X of a shifted duration (``low`` + X): mean ``mean - low``, the same standard deviation."""
        m = self.mean - self.low
        cv = 1.0 if self.family == "exponential" else self.cv * self.mean / m
        return Duration(self.family, m, cv)

    @property
    def variance(self) -> float:
        return (self.cv * self.mean) ** 2

    @property
    def is_deterministic(self) -> bool:
        return self.cv == 0.0 or self.mean == 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent durations (float64 seconds)."""
        if self.family == "empirical":
            return rng.choice(np.asarray(self.values, dtype=float), size=size)
        if self.family == "uniform":
            return rng.uniform(self.low, self.high, size)
        if self.family == "triangular":
            return rng.triangular(self.low, self.mode, self.high, size)
        if self.is_deterministic:
            return np.full(size, float(self.mean))
        if self.low:
            return self.low + self.excess().sample(rng, size)
        if self.family == "exponential":
            return rng.exponential(self.mean, size)
        if self.family == "lognormal":
            s2 = math.log1p(self.cv**2)
            return rng.lognormal(math.log(self.mean) - s2 / 2, math.sqrt(s2), size)
        if self.family == "gamma":
            return rng.gamma(1.0 / self.cv**2, self.mean * self.cv**2, size)
        if self.family == "weibull":
            k = weibull_shape(self.cv)
            return rng.weibull(k, size) * (self.mean / math.gamma(1 + 1 / k))
        raise AssertionError(self.family)  # pragma: no cover


def weibull_shape(cv: float) -> float:
    """The Weibull shape k whose coefficient of variation is ``cv`` (cv > 0)."""
    from scipy.optimize import brentq

    def excess(k: float) -> float:
        g1 = math.lgamma(1 + 1 / k)
        g2 = math.lgamma(1 + 2 / k)
        return math.exp(g2 - 2 * g1) - 1 - cv**2

    return brentq(excess, 0.05, 500.0)


ZERO = Duration("deterministic", 0.0, 0.0)


class Stream:
    """Draws one value at a time from a duration, refilling a numpy batch as needed.

    The order of values depends only on the generator, so the n-th value drawn is the
    same whatever else the simulation does (the basis of common random numbers).
    """

    __slots__ = ("_dist", "_rng", "_batch", "_buf", "_i")

    def __init__(self, dist: Duration, rng: np.random.Generator, batch: int = 1024):
        self._dist, self._rng, self._batch = dist, rng, batch
        self._buf: list[float] = []
        self._i = 0

    def next(self) -> float:
        i = self._i
        if i >= len(self._buf):
            self._buf = self._dist.sample(self._rng, self._batch).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]
