"""Agents per interval by Erlang C/A on the offered load the plan itself implies (the fixed point).

Scope: the target must hold in every interval, for each day as a whole, or over the whole
window. SKA measures over the day and the month, and a day-scope plan is cheaper: wider
scopes move agents to where they buy the most answered-in-time calls (greedy marginal
allocation, which is optimal when each interval's gain per extra agent decreases).
"""

from __future__ import annotations

import math

import numpy as np

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.plan.load import LoadModel, Plan
from ska_sim.scenario.model import Scenario

SCOPES = ("interval", "day", "window")


def interval_requirement(lm: LoadModel, offered: np.ndarray, hint: np.ndarray | None) -> np.ndarray:
    """Fewest agents per interval, the search starting from ``hint`` (a guess: any start gives
    the same answer, a close one fewer Erlang evaluations)."""
    return search_agents(lm, offered.sum(axis=1), lm.aht(offered), hint)


def required_agents(lm: LoadModel, calls: float, aht: float, hint: int | None) -> int:
    return int(search_agents(lm, np.array([calls], dtype=float), np.array([aht], dtype=float),
                       None if hint is None else np.array([hint]))[0])


def search_agents(lm: LoadModel, calls: np.ndarray, aht: np.ndarray, hint: np.ndarray | None,
            max_agents: int = 100_000) -> np.ndarray:
    """The fewest agents meeting the requirement in each interval, all intervals at once.

    Each criterion is monotone in agents, so the answer is where "met" starts: from the hint
    (or the load) gallop (1, 2, 4, ... agents) until the answer is bracketed, then bisect.
    One vectorised Erlang evaluation per round for every interval still searching; with the
    previous iteration's plan as hint most intervals finish in two rounds.
    """
    out = np.zeros(len(calls), dtype=np.int64)
    rows = np.flatnonzero(calls / lm.tl.interval_s > 0)
    if not len(rows):
        return out
    calls, aht = calls[rows], aht[rows]
    load = calls / lm.tl.interval_s * aht
    if hint is None:
        start = (load + 0.5 * np.sqrt(load)).astype(np.int64)
    else:
        start = np.asarray(hint, dtype=np.int64)[rows]
    test = np.maximum(start, 0)
    n = len(rows)
    lo = np.full(n, -1, dtype=np.int64)  # most agents known to fail (-1: none)
    hi = np.full(n, -1, dtype=np.int64)  # fewest agents known to meet (-1: not found yet)
    step = np.ones(n, dtype=np.int64)
    phase = np.zeros(n, dtype=np.int8)  # 0 first test, 1 gallop up, 2 gallop down, 3 bisect
    act = np.arange(n)
    while len(act):
        c = test[act]
        ok = lm.req.met(lm.erlang(c, calls[act], aht[act]))
        ph = phase[act]
        hi[act] = np.where(ok, c, hi[act])
        lo[act] = np.where(ok, lo[act], c)
        phase[act] = np.select([ph == 0, (ph == 1) & ok, (ph == 2) & ~ok], [np.where(ok, 2, 1), 3, 3], ph)
        step[act] = np.where(((ph == 1) & ~ok) | ((ph == 2) & ok), step[act] * 2, step[act])
        act = act[(hi[act] < 0) | (hi[act] - lo[act] > 1)]
        ph, lo_a, hi_a, st = phase[act], lo[act], hi[act], step[act]
        test[act] = np.select([ph == 1, ph == 2], [lo_a + st, np.maximum(lo_a + 1, hi_a - st)], (lo_a + hi_a) // 2)
        if len(act) and test[act].max() > max(max_agents, 10 * load.max()):
            raise ScenarioError([Problem("targets", "", f"no staffing up to {int(test[act].max()):,} agents meets the "
                                         "targets in some interval (a service-level or answer-rate target of 100%, or "
                                         "an ASA cap of 0 s, cannot be met): loosen the target")])
    out[rows] = hi
    return out


def trim_to_scope(lm: LoadModel, offered: np.ndarray, groups: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Fewest agents so that each group of intervals (a day, or the window) meets the targets
    as a whole. Starts from the interval-scope requirement (which meets them everywhere) and
    takes away, one at a time, the agent whose absence costs the fewest calls answered in
    time, while the group still meets every target and every interval its occupancy cap.

    Every interval's candidate removal is scored at once (arrays over the group's intervals);
    ties go to the earliest interval. Erlang values come in batches: all intervals at their
    level and three below up front, then more levels of an interval that goes further."""
    calls = offered.sum(axis=1)
    aht = lm.aht(offered)
    req = lm.req
    agents = base.copy()
    cache: dict[tuple[int, int], tuple[float, float, float, bool]] = {}

    def fill(ks: list[int], cs: list[int]) -> None:
        todo = [(k, c) for k, c in zip(ks, cs) if (k, c) not in cache]
        for k, c in todo:
            if calls[k] <= 0:
                cache[(k, c)] = (0.0, 0.0, 0.0, True)
        todo = [(k, c) for k, c in todo if calls[k] > 0]
        if not todo:
            return
        kk = np.array([k for k, _ in todo])
        r = lm.erlang([c for _, c in todo], calls[kk], aht[kk])
        for i, (k, c) in enumerate(todo):
            if not r["stable"][i] or c <= 0:
                cache[(k, c)] = (0.0, 0.0, math.inf, False)
            else:
                answered = (1 - r["abandon_rate"][i]) * calls[k]
                cap = req.occupancy_max is None or r["occupancy"][i] <= req.occupancy_max + 1e-12
                cache[(k, c)] = (r["service_level"][i] * calls[k], answered, r["asa_s"][i] * answered, cap)

    def perf(k: int, c: int) -> tuple[float, float, float, bool]:
        """(answered within T, answered, waiting time of answered calls, within occupancy cap)."""
        if (k, c) not in cache:
            fill([k] * 8, [c - d for d in range(8) if c - d >= 0])
        return cache[(k, c)]

    # most intervals give up at most a few agents: their levels down to 3 below, in one batch
    pairs = [(k, int(agents[k]) - d) for k in range(len(agents)) for d in range(4) if agents[k] - d >= 0]
    fill([k for k, _ in pairs], [c for _, c in pairs])
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        total = calls[idx].sum()
        if total <= 0:
            agents[idx] = 0
            continue
        sums = np.sum([perf(k, agents[k])[:3] for k in idx], axis=0)
        now = np.array([perf(k, agents[k])[:3] for k in idx], dtype=float).reshape(len(idx), 3)
        less = np.zeros((len(idx), 3))
        can = np.zeros(len(idx), dtype=bool)  # an agent can go: it has one, calls, and the cap holds without it
        for i, k in enumerate(idx):
            if agents[k] > 0 and calls[k] > 0:
                p = perf(k, agents[k] - 1)
                less[i], can[i] = p[:3], p[3]

        while can.any():
            trial = sums - now + less
            loss = now[:, 0] - less[:, 0]
            with np.errstate(divide="ignore", invalid="ignore"):
                ok = can & (loss < math.inf)
                if req.service_level is not None:
                    ok &= trial[:, 0] / total >= req.service_level - 1e-12
                if req.answer_rate is not None:
                    ok &= trial[:, 1] / total >= req.answer_rate - 1e-12
                if req.asa_max_s is not None:
                    ok &= (trial[:, 1] <= 0) | (trial[:, 2] / trial[:, 1] <= req.asa_max_s + 1e-12)
            if not ok.any():
                break
            i = int(np.argmin(np.where(ok, loss, math.inf)))
            k = idx[i]
            agents[k] -= 1
            sums = trial[i]
            now[i] = less[i]
            if agents[k] > 0:
                p = perf(k, agents[k] - 1)
                less[i], can[i] = p[:3], p[3]
            else:
                can[i] = False
    return agents


def erlang_plan(s: Scenario, scope: str = "interval", max_iter: int = 50, lm: LoadModel | None = None) -> Plan:
    """Agents per interval by Erlang C/A on the fixed-point offered load (first calls, redials, repeats).

    The load and the agents are iterated together until neither changes. Integer staffing
    can make them cycle (an extra agent, fewer redials, one agent fewer, more redials...):
    a cycle is settled by taking, per interval, the most agents of the cycle.

    On large centres the iteration swings (more agents, far fewer abandons and redials, far
    fewer agents, ...) and barely contracts. When the agent-hours swing with alternating sign
    and shrink by less than ``SWING_RATIO`` on two steps in a row (by more than
    ``SWING_MIN_SHARE`` of the agent-hours), the load update is damped from then on: the next
    load is the last one moved by ``alpha = 1 / (1 + r)`` towards the settled load, r the swing
    ratio seen (the step that cancels a swing of that ratio). A damped run ends with a monotone
    rule: the load is settled at the agents, and while the requirement at that load asks for
    more agents somewhere, agents become the larger of the two (so the plan meets the targets
    at its own load). Runs that never swing like that (the baseline, 30k calls a day) are
    never damped.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    lm = lm or LoadModel(s)
    tl = lm.tl
    offered = lm.first.copy()
    agents: np.ndarray | None = None
    seen: list[np.ndarray] = []
    history = []
    converged = False
    it = 0
    past: list[tuple[np.ndarray, np.ndarray]] = []  # (interval-scope requirement, load in Erlangs)
    groups = None if scope == "interval" else (tl.iv_day if scope == "day" else np.zeros(len(tl.iv_start_s), dtype=np.int64))

    def requirement(offered: np.ndarray) -> np.ndarray:
        nonlocal past
        load = offered.sum(axis=1) / tl.interval_s * lm.aht(offered)
        base = interval_requirement(lm, offered, predict_requirement(past, load))
        past = (past + [(base, load)])[-2:]
        return base if groups is None else trim_to_scope(lm, offered, groups, base)

    alpha = None  # damping of the load update, once a slow swing is seen
    for it in range(1, max_iter + 1):
        new_agents = requirement(offered)
        settled, change = settle_load(lm, offered, new_agents)
        entry = {"iteration": it, "agent_hours": float(new_agents.sum() * tl.interval_s / 3600),
                 "max_change_calls": change}
        if alpha is not None:
            entry["damping"] = alpha
        history.append(entry)
        if alpha is None:
            alpha = swing_damping([h["agent_hours"] for h in history])
        offered = settled if alpha is None else offered + alpha * (settled - offered)
        if agents is not None and np.array_equal(agents, new_agents):
            agents, converged = new_agents, True
            break
        if "damping" in entry and np.all(np.abs(new_agents - agents) <= np.maximum(1, SETTLED_SHARE * agents)):
            # damped and only integer noise left (ties in the scope trim move a few agents about)
            agents, converged = np.maximum(agents, new_agents), True
            break
        cycle = [a for a in seen if np.array_equal(a, new_agents)]
        seen.append(new_agents)
        agents = new_agents
        if cycle:
            start = next(i for i, a in enumerate(seen) if np.array_equal(a, new_agents))
            agents = np.max(np.stack(seen[start:]), axis=0)
            offered, _ = settle_load(lm, offered, agents)
            converged = True
            break
    if alpha is not None:  # damped: settle the load at the agents, then never fewer than it asks
        for _ in range(max_iter):
            offered, _ = settle_load(lm, offered, agents)
            need = requirement(offered)
            history.append({"iteration": it, "agent_hours": float(agents.sum() * tl.interval_s / 3600),
                            "max_change_calls": 0.0, "damping": alpha, "raised": int((need > agents).sum())})
            if np.all(need <= agents):
                break
            agents = np.maximum(agents, need)
        else:
            converged = False
    m = lm.metrics(offered, agents)
    return Plan(agents, offered.sum(axis=1), m.service_level, "erlang", scope, it, converged, history)


SWING_RATIO = 0.75  # agent-hours swings shrinking by less than this (two steps in a row) get damping
SWING_MIN_SHARE = 0.01  # ... when the swing is more than this share of the agent-hours
SETTLED_SHARE = 1e-3  # a damped run stops when no interval moves by more than this share of its agents (or 1)


def swing_damping(agent_hours: list[float]) -> float | None:
    """The damping for the load update when the last three agent-hours steps alternate in sign
    and each shrinks by less than SWING_RATIO (and exceeds SWING_MIN_SHARE of the agent-hours):
    ``1 / (1 + r)``, r the last ratio (capped at 1). None otherwise."""
    if len(agent_hours) < 4:
        return None
    d = np.diff(agent_hours[-4:])
    if not (np.all(d[1:] * d[:-1] < 0) and np.all(np.abs(d[1:]) > SWING_MIN_SHARE * agent_hours[-1])):
        return None
    r = np.abs(d[1:]) / np.abs(d[:-1])
    if np.all(r > SWING_RATIO):
        return float(1 / (1 + min(r[-1], 1.0)))
    return None


def predict_requirement(past: list[tuple[np.ndarray, np.ndarray]], load: np.ndarray) -> np.ndarray | None:
    """A start for the requirement search at ``load``: the last requirement moved along the
    slope of the last two (requirement against load, 1 agent per Erlang when unknown)."""
    if not past:
        return None
    req, at = past[-1]
    slope = np.ones(len(load))
    if len(past) == 2:
        d_req, d_load = req - past[0][0], at - past[0][1]
        ok = np.abs(d_load) > 1e-9
        slope[ok] = np.clip(d_req[ok] / d_load[ok], 0.5, 2.0)
    return np.maximum(0, req + np.rint(slope * (load - at)).astype(np.int64))


def settle_load(lm: LoadModel, offered: np.ndarray, agents: np.ndarray, tol: float = 1e-3, cap: int = 200):
    """Iterate offered = first + follow-ups(offered) at fixed agents until it stops changing."""
    change = math.inf
    for _ in range(cap):
        m = lm.metrics(offered, agents, service=False)
        new = lm.first + lm.follow_ups(offered, m.abandon_rate)
        change = float(np.abs(new - offered).max()) if len(offered) else 0.0
        offered = new
        if change < tol:
            break
    return offered, change
