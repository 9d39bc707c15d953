"""Recording every call of a replication (``run --record-calls``): an observer the pools notify.
"""

from __future__ import annotations

import math

import numpy as np

from ska_sim.sim.collector import ReplicationCounts
from ska_sim.sim.engine.loop import Replication
from ska_sim.sim.engine.model import Model

# ``run --record-calls``: the calls of one replication as a call log (calllog.py writes it).
# The recorder is an observer the pools notify; a replication without one does no per-call
# work for it. Recording changes no draw, so the counts are those of simulate_replication.
KIND_NAMES = ("first", "redial", "repeat", "callback")  # FIRST, REDIAL, REPEAT, then placed callbacks
CALLBACK = 3
OUTCOME_NAMES = ("", "answered", "abandoned", "blocked", "unanswered_at_close", "virtual_hold", "message")
ANSWERED, ABANDONED, BLOCKED, DROPPED, VHOLD, MESSAGE = 1, 2, 3, 4, 5, 6


class CallRecords:
    """Column lists, one entry per call that reached the line, in the order the pools tell of
    them: arrival order, but for a placed callback, added when the replay notices it, after calls
    that arrived later (``calibration/log_writer.records_frame`` writes them sorted by arrival).
    Times in s since the first simulated day; NaN where not applicable. ``caller`` is an integer: a new
    one for each first call, inherited by its redials, repeat calls and callbacks."""

    def __init__(self) -> None:
        self.caller: list[int] = []
        self.type: list[int] = []
        self.lang: list[int] = []
        self.kind: list[int] = []
        self.arrival: list[float] = []
        self.patience: list[float] = []
        self.answer: list[float] = []
        self.end: list[float] = []  # the caller leaves: talk end, hang-up, or arrival if blocked
        self.acw: list[float] = []  # after-call work of answered calls (s)
        self.group: list[int] = []  # the answering agent group, -1 when not answered
        self.outcome: list[int] = []
        self.n_callers = 0

    def add(self, caller: int | None, type_: int, lang: int, kind: int, arrival: float, patience: float) -> int:
        if caller is None:
            self.n_callers += 1
            caller = self.n_callers
        nan = math.nan
        self.caller.append(caller)
        self.type.append(type_)
        self.lang.append(lang)
        self.kind.append(kind)
        self.arrival.append(arrival)
        self.patience.append(patience)
        self.answer.append(nan)
        self.end.append(nan)
        self.acw.append(nan)
        self.group.append(-1)
        self.outcome.append(0)
        return len(self.caller) - 1

    def settle(self) -> None:
        """After the run: a caller with no outcome yet hung up when their patience ran out
        (the single pool notices those lazily, see SinglePool.next_waiting)."""
        for row, out in enumerate(self.outcome):
            if out == 0:
                t = self.arrival[row] + self.patience[row]
                self.outcome[row] = ABANDONED if t != math.inf else DROPPED
                self.end[row] = t if t != math.inf else self.arrival[row]


class CallRecorder:
    """The observer that records every call of a replication into :class:`CallRecords`: rows
    keyed by call object; a follow-up inherits the caller of the call it follows."""

    def __init__(self) -> None:
        self.rec = CallRecords()
        self.row: dict = {}  # call -> its row
        self.inherit: dict = {}  # follow-up call not yet arrived -> its caller

    def follow_up(self, parent, call) -> None:
        self.inherit[call] = self.rec.caller[self.row[parent]]

    def arrive(self, call, kind: int, now: float) -> None:
        self.row[call] = self.rec.add(self.inherit.pop(call, None), call.type, getattr(call, "lang", 0), kind, now,
                                      call.patience)

    def _settle(self, call, outcome: int, end: float) -> None:
        row = self.row[call]
        self.rec.outcome[row] = outcome
        self.rec.end[row] = end

    def answered(self, call, now: float, talk_end: float, acw: float, group: int) -> None:
        rec, row = self.rec, self.row[call]
        rec.answer[row] = now
        rec.end[row] = talk_end
        rec.acw[row] = acw
        rec.group[row] = group
        rec.outcome[row] = ANSWERED

    def abandoned(self, call, now: float) -> None:
        self._settle(call, ABANDONED, now)

    def blocked(self, call, now: float) -> None:
        self._settle(call, BLOCKED, now)

    def cut_off(self, call, now: float) -> None:
        self._settle(call, DROPPED, now)

    def virtual_hold(self, call, now: float) -> None:
        self._settle(call, VHOLD, now)

    def message(self, call, now: float) -> None:
        self._settle(call, MESSAGE, now)

    def callback(self, call, now: float, end: float, group: int) -> None:
        """A callback placed to the caller of ``call``: a row of its own."""
        rec = self.rec
        row = rec.add(rec.caller[self.row[call]], call.type, call.lang, CALLBACK, now, math.inf)
        rec.answer[row] = now
        rec.end[row] = end
        rec.acw[row] = 0.0
        rec.group[row] = group
        rec.outcome[row] = ANSWERED

    def finish(self) -> None:
        self.rec.settle()


def record_replication(model: Model, seed: np.random.SeedSequence) -> tuple[ReplicationCounts, CallRecords]:
    """Run one replication of ``model`` recording every call: (its counts, its records). The
    counts are those :func:`simulate_replication` returns for the same seed."""
    recorder = CallRecorder()
    counts = Replication(model, seed, observer=recorder).run()
    return counts, recorder.rec
