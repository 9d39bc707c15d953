"""The same caller over attempts (``[redial] same_caller``) and a message offered at a maximum
wait (``[message]``): the parts both pools share.

A *caller* is a first call or a repeat call together with the redials that follow it after it
hung up, was cut off at closing or heard a busy tone. The caller ends when an attempt is
answered, or when an attempt is lost and no redial follows (the caller gives up, leaves a
message, takes a virtual-hold callback, or the redial would fall after the last simulated
day). Its counts go to the cell (interval x call type) of its first attempt's arrival.
"""

from __future__ import annotations

from ska_sim.sim.engine.calls import Uniform
from ska_sim.sim.kpi import REDIAL


class Caller:
    """One caller over its attempts: the cell of its first attempt, attempts offered so far,
    the waits of all of them added up, and the first attempt's patience."""

    __slots__ = ("attempts", "cell", "patience", "waited")

    def __init__(self, cell: int, patience: float):
        self.cell, self.patience = cell, patience
        self.attempts, self.waited = 0, 0.0


class CallerPart:
    """Keeps each call's :class:`Caller` (``call.caller``) and appends a caller's outcome to the
    collector when it ends; makes a redial the same caller (patience and handle time)."""

    def __init__(self, pool, keep_patience: float, keep_talk: bool, routed: bool):
        self.col, self.keep_patience, self.keep_talk = pool.col, keep_patience, keep_talk
        # the handle-time attributes a redial copies from the attempt before it
        self.talk_attrs = ("handle", "hold") if routed else ("handle",)

    def arrive(self, call, cell: int) -> None:
        """An attempt of ``call``'s caller is offered (a first attempt starts the caller)."""
        st = call.caller
        if st is None:
            st = call.caller = Caller(cell, call.patience)
        st.attempts += 1

    def answered(self, call, wait: float) -> None:
        st = call.caller
        st.waited += wait
        self.end(st, True)

    def lost(self, call, wait: float, redials: bool) -> None:
        """The attempt is lost after ``wait`` (hung up, cut off, busy tone, message, virtual
        hold); without a redial the caller ends here (a redial dropped after the last day ends
        it in :meth:`dropped`)."""
        st = call.caller
        st.waited += wait
        if not redials:
            self.end(st, False)

    def follow(self, call, new, kind: int) -> None:
        """``new`` follows ``call``: a redial is the same caller (its patience a share of the
        first attempt's, its handle time the attempt's before it with ``keep_talk``); a repeat
        call is a new caller."""
        if kind != REDIAL:
            new.caller = None
            return
        st = new.caller = call.caller
        new.patience = self.keep_patience * st.patience
        if self.keep_talk:
            for name in self.talk_attrs:
                setattr(new, name, getattr(call, name))
            if hasattr(call, "acw") and hasattr(new, "acw"):  # recorded calls keep their after-call work
                new.acw = call.acw

    def dropped(self, call, kind: int) -> None:
        """The follow-up of ``call`` falls after the last simulated day: a redial's caller ends."""
        if kind == REDIAL:
            self.end(call.caller, False)

    def end(self, st: Caller, answered: bool) -> None:
        col = self.col
        col.callers.append(st.cell)
        col.caller_waits.append(st.waited)
        col.caller_attempts.append(st.attempts)
        col.caller_answered.append(answered)


class MessageDraws:
    """Whether a caller still waiting at the message offer leaves a message: a draw from the
    day's "message" stream for each such caller, in the order of the offers (none when
    every caller leaves one)."""

    def __init__(self, offer, streams):
        self.after_s, self.leave = offer.after_s, offer.leave
        self.new_day(streams)

    def new_day(self, streams) -> None:
        self.u = Uniform(streams, "message")

    def leaves(self) -> bool:
        return self.leave >= 1.0 or self.u() < self.leave


def leave_message(pool, call, now: float) -> None:
    """``call`` (still waiting in ``pool``, either pool) leaves a message at ``now``: its own
    outcome, counted in the collector, told to the observer and ending its caller."""
    call.waiting = False
    pool.n_waiting -= 1
    pool.col.messages.append(call.cell)
    pool.col.message_waits.append(now - call.t)
    if pool.obs is not None:
        pool.obs.message(call, now)
    if pool.callers is not None:
        pool.callers.lost(call, now - call.t, False)
