"""``simulate``: a scenario to a :class:`SimulationResult`, its replications run by an executor
(:mod:`ska_sim.sim.executors`: this process, local worker processes, a warm pool, or Dask).

Seeds: replication i runs with ``SeedSequence(seed, spawn_key=(i,))``, the i-th child that
``SeedSequence(seed).spawn(n)`` would give. It depends on nothing but the seed and i, so
results are identical whatever the number of workers or the order they finish in.

Each replication is reduced to KPIs per level (interval, day, time of day, call type,
window; language when the scenario has [languages]; group and group_interval when it has
[[groups]]) where it ran; only those small arrays travel back, so memory does not grow with
the number of calls.
"""

from __future__ import annotations

import numpy as np

from ska_sim.scenario.model import Scenario
from ska_sim.sim.engine import Model
from ska_sim.sim.executors import Executor, Progress
from ska_sim.sim.replication import Groups
from ska_sim.sim.results import SimulationResult


def run_replications(
    model: Model,
    replications: int,
    seed: int,
    workers: int = 1,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> list[dict[str, dict[str, np.ndarray]]]:
    """KPIs of replications 0..n-1, in index order."""
    executor = executor or Executor(workers)
    return executor.map(model, Groups.of(model), seed, list(range(replications)), progress)


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    executor: Executor | None = None,
):
    """Simulate ``scenario``; returns a :class:`ska_sim.sim.results.SimulationResult`.

    ``replications`` and ``seed`` default to the scenario's ``[simulation]`` block;
    ``executor`` (or ``workers`` local processes) runs the replications.
    """
    reps = replications or scenario.simulation.replications
    seed = scenario.simulation.seed if seed is None else seed
    model = Model.from_scenario(scenario)
    results = run_replications(model, reps, seed, workers=workers, progress=progress, executor=executor)
    return SimulationResult.build(scenario, model, Groups.of(model), results, seed)


def simulate_many(
    scenarios: list[Scenario],
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> list:
    """``simulate`` of each scenario (the same defaults), their replications run together: on
    local worker processes the workers take every scenario's replications as they come free."""
    executor = executor or Executor(workers)
    runs, models = [], []
    for scenario in scenarios:
        model = Model.from_scenario(scenario)
        seed_of = scenario.simulation.seed if seed is None else seed
        runs.append((model, Groups.of(model), seed_of, list(range(replications or scenario.simulation.replications))))
        models.append(model)
    results = executor.map_runs(runs, progress)
    return [SimulationResult.build(scenario, model, groups, kpis, seed_of)
            for scenario, model, (_, groups, seed_of, _), kpis in zip(scenarios, models, runs, results)]
