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
==============  ===============================================================

A lognormal, gamma or weibull with cv 0 is the deterministic duration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

FAMILIES = ("exponential", "lognormal", "gamma", "weibull", "deterministic", "empirical")


@dataclass(frozen=True)
class Duration:
    """A non-negative duration in seconds (see the module docstring for the families)."""

    family: str
    mean: float
    cv: float = 1.0
    values: tuple[float, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown distribution family {self.family!r}; one of {', '.join(FAMILIES)}")
        if self.family == "empirical":
            if not self.values:
                raise ValueError("empirical distribution needs at least one value")
            arr = np.asarray(self.values, dtype=float)
            object.__setattr__(self, "mean", float(arr.mean()))
            object.__setattr__(self, "cv", float(arr.std() / arr.mean()) if arr.mean() > 0 else 0.0)
        if self.mean < 0 or self.cv < 0:
            raise ValueError("mean and cv must be >= 0")
        if self.family == "exponential":
            object.__setattr__(self, "cv", 1.0)
        if self.family == "deterministic":
            object.__setattr__(self, "cv", 0.0)

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
        if self.is_deterministic:
            return np.full(size, float(self.mean))
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
