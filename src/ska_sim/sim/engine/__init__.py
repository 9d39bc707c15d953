"""The SimPy model of one replication: callers, the queue, agents, abandonment, follow-ups
(redials, repeat calls, transfers, callbacks), phone lines and staffing changes.

One event loop (:class:`Replication`, loop.py) with parts chosen when the replication is
built, so that a scenario pays only for the mechanisms it uses:

- the agent pool and its queue: :class:`SinglePool` (single.py: one group with every skill
  and one language, a count of agents and one FIFO queue) or :class:`RoutedPool` (routed.py:
  agent groups, skills, languages, routing with overflow and priorities, see sim/routing.py);
- :class:`FollowUps` (followups.py): redials and repeat calls not yet due, their delays and
  the draws of their attributes (calls.py);
- :class:`Lines` (lines.py, phone lines), :class:`TransferPart` and :class:`CallbackPart`
  (followups.py: transfers; callbacks and virtual hold), present only when the scenario has
  them (routed pool only);
- :class:`CallerPart` and :class:`MessageDraws` (callers.py): the same caller over attempts
  (``[redial] same_caller``) and a message offered at a maximum wait (``[message]``), in
  both pools; with either, the single pool takes its plain route (no inlined arrivals loop);
- written work (``[[written]]``, written.py): its items per date, served FIFO after the calls'
  loop by the agents dedicated to it (taken off the phones in their hours); blended between
  calls (:class:`BlendPart`, blend.py), in both pools: the pool's ``replay_blend`` replaces
  ``replay`` (the single pool keeps its inlined arrivals loop: items are taken in at its
  events, not by an event each); with deadline priority (``urgent``)
  urgent items go before waiting calls;
- an observer (:class:`CallRecorder`, recording.py, ``--record-calls``) that the parts notify
  of each call's arrival and outcome; None unless recording.

The model of a replication (:class:`Model` and its frozen parts) is in model.py.

How SimPy is used (see benchmarks/ for the measurement):

- No process per caller and no ``simpy.Resource``: the SimPy events are plain triggered
  events with a callback, scheduled with ``Environment.schedule`` (interval boundaries and
  closings, arrivals, a waiting caller's patience running out). ``Resource``
  cannot change its capacity, and staffing changes every interval, so agents are an
  explicit pool: agents on duty, the interval's staffing, and each busy agent as the time its
  call ends, in a heap.
- A call's end is not an event. At every event, the agents whose calls have ended by then
  are *replayed* in the order their calls ended (``replay``): each goes home if past its
  shift, else takes the next caller still waiting at that moment, else waits idle. Nothing
  else changes between two events, so this is exactly an event per call end, without the
  events (the tests compare the engine with a call-by-call reference implementation).
- Arrivals (the day's first calls, drawn in bulk when the day opens, and follow-ups, kept in
  a heap) are handled by one *arrivals* event that takes every arrival due before the next
  other scheduled event, then schedules itself for the next one.
- The clock (``loop.Clock``) is SimPy's ``Environment`` with a run loop for these one-callback
  events only. On the single pool, when the arrivals event has scheduled itself behind
  waiting callers' patience events, it fires those itself (``SinglePool.fire_due``), in the
  clock's order and at the clock's times, and goes on when it is next again: the same events
  in the same order as the run loop, without leaving and re-entering the arrivals loop for
  each one (a large centre's queue has thousands of patience events).
- On the single pool a caller who would not redial needs no patience event: the replay
  counts them as having hung up when an agent reaches them after their patience ran out (or
  at closing). Callers who would redial keep a patience event, so that the redial is
  scheduled when they hang up. (The routed pool gives every waiting caller with a finite
  patience an event: lines and overflow must know who still waits.)
- The queues are FIFO with lazy deletion: a caller who hangs up is marked and skipped when
  an agent next takes from the queue.
- An agent going off duty (staffing drops at a boundary) finishes the current call first;
  idle agents leave at once. At closing time idle agents leave; with
  ``queued_at_close = "serve"`` the closing crew (busy agents of the last interval's
  staffing, not those already past their shift) keeps taking queued calls until the queue
  is empty; with ``"drop"`` the queued calls are cut off (unanswered at close). When no
  crew agent is busy at closing, queued calls are unanswered at close in either mode.
- Randomness (DESIGN.md): every calendar date of a replication has its own Generator per
  purpose (:data:`PURPOSES`), made from ``SeedSequence(seed, spawn_key=(replication, date
  ordinal, purpose index))`` (:class:`DateStreams`). When a day opens its streams take over:
  the day's volume factor, its first calls and all their attributes are drawn in bulk, and
  every later draw until the next day opens (handle times and patience of follow-ups, their
  delays, transfers, callbacks, routing) comes from them. A follow-up's attributes are drawn
  when it is created, also when it falls after the last simulated day (then it is dropped).
  So a date's callers depend on the seed, the replication and the date only: not on the window
  around it (a week of a year is the week run alone, given the same earlier dates) and not on
  the staffing (common random numbers). What is carried into a day (calls still waiting,
  follow-ups and callbacks due) comes from the earlier dates simulated. A roster's absences
  are drawn per person and date from the date's "absence" stream (:func:`absence_draws`).
  A repeat call is created when its call is answered.
- A redial or repeat call whose time falls outside opening hours moves to the next open
  day, placed at the same fraction of that day's hours as it fell in the closed gap (not
  all at the stroke of opening). Follow-ups falling after the last simulated day are not
  simulated.
"""

