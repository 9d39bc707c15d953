"""A straightforward call-by-call reference of the skills model (agent groups, languages, routing
and overflow, phone lines, identity failures), for the tests of the routed pool.

Written from the routing rules (the docstring of src/ska_sim/sim/routing.py and README "Routing"), independently of the engine's queueing
code: one heap of events, one event per arrival, per talk end (the phone line is released),
per call end (the agent is free), per patience expiry, per overflow timer, per interval
boundary and per closing. Agents are counted per group; every waiting call is in one list
that is scanned whenever an agent looks for work. Only the *drawing* of random inputs
follows the engine (a Generator per purpose and calendar date from SeedSequence(seed,
spawn_key=(replication, date ordinal, purpose index)), the same draws in the same order), so
that the two see the same callers and can be compared count by count.

Closing (routing.py rule 6): with ``queued_at_close = "drop"`` the queue is cut off; with
``"serve"`` a waiting call is cut off unless a group that may already take it (its overflow
delay has passed) has a closing-crew agent busy (busy agents not past their shift), and
whenever a group's last agent goes home after closing, the calls that no group still at
work may take then are cut off.

Routing policies (rule 3, per call type with ``policy_by_type``): ``group_order`` takes the first
group in order with a free agent; ``random`` draws u from the date's "routing" stream (in the
engine's batches of 256, only when some allowed group has a free agent) and takes the
int(u x free agents)-th free agent counting group by group in order; ``longest_idle`` the group
whose free agent has been idle longest (ties: order). Free agents are kept per group as the
times they became free, oldest first, and the oldest is the one who takes a call. The groups
whose overflow delay is the same are tried together when that delay has passed (rule 4).

A message at the maximum wait (``[message]``): a caller still waiting ``after_s`` after
arrival leaves a message when the next U(0,1) of the "message" stream of the day in progress
(the last day opened) is below ``leave`` (none drawn with leave = 1); a message frees its
line and is counted for the first group in the caller's order, as a lost call.

Redials (``[redial]``): a caller who hangs up, is cut off at closing or hears a busy tone and
would redial (the third U(0,1) of its resolution draws below ``probability``) calls again
after a delay, moved into opening hours (dropped after the last day); the delay and the
redial's attributes are drawn as the engine draws them (:class:`RedialDraws`). With
``same_caller`` the redial is the same caller: patience ``keep_patience`` x the first
attempt's, talk and after-call work the attempt's before it (``keep_talk``); each caller is
counted when it ends (answered, or lost with no redial after) in its first attempt's cell.

Scope: no repeat calls (a scenario with them is refused), no transfers or callbacks.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from ska_sim.maths.arrivals import arrival_times, day_factors
from ska_sim.scenario.forecast import forecast_days
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.clock import DAY_S
from ska_sim.scenario.timeline import build_timeline

# event kinds; at the same instant a closing comes before an interval start (as in the spec of
# the timeline), the rest cannot tie for continuous durations
CLOSE, INTERVAL, TALK_END, CALL_END, PATIENCE, OVERFLOW, ARRIVAL, MESSAGE = range(8)


class RefCall:
    __slots__ = ("t", "iv", "type", "lang", "talk", "acw", "patience", "u_res", "id_fail", "written",
                 "order", "waiting", "talk_start", "redials", "caller", "redial")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


def day_volume(forecast: dict, date, rng: dict, day_cv: float, shares: np.ndarray) -> tuple[float, np.ndarray]:
    """A day's volume factor and call-type shares: on a date of ``forecast`` (scenario.forecast's
    forecast_days) a gamma factor (mean 1, the date's cv) per call type, or one for every type
    together, from the date's ``forecast`` stream, each type's expected calls multiplied by its
    own; else the ``day_cv`` factor from the ``arrivals`` stream and the scenario's shares."""
    f = forecast.get(date)
    if f is None:
        return day_factors(rng["arrivals"], 1, day_cv)[0], shares
    g = [rng["forecast"].gamma(1 / c**2, c**2) if c > 0 else 1.0 for c in f.cvs]
    if len(f.cvs) == 1:
        return g[0], (shares if f.shares is None else np.array(f.shares))
    w = np.array(f.shares) * np.array(g)
    return float(w.sum()), w / w.sum()


def reference(s: Scenario, seed: np.random.SeedSequence, purposes: tuple[str, ...], draw_day) -> dict:
    """Counts per (interval, cell) and per (interval, group) of one replication of ``s``.

    ``draw_day(s, tl, rng, day, times, types)`` returns the per-call attributes of one day's
    first calls (drawn as the engine draws them): a dict of arrays ``lang``, ``talk``
    (talk incl. language factor and identity check), ``acw``, ``patience``, ``u_res``,
    ``id_fail`` (bool), ``written`` (bool).
    """
    if s.repeat.probability > 0:
        raise ValueError("the reference models no repeat calls")
    tl = build_timeline(s)
    forecast = forecast_days(s)

    def date_rng(date) -> dict:
        return {p: np.random.default_rng(np.random.SeedSequence(seed.entropy,
                                                                spawn_key=(*seed.spawn_key, date.toordinal(), i)))
                for i, p in enumerate(purposes)}
    groups = s.groups
    n_g, n_t = len(groups), len(s.call_types)
    langs = list(s.languages) or [None]
    n_l = len(langs)
    n_iv = len(tl.iv_day)
    thresholds = [s.targets.service_level.threshold_of(ct.name) for ct in s.call_types]
    lines = s.lines.count if s.lines is not None else math.inf
    group_agents = tl.iv_group_agents
    # eligible groups (indices, in routing order) per (type, language)
    gidx = {g.name: i for i, g in enumerate(groups)}
    eligible = {}
    for k, ct in enumerate(s.call_types):
        for li, lang in enumerate(langs):
            eligible[k, li] = [gidx[g.name] for g in s.group_order(ct.name) if g.serves(ct.name, lang)]
            assert eligible[k, li], (ct.name, lang)
    prio = [[g.priority_of(ct.name) for ct in s.call_types] for g in groups]
    policy = [s.routing.policy_of(ct.name) for ct in s.call_types]
    type_ov = s.routing.overflow_after_s_by_type

    def delay(g, c):
        """How long call c waits before group g may take it (0 for its first group)."""
        if c.order[0] == g:
            return 0.0
        return type_ov.get(s.call_types[c.type].name, groups[g].overflow_after_s)
    fields = ("offered", "answered", "answered_within_t", "abandoned", "unanswered_at_close", "blocked",
              "wait_sum_s", "resolved_first", "written_requests", "messages", "offered_redial", "callers",
              "callers_answered", "callers_answered_within_t", "caller_wait_sum_s", "caller_attempts")
    out = {f: np.zeros((n_iv, n_t * n_l)) for f in fields}
    # per group: the calls it answered, and the inbound calls offered to it (those it answered, and
    # those no agent answered, counted for the first group in their order)
    gout = {f: np.zeros((n_iv, n_g)) for f in ("answered", "answered_within_t", "wait_sum_s", "offered",
                                                "offered_within_t")}

    events: list = []
    seq = [0]

    def push(t, kind, payload=None):
        seq[0] += 1
        heapq.heappush(events, (t, kind, seq[0], payload))

    # interval boundaries and closings
    for iv in range(n_iv):
        push(float(tl.iv_start_s[iv]), INTERVAL, iv)
    for d in np.flatnonzero(tl.open_s >= 0):
        push(float(d * DAY_S + tl.close_s[d]), CLOSE, int(d))

    staffed = [0] * n_g  # agents on duty
    busy = [0] * n_g
    target = [0] * n_g
    is_open = False
    idle: list[list[float]] = [[] for _ in range(n_g)]  # per group: when each free agent became free, oldest first
    draws: list[float] = []  # the day's "routing" draws not used yet (next at the end)
    rng: dict = {}
    waiting: list[RefCall] = []
    in_line = [0]  # calls waiting + calls in talk

    def cell(c):
        return c.type * n_l + c.lang

    def start(c, g, now):
        c.waiting = False
        waiting.remove(c)
        begin(c, g, now)

    def pick(c, allowed):
        """The group of ``allowed`` whose free agent takes call c by its type's policy, or -1."""
        free = [g for g in allowed if idle[g]]
        if not free:
            return -1
        rule = policy[c.type]
        if rule == "group_order":
            return free[0]
        if rule == "longest_idle":
            return min(free, key=lambda g: idle[g][0])  # the first in order among equal times
        if not draws:
            draws.extend(rng["routing"].random(256).tolist()[::-1])
        r = int(draws.pop() * sum(len(idle[g]) for g in free))
        for g in free:
            r -= len(idle[g])
            if r < 0:
                return g
        return free[-1]

    def begin(c, g, now):
        grp = groups[g]
        busy[g] += 1
        w = now - c.t
        ce = cell(c)
        threshold = thresholds[c.type]
        out["answered"][c.iv, ce] += 1
        out["answered_within_t"][c.iv, ce] += w <= threshold
        out["wait_sum_s"][c.iv, ce] += w
        gout["answered"][c.iv, g] += 1
        gout["answered_within_t"][c.iv, g] += w <= threshold
        gout["wait_sum_s"][c.iv, g] += w
        gout["offered"][c.iv, g] += 1
        gout["offered_within_t"][c.iv, g] += w <= threshold
        if same:
            c.caller[4] += w
            end(c.caller, True)
        resolved = c.u_res < min(1.0, s.call_types[c.type].resolved * grp.resolution_factor) and not c.id_fail
        out["resolved_first"][c.iv, ce] += resolved
        out["written_requests"][c.iv, ce] += c.id_fail and c.written
        factor = grp.handle_factor_of(s.call_types[c.type].name)
        talk = c.talk * factor
        push(now + talk, TALK_END, c)
        push(now + talk + c.acw * factor, CALL_END, g)

    drop = s.simulation.queued_at_close == "drop"
    message = s.message if s.message is not None and s.message.leave > 0 else None
    message_rng = [None]  # the day in progress's "message" stream
    redial_p, same = s.redial.probability, s.redial.same_caller
    redial_draws = [None]  # the day in progress's RedialDraws
    into_opening_hours = tl.opening_hours().into

    def end(st, answered):
        """The caller ``st`` = [iv, cell, first patience, attempts, waited] ends."""
        iv, ce = st[0], st[1]
        out["callers"][iv, ce] += 1
        out["callers_answered"][iv, ce] += answered
        out["callers_answered_within_t"][iv, ce] += answered and st[4] <= thresholds[ce // n_l]
        out["caller_wait_sum_s"][iv, ce] += st[4]
        out["caller_attempts"][iv, ce] += st[3]

    def lost(c, now, wait):
        """``c`` hung up, was cut off or heard a busy tone after ``wait``: it redials, or its caller ends."""
        if same:
            c.caller[4] += wait
        if not c.redials:
            if same:
                end(c.caller, False)
            return
        draws = redial_draws[0]
        t = into_opening_hours(now + draws.delay())
        if t is not None:
            t = max(t, now)
        a = draws.attributes(c.type, c.lang, t, tl)  # drawn even for a redial after the last day
        new = RefCall(type=c.type, lang=c.lang, order=None, waiting=False, redial=True, caller=None, **a)
        if same:
            new.caller = c.caller
            new.patience = s.redial.keep_patience * c.caller[2]
            if s.redial.keep_talk:
                new.talk, new.acw = c.talk, c.acw
        if t is None:  # after the last day
            if same:
                end(c.caller, False)
            return
        new.t = t
        new.iv = int(np.searchsorted(tl.iv_start_s, new.t, side="right") - 1)
        push(new.t, ARRIVAL, new)

    def cut_off(c, now):
        c.waiting = False
        waiting.remove(c)
        out["unanswered_at_close"][c.iv, cell(c)] += 1
        gout["offered"][c.iv, c.order[0]] += 1
        in_line[0] -= 1
        lost(c, now, now - c.t)

    def may_take(g, c, now):
        if g not in c.order:
            return False
        return now - c.t >= delay(g, c)

    def next_for(g, now):
        best = None
        for c in waiting:
            if may_take(g, c, now):
                key = (-prio[g][c.type], c.t)
                if best is None or key < best[0]:
                    best = (key, c)
        return None if best is None else best[1]

    def agent_free(g, now):
        """One agent of group g is free at ``now`` (a call ended, or came on duty)."""
        c = next_for(g, now) if waiting else None
        if c is not None:
            start(c, g, now)
            return True
        return False

    while events:
        now, kind, _, p = heapq.heappop(events)
        if kind == INTERVAL:
            iv = p
            if not is_open:
                is_open = True
                day = int(tl.iv_day[iv])
                sl = np.flatnonzero(tl.iv_day == day)
                rng = date_rng(tl.dates[day])
                draws.clear()
                message_rng[0] = rng["message"]
                factor, shares = day_volume(forecast, tl.dates[day], rng, s.arrivals.day_cv, s.type_shares())
                times = arrival_times(rng["arrivals"], tl.iv_start_s[sl], tl.iv_expected[sl] * factor, tl.interval_s)
                n = len(times)
                if n_t == 1:
                    types = np.zeros(n, int)
                elif tl.iv_type_mix is None:
                    types = rng["arrivals"].choice(n_t, size=n, p=shares)
                else:  # call types with their own profiles: each call typed by its interval's mix
                    types = typed_by_interval(rng["arrivals"], tl, sl, times)
                a = draw_day(s, tl, rng, day, times, types)
                redial_draws[0] = RedialDraws(s, rng, np.bincount(types, minlength=n_t))
                for i in range(n):
                    t = float(times[i])
                    ivi = int(np.searchsorted(tl.iv_start_s, t, side="right") - 1)
                    push(t, ARRIVAL, RefCall(t=t, iv=ivi, type=int(types[i]), lang=int(a["lang"][i]),
                                             talk=float(a["talk"][i]), acw=float(a["acw"][i]),
                                             patience=float(a["patience"][i]), u_res=float(a["u_res"][i]),
                                             id_fail=bool(a["id_fail"][i]), written=bool(a["written"][i]),
                                             order=None, waiting=False, redials=bool(a["u_red"][i] < redial_p),
                                             caller=None, redial=False))
            for g in range(n_g):
                target[g] = int(group_agents[iv, g])
            for g in range(n_g):  # agents coming on duty, group by group in file order
                while staffed[g] < target[g]:
                    staffed[g] += 1  # a new agent: takes a waiting call, or is idle
                    if not agent_free(g, now):
                        idle[g].append(now)
                if staffed[g] > target[g]:  # idle agents go home at once (those idle longest first)
                    leave = min(len(idle[g]), staffed[g] - target[g])
                    staffed[g] -= leave
                    del idle[g][:leave]
        elif kind == CLOSE:
            is_open = False
            crew = [busy[g] - max(0, staffed[g] - target[g]) for g in range(n_g)]
            for c in list(waiting):
                if drop or not any(crew[g] > 0 and may_take(g, c, now) for g in c.order):
                    cut_off(c, now)
            for g in range(n_g):
                staffed[g] = busy[g]  # idle agents go home
                idle[g].clear()
        elif kind == ARRIVAL:
            c = p
            c.order = eligible[c.type, c.lang]
            ce = cell(c)
            out["offered"][c.iv, ce] += 1
            out["offered_redial"][c.iv, ce] += c.redial
            if same:
                if c.caller is None:
                    c.caller = [c.iv, ce, c.patience, 0, 0.0]
                c.caller[3] += 1
            if in_line[0] >= lines:
                out["blocked"][c.iv, ce] += 1
                gout["offered"][c.iv, c.order[0]] += 1
                lost(c, now, 0.0)
                continue
            in_line[0] += 1
            g = pick(c, [h for h in c.order if delay(h, c) == 0]) if is_open else -1
            if g >= 0:
                idle[g].pop(0)
                begin(c, g, now)
            else:
                c.waiting = True
                waiting.append(c)
                if c.patience != math.inf:
                    push(now + c.patience, PATIENCE, c)
                later = sorted({delay(h, c) for h in c.order} - {0.0})
                for d in later:  # the groups of each delay, tried together once it has passed
                    push(now + d, OVERFLOW, (c, [h for h in c.order if delay(h, c) == d]))
                if message is not None:
                    push(now + message.after_s, MESSAGE, c)
        elif kind == TALK_END:
            in_line[0] -= 1
        elif kind == CALL_END:
            g = p
            busy[g] -= 1
            if staffed[g] > target[g]:
                staffed[g] -= 1  # past their shift: goes home
            elif agent_free(g, now):
                continue
            elif not is_open:
                staffed[g] -= 1
            else:
                idle[g].append(now)
                continue
            if not is_open and staffed[g] == 0:  # a group's last agent went home after closing
                for c in list(waiting):
                    if not any(staffed[h] > 0 and may_take(h, c, now) for h in c.order):
                        cut_off(c, now)
        elif kind == PATIENCE:
            c = p
            if c.waiting:
                c.waiting = False
                waiting.remove(c)
                in_line[0] -= 1
                out["abandoned"][c.iv, cell(c)] += 1
                gout["offered"][c.iv, c.order[0]] += 1
                lost(c, now, now - c.t)
        elif kind == MESSAGE:
            c = p
            if c.waiting and (message.leave >= 1.0 or message_rng[0].random() < message.leave):
                c.waiting = False
                waiting.remove(c)
                in_line[0] -= 1
                out["messages"][c.iv, cell(c)] += 1
                gout["offered"][c.iv, c.order[0]] += 1
                if same:
                    c.caller[4] += now - c.t
                    end(c.caller, False)
        elif kind == OVERFLOW:
            c, allowed = p
            g = pick(c, allowed) if c.waiting else -1
            if g >= 0:
                idle[g].pop(0)
                start(c, g, now)
    m = tl.iv_measured()
    return {"cells": {k: v[m] for k, v in out.items()}, "groups": {k: v[m] for k, v in gout.items()}}


def typed_by_interval(rng: np.random.Generator, tl, sl: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Call by call: the call's interval (``sl``: the day's intervals), the cumulative mix of its
    interval's call types, one uniform each, the first type whose cumulative share exceeds it."""
    u = rng.random(len(times))
    out = np.zeros(len(times), int)
    for i, (t, x) in enumerate(zip(times.tolist(), u.tolist())):
        k = min(int(sl[0]) + int((t - tl.iv_start_s[sl[0]]) // tl.interval_s), int(sl[-1]))
        cdf = np.cumsum(tl.iv_type_mix[k])
        cdf /= cdf[-1]
        while out[i] < len(cdf) - 1 and cdf[out[i]] <= x:
            out[i] += 1
    return out


def draw_day(s: Scenario, tl, rng: dict, day: int, times: np.ndarray, types: np.ndarray) -> dict:
    """The attributes of a day's first calls, drawn as the engine draws them (after the arrival
    times and types): handling per call type (talk, ACW, identity check), patience, resolution,
    then language, then identity-check failures.

    NOTE: this is the one part copied from the engine (the draw order of its streams).
    """
    n = len(times)
    talk, acw, extra, needs = (np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, bool))
    for k, ct in enumerate(s.call_types):
        idx = np.flatnonzero(types == k)
        m = len(idx)
        talk[idx] = ct.talk.build().sample(rng["handling"], m)
        acw[idx] = ct.after_call_work.build().sample(rng["handling"], m) if ct.after_call_work else 0.0
        idc = ct.identity_check
        if idc is not None and idc.probability > 0:
            nd = rng["handling"].random(m) < idc.probability
            extra[idx] = np.where(nd, idc.extra.build().sample(rng["handling"], m), 0.0)
            needs[idx] = nd
    patience = type_patience(s, rng["patience"], types)
    talk *= np.array([period_factor(s, "talk", k, t, tl) for k, t in zip(types.tolist(), times.tolist())])
    patience *= np.array([period_factor(s, "patience", k, t, tl) for k, t in zip(types.tolist(), times.tolist())])
    u = rng["resolution"].random((n, 3))
    langs = list(s.languages)
    lang = np.zeros(n, int)
    factor = np.ones(n)
    if langs:
        v = rng["language"].random(n)
        for k, ct in enumerate(s.call_types):
            mix = s.language_shares(ct)
            p = np.array([mix.get(name, 0.0) for name in langs])
            cum = np.cumsum(p / p.sum())
            cum[int(np.flatnonzero(p > 0)[-1]):] = np.inf
            idx = np.flatnonzero(types == k)
            lang[idx] = np.searchsorted(cum, v[idx], side="right")
        factor = np.array([s.languages[name].talk_factor for name in langs])[lang]
    fails = np.array([ct.identity_check.fails if ct.identity_check else 0.0 for ct in s.call_types])
    written_p = np.array([ct.identity_check.written_request if ct.identity_check else 0.0
                          for ct in s.call_types])[types]
    if not (fails > 0).any():
        return {"lang": lang, "talk": talk * factor + extra, "acw": acw, "patience": patience, "u_res": u[:, 0],
                "id_fail": np.zeros(n, bool), "written": np.zeros(n, bool), "u_red": u[:, 2]}
    w = rng["identity"].random((n, 3))  # fails, written request, repeat call (drawn if any type can fail)
    id_fail = needs & (w[:, 0] < fails[types])
    return {"lang": lang, "talk": talk * factor + extra, "acw": acw, "patience": patience, "u_res": u[:, 0],
            "id_fail": id_fail, "written": w[:, 1] < written_p, "u_red": u[:, 2]}


class RedialDraws:
    """A day's draws of redials as the engine makes them: delays in batches of 128 from the
    "followup_delay" stream; attributes per call type in batches from "followup_calls" (the
    first of 16 + a quarter of the day's first calls of the type, then doubling up to 256):
    talk, after-call work, identity check, patience, three U(0,1) (resolution, repeat, redial),
    and identity failures from the "identity" stream when the type's checks can fail.

    NOTE: copied from the engine (the draw order of its streams), as draw_day."""

    def __init__(self, s: Scenario, rng: dict, first_calls: np.ndarray):
        self.s, self.rng = s, rng
        self.sizes = [16 + int(c) // 4 for c in first_calls]
        self.bufs: list[list[dict]] = [[] for _ in s.call_types]
        self.delays: list[float] = []
        self.factor = [s.languages[name].talk_factor for name in s.languages] or [1.0]

    def delay(self) -> float:
        if not self.delays:
            self.delays = self.s.redial.delay.build().sample(self.rng["followup_delay"], 128).tolist()[::-1]
        return self.delays.pop()

    def attributes(self, k: int, lang: int, t: float | None = None, tl=None) -> dict:
        """The next redial of call type k in language ``lang``, arriving at ``t`` (None: after
        the window): its talk and patience x the factors of its own period of arrival."""
        if not self.bufs[k]:
            self.refill(k)
        a = self.bufs[k].pop()
        if t is not None:
            a["patience"] *= period_factor(self.s, "patience", k, t, tl)
        talk_f = period_factor(self.s, "talk", k, t, tl) if t is not None else 1.0
        talk = a.pop("talk") * talk_f * self.factor[lang] + a.pop("extra")
        return {"talk": talk, "redials": a.pop("u_red") < self.s.redial.probability, **a}

    def refill(self, k: int) -> None:
        s, r, n = self.s, self.rng["followup_calls"], self.sizes[k]
        self.sizes[k] = max(min(2 * n, 256), 16)
        ct = s.call_types[k]
        talk = ct.talk.build().sample(r, n)
        acw = ct.after_call_work.build().sample(r, n) if ct.after_call_work else np.zeros(n)
        idc = ct.identity_check
        needs, extra = np.zeros(n, bool), np.zeros(n)
        if idc is not None and idc.probability > 0:
            needs = r.random(n) < idc.probability
            extra = np.where(needs, idc.extra.build().sample(r, n), 0.0)
        spec = ct.patience if ct.patience is not None else s.patience  # the type's own, else [patience]
        patience = spec.build().sample(r, n) if spec else np.full(n, math.inf)
        u = r.random((n, 3))
        id_fail, written = np.zeros(n, bool), np.zeros(n, bool)
        if idc is not None and idc.fails > 0:
            w = self.rng["identity"].random((n, 3))
            id_fail = needs & (w[:, 0] < idc.fails)
            written = w[:, 1] < idc.written_request
        rows = [{"talk": float(talk[i]), "extra": float(extra[i]), "acw": float(acw[i]),
                 "patience": float(patience[i]), "u_res": float(u[i, 0]), "u_red": float(u[i, 2]),
                 "id_fail": bool(id_fail[i]), "written": bool(written[i])} for i in range(n)]
        self.bufs[k] = rows[::-1]



def type_patience(s: Scenario, rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    """Patience of a day's first calls: per distinct patience (a type's own, else [patience]),
    in the order of the first type with it, one vector for the calls of the types that have it
    (in arrival order); infinite for types without any. (The engine's draw order.)"""
    n = len(types)
    specs = [ct.patience if ct.patience is not None else s.patience for ct in s.call_types]
    out = np.full(n, math.inf)
    done = []
    for spec in specs:
        if spec is None or any(spec == d for d in done):
            continue
        done.append(spec)
        mine = [k for k, other in enumerate(specs) if other == spec]
        idx = np.flatnonzero(np.isin(types, mine))
        out[idx] = spec.build().sample(rng, len(idx))
    return out


def period_factor(s: Scenario, what: str, k: int, t: float, tl) -> float:
    """Call type k's talk or patience factor for a call arriving at ``t`` (s since the first
    simulated day): the period of its weekday and time of day in the type's list (for patience,
    else the scenario's), 1 outside every period."""
    ct = s.call_types[k]
    if what == "talk":
        periods = ct.talk_factor_by_period
    else:
        periods = ct.patience_factor_by_period if ct.patience_factor_by_period is not None else s.patience_factor_by_period
    day = int(t // DAY_S)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tl.dates[day].weekday()]
    clock = t - day * DAY_S
    for p in periods or ():
        if (p.days is None or weekday in p.days) and p.hours.open_s <= clock < p.hours.close_s:
            return p.factor
    return 1.0
