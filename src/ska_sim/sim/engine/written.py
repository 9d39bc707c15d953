"""Written work (``[[written]]``): items that arrive per day, wait in a FIFO backlog carried from
day to day, and are worked by agents taken off the phones for given hours (``dedicated``).

Built only when the scenario has the block. Per replication: :func:`phone_agents` takes each
kind's agents off the phones in its hours (the pool's, or the named group's; never more than
are on the phones, kinds in file order); after the calls' loop, :func:`work_written` draws
every date's items (the date's "written" stream: arrivals, then handling times, kind by
kind, so they depend on the seed, the replication and the date only) and serves them FIFO with
as many servers as were taken off in each interval; an item in hand when the hours end is
finished first. Callers sent to a written request (identity failures) join a kind with
``from_identity_failures`` at a uniform time within the interval their call arrived.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from ska_sim.maths.distributions import Duration
from ska_sim.scenario.calendar import WorkingCalendar, simulated_days
from ska_sim.scenario.clock import DAY_S, WEEKDAYS

# per kind and simulated day (WrittenCounts.days): the day's counts
DAY_FIELDS = ("received", "done", "due", "on_time", "backlog", "age_sum_s", "hours", "hours_blended")


@dataclass(frozen=True)
class WrittenKind:
    """One kind of written work as the engine reads it."""

    name: str
    day_items: np.ndarray  # per simulated day: expected items (0 when closed)
    from_identity: bool
    handling: Duration
    due_day: np.ndarray  # per simulated day: the day whose end (24:00) is an item's deadline
    backlog_due_day: int  # the deadline of the items waiting at the start
    backlog: int
    agents: int
    group: int  # column of the agents it takes (0: the single pool)
    iv_mask: np.ndarray  # per open interval: inside its dedicated hours
    reserve: int | None = None  # blended between calls (engine/blend.py) keeping this many agents free; None: dedicated
    activity: str | None = None  # dedicated: the roster's people in this off-phone activity's blocks (not taken off the phones)
    urgent_agents: int = 0  # deadline priority: up to this many agents take urgent items before calls (0: none)
    urgent_due: np.ndarray | None = None  # per simulated day: an item due by this time (s) is urgent that day


@dataclass(frozen=True)
class WrittenModel:
    kinds: tuple[WrittenKind, ...]
    taken: np.ndarray | None = None  # (kinds, open intervals) taken off the phones; None: per replication (a roster)


@dataclass
class WrittenCounts:
    """One replication's written work: per kind, (simulated days,) arrays of DAY_FIELDS, and the
    ages at completion (s) of the items done in the measured window."""

    days: dict[str, dict[str, np.ndarray]]
    ages: dict[str, np.ndarray]
    age_days: dict[str, np.ndarray]  # the simulated day (index) each of ``ages`` was done on


def phone_agents(model: WrittenModel, agents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(agents left on the phones, taken per kind (kinds, open intervals)). ``agents`` is
    (intervals,) for the single pool or (intervals, groups). A kind worked in an activity's
    blocks takes none: its people are off the phones already (``activity_steps``)."""
    left = np.array(agents, dtype=np.int64, copy=True)
    flat = left.ndim == 1
    taken = np.zeros((len(model.kinds), len(left)), dtype=np.int64)
    for k, w in enumerate(model.kinds):
        if w.activity is not None:
            continue
        col = left if flat else left[:, w.group]
        t = np.where(w.iv_mask, np.minimum(w.agents, col), 0)
        col -= t
        taken[k] = t
    return left, taken


def phone_timeline(tl, model: WrittenModel):
    """(``tl`` with the agents left on the phones, ``model`` with the agents taken) for a
    staffing that is the same in every replication (no roster)."""
    if tl.iv_group_agents is not None:
        left, taken = phone_agents(model, tl.iv_group_agents)
        tl = dataclasses.replace(tl, iv_agents=left.sum(axis=1), iv_group_agents=left)
    else:
        left, taken = phone_agents(model, tl.iv_agents)
        tl = dataclasses.replace(tl, iv_agents=left)
    return tl, dataclasses.replace(model, taken=taken)


