"""The simulated days: which days are open, their opening hours, and per open interval the
expected first calls and the agents on the phones.

Time is seconds since midnight of the first simulated day (the first warm-up day).
Intervals are calendar-aligned: clock slot k of a day covers [k * interval_s, (k+1) * interval_s).
A date with its own hours (``calendar.date_hours``) keeps its weekday's profile shares and
staffing at the same clock times, unless ``staffing.dates`` gives that date's agents.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np

from ska_sim.scenario.block import Hours
from ska_sim.scenario.calendar import simulated_days
from ska_sim.scenario.clock import DAY_S, WEEKDAYS
from ska_sim.scenario.forecast import forecast_days
from ska_sim.scenario.intervals import Timeline
from ska_sim.scenario.profiles import RATES, DayArrivals, day_arrivals
from ska_sim.scenario.roster_agents import RosterModel, add_extra, build_roster_model, roster_timeline, with_extra

if TYPE_CHECKING:
    from ska_sim.scenario.model import Scenario




def build_timeline(s: Scenario) -> Timeline:
    cal, arr, staff = s.calendar, s.arrivals, s.staffing
    iv = cal.interval_s
    first = cal.start - dt.timedelta(days=cal.warmup_days)
    n_days = cal.warmup_days + cal.days
    dates = tuple(first + dt.timedelta(days=i) for i in range(n_days))
    resolved = simulated_days(s)  # calendar.py: closed dates, own hours, country rules, volume factors
    forecast = forecast_days(s)  # forecast.py: [arrivals.forecast]'s dates replace daily_calls x factors
    open_s = np.full(n_days, -1, dtype=np.int64)
    close_s = np.full(n_days, -1, dtype=np.int64)
    days, slots, expected, agents, group_agents, mixes = [], [], [], [], [], []
    weights = s.type_shares()
    by_weekday: dict[str, DayArrivals] = {}  # each weekday's profiles as expected calls and call-type mix
    for d, date in enumerate(dates):
        wd = WEEKDAYS[date.weekday()]
        usual = cal.hours.get(wd)
        day = resolved[d]
        if not day.is_open or usual is None:
            continue
        hours = Hours(open_s=day.open_s, close_s=day.close_s)
        open_s[d], close_s[d] = hours.open_s, hours.close_s
        if wd not in by_weekday:
            by_weekday[wd] = day_arrivals(s, wd, weights)
        arrivals = by_weekday[wd]
        profile = arrivals.calls  # shares of the day's calls (normalised when rounded), or calls at factor 1
        # (weekday vector, date vector) of [staffing], or of each group
        tables = [(staff.agents, staff.dates)] if not s.groups else [(g.agents, g.dates) for g in s.groups]
        vectors = [(a.get(wd, a.get("default")), dates.get(date)) for a, dates in tables]
        if date in forecast:  # the forecast's first calls, spread as the profile spreads a day's
            volume = forecast[date].mean * arr.volume_scale
            if arr.profile_unit == RATES:  # the profile is calls per interval, not shares
                volume /= float(np.sum(profile))
        else:
            volume = arrivals.base * arr.weekday_factor.get(wd, 1.0) * day.volume_factor * arr.volume_scale
        usual_first = usual.open_s // iv
        for k, slot in enumerate(range(hours.open_s // iv, hours.close_s // iv)):
            days.append(d)
            slots.append(slot)
            expected.append(volume * profile[slot - usual_first])
            if arrivals.mix is not None:
                mixes.append(arrivals.mix[slot - usual_first])
            per = [math.floor((own[k] if own is not None else base[slot - usual_first]) * staff.scale + 0.5)
                   for base, own in vectors]
            agents.append(sum(per))
            group_agents.append(per)
    iv_day = np.asarray(days, dtype=np.int64)
    iv_slot = np.asarray(slots, dtype=np.int64)
    tl = Timeline(
        interval_s=iv,
        dates=dates,
        measured=np.arange(n_days) >= cal.warmup_days,
        open_s=open_s,
        close_s=close_s,
        iv_day=iv_day,
        iv_slot=iv_slot,
        iv_start_s=(iv_day * DAY_S + iv_slot * iv).astype(float),
        iv_expected=np.asarray(expected, dtype=float),
        iv_agents=np.asarray(agents, dtype=np.int64),
        iv_group_agents=np.asarray(group_agents, dtype=np.int64).reshape(len(agents), len(s.groups)) if s.groups else None,
        iv_type_mix=np.asarray(mixes, dtype=float).reshape(len(agents), len(weights)) if mixes else None,
    )
    if s.roster is not None and s.roster.plan is not None:  # a roster's people set the agents of its days
        tl = roster_timeline(s, tl)
    return tl


def roster_model(s: Scenario) -> RosterModel:
    """What a replication of a rostered scenario needs to draw absences and put the roster's
    agents on the phones (roster_agents.py), on the scenario's timeline."""
    plain = with_extra(s, None) if s.roster.extra is not None else s  # the extra is added once, here
    return add_extra(s, build_roster_model(plain, build_timeline(plain)))


