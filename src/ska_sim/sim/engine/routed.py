"""The routed pool: agent groups with skills and languages, routing with overflow and
priorities (routing.py), and the optional lines, transfers and callbacks parts.
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np
from simpy.events import NORMAL

from ska_sim.sim.engine.callers import CallerPart, MessageDraws, leave_message
from ska_sim.sim.engine.calls import GCall, Leg, RoutedCalls, Tick, Uniform, collector_appends, first_call_parts
from ska_sim.sim.engine.durations import first_patience, scale_by_period
from ska_sim.sim.engine.followups import CallbackPart, FollowUps, TransferPart
from ska_sim.sim.engine.lines import Lines
from ska_sim.sim.kpi import FIRST, FIRST_RESOLVED, FIRST_UNRESOLVED, REPEAT_CONTACT
from ska_sim.sim.routing import free_group, may_take, next_call


class RoutedPool:
    """Agent groups with skills, languages, routing with overflow and priorities (routing.py),
    and, when the scenario has them, phone lines (:class:`Lines`), identity-check failures,
    transfers (:class:`TransferPart`) and callbacks with virtual hold (:class:`CallbackPart`).

    - agents are a pool per group (``g_staffed``, ``g_target``, ``g_busy`` and ``idle[g]``, the
      times its free agents became idle); a busy agent is ``(end, n, group)`` in one heap, so
      call ends of all groups are replayed in time order;
    - waiting calls wait in one FIFO per cell (type x language); routing.next_call picks;
    - every waiting caller with a finite patience has a patience event (the line count must
      know who still waits); abandonment counts exactly as on the single pool;
    - overflow timers: a waiting call gets an event at arrival + each later group's delay;
    - lines: an arrival finding them all taken is blocked and redials like an abandoned caller;
    - closing: a waiting call is cut off unless a group eligible for it has a closing-crew
      agent busy (``serve``); when the last agent of a group goes home after closing, calls no
      remaining agent may take are cut off then.
    """

    ITEMS_AT_EVENTS = False  # blended items arriving at an empty queue are events (engine/blend.py)

    def __init__(self, rep):
        m = rep.m
        self.rep, self.m, self.env, self.schedule, self.col, self.obs = rep, m, rep.env, rep.schedule, rep.col, rep.obs
        self.rng = rep.rng
        self.follow = FollowUps(rep, RoutedCalls(m))
        r = m.routing
        self.r = r
        self.n_types, self.slot_to_iv, self.iv_s = rep.n_types, rep.slot_to_iv, rep.iv_s
        self.n_langs = m.n_langs
        self.n_cells = self.n_types * self.n_langs
        self.uniform = Uniform(rep.rng, "routing")  # (the day's: see new_day)
        G = r.n_groups
        self.G = G
        self.agents_iv = (rep.group_agents.tolist() if rep.group_agents is not None  # less [[written]]'s agents
                          else r.agents.tolist() if m.roster is None else rep.iv_agents.reshape(len(rep.iv_agents), -1).tolist())
        self.is_open = False
        self.g_staffed = [0] * G
        self.g_target = [0] * G
        self.g_busy = [0] * G
        self.idle: list[deque[float]] = [deque() for _ in range(G)]
        self.queues: list[deque] = [deque() for _ in range(self.n_cells)]
        self.n_waiting = 0
        self.ends: list[tuple[float, int, int]] = []
        self.end_seq = 0
        self.seq = 0
        self.duty_t = 0.0
        self.lines = Lines(m.lines) if m.lines is not None else None
        # per (call type, group): P(resolved) = min(1, resolved x the group's resolution factor)
        self.res_p = [[min(1.0, ct.resolved * f) for f in r.resolution_factor] for ct in m.types]
        self.last_close = rep.last_close
        self.cells = r.group_cells  # per group: the (cell, delay, priority) it takes from
        self.eligible = r.eligible  # per cell: (group, delay)
        self.policies = r.policies(self.n_cells)  # per cell: its call type's routing policy
        self.hf = r.handle_factors(self.n_types)  # per (call type, group): the handle factor
        self.transfers = TransferPart(self) if m.transfers is not None and any(s > 0 for s in m.transfers.share) else None
        self.callbacks = CallbackPart(self) if m.callbacks is not None else None
        self.cb_group = self.callbacks.group if self.callbacks is not None else -1
        # the same caller over attempts, a message at a maximum wait (callers.py)
        self.callers = CallerPart(self, m.same_caller.keep_patience, m.same_caller.keep_talk, True) \
            if m.same_caller is not None else None
        self.follow.callers = self.callers
        self.message = MessageDraws(m.message, rep.rng) if m.message is not None else None
        # written work blended between calls (engine/blend.py, set by the loop): items waiting for an agent
        self.blend = None
        self.n_written = 0
        self.noticed = 0.0  # the latest time a replay ran to (the arrivals driver may run ahead of the clock: FollowUps.floor)
        self.bind()

    def bind(self) -> None:
        """Bound ``append`` methods of the collector's buffers (they are replaced at each flush)."""
        self._offered, self._answered, self._waits, self._svc_start, self._svc_end = collector_appends(self.col)
        self._group = self.col.group.append

    def new_day(self, streams) -> None:
        """A day opens: its draws come from ``streams`` (the date's :class:`DateStreams`)."""
        self.rng = streams
        self.follow.new_day(streams)
        self.uniform = Uniform(streams, "routing")
        if self.transfers is not None:
            self.transfers.new_day(streams)
        if self.callbacks is not None:
            self.callbacks.new_day(streams)
        if self.message is not None:
            self.message.new_day(streams)
        if self.m.written_answer is not None:
            self.answer_u = Uniform(streams, "written_answer")

    def finish(self) -> None:
        if self.callbacks is not None:
            self.callbacks.finish()

    def account_duty(self, now: float) -> None:
        t0 = self.duty_t
        self.duty_t = now
        if now <= t0:  # nothing to add (several agents go home at the same instant)
            return
        add = self.col.add_on_duty
        for g, staffed in enumerate(self.g_staffed):
            if staffed > 0:
                add(t0, now, staffed, g)

    # ------------------------------------------------------------------ staffing
    def staff(self, iv: int, now: float) -> None:
        """The interval's staffing per group: new agents take waiting callers; idle ones above it leave."""
        gained = []
        for g, target in enumerate(self.agents_iv[iv]):
            self.g_target[g] = target
            staffed = self.g_staffed[g]
            if staffed < target:
                self.idle[g].extend([now] * (target - staffed))
                self.g_staffed[g] = target
                gained.append(g)
            elif staffed > target:  # idle agents leave at once (those idle longest first)
                leave = min(len(self.idle[g]), staffed - target)
                for _ in range(leave):
                    self.idle[g].popleft()
                self.g_staffed[g] -= leave
        if gained and self.n_written and self.blend.urgent:  # deadline priority: urgent items before calls
            self.blend.serve_urgent(now)
        for g in gained:
            self.serve_group(g, now)
        if gained and self.n_written:
            self.blend.join(now)

    def serve_group(self, g: int, now: float) -> None:
        idle, cells, queues, cb = self.idle[g], self.cells[g], self.queues, self.callbacks
        if g == self.cb_group and cb.priority:
            cb.serve(now)
        while idle and self.n_waiting:
            call = next_call(cells, queues, now)
            if call is None:
                break
            call.waiting = False
            self.n_waiting -= 1
            idle.popleft()
            self.start(call, g, now)
        if g == self.cb_group:
            cb.serve(now)

    def waiting_calls(self) -> list:
        return sorted((c for q in self.queues for c in q if c.waiting), key=lambda c: c.seq)

    def close(self, now: float) -> None:
        if self.n_waiting:
            crew = [self.g_busy[g] - max(0, self.g_staffed[g] - self.g_target[g]) for g in range(self.G)]
            eligible, drop = self.eligible, self.m.drop_at_close
            for call in self.waiting_calls():  # in arrival order (the order of their redial draws)
                if drop or not may_take(eligible[call.col], call.t, now, crew):
                    self.cut_off(call, now)
        for g in range(self.G):  # idle agents go home; busy ones finish (the crew clears the queue)
            self.g_staffed[g] = self.g_busy[g]
            self.idle[g].clear()

    def cut_off(self, call, now: float) -> None:
        call.waiting = False
        self.n_waiting -= 1
        if call.__class__ is Leg:  # a transferred caller nobody will take: answered on the line, unresolved
            self.transfers.lost(call, now)
            return
        self.col.dropped.append(call.cell)
        self.col.drop_waits.append(now - call.t)
        if self.obs is not None:
            self.obs.cut_off(call, now)
        if self.callers is not None:
            self.callers.lost(call, now - call.t, call.redials)
        if call.redials:
            self.follow.redial(call, now)

    def orphans(self, now: float) -> None:
        """After closing: calls no agent still at work may take are cut off now."""
        staffed, eligible = self.g_staffed, self.eligible
        for call in self.waiting_calls():
            if not may_take(eligible[call.col], call.t, now, staffed):
                self.cut_off(call, now)

    # ------------------------------------------------------------------ arrivals
    def first_calls(self, times: np.ndarray, types: np.ndarray) -> list[tuple]:
        """The other attributes of the day's first calls: the single pool's draws (split into
        talk, after-call work and identity check), then their languages (stream "language")
        and identity-check outcomes (stream "identity")."""
        m, rng, n = self.m, self.rng, len(times)
        talk, acw, extra = np.empty(n), np.empty(n), np.empty(n)
        needs = np.zeros(n, bool)
        for k, ct in enumerate(m.types):
            idx = np.flatnonzero(types == k)
            talk[idx], acw[idx], extra[idx], needs[idx] = ct.handle_parts(rng["handling"], len(idx))
        patience = first_patience(m, rng["patience"], types)
        if m.periods is not None:
            scale_by_period(m, times, types, talk, patience)
        u = rng["resolution"].random((n, 3))
        if self.n_langs > 1:
            lang = (rng["language"].random(n)[:, None] >= m.lang_cum[types]).sum(axis=1)
        else:
            lang = np.zeros(n, np.int64)
        ids = rng["identity"].random((n, 3)) if m.identity is not None else None
        return first_call_parts(m, types, lang, talk, acw, extra, needs, patience, u, ids)

    def first_call(self, i: int, now: float) -> None:
        call = GCall.drawn(*self.rep.day[i])
        if self.callers is not None:
            call.caller = None
        self.arrive(call, FIRST, now)

    def on_arrivals(self, ev) -> None:
        self.rep.drive(ev)

    # ------------------------------------------------------------------ the queues
    def arrive(self, call: GCall, kind: int, now: float) -> None:
        if self.obs is not None:
            self.obs.arrive(call, kind, now)
        ends = self.ends  # self.catch_up(now), inlined for speed
        if ends and ends[0][0] <= now:
            self.replay(now)
        call.t = now
        cell = self.slot_to_iv[int(now // self.iv_s)] * self.n_cells + call.col
        call.cell = cell
        self._offered(cell * 3 + kind)
        callers = self.callers
        if callers is not None:
            callers.arrive(call, cell)
        if self.lines is not None and self.lines.full(now, self.n_waiting):  # busy tone
            self.col.blocked.append(cell)
            if self.obs is not None:
                self.obs.blocked(call, now)
            if callers is not None:
                callers.lost(call, 0.0, call.redials)
            if call.redials:
                self.follow.redial(call, now)
            return
        if self.is_open:
            g = free_group(self.r.arrival_groups[call.col], self.idle, self.policies[call.col], self.uniform)
            if g >= 0:
                self.idle[g].popleft()
                self.start(call, g, now)
                return
            if self.callbacks is not None and self.callbacks.virtual_hold(call, now):
                if callers is not None:
                    callers.lost(call, 0.0, False)
                return
        self.enqueue(call, self.on_patience, now)
        env = self.env
        if self.message is not None:
            self.schedule(Tick(env, self.on_message, call), NORMAL, now + self.message.after_s - env.now)
        steps = self.r.overflow_steps[call.col]
        if steps and now + steps[0][0] < self.last_close:
            self.schedule(Tick(env, self.on_overflow, call), NORMAL, now + steps[0][0] - env.now)

    def on_patience(self, ev) -> None:
        call = ev._value
        now = self.env.now
        ends = self.ends  # self.catch_up(now), inlined for speed
        if ends and ends[0][0] <= now:
            self.replay(now)
        if not call.waiting:
            return
        call.waiting = False
        self.n_waiting -= 1
        self.col.abandoned.append(call.cell)
        # the wait as the single pool records it: redialling callers at their event, others at their patience
        wait = now - call.t if call.redials else call.patience
        self.col.abandon_waits.append(wait)
        if self.obs is not None:
            self.obs.abandoned(call, now)
        if self.callers is not None:
            self.callers.lost(call, wait, call.redials)
        if call.redials:
            self.follow.redial(call, now)

    def on_message(self, ev) -> None:
        """The caller has waited the message offer's time: if still waiting, they leave a
        message with the offer's share; the others keep waiting."""
        call = ev._value
        now = self.env.now
        self.catch_up(now)
        if not call.waiting or not self.message.leaves():
            return
        leave_message(self, call, now)

    def on_overflow(self, ev) -> None:
        """A waiting call has waited the delay of groups further down its order: they may take it."""
        call = ev._value
        now = self.env.now
        self.catch_up(now)
        if not call.waiting:
            return
        steps = self.r.overflow_steps[call.col]
        g = free_group(steps[call.step][1], self.idle, self.policies[call.col], self.uniform)
        if g >= 0:
            call.waiting = False
            self.n_waiting -= 1
            self.idle[g].popleft()
            self.start(call, g, now)
            return
        call.step += 1
        if call.step < len(steps) and call.t + steps[call.step][0] < self.last_close:
            env = self.env
            self.schedule(Tick(env, self.on_overflow, call), NORMAL, call.t + steps[call.step][0] - env.now)

    def busy(self, g: int, end: float) -> None:
        """An agent of group g is busy until ``end``."""
        self.end_seq += 1
        heapq.heappush(self.ends, (end, self.end_seq, g))
        self.g_busy[g] += 1

    def start(self, call, g: int, now: float) -> None:
        """Group g's agent answers ``call`` at ``now``: handle and resolution by the group."""
        if call.__class__ is Leg:
            self.transfers.start_leg(call, g, now)
            return
        k = call.type
        hf = self.hf[k][g]
        end = now + call.handle * hf
        if self.obs is not None:
            self.obs.answered(call, now, now + call.hold * hf, (call.handle - call.hold) * hf, g)
        self.end_seq += 1  # self.busy(g, end), inlined for speed
        heapq.heappush(self.ends, (end, self.end_seq, g))
        self.g_busy[g] += 1
        # a transferred call's resolution is the transfer's (the first leg does not count)
        tr = self.transfers
        transfer = tr is not None and tr.on[k] and not call.idc_fail and tr.u() < tr.share[k]
        resolved = not transfer and not call.idc_fail and call.res_u < self.res_p[k][g]
        flag = (FIRST_RESOLVED if resolved else FIRST_UNRESOLVED) if call.first else REPEAT_CONTACT
        self._answered(call.cell * 3 + flag)
        self._waits(now - call.t)
        self._svc_start(now)
        self._svc_end(end)
        self._group(g)
        if self.callers is not None:
            self.callers.answered(call, now - call.t)
        if self.lines is not None:
            self.lines.hold(now + call.hold * hf)
        if call.written:
            self.col.written.append(call.cell)
            if self.blend is not None:  # a written request to blended written work
                self.blend.identity(now)
        if transfer:
            tr.transfer(call, now + call.hold * hf, end)
        elif not resolved:
            cb = self.callbacks
            wa = self.m.written_answer
            if cb is not None and cb.on[k] and not call.idc_fail and cb.u() < cb.share[k]:
                cb.promise(call, end)  # the callback is the second contact: no repeat call
            elif wa is not None and wa[k] > 0 and not call.idc_fail and self.answer_u() < wa[k]:
                self.written_answer(call, now)  # the answer comes in writing: no repeat call
            elif call.repeats:
                self.follow.repeat(call, end)

    def written_answer(self, call, now: float) -> None:
        """The agent promises ``call``'s caller a written answer: one written request of its cell
        (to the kind that takes the phones' written requests; blended work gets it now)."""
        self.col.written.append(call.cell)
        if self.blend is not None:
            self.blend.identity(now)

    def enqueue(self, item, on_patience, now: float) -> None:
        """``item`` (a call, or a transferred call's second leg) waits in its cell's queue, in
        arrival order; ``on_patience`` fires when its patience runs out, if it is finite."""
        item.waiting = True
        self.seq += 1
        item.seq = self.seq
        self.queues[item.col].append(item)
        self.n_waiting += 1
        if item.patience != math.inf:
            env = self.env
            self.schedule(Tick(env, on_patience, item), NORMAL, now + item.patience - env.now)

    def catch_up(self, now: float) -> None:
        """Replay the agents whose calls have ended by ``now`` (before an event reads the queue)."""
        ends = self.ends
        if ends and ends[0][0] <= now:
            self.replay(now)

    def free_agents(self, g: int) -> int:
        return len(self.idle[g])

    def start_written(self, g: int, end: float) -> None:
        self.busy(g, end)

    def leave_idle(self, g: int) -> None:
        self.idle[g].popleft()  # the agent idle longest

    def replay(self, now: float) -> None:
        """Call ends of every group up to ``now``, in time order (as SinglePool.replay): the
        agent goes home if past the shift, else takes the call routing.next_call gives (or a
        callback), else (after closing) goes home, else waits idle."""
        ends, pop = self.ends, heapq.heappop
        if self.noticed < now < math.inf:
            self.noticed = now
        while ends and ends[0][0] <= now:
            end, _, g = pop(ends)
            if self.release(end, g):
                self.idle[g].append(end)

    def release(self, end: float, g: int) -> bool:
        """An agent of group ``g`` ends a piece of work at ``end``: goes home if past the shift,
        else takes a priority callback, the next call routing gives, or a callback, else (after
        closing) goes home. True when none of these: the agent is free (idle, or blended work)."""
        staffed, cb, cbg = self.g_staffed, self.callbacks, self.cb_group
        self.g_busy[g] -= 1
        if staffed[g] > self.g_target[g]:
            self.account_duty(end)
            staffed[g] -= 1
            return False
        if g == cbg and cb.queue and self.is_open and cb.priority:
            cb.start(cb.queue.popleft(), g, end)
            return False
        call = next_call(self.cells[g], self.queues, end) if self.n_waiting else None
        if call is not None:
            call.waiting = False
            self.n_waiting -= 1
            self.start(call, g, end)
        elif g == cbg and cb.queue and self.is_open:
            cb.start(cb.queue.popleft(), g, end)
        elif not self.is_open:
            self.account_duty(end)
            staffed[g] -= 1
            if staffed[g] == 0 and self.n_waiting:
                self.orphans(end)
        else:
            return True
        return False

    def replay_blend(self, now: float) -> None:
        """``replay`` with written work blended between calls (engine/blend.py; it replaces
        ``replay`` when the scenario has it): items arriving at an empty queue are taken in at
        their own times between the agents' ends, and an agent with no call waiting takes an
        item if the reserve stays free."""
        ends, pop = self.ends, heapq.heappop
        if self.noticed < now < math.inf:
            self.noticed = now
        blend = self.blend
        urgent = blend.urgent
        while True:
            head = ends[0][0] if ends and ends[0][0] <= now else math.inf
            nd = blend.next_due
            if nd < head and nd <= now:  # a blended item arrives first, at its time
                blend.arrive_next()
                continue
            if head == math.inf:
                break
            end, _, g = pop(ends)
            if (g in urgent and self.n_written and self.is_open and self.g_staffed[g] <= self.g_target[g]
                    and blend.take_urgent(end, g)):  # deadline priority: an urgent item before any waiting call
                self.g_busy[g] -= 1  # (its previous piece of work ended; the item's counts in start_written)
                continue
            if self.release(end, g) and not (self.n_written and not self.n_waiting
                                             and blend.take(end, len(self.idle[g]), g)):
                self.idle[g].append(end)
        if blend.unscheduled:
            blend.schedule_pending()
