"""An edit's answer in stages, as fast as typing: the figures of its first replications at once,
then the same figures over more replications, narrowing the interval in place.

Every stage is a run of its own: the figures of the first ``k`` replications are exactly those
``ska-sim run --replications k --seed SEED`` prints (replication i's random numbers depend on the
seed and i only), with the interval of those ``k`` replications. The stages of ``n``
replications (the accuracy setting) are :func:`stage_counts`: an *estimate* from the first
:data:`ESTIMATE` (one per worker on two cores: its interval is wide), the *simulated* figures
from the first :data:`FIRST`, then *narrowing* ones, and the *complete* run of ``n``. While
other edits wait for their first replications (a busy server), an edit's estimate is skipped:
its first figures are close behind, and building it would delay the others'.

Replications already simulated are kept per plan (:class:`ReplicationStore`, a bounded LRU of
each plan's first replications), so a plan simulated before, or a plan asked again at a higher
accuracy, runs only the replications it lacks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ska_sim.scenario.model import Scenario
from ska_sim.sim.engine import Model
from ska_sim.sim.executors import Batch, WarmPool
from ska_sim.sim.replication import Groups

ESTIMATE = 2  # replications behind the first estimate
FIRST = 4  # replications behind the first simulated figures; the later ones narrow their interval
NARROWING = (20, 50, 100)  # the stages after those, below the accuracy's count
MODELS_KEPT = 8  # plans whose engine model is kept (a year's week: about 1 MB)
STORE_BYTES = 4 * 2**20  # the KPI arrays kept over every plan (a baseline replication: 32 kB, about 70 kB in memory; a year: 1.2 MB)


def stage_counts(n: int) -> list[int]:
    """The replication counts at which an edit of ``n`` replications is answered."""
    return sorted({min(ESTIMATE, n), min(FIRST, n), *(c for c in NARROWING if c < n), n})


def stage_name(k: int, n: int) -> str:
    """``estimate`` (the first replications, a wide interval), ``simulated`` (the first figures),
    ``narrowing`` (more replications to come) or ``complete`` (all ``n``)."""
    if k >= n:
        return "complete"
    if k <= ESTIMATE:
        return "estimate"
    return "simulated" if k <= FIRST else "narrowing"


def size_of(result: dict) -> int:
    """Bytes of one replication's KPI arrays (level -> KPI -> array)."""
    return sum(getattr(a, "nbytes", 0) for level in result.values() if isinstance(level, dict) for a in level.values())


class ReplicationStore:
    """Each plan's first replications (KPIs per level), by (plan digest, seed); at most
    ``limit`` bytes of arrays over all plans, the least recently used plans dropped first."""

    def __init__(self, limit: int = STORE_BYTES):
        self.limit = limit
        self._plans: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str, seed: int) -> list:
        with self._lock:
            have = self._plans.get((digest, seed))
            if have is None:
                return []
            self._plans.move_to_end((digest, seed))
            return list(have[0])

    def put(self, digest: str, seed: int, results: list) -> None:
        """Keep ``results`` (replications 0..len-1) unless more of the plan's are kept already."""
        with self._lock:
            key = (digest, seed)
            if len(self._plans.get(key, ((),))[0]) >= len(results):
                return
            self._plans[key] = (list(results), sum(size_of(r) for r in results))
            self._plans.move_to_end(key)
            while sum(size for _, size in self._plans.values()) > self.limit and len(self._plans) > 1:
                self._plans.popitem(last=False)

    def bytes(self) -> int:
        with self._lock:
            return sum(size for _, size in self._plans.values())


class Kept:
    """At most ``limit`` values by key, the least recently used dropped first; thread-safe."""

    def __init__(self, limit: int):
        self.limit = limit
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)


class Models:
    """The engine's model of the plans simulated last, by plan digest (every edit also runs the
    saved plan, whose replications are kept: its model is not built again)."""

    def __init__(self, limit: int = MODELS_KEPT):
        self._kept = Kept(limit)

    def of(self, s: Scenario, digest: str) -> tuple[Model, Groups]:
        hit = self._kept.get(digest)
        if hit is None:
            model = Model.from_scenario(s)
            hit = (model, Groups.of(model))
            self._kept.put(digest, hit)
        return hit


class PlanRun:
    """One plan's replications 0..n-1 for an edit: those kept in the store, the rest queued on
    the warm pool (the first ``urgent`` of them before other runs' narrowing replications)."""

    def __init__(self, store: ReplicationStore, pool: WarmPool, s: Scenario, n: int, seed: int,
                 cancelled, urgent: int, models: Models):
        self.store, self.scenario, self.seed, self.n = store, s, seed, n
        self.digest = s.digest()
        self.model, self.groups = models.of(s, self.digest)
        self.have = store.get(self.digest, seed)[:n]
        todo = list(range(len(self.have), n))
        self.cost: dict | None = None  # its people and money, computed at its first stage (the same at every stage)
        self.batch: Batch | None = None
        if todo:
            self.batch = pool.submit(self.model, self.groups, seed, todo, cancelled,
                                     urgent=max(0, urgent - len(self.have)))

    def missing(self) -> int:
        return self.n - len(self.have)

    def done(self) -> int:
        return len(self.have) + (self.batch.done() if self.batch is not None else 0)

    def results(self, k: int, progress=None) -> list:
        """The first ``k`` replications' KPIs (waiting for those not done)."""
        if k <= len(self.have) or self.batch is None:
            return self.have[:k]
        return self.have + self.batch.wait(k - len(self.have), progress)

    def close(self) -> None:
        """Cancel what is still queued; keep the replications done (a prefix) for the next time."""
        if self.batch is None:
            return
        self.batch.cancel()
        b = self.batch
        got = [b.results[i] for i in b.indices[: b.done()]]
        if got:
            self.store.put(self.digest, self.seed, self.have + got)
