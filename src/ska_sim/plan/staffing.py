"""Staffing requirements per interval, and shrinkage from agents on the phones to paid agents.

Two methods:

- **erlang**: Erlang C per interval (Erlang A when the scenario has patience, with exponential
  patience of the same mean) on the offered load *the scenario implies*: first calls plus
  the redials and repeat calls that the staffing itself causes. That load is a fixed point
  (more agents, fewer abandons, fewer redials), solved by iteration.
- **simulation**: the iterative staffing algorithm in the spirit of Feldman, Mandelbaum,
  Massey & Whitt (2008): simulate the plan, measure every interval, add agents where the
  target is missed (by the Erlang step for the load the simulation measured), take agents
  away where the simulation shows slack, and repeat until every interval meets the target
  or the iteration cap is reached; the report says which.

Scope: the target must hold in every interval, for each day as a whole, or over the whole
window. SKA measures over the day and the month, and a day-scope plan is cheaper: wider
scopes move agents to where they buy the most answered-in-time calls (greedy marginal
allocation, which is optimal when each interval's gain per extra agent decreases).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ska_sim.sim.engine import Model
from ska_sim.maths.erlang import Requirement, erlang_arrays
from ska_sim.scenario.model import WEEKDAYS, Scenario, format_clock
from ska_sim.scenario.timeline import Timeline

SCOPES = ("interval", "day", "window")
TRIM_MARGIN = 0.08  # an interval this far above the service-level target may give up an agent
METHODS = ("erlang", "simulation")


def requirement_of(s: Scenario) -> Requirement:
    t = s.targets
    return Requirement(
        threshold_s=t.service_level.threshold_s,
        service_level=t.service_level.share,
        answer_rate=t.answer_rate if s.patience is not None else None,
        asa_max_s=t.asa_max_s,
        occupancy_max=s.staffing.max_occupancy,
    )


# --------------------------------------------------------------------------- offered load
def _follow_up_kernel(tl: Timeline, delay, samples: int = 256, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where follow-ups of a call in interval k land: (source, destination, weight) triples.

    A call's time is spread uniformly over its interval; the delay is sampled (fixed seed);
    landing times move into opening hours by the engine's rule; beyond the horizon they vanish.
    """
    rng = np.random.default_rng(seed)
    delays = delay.sample(rng, samples)
    offsets = rng.random(samples) * tl.interval_s
    hours = tl.opening_hours()
    at = tl.interval_at()
    src, dst = [], []
    for k, start in enumerate(tl.iv_start_s):
        for t in start + offsets + delays:
            moved = hours.into(float(t))
            if moved is None:
                continue
            j = at[min(int(moved // tl.interval_s), len(at) - 1)]
            if j >= 0:
                src.append(k)
                dst.append(j)
    w = np.full(len(src), 1.0 / samples)
    return np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64), w


def _kernel_matrix(kernel: tuple[np.ndarray, np.ndarray, np.ndarray], n: int):
    """A kernel's (source, destination, weight) triples as an n x n sparse matrix M with
    M[destination, source] the share of a source interval's calls landing there (triples of
    the same pair summed), so that follow-ups = M @ flow."""
    from scipy.sparse import csr_matrix

    src, dst, w = kernel
    m = csr_matrix((w, (dst, src)), shape=(n, n))
    m.sum_duplicates()
    return m


_ERLANG_FIELDS = ("p_wait", "service_level", "asa_s", "abandon_rate", "occupancy", "stable")


@dataclass
class IntervalMetrics:
    """Erlang performance of every interval at given agents."""

    service_level: np.ndarray
    abandon_rate: np.ndarray
    asa_s: np.ndarray
    occupancy: np.ndarray


class LoadModel:
    """Offered load per interval and call type for a staffing vector (the fixed point)."""

    def __init__(self, s: Scenario, model: Model | None = None):
        self.s = s
        self.model = model or Model.from_scenario(s)
        tl = self.model.timeline
        self.tl = tl
        self.first = tl.iv_expected[:, None] * self.model.shares[None, :]  # (intervals, types)
        self.type_aht = np.array([ct.mean_handle_s() for ct in s.call_types])
        self.resolved = np.array([ct.resolved for ct in s.call_types])
        self.patience_s = s.patience_dist().mean if s.patience is not None else None
        self.req = requirement_of(s)
        self.redial_k = _follow_up_kernel(tl, self.model.redial_delay) if s.redial.probability > 0 else None
        self.repeat_k = _follow_up_kernel(tl, self.model.repeat_delay) if s.repeat.probability > 0 else None
        # the kernels as sparse (destination x source) matrices, built once: follow_ups is a product
        self._redial_m, self._repeat_m = (None if k is None else _kernel_matrix(k, len(tl.iv_start_s))
                                          for k in (self.redial_k, self.repeat_k))
        # Erlang values by (agents, rate, AHT, threshold, patience); cleared when it grows too big
        self._erlang_cache: dict[tuple, tuple] = {}

    ERLANG_CACHE_MAX = 200_000

    def erlang(self, agents, calls, aht, service: bool = True) -> dict[str, np.ndarray]:
        """Erlang C/A (``erlang_arrays``) of intervals with ``agents``, ``calls`` per interval and
        ``aht`` (arrays), one vectorised evaluation for the rows not seen before.
        ``service=False`` (no service level, for the fixed point, whose loads are new every
        time) skips the cache."""
        agents = np.asarray(agents, dtype=np.int64)
        rate = np.asarray(calls, dtype=float) / self.tl.interval_s
        aht = np.asarray(aht, dtype=float)
        thr, pat = self.req.threshold_s, self.patience_s
        if not service:
            return erlang_arrays(agents, rate, aht, thr, pat, service=False)
        keys = [(c, r, a, thr, pat) for c, r, a in zip(agents.tolist(), rate.tolist(), aht.tolist())]
        cache = self._erlang_cache
        rows = [cache.get(k) for k in keys]
        todo = [i for i, v in enumerate(rows) if v is None]
        if todo:
            new = erlang_arrays(agents[todo], rate[todo], aht[todo], thr, pat)
            if len(cache) > self.ERLANG_CACHE_MAX:
                cache.clear()
            cols = zip(*(new[f].tolist() for f in _ERLANG_FIELDS))
            for i, v in zip(todo, cols):
                rows[i] = cache[keys[i]] = v
        arr = np.array(rows, dtype=float).reshape(len(keys), len(_ERLANG_FIELDS))
        out = {f: arr[:, j] for j, f in enumerate(_ERLANG_FIELDS)}
        out["stable"] = out["stable"] > 0
        return out

    def metrics(self, offered: np.ndarray, agents: np.ndarray, service: bool = True) -> IntervalMetrics:
        """Erlang performance per interval; ``service=False`` computes abandonment and occupancy
        only (service level and ASA NaN under Erlang A)."""
        r = self.erlang(agents, offered.sum(axis=1), self.aht(offered), service)
        sl = np.where(r["stable"], r["service_level"], 0.0)
        return IntervalMetrics(sl, r["abandon_rate"], r["asa_s"], r["occupancy"])

    def aht(self, offered: np.ndarray) -> np.ndarray:
        calls = offered.sum(axis=1)
        return np.divide(offered @ self.type_aht, calls, out=np.full(len(calls), float(self.s.mean_handle_s())),
                         where=calls > 0)

    def follow_ups(self, offered: np.ndarray, abandon: np.ndarray) -> np.ndarray:
        """Redials and repeat calls caused by ``offered`` calls (intervals, types)."""
        out = np.zeros_like(offered)
        if self._redial_m is not None:
            out += self._redial_m @ (offered * abandon[:, None] * self.s.redial.probability)
        if self._repeat_m is not None:
            out += self._repeat_m @ (offered * (1 - abandon[:, None]) * (1 - self.resolved[None, :])
                                     * self.s.repeat.probability)
        return out


# --------------------------------------------------------------------------- Erlang requirement
@dataclass
class Plan:
    """Agents on the phones per open interval (all simulated days) and how they were found.
    With [[groups]] (``staffing_groups``) ``agents``, ``offered`` and ``service_level`` are
    (intervals, groups)."""

    agents: np.ndarray
    offered: np.ndarray  # expected offered calls per interval (first + follow-ups)
    service_level: np.ndarray  # predicted (Erlang) or measured (simulation), per interval
    method: str
    scope: str
    iterations: int = 0
    converged: bool = True
    history: list[dict] = field(default_factory=list)


def _interval_requirement(lm: LoadModel, offered: np.ndarray, hint: np.ndarray | None) -> np.ndarray:
    """Fewest agents per interval, the search starting from ``hint`` (a guess: any start gives
    the same answer, a close one fewer Erlang evaluations)."""
    return _search(lm, offered.sum(axis=1), lm.aht(offered), hint)


def _required(lm: LoadModel, calls: float, aht: float, hint: int | None) -> int:
    return int(_search(lm, np.array([calls], dtype=float), np.array([aht], dtype=float),
                       None if hint is None else np.array([hint]))[0])


def _search(lm: LoadModel, calls: np.ndarray, aht: np.ndarray, hint: np.ndarray | None,
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
            from ska_sim.scenario.model import Problem, ScenarioError

            raise ScenarioError([Problem("targets", "", f"no staffing up to {int(test[act].max()):,} agents meets the "
                                         "targets in some interval (a service-level or answer-rate target of 100%, or "
                                         "an ASA cap of 0 s, cannot be met): loosen the target")])
    out[rows] = hi
    return out


def _trim_to_scope(lm: LoadModel, offered: np.ndarray, groups: np.ndarray, base: np.ndarray) -> np.ndarray:
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
    undamped and unchanged.
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
        base = _interval_requirement(lm, offered, _predict(past, load))
        past = (past + [(base, load)])[-2:]
        return base if groups is None else _trim_to_scope(lm, offered, groups, base)

    alpha = None  # damping of the load update, once a slow swing is seen
    for it in range(1, max_iter + 1):
        new_agents = requirement(offered)
        settled, change = _settle_load(lm, offered, new_agents)
        entry = {"iteration": it, "agent_hours": float(new_agents.sum() * tl.interval_s / 3600),
                 "max_change_calls": change}
        if alpha is not None:
            entry["damping"] = alpha
        history.append(entry)
        if alpha is None:
            alpha = _swing_damping([h["agent_hours"] for h in history])
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
            offered, _ = _settle_load(lm, offered, agents)
            converged = True
            break
    if alpha is not None:  # damped: settle the load at the agents, then never fewer than it asks
        for _ in range(max_iter):
            offered, _ = _settle_load(lm, offered, agents)
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


def _swing_damping(agent_hours: list[float]) -> float | None:
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


def _predict(past: list[tuple[np.ndarray, np.ndarray]], load: np.ndarray) -> np.ndarray | None:
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


def _settle_load(lm: LoadModel, offered: np.ndarray, agents: np.ndarray, tol: float = 1e-3, cap: int = 200):
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


# --------------------------------------------------------------------------- simulation (ISA)
def with_agents(s: Scenario, tl: Timeline, agents: np.ndarray) -> Scenario:
    """The scenario with the given agents per open interval (as per-date staffing, scale 1).

    With [[groups]], ``agents`` is (open intervals, groups): each group's column becomes that
    group's ``dates`` vectors (every simulated open day), ``staffing.scale`` 1. A roster attached
    (roster.file) is dropped: the given agents are the plan, not the roster's people."""
    if getattr(s, "roster", None) is not None and s.roster._plan is not None:
        s = s.model_copy(update={"roster": None})
    agents = np.asarray(agents)
    if s.groups:
        if agents.ndim != 2 or agents.shape[1] != len(s.groups):
            raise ValueError(f"with [[groups]] the plan is (intervals, {len(s.groups)} groups), not {agents.shape}")
        groups = []
        for g, grp in enumerate(s.groups):
            own = {tl.dates[d]: [int(a) for a in agents[tl.iv_day == d, g]] for d in np.unique(tl.iv_day)}
            groups.append(grp.model_copy(update={"dates": own}))
        staffing = s.staffing.model_copy(update={"scale": 1.0})
        return s.model_copy(update={"groups": groups, "staffing": staffing})
    dates = {}
    for d in np.unique(tl.iv_day):
        dates[tl.dates[d]] = [int(a) for a in agents[tl.iv_day == d]]
    staffing = s.staffing.model_copy(update={"dates": dates, "scale": 1.0})
    return s.model_copy(update={"staffing": staffing})


def simulation_plan(
    s: Scenario,
    scope: str = "interval",
    replications: int = 10,
    seed: int | None = None,
    max_iter: int = 30,
    workers: int = 1,
    progress=None,
    start: Plan | None = None,
    executor=None,
) -> Plan:
    """Iterative staffing by simulation, starting from the Erlang plan."""
    from ska_sim.sim.runner import simulate

    lm = LoadModel(s)
    tl = lm.tl
    start = start or erlang_plan(s, scope, lm=lm)
    agents = start.agents.copy()
    seed = s.simulation.seed if seed is None else seed
    target = s.targets.service_level.share
    measured = np.flatnonzero(tl.iv_measured())
    history = []
    tried_down: set[int] = set()  # intervals that already gave up an agent once
    converged, just_trimmed = False, False
    best_ok: np.ndarray | None = None  # the last plan that met every target in the simulation
    sl_iv = np.full(len(agents), np.nan)
    it = 0
    for it in range(1, max_iter + 1):
        r = simulate(with_agents(s, tl, agents), replications=replications, seed=seed, workers=workers,
                     executor=executor)
        sl_iv = np.full(len(agents), np.nan)
        sl_iv[measured] = r.intervals["service_level"].to_numpy()
        failing = [u for u in units_of(r, tl, scope, measured) if not u.ok]
        history.append({"iteration": it, "agent_hours": float(agents.sum() * tl.interval_s / 3600),
                        "units_failing": len(failing), "window_service_level": r.kpi("service_level")})
        if progress:
            progress(it, max_iter)
        if failing and just_trimmed and best_ok is not None:
            for u in failing:  # the trim went too far there: give those agents back
                agents[u.intervals] = np.maximum(agents[u.intervals], best_ok[u.intervals])
            just_trimmed = False
            continue
        just_trimmed = False
        if failing:
            offered = r.intervals["offered"].to_numpy()
            aht = r.intervals["aht_s"].to_numpy()
            for u in failing:
                if scope == "interval":
                    (k,) = u.intervals
                    j = int(np.searchsorted(measured, k))
                    agents[k] = max(agents[k] + 1, _required(lm, float(offered[j]), float(aht[j]), int(agents[k])))
                else:  # one more agent in the worst third of the unit's intervals
                    worst = u.intervals[np.argsort(sl_iv[u.intervals])][: max(1, len(u.intervals) // 3)]
                    agents[worst] += 1
            continue
        best_ok = agents.copy()
        slack = [k for k in measured if k not in tried_down and agents[k] > 0 and sl_iv[k] >= target + TRIM_MARGIN]
        if not slack:
            converged = True
            break
        for k in slack:  # take one agent away where the simulation shows slack, once per interval
            agents[k] -= 1
            tried_down.add(k)
        just_trimmed = True
    if not converged and best_ok is not None:
        agents = best_ok
    return Plan(agents, start.offered, sl_iv, "simulation", scope, it, converged, history)


@dataclass
class Unit:
    intervals: np.ndarray
    ok: bool


def units_of(r, tl: Timeline, scope: str, measured: np.ndarray) -> list[Unit]:
    from ska_sim.sim.kpi import targets_of

    targets = [t for t in targets_of(r.scenario) if t.kpi in ("service_level", "answer_rate", "abandon_rate", "asa_s")]
    if scope == "interval":
        table, groups = r.intervals, [np.array([k]) for k in measured]
    elif scope == "day":
        table = r.days
        groups = [measured[tl.iv_day[measured] == d] for d in np.unique(tl.iv_day[measured])]
    else:
        table = r.summary.set_index("kpi")["mean"].to_frame().T
        groups = [measured]
    units = []
    for i, idx in enumerate(groups):
        ok = all(bool(t.met(np.array([table[t.kpi].iloc[i]]))[0]) or np.isnan(table[t.kpi].iloc[i]) for t in targets)
        units.append(Unit(idx, ok))
    return units


# --------------------------------------------------------------------------- shrinkage, tables
def shrinkage_table(s: Scenario, tl: Timeline, agents: np.ndarray) -> pd.DataFrame:
    """Agents on the phones -> agents at work (in-shift shrinkage) -> paid agents (absence), per interval."""
    weekdays = [WEEKDAYS[tl.dates[d].weekday()] for d in tl.iv_day]
    from ska_sim.scenario.activities import activity_share, shrinkage_shares

    share = activity_share(s) if s.activities is not None else None  # [activities] replace typed shares
    per_day = {w: shrinkage_shares(s, w, share) for w in set(weekdays)}
    in_shift = np.array([per_day[w][0] for w in weekdays])
    absence = np.array([per_day[w][1] for w in weekdays])
    at_work = agents / (1 - in_shift)
    paid = at_work / (1 - absence)
    return pd.DataFrame(
        {
            "date": [tl.dates[d].isoformat() for d in tl.iv_day],
            "weekday": weekdays,
            "time": [format_clock(x * tl.interval_s) for x in tl.iv_slot],
            "agents_on_phones": agents,
            "in_shift_shrinkage": in_shift,
            "agents_at_work": at_work,
            "absence": absence,
            "agents_paid": paid,
        }
    )


def working_days(s: Scenario) -> list:
    """The working days of the measured window: Monday to Friday, less the closed dates
    (``calendar.closed`` lists public holidays). Weekends count as no working day even when
    the line is open then: the working-time norm of a full-time advisor is per calendar week.
    With ``calendar.country`` its public holidays are no working days either (calendar.py)."""
    from ska_sim.scenario.calendar import working_days as calendar_working_days

    return calendar_working_days(s)


def working_time_norm_h(s: Scenario) -> float:
    """Paid hours of one full-time equivalent over the measured window: ``fte_hours_per_week``
    / 5 per working day (40 h in an ordinary Monday-Friday week; 80 h in two), less
    ``calendar.shortened_by_h`` for each shortened working day (``calendar.shortened``; EE §53:
    the week of 23 February 2026 has 4 working days and one shortened: 4 x 8 - 3 = 29 h)."""
    from ska_sim.scenario.calendar import shortened_working_days

    days = working_days(s)
    shortened = shortened_working_days(s)  # calendar.shortened, and the country's pre-holiday days
    return len(days) * s.shrinkage.fte_hours_per_week / 5 - len(shortened) * s.calendar.shortened_by_h


def fte_of(s: Scenario, paid_hours: float) -> float:
    """Full-time equivalents of ``paid_hours`` paid over the measured window: paid hours / the
    window's working-time norm. The one definition every command uses; NaN without a working day."""
    norm = working_time_norm_h(s)
    return paid_hours / norm if norm > 0 else math.nan


def heads_of(s: Scenario, fte_value: float) -> float:
    """People needed for ``fte_value`` FTE at ``shrinkage.fte_per_head`` FTE per person, rounded up."""
    if not math.isfinite(fte_value):
        return math.nan
    return float(math.ceil(fte_value / s.shrinkage.fte_per_head - 1e-9))


def paid_hours_of(s: Scenario, tl: Timeline, agents: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Paid hours of agents on the phones per interval: / (1 - in-shift shrinkage) / (1 - absence)."""
    table = shrinkage_table(s, tl, agents)
    paid = table["agents_paid"].to_numpy()
    if mask is not None:
        paid = paid[mask]
    return float(paid.sum() * tl.interval_s / 3600)


def fte(s: Scenario, table: pd.DataFrame, interval_s: int) -> dict[str, float]:
    """The shrinkage chain of a plan over the measured window: hours on the phones -> hours at
    work -> paid hours -> FTE (paid hours / the window's working-time norm) -> heads.

    ``table`` is a :func:`shrinkage_table` of the measured intervals. Check by hand: one
    Monday-Friday week, FTE = paid hours / 40.
    """
    h = interval_s / 3600
    return chain(s, float(table["agents_on_phones"].sum() * h), float(table["agents_at_work"].sum() * h),
                 float(table["agents_paid"].sum() * h))


def chain(s: Scenario, phones: float, work: float, paid: float) -> dict[str, float]:
    """The shrinkage chain from its hours: phone, at work, paid -> FTE and heads (see :func:`fte`)."""
    norm = working_time_norm_h(s)
    weeks = norm / s.shrinkage.fte_hours_per_week
    value = fte_of(s, paid)
    return {
        "phone_hours": phones,
        "hours_at_work": work,
        "paid_hours": paid,
        "working_days": float(len(working_days(s))),
        "working_time_norm_hours": norm,
        "paid_hours_per_week": paid / weeks if weeks > 0 else math.nan,
        "fte": value,
        "fte_hours_per_week": s.shrinkage.fte_hours_per_week,
        "heads": heads_of(s, value),
        "fte_per_head": s.shrinkage.fte_per_head,
        "shrinkage_total": 1 - phones / paid if paid > 0 else 0.0,
    }


# --------------------------------------------------------------------------- the whole pipeline
@dataclass
class StaffingResult:
    """What `ska-sim staff` reports (DataFrames with units in column names)."""

    scenario: Scenario
    method: str
    scope: str
    requirements: pd.DataFrame  # per measured interval
    scopes: pd.DataFrame  # agent-hours per method and scope, and the change against the Erlang interval plan
    fte: dict
    plans: dict[str, Plan]
    shift_plan: pd.DataFrame | None
    coverage: pd.DataFrame | None
    plan_result: object  # SimulationResult of the final plan (the shift plan when shifts are given)
    comparison: pd.DataFrame | None = None  # today's plan beside each recommendation, simulated (PLAN_COLUMNS)
    recommended: str = ""  # the row of ``comparison`` that is the recommendation
    group_fte: pd.DataFrame | None = None  # with [[groups]]: plan, group (and "total"), hours, FTE, heads

    def verdict(self) -> str:
        """The recommended plan's verdict in simulation, in plain words ('' when it meets every target)."""
        return plan_verdict(self)

    def _people_json(self) -> dict:
        """[costs]: the recommended plan's euros (costs.money_of); [activities]: their arithmetic."""
        from ska_sim.base.jsonable import json_records, json_value

        s, out = self.scenario, {}
        if s.costs is not None:
            from ska_sim.plan.costs import money_of

            out["money"] = {k: json_value(v) for k, v in money_of(s, self.fte["fte"], self.fte["heads"]).items()}
        if s.activities is not None:
            from ska_sim.scenario.activities import activity_share, activity_table

            out["activities"] = {"rows": json_records(activity_table(s)), "activity_share": activity_share(s)}
        return out

    def to_json(self) -> dict:
        from ska_sim.base.jsonable import json_records, json_value

        return {
            "scenario": self.scenario.name,
            "method": self.method,
            "scope": self.scope,
            "requirements": json_records(self.requirements),
            "scopes": json_records(self.scopes),
            "fte": {k: json_value(v) for k, v in self.fte.items()},
            "shift_plan": json_records(self.shift_plan) if self.shift_plan is not None else None,
            "coverage": json_records(self.coverage) if self.coverage is not None else None,
            "plans": json_records(self.comparison) if self.comparison is not None else None,
            "recommended": self.recommended,
            "verdict": self.verdict(),
            **({"groups": json_records(self.group_fte)} if self.group_fte is not None else {}),
            **self._people_json(),
            "plan": self.plan_result.to_json(),
        }


PLAN_TARGET_KPIS = ("service_level", "answer_rate", "abandon_rate", "asa_s", "fcr")


def plan_row(s: Scenario, name: str, phone_hours: float, paid_hours: float, result) -> dict:
    """One plan, simulated: its hours, FTE and heads, and per target the mean, interval,
    status, share of days met and share of replications (the window) met."""
    value = fte_of(s, paid_hours)
    row = {"plan": name, "phone_hours": phone_hours, "paid_hours": paid_hours, "fte": value,
           "heads": heads_of(s, value)}
    if s.costs is not None:  # [costs]: FTE x the month's / year's working-time norm x EUR per paid hour
        from ska_sim.plan.costs import money_of

        money = money_of(s, value)
        row["eur_per_month"], row["eur_per_year"] = money["eur_per_month"], money["eur_per_year"]
    statuses = []
    for t in result.targets.itertuples():
        row[t.kpi] = t.mean
        row[f"{t.kpi}_ci_low"], row[f"{t.kpi}_ci_high"] = t.ci_low, t.ci_high
        row[f"{t.kpi}_status"] = t.status
        row[f"{t.kpi}_days_met_share"] = t.days_met_share
        row[f"{t.kpi}_replications_met_share"] = t.replications_met_share
        statuses.append(t.status)
    row["verdict"] = "FAIL" if "FAIL" in statuses else ("UNCERTAIN" if "UNCERTAIN" in statuses else "PASS")
    return row


def plan_verdict(st: StaffingResult) -> str:
    """Plain words when the recommended plan fails or is uncertain in simulation.

    Every target that is not a PASS is named with its mean, interval, days met and chance over
    the window. Whether the mean meets each target (the criterion the staffing searches use,
    ISSUE-NOTES) decides the advice: a plan that meets them by the mean but is UNCERTAIN needs
    more replications, not another method."""
    if st.comparison is None or not st.recommended:
        return ""
    row = st.comparison.set_index("plan").loc[st.recommended]
    if row["verdict"] == "PASS":
        return ""
    from ska_sim.sim.kpi import KPI_UNITS, targets_of

    def shown(x, unit: str) -> str:
        if x is None or x != x:
            return "-"
        return f"{x:.1%}" if unit == "share" else f"{x:.1f} s"

    misses, mean_meets = [], True
    scenario = getattr(st, "scenario", None)
    targets = {t.key: t for t in targets_of(scenario, languages=True)} if scenario is not None else {}
    for key in [k[: -len("_status")] for k in row.index if k.endswith("_status")]:
        status = row[f"{key}_status"]
        if not isinstance(status, str) or status == "PASS":
            continue
        kpi, _, lang = key.partition(":")
        unit = KPI_UNITS[kpi]
        if key in targets and not bool(targets[key].met(np.array([row[key]]))[0]):
            mean_meets = False
        days = row.get(f"{key}_days_met_share")
        days_text = f"met on {days:.0%} of days and " if days is not None and days == days else ""
        name = kpi.replace("_", " ") + (f" ({lang} calls)" if lang else "")
        misses.append(
            f"{name} {status} at {shown(row[key], unit)} [{shown(row[f'{key}_ci_low'], unit)}, "
            f"{shown(row[f'{key}_ci_high'], unit)}], {days_text}over the window in "
            f"{row[f'{key}_replications_met_share']:.0%} of replications"
        )
    word = "FAILS" if row["verdict"] == "FAIL" else "is UNCERTAIN against"
    groups = (", and on separated agent groups it leaves out overflow, lines and callbacks"
              if getattr(scenario, "groups", None) else "")
    reps = getattr(getattr(st, "plan_result", None), "replications", None)
    if mean_meets and row["verdict"] == "UNCERTAIN":
        advice = (f"By the mean it meets every target (the criterion the staffing search uses); at {reps} replications "
                  "the interval still straddles a target: run more replications (-r) to narrow it.")
    elif st.method == "erlang":
        advice = ("Erlang per interval is optimistic here (queues carry over between intervals, patience and handle "
                  f"times are not exponential{groups}): use --method simulation for a plan checked by the simulator.")
    else:
        advice = ("The simulation method did not reach a plan whose mean meets every target: try more replications "
                  "(-r) or another --scope.")
    return f"WARNING: the recommended plan ({st.recommended}) {word} its targets in simulation: " + "; ".join(misses) + \
        f". {advice}"


def scopes_table(plans: dict[str, Plan], tl: Timeline) -> pd.DataFrame:
    """Agent-hours on the phones over the measured days per method and scope, and the change
    against the Erlang interval plan (plans with one column per group are summed over groups)."""
    m = tl.iv_measured()
    h = tl.interval_s / 3600

    def hours(p: Plan) -> float:
        return float(p.agents[m].sum() * h)

    base = hours(plans["erlang_interval"])
    return pd.DataFrame([
        {
            "method": key.split("_")[0],
            "scope": key.split("_", 1)[1],
            "agent_hours": hours(p),
            "change_vs_erlang_interval_hours": hours(p) - base,
            "change_vs_erlang_interval_share": (hours(p) - base) / base if base else 0.0,
            "iterations": p.iterations,
            "converged": p.converged,
        }
        for key, p in plans.items()
    ])


def plan_staffing(
    s: Scenario,
    method: str = "erlang",
    scope: str = "interval",
    shifts=None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress=None,
    say=None,
    executor=None,
) -> StaffingResult:
    """Requirements (Erlang, and simulation if asked), shrinkage to FTE, optional shift plan,
    and a simulation of the final plan against the targets (the loop closed). A scenario with
    [[groups]] is planned per group (``staffing_groups.plan_staffing_groups``)."""
    from ska_sim.sim.runner import simulate

    say = say or (lambda msg: None)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    if s.groups:  # plans per agent group (staffing_groups)
        from ska_sim.plan.staffing_groups import plan_staffing_groups

        return plan_staffing_groups(s, method, scope, shifts, replications, seed, workers, progress, say, executor)
    lm = LoadModel(s)
    tl = lm.tl
    plans: dict[str, Plan] = {}
    for sc in SCOPES:
        say(f"Erlang requirement, {sc} scope")
        plans[f"erlang_{sc}"] = erlang_plan(s, sc, lm=lm)
    chosen = plans[f"erlang_{scope}"]
    if method == "simulation":
        say(f"iterative staffing by simulation, {scope} scope")
        chosen = simulation_plan(s, scope, replications=replications or min(s.simulation.replications, 10), seed=seed,
                                 workers=workers, progress=progress, start=chosen, executor=executor)
        plans[f"simulation_{scope}"] = chosen
    m = tl.iv_measured()
    h = tl.interval_s / 3600
    scopes = scopes_table(plans, tl)
    shrink = shrinkage_table(s, tl, chosen.agents)
    req = shrink[m].reset_index(drop=True)
    req.insert(3, "offered_expected", chosen.offered[m])
    for sc in SCOPES:
        req[f"agents_erlang_{sc}"] = plans[f"erlang_{sc}"].agents[m]
    req["erlang_service_level"] = plans[f"erlang_{scope}"].service_level[m]
    if method == "simulation":
        req["agents_simulation"] = chosen.agents[m]
        req["simulated_service_level"] = chosen.service_level[m]
    fte_info = fte(s, req, tl.interval_s)

    shift_plan = coverage_df = None
    final_agents = chosen.agents
    if shifts is not None:
        from ska_sim.plan.shifts import plan_table, schedule

        say("shift plan (integer program)")
        at_work = np.ceil(shrink["agents_at_work"].to_numpy() - 1e-9)
        day_plans = schedule(shifts, tl, at_work)
        covered = np.concatenate([p.covered for p in day_plans])
        in_shift = shrink["in_shift_shrinkage"].to_numpy()
        final_agents = np.floor(covered * (1 - in_shift) + 1e-9).astype(np.int64)
        measured_dates = {d.isoformat() for d, ok in zip(tl.dates, tl.measured) if ok}
        shift_plan = plan_table(shifts, day_plans)
        shift_plan = shift_plan[shift_plan["date"].isin(measured_dates)].reset_index(drop=True)
        coverage_df = pd.DataFrame(
            {
                "date": req["date"],
                "time": req["time"],
                "required_at_work": at_work[m],
                "scheduled_at_work": covered[m],
                "agents_on_phones": final_agents[m],
                "surplus_at_work": covered[m] - at_work[m],
            }
        )
        # the recommendation is now the shift plan: its chain is the shifts' paid hours at work
        # (surplus and time outside opening hours included), then absence
        absence = {d.isoformat(): s.shrinkage.shares(WEEKDAYS[d.weekday()])[1] for d in tl.dates}
        work = float(shift_plan["paid_hours"].sum())
        paid = float(sum(ph / (1 - absence[d]) for d, ph in zip(shift_plan["date"], shift_plan["paid_hours"])))
        fte_info = chain(s, float(final_agents[m].sum() * h), work, paid)
    # every plan simulated on the same callers, today's beside the recommendations (the loop closed)
    def run(agents: np.ndarray | None):
        scen = s if agents is None else with_agents(s, tl, agents)
        return simulate(scen, replications=replications, seed=seed, workers=workers, executor=executor)

    rows = []
    say("simulating today's plan")
    rows.append(plan_row(s, "today", float(tl.iv_agents[m].sum() * h), paid_hours_of(s, tl, tl.iv_agents, m),
                         run(None)))
    plan_result = None
    recommended = ""
    for key, p in plans.items():
        name = key.replace("_", " ")
        say(f"simulating the {name} plan")
        r = run(p.agents)
        rows.append(plan_row(s, name, float(p.agents[m].sum() * h), paid_hours_of(s, tl, p.agents, m), r))
        if p is chosen:
            plan_result, recommended = r, name
    if shift_plan is not None:
        say("simulating the shift plan")
        plan_result = run(final_agents)
        absence = {d.isoformat(): s.shrinkage.shares(WEEKDAYS[d.weekday()])[1] for d in tl.dates}
        paid = float(sum(ph / (1 - absence[d]) for d, ph in zip(shift_plan["date"], shift_plan["paid_hours"])))
        recommended = "shift plan"
        rows.append(plan_row(s, recommended, float(final_agents[m].sum() * h), paid, plan_result))
    comparison = pd.DataFrame(rows)
    comparison.insert(1, "recommended", comparison["plan"] == recommended)
    return StaffingResult(s, method, scope, req, scopes, fte_info, plans, shift_plan, coverage_df, plan_result,
                          comparison, recommended)
