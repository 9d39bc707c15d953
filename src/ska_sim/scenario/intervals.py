"""The simulated days and open intervals as arrays (:class:`Timeline`); ``timeline.build_timeline``
makes one from a scenario."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from ska_sim.scenario.clock import DAY_S


class OpeningHours:
    """Moves a time into opening hours: the rule for redials and repeat calls.

    A time inside opening hours stays. A time in a closed gap (night, weekend, holiday) moves
    to the next open day, at the same fraction of that day's hours as it fell in the gap, so
    follow-ups do not all arrive at the stroke of opening. After the last open day: None.
    """

    __slots__ = ("opens", "closes")

    def __init__(self, opens: list[float], closes: list[float]):
        self.opens, self.closes = opens, closes

    def into(self, t: float) -> float | None:
        opens, closes = self.opens, self.closes
        i = bisect_right(opens, t) - 1  # (imported at the top: an import here costs 0.6 us a call)
        if i >= 0 and t < closes[i]:
            return t
        if i + 1 >= len(opens):
            return None
        gap_start = closes[i] if i >= 0 else 0.0
        frac = (t - gap_start) / (opens[i + 1] - gap_start)
        return opens[i + 1] + frac * (closes[i + 1] - opens[i + 1])


@dataclass(frozen=True)
class Timeline:
    """Arrays describing every simulated day and open interval, in time order."""

    interval_s: int
    dates: tuple[dt.date, ...]  # every simulated day, warm-up days first
    measured: np.ndarray  # bool per day: inside the measured window
    open_s: np.ndarray  # per day: opening time (s since the day's midnight); -1 when closed
    close_s: np.ndarray  # per day: closing time; -1 when closed
    iv_day: np.ndarray  # per open interval: index of its day
    iv_slot: np.ndarray  # per open interval: clock slot within the day
    iv_start_s: np.ndarray  # per open interval: start time (s since the first simulated day)
    iv_expected: np.ndarray  # per open interval: expected first calls (before the day factor)
    iv_agents: np.ndarray  # per open interval: agents on the phones (after staffing.scale; with groups their sum)
    iv_group_agents: np.ndarray | None = None  # (open intervals, groups): agents of each group, or None
    # (open intervals, call types): each type's part of the interval's expected first calls, when
    # call types have their own arrival profiles (scenario/profiles.py); None: every interval has Model.shares
    iv_type_mix: np.ndarray | None = None

    @property
    def n_days(self) -> int:
        return len(self.dates)

    @property
    def slots_per_day(self) -> int:
        return DAY_S // self.interval_s

    def iv_measured(self) -> np.ndarray:
        return self.measured[self.iv_day]

    def opening_hours(self) -> OpeningHours:
        open_days = np.flatnonzero(self.open_s >= 0)
        return OpeningHours(
            (open_days * DAY_S + self.open_s[open_days]).astype(float).tolist(),
            (open_days * DAY_S + self.close_s[open_days]).astype(float).tolist(),
        )

    def interval_at(self) -> np.ndarray:
        """Index of the open interval for each clock slot since the start (-1 where closed)."""
        out = np.full(self.n_days * self.slots_per_day, -1, dtype=np.int64)
        out[self.iv_day * self.slots_per_day + self.iv_slot] = np.arange(len(self.iv_day))
        return out

    def day_intervals(self, day: int) -> slice:
        idx = np.flatnonzero(self.iv_day == day)
        return slice(int(idx[0]), int(idx[-1]) + 1) if len(idx) else slice(0, 0)
