"""Calls and their attributes: the single pool's and the routed pool's calls, transferred callers,
promised callbacks, and the draws of follow-up calls (in batches per call type).
"""

from __future__ import annotations

import math

import numpy as np
from simpy import Environment

from ska_sim.sim.engine.model import Model
from ska_sim.sim.kpi import FIRST_RESOLVED, FIRST_UNRESOLVED, REPEAT_CONTACT


class Tick:
    """An event that is already triggered when it is created, with one callback: what a SimPy
    ``Timeout`` is, without its checks. Scheduled with the public ``Environment.schedule``
    and fired by ``loop.Clock.run`` (``callback(tick)``; its value is ``_value``, as SimPy's).

    NOTE: inlined for speed: this is most of the engine's events (see benchmarks/).
    """

    __slots__ = ("callback", "_value")

    def __init__(self, env: Environment, callback, value):
        self.callback = callback
        self._value = value


class Call:
    """One call offered to the single pool's queue. Attributes are drawn when the call is created."""

    __slots__ = (
        "acw",
        "caller",
        "cell",
        "first",
        "flag",
        "handle",
        "patience",
        "redials",
        "repeats",
        "resolved",
        "t",
        "type",
        "waiting",
    )

    def __init__(self, type_, handle, patience, resolved, repeats, redials, first):
        self.type = type_
        self.handle = handle  # agent time if answered (s)
        self.patience = patience  # how long the caller waits before hanging up (s)
        self.resolved = resolved  # the issue is resolved if this call is answered
        self.repeats = repeats  # calls again if answered but unresolved
        self.redials = redials  # redials if abandoned or cut off at close
        self.first = first  # no earlier contact of this issue has been answered
        # the answered record's flag: first contact resolved / unresolved, or a repeat contact
        self.flag = (FIRST_RESOLVED if resolved else FIRST_UNRESOLVED) if first else REPEAT_CONTACT
        # t (arrival time), cell (interval x type) and waiting are set when the call arrives;
        # acw (after-call work, s) only when the replication records calls (or keeps callers);
        # caller (callers.Caller) only when a redial is the same caller


class GCall:
    """A call on the routed pool: its cell (type x language) and what routing needs."""

    __slots__ = (
        "caller",
        "cell",
        "col",
        "first",
        "handle",
        "hold",
        "idc_fail",
        "lang",
        "patience",
        "redials",
        "repeats",
        "res_u",
        "seq",
        "step",
        "t",
        "type",
        "waiting",
        "written",
    )

    def __init__(self, m: Model, k, lang, talk, acw, extra, needs, patience, u_res, u_rep, u_red, id_u, first):
        self.type, self.lang, self.first = k, lang, first
        self.col = k * m.n_langs + lang
        tt = talk * m.talk_factor[lang]
        self.handle = (tt + acw) + extra  # agent time before the group's handle factor (s)
        self.hold = tt + extra  # time on a phone line once answered: talk + identity check, not ACW
        self.patience = patience
        self.res_u = u_res  # resolved if u_res < min(1, resolved x the group's resolution factor)
        self.redials = u_red < m.redial_probability
        if needs and id_u is not None and id_u[0] < m.identity.fails[k]:
            # answered, not resolved by phone: a written request, a repeat call only if asked
            self.idc_fail = True
            self.written = id_u[1] < m.identity.written[k]
            self.repeats = id_u[2] < m.identity.repeat[k]
        else:
            self.idc_fail = self.written = False
            self.repeats = u_rep < m.repeat_probability
        self.waiting = False
        self.step = 0  # next overflow step

    @classmethod
    def drawn(cls, k, lang, col, handle, hold, patience, u_res, redials, idc_fail, written, repeats):
        """A day's first call whose attributes :func:`first_call_parts` derived for the whole day at
        once (the same values ``__init__`` derives one call at a time).

        NOTE: inlined for speed: a day's first calls are most of the calls."""
        call = cls.__new__(cls)
        call.type, call.lang, call.first, call.col = k, lang, True, col
        call.handle, call.hold, call.patience, call.res_u = handle, hold, patience, u_res
        call.redials, call.idc_fail, call.written, call.repeats = redials, idc_fail, written, repeats
        call.waiting = False
        call.step = 0
        return call


