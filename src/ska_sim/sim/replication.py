"""One replication reduced to KPIs per level where it ran, and the stacking of those KPIs
across replications.

Each replication is reduced to KPIs per level (interval, day, time of day, call type,
window; language when the scenario has [languages]; group and group_interval when it has
[[groups]]); only those small arrays travel back from a worker, so memory does not grow with
the number of calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ska_sim.sim.collector import level_counts
from ska_sim.sim.engine import Model, simulate_replication
from ska_sim.sim.kpi import COUNT_KPIS, group_kpis, kpis
from ska_sim.sim.written_kpis import written_levels


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
    if model.languages:  # KPIs per language, as per call type
        out["language"] = kpis(*level_counts(rc, "language"))
    if model.routing is not None and model.routing.named:  # per agent group (kpi.GROUP_KPI_UNITS)
        out["group"] = group_kpis(*level_counts(rc, "group"))
        out["group_interval"] = group_kpis(*level_counts(rc, "group_interval"))  # row = interval * groups + group
    if rc.written is not None:  # [[written]]: its KPIs per day and window (all kinds), and per kind
        w = written_levels(rc.written, model.timeline.measured, groups.day_index)
        out["day"].update(w["day"])
        out["window"].update(w["window"])
        out["written_kinds"] = w["kinds"]
        out["written_kind_day"] = w["kind_day"]
    # raw counts per call type and per (call type, answering group): the per-replication table
    out["type_counts"] = level_counts(rc, "call_type")[0]
    out["type_group"] = {k: v.reshape(-1) for k, v in rc.type_group.items()}
    return out


def run_one(args) -> dict:
    model, groups, seed, index = args
    return replication_kpis(model, groups, seed, index)


def stack(results: list[dict[str, dict[str, np.ndarray]]]) -> Iterator[tuple[str, str, np.ndarray]]:
    """(level, KPI, array of shape (replications, groups)) for every level and KPI."""
    for level in results[0]:
        for name in results[0][level]:
            yield level, name, np.stack([r[level][name] for r in results])
