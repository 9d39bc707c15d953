"""The offered load of a scenario per interval and call type, and its Erlang performance.

The load a staffing plan meets is first calls plus the redials and repeat calls that the plan
itself causes (more agents, fewer abandons, fewer redials): ``LoadModel.follow_ups`` moves a
share of each interval's calls to the intervals where their follow-ups land (sparse kernels
sampled from the redial and repeat delays). ``Plan`` is what every staffing method returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.maths.erlang import Requirement, erlang_arrays
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.periods import interval_talk_factors
from ska_sim.scenario.timeline import Timeline
from ska_sim.sim.engine import Model
from ska_sim.sim.thresholds import as_mix, line_mix, mixed


def requirement_of(s: Scenario) -> Requirement:
    t = s.targets
    return Requirement(
        threshold_s=t.service_level.threshold_s,
        service_level=t.service_level.share,
        answer_rate=t.answer_rate if s.has_patience() else None,
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


def check_erlang_inputs(s: Scenario, type_aht: np.ndarray, patience_s: float | None) -> None:
    """Erlang's formulas need a handle time above 0 for every call type, and a mean patience
    above 0 when callers hang up: else a ScenarioError naming the key (the simulation runs them)."""
    problems = [Problem("", f"call_types[{i}]", f"{ct.name}: a mean handle time of 0 s (talk + after-call work + "
                        "identity check): the Erlang plans need one above 0")
                for i, (ct, aht) in enumerate(zip(s.call_types, type_aht)) if not aht > 0]
    if patience_s is not None and not patience_s > 0:
        problems.append(Problem("", "patience.mean_s", "a mean patience of 0 s: Erlang A needs one above 0 "
                                "(leave [patience] out for callers who never hang up)"))
    if problems:
        raise ScenarioError(problems)


class LoadModel:
    """Offered load per interval and call type for a staffing vector (the fixed point)."""

    def __init__(self, s: Scenario, model: Model | None = None):
        self.s = s
        self.model = model or Model.from_scenario(s)
        tl = self.model.timeline
        self.tl = tl
        # (intervals, types): each interval's expected first calls, split by its call-type mix (call
        # types with their own profiles), or by each day's type shares ([arrivals.forecast] per type)
        fc = self.model.forecast
        if tl.iv_type_mix is not None:
            mix = tl.iv_type_mix
        else:
            mix = fc.shares[tl.iv_day] if fc is not None else self.model.shares[None, :]
        self.first = tl.iv_expected[:, None] * mix
        self.type_aht = np.array([ct.mean_handle_s() for ct in s.call_types])
        self.resolved = np.array([ct.resolved for ct in s.call_types])
        self.patience_s = s.mean_patience_s()
        # talk by period (scenario/periods.py): each column's call type and mean talk, and each
        # interval's mean talk factor per call type; None: one AHT per column everywhere
        table = self.model.periods
        self.talk_factor = interval_talk_factors(table, tl) if table is not None and table.has_talk else None
        self.col_type = np.arange(len(s.call_types))
        self.col_talk = np.array([ct.talk.build().mean for ct in s.call_types])
        check_erlang_inputs(s, self.type_aht, self.patience_s)
        self.req = requirement_of(s)
        # the service level's threshold: the line's, or with thresholds per call type the mix of
        # the first calls' types (sim/thresholds.py): sum over types of share x Erlang's P(wait <= T_k)
        self.thresholds = line_mix(s, self.first.sum(axis=0))
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
        thr, pat = self.thresholds, self.patience_s
        if not service:
            return erlang_arrays(agents, rate, aht, as_mix(thr)[0][0], pat, service=False)
        keys = [(c, r, a, thr, pat) for c, r, a in zip(agents.tolist(), rate.tolist(), aht.tolist())]
        cache = self._erlang_cache
        rows = [cache.get(k) for k in keys]
        todo = [i for i, v in enumerate(rows) if v is None]
        if todo:
            new = self.erlang_rows(agents[todo], rate[todo], aht[todo])
            if len(cache) > self.ERLANG_CACHE_MAX:
                cache.clear()
            cols = zip(*(new[f].tolist() for f in _ERLANG_FIELDS))
            for i, v in zip(todo, cols):
                rows[i] = cache[keys[i]] = v
        arr = np.array(rows, dtype=float).reshape(len(keys), len(_ERLANG_FIELDS))
        out = {f: arr[:, j] for j, f in enumerate(_ERLANG_FIELDS)}
        out["stable"] = out["stable"] > 0
        return out

    def erlang_rows(self, agents: np.ndarray, rate: np.ndarray, aht: np.ndarray) -> dict[str, np.ndarray]:
        """``erlang_arrays`` at the threshold, or with a mix of thresholds its weighted service level."""
        thr, pat = self.thresholds, self.patience_s
        if not isinstance(thr, tuple):
            return erlang_arrays(agents, rate, aht, thr, pat)
        out = dict(erlang_arrays(agents, rate, aht, thr[0][0], pat))
        out["service_level"] = mixed(lambda t: erlang_arrays(agents, rate, aht, t, pat)["service_level"], thr)
        return out

    def metrics(self, offered: np.ndarray, agents: np.ndarray, service: bool = True) -> IntervalMetrics:
        """Erlang performance per interval; ``service=False`` computes abandonment and occupancy
        only (service level and ASA NaN under Erlang A)."""
        r = self.erlang(agents, offered.sum(axis=1), self.aht(offered), service)
        sl = np.where(r["stable"], r["service_level"], 0.0)
        return IntervalMetrics(sl, r["abandon_rate"], r["asa_s"], r["occupancy"])

    def aht(self, offered: np.ndarray) -> np.ndarray:
        """Mean handle time per interval of the ``offered`` calls (intervals, columns)."""
        calls = offered.sum(axis=1)
        if self.talk_factor is None:
            return np.divide(offered @ self.type_aht, calls, out=np.full(len(calls), float(self.s.mean_handle_s())),
                             where=calls > 0)
        return np.divide((offered * self.column_aht()).sum(axis=1), calls,
                         out=np.full(len(calls), float(self.s.mean_handle_s())), where=calls > 0)

    def column_aht(self) -> np.ndarray:
        """(intervals, columns): each column's mean handle time in each interval, its talk at the
        interval's mean talk factor (``type_aht`` in every interval without talk periods)."""
        if self.talk_factor is None:
            return np.broadcast_to(self.type_aht, (len(self.first), len(self.type_aht)))
        return self.type_aht[None, :] + self.col_talk[None, :] * (self.talk_factor[:, self.col_type] - 1.0)

    def follow_ups(self, offered: np.ndarray, abandon: np.ndarray) -> np.ndarray:
        """Redials and repeat calls caused by ``offered`` calls (intervals, types)."""
        out = np.zeros_like(offered)
        if self._redial_m is not None:
            out += self._redial_m @ (offered * abandon[:, None] * self.s.redial.probability)
        if self._repeat_m is not None:
            out += self._repeat_m @ (offered * (1 - abandon[:, None]) * (1 - self.resolved[None, :])
                                     * self.s.repeat.probability)
        return out


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
