"""The single pool: one group of agents with every skill and one FIFO queue.
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np
from simpy.events import NORMAL

from ska_sim.sim.engine.callers import CallerPart, MessageDraws, leave_message
from ska_sim.sim.engine.calls import Call, SingleCalls, Tick, collector_appends
from ska_sim.sim.engine.durations import first_patience, scale_by_period
from ska_sim.sim.engine.followups import FollowUps
from ska_sim.sim.kpi import FIRST, FIRST_RESOLVED, FIRST_UNRESOLVED, REPEAT


class SinglePool:
    """One group of agents with every skill and one FIFO queue: ``staffed`` agents on duty,
    ``target`` the interval's staffing, each busy agent the time its call ends (``busy_ends``,
    a heap)."""

    ITEMS_AT_EVENTS = True  # blended items are taken in at the pool's events (item_at), not by an event each

    def __init__(self, rep):
        self.rep, self.m, self.env, self.schedule, self.col, self.obs = rep, rep.m, rep.env, rep.schedule, rep.col, rep.obs
        self.follow = FollowUps(rep, SingleCalls(rep.m, split=rep.obs is not None))
        self.noticed = 0.0  # the latest time a replay ran to (the arrivals driver may run ahead of the clock: FollowUps.floor)
        m = rep.m
        # the same caller over attempts, a message at a maximum wait: calls take the plain route
        # (first_call, arrive, on_patience), which tells these parts of each call
        self.callers = CallerPart(self, m.same_caller.keep_patience, m.same_caller.keep_talk, False) \
            if m.same_caller is not None else None
        self.follow.callers = self.callers
        self.message = MessageDraws(m.message, rep.rng) if m.message is not None else None
        self.plain = self.callers is not None or self.message is not None
        if self.plain:
            self.on_arrivals = rep.drive
        # (bound: a repeat call is follow.repeat, without its call, on the hot path)
        self.follow_add = self.follow.add
        self.new_day(rep.rng)
        self.iv_agents = rep.iv_agents
        self.n_types, self.slot_to_iv, self.iv_s = rep.n_types, rep.slot_to_iv, rep.iv_s
        self.duty_group = 0 if self.col.n_groups else None  # the implicit single group's time on duty
        self.staffed = 0
        self.busy_ends: list[float] = []  # when each busy agent's call ends (a heap)
        self.target = 0
        self.is_open = False
        self.queue: deque[Call] = deque()
        self.n_waiting = 0
        self.duty_t = 0.0
        self.patience_cb = self.on_patience  # bound once: fire_due knows patience events by their callback
        # written work blended between calls (engine/blend.py, set by the loop): items waiting for
        # an agent (the calls keep the inlined arrivals loop: see item_at)
        self.blend = None
        self.n_written = 0
        # the next blended item due at an empty queue (BlendPart.next_due; inf without): items are
        # not events in this pool, every event replays up to it first (replay_blend takes them in)
        self.item_at = math.inf
        self.blend_low = -1  # below it an agent freed with items waiting stays idle (no shortcut with urgent items)
        self.bind()

    def bind(self) -> None:
        """Bound ``append`` methods of the collector's buffers (they are replaced at each flush)."""
        self._offered, self._answered, self._waits, self._svc_start, self._svc_end = collector_appends(self.col)

    def new_day(self, streams) -> None:
        """A day opens: its draws come from ``streams`` (the date's :class:`DateStreams`)."""
        self.rng = streams
        self.follow.new_day(streams)
        self.repeat_delay = self.follow.repeat_delay.next
        if self.message is not None:
            self.message.new_day(streams)

    def finish(self) -> None:
        """After the last event: nothing is owed."""

    def account_duty(self, now: float) -> None:
        self.col.add_on_duty(self.duty_t, now, self.staffed, self.duty_group)
        self.duty_t = now

    # ------------------------------------------------------------------ staffing
    def staff(self, iv: int, now: float) -> None:
        """The interval's staffing: new agents take waiting callers; idle ones above it leave."""
        target = int(self.iv_agents[iv])
        self.target = target
        if self.staffed < target:
            self.staffed = target
            self.serve_queue(now)
        elif self.staffed > target:
            idle = self.staffed - len(self.busy_ends)
            self.staffed -= min(idle, self.staffed - target)

    def close(self, now: float) -> None:
        """Closing time. The closing crew (agents on duty in the last interval) keeps the target
        of that interval; agents finishing a call after their shift ended are not part of it."""
        busy = len(self.busy_ends)
        crew_busy = busy - max(0, self.staffed - self.target)
        if self.m.drop_at_close or crew_busy <= 0:  # nobody left to clear the queue
            col, obs = self.col, self.obs
            for call in self.queue:
                if call.waiting:
                    call.waiting = False
                    if call.t + call.patience < now:  # hung up before closing (see next_waiting)
                        col.abandoned.append(call.cell)
                        col.abandon_waits.append(call.patience)
                        if self.callers is not None:
                            self.callers.lost(call, call.patience, False)
                        continue
                    col.dropped.append(call.cell)
                    col.drop_waits.append(now - call.t)
                    if obs is not None:
                        obs.cut_off(call, now)
                    if self.callers is not None:
                        self.callers.lost(call, now - call.t, call.redials)
                    if call.redials:
                        self.follow.redial(call, now)
            self.queue.clear()
            self.n_waiting = 0
        self.staffed = busy  # idle agents go home; busy ones finish (the crew, in serve mode, clears the queue)

    # ------------------------------------------------------------------ arrivals
    def first_calls(self, times: np.ndarray, types: np.ndarray) -> tuple:
        """The other attributes of the day's first calls (handle time, patience, whether the
        issue is resolved, whether the caller would call again or redial), as parallel lists:
        a Call object is made only for those who wait."""
        m, rng, n = self.m, self.rng, len(times)
        split = self.obs is not None or self.plain
        handle, acw, resolved_p = np.empty(n), np.empty(n), np.empty(n)
        by_period = m.periods is not None and m.periods.has_talk  # talk scaled by its period: kept apart
        if by_period:
            talk_all, extra_all = np.empty(n), np.empty(n)
        for k, ct in enumerate(m.types):
            idx = np.flatnonzero(types == k)
            if by_period:
                talk_all[idx], acw[idx], extra_all[idx], _ = ct.handle_parts(rng["handling"], len(idx))
            elif split:
                talk, a, extra, _ = ct.handle_parts(rng["handling"], len(idx))
                handle[idx] = (talk + a) + extra
                acw[idx] = a
            else:
                handle[idx] = ct.handle_times(rng["handling"], len(idx))
            resolved_p[idx] = ct.resolved
        patience = first_patience(m, rng["patience"], types)
        if m.periods is not None:
            scale_by_period(m, times, types, talk_all if by_period else handle, patience)
            if by_period:
                handle = (talk_all + acw) + extra_all
        u = rng["resolution"].random((n, 3))
        resolved = u[:, 0] < resolved_p
        repeats = u[:, 1] < m.repeat_probability
        redials = u[:, 2] < m.redial_probability
        if split:
            return (types.tolist(), handle.tolist(), patience.tolist(), resolved.tolist(), repeats.tolist(),
                    redials.tolist(), acw.tolist())
        # each call's KPI cell (interval of arrival x type) and its offered / answered codes,
        # computed here for the whole day (np.floor_divide is Python's // on floats); valid for
        # a call handled at its own arrival time (see on_arrivals)
        flags = np.where(resolved, FIRST_RESOLVED, FIRST_UNRESOLVED)
        off = (self.rep.slot_iv[(times // self.iv_s).astype(np.int64)] * self.n_types + types) * 3
        return (
            types.tolist(),
            handle.tolist(),
            patience.tolist(),
            resolved.tolist(),
            repeats.tolist(),
            redials.tolist(),
            flags.tolist(),
            off.tolist(),
            (off + flags).tolist(),
            (repeats & ~resolved).tolist(),  # answered at once: calls again
        )

    def first_call(self, i: int, now: float) -> None:
        """The day's i-th first call arrives (recording: the plain route, keeping its after-call work)."""
        types, handle, patience, resolved, repeats, redials, acw = self.rep.day
        call = Call(types[i], handle[i], patience[i], resolved[i], repeats[i], redials[i], True)
        call.acw = acw[i]
        call.caller = None
        self.arrive(call, FIRST, now)

    def on_arrivals(self, ev) -> None:  # inlined for speed
        """The arrivals event (Replication.drive) with the first calls' arrival done here.

        When the next scheduled event is due before the next arrival, the arrivals event is
        scheduled for that arrival as usual and ``fire_due`` fires, in the clock's order, the
        patience events due before it; when the arrivals event is next, it continues here
        (what the clock's run loop would do, without returning to it).

        NOTE: inlined for speed: the first-call branch repeats arrive and start, the follow-up
        branch arrive, with everything they touch in local variables. Keep them in step.
        """
        rep = self.rep
        if ev._value != rep.driver_at:  # superseded by an earlier arrivals event
            return
        env, times = self.env, rep.times
        types, handle, patience, resolved, repeats, redials, flags, off, ans, again = rep.day
        n = len(times) - 1  # times ends with inf (a sentinel)
        follow = self.follow.heap
        peek, ends, queue = env.peek, self.busy_ends, self.queue
        offered, answered, waits = self._offered, self._answered, self._waits
        svc_start, svc_end, push, pop = self._svc_start, self._svc_end, heapq.heappush, heapq.heappop
        is_open = self.is_open  # nothing between two arrivals of this loop opens or closes the line
        target = self.target  # changes only at boundaries
        on_patience, schedule = self.patience_cb, self.schedule
        slot_to_iv, iv_s, n_types = self.slot_to_iv, self.iv_s, self.n_types
        low = self.blend_low
        inf = math.inf
        while True:  # once per firing of the arrivals event
            rep.driver_at = inf
            rep.in_driver = True
            i = rep.day_i
            # the arrival's own time (see Replication.drive)
            now = max(env.now, ev._value)
            staffed = self.staffed  # changes only in replay (re-read after it, and after arrive)
            item_at = self.item_at  # (the same: the next blended item, see replay_blend)
            # the next other scheduled event: it changes only when this loop schedules a patience
            # event (re-read then); replay and follow-ups schedule none while the driver runs
            limit = peek()
            # which arrival is due first (a first call wins a tie with a follow-up)
            if i < n and times[i] <= now and not (follow and follow[0][0] < times[i]):
                first = True
                if times[i] != now:  # (an event an ulp late) this call's cell is the one of ``now``
                    cell = self.slot_to_iv[int(now // self.iv_s)] * self.n_types + types[i]
                    off[i], ans[i] = cell * 3, cell * 3 + flags[i]
            elif follow and follow[0][0] <= now:
                first = False
            else:  # pragma: no cover - nothing is due (cannot happen: this event fires for an arrival)
                rep.in_driver = False
                return
            # the first follow-up due: the heap changes only in follow-ups and pop (re-read after
            # each call that may reach them: replay, follow.repeat, arrive)
            ft = follow[0][0] if follow else inf
            while True:
                if first:
                    # a first call, at its own time (now == times[i])
                    if ends and ends[0] <= now or item_at <= now:
                        if is_open and not self.n_waiting and staffed <= target and item_at > now:
                            if not self.n_written:
                                while ends and ends[0] <= now:  # replay's first case, inlined
                                    pop(ends)
                            else:  # items wait: an agent whose others free are below every reserve waits idle
                                while ends and ends[0] <= now and staffed - len(ends) < low:
                                    pop(ends)
                        if ends and ends[0] <= now or item_at <= now:
                            self.replay(now)
                            staffed = self.staffed
                            ft = follow[0][0] if follow else inf
                            item_at = self.item_at
                    offered(off[i])  # FIRST
                    if is_open and staffed > len(ends):
                        end = now + handle[i]
                        push(ends, end)
                        answered(ans[i])
                        waits(0.0)
                        svc_start(now)
                        svc_end(end)
                        if again[i]:
                            call = Call(types[i], handle[i], patience[i], False, True, redials[i], True)
                            self.follow_add(call, end + self.repeat_delay(), REPEAT)
                            ft = follow[0][0] if follow else inf
                    else:
                        call = Call(types[i], handle[i], patience[i], resolved[i], repeats[i], redials[i], True)
                        call.t = now
                        call.cell = off[i] // 3
                        call.waiting = True
                        queue.append(call)
                        self.n_waiting += 1
                        if redials[i] and patience[i] != inf:
                            schedule(Tick(env, on_patience, call), NORMAL, now + call.patience - env.now)
                            limit = peek()
                    i += 1
                else:  # a redial or a repeat call (arrive, inlined)
                    _, _, call, kind = pop(follow)
                    if ends and ends[0] <= now or item_at <= now:
                        self.replay(now)
                        staffed = self.staffed
                        item_at = self.item_at
                    call.t = now
                    cell = slot_to_iv[int(now // iv_s)] * n_types + call.type
                    call.cell = cell
                    offered(cell * 3 + kind)
                    if staffed > len(ends) and is_open:
                        self.start(call, now)
                    else:
                        call.waiting = True
                        queue.append(call)
                        self.n_waiting += 1
                        if call.redials and call.patience != inf:
                            schedule(Tick(env, on_patience, call), NORMAL, now + call.patience - env.now)
                    limit = peek()
                    ft = follow[0][0] if follow else inf
                # the next arrival (after the first iteration, ``now`` is always the next arrival's
                # own time, so the branch above is decided here)
                nxt = times[i]
                if ft < nxt:
                    nxt = ft
                    first = False
                else:
                    first = True
                if nxt == inf:
                    rep.day_i = i
                    rep.in_driver = False
                    return
                if nxt >= limit:
                    rep.in_driver = False
                    rep.day_i = i
                    rep.arrivals_at(nxt)
                    ev = self.fire_due()
                    if ev is None:
                        return
                    break
                now = nxt

    def fire_due(self):  # inlined for speed
        """Fire the scheduled events while the next is a patience event of this pool or a
        superseded arrivals event, as the clock's run loop would; return the arrivals event
        when it is next (popped, the clock at its time), None when another event is next."""
        env, on_patience, driver, rep = self.env, self.patience_cb, self.rep.on_arrivals, self.rep
        ends, col, redial = self.busy_ends, self.col, self.follow.redial
        while True:
            tick = env.head()
            if tick is None:
                return None
            cb = tick.callback
            if cb is on_patience:  # on_patience (without an observer), inlined
                env.take()
                call, now = tick._value, env.now
                if ends and ends[0] <= now or self.item_at <= now:
                    self.replay(now)
                if call.waiting:
                    call.waiting = False
                    self.n_waiting -= 1
                    col.abandoned.append(call.cell)
                    col.abandon_waits.append(now - call.t)
                    if call.redials:
                        redial(call, now)
            elif cb is driver:
                env.take()
                if tick._value == rep.driver_at:
                    return tick
            else:
                return None

    # ------------------------------------------------------------------ the queue
    def arrive(self, call: Call, kind: int, now: float) -> None:
        # NOTE: hot path, kept flat for speed. ``now`` may be ahead of env.now (see
        # Replication.drive): events are scheduled at absolute times.
        if self.obs is not None:
            self.obs.arrive(call, kind, now)
        ends = self.busy_ends
        if ends and ends[0] <= now or self.item_at <= now:
            self.replay(now)
        call.t = now
        cell = self.slot_to_iv[int(now // self.iv_s)] * self.n_types + call.type
        call.cell = cell
        self._offered(cell * 3 + kind)
        if self.callers is not None:
            self.callers.arrive(call, cell)
        if self.staffed > len(ends) and self.is_open:
            self.start(call, now)
        else:
            call.waiting = True
            self.queue.append(call)
            self.n_waiting += 1
            env = self.env
            if call.redials and call.patience != math.inf:
                self.schedule(Tick(env, self.patience_cb, call), NORMAL, now + call.patience - env.now)
            if self.message is not None:
                self.schedule(Tick(env, self.on_message, call), NORMAL, now + self.message.after_s - env.now)

    def on_patience(self, ev) -> None:
        """A caller who would redial hangs up (callers who would not are noticed lazily)."""
        call = ev._value
        now = self.env.now
        ends = self.busy_ends
        if ends and ends[0] <= now or self.item_at <= now:
            self.replay(now)
        if not call.waiting:
            return
        call.waiting = False
        self.n_waiting -= 1
        self.col.abandoned.append(call.cell)
        self.col.abandon_waits.append(now - call.t)
        if self.obs is not None:
            self.obs.abandoned(call, now)
        if self.callers is not None:
            self.callers.lost(call, now - call.t, call.redials)
        if call.redials:
            self.follow.redial(call, now)

    def on_message(self, ev) -> None:
        """The caller has waited the message offer's time: if still waiting (not answered, not
        hung up: a caller whose patience ran out by now hung up then), they leave a message with
        the offer's share; the others keep waiting."""
        call = ev._value
        now = self.env.now
        ends = self.busy_ends
        if ends and ends[0] <= now or self.item_at <= now:
            self.replay(now)
        if not call.waiting or call.t + call.patience <= now or not self.message.leaves():
            return
        leave_message(self, call, now)

    def start(self, call: Call, now: float) -> None:
        # NOTE: hot path. The agent is busy until ``end``: a time in a heap, not an event
        # (see replay); the call's busy time and its repeat call are known now.
        end = now + call.handle
        if self.obs is not None:
            self.obs.answered(call, now, end - call.acw, call.acw, 0)
        heapq.heappush(self.busy_ends, end)
        self._answered(call.cell * 3 + call.flag)
        self._waits(now - call.t)
        self._svc_start(now)
        self._svc_end(end)
        if self.callers is not None:
            self.callers.answered(call, now - call.t)
        if call.repeats and not call.resolved:
            self.follow_add(call, end + self.repeat_delay(), REPEAT)

    def replay(self, now: float) -> None:
        """Everything that happened to agents up to ``now``, in time order.

        A call's end is not an event: at every event (an arrival, a boundary, a closing, a
        redialling caller's patience) the agents whose calls ended by then are taken in the
        order their calls ended. At each end the agent goes home if past its shift (more
        agents than the interval's staffing), else takes the next caller still waiting at
        that moment (who is answered at that moment), else, after closing, goes home, else
        waits idle. Nothing else changes between two events, so this is the same as an
        event per call end, without the events.
        """
        ends = self.busy_ends
        pop = heapq.heappop
        if self.noticed < now < math.inf:
            self.noticed = now
        while ends and ends[0] <= now:
            if not self.n_waiting and self.is_open and self.staffed <= self.target:
                # nobody waits and nobody goes home: each agent up to ``now`` just waits idle,
                # and that changes nothing for the next one
                while ends and ends[0] <= now:
                    pop(ends)
                return
            self.release(pop(ends))

    def release(self, end: float) -> bool:
        """An agent ends a piece of work at ``end``: goes home if past the shift, else takes the
        next caller still waiting, else (after closing) goes home. True when none of these: the
        agent is free (idle, or blended work)."""
        if self.staffed > self.target:
            self.account_duty(end)
            self.staffed -= 1
            return False
        call = self.next_waiting(end) if self.n_waiting else None
        if call is not None:
            self.start(call, end)
        elif not self.is_open:  # the closing crew goes home once nobody waits
            self.account_duty(end)
            self.staffed -= 1
        else:
            return True
        return False

    def replay_blend(self, now: float) -> None:
        """``replay`` with written work blended between calls (engine/blend.py; it replaces
        ``replay`` when the scenario has it): the items arriving at an empty queue are taken in
        at their own times between the agents' ends, and an agent with no caller waiting takes
        an item if the reserve stays free."""
        ends, blend = self.busy_ends, self.blend
        pop, urgent, low = heapq.heappop, blend.urgent, self.blend_low
        if self.noticed < now < math.inf:
            self.noticed = now
        while True:
            head = ends[0] if ends and ends[0] <= now else math.inf
            nd = blend.next_due
            if nd < head and nd <= now:  # a blended item arrives first, at its time
                blend.arrive_next()
                continue
            if head == math.inf:
                break
            if not self.n_waiting and self.is_open and self.staffed <= self.target:
                if not self.n_written:  # nobody waits and nobody goes home: each agent up to ``now`` just waits idle
                    while ends and ends[0] <= now and ends[0] < blend.next_due:
                        pop(ends)
                    continue
                if self.staffed - len(ends) < low:  # the agent's others free below every reserve: idle
                    pop(ends)
                    continue
            end = pop(ends)
            if urgent and self.n_written and self.is_open and self.staffed <= self.target and blend.take_urgent(end, 0):
                continue  # deadline priority: an urgent item before any waiting call
            if self.release(end) and self.n_written:  # no call waits: a written item, if the reserve stays free
                blend.take(end, self.staffed - len(ends) - 1, 0)
        if blend.unscheduled:
            blend.schedule_pending()

    def next_waiting(self, at: float) -> Call | None:
        """The first caller still waiting at ``at`` (FIFO, lazy deletion).

        Callers who would not redial get no patience event: one whose patience ran out
        before ``at`` hung up then, and is counted here. (Callers who would redial have an
        event, so they are gone from the queue by now.)
        """
        queue = self.queue
        while queue:
            call = queue.popleft()
            if not call.waiting:
                continue
            call.waiting = False
            self.n_waiting -= 1
            if call.t + call.patience < at:
                self.col.abandoned.append(call.cell)
                self.col.abandon_waits.append(call.patience)
                if self.callers is not None:
                    self.callers.lost(call, call.patience, False)
                continue
            return call
        return None

    def serve_queue(self, now: float) -> None:
        """Idle agents (new at a boundary) take waiting callers, first come first served; then
        written items blended between calls (urgent ones first, with deadline priority)."""
        if self.n_written and self.blend.urgent:
            self.blend.serve_urgent(now)
        while self.n_waiting and self.staffed > len(self.busy_ends):
            call = self.next_waiting(now)
            if call is None:
                break
            self.start(call, now)
        if self.n_written:
            self.blend.join(now)

    # ------------------------------------------------------------------ written work between calls
    def catch_up(self, now: float) -> None:
        ends = self.busy_ends
        if ends and ends[0] <= now or self.item_at <= now:
            self.replay(now)

    def free_agents(self, _g: int) -> int:
        return self.staffed - len(self.busy_ends)

    def start_written(self, _g: int, end: float) -> None:
        heapq.heappush(self.busy_ends, end)

    def leave_idle(self, _g: int) -> None:
        """(an idle agent is a count here: start_written made it busy)"""
