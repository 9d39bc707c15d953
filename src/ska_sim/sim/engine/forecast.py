"""The forecast's uncertainty in a replication (``[arrivals.forecast]``, scenario/forecast.py):
per simulated day, the call-type shares the forecast gives and the cv of each type's gamma
volume factor. On such a day the loop draws the factors from the date's ``forecast`` stream
instead of the ``day_cv`` factor: the day's expected first calls are multiplied by the
shares' weighted sum of the factors, and the day's type shares follow the factors drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ska_sim.maths.predictive import draw_factors
from ska_sim.scenario.forecast import forecast_days
from ska_sim.scenario.intervals import Timeline


@dataclass(frozen=True)
class ForecastDraws:
    given: np.ndarray  # bool per simulated day: the forecast gives it
    shares: np.ndarray  # (days, call types): the day's type shares (the scenario's where the forecast has none)
    cvs: np.ndarray  # (days, factors): per type, or one factor in column 0 (the others 0) for every type together
    per_type: np.ndarray  # bool per day: one factor per call type

    def draw(self, rng: np.random.Generator, day: int) -> tuple[float, np.ndarray]:
        """(volume factor, type shares) of ``day`` for one replication."""
        shares = self.shares[day]
        if not self.per_type[day]:
            return float(draw_factors(rng, self.cvs[day, :1])[0]), shares
        w = shares * draw_factors(rng, self.cvs[day])
        total = float(w.sum())
        return total, (w / total if total > 0 else shares)


def forecast_draws(s, tl: Timeline, shares: np.ndarray) -> ForecastDraws | None:
    """The days the forecast gives, on ``tl``; None for a scenario without [arrivals.forecast]."""
    days = forecast_days(s)
    if not days:
        return None
    n, k = tl.n_days, len(shares)
    given = np.zeros(n, bool)
    day_shares = np.tile(shares, (n, 1))
    cvs = np.zeros((n, k))
    per_type = np.zeros(n, bool)
    for d, date in enumerate(tl.dates):
        f = days.get(date)
        if f is None:
            continue
        given[d] = True
        if f.shares is not None:
            day_shares[d] = f.shares
        per_type[d] = len(f.cvs) > 1
        cvs[d, : len(f.cvs)] = f.cvs
    return ForecastDraws(given, day_shares, cvs, per_type)
