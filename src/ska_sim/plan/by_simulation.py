"""The simulation method's plan: the iterative staffing algorithm in the spirit of Feldman,
Mandelbaum, Massey & Whitt (2008). Simulate the plan, measure every interval, add agents where
the target is missed (by the Erlang step for the load the simulation measured), take agents
away where the simulation shows slack, and repeat until every interval meets the target or
the iteration cap is reached; the plan says which. ``with_agents`` is the scenario that
staffs a plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ska_sim.plan.load import LoadModel, Plan
from ska_sim.plan.requirement import erlang_plan, required_agents
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.timeline import Timeline
from ska_sim.sim import runner
from ska_sim.sim.targets import targets_of

TRIM_MARGIN = 0.08  # an interval this far above the service-level target may give up an agent
MAX_ITER = 30  # the search's iteration cap
# The most calls an automatic search (staff when no plan meets the targets) may simulate: at
# about 250,000 calls a second on one core, a minute and a half of work. Asked for with
# ``--method simulation``, the search runs whatever its size.
AUTO_SEARCH_CALLS = 20_000_000


def search_calls(start: Plan, replications: int, max_iter: int = MAX_ITER) -> float:
    """Calls the search would simulate at most: the start plan's offered calls over every
    simulated day (warm-up included), per replication, per iteration."""
    return float(np.nansum(start.offered)) * replications * max_iter


def with_agents(s: Scenario, tl: Timeline, agents: np.ndarray) -> Scenario:
    """The scenario with the given agents per open interval (as per-date staffing, scale 1).

    With [[groups]], ``agents`` is (open intervals, groups): each group's column becomes that
    group's ``dates`` vectors (every simulated open day), ``staffing.scale`` 1. A roster attached
    (roster.file) is dropped: the given agents are the plan, not the roster's people."""
    if getattr(s, "roster", None) is not None and s.roster.plan is not None:
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
    max_iter: int = MAX_ITER,
    workers: int = 1,
    progress=None,
    start: Plan | None = None,
    executor=None,
) -> Plan:
    """Iterative staffing by simulation, starting from the Erlang plan."""
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
        r = runner.simulate(with_agents(s, tl, agents), replications=replications, seed=seed, workers=workers,
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
                    agents[k] = max(agents[k] + 1, required_agents(lm, float(offered[j]), float(aht[j]), int(agents[k])))
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