def first_call_parts(m: Model, types, lang, talk, acw, extra, needs, patience, u, ids) -> list[tuple]:
    """The arguments of :meth:`GCall.drawn` for a day's first calls, from their draws (arrays):
    what ``GCall.__init__`` derives call by call, derived with numpy (the same operations on the
    same doubles: the same values)."""
    col = types * m.n_langs + lang
    tt = talk * np.asarray(m.talk_factor, float)[lang]
    handle = (tt + acw) + extra
    hold = tt + extra
    redials = u[:, 2] < m.redial_probability
    if ids is not None:
        idm = m.identity
        fail = needs & (ids[:, 0] < np.asarray(idm.fails, float)[types])
        written = fail & (ids[:, 1] < np.asarray(idm.written, float)[types])
        repeats = np.where(fail, ids[:, 2] < np.asarray(idm.repeat, float)[types], u[:, 1] < m.repeat_probability)
    else:
        fail = written = np.zeros(len(types), bool)
        repeats = u[:, 1] < m.repeat_probability
    return list(zip(types.tolist(), lang.tolist(), col.tolist(), handle.tolist(), hold.tolist(), patience.tolist(),
                    u[:, 0].tolist(), redials.tolist(), fail.tolist(), written.tolist(), repeats.tolist()))


class Leg:
    """A transferred caller waiting for (or talking with) the second agent: it waits in the
    transfer queue of its call type (``col`` = n_cells + type), with what routing.next_call needs."""

    __slots__ = ("acw", "call", "col", "patience", "res_u", "seq", "t", "talk", "to", "waiting")

    def __init__(self, call: GCall, to: int, col: int, talk: float, acw: float, patience: float, res_u: float):
        self.call, self.to, self.col = call, to, col
        self.talk, self.acw, self.patience, self.res_u = talk, acw, patience, res_u
        self.waiting = False


class PromisedCallback:
    """A callback owed to the caller of ``call``: promised after an unresolved call (its own
    handle time and resolution) or accepted instead of waiting (virtual hold: the call itself)."""

    __slots__ = ("call", "due", "handle", "res_u", "vh")

    def __init__(self, call: GCall, due: float, vh: bool, handle: float, res_u: float):
        self.call, self.due, self.vh, self.handle, self.res_u = call, due, vh, handle, res_u


class Uniform:
    """U(0,1) draws one at a time, in batches, from the generator of ``purpose`` in ``streams``
    (a day's :class:`DateStreams`: the generator is made at the first draw)."""

    def __init__(self, streams, purpose: str, batch: int = 256):
        self.streams, self.purpose, self.batch, self.buf = streams, purpose, batch, []

    def __call__(self) -> float:
        if not self.buf:
            self.buf = self.streams[self.purpose].random(self.batch).tolist()
            self.buf.reverse()
        return self.buf.pop()


FIRST_BATCH, MAX_BATCH = 16, 256  # follow-up draws per call type and day: at least, and at most after the first