def serve(arrive: np.ndarray, handle: np.ndarray, cap_t: list[float], cap_n: list[int]) -> np.ndarray:
    """FIFO service of items arriving at ``arrive`` (sorted) taking ``handle`` each, by as many
    servers as the capacity steps (``cap_t`` times, ``cap_n`` servers from then) allow; an item
    once started is finished. Returns each item's completion time (inf if never started).
    At one instant: completions first, then capacity changes, then arrivals; items start once
    all of them are in (a server freed as its hours end takes no item).""" 
    n, m = len(arrive), len(cap_t)
    done = np.full(n, math.inf)
    arr, hnd = arrive.tolist(), handle.tolist()
    ends: list[float] = []
    queue: deque[int] = deque()
    cap = busy = i = j = 0
    inf = math.inf
    while True:
        ta = arr[i] if i < n else inf
        tc = cap_t[j] if j < m else inf
        te = ends[0] if ends else inf
        if te <= tc and te <= ta:
            if te == inf:
                break
            heapq.heappop(ends)
            busy -= 1
            now = te
        elif tc <= ta:
            cap = cap_n[j]
            j += 1
            now = tc
        else:
            queue.append(i)
            i += 1
            now = ta
        nxt = min(arr[i] if i < n else inf, cap_t[j] if j < m else inf, ends[0] if ends else inf)
        while queue and busy < cap and nxt > now:  # (all of an instant's events before an item starts)
            k = queue.popleft()
            end = now + hnd[k]
            done[k] = end
            heapq.heappush(ends, end)
            busy += 1
        if not queue and i >= n and not ends and busy == 0:
            break
    return done


def capacity_steps(tl, taken: np.ndarray) -> tuple[list[float], list[int]]:
    """(times, servers) of one kind: each open interval's servers from its start, 0 between."""
    times: list[float] = []
    values: list[int] = []
    iv_s = float(tl.interval_s)
    for iv in np.flatnonzero(taken > 0):
        start = float(tl.iv_start_s[iv])
        if times and times[-1] == start:  # follows the previous interval: its closing 0 is replaced
            times.pop()
            values.pop()
        times.append(start)
        values.append(int(taken[iv]))
        times.append(start + iv_s)
        values.append(0)
    return times, values


def activity_steps(model: WrittenModel, roster, present: np.ndarray, grouped: bool) -> dict[int, tuple]:
    """Per kind worked in an off-phone activity's blocks: its capacity steps (times, people),
    the roster's present people in the blocks (of the kind's group with [[groups]])."""
    return {k: roster.in_activity(w.activity, present, w.group if grouped else None)
            for k, w in enumerate(model.kinds) if w.activity is not None}


def draw_items(w: WrittenKind, tl, streams, identity: np.ndarray | None):
    """Arrival times and handling times of kind ``w``'s items over the simulated days (the
    backlog at the start first, at time 0), drawn from each date's "written" stream."""
    times, handles = [np.zeros(w.backlog)], []
    due = [np.full(w.backlog, (w.backlog_due_day + 1) * DAY_S, dtype=float)]
    iv_s = float(tl.interval_s)
    for d in range(tl.n_days):
        rng = streams(d)
        n = rng.poisson(w.day_items[d]) if w.day_items[d] > 0 else 0
        t = []
        if n and tl.open_s[d] >= 0:
            lo, hi = d * DAY_S + tl.open_s[d], d * DAY_S + tl.close_s[d]
            t.append(np.sort(rng.uniform(lo, hi, n)))
        if identity is not None:
            sl = tl.day_intervals(d)
            per_iv = identity[sl].astype(np.int64)
            if per_iv.sum():
                starts = np.repeat(tl.iv_start_s[sl], per_iv)
                t.append(starts + rng.uniform(0.0, iv_s, len(starts)))
        day_t = np.sort(np.concatenate(t)) if t else np.zeros(0)
        times.append(day_t)
        due.append(np.full(len(day_t), (w.due_day[d] + 1) * DAY_S, dtype=float))
    n_all = sum(len(x) for x in times)
    t_all = np.concatenate(times)
    # handling times: the start's backlog from day 0's stream, then each date's items from its own
    handles.append(w.handling.sample(streams(0), w.backlog) if w.backlog else np.zeros(0))
    for d, day_t in enumerate(times[1:]):
        handles.append(w.handling.sample(streams(d), len(day_t)) if len(day_t) else np.zeros(0))
    h_all = np.concatenate(handles) if n_all else np.zeros(0)
    return t_all, h_all, np.concatenate(due)


