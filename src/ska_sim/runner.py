"""Replications: seeds, executors, and the reduction of each replication to KPIs.

Seeds: replication i runs with ``SeedSequence(seed, spawn_key=(i,))``, the i-th child that
``SeedSequence(seed).spawn(n)`` would give. It depends on nothing but the seed and i, so
results are identical whatever the number of workers or the order they finish in.

Each replication is reduced to KPIs per level (interval, day, time of day, call type,
window) where it ran; only those small arrays travel back, so memory does not grow with
the number of calls.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from .engine import Model, simulate_replication
from .kpi import COUNT_KPIS, kpis, level_counts
from .scenario import Scenario

Progress = Callable[[int, int], None]  # (replications done, total)


@dataclass(frozen=True)
class Groups:
    """How measured intervals group into days and times of day."""

    day: np.ndarray  # per measured interval: index among measured open days
    n_days: int
    day_index: np.ndarray  # the simulated-day index of each measured open day
    time_of_day: np.ndarray  # per measured interval: index of its clock slot
    slots: np.ndarray  # the clock slots present, in order

    @classmethod
    def of(cls, model: Model) -> Groups:
        tl = model.timeline
        m = tl.iv_measured()
        days = tl.iv_day[m]
        day_index, day = np.unique(days, return_inverse=True)
        slots, tod = np.unique(tl.iv_slot[m], return_inverse=True)
        return cls(day, len(day_index), day_index, tod, slots)


def replication_kpis(model: Model, groups: Groups, seed: int, index: int) -> dict[str, dict[str, np.ndarray]]:
    """Run replication ``index`` and return its KPIs per level (level -> KPI -> array)."""
    rc = simulate_replication(model, np.random.SeedSequence(seed, spawn_key=(index,)))
    out = {}
    for level in ("interval", "call_type", "window"):
        out[level] = kpis(*level_counts(rc, level))
    out["day"] = kpis(*level_counts(rc, "day", groups.day, groups.n_days))
    tod = kpis(*level_counts(rc, "time_of_day", groups.time_of_day, len(groups.slots)))
    per_day = np.bincount(groups.time_of_day, minlength=len(groups.slots))
    for name in COUNT_KPIS:  # calls per interval, averaged over the days that have it
        tod[name] = tod[name] / per_day
    out["time_of_day"] = tod
    return out


def _run_chunk(args) -> list:
    model, groups, seed, indices = args
    return [replication_kpis(model, groups, seed, i) for i in indices]


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_replications(
    model: Model,
    replications: int,
    seed: int,
    workers: int = 1,
    progress: Progress | None = None,
) -> list[dict[str, dict[str, np.ndarray]]]:
    """KPIs of replications 0..n-1, in index order, on ``workers`` local processes."""
    groups = Groups.of(model)
    results: list = []
    if workers <= 1 or replications == 1:
        for i in range(replications):
            results.append(replication_kpis(model, groups, seed, i))
            if progress:
                progress(i + 1, replications)
        return results
    chunks = [list(range(i, min(i + 1, replications))) for i in range(0, replications)]
    with ProcessPoolExecutor(max_workers=min(workers, replications)) as pool:
        done = 0
        for part in pool.map(_run_chunk, ((model, groups, seed, c) for c in chunks)):
            results.extend(part)
            done += len(part)
            if progress:
                progress(done, replications)
    return results


def stack(results: list[dict[str, dict[str, np.ndarray]]]) -> Iterator[tuple[str, str, np.ndarray]]:
    """(level, KPI, array of shape (replications, groups)) for every level and KPI."""
    for level in results[0]:
        for name in results[0][level]:
            yield level, name, np.stack([r[level][name] for r in results])


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
):
    """Simulate ``scenario``; returns a :class:`ska_sim.results.SimulationResult`.

    ``replications`` and ``seed`` default to the scenario's ``[simulation]`` block.
    """
    from .results import SimulationResult

    reps = replications or scenario.simulation.replications
    seed = scenario.simulation.seed if seed is None else seed
    model = Model.from_scenario(scenario)
    results = run_replications(model, reps, seed, workers=workers, progress=progress)
    return SimulationResult.build(scenario, model, Groups.of(model), results, seed)