def first_batches(first_calls: np.ndarray) -> list[int]:
    """A day's first batch of follow-up draws per call type, from its first calls of that type
    (a quarter of them, at least 16: about what a day uses); later batches double, up to 256."""
    return [FIRST_BATCH + int(c) // 4 for c in first_calls]


class FollowUpBatches:
    """Draws of follow-up calls' attributes, in batches per call type from the day's follow-up
    stream (sized by ``expect``: a day draws few more than it uses; later batches double). What
    is left of a day's batches is dropped when the next day opens, so a date's draws do not
    depend on the days before it."""

    def __init__(self, model: Model):
        self.m = model
        self.bufs: list[list[tuple]] = [[] for _ in model.types]
        self.sizes = [FIRST_BATCH] * len(model.types)

    def new_day(self, streams) -> None:
        """Draw from the day's streams from now on."""
        self.rng, self.streams = streams["followup_calls"], streams
        self.bufs = [[] for _ in self.m.types]
        self.sizes = [FIRST_BATCH] * len(self.m.types)

    def expect(self, first_calls: np.ndarray) -> None:
        """The day's first calls per call type: they size its first batches."""
        self.sizes = first_batches(first_calls)

    def batch_size(self, k: int) -> int:
        """The size of call type ``k``'s next batch (the one after it doubles, up to MAX_BATCH)."""
        n = self.sizes[k]
        self.sizes[k] = max(min(2 * n, MAX_BATCH), FIRST_BATCH)
        return n


class SingleCalls(FollowUpBatches):
    """Attributes of the single pool's redials and repeat calls. With ``split`` (recording) each
    call keeps its after-call work: the same draws (CallTypeModel.handle_parts)."""

    def __init__(self, model: Model, split: bool = False):
        super().__init__(model)
        self.split = split
        if split:
            self.follow_up = self.follow_up_split
        if model.periods is not None:  # rows keep talk apart: follow_up_at scales it at the arrival time
            self._refill = self._refill_parts
            self.talk_f, self.patience_f = model.periods.talk.tolist(), model.periods.patience.tolist()
            self.segment = model.periods.segment

    def _refill(self, k: int) -> list[tuple]:
        m, rng, n = self.m, self.rng, self.batch_size(k)
        ct = m.types[k]
        if self.split:
            talk, acw, extra, _ = ct.handle_parts(rng, n)
            handle = (talk + acw) + extra
        else:
            handle = ct.handle_times(rng, n)
        pat = m.patience_of(k)
        patience = pat.sample(rng, n) if pat else np.full(n, math.inf)
        u = rng.random((n, 3))
        cols = [handle.tolist(), patience.tolist(), (u[:, 0] < ct.resolved).tolist(),
                (u[:, 1] < m.repeat_probability).tolist(), (u[:, 2] < m.redial_probability).tolist()]
        if self.split:
            cols.append(acw.tolist())
        rows = list(zip(*cols))
        rows.reverse()  # pop() from the end hands them out in the order drawn
        self.bufs[k] = rows
        return rows

    def follow_up(self, call: Call, first: bool) -> Call:
        k = call.type
        buf = self.bufs[k] or self._refill(k)
        return Call(k, *buf.pop(), first)

    def _refill_parts(self, k: int) -> list[tuple]:
        """The draws of ``_refill`` (talk, after-call work and identity check as handle_parts)
        with talk, after-call work and identity check apart."""
        m, rng, n = self.m, self.rng, self.batch_size(k)
        talk, acw, extra, _ = m.types[k].handle_parts(rng, n)
        pat = m.patience_of(k)
        patience = pat.sample(rng, n) if pat else np.full(n, math.inf)
        u = rng.random((n, 3))
        rows = list(zip(talk.tolist(), acw.tolist(), extra.tolist(), patience.tolist(),
                        (u[:, 0] < m.types[k].resolved).tolist(), (u[:, 1] < m.repeat_probability).tolist(),
                        (u[:, 2] < m.redial_probability).tolist()))
        rows.reverse()
        self.bufs[k] = rows
        return rows

    def follow_up_at(self, call: Call, first: bool, t: float | None) -> Call:
        """A follow-up arriving at ``t`` (None: after the window), its talk and patience scaled
        by its type's factors there (scenarios with period factors)."""
        k = call.type
        buf = self.bufs[k] or self._refill(k)
        talk, acw, extra, patience, resolved, repeats, redials = buf.pop()
        if t is not None:
            j = self.segment(t)
            talk *= self.talk_f[k][j]
            patience *= self.patience_f[k][j]
        new = Call(k, (talk + acw) + extra, patience, resolved, repeats, redials, first)
        new.acw = acw
        return new

    def follow_up_split(self, call: Call, first: bool) -> Call:
        k = call.type
        buf = self.bufs[k] or self._refill(k)
        handle, patience, resolved, repeats, redials, acw = buf.pop()
        new = Call(k, handle, patience, resolved, repeats, redials, first)
        new.acw = acw
        return new


class RoutedCalls(FollowUpBatches):
    """Attributes of the routed pool's redials and repeat calls: the same draws from the
    follow-up stream as :class:`SingleCalls`, identity failures from the identity stream;
    type and language are the issue's."""

    def __init__(self, model: Model):
        super().__init__(model)
        if model.periods is not None:
            self.talk_f, self.patience_f = model.periods.talk.tolist(), model.periods.patience.tolist()
            self.segment = model.periods.segment

    def _refill(self, k: int) -> list[tuple]:
        m, rng, n = self.m, self.rng, self.batch_size(k)
        talk, acw, extra, needs = m.types[k].handle_parts(rng, n)
        pat = m.patience_of(k)
        patience = pat.sample(rng, n) if pat else np.full(n, math.inf)
        u = rng.random((n, 3))
        fails = m.identity is not None and m.identity.fails[k] > 0
        ids = self.streams["identity"].random((n, 3)).tolist() if fails else [None] * n
        rows = list(zip(talk.tolist(), acw.tolist(), extra.tolist(), needs.tolist(), patience.tolist(),
                        u[:, 0].tolist(), u[:, 1].tolist(), u[:, 2].tolist(), ids))
        rows.reverse()
        self.bufs[k] = rows
        return rows

    def follow_up(self, call: GCall, first: bool) -> GCall:
        k = call.type
        buf = self.bufs[k] or self._refill(k)
        return GCall(self.m, k, call.lang, *buf.pop(), first)

    def follow_up_at(self, call: GCall, first: bool, t: float | None) -> GCall:
        """A follow-up arriving at ``t`` (None: after the window), its talk and patience scaled
        by its type's factors there (scenarios with period factors)."""
        k = call.type
        buf = self.bufs[k] or self._refill(k)
        talk, acw, extra, needs, patience, u0, u1, u2, ids = buf.pop()
        if t is not None:
            j = self.segment(t)
            talk *= self.talk_f[k][j]
            patience *= self.patience_f[k][j]
        return GCall(self.m, k, call.lang, talk, acw, extra, needs, patience, u0, u1, u2, ids, first)


def collector_appends(col) -> tuple:
    """The bound ``append`` methods of a collector's buffers that every pool fills: offered,
    answered, waits, service starts and ends (bound again after each flush replaces the lists)."""
    return col.offered.append, col.answered.append, col.waits.append, col.svc_start.append, col.svc_end.append
