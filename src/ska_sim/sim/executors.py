"""Executors: where the replications of a run are computed.

- in this process (one worker), or in local worker processes started for the run;
- on a :class:`WarmPool` of worker processes started once and kept warm between runs (the
  planning page), where a newer request cancels an older one (:class:`Cancelled`);
- on a Dask cluster (``--scheduler``, or SKA_SIM_DASK_SCHEDULER).

Seeds: replication i runs with ``SeedSequence(seed, spawn_key=(i,))``, so results come back
the same whatever the executor, the number of workers or the order replications finish in.
"""

from __future__ import annotations

import functools
import heapq
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, CancelledError, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from urllib.parse import urlsplit

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.interrupts import Terminated, die_with_parent, exception_for, handlers, watch_server
from ska_sim.base.memory import give_back
from ska_sim.sim.engine import Model
from ska_sim.sim.lanes import Lane, worker_context
from ska_sim.sim.replication import Groups, replication_kpis, run_one

Progress = Callable[[int, int], None]  # (replications done, total)
CANCEL_POLL_S = 0.25  # a waiter asks ``cancelled()`` at least this often (WarmPool.wake: at once)


@contextmanager
def _signals_noted():
    """While waiting for workers, Ctrl-C (SIGINT) and SIGTERM are noted (the yielded list gets
    the signal's number) rather than raised wherever the main thread happens to be."""
    noted: list[int] = []
    with handlers(lambda signum, _frame: noted.append(signum)):
        yield noted


def worker_signals() -> None:
    """Workers leave Ctrl-C to the main process, which stops them (no traceback from each), and
    die quietly on SIGTERM (the main process's handler, inherited through fork, is undone)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start_worker(parent_pid: int) -> None:
    """A local worker's start: its signals (:func:`worker_signals`), and it dies with its parent
    however that dies (SIGKILL included). It was started by the thread running the replications,
    which waits for it, so the kernel's parent-death signal (sent when that thread ends) fits."""
    worker_signals()
    die_with_parent(parent_pid)


STOP_WAIT_S = 2.0  # on a signal or failure, how long workers may take to finish the replication they run
SCHEDULER_ENV = "SKA_SIM_DASK_SCHEDULER"
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
CONNECT_TIMEOUT_S = 5.0  # how long to try to reach a Dask scheduler before giving up


