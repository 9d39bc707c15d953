"""A call log prepared for the fit (with the fit's options): per-call arrays sorted by caller and arrival
(:func:`prepare`), the opening hours inferred from the arrivals (:func:`infer_hours`), and each
call classified as a first call, a redial or a repeat call (:func:`classify`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.scenario.clock import DAY_S, WEEKDAYS


@dataclass(frozen=True)
class FitOptions:
    tz: str = "Europe/Tallinn"
    interval_min: int = 30
    smooth: str = "none"  # "none", "pool" (one profile for weekdays with the same hours), or an odd k
    acw_s: float | None = None  # after-call work per call when the log has no wrap-up column
    redial_window_min: float = 60.0  # minutes of opening time after a call that was not answered
    repeat_window_days: float = 14.0  # days after an answered call
    repeat_probability: float = 1.0  # the fixed factor of (1 - resolved) x repeat.probability
    unusual_z: float = 3.0
    max_fit_sample: int = 100_000  # calls per maximum-likelihood fit (a seeded random subset above it)
    seed: int = 0


def _local(ts: pd.Series, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """(local day number since 1970, seconds since local midnight) of tz-aware timestamps; NaT -> -1 / nan."""
    s = ts.dt.tz_convert(tz).dt.tz_localize(None) if ts.dt.tz is not None else ts
    ns = s.to_numpy(dtype="datetime64[ns]").astype("int64")
    nat = s.isna().to_numpy()
    day = np.where(nat, -1, ns // (DAY_S * 10**9))
    sec = np.where(nat, np.nan, (ns - day * DAY_S * 10**9) / 1e9)
    return day, sec


def _seconds(a: pd.Series) -> np.ndarray:
    """Timestamps as float seconds since 1970 UTC (nan for NaT)."""
    v = a.dt.tz_convert("UTC").dt.tz_localize(None) if a.dt.tz is not None else a
    ns = v.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
    ns[v.isna().to_numpy()] = np.nan
    return ns / 1e9


@dataclass
class Prepared:
    """Per call arrays (in the frame's row order after sorting by caller and arrival)."""

    caller: np.ndarray
    type_code: np.ndarray  # index into type_names
    type_names: list[str]
    language: pd.Series | None  # text per call (None when the log has no languages)
    arr_t: np.ndarray  # s since 1970 UTC
    arr_day: np.ndarray  # local day number
    arr_sec: np.ndarray  # s since local midnight
    answered: np.ndarray
    abandoned: np.ndarray
    blocked: np.ndarray  # not answered, not abandoned, ended at arrival
    wait_s: np.ndarray
    talk_s: np.ndarray
    wrap_up_s: np.ndarray
    free_t: np.ndarray  # when the caller is done: talk end + wrap-up if answered, else hang-up (s since 1970)
    free_day: np.ndarray
    free_sec: np.ndarray
    agent_id: np.ndarray | None  # not filled by prepare (the fit does not use agent ids per call)


def prepare(frame: pd.DataFrame, tz: str) -> Prepared:
    # the rows sorted by caller, then arrival (stable; NaT last), taken one column at a time: a
    # sorted copy of the whole frame would cost its size again at the peak of a large log
    arr_key = frame["arrival"].array.asi8.copy()
    arr_key[frame["arrival"].isna().to_numpy()] = np.iinfo(np.int64).max
    order = np.lexsort((arr_key, frame["caller"].to_numpy()))
    del arr_key

    def col(name: str) -> pd.Series:
        return frame[name].iloc[order].reset_index(drop=True)

    arr_t, ans_t, end_t = _seconds(col("arrival")), _seconds(col("answer")), _seconds(col("end"))
    ab_t = _seconds(col("abandon")) if "abandon" in frame else np.full(len(frame), np.nan)
    answered = ~np.isnan(ans_t)
    abandoned = ~np.isnan(ab_t) & ~answered
    wait = np.where(answered, ans_t - arr_t, np.where(abandoned, ab_t - arr_t, end_t - arr_t))
    blocked = ~answered & ~abandoned & (wait <= 0)
    wrap = frame["wrap_up_s"].to_numpy(dtype=float)[order] if "wrap_up_s" in frame else np.full(len(frame), np.nan)
    free = np.where(answered, end_t + np.nan_to_num(wrap), np.where(abandoned, ab_t, end_t))
    talk = np.where(answered, end_t - ans_t, np.nan)
    del ans_t, end_t, ab_t
    arr_day, arr_sec = _local(col("arrival"), tz)
    free_ts = pd.Series(pd.to_datetime(free, unit="s", utc=True))
    free_day, free_sec = _local(free_ts, tz)
    del free_ts
    lang = None
    if "language" in frame:
        lv = col("language").astype("string").fillna("")
        if (lv != "").any():
            lang = lv  # kept as (Arrow) text: a million Python strings would cost ~60 MB
    # agent ids are not used by the fit (agents per interval come from calllog.agents_per_interval)
    ct = col("call_type").astype("string").fillna("calls") if "call_type" in frame else pd.Series(["calls"] * len(frame))
    codes, names = pd.factorize(ct, sort=True)
    del ct
    return Prepared(frame["caller"].to_numpy()[order], codes.astype(np.int32), [str(n) for n in names], lang, arr_t,
                    arr_day, arr_sec, answered, abandoned, blocked, wait, talk, wrap, free, free_day, free_sec, None)


# --------------------------------------------------------------------------- opening hours
@dataclass
class Hours:
    """Opening hours inferred from the arrivals: per weekday the usual hours, per date its own."""

    first_day: int  # local day number of the log's first date
    open_s: np.ndarray  # per date of the span: opening (s since midnight), -1 when closed
    close_s: np.ndarray
    weekday_hours: dict[str, tuple[int, int]]
    date_hours: dict[dt.date, tuple[int, int]]
    closed: list[dt.date]

    @property
    def n_days(self) -> int:
        return len(self.open_s)

    def date(self, i: int) -> dt.date:
        return dt.date(1970, 1, 1) + dt.timedelta(days=int(self.first_day + i))

    def open_clock(self, day: np.ndarray, sec: np.ndarray) -> np.ndarray:
        """Seconds of opening time since the log's first opening (a call's position on the open-hours clock)."""
        length = np.where(self.open_s >= 0, self.close_s - self.open_s, 0).astype(float)
        before = np.concatenate([[0.0], np.cumsum(length)])
        i = np.clip(day - self.first_day, 0, self.n_days - 1)
        inside = np.clip(sec - self.open_s[i], 0, length[i])
        out = before[i] + inside
        out = np.where(day - self.first_day >= self.n_days, before[-1] + 1e12, out)  # after the log: far away
        return out


def infer_hours(p: Prepared, interval_s: int) -> Hours:
    first, last = int(p.arr_day.min()), int(p.arr_day.max())
    n = last - first + 1
    idx = p.arr_day - first
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, idx, p.arr_sec)
    np.maximum.at(hi, idx, p.arr_sec)
    seen = np.isfinite(lo)
    open_s = np.where(seen, np.floor(np.where(seen, lo, 0) / interval_s) * interval_s, -1).astype(np.int64)
    close_s = np.where(seen, np.floor(np.where(seen, hi, 0) / interval_s + 1) * interval_s, -1).astype(np.int64)
    close_s = np.minimum(close_s, DAY_S)
    dates = [dt.date(1970, 1, 1) + dt.timedelta(days=first + i) for i in range(n)]
    wd = np.array([d.weekday() for d in dates])
    weekday_hours: dict[str, tuple[int, int]] = {}
    for w in range(7):
        sel = seen & (wd == w)
        if sel.any():
            pairs = pd.Series(list(zip(open_s[sel], close_s[sel])))
            o, c = pairs.value_counts().index[0]
            weekday_hours[WEEKDAYS[w]] = (int(o), int(c))
    date_hours, closed = {}, []
    for i, d in enumerate(dates):
        usual = weekday_hours.get(WEEKDAYS[d.weekday()])
        if usual is None:
            continue
        if not seen[i]:
            closed.append(d)
        elif (open_s[i], close_s[i]) != usual:
            o, c = max(int(open_s[i]), usual[0]), min(int(close_s[i]), usual[1])  # within the weekday's hours
            if c > o and (o, c) != usual:
                date_hours[d] = (o, c)
            open_s[i], close_s[i] = (o, c) if c > o else usual
    return Hours(first, open_s, close_s, weekday_hours, date_hours, closed)


# --------------------------------------------------------------------------- follow-ups
FIRST, REDIAL, REPEAT = 0, 1, 2


def classify(p: Prepared, hours: Hours, redial_window_s: float, repeat_window_s: float) -> np.ndarray:
    """First call, redial or repeat call, from the same caller's previous call (rows sorted by caller, arrival)."""
    same = np.zeros(len(p.caller), bool)
    same[1:] = p.caller[1:] == p.caller[:-1]
    prev = np.roll(np.arange(len(p.caller)), 1)
    clock_arr = hours.open_clock(p.arr_day, p.arr_sec)
    clock_free = hours.open_clock(p.free_day, p.free_sec)
    open_gap = clock_arr - clock_free[prev]
    wall_gap = p.arr_t - p.free_t[prev]
    prev_answered = p.answered[prev]
    kind = np.full(len(p.caller), FIRST, np.int8)
    kind[same & ~prev_answered & (open_gap <= redial_window_s)] = REDIAL
    kind[same & prev_answered & (wall_gap <= repeat_window_s)] = REPEAT
    return kind
