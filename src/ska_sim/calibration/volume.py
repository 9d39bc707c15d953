"""The arrivals of a fitted scenario, from the first calls of a log: the volume per open day
(weekday means, ``weekday_factor``, day-to-day overdispersion net of Poisson noise, unusual
days flagged against their weekday's other days and left out of the means) and the profile per weekday and interval (optionally
smoothed or pooled, with a chi-square test of whether the weekdays' shapes differ)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.calibration.estimators import FitError
from ska_sim.calibration.prepare import DAY_S, FIRST, REPEAT, WEEKDAYS, Hours, Prepared
from ska_sim.scenario.clock import format_clock


def round_shares(v: np.ndarray, digits: int = 6) -> list[float]:
    """Shares rounded to ``digits`` that still sum to 1 (the rounding error goes to the largest)."""
    r = np.round(v / v.sum(), digits)
    r[int(np.argmax(r))] += round(1.0 - float(r.sum()), digits)
    return [float(round(x, digits)) for x in r]


def _smooth(shares: np.ndarray, k: int) -> np.ndarray:
    if k <= 1 or len(shares) < 3:
        return shares
    half = k // 2
    padded = np.pad(shares, half, mode="edge")
    out = np.convolve(padded, np.ones(k) / k, mode="valid")
    return out / out.sum()


def _leave_one_out(x: np.ndarray, ref: np.ndarray, wd: np.ndarray):
    """Per day: the median and the mean of the other days of its weekday in ``ref``, and c^2 by the
    method of moments net of Poisson noise (Var N = m + c^2 m^2, pooled over weekdays) over the days
    in ``ref`` but that day."""
    n = len(x)
    med, mean, c2 = np.zeros(n), np.zeros(n), np.zeros(n)
    k = np.zeros(7)
    s1, s2, term = np.zeros(7), np.zeros(7), np.zeros(7)
    for w in range(7):
        v = x[ref & (wd == w)]
        k[w], s1[w], s2[w] = len(v), v.sum(), (v**2).sum()
        if len(v) >= 2 and v.mean() > 0:
            term[w] = (v.var(ddof=1) - v.mean()) / v.mean() ** 2 * (len(v) - 1)
    for i in range(n):
        w = wd[i]
        mine = bool(ref[i])
        kw, a, b = k[w] - mine, s1[w] - x[i] * mine, s2[w] - x[i] ** 2 * mine
        others = x[ref & (wd == w) & (np.arange(n) != i)]
        med[i] = float(np.median(others)) if len(others) else 0.0
        mean[i] = a / kw if kw else 0.0
        t = (((b - a * a / kw) / (kw - 1) - mean[i]) / mean[i] ** 2 * (kw - 1)) if kw >= 2 and mean[i] > 0 else 0.0
        den = float(np.sum(np.maximum(k - 1, 0))) - (k[w] - 1 if k[w] >= 1 else 0) + max(kw - 1, 0)
        c2[i] = max(0.0, (term.sum() - term[w] + t) / den) if den > 0 else 0.0
    return med, mean, c2


def robust_z(checked, used, wd) -> tuple[np.ndarray, np.ndarray]:
    """Each day against the other days used (the day itself left out, so it cannot hide in its own
    reference): z from the median of its weekday's other days and z from their mean, both with
    Var = m + c^2 m^2 and c^2 of the other days. Returns (z from the median, z from the mean)."""
    x = np.asarray(checked, float)
    med, mean, c2 = _leave_one_out(x, used, wd)
    z_med = np.where(med > 0, (x - med) / np.sqrt(np.maximum(med + c2 * med**2, 1e-9)), 0.0)
    z_mean = np.where(mean > 0, (x - mean) / np.sqrt(np.maximum(mean + c2 * mean**2, 1e-9)), 0.0)
    return z_med, z_mean


def _moments(counts, ok, wd):
    """Weekday means of ``counts`` over the days ``ok`` and c^2 by the method of moments net of
    Poisson noise (Var N = m + c^2 m^2, pooled over weekdays)."""
    means = np.array([counts[ok & (wd == w)].mean() if (ok & (wd == w)).any() else 0.0 for w in range(7)])
    num, den = 0.0, 0.0
    for w in range(7):
        x = counts[ok & (wd == w)]
        if len(x) >= 2 and x.mean() > 0:
            num += (x.var(ddof=1) - x.mean()) / x.mean() ** 2 * (len(x) - 1)
            den += len(x) - 1
    return means, (max(0.0, num / den) if den else 0.0)


def _day_volumes(counts, checked, used, full, wd, unusual_z):
    """Unusual days: |z| > unusual_z both from the median and from the mean of the other days of
    the weekday (:func:`robust_z`); then, without them, the weekday means and c^2. Returns (means,
    c^2, each day's z from the median, unusual)."""
    z_med, z_mean = robust_z(checked, used, wd)
    unusual = full & (np.abs(z_med) > unusual_z) & (np.abs(z_mean) > unusual_z)  # lead-in days too: never in the means
    means, c2 = _moments(counts, used & ~unusual, wd)
    return means, c2, z_med, unusual


@dataclass
class Volume:
    """First calls per open day of the log and what the fit takes from them."""

    day_i: np.ndarray | None  # each call's day, counted from the log's first date
    dates: list[dt.date]
    wd: np.ndarray  # weekday of each date
    used: np.ndarray  # full ordinary days after the lead-in
    unusual: np.ndarray  # flagged days (|z| > unusual_z), left out of the means
    present: list[int]  # weekdays with a volume
    daily_calls: float
    day_cv: float
    weekday_factor: dict[str, float]
    n_used_days: int
    lead_days: int
    daily: pd.DataFrame  # date, weekday, first_calls, first_calls_checked, calls, expected, z, unusual, used, open


def volume(p: Prepared, kind: np.ndarray, hours: Hours, rep_delay: np.ndarray, unusual_z: float, source: str,
           est: dict, stretch_days: list[tuple[int, int]] | None = None) -> Volume:
    """First calls per open day: weekday means and factors, day_cv, unusual days, the lead-in days
    left out (their first calls include repeat calls of calls before the log, or before the gap
    that starts each stretch: ``stretch_days``, (first, last) day indices); ``est`` gets the estimates and
    their standard errors."""
    first = kind == FIRST
    day_i = p.arr_day - hours.first_day
    counts = np.bincount(day_i[first], minlength=hours.n_days)
    dates = [hours.date(i) for i in range(hours.n_days)]
    wd = np.array([d.weekday() for d in dates])
    open_day = hours.open_s >= 0
    full = np.array([open_day[i] and dates[i] not in hours.date_hours for i in range(hours.n_days)])
    # lead-in: first calls of the log's first days include repeat calls of calls before the log
    lead_days = 0
    bounds = stretch_days or [(0, hours.n_days - 1)]
    if len(rep_delay):  # at most half of the longest stretch's days beyond a week
        lead_days = int(math.ceil(np.quantile(rep_delay, 0.95) / DAY_S))
        longest = max(b - a + 1 for a, b in bounds)
        lead_days = min(lead_days, max(0, (longest - 7) // 2))
    day_n = np.arange(hours.n_days)
    starts = np.array(sorted(a for a, _ in bounds), dtype=np.int64)
    after_lead = day_n - starts[np.clip(np.searchsorted(starts, day_n, side="right") - 1, 0, None)] >= lead_days
    used = full & after_lead
    # on lead-in days, the repeat calls not recognised (their call was before the log) are estimated
    # from the share of repeat calls among all calls on the days used, and taken off for flagging
    all_counts = np.bincount(day_i, minlength=hours.n_days)
    rep_counts = np.bincount(day_i[kind == REPEAT], minlength=hours.n_days)
    r_ss = rep_counts[used].sum() / max(all_counts[used].sum(), 1)
    checked = np.where(after_lead, counts, np.maximum(counts - np.maximum(r_ss * all_counts - rep_counts, 0), 0))
    means, c2, z, unusual = _day_volumes(counts, checked, used, full, wd, unusual_z)
    day_cv = math.sqrt(c2)
    present = [w for w in range(7) if WEEKDAYS[w] in hours.weekday_hours and means[w] > 0]
    if not present:
        raise FitError([f"{source}: no full ordinary open day to estimate the volume from"])
    daily_calls = float(np.mean([means[w] for w in present]))
    weekday_factor = {WEEKDAYS[w]: round(float(means[w] / daily_calls), 4) for w in present}
    n_used_days = int((used & ~unusual).sum())
    daily = pd.DataFrame({
        "date": dates, "weekday": [WEEKDAYS[w] for w in wd], "first_calls": counts,
        "first_calls_checked": checked, "calls": all_counts, "expected": means[wd], "z": z,
        "unusual": unusual, "used": used & ~unusual, "open": open_day})
    est.update(daily_calls=daily_calls, day_cv=day_cv, weekday_factor=weekday_factor, days_used=n_used_days,
               lead_in_days=lead_days, unusual_days=[str(d) for d, u in zip(dates, unusual) if u])
    # day_cv's standard error (normal approximation for the variance of a mean-1 factor: rough)
    m_bar = daily_calls
    se_c2 = math.sqrt(2 / max(n_used_days - len(present), 1)) * (1 / m_bar + c2)
    est["day_cv_se"] = se_c2 / (2 * day_cv) if day_cv > 0 else math.nan
    # daily_calls' standard error: the mean of the weekday means, each with Var = (m + c^2 m^2) / days
    n_w = np.array([int(((used & ~unusual) & (wd == w)).sum()) for w in present])
    m_w = np.array([means[w] for w in present])
    est["daily_calls_se"] = float(math.sqrt(np.sum((m_w + c2 * m_w**2) / np.maximum(n_w, 1))) / len(present))
    return Volume(day_i, dates, wd, used, unusual, present, daily_calls, day_cv, weekday_factor, n_used_days,
                  lead_days, daily)


@dataclass
class Profile:
    """Shares of first calls per weekday and interval, as the scenario gets them and as a table."""

    shares: dict[str, list[float]]  # weekday (or "default" when pooled into one) -> shares per interval
    frame: pd.DataFrame  # weekday, slot, start, first_calls, share (fitted)
    chi: dict  # hours -> chi-square test of the weekdays with those hours
    groups: dict[tuple[int, int], list[int]]  # hours -> weekdays with them
    calls: int  # first calls the profile is estimated from


def profile(p: Prepared, first: np.ndarray, vol: Volume, hours: Hours, iv: int, smooth: str) -> Profile:
    """The profile from the first calls on full ordinary days (the days used, not unusual)."""
    day = np.clip(vol.day_i, 0, hours.n_days - 1)
    ok_call = first & vol.used[day] & ~vol.unusual[day]
    prof, profile_df, chi, groups = _profile_shares(p, ok_call, vol.wd[day], hours, vol.present, iv, smooth)
    return Profile(prof, profile_df, chi, groups, int(ok_call.sum()))


def _profile_shares(p: Prepared, ok_call, wd_call, hours: Hours, present: list[int], iv: int, smooth: str):
    """Shares of first calls per weekday and interval (the calls in ``ok_call``), smoothed or pooled,
    and a chi-square test per group of weekdays with the same hours: do their shapes differ?"""
    slot = (p.arr_sec // iv).astype(int)
    prof: dict[str, list[float]] = {}
    rows = []
    from scipy import stats

    groups: dict[tuple[int, int], list[int]] = {}
    for w in present:
        groups.setdefault(hours.weekday_hours[WEEKDAYS[w]], []).append(w)
    tables = {}
    for w in present:
        o_s, c_s = hours.weekday_hours[WEEKDAYS[w]]
        lo_slot, n_slots = o_s // iv, (c_s - o_s) // iv
        sel = ok_call & (wd_call == w)
        s_idx = slot[sel] - lo_slot
        s_idx = s_idx[(s_idx >= 0) & (s_idx < n_slots)]
        tables[w] = np.bincount(s_idx, minlength=n_slots).astype(float)
    chi = {}
    for hrs, ws in groups.items():
        if len(ws) >= 2:
            t = np.array([tables[w] for w in ws])
            t = t[:, t.sum(axis=0) > 0]
            if t.shape[1] >= 2:
                chi[hrs] = stats.chi2_contingency(t)
    for w in present:
        counts_w = tables[w]
        if smooth == "pool":
            counts_w = np.sum([tables[v] for v in groups[hours.weekday_hours[WEEKDAYS[w]]]], axis=0)
        shares = counts_w / counts_w.sum() if counts_w.sum() > 0 else np.full(len(counts_w), 1 / len(counts_w))
        if smooth not in ("none", "pool"):
            shares = _smooth(shares, int(smooth))
        prof[WEEKDAYS[w]] = round_shares(shares)
        o_s = hours.weekday_hours[WEEKDAYS[w]][0]
        for k, (c, s) in enumerate(zip(tables[w], prof[WEEKDAYS[w]])):
            rows.append((WEEKDAYS[w], k, format_clock(o_s + k * iv), int(c), s))
    profile_df = pd.DataFrame(rows, columns=["weekday", "slot", "start", "first_calls", "share"])
    if smooth == "pool":  # one vector per group of weekdays with the same hours
        uniq = {tuple(v) for v in prof.values()}
        if len(uniq) == 1:
            prof = {"default": next(iter(uniq))}
    return prof, profile_df, chi, groups
