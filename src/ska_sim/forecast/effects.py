"""The calendar as regressors: for every date, whether the line is closed and which calendar
effects apply (each a column of 0/1 values, or a share when an effect is split over days).

- closed: a weekday the line does not open (no calls on it in the history), or a public holiday
  of the country (``scenario/calendar.py``'s holidays); a closed date is forecast exactly 0;
- ``shortened``: a shortened working day (the day before New Year, Independence Day, Victory Day
  and Christmas Eve when it is a working day);
- ``payment``: pensions and benefits paid on the 5th. From 2025-01-01 a 5th on a closed day moves
  to the next two open days (each gets half the effect, as a share of 0.5); before 2025 to the
  open day before it;
- ``month_start``: the first open day of a month;
- ``after_holiday``: the first open day after a holiday that closed an open weekday;
- one column per user event (``event:NAME``): its open days from start to end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.scenario.calendar import country_holidays
from ska_sim.scenario.clock import WEEKDAYS

PAYMENT_DAY = 5
PAYMENT_RULE_2025 = dt.date(2025, 1, 1)  # from this date a closed 5th moves to the next two open days
LABELS = {
    "shortened": "shortened day",
    "payment": "payment day",
    "month_start": "first working day of the month",
    "after_holiday": "day after a holiday",
}


@dataclass(frozen=True)
class UserEvent:
    """A one-off event: its open days from ``start`` to ``end`` (inclusive) get ``factor``
    (given: applied as given; None: estimated from the history, which must cover it)."""

    name: str
    start: dt.date
    end: dt.date
    factor: float | None = None

    @property
    def column(self) -> str:
        return f"event:{self.name}"


@dataclass
class Calendar:
    """The dates' closed flags and effect columns, from ``first`` to ``last``."""

    frame: pd.DataFrame  # index: dates; columns: weekday, closed, holiday, then the effects
    effects: list[str]  # effect columns, in order
    events: list[UserEvent]

    def effects_text(self) -> list[str]:
        """Per date: the effects that apply, ';'-joined (the holiday's name on a closed holiday)."""
        f = self.frame
        out = []
        for i in range(len(f)):
            parts = [f["holiday"].iat[i]] if f["holiday"].iat[i] else []
            for c in self.effects:
                v = f[c].iat[i]
                if v > 0:
                    name = c[len("event:"):] if c.startswith("event:") else LABELS[c]
                    parts.append(name if v == 1 else f"{name} ({v:g} of its effect: moved over several days)")
            out.append(";".join(parts))
        return out


def build_calendar(first: dt.date, last: dt.date, open_weekdays: set[int], events: list[UserEvent] = (),
                   country: str = "EE") -> Calendar:
    """The calendar from ``first`` to ``last`` (with a margin scanned for moved days)."""
    lo, hi = first - dt.timedelta(days=40), last + dt.timedelta(days=40)
    public, half = country_holidays(country, tuple(range(lo.year, hi.year + 1)))
    dates = pd.date_range(lo, hi, freq="D").date
    n = len(dates)
    wd = np.array([d.weekday() for d in dates])
    holiday = np.array([public.get(d, "") for d in dates], dtype=object)
    closed = ~np.isin(wd, sorted(open_weekdays)) | (holiday != "")
    is_open = ~closed
    shortened = np.array([d in half for d in dates]) & is_open
    pos = {d: i for i, d in enumerate(dates)}
    open_idx = np.flatnonzero(is_open)
    payment = np.zeros(n)
    month_start = np.zeros(n)
    seen_months: set[tuple[int, int]] = set()
    for i in open_idx:
        key = (dates[i].year, dates[i].month)
        if key not in seen_months:
            seen_months.add(key)
            month_start[i] = 1.0
    for i, d in enumerate(dates):
        if d.day != PAYMENT_DAY:
            continue
        if is_open[i]:
            payment[i] = 1.0
            continue
        k = np.searchsorted(open_idx, i)
        if d >= PAYMENT_RULE_2025:
            for j in open_idx[k:k + 2]:
                payment[j] += 0.5
        elif k > 0:
            payment[open_idx[k - 1]] += 1.0
    after = np.zeros(n)
    for i in range(n):
        if holiday[i] and wd[i] in open_weekdays:
            k = np.searchsorted(open_idx, i)
            if k < len(open_idx):
                after[open_idx[k]] = 1.0
    cols = {"shortened": shortened.astype(float), "payment": payment, "month_start": month_start,
            "after_holiday": after}
    for ev in events:
        col = np.zeros(n)
        for d in pd.date_range(ev.start, ev.end, freq="D").date:
            if d in pos and is_open[pos[d]]:
                col[pos[d]] = 1.0
        cols[ev.column] = col
    frame = pd.DataFrame({"weekday": [WEEKDAYS[w] for w in wd], "closed": closed, "holiday": holiday, **cols},
                         index=pd.Index(dates, name="date"))
    frame = frame.loc[first:last]
    return Calendar(frame, list(cols), list(events))
