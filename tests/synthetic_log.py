"""A synthetic call log with known parameters, built with numpy alone (no queueing model):
the canonical frame of calllog.read_log, for the estimators' tests and the fit benchmark.

Waits are drawn independently of everything (exponential, mean ``wait_mean_s``); a caller
abandons when their patience is shorter than their wait. Redials follow a call that was not
answered after an exponential delay counted in opening time; repeat calls follow an answered
unresolved call (probability (1 - resolved) x repeat_probability) after a delay in opening
time too. Vectorised by generation of follow-ups (a handful of passes), never per call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

OPEN_S, CLOSE_S = 9 * 3600, 17 * 3600
DAY_OPEN_S = CLOSE_S - OPEN_S


@dataclass
class Truth:
    days: int = 35  # calendar days from start (a Monday); Mon-Fri open 09:00-17:00
    start: dt.date = dt.date(2026, 3, 2)
    daily_calls: float = 1000.0
    weekday_factor: tuple = (1.2, 1.05, 0.97, 0.93, 0.85)
    day_cv: float = 0.10
    profile: np.ndarray = field(default_factory=lambda: np.array(
        [.070, .078, .082, .082, .078, .070, .060, .058, .064, .066, .062, .057, .050, .045, .040, .038]))
    types: tuple = ("pensions", "family")
    shares: tuple = (0.6, 0.4)
    talk_mean_s: tuple = (330.0, 420.0)
    talk_cv: float = 1.0
    acw_mean_s: float = 60.0
    acw_cv: float = 0.6
    resolved: tuple = (0.78, 0.65)
    patience_mean_s: float = 240.0
    patience_cv: float = 1.0
    wait_mean_s: float = 60.0
    redial_probability: float = 0.6
    redial_delay_s: float = 600.0
    repeat_probability: float = 0.7
    repeat_delay_open_s: float = 14400.0  # mean repeat delay in opening-time seconds
    tz: str = "Europe/Tallinn"
    with_wrap_up: bool = True


def _lognormal(rng, mean, cv, n):
    s2 = np.log1p(cv**2)
    return rng.lognormal(np.log(mean) - s2 / 2, np.sqrt(s2), n)


def make_log(t: Truth = Truth(), seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = [t.start + dt.timedelta(days=i) for i in range(t.days)]
    open_dates = [d for d in dates if d.weekday() < 5]
    n_open = len(open_dates)
    wf = np.array([t.weekday_factor[d.weekday()] for d in open_dates])
    g = rng.gamma(1 / t.day_cv**2, t.day_cv**2, n_open) if t.day_cv > 0 else np.ones(n_open)
    counts = rng.poisson(t.daily_calls * wf * g)
    day = np.repeat(np.arange(n_open), counts)
    n_slots = len(t.profile)
    slot = rng.choice(n_slots, size=len(day), p=t.profile / t.profile.sum())
    clock = day * DAY_OPEN_S + (slot + rng.random(len(day))) * (DAY_OPEN_S / n_slots)  # opening-time seconds
    typ = rng.choice(len(t.types), size=len(day), p=np.array(t.shares))
    caller = np.arange(len(day), dtype=np.int64)
    rows = []
    end_clock = n_open * DAY_OPEN_S
    while len(clock):
        n = len(clock)
        wait = rng.exponential(t.wait_mean_s, n)
        patience = _lognormal(rng, t.patience_mean_s, t.patience_cv, n)
        answered = patience >= wait
        talk = _lognormal(rng, np.array(t.talk_mean_s)[typ], t.talk_cv, n)
        acw = _lognormal(rng, t.acw_mean_s, t.acw_cv, n)
        rows.append(pd.DataFrame({"caller": caller, "type": typ, "clock": clock, "wait": np.where(answered, wait, patience),
                                  "answered": answered, "talk": np.where(answered, talk, np.nan),
                                  "acw": np.where(answered, acw, np.nan)}))
        u = rng.random((n, 3))
        redial = ~answered & (u[:, 0] < t.redial_probability)
        repeat = answered & (u[:, 1] >= np.array(t.resolved)[typ]) & (u[:, 2] < t.repeat_probability)
        done = clock + np.where(answered, wait + np.nan_to_num(talk) + np.nan_to_num(acw), patience)
        nxt = np.where(redial, done + rng.exponential(t.redial_delay_s, n),
                       done + rng.exponential(t.repeat_delay_open_s, n))
        keep = (redial | repeat) & (nxt < end_clock)
        # a follow-up's time of day must be open: the clock is opening time, so it is
        clock, typ, caller = nxt[keep], typ[keep], caller[keep]
        # the log is by arrival, the caller keeps the id
    f = pd.concat(rows, ignore_index=True)
    # opening-time clock -> local wall clock (a call's end may run past closing: its own clock)
    d = np.minimum((f["clock"].to_numpy() // DAY_OPEN_S).astype(int), n_open - 1)
    base = np.array([np.datetime64(x) for x in open_dates], dtype="datetime64[s]")[d]
    sec = OPEN_S + f["clock"].to_numpy() - d * DAY_OPEN_S
    arr = pd.DatetimeIndex(base + (sec * 1000).astype("int64").astype("timedelta64[ms]")).tz_localize(t.tz)
    wait = pd.to_timedelta(f["wait"].to_numpy(), unit="s")
    ans = f["answered"].to_numpy()
    answer = pd.Series(arr + wait).where(ans)
    end = pd.Series(arr + wait + pd.to_timedelta(np.nan_to_num(f["talk"].to_numpy()), unit="s"))
    abandon = pd.Series(arr + wait).where(~ans)
    out = pd.DataFrame({
        "call_id": np.arange(1, len(f) + 1),
        "caller": f["caller"].to_numpy().astype(np.uint64) * np.uint64(2654435761) % np.uint64(2**61 - 1),
        "call_type": np.array(t.types, dtype=object)[f["type"].to_numpy()],
        "language": "",
        "arrival": arr, "answer": answer.to_numpy(), "end": end.to_numpy(), "abandon": abandon.to_numpy(),
        "wrap_up_s": f["acw"].to_numpy() if t.with_wrap_up else np.nan,
        "agent_group": np.where(ans, "all", ""),
    })
    for c in ("answer", "end", "abandon"):
        out[c] = pd.Series(pd.DatetimeIndex(out[c])).dt.tz_convert(t.tz) if pd.DatetimeIndex(out[c]).tz else \
            pd.Series(pd.DatetimeIndex(out[c]).tz_localize("UTC").tz_convert(t.tz))
    return out.sort_values("arrival", kind="stable").reset_index(drop=True)