def work_written(model: WrittenModel, tl, taken: np.ndarray, stream_of, identity: np.ndarray | None,
                 blended=None, blocks: dict[int, tuple] | None = None) -> WrittenCounts:
    """Every kind's items over the window, served by the agents ``taken`` off the phones, or
    by the people in an activity's blocks (``blocks[k]``: capacity steps; the
    blended kinds' as the loop served them: ``blended.result(k)``, a BlendPart); the
    counts per simulated day and the ages at completion. ``stream_of(d)`` is date d's "written"
    Generator; ``identity`` (open intervals,) the written requests of identity failures."""
    measured = np.flatnonzero(tl.measured)
    days, ages, age_days = {}, {}, {}
    cache: dict[int, np.random.Generator] = {}

    def streams(d: int) -> np.random.Generator:
        if d not in cache:
            cache[d] = stream_of(d)
        return cache[d]

    for k, w in enumerate(model.kinds):
        if w.reserve is not None:
            (t, h, due), done = blended.result(k)
        else:
            t, h, due = draw_items(w, tl, streams, identity if w.from_identity else None)
            cap_t, cap_n = (blocks or {}).get(k, ([], [])) if w.activity is not None else capacity_steps(tl, taken[k])
            done = serve(t, h, cap_t, cap_n)
        days[w.name] = day_counts(t, h, due, done, w.backlog, tl.n_days, w.reserve is not None)
        lo, hi = measured[0] * DAY_S, (measured[-1] + 1) * DAY_S
        in_window = (done > lo) & (done <= hi)
        ages[w.name] = done[in_window] - t[in_window]
        age_days[w.name] = np.ceil(done[in_window] / DAY_S).astype(np.int64) - 1  # (a day's end belongs to it)
    return WrittenCounts(days, ages, age_days)


def day_counts(t, h, due, done, backlog: int, n_days: int, blended: bool = False) -> dict[str, np.ndarray]:
    """DAY_FIELDS per simulated day: received (arrived that day; the start's backlog is not), done
    (completed that day), due (deadline at that day's end), on_time (of those, done by it),
    backlog (arrived by the day's end and not done by it), age_sum_s (of the items done that
    day), hours or, blended between calls, hours_blended (handling time of the items started
    that day: work done from that day on)."""
    edges = np.arange(n_days + 1) * float(DAY_S)
    arr_day = np.searchsorted(edges, t, side="right") - 1
    arr_day[:backlog] = -1
    done_day = np.where(np.isfinite(done), np.searchsorted(edges, done, side="left") - 1, -2)
    due_day = np.rint(due / DAY_S).astype(np.int64) - 1
    start = done - h
    start_day = np.where(np.isfinite(done), np.searchsorted(edges, start, side="right") - 1, -2)

    def per_day(days: np.ndarray, weights=None) -> np.ndarray:
        ok = (days >= 0) & (days < n_days)
        return np.bincount(days[ok], weights=None if weights is None else weights[ok], minlength=n_days)[:n_days]

    received = per_day(arr_day)
    finished = per_day(done_day)
    due_n = per_day(due_day)
    on_time = per_day(due_day[done <= due])
    age = np.where(np.isfinite(done), done - t, 0.0)
    # backlog at each day's end: the start's backlog + received - done, cumulated
    backlog_end = backlog + np.cumsum(received - finished)
    out = {
        "received": received, "done": finished, "due": due_n, "on_time": on_time, "backlog": backlog_end,
        "age_sum_s": per_day(done_day, age), "hours": np.zeros(n_days), "hours_blended": np.zeros(n_days),
    }
    out["hours_blended" if blended else "hours"] = per_day(start_day, h) / 3600.0
    return {f: np.asarray(out[f], dtype=float) for f in DAY_FIELDS}


