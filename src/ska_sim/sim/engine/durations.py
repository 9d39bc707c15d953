"""Patience per call type and talk / patience factors by period of arrival, as both pools draw
them for the day's first calls (vectorised; follow-ups scale theirs one at a time, calls.py).

Patience is drawn from the day's "patience" stream in one vector per distinct distribution,
in call-type order: the calls whose type has that distribution, in arrival order. When every
call type has the same patience (its own or [patience]) that is one vector for all the day's
calls, the draw of a scenario without per-type patience. Types whose callers never hang up
draw nothing.
"""

from __future__ import annotations

import math

import numpy as np

from ska_sim.maths.distributions import Duration
from ska_sim.sim.engine.model import Model


def patience_groups(m: Model) -> list[tuple[Duration, list[int]]]:
    """The distinct patience distributions of ``m``'s call types, in the order of the first type
    with each, and the types that have it (types without patience are left out)."""
    out: list[tuple[Duration, list[int]]] = []
    for k in range(len(m.types)):
        dist = m.patience_of(k)
        if dist is None:
            continue
        for d, ks in out:
            if d == dist:
                ks.append(k)
                break
        else:
            out.append((dist, [k]))
    return out


def first_patience(m: Model, rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    """Patience of the day's first calls (``types`` in arrival order), from the patience stream ``rng``."""
    n = len(types)
    if m.type_patience is None:
        return m.patience.sample(rng, n) if m.patience else np.full(n, math.inf)
    out = np.full(n, math.inf)
    for dist, ks in patience_groups(m):
        idx = np.flatnonzero(np.isin(types, ks))
        out[idx] = dist.sample(rng, len(idx))
    return out


def scale_by_period(m: Model, times: np.ndarray, types: np.ndarray, talk: np.ndarray, patience: np.ndarray) -> None:
    """Multiply (in place) each first call's talk and patience by its type's factors at its arrival time."""
    table = m.periods
    seg = table.segments(times)
    if table.has_talk:
        talk *= table.talk[types, seg]
    if table.has_patience:
        patience *= table.patience[types, seg]
