"""Service-level thresholds per call type (``[targets.service_level] threshold_s_by_type``) as
the Erlang formulas see them.

The simulation counts each call answered within its own type's threshold T. A pool of agents
that serves several types from one FIFO queue gives every call the same waiting-time
distribution, so its service level is the offered-weighted mix of P(wait <= T_k) over the
types: sum_k w_k SL(T_k), with w_k the share of the pool's calls of type k. A *mix* is that
list of (T, w) pairs (distinct thresholds, weights summing to 1); a scenario without
per-type thresholds keeps its single threshold (a float), and every function here then gives
exactly the single-threshold value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ska_sim.scenario.model import Scenario

Mix = tuple[tuple[float, float], ...]  # (threshold T in s, weight), weights summing to 1


def as_mix(threshold: float | Mix) -> Mix:
    """A threshold as a mix (a float is the mix of one threshold with weight 1)."""
    return threshold if isinstance(threshold, tuple) else ((float(threshold), 1.0),)


def mix_of(thresholds: Sequence[float], weights: Sequence[float]) -> float | Mix:
    """The mix of calls with ``thresholds`` (one per column: call type or cell) in proportion to
    ``weights``; the threshold itself (a float) when every column has the same one, or no weight."""
    by_t: dict[float, float] = {}
    for t, w in zip(thresholds, weights):
        by_t[float(t)] = by_t.get(float(t), 0.0) + max(0.0, float(w))
    total = sum(by_t.values())
    if len(by_t) == 1 or total <= 0:
        return float(thresholds[0])
    return tuple((t, w / total) for t, w in sorted(by_t.items()) if w > 0)


def type_thresholds(s: Scenario) -> list[float]:
    """Each call type's threshold T (s), in file order."""
    return [s.targets.service_level.threshold_of(ct.name) for ct in s.call_types]


def line_mix(s: Scenario, offered_by_type: Sequence[float]) -> float | Mix:
    """The line's threshold mix for calls offered in proportion to ``offered_by_type``."""
    if not s.targets.service_level.threshold_s_by_type:
        return float(s.targets.service_level.threshold_s)
    return mix_of(type_thresholds(s), offered_by_type)


def mixed(service_level: Callable[[float], np.ndarray | float], threshold: float | Mix):
    """sum_T w_T service_level(T) over the mix (``service_level(T)`` itself for one threshold)."""
    mix = as_mix(threshold)
    out = service_level(mix[0][0]) * mix[0][1]
    for t, w in mix[1:]:
        out = out + service_level(t) * w
    return out


def group_mixes(s: Scenario, routing, n_langs: int) -> list[float | Mix]:
    """Per agent group (``routing``: the scenario's RoutingModel), the threshold mix of the calls
    it is first in line for, weighted by the call types' and languages' shares (as the
    cross-check's per-group comparison sees its calls)."""
    sl = s.targets.service_level
    if not sl.threshold_s_by_type:
        return [float(sl.threshold_s)] * routing.n_groups
    langs = list(s.languages)[:n_langs] or [None]
    weights = np.zeros((routing.n_groups, len(s.call_types)))
    type_shares = s.type_shares()
    for k, ct in enumerate(s.call_types):
        shares = s.language_shares(ct) or {None: 1.0}
        for li, lang in enumerate(langs):
            el = routing.eligible[k * n_langs + li]
            if el:
                weights[el[0][0], k] += type_shares[k] * shares.get(lang, 0.0)
    thresholds = type_thresholds(s)
    return [mix_of(thresholds, weights[g]) for g in range(routing.n_groups)]