def check_scheduler(address: str, source: str = "--scheduler") -> str:
    """A Dask scheduler address, ``tcp://HOST:PORT`` (``HOST:PORT`` means tcp); anything else
    is a :class:`ScenarioError` naming ``source`` (the option or environment variable)."""
    text = address.strip()
    url = text if "://" in text else f"tcp://{text}"
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a number from 0 to 65535
        port = -1
    why = None
    if not parts.hostname:
        why = "no HOST"
    elif port == -1:
        why = "the port is not a number from 1 to 65535"
    elif parts.scheme not in SCHEDULER_SCHEMES:
        why = f"'{parts.scheme}://' is not a protocol Dask speaks ({', '.join(SCHEDULER_SCHEMES)})"
    elif not port:
        why = "no port (a Dask scheduler listens on 8786 unless told otherwise)"
    elif parts.path.strip("/") or parts.query or parts.fragment or parts.username or parts.password:
        why = "only HOST:PORT may follow the protocol"
    if why:
        raise ScenarioError([Problem(source, "", f"'{address}' is not a Dask scheduler address: {why}; use tcp://HOST:PORT")])
    return url


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class Executor:
    """Runs replications: in this process, in local worker processes, or on a Dask cluster.

    Results come back in replication order whatever the order they finish in, so they do not
    depend on the executor or the number of workers.
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None, source: str | None = None, *,
                 pool: WarmPool | None = None, cancelled: Callable[[], bool] | None = None,
                 progress: Progress | None = None):
        """``scheduler`` (else the environment variable SKA_SIM_DASK_SCHEDULER) is checked here,
        before anything runs; ``source`` names where it came from in error messages. With
        ``pool``, replications run on that warm pool and stop with :class:`Cancelled` when
        ``cancelled()`` turns true; ``progress`` is used when a caller of :meth:`map` gives none."""
        self.pool, self.cancelled, self.progress = pool, cancelled or (lambda: False), progress
        if pool is not None:
            self.workers, self.scheduler, self.source = max(1, pool.workers), None, source or "pool"
            return
        self.workers = default_workers() if workers is None else max(1, int(workers))
        if scheduler is None and os.environ.get(SCHEDULER_ENV, "").strip():
            scheduler, source = os.environ[SCHEDULER_ENV], SCHEDULER_ENV
        self.source = source or "--scheduler"
        self.scheduler = None if scheduler is None else check_scheduler(scheduler, self.source)

    def describe(self) -> str:
        if self.pool is not None:
            return f"a warm pool of {self.pool.workers} worker processes"
        if self.scheduler:
            return f"Dask cluster at {self.scheduler}"
        return f"{self.workers} local process{'es' if self.workers > 1 else ''}"

    def map(self, model: Model, groups: Groups, seed: int, indices: list[int], progress: Progress | None = None) -> list:
        """KPIs of replications ``indices`` (a dict per replication, level -> KPI -> array), in that order."""
        progress = progress or self.progress
        if self.pool is not None:
            return self.pool.map(model, groups, seed, indices, progress, self.cancelled)
        if self.scheduler:
            return self._dask(model, groups, seed, indices, progress)
        if self.workers <= 1 or len(indices) <= 1:
            out = []
            for n, i in enumerate(indices, 1):
                out.append(replication_kpis(model, groups, seed, i))
                if progress:
                    progress(n, len(indices))
            return out
        return self._processes([(model, groups, seed, i) for i in indices], progress)

    def map_runs(self, runs: list[tuple[Model, Groups, int, list[int]]], progress: Progress | None = None) -> list:
        """KPIs of several runs' replications (each run: model, groups, seed, replication
        indices), a list per run in that order. On local worker processes every run's
        replications share the workers at once, so a slow replication of one run does not
        leave a worker idle; elsewhere the runs go one after the other."""
        progress = progress or self.progress
        jobs = [(model, groups, seed, i) for model, groups, seed, indices in runs for i in indices]
        if self.pool is not None or self.scheduler or self.workers <= 1 or len(jobs) <= 1:
            return [self.map(model, groups, seed, indices, progress) for model, groups, seed, indices in runs]
        flat, out = self._processes(jobs, progress), []
        for _, _, _, indices in runs:
            out.append(flat[: len(indices)])
            flat = flat[len(indices):]
        return out

    def _processes(self, jobs: list[tuple], progress) -> list:
        """KPIs of each job (model, groups, seed, replication index) on local worker processes, in job order."""
        results: dict[int, dict] = {}
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)), initializer=start_worker,
                                   initargs=(os.getpid(),))
        with _signals_noted() as signals:  # from the first worker started to the last one stopped
            try:
                futures = {pool.submit(run_one, job): k for k, job in enumerate(jobs)}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    if signals:  # raised here, between waits, never inside the executor's machinery
                        raise exception_for(signals[0])
                    for f in done:
                        results[futures[f]] = f.result()
                    if done and progress:
                        progress(len(results), len(jobs))
            except BaseException as exc:
                # Ctrl-C, SIGTERM or a failure: stop the workers now, leave nothing running
                workers = list((getattr(pool, "_processes", None) or {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                # a worker ends on its own once its replication is sent back (killed while sending,
                # it left half a message that the pool's thread waited for at exit: a hang, 1 in ~40)
                for proc in workers:
                    proc.join(timeout=STOP_WAIT_S)
                for proc in workers:
                    if proc.is_alive():  # a long replication: stopped now
                        proc.terminate()
                for proc in workers:
                    proc.join(timeout=5)
                if signals and not isinstance(exc, (KeyboardInterrupt, Terminated)):
                    # a signal sent to the whole process group also killed the workers: report the signal
                    raise exception_for(signals[0]) from None
                raise
        pool.shutdown()
        return [results[k] for k in range(len(jobs))]

    def _connect(self, Client):
        """A client of the scheduler, or a one-line ScenarioError: nothing listening (refused or
        no answer within CONNECT_TIMEOUT_S), or something listening that is not a Dask scheduler
        (an HTTP server, the dashboard's port 8787, a port that never answers the handshake:
        the whole connection, handshake included, gets 2 x CONNECT_TIMEOUT_S)."""
        box: dict = {}

        def connect() -> None:
            try:
                box["client"] = Client(self.scheduler, timeout=CONNECT_TIMEOUT_S)
            except BaseException as exc:  # noqa: BLE001 - reported below as one line, never a traceback
                box["error"] = exc

        thread = threading.Thread(target=connect, name="ska-sim-dask-connect", daemon=True)
        thread.start()
        thread.join(2 * CONNECT_TIMEOUT_S)
        where = f"the Dask scheduler at {self.scheduler}"
        if thread.is_alive():  # something accepted the connection but does not speak Dask
            raise ScenarioError([Problem(self.source, "", f"no answer from {where} within {2 * CONNECT_TIMEOUT_S:g} s: "
                                         "something listens there but does not speak Dask (is it the dashboard "
                                         "port 8787? the scheduler's is usually 8786)")])
        exc = box.get("error")
        if isinstance(exc, (OSError, TimeoutError)):  # distributed raises OSError("Timed out trying to connect ...")
            raise ScenarioError([Problem(self.source, "", f"could not reach {where} within {CONNECT_TIMEOUT_S:g} s")])
        if exc is not None:
            raise ScenarioError([Problem(self.source, "", f"{self.scheduler} did not answer as a Dask scheduler does "
                                         f"({type(exc).__name__}); check the address and port")])
        return box["client"]

    def _dask(self, model, groups, seed, indices, progress) -> list:
        try:
            from distributed import Client, as_completed
        except ImportError:  # pragma: no cover - distributed is a dependency of the dask extra
            raise ScenarioError([Problem(self.source, "", "a Dask scheduler needs the 'distributed' package: pip install 'ska-sim[dask]'")]) from None
        client = self._connect(Client)
        with client:
            model_f, groups_f = client.scatter([model, groups], broadcast=True)
            futures = [client.submit(replication_kpis, model_f, groups_f, seed, i, pure=False) for i in indices]
            done = 0
            try:
                for _ in as_completed(futures):
                    done += 1
                    if progress:
                        progress(done, len(indices))
                return client.gather(futures)
            except BaseException:
                client.cancel(futures)
                raise


class Cancelled(Exception):
    """A newer request superseded this one: its replications were stopped."""


def start_warm_worker(server_pid: int) -> None:
    """A warm worker's start (sim/lanes.py: forked from the forkserver, which imported the engine,
    or spawned): it dies with the server however that dies. Warm workers are started by whichever
    thread first needs them (a server's request threads, which end when idle) and are the
    forkserver's children, not the server's, so a watch on the server's pid
    (:func:`watch_server`), not the kernel's signal when the starting thread ends."""
    worker_signals()
    watch_server(server_pid)


def _ping() -> int:
    return 1


def _run_warm(args) -> dict:
    """One replication on a warm worker, whose freed memory then goes back to the system (glibc's
    ``malloc_trim``), so a server's workers do not keep the high-water mark of every plan they ran."""
    out = run_one(args)
    give_back()
    return out


class Batch:
    """Replications of one run queued on a :class:`WarmPool`: its results come in replication
    order, :meth:`wait` for the first ``k`` of them (the page shows a run's first replications
    while the rest narrow the interval); :meth:`cancel` drops those not started."""

    def __init__(self, pool: WarmPool, model, groups, seed: int, indices: list[int],
                 cancelled: Callable[[], bool]):
        self.pool, self.model, self.groups, self.seed = pool, model, groups, seed
        self.indices, self.cancelled = list(indices), cancelled
        self.results: dict[int, dict] = {}
        self.error: BaseException | None = None
        self.dead = False  # cancelled: its queued replications are dropped
        self.started = 0  # replications sent to a worker (the one in flight is all a cancel can waste)
        # its waiter's wake-ups: its own results, a cancel, WarmPool.wake (the pool's lock: one lock for
        # the queue and every batch, and no waiter woken by another batch's results)
        self.cv = threading.Condition(pool.mutex)

    def done(self) -> int:
        """How many of the first replications are done, in replication order (a prefix)."""
        n = 0
        for i in self.indices:
            if i not in self.results:
                break
            n += 1
        return n

    def wait(self, upto: int | None = None, progress: Progress | None = None) -> list:
        """KPIs of the first ``upto`` replications (all by default), in order; :class:`Cancelled`
        as soon as ``cancelled()`` says so (the batch's queued replications are dropped)."""
        want = self.indices[: len(self.indices) if upto is None else upto]
        if self.pool.workers == 0:  # in this process, one replication after the other
            for n, i in enumerate(want, 1):
                if i in self.results:
                    continue
                if self.cancelled():
                    self.cancel()
                    raise Cancelled()
                self.started += 1
                self.results[i] = replication_kpis(self.model, self.groups, self.seed, i)
                if progress:
                    progress(n, len(want))
            return [self.results[i] for i in want]
        waited = self.pool.waited
        with self.cv:
            waited[self] = waited.get(self, 0) + 1  # WarmPool.wake and shutdown reach its waiters
        try:
            return self._wait(want, progress)
        finally:
            with self.cv:
                waited[self] -= 1
                if not waited[self]:
                    del waited[self]

    def _wait(self, want: list[int], progress: Progress | None) -> list:
        cv, last = self.cv, 0
        while True:
            with cv:
                if self.error is not None:
                    raise self.error
                if self.cancelled():
                    self._drop()
                    raise Cancelled()
                have = sum(i in self.results for i in want)
                if have == len(want):
                    out = [self.results[i] for i in want]
                else:
                    cv.wait(CANCEL_POLL_S)
                    out = None
            if progress and have != last:
                progress(have, len(want))
                last = have
            if out is not None:
                return out

    def cancel(self) -> None:
        """Drop the replications not started (the ones in flight finish; their results are dropped)."""
        with self.cv:
            self._drop()

    def _drop(self) -> None:
        if not self.dead:
            self.dead = True
            self.pool._forget(self)


class WarmPool:
    """Worker processes started once and kept warm between runs (``workers=0``: this process),
    for a server answering edit after edit. Replications wait in a priority queue in front of
    the workers, which get one at a time, so a newer edit's first replications go before the
    narrowing replications of older ones (:meth:`submit`'s ``urgent``), and a cancelled run's
    queued replications never start: only the one in flight on a worker finishes. Each worker
    is a lane (sim/lanes.py) whose process is renewed after ``renew_after`` replications, so the
    workers' memory stays level however long the server runs."""

    URGENT, NORMAL, LATER = 0, 1, 2  # a run's first replications; a whole run; a run's narrowing ones

    def __init__(self, workers: int, renew_after: int | None = None):
        self.workers = max(0, int(workers))
        self.renew_after = renew_after  # replications before a worker is renewed (default: sim/lanes.py's)
        self._lanes: list[Lane] = []  # one worker process each (sim/lanes.py)
        self._lock = threading.Lock()
        self.mutex = threading.RLock()  # the queue's, the lanes' busy flags and every batch's results
        self._cv = threading.Condition(self.mutex)  # the dispatcher's wake-ups
        self.waited: dict[Batch, int] = {}  # batch -> threads waiting on it now (Batch.wait; under the lock)
        self._queue: list = []  # heap of (priority class, batch's arrival, sequence, batch, index)
        self._seq = 0
        self.sent = 0  # replications sent to a worker since the start
        self._dispatcher: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        """Start the workers now (not at the first run) and wait until each answers."""
        if self.workers == 0:
            return
        for f in [lane.executor().submit(_ping) for lane in self._get()]:
            f.result(timeout=120)

    def _get(self) -> list[Lane]:
        with self._lock:
            if not self._lanes:
                ctx, renew_after = worker_context()
                start = functools.partial(start_warm_worker, os.getpid())
                self._lanes = [Lane(ctx, start, self.renew_after or renew_after) for _ in range(self.workers)]
            return self._lanes

    def renewed(self) -> int:
        """Workers replaced by fresh ones since the start (sim/lanes.py)."""
        with self._cv:
            return sum(lane.renewed for lane in self._lanes)

    def shutdown(self) -> None:
        """Stop the workers (what they run finishes); the runs whose replications were still
        queued end with :class:`Cancelled` (their waiters now, a later wait at once)."""
        with self._cv:
            self._stopping = True
            for *_, batch, _i in self._queue:
                if batch.error is None:
                    batch.error = Cancelled()
            self._queue.clear()
            self.wake()  # (the lock is re-entrant)
            self._cv.notify_all()
        with self._lock:
            lanes, self._lanes = self._lanes, []
        for lane in lanes:
            lane.shutdown(wait=True)

    # ---------------------------------------------------------------- the queue
    def submit(self, model, groups, seed: int, indices: list[int], cancelled: Callable[[], bool] = lambda: False,
               urgent: int = 0, priority: int | None = None) -> Batch:
        """Queue replications ``indices``: the first ``urgent`` of them before any run's
        ``NORMAL`` ones, the rest at ``priority`` (default ``LATER``); within a class, runs in the
        order they came. Returns the :class:`Batch` to wait on."""
        batch = Batch(self, model, groups, seed, indices, cancelled)
        if self.workers == 0:
            return batch
        later = self.LATER if priority is None else priority
        with self._cv:
            self._stopping = False
            t = time.monotonic()
            for k, i in enumerate(batch.indices):
                self._seq += 1
                heapq.heappush(self._queue, (self.URGENT if k < urgent else later, t, self._seq, batch, i))
            if self._dispatcher is None or not self._dispatcher.is_alive():
                self._dispatcher = threading.Thread(target=self._dispatch, name="ska-sim-warm-pool", daemon=True)
                self._dispatcher.start()
            self._cv.notify_all()
        return batch

    def wake(self) -> None:
        """Every waiter asks its ``cancelled()`` now (a newer edit, a page gone), not at its next poll."""
        with self._cv:
            for batch in self.waited:
                batch.cv.notify_all()

    def waiting(self, cls: int, besides: tuple = ()) -> int:
        """Replications of class ``cls`` or more urgent queued for other runs than ``besides`` (batches)."""
        with self._cv:
            return sum(1 for e in self._queue if e[0] <= cls and e[3] not in besides and not e[3].dead)

    def _forget(self, batch: Batch) -> None:
        """(under the queue's lock) a cancelled batch's queued replications taken out."""
        self._queue = [e for e in self._queue if e[3] is not batch]
        heapq.heapify(self._queue)
        self._cv.notify_all()

    def _free_lane(self) -> Lane | None:
        return next((lane for lane in self._lanes if not lane.busy), None)

    def _dispatch(self) -> None:
        """One replication per worker: the next in priority order goes when a lane is free."""
        self._get()
        while True:
            with self._cv:
                while not self._stopping and (self._free_lane() is None or not self._queue):
                    self._cv.wait()
                if self._stopping:
                    return
                *_, batch, i = heapq.heappop(self._queue)
                if batch.dead or batch.error is not None:
                    continue
                if batch.cancelled():
                    batch._drop()
                    batch.cv.notify_all()  # its waiter raises Cancelled now
                    continue
                lane = self._free_lane()
                lane.busy = True  # taken (the replication is sent outside the lock)
                batch.started += 1
                self.sent += 1
            try:
                ex, fut = lane.submit(_run_warm, (batch.model, batch.groups, batch.seed, i))
            except BaseException as exc:  # noqa: BLE001 - a broken pool: the batch's waiter raises it
                with self._cv:
                    lane.busy = False
                self._finished(batch, i, None, exc)
                continue
            fut.add_done_callback(lambda f, b=batch, k=i, ln=lane, e=ex: self._settle(b, k, f, ln, e))

    def _settle(self, batch: Batch, i: int, fut, lane: Lane, ex) -> None:
        try:
            result, error = fut.result(), None
        except CancelledError:  # not started when the pool shut down
            result, error = None, Cancelled()
        except BaseException as exc:  # noqa: BLE001 - reported to the batch's waiter
            result, error = None, exc
        with self._cv:
            if isinstance(error, BrokenProcessPool):
                lane.broken(ex)
            else:
                lane.finished(ex)
        self._finished(batch, i, result, error)

    def _finished(self, batch: Batch, i: int, result, error) -> None:
        with self._cv:
            if error is not None:
                batch.error = batch.error or error  # the first one (a shutdown's Cancelled stays)
            else:
                batch.results[i] = result
            batch.cv.notify_all()
            self._cv.notify_all()

    def map(self, model, groups, seed: int, indices: list[int], progress: Progress | None = None,
            cancelled: Callable[[], bool] = lambda: False) -> list:
        """KPIs of replications ``indices``, in that order (a whole run: ``NORMAL`` priority);
        :class:`Cancelled` as soon as ``cancelled()`` says so."""
        batch = self.submit(model, groups, seed, indices, cancelled, priority=self.NORMAL)
        try:
            return batch.wait(progress=progress)
        finally:
            batch.cancel()  # replications not started yet never start
