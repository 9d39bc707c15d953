"""``staff --confidence q``: the cheapest plan whose chance of meeting every target over the
window is at least q, against the scenario's forecast (its uncertainty drawn per replication).

The plan staff recommends (the one that meets every target by the simulated mean) is scaled
up in every interval by a factor from the grid 1, 1 + STEP, 1 + 2 STEP, ... (agents rounded to
the nearest whole, never fewer than the base plan's) and simulated on the same callers (common
random numbers); the smallest factor whose chance (``sim.targets.window_chance``: the share of
replications whose whole window meets every target at once) is at least q is the plan. The
grid is searched by doubling, then bisection: the chance rises with the agents. The plan is
the cheapest of the plans of that form; its FTE beside the base plan's is what the forecast's
uncertainty costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ska_sim.base.jsonable import json_value
from ska_sim.plan.by_simulation import with_agents
from ska_sim.plan.plan import agents_plan, plan_figures
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.timeline import Timeline
from ska_sim.sim import runner
from ska_sim.sim.targets import window_chance

STEP = 0.02  # the grid of factors: 2% more agents a step
MAX_STEPS = 50  # up to twice the base plan


@dataclass
class ConfidencePlan:
    """The plan for a chance of at least ``confidence``, beside the base plan."""

    confidence: float
    base_name: str
    base_agents: np.ndarray
    base_chance: float
    base_figures: dict
    factor: float  # the agents of the base plan x this (rounded)
    agents: np.ndarray
    chance: float
    figures: dict
    result: object  # the plan's SimulationResult
    met: bool  # a factor up to 1 + MAX_STEPS x STEP reached the confidence
    tried: list[dict] = field(default_factory=list)  # factor, phone hours, chance, per plan simulated

    def extra_fte(self) -> float:
        """What the uncertainty costs: the plan's FTE less the base plan's."""
        return float(self.figures["fte"] - self.base_figures["fte"])

    def to_json(self) -> dict:
        return {"confidence": self.confidence, "base_plan": self.base_name, "base_chance": json_value(self.base_chance),
                "base_fte": json_value(self.base_figures["fte"]), "factor": self.factor, "chance": json_value(self.chance),
                "fte": json_value(self.figures["fte"]), "paid_hours": json_value(self.figures["paid_hours"]),
                "extra_fte": json_value(self.extra_fte()), "met": self.met, "tried": self.tried}


def scaled(agents: np.ndarray, factor: float) -> np.ndarray:
    """The agents x ``factor``, rounded to the nearest whole and never fewer than given."""
    a = np.asarray(agents)
    return np.maximum(a, np.floor(a * factor + 0.5)).astype(np.int64)


def confidence_plan(s: Scenario, tl: Timeline, base_agents: np.ndarray, confidence: float, base_name: str = "",
                    replications: int | None = None, seed: int | None = None, workers: int = 1, executor=None,
                    say=None) -> ConfidencePlan:
    """The smallest factor of the grid whose plan meets every target over the window in at
    least ``confidence`` of the replications (module docstring)."""
    say = say or (lambda msg: None)
    m = tl.iv_measured()
    runs: dict[int, tuple[float, object]] = {}
    by_agents: dict[bytes, tuple[float, object]] = {}  # factors that round to the same agents: simulated once
    tried: list[dict] = []

    def chance(k: int) -> float:
        if k not in runs:
            agents = scaled(base_agents, 1 + k * STEP)
            key = agents.tobytes()
            if key in by_agents:
                runs[k] = by_agents[key]
                return runs[k][0]
            say(f"confidence {confidence:.0%}: agents x {1 + k * STEP:.2f}")
            r = runner.simulate(with_agents(s, tl, agents), replications=replications, seed=seed, workers=workers,
                                executor=executor)
            runs[k] = by_agents[key] = (window_chance(r), r)
            tried.append({"factor": round(1 + k * STEP, 4), "phone_hours": float(agents.sum(axis=-1)[m].sum()
                          if agents.ndim == 2 else agents[m].sum()) * tl.interval_s / 3600, "chance": runs[k][0]})
        return runs[k][0]

    lo, hi = -1, None  # lo: the largest step known to fall short; hi: the smallest known to reach
    k = 0
    while k <= MAX_STEPS:
        if chance(k) >= confidence - 1e-12:
            hi = k
            break
        lo = k
        k = 1 if k == 0 else min(2 * k, MAX_STEPS) if k < MAX_STEPS else MAX_STEPS + 1
    if hi is not None:
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if chance(mid) >= confidence - 1e-12:
                hi = mid
            else:
                lo = mid
    best = hi if hi is not None else MAX_STEPS
    agents = scaled(base_agents, 1 + best * STEP)
    figures = plan_figures(s, tl, agents_plan(agents, f"confidence {confidence:.0%}"))
    base_figures = plan_figures(s, tl, agents_plan(np.asarray(base_agents), base_name or "base"))
    return ConfidencePlan(confidence, base_name, np.asarray(base_agents), chance(0), base_figures, 1 + best * STEP,
                          agents, runs[best][0], figures, runs[best][1], hi is not None,
                          sorted(tried, key=lambda t: t["factor"]))
