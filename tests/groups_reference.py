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

Scope: routing policy ``group_order``; no redials and no repeat calls (the follow-up
streams are not drawn: a scenario with follow-ups is refused).
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
CLOSE, INTERVAL, TALK_END, CALL_END, PATIENCE, OVERFLOW, ARRIVAL = range(7)


class RefCall:
    __slots__ = ("t", "iv", "type", "lang", "talk", "acw", "patience", "u_res", "id_fail", "written",
                 "order", "waiting", "talk_start")

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
    if s.redial.probability > 0 or s.repeat.probability > 0:
        raise ValueError("the reference models no redials and no repeat calls")
    if s.routing.policy != "group_order":
        raise ValueError("the reference models routing policy group_order only")
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
    threshold = s.targets.service_level.threshold_s
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
    fields = ("offered", "answered", "answered_within_t", "abandoned", "unanswered_at_close", "blocked",
              "wait_sum_s", "resolved_first", "written_requests")
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
    waiting: list[RefCall] = []
    in_line = [0]  # calls waiting + calls in talk

    def cell(c):
        return c.type * n_l + c.lang

    def start(c, g, now):
        c.waiting = False
        waiting.remove(c)
        begin(c, g, now)

    def begin(c, g, now):
        grp = groups[g]
        busy[g] += 1
        w = now - c.t
        ce = cell(c)
        out["answered"][c.iv, ce] += 1
        out["answered_within_t"][c.iv, ce] += w <= threshold
        out["wait_sum_s"][c.iv, ce] += w
        gout["answered"][c.iv, g] += 1
        gout["answered_within_t"][c.iv, g] += w <= threshold
        gout["wait_sum_s"][c.iv, g] += w
        gout["offered"][c.iv, g] += 1
        gout["offered_within_t"][c.iv, g] += w <= threshold
        resolved = c.u_res < min(1.0, s.call_types[c.type].resolved * grp.resolution_factor) and not c.id_fail
        out["resolved_first"][c.iv, ce] += resolved
        out["written_requests"][c.iv, ce] += c.id_fail and c.written
        talk = c.talk * grp.handle_factor
        push(now + talk, TALK_END, c)
        push(now + talk + c.acw * grp.handle_factor, CALL_END, g)

    drop = s.simulation.queued_at_close == "drop"

    def cut_off(c):
        c.waiting = False
        waiting.remove(c)
        out["unanswered_at_close"][c.iv, cell(c)] += 1
        gout["offered"][c.iv, c.order[0]] += 1
        in_line[0] -= 1

    def may_take(g, c, now):
        if g not in c.order:
            return False
        return c.order[0] == g or now - c.t >= groups[g].overflow_after_s

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
                shares = np.array([ct.share for ct in s.call_types])
                factor, shares = day_volume(forecast, tl.dates[day], rng, s.arrivals.day_cv, shares / shares.sum())
                times = arrival_times(rng["arrivals"], tl.iv_start_s[sl], tl.iv_expected[sl] * factor, tl.interval_s)
                n = len(times)
                types = rng["arrivals"].choice(n_t, size=n, p=shares) if n_t > 1 else np.zeros(n, int)
                a = draw_day(s, tl, rng, day, times, types)
                for i in range(n):
                    t = float(times[i])
                    ivi = int(np.searchsorted(tl.iv_start_s, t, side="right") - 1)
                    push(t, ARRIVAL, RefCall(t=t, iv=ivi, type=int(types[i]), lang=int(a["lang"][i]),
                                             talk=float(a["talk"][i]), acw=float(a["acw"][i]),
                                             patience=float(a["patience"][i]), u_res=float(a["u_res"][i]),
                                             id_fail=bool(a["id_fail"][i]), written=bool(a["written"][i]),
                                             order=None, waiting=False))
            for g in range(n_g):
                target[g] = int(group_agents[iv, g])
            for g in range(n_g):  # agents coming on duty, group by group in file order
                while staffed[g] < target[g]:
                    staffed[g] += 1  # a new agent: takes a waiting call, or is idle
                    agent_free(g, now)
                if staffed[g] > target[g]:  # idle agents go home at once
                    idle = staffed[g] - busy[g]
                    staffed[g] -= min(idle, staffed[g] - target[g])
        elif kind == CLOSE:
            is_open = False
            crew = [busy[g] - max(0, staffed[g] - target[g]) for g in range(n_g)]
            for c in list(waiting):
                if drop or not any(crew[g] > 0 and may_take(g, c, now) for g in c.order):
                    cut_off(c)
            for g in range(n_g):
                staffed[g] = busy[g]  # idle agents go home
        elif kind == ARRIVAL:
            c = p
            c.order = eligible[c.type, c.lang]
            ce = cell(c)
            out["offered"][c.iv, ce] += 1
            if in_line[0] >= lines:
                out["blocked"][c.iv, ce] += 1
                gout["offered"][c.iv, c.order[0]] += 1
                continue
            in_line[0] += 1
            for j, g in enumerate(c.order):
                if (j == 0 or groups[g].overflow_after_s == 0) and is_open and staffed[g] > busy[g]:
                    begin(c, g, now)
                    break
            else:
                c.waiting = True
                waiting.append(c)
                if c.patience != math.inf:
                    push(now + c.patience, PATIENCE, c)
                for j, g in enumerate(c.order):
                    if j > 0 and groups[g].overflow_after_s > 0:
                        push(now + groups[g].overflow_after_s, OVERFLOW, (c, g))
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
                continue
            if not is_open and staffed[g] == 0:  # a group's last agent went home after closing
                for c in list(waiting):
                    if not any(staffed[h] > 0 and may_take(h, c, now) for h in c.order):
                        cut_off(c)
        elif kind == PATIENCE:
            c = p
            if c.waiting:
                c.waiting = False
                waiting.remove(c)
                in_line[0] -= 1
                out["abandoned"][c.iv, cell(c)] += 1
                gout["offered"][c.iv, c.order[0]] += 1
        elif kind == OVERFLOW:
            c, g = p
            if c.waiting and is_open and staffed[g] > busy[g]:
                start(c, g, now)
    m = tl.iv_measured()
    return {"cells": {k: v[m] for k, v in out.items()}, "groups": {k: v[m] for k, v in gout.items()}}


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
    pat = s.patience_dist()
    patience = pat.sample(rng["patience"], n) if pat else np.full(n, math.inf)
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
                "id_fail": np.zeros(n, bool), "written": np.zeros(n, bool)}
    w = rng["identity"].random((n, 3))  # fails, written request, repeat call (drawn if any type can fail)
    id_fail = needs & (w[:, 0] < fails[types])
    return {"lang": lang, "talk": talk * factor + extra, "acw": acw, "patience": patience, "u_res": u[:, 0],
            "id_fail": id_fail, "written": w[:, 1] < written_p}
