"""A synthetic daily history of SKA's info line, for tests, the benchmark and examples: a slow
downward trend (self-service), the seasons (summer low; January and September high), the
weekday, Estonian public holidays (closed) and shortened days, payment days with their rules,
first working days of a month, days after a holiday, a letter campaign, and overdispersed
noise (a gamma day factor with cv ``day_cv`` times Poisson)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ska_sim.forecast.effects import UserEvent, build_calendar

WEEKDAY_FACTOR = (1.25, 1.1, 1.0, 0.95, 0.8)  # Monday to Friday
# month factors at mid-month (interpolated over the days of the year)
MONTH_FACTOR = (1.15, 1.05, 1.0, 0.98, 0.95, 0.85, 0.78, 0.88, 1.12, 1.05, 1.0, 0.92)
EFFECTS = {"shortened": 0.8, "payment": 1.3, "month_start": 1.15, "after_holiday": 1.2}
CAMPAIGN = UserEvent("letter campaign", dt.date(2025, 3, 10), dt.date(2025, 3, 21), 1.4)


def season(dates) -> np.ndarray:
    """The month factors interpolated to each date's day of the year (periodic)."""
    doy = np.array([d.timetuple().tm_yday for d in dates], float)
    mid = np.array([15.0 + 30.4 * m for m in range(12)])
    xs = np.concatenate([mid - 365.25, mid, mid + 365.25])
    ys = np.tile(MONTH_FACTOR, 3)
    return np.interp(doy, xs, ys)


def expected_calls(first: dt.date, last: dt.date, daily_calls: float = 1500.0, trend_per_year: float = -0.05,
                   events: list[UserEvent] = (CAMPAIGN,), weekly_only: bool = False) -> pd.Series:
    """Expected first calls per date (0 when closed). ``weekly_only``: the weekday pattern alone."""
    cal = build_calendar(first, last, set(range(5)), list(events))
    f = cal.frame
    dates = list(f.index)
    wd = np.array([d.weekday() for d in dates])
    mean = daily_calls * np.array([WEEKDAY_FACTOR[w] if w < 5 else 0.0 for w in wd])
    if not weekly_only:
        years = np.array([(d - first).days for d in dates]) / 365.25
        mean = mean * (1 + trend_per_year) ** years * season(dates)
        for col, factor in EFFECTS.items():
            mean = mean * factor ** f[col].to_numpy()
        for ev in events:
            mean = mean * ev.factor ** f[ev.column].to_numpy()
    mean[f["closed"].to_numpy()] = 0.0
    return pd.Series(mean, index=pd.Index(dates, name="date"))


def ska_history(first: dt.date = dt.date(2022, 1, 3), last: dt.date = dt.date(2025, 12, 31),
                types: dict[str, float] | None = None, day_cv: float = 0.08, seed: int = 1,
                weekly_only: bool = False) -> pd.DataFrame:
    """Daily first calls (date, call_type, calls) of each type (name -> daily calls on an
    average day); closed days are rows with 0 calls."""
    types = types or {"info": 1500.0}
    rng = np.random.default_rng(seed)
    parts = []
    for name, daily in types.items():
        mean = expected_calls(first, last, daily, weekly_only=weekly_only)
        if day_cv > 0:
            lam = mean.to_numpy() * rng.gamma(1 / day_cv**2, day_cv**2, len(mean))
            calls = rng.poisson(lam)
        else:
            calls = np.round(mean.to_numpy()).astype(int)
        parts.append(pd.DataFrame({"date": mean.index, "call_type": name, "calls": calls}))
    return pd.concat(parts, ignore_index=True)
