"""The per-replication table: every count and time of every replication, per call type and per
answering group, for statistics an analyst defines (``run --per-replication``,
``SimulationResult.per_replication_calls``).

One row per replication x call type x group, over the measured window (warm-up excluded), in
the units of :mod:`ska_sim.sim.kpi`'s counters (calls; seconds for ``*_s``):

- group ``(all)``: the call type's totals, every counter of ``COUNT_FIELDS`` plus ``handle_s``
  (agent time of its answered calls: talk + identity check + after-call work, factors applied);
- a group's name (scenarios with ``[[groups]]``): the part of the type's answered calls that
  group answered: ``answered``, ``answered_within_t``, ``wait_sum_s``, ``first_contacts``,
  ``resolved_first`` (resolved at that answer), ``repeat_contacts`` and ``handle_s``; the
  counters no group owns (offered, abandoned, cut off at close, transfers, callbacks, ...) are
  empty there. The group rows of a type sum to its ``(all)`` row in those columns, except
  ``resolved_first``, whose ``(all)`` value also counts issues resolved by their transfer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ska_sim.sim.kpi import COUNT_FIELDS, TYPE_GROUP_FIELDS

ALL_GROUPS = "(all)"
COLUMNS = ("replication", "call_type", "group", *COUNT_FIELDS, "handle_s")


def per_replication_table(type_names: list[str], group_names: tuple[str, ...],
                          type_counts: dict[str, np.ndarray], type_group: dict[str, np.ndarray]) -> pd.DataFrame:
    """The table from the stacked levels: ``type_counts`` field -> (replications, types) and
    ``type_group`` field -> (replications, types x groups) (groups () without named groups:
    only the ``(all)`` rows)."""
    n_reps, n_types = type_counts["offered"].shape
    n_g = type_group["answered"].shape[1] // n_types
    totals = {f: type_counts[f] for f in COUNT_FIELDS}
    totals["handle_s"] = type_group["handle_s"].reshape(n_reps, n_types, n_g).sum(axis=2)
    frames = [pd.DataFrame({"replication": np.repeat(np.arange(n_reps), n_types),
                            "call_type": np.tile(type_names, n_reps), "group": ALL_GROUPS,
                            **{f: v.reshape(-1) for f, v in totals.items()}})]
    if group_names:
        split = {f: type_group[f].reshape(-1) for f in TYPE_GROUP_FIELDS}
        frames.append(pd.DataFrame({"replication": np.repeat(np.arange(n_reps), n_types * n_g),
                                    "call_type": np.tile(np.repeat(type_names, n_g), n_reps),
                                    "group": np.tile(group_names, n_reps * n_types), **split}))
    table = pd.concat(frames, ignore_index=True)
    order = {g: i for i, g in enumerate((ALL_GROUPS, *group_names))}
    table["_rank"] = table["group"].map(order)
    type_rank = {t: i for i, t in enumerate(type_names)}
    table["_type"] = table["call_type"].map(type_rank)
    table = table.sort_values(["replication", "_type", "_rank"], kind="stable").drop(columns=["_rank", "_type"])
    return table.reindex(columns=list(COLUMNS)).reset_index(drop=True)