from ska_sim.sim.engine.blend import BlendPart
from ska_sim.sim.engine.callers import Caller, CallerPart, MessageDraws
from ska_sim.sim.engine.calls import (
    Call,
    GCall,
    Leg,
    PromisedCallback,
    RoutedCalls,
    SingleCalls,
    Tick,
    Uniform,
)
from ska_sim.sim.engine.followups import CallbackPart, FollowUps, TransferPart
from ska_sim.sim.engine.lines import Lines
from ska_sim.sim.engine.loop import (
    DateStreams,
    absence_draws,
    CLOSE,
    FLUSH_CALLS,
    INTERVAL,
    PURPOSES,
    Replication,
    simulate_replication,
)
from ska_sim.sim.engine.model import (
    Callbacks,
    CallTypeModel,
    IdentityFailures,
    MessageOffer,
    Model,
    SameCaller,
    Transfers,
    VirtualHold,
    general_model,
)
from ska_sim.sim.engine.recording import (
    ABANDONED,
    ANSWERED,
    BLOCKED,
    CALLBACK,
    DROPPED,
    KIND_NAMES,
    MESSAGE,
    OUTCOME_NAMES,
    VHOLD,
    CallRecorder,
    CallRecords,
    record_replication,
)
from ska_sim.sim.engine.routed import RoutedPool
from ska_sim.sim.engine.single import SinglePool

__all__ = [
    "BlendPart", "Caller", "CallerPart", "MessageDraws",
    "ABANDONED", "ANSWERED", "BLOCKED", "CALLBACK", "CLOSE", "DROPPED", "FLUSH_CALLS", "INTERVAL", "KIND_NAMES", "MESSAGE",
    "OUTCOME_NAMES", "PURPOSES", "VHOLD", "DateStreams", "absence_draws", "Call", "CallRecorder", "CallRecords", "CallTypeModel", "CallbackPart",
    "Callbacks", "FollowUps", "GCall", "IdentityFailures", "Leg", "Lines", "MessageOffer", "Model", "SameCaller", "PromisedCallback", "Replication",
    "RoutedCalls", "RoutedPool", "SingleCalls", "SinglePool", "Tick", "TransferPart", "Transfers", "Uniform",
    "VirtualHold", "general_model", "record_replication", "simulate_replication",
]
