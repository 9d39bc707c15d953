"""Arrival profiles as expected first calls per interval and call type, for one weekday.

``arrivals.profile_unit`` says what the profiles hold:

- ``"shares"`` (the default): each profile holds shares of the day's calls per interval (summing
  to 1); the day's calls are ``daily_calls`` (x the factors), split between the call types by
  their ``share``. A type with its own profile (``call_types[].profile``) has its calls come as
  that profile says; the others as ``arrivals.profile`` says. Expected first calls of interval
  i: ``daily_calls x sum_k share_k x profile_k(i)``, of which type k has the part
  ``share_k x profile_k(i) / sum_j share_j x profile_j(i)``.
- ``"calls_per_hour"``: each profile holds calls per hour per interval, so the rates give the
  day's volume (``daily_calls`` is left out). Either ``arrivals.profile`` gives the calls of all
  types together (split by their ``share``), or every call type gives its own rates (then no
  ``share`` and no ``arrivals.profile``: a type's share is its part of a week of the rates).

The weekday factor, date factors, demand events, ``volume_scale`` and ``day_cv`` multiply these
calls in both units. When no type has its own profile, each interval's call types are drawn with
the same mix (``Scenario.type_shares``, ``Model.shares``) and :attr:`DayArrivals.mix` is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ska_sim.scenario.calls import profile_shares

if TYPE_CHECKING:
    from ska_sim.scenario.model import Scenario

RATES = "calls_per_hour"


@dataclass(frozen=True)
class DayArrivals:
    """One weekday's arrivals at factor 1: the expected first calls of interval i (of the
    weekday's usual hours) are ``base x calls[i]``; ``mix[i]`` is each call type's part of them
    (None: every interval has the mix ``Scenario.type_shares``)."""

    base: float  # daily_calls with shares; 1 with calls per hour
    calls: list[float]  # shares of the day (shares), or calls of the interval (calls per hour)
    mix: np.ndarray | None  # (intervals, call types), rows summing to 1


def own_profiles(s: Scenario) -> bool:
    """True when some call type has its own arrival profile."""
    return any(ct.profile is not None for ct in s.call_types)


def weekday_key(table: dict, wd: str) -> str | None:
    """The key of a profile table that holds weekday ``wd``: its own, else "default", else None."""
    return wd if wd in table else ("default" if "default" in table else None)


def day_arrivals(s: Scenario, wd: str, w: np.ndarray | None = None) -> DayArrivals:
    """Weekday ``wd``'s expected first calls per interval at factor 1, and the call-type mix of
    each interval (``w``: ``s.type_shares()``, given when the caller has it)."""
    arr = s.arrivals
    rates = arr.profile_unit == RATES
    base = 1.0 if rates else arr.daily_calls
    h = s.calendar.interval_min / 60
    if not own_profiles(s):
        key = weekday_key(arr.profile, wd)
        calls = [x * h for x in arr.profile[key]] if rates else arr.shares(key)
        return DayArrivals(base, calls, None)
    w = s.type_shares() if w is None else w
    common = arr.shares(weekday_key(arr.profile, wd)) if arr.profile is not None and not rates else None
    rows = []
    for ct in s.call_types:
        if ct.profile is None:
            rows.append(common)
            continue
        own = ct.profile[weekday_key(ct.profile, wd)]
        rows.append([x * h for x in own] if rates else profile_shares(own))
    values = np.array(rows, dtype=float).T  # (intervals, types)
    if rates:  # each type's own calls: their sum, and each type's part of it
        calls = values.sum(axis=1)
        mix = np.divide(values, calls[:, None], out=np.tile(w, (len(calls), 1)), where=calls[:, None] > 0)
        return DayArrivals(base, calls.tolist(), mix)
    weighted = values * w[None, :]
    total = weighted.sum(axis=1)
    same = (values == values[:, :1]).all(axis=1)  # every type alike in the interval: today's mix, exactly
    calls = np.where(same, values[:, 0], total)
    mix = np.divide(weighted, total[:, None], out=np.tile(w, (len(total), 1)), where=total[:, None] > 0)
    mix[same] = w
    return DayArrivals(base, calls.tolist(), mix)


def day_calls(s: Scenario, wd: str) -> float:
    """First calls of a ``wd`` at factor 1 (before the weekday factor): ``daily_calls``, or what
    the profiles' calls per hour sum to (0 where a profile or the key is missing)."""
    arr = s.arrivals
    if arr.profile_unit != RATES:
        return arr.daily_calls or 0.0
    h = s.calendar.interval_min / 60
    tables = [ct.profile for ct in s.call_types if ct.profile is not None] or [arr.profile or {}]
    return sum(sum(t[key]) * h for t in tables if (key := weekday_key(t, wd)) is not None)
