"""The warm pool's priority queue: a run's urgent (first) replications before other runs'
narrowing ones, a whole run between the two, a cancelled run's queued replications never
started, results the same as in this process whatever the order."""

from __future__ import annotations

import pytest

from conftest import ROOT
from ska_sim.scenario.load import load_scenario
from ska_sim.sim.engine import Model
from ska_sim.sim.executors import Cancelled, WarmPool
from ska_sim.sim.replication import Groups, replication_kpis


@pytest.fixture(scope="module")
def pool():
    p = WarmPool(1)  # one worker: the order replications start in is the queue's order
    p.start()
    yield p
    p.shutdown()


@pytest.fixture(scope="module")
def model():
    m = Model.from_scenario(load_scenario(ROOT / "scenarios" / "baseline.toml"))
    return m, Groups.of(m)


def test_a_newer_runs_first_replications_go_before_an_older_runs_narrowing(pool, model):
    m, g = model
    old = pool.submit(m, g, 1, list(range(10)), urgent=2)
    new = pool.submit(m, g, 2, list(range(4)), urgent=4)
    got = new.wait()
    # the older run's 2 urgent ones came first (in the order runs came), its narrowing ones after the newer's
    assert 2 <= old.done() <= 3 and old.started <= 4
    assert [r["window"]["service_level"].tolist() for r in got] == \
        [replication_kpis(m, g, 2, i)["window"]["service_level"].tolist() for i in range(4)]
    rest = old.wait()
    assert [r["window"]["service_level"].tolist() for r in rest[8:]] == \
        [replication_kpis(m, g, 1, i)["window"]["service_level"].tolist() for i in (8, 9)]


def test_a_whole_run_goes_between_first_replications_and_narrowing(pool, model):
    m, g = model
    narrowing = pool.submit(m, g, 1, list(range(6)))  # nothing urgent: all narrowing
    whole = pool.submit(m, g, 1, list(range(3)), priority=WarmPool.NORMAL)
    whole.wait()
    assert narrowing.done() <= 1  # at most the one already on the worker
    narrowing.cancel()


def test_a_cancelled_runs_queued_replications_never_start(pool, model):
    m, g = model
    stop = []
    batch = pool.submit(m, g, 5, list(range(12)), cancelled=lambda: bool(stop), urgent=12)
    batch.wait(1)
    stop.append(True)
    with pytest.raises(Cancelled):
        batch.wait()
    sent = pool.sent
    after = pool.submit(m, g, 5, [0, 1], urgent=2).wait()  # the pool is warm and free for the next run
    assert pool.sent == sent + 2
    assert batch.started <= 3  # the first, and at most the one in flight when it was cancelled (and one on its way)
    assert after[1]["window"]["service_level"].tolist() == replication_kpis(m, g, 5, 1)["window"]["service_level"].tolist()


def waiter(batch, outcome: list, then=None):
    """A thread that waits for ``batch()``'s replications and notes "done" or "cancelled" (then ``then()``)."""
    import threading

    def wait() -> None:
        try:
            batch().wait()
            outcome.append("done")
        except Cancelled:
            outcome.append("cancelled")
        if then is not None:
            outcome.append(then())

    return threading.Thread(target=wait)


def test_a_waiter_is_woken_by_wake_not_by_other_runs_results(pool, model, monkeypatch):
    """A waiter waits on its own batch: other runs' results do not wake it, and ``wake`` makes it
    ask ``cancelled()`` at once (a newer edit), long before its replications come up (with a 60 s
    poll and no ``wake``, only when the dispatcher reached them, after the other run's twelve)."""
    import threading

    import ska_sim.sim.executors as executors

    monkeypatch.setattr(executors, "CANCEL_POLL_S", 60.0)
    m, g = model
    stop, asked, outcome = [], [], []

    def cancelled() -> bool:
        if threading.current_thread() is t:  # the waiter's asks (the dispatcher asks too, as it sends one)
            asked.append((batch.done(), bool(stop)))
        return bool(stop)

    t = waiter(lambda: batch, outcome, lambda: gate.done())
    gate = pool.submit(m, g, 7, list(range(12)), urgent=12)  # in front: the waiter's replications wait behind it
    batch = pool.submit(m, g, 8, list(range(4)), cancelled=cancelled, urgent=4)
    t.start()
    gate.wait(3)  # three results of another run came back meanwhile
    stop.append(True)
    pool.wake()
    t.join(timeout=30)
    gate.cancel()
    assert not t.is_alive() and outcome[0] == "cancelled"
    assert outcome[1] < 9, outcome  # ended by wake, not when its turn came after the other run's 12
    # before the cancel the waiter asked once, when it started waiting: the other run's results
    # did not wake it (with every waiter woken by every result it asked 4 times)
    assert asked.count((0, False)) == 1, asked


def test_a_waiter_ends_when_the_pool_shuts_down(model):
    """The replications a run still had queued never run after a shutdown: its waiter ends with
    Cancelled (it waited for ever before)."""
    m, g = model
    p = WarmPool(1)
    p.start()
    outcome = []
    batch = p.submit(m, g, 9, list(range(10)), urgent=10)
    t = waiter(lambda: batch, outcome)
    t.start()
    batch.wait(1)
    p.shutdown()
    t.join(timeout=30)
    assert not t.is_alive() and outcome == ["cancelled"]
    with pytest.raises(Cancelled):  # a later wait too
        batch.wait()
