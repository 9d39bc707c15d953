"""A call log as the history of a forecast: first calls per date and call type, and the
intraday profile of the most recent weeks.

First calls as ``fit`` counts them: redials and repeat calls (the same caller within the
redial and repeat windows, not across a gap of the log) are left out; callbacks (placed by
agents) too. A date without any call in the log gets no row (the forecast takes it for a gap,
or for a closed day when its weekday or the calendar closes it); a date with calls has a row
for every call type (0 when that type had none).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.calibration.estimators import FitError
from ska_sim.calibration.prepare import DAY_S, FIRST, FitOptions, classify, infer_hours, prepare
from ska_sim.calibration.spans import stretch_of, stretches
from ska_sim.calibration.volume import round_shares
from ska_sim.scenario.clock import WEEKDAYS, format_clock

RECENT_WEEKS = 8
POOLED = "all"  # the profile's call_type for all types together


@dataclass
class DailyFirstCalls:
    rows: pd.DataFrame  # date, call_type, calls
    profile: pd.DataFrame  # call_type (POOLED: all types), weekday, start, calls, share
    first_calls: int
    calls: int
    profile_weeks: tuple[dt.date, dt.date]  # the dates the profile is counted over


def daily_first_calls(frame: pd.DataFrame, options: FitOptions = FitOptions(), recent_weeks: int = RECENT_WEEKS,
                      source: str = "log") -> DailyFirstCalls:
    """First calls per date and type of a canonical call-log frame, and the profile (first calls
    per weekday and interval of the weekday's usual hours) of its last ``recent_weeks`` weeks."""
    if "kind" in frame:
        frame = frame[~(frame["kind"].astype("string") == "callback").fillna(False).to_numpy(bool)]
    if len(frame) == 0:
        raise FitError([f"{source}: no calls"])
    p = prepare(frame, options.tz)
    iv = options.interval_min * 60
    hours = infer_hours(p, iv)
    kind = classify(p, hours, options.redial_window_min * 60, options.repeat_window_days * DAY_S)
    bounds = stretches(p.arr_day)
    if len(bounds) > 1:  # a caller's call after a gap of the log is a first call
        st = stretch_of(p.arr_day, bounds)
        across = np.zeros(len(kind), bool)
        across[1:] = (p.caller[1:] == p.caller[:-1]) & (st[1:] != st[:-1])
        kind[across] = FIRST
    first = kind == FIRST
    day_i = p.arr_day - hours.first_day
    n_types = len(p.type_names)
    counts = np.zeros((hours.n_days, n_types), np.int64)
    np.add.at(counts, (day_i[first], p.type_code[first]), 1)
    has_calls = np.bincount(day_i, minlength=hours.n_days) > 0
    rows = [(hours.date(i), p.type_names[k], int(counts[i, k])) for i in np.flatnonzero(has_calls)
            for k in range(n_types)]
    last = hours.date(hours.n_days - 1)
    since = last - dt.timedelta(days=7 * recent_weeks - 1)
    recent = first & (day_i >= (since - hours.date(0)).days)
    prof = _profile(p, recent, day_i, hours, iv)
    return DailyFirstCalls(pd.DataFrame(rows, columns=["date", "call_type", "calls"]), prof, int(first.sum()),
                           len(kind), (max(since, hours.date(0)), last))


def _profile(p, sel: np.ndarray, day_i: np.ndarray, hours, iv: int) -> pd.DataFrame:
    """Shares of the selected first calls per weekday and interval, per type and pooled."""
    wd = (np.asarray(day_i) + hours.first_day + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    slot = (p.arr_sec // iv).astype(int)
    out = []
    groups = [(POOLED, sel)] + [(name, sel & (p.type_code == k)) for k, name in enumerate(p.type_names)]
    for name, mask in groups:
        for w, wname in enumerate(WEEKDAYS):
            if wname not in hours.weekday_hours:
                continue
            o_s, c_s = hours.weekday_hours[wname]
            n_slots = (c_s - o_s) // iv
            s_idx = slot[mask & (wd == w)] - o_s // iv
            tab = np.bincount(s_idx[(s_idx >= 0) & (s_idx < n_slots)], minlength=n_slots).astype(float)
            if tab.sum() == 0:
                continue
            shares = round_shares(tab)
            for k in range(n_slots):
                out.append((name, wname, format_clock(o_s + k * iv), int(tab[k]), shares[k]))
    return pd.DataFrame(out, columns=["call_type", "weekday", "start", "calls", "share"])
