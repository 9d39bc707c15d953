"""Off-phone activities placed in a solved roster: each person's blocks (activities.py's
``activity_needs``), week by week, where the requirement has the most slack (intervals outside
opening hours first), as the integer program reserved the hours for them day by day."""

from __future__ import annotations

import math

import numpy as np

from ska_sim.scenario.model import Scenario
from ska_sim.scenario.roster import RosterDay, RosterPlan
from ska_sim.scenario.roster_agents import break_span, group_index, on_phone_shares
from ska_sim.scenario.timeline import Timeline

WEEKS_PER_MONTH = 52 / 12
ACTIVITY_STEP_S = 15 * 60  # activity blocks start on the quarter hour


def place_activities(plan: RosterPlan, needs: list, tl: Timeline, required_at_work: np.ndarray, s: Scenario) -> None:
    """Each person's activity blocks, week by week, where the requirement has the most slack."""
    iv_s = tl.interval_s
    day_of = {date: i for i, date in enumerate(tl.dates)}
    gnames = [g.name for g in s.groups]
    req_all = np.asarray(required_at_work, dtype=float).reshape(len(tl.iv_day), -1)
    # per date: interval starts and, per group, the slack at work (rostered - required)
    slack: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    for date in plan.dates:
        d = day_of.get(date)
        idx = np.flatnonzero(tl.iv_day == d) if d is not None else np.zeros(0, int)
        for g in range(req_all.shape[1]):
            slack[date, g] = (tl.iv_slot[idx] * iv_s, -req_all[idx, g].copy())
    for rd in plan.worked():
        starts, sl = slack[rd.date, group_index(rd, gnames)]
        sl += on_phone_shares(rd, starts, iv_s)
    unplaced = 0
    by_person: dict[str, list[RosterDay]] = {}
    for rd in plan.worked():
        by_person.setdefault(rd.person, []).append(rd)
    n_weeks = len(plan.dates) // 7
    order = {p: i for i, p in enumerate(plan.people)}
    for a in needs:
        per_week = a.hours_per_advisor_month / WEEKS_PER_MONTH * 60 / a.block_min
        for person, mine in by_person.items():
            # cumulative rounding with a phase per person: monthly and quarterly sittings spread
            # over the weeks instead of falling on everyone in the same week
            phase = (order[person] + 0.5) / len(plan.people)
            for w in range(n_weeks):
                week_days = [rd for rd in mine if (rd.date - plan.dates[0]).days // 7 == w]
                if not week_days:  # not at work that week: no sittings
                    continue
                for _ in range(math.floor((w + 1) * per_week + phase) - math.floor(w * per_week + phase)):
                    own = {rd.date: slack[rd.date, group_index(rd, gnames)] for rd in week_days}
                    if not (_place_block(a, week_days, own, iv_s, False) or _place_block(a, week_days, own, iv_s, True)):
                        unplaced += 1
    plan.info["activities_unplaced_blocks"] = unplaced


def _place_block(a, week_days: list[RosterDay], slack: dict, iv_s: int, span_break: bool) -> bool:
    """The block's best place in the week: where the intervals it covers keep the most slack.
    With ``span_break`` a block too long for a stretch between breaks may contain the unpaid
    break (a training day with its lunch): it then ends the break's length later. Candidates
    start on the quarter hour; ties go to the earliest day and time."""
    length = int(a.block_min * 60)
    best = None
    for rd in week_days:
        starts, sl = slack[rd.date]
        bs, be = break_span(rd)
        t = np.arange(rd.start_s, rd.end_s - length + 1, ACTIVITY_STEP_S, dtype=np.int64)
        if not len(t):
            continue
        end = t + length
        ok = np.ones(len(t), bool)
        if bs < be:
            touch = (t < be) & (bs < end)
            if span_break:
                ok &= ~touch | (t < bs)
                end = np.where(touch, end + (be - bs), end)
            else:
                ok &= ~touch
        ok &= end <= rd.end_s
        for _, b, e in rd.activities:
            ok &= ~((t < e) & (b < end))
        if not ok.any():
            continue
        t, end = t[ok], end[ok]
        lo, hi = starts[None, :], starts[None, :] + iv_s
        share = np.clip(np.minimum(hi, end[:, None]) - np.maximum(lo, t[:, None]), 0, None).astype(float)
        if bs < be:
            ib, ie = np.maximum(t, bs)[:, None], np.minimum(end, be)[:, None]
            share -= np.where(ie > ib, np.clip(np.minimum(hi, ie) - np.maximum(lo, ib), 0, None), 0)
        share /= iv_s
        score = np.where(share > 0, sl[None, :] - share, np.inf).min(axis=1) if len(starts) else np.full(len(t), np.inf)
        k = int(np.argmax(score))
        if best is None or score[k] > best[0]:
            best = (float(score[k]), rd, int(t[k]), int(end[k]), share[k])
    if best is None:
        return False
    _, rd, t0, end0, share = best
    rd.activities.append((a.name, t0, end0))
    rd.activities.sort(key=lambda x: x[1])
    slack[rd.date][1][:] -= share
    return True