def working_days(s, first: dt.date, days: int) -> np.ndarray:
    """Indices (days from ``first``) of the calendar's working days: the window's ``days`` and, after
    them, enough for the longest deadline in working days. The days after the window are looked
    up as far as needed (doubling), up to the last deadline a year's window can have."""
    wc = WorkingCalendar(s)
    hours = s.calendar.hours
    need = max([w.deadline_days for w in s.written if w.deadline_kind == "working"] + [0])
    cap = days + 2 * 366 + 10  # the last deadline a year's window can have
    work: list[bool] = []
    horizon = min(cap, days + 2 * need + 31)
    while True:
        work += [wc.day(date).is_open and WEEKDAYS[date.weekday()] in hours
                 for date in (first + dt.timedelta(days=i) for i in range(len(work), horizon))]
        if horizon >= cap or sum(work[days:]) >= need:
            return np.flatnonzero(np.array(work, dtype=bool))
        horizon = min(cap, 2 * horizon)


def written_model(s, tl) -> WrittenModel | None:
    """The engine's view of ``s.written`` (None without it). Working days are the calendar's
    open days (its closed dates, country rules and opening hours), also beyond the window."""
    if not s.written:
        return None
    days = tl.n_days
    work_idx = working_days(s, tl.dates[0], days)
    factors = [d.volume_factor for d in simulated_days(s)]
    groups = [g.name for g in s.groups]
    kinds = []
    for w in s.written:
        items = np.zeros(days)
        for d, date in enumerate(tl.dates):
            if tl.open_s[d] >= 0:
                items[d] = w.daily_items * w.weekday_factor.get(WEEKDAYS[date.weekday()], 1.0) * factors[d]

        def due(d: int, within: int = w.deadline_days) -> int:
            if within == 0:
                return d
            if w.deadline_kind == "calendar":
                return d + within
            after = work_idx[np.searchsorted(work_idx, d, side="right"):]
            return int(after[within - 1])

        dd = w.dedicated if w.dedicated is not None else w.blend
        slot_start = tl.iv_slot * tl.interval_s
        mask = (np.zeros(len(tl.iv_slot), dtype=bool) if w.dedicated is None or w.dedicated.hours is None
                else (slot_start >= dd.hours.open_s) & (slot_start < dd.hours.close_s))
        kinds.append(WrittenKind(
            name=w.name, day_items=items, from_identity=w.from_identity_failures, handling=w.handling.build(),
            due_day=np.array([due(d) for d in range(days)], dtype=np.int64),
            backlog_due_day=due(-1) if w.deadline_kind == "working" else w.deadline_days - 1,
            backlog=w.backlog_at_start, agents=(w.dedicated.agents or 0) if w.dedicated is not None else 0,
            group=groups.index(dd.group) if dd.group is not None else 0, iv_mask=mask,
            reserve=w.blend.reserve if w.blend is not None else None,
            activity=w.dedicated.activity if w.dedicated is not None else None,
            urgent_agents=w.urgent.agents if w.urgent is not None else 0,
            urgent_due=(None if w.urgent is None
                        else np.array([(due(d, w.urgent.days) + 1) * DAY_S for d in range(days)], dtype=float)),
        ))
    return WrittenModel(tuple(kinds))

