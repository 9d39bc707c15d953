"""routing.py on its own: which group takes an arriving call, which call a free agent takes."""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace

from helpers import mmc_dict
from ska_sim import scenario_from_dict
from ska_sim.sim.routing import build_routing, free_group, next_call
from ska_sim.scenario.timeline import build_timeline


def call(col, t, seq, waiting=True):
    return SimpleNamespace(col=col, t=t, seq=seq, waiting=waiting)


def test_free_group_by_policy():
    idle = [deque(), deque([5.0, 9.0]), deque([2.0])]
    assert free_group((0, 1, 2), idle, "group_order", lambda: 0.0) == 1
    assert free_group((0, 2, 1), idle, "group_order", lambda: 0.0) == 2
    assert free_group((0, 1, 2), idle, "longest_idle", lambda: 0.0) == 2  # idle since 2.0
    assert free_group((0,), idle, "longest_idle", lambda: 0.0) == -1
    # random: uniform over the 3 free agents (2 in group 1, 1 in group 2)
    assert [free_group((1, 2), idle, "random", lambda u=u: u) for u in (0.0, 0.5, 0.7)] == [1, 1, 2]
    assert free_group((0,), idle, "random", lambda: 0.5) == -1


def test_next_call_priority_then_longest_wait_then_delay():
    queues = [deque([call(0, 10.0, 1, waiting=False), call(0, 20.0, 3)]), deque([call(1, 15.0, 2)])]
    cells = ((0, 0.0, 1), (1, 0.0, 1))
    assert next_call(cells, queues, 30.0).seq == 2  # equal priority: the longest wait
    assert [c.seq for c in queues[1]] == [] and [c.seq for c in queues[0]] == [3]  # hung-up caller dropped
    queues = [deque([call(0, 20.0, 3)]), deque([call(1, 15.0, 2)])]
    assert next_call(((0, 0.0, 2), (1, 0.0, 1)), queues, 30.0).seq == 3  # higher priority first
    queues = [deque([call(0, 20.0, 3)]), deque([call(1, 15.0, 2)])]
    assert next_call(((0, 0.0, 1), (1, 20.0, 1)), queues, 30.0).seq == 3  # cell 1 waited 15 s < 20 s
    assert next_call(((1, 20.0, 1),), queues, 30.0) is None
    assert next_call(((1, 20.0, 1),), queues, 35.0).seq == 2


def test_build_routing_orders_delays_and_skills():
    d = mmc_dict(agents=1, days=1)
    d["call_types"] = [{"name": "gen", "share": 0.6, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 1.0},
                       {"name": "fam", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 1.0}]
    d["languages"] = {"et": {"share": 0.7}, "ru": {"share": 0.3}}
    del d["staffing"]
    ag = {"default": [1] * 24}
    d["groups"] = [
        {"name": "et", "languages": ["et"], "agents": ag},
        {"name": "ru", "languages": ["ru", "et"], "agents": ag, "overflow_after_s": 30},
        {"name": "spec", "call_types": ["fam"], "agents": ag, "priority": {"fam": 2}},
    ]
    d["routing"] = {"order": {"fam": ["spec", "et", "ru"]}}
    s = scenario_from_dict(d)
    r = build_routing(s, 2, build_timeline(s).iv_group_agents)
    # cells: gen/et 0, gen/ru 1, fam/et 2, fam/ru 3
    assert r.eligible[0] == ((0, 0.0), (1, 30.0))
    assert r.eligible[1] == ((1, 0.0),)  # ru speakers are first for Russian calls: no delay
    assert r.eligible[2] == ((2, 0.0), (0, 0.0), (1, 30.0))
    assert r.arrival_groups[2] == (2, 0) and r.overflow_steps[2] == ((30.0, (1,)),)
    assert r.eligible[3] == ((2, 0.0), (1, 30.0))
    assert (2, 0.0, 2) in r.group_cells[2] and (3, 0.0, 2) in r.group_cells[2]
    assert r.agents.shape == (48, 3)  # a warm-up day and a measured day
