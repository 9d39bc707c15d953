"""Written work blended between calls against a straightforward event-by-event reference: the
same calls (drawn as tests/sim/test_reference.py draws them: a Generator per purpose and date)
and the engine's written items, served by c agents under the threshold policy; every agent's
end, call and item arrival is an event, in time order (at one instant: ends, then arrivals).
At an end the agent takes the oldest caller still waiting (one whose patience ran out hung up
then), else the oldest item if at least ``reserve`` other agents are free, else waits idle; a
call takes an idle agent; an item is taken on arrival by an idle agent when no caller waits and
``reserve`` others stay free; no item is taken after the last closing. Counts per interval and
every item's completion must agree exactly (waits to rounding).

With deadline priority (``urgent = (days, n)``, calendar days): an item is urgent when its
deadline is by the end of day (today + days); an agent freed (an end), an item's arrival and a
day's start (midnight) first give the oldest waiting item, if urgent, to a free agent while
fewer than n agents are on items taken this way (counted from when taken to when they end),
before any caller and whatever the reserve."""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np
import pytest
from helpers import mmc_dict

from ska_sim import scenario_from_dict
from ska_sim.maths.arrivals import arrival_times
from ska_sim.scenario.clock import DAY_S
from ska_sim.sim.engine import PURPOSES, Model, Replication


def date_rng(seed: np.random.SeedSequence, date) -> dict[str, np.random.Generator]:
    return {p: np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, date.toordinal(), i)))
            for i, p in enumerate(PURPOSES)}


def reference(model: Model, seed, agents: int, reserve: int, items_t, items_h, items_due=None, urgent=None):
    tl = model.timeline
    calls = []  # (time, handle, patience, interval)
    for day in range(tl.n_days):
        idx = np.flatnonzero(tl.iv_day == day)
        rng = date_rng(seed, tl.dates[day])
        times = arrival_times(rng["arrivals"], tl.iv_start_s[idx], tl.iv_expected[idx], tl.interval_s)
        handle = model.types[0].handle_times(rng["handling"], len(times))
        patience = model.patience.sample(rng["patience"], len(times))
        for t, h, p in zip(times.tolist(), handle.tolist(), patience.tolist()):
            calls.append((t, h, p, int(idx[int((t - tl.iv_start_s[idx[0]]) // tl.interval_s)])))
    last_close = float((tl.n_days - 1) * DAY_S + tl.close_s[tl.n_days - 1])
    n_iv = len(tl.iv_day)
    out = {k: np.zeros(n_iv) for k in ("offered", "answered", "abandoned", "wait_sum")}
    done = np.full(len(items_t), math.inf)
    ends: list[float] = []
    free = agents
    waiting: deque = deque()  # callers
    items: deque = deque()  # item indices
    ci = ii = 0
    on_urgent: set[float] = set()  # the ends of the items taken as urgent, not ended yet
    taken_urgent = 0

    def live_caller(at: float):
        while waiting:
            c = waiting.popleft()
            if c[0] + c[2] < at:
                out["abandoned"][c[3]] += 1
                continue
            return c
        return None

    def answer(c, at: float) -> None:
        nonlocal free
        free -= 1
        heapq.heappush(ends, at + c[1])
        out["answered"][c[3]] += 1
        out["wait_sum"][c[3]] += at - c[0]

    def take_item(at: float) -> float:
        nonlocal free
        free -= 1
        j = items.popleft()
        done[j] = at + items_h[j]
        heapq.heappush(ends, done[j])
        return done[j]

    def urgent_waits(at: float) -> bool:
        return (urgent is not None and items and len(on_urgent) < urgent[1] and at < last_close
                and items_due[items[0]] <= (int(at // DAY_S) + urgent[0] + 1) * DAY_S)

    def take_urgent(at: float) -> None:
        nonlocal taken_urgent
        on_urgent.add(take_item(at))
        taken_urgent += 1

    day = 1
    while True:
        te = ends[0] if ends else math.inf
        tc = calls[ci][0] if ci < len(calls) else math.inf
        ti = items_t[ii] if ii < len(items_t) else math.inf
        td = day * DAY_S if day < tl.n_days else math.inf
        now = min(te, tc, ti, td)
        if now == math.inf:
            break
        if td == now:  # a day starts: items due within the days become urgent
            day += 1
            while free > 0 and urgent_waits(now):
                take_urgent(now)
            continue
        if te == now:  # an agent's end
            heapq.heappop(ends)
            free += 1
            on_urgent.discard(now)
            if urgent_waits(now):
                take_urgent(now)
                continue
            c = live_caller(now)
            if c is not None:
                answer(c, now)
            elif items and free - 1 >= reserve and now < last_close:
                take_item(now)
        elif tc <= ti:  # a call
            c = calls[ci]
            ci += 1
            out["offered"][c[3]] += 1
            if free > 0:
                answer(c, now)
            else:
                waiting.append(c)
        else:  # an item
            items.append(ii)
            ii += 1
            if free > 0 and urgent_waits(now):
                take_urgent(now)
            elif not waiting and free - 1 >= reserve and now < last_close:
                take_item(now)
    return out, done, taken_urgent


CASES = [(4, 1, 3, None), (3, 0, 3, None), (5, 2, 3, None),
         # deadline priority (days, agents): urgent from arrival (1 agent, all agents) or on the day it is due (2 agents)
         (4, 1, 1, (1, 1)), (3, 2, 1, (0, 2)), (5, 2, 1, (1, 5))]


@pytest.mark.parametrize(("agents", "reserve", "deadline", "urgent"), CASES)
@pytest.mark.parametrize("routed", [False, True])
def test_blending_equals_the_event_by_event_reference(agents, reserve, deadline, urgent, routed):
    d = mmc_dict(agents=agents, calls_per_hour=30 * agents / 4, aht_s=360, days=3, warmup_days=0, patience_s=180)
    d["written"] = [{"name": "letters", "daily_items": 40 * agents, "handling": {"dist": "lognormal", "mean_s": 500, "cv": 0.7},
                     "deadline_days": deadline, "deadline_kind": "calendar", "blend": {"reserve": reserve}}]
    if urgent is not None:
        d["written"][0]["urgent"] = {"days": urgent[0], "agents": urgent[1]}
    model = Model.from_scenario(scenario_from_dict(d))
    assert model.single_pool() and model.day_cv == 0
    for i in range(2):
        rep = Replication(model, np.random.SeedSequence(2024, spawn_key=(i,)), routed=routed)
        rc = rep.run()
        (t, h, due), done = rep.pool.blend.result(0)
        ref, ref_done, n_urgent = reference(model, np.random.SeedSequence(2024, spawn_key=(i,)), agents, reserve, t.tolist(),
                                            h.tolist(), due.tolist(), urgent)
        c = {k: v.sum(axis=1) for k, v in rc.counts.items()}
        assert c["abandoned"].sum() > 20 and np.isfinite(done).sum() > 100
        assert (n_urgent > 20) == (urgent is not None), n_urgent  # (the mechanism acts)
        for k in ("offered", "answered", "abandoned"):
            np.testing.assert_array_equal(c[k], ref[k], err_msg=k)
        np.testing.assert_allclose(c["wait_sum_s"], ref["wait_sum"], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(done, ref_done, rtol=1e-12, atol=1e-6)
