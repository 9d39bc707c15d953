"""The routed pool's deadlines (sim/engine/deadlines.py): due callbacks at their own times in the
order of their times and then of their adding, none for an item that no longer waits, and no
clock event for a deadline whose item stopped waiting before the earlier ones fired."""

from __future__ import annotations

import math

import numpy as np

from ska_sim.sim.engine.deadlines import Deadlines
from ska_sim.sim.engine.loop import Clock


class Item:
    def __init__(self, name: str):
        self.name, self.waiting = name, True


class Recording(Clock):
    """The loop's clock, keeping the times of the deadlines' events."""

    def __init__(self):
        super().__init__()
        self.scheduled: list[float] = []

    def schedule_at(self, ev, t: float) -> None:
        self.scheduled.append(t)
        super().schedule_at(ev, t)


def clock_and_deadlines():
    env = Recording()
    return env, Deadlines(env), env.scheduled


def test_due_items_fire_at_their_times_in_order_and_gone_ones_never():
    env, dl, _ = clock_and_deadlines()
    fired = []
    items = {n: Item(n) for n in "abcde"}
    for t, n in ((30.0, "a"), (10.0, "b"), (20.0, "c"), (10.0, "d"), (25.0, "e")):
        dl.add(t, lambda it: fired.append((env.now, it.name)), items[n])
    items["c"].waiting = False  # answered before its deadline
    env.run()
    assert fired == [(10.0, "b"), (10.0, "d"), (25.0, "e"), (30.0, "a")]
    assert not dl.heap and dl.at == math.inf


def test_a_callback_adds_the_next_deadline_of_its_item():
    """An overflow timer's next step: added while the deadlines fire, it fires in its turn."""
    env, dl, _ = clock_and_deadlines()
    fired = []
    a, b = Item("a"), Item("b")

    def step(it):
        fired.append((env.now, it.name))
        if env.now < 100:
            dl.add(env.now + 45.0, step, it)

    dl.add(40.0, step, a)
    dl.add(60.0, step, b)
    env.run()
    assert fired == [(40.0, "a"), (60.0, "b"), (85.0, "a"), (105.0, "b"), (130.0, "a")]


def test_items_answered_before_their_deadlines_cost_no_clock_event():
    """Of 1,000 waiting items with random deadlines, 900 are answered (stop waiting) at time 0:
    the clock fires at most one event per deadline of an item still waiting, plus the ones
    scheduled before the answers (one per new earliest deadline), not one per deadline."""
    env, dl, scheduled = clock_and_deadlines()
    rng = np.random.default_rng(5)
    items = [Item(str(i)) for i in range(1000)]
    times = rng.uniform(1.0, 1000.0, len(items))
    fired = []
    for t, it in zip(times.tolist(), items):
        dl.add(t, lambda x: fired.append((env.now, x.name)), it)
    before = len(scheduled)
    for it in items[100:]:
        it.waiting = False
    env.run()
    assert fired == sorted((t, it.name) for t, it in zip(times.tolist(), items[:100]))
    assert len(scheduled) - before <= 100
    assert before < 20  # new earliest deadlines among 1,000 uniform ones: about ln(1000) = 7


def test_a_deadline_fires_when_an_event_scheduled_for_it_then_would():
    """SimPy fires an event scheduled at ``now`` for ``t`` at ``now + (t - now)``, which can be
    ``t`` less one ulp: a deadline added at ``now`` fires at that same instant, whenever its
    clock event is scheduled (here after an earlier deadline fired), so the engine's numbers
    are those of one event per deadline."""
    from ska_sim.sim.engine.calls import Tick

    now0, t = 2.1984839032418195, 15.521744083449457
    assert now0 + (t - now0) != t  # (the case)
    env, dl, _ = clock_and_deadlines()
    seen = []
    first, late = Item("first"), Item("late")
    dl.add(5.0, lambda it: seen.append((it.name, env.now)), first)  # the late one's event waits for it
    env.schedule(Tick(env, lambda ev: dl.add(t, lambda it: seen.append((it.name, env.now)), late), None), 1, now0)
    env.run()
    assert seen == [("first", 5.0), ("late", now0 + (t - now0))]
