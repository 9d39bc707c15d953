"""Staffing requirements per agent group: ``ska-sim staff`` on a scenario with [[groups]].

**Start: Erlang on separated groups.** Each cell (call type x language) sends its whole
offered load to its *first eligible group* (the first group in the call type's order that
speaks the language and serves the type: the group that may take the call at once). Each
group is then planned alone, exactly as one pool is (``requirement.erlang_plan``): Erlang C/A per
interval on the fixed-point load of its cells (first calls plus the redials and repeat calls
its own staffing causes), with the handle time of its cells: (talk x the language's
``talk_factor`` + identity check + after-call work) x the group's ``handle_factor`` (its ``handle_factor_by_type`` for a type that has one); repeat
calls from ``resolved`` x the group's ``resolution_factor`` (capped at 1) and identity
failures. A transfer to a group (``call_types[].transfer``) adds its share of the type's calls
to the receiving group, with the transfer's talk and after-call work (x that group's
``handle_factor``). Overflow, phone lines, callbacks and pooling between groups are not in this
start: on disjoint groups (no cell reaches a second group) it is exact Erlang per group. A group
that is first in line for no call and receives no transfers (an overflow-only group, a callback
team) has no load of its own here and keeps today's agents in every plan.

**Then ``--method simulation``** adjusts per group with the simulator, which sees the overflow:
simulate the per-group plan, find the units (intervals, days or the window) that miss a target
(as for one pool), and in each of their intervals add one agent to the group that is the
bottleneck there: the lowest Erlang C service level at the load the group *carried* in the
simulation (``results.group_intervals``: its calls answered and busy hours, overflowed calls
included), preferring the groups first in line for a language that misses its service level
(``results.languages``). (The service level of the calls a group answered is no guide: a group
that takes overflowed calls answers them late however many agents it has.) Where an interval
shows slack, take one agent (once per interval) from the group that keeps the highest Erlang service level
without it; repeat until every unit meets the targets or the iteration cap.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.plan.by_simulation import TRIM_MARGIN, units_of, with_agents
from ska_sim.plan.load import LoadModel, Plan
from ska_sim.plan.people import fte, shrinkage_table
from ska_sim.plan.plan import agents_plan, group_figures, off_phones, plan_figures, scenario_plan
from ska_sim.plan.requirement import SCOPES, erlang_plan
from ska_sim.plan.staffing_result import StaffingResult, plan_row, scopes_table
from ska_sim.plan.staffing_written import calls_scenario, on_top, staff_written, with_written, written_target
from ska_sim.scenario.model import Scenario
from ska_sim.sim import runner
from ska_sim.sim.thresholds import mix_of


# --------------------------------------------------------------------------- cells and their groups
def cell_owners(s: Scenario) -> list[tuple[int, str | None, float, int]]:
    """Every cell that gets calls: (call type index, language or None, share of the type's
    calls in that language, index of its first eligible group)."""
    index = {g.name: i for i, g in enumerate(s.groups)}
    out = []
    for k, ct in enumerate(s.call_types):
        mix = s.language_shares(ct)
        total = sum(max(0.0, v) for v in mix.values())
        langs = [(name, max(0.0, mix.get(name, 0.0)) / total) for name in s.languages] if mix else [(None, 1.0)]
        for lang, share in langs:
            if share <= 0:
                continue
            first = [g for g in s.group_order(ct.name) if g.serves(ct.name, lang)]
            if not first:  # validation makes sure this cannot happen
                raise ScenarioError([Problem("groups", ct.name, f"no group takes {ct.name} calls in {lang}")])
            out.append((k, lang, share, index[first[0].name]))
    return out


def group_load_models(s: Scenario, lm: LoadModel | None = None) -> list[LoadModel]:
    """One LoadModel per group: the offered load of the cells it is first for (columns = cells)."""
    lm = lm or LoadModel(s)
    cells = cell_owners(s)
    out = []
    for g, grp in enumerate(s.groups):
        mine = [c for c in cells if c[3] == g]
        glm = copy.copy(lm)  # shares the timeline, the follow-up kernels and the Erlang cache
        n = len(lm.first)
        glm.first = np.column_stack([lm.first[:, k] * share for k, _, share, _ in mine]) if mine else np.zeros((n, 0))
        aht, resolved = [], []
        col_type, col_talk = [], []  # per column its call type and mean talk (scaled by period, load.py)
        for k, lang, _, _ in mine:
            ct = s.call_types[k]
            tf = s.languages[lang].talk_factor if lang is not None else 1.0
            col_type.append(k)
            col_talk.append(ct.talk.build().mean * tf * grp.handle_factor)
            acw = ct.after_call_work.build().mean if ct.after_call_work else 0.0
            idc = ct.identity_check
            extra = idc.probability * idc.extra.build().mean if idc else 0.0
            aht.append((ct.talk.build().mean * tf + extra + acw) * grp.handle_factor_of(ct.name))
            # P(no repeat call) per answered call: resolved x factor, and identity failures repeat
            # with their own probability (relative to repeat.probability, which the kernel applies)
            fails = idc.probability * idc.fails if idc else 0.0
            r = min(1.0, ct.resolved * grp.resolution_factor)
            p_rep = s.repeat.probability
            rep_fail = (idc.repeat_probability / p_rep if idc and p_rep > 0 else 0.0)
            resolved.append(1.0 - ((1 - fails) * (1 - r) + fails * min(1.0, rep_fail)))
        # transferred calls this group takes: their second leg (its repeats are the first leg's)
        legs = []
        for k, lang, share, _ in cells:
            tr = s.call_types[k].transfer
            if not _transfer_to(s.call_types[k], grp.name):
                continue
            legs.append(lm.first[:, k] * share * tr.share)  # of offered calls: an upper bound of the answered
            acw = tr.after_call_work.build().mean if tr.after_call_work else 0.0
            aht.append((tr.talk.build().mean + acw) * grp.handle_factor_of(s.call_types[k].name))
            resolved.append(1.0)
            col_type.append(k)
            col_talk.append(0.0)  # a transfer's own talk: not scaled by period
        if legs:
            glm.first = np.column_stack([glm.first, *legs])
        glm.type_aht = np.array(aht, dtype=float)
        glm.col_type, glm.col_talk = np.array(col_type, dtype=np.int64), np.array(col_talk, dtype=float)
        glm.resolved = np.array(resolved, dtype=float)
        if s.targets.service_level.threshold_s_by_type:  # the mix of this group's calls' thresholds
            col_types = [k for k, _, _, _ in mine] + [k for k, _, share, _ in cells
                                                     if _transfer_to(s.call_types[k], grp.name)]
            glm.thresholds = mix_of([s.targets.service_level.threshold_of(s.call_types[k].name) for k in col_types],
                                    glm.first.sum(axis=0))
        out.append(glm)
    return out


def _transfer_to(ct, group: str) -> bool:
    """A share of ``ct``'s answered calls is transferred to ``group`` (its second leg counts there)."""
    tr = ct.transfer
    return tr is not None and tr.share > 0 and tr.to == group and tr.talk is not None


def _stack(plans: list[Plan], method: str, scope: str) -> Plan:
    return Plan(
        agents=np.column_stack([p.agents for p in plans]),
        offered=np.column_stack([p.offered for p in plans]),
        service_level=np.column_stack([p.service_level for p in plans]),
        method=method,
        scope=scope,
        iterations=max(p.iterations for p in plans),
        converged=all(p.converged for p in plans),
        history=[],
    )


def erlang_group_plan(s: Scenario, scope: str = "interval", lm: LoadModel | None = None,
                      glms: list[LoadModel] | None = None) -> Plan:
    """Agents per interval and group (array (intervals, groups)) by Erlang on separated groups."""
    lm = lm or LoadModel(s)
    glms = glms or group_load_models(s, lm)
    plans = []
    n = len(lm.first)
    for g, glm in enumerate(glms):
        if glm.first.shape[1] == 0 or glm.first.sum() <= 0:  # no load of its own: today's agents
            today = lm.tl.iv_group_agents[:, g].astype(np.int64).copy()
            plans.append(Plan(today, np.zeros(n), np.full(n, np.nan), "erlang", scope))
        else:
            plans.append(erlang_plan(s, scope, lm=glm))
    return _stack(plans, "erlang", scope)


# --------------------------------------------------------------------------- simulation per group
def _group_table(r, column: str, n_intervals: int, n_groups: int, measured: np.ndarray) -> np.ndarray:
    """A ``group_intervals`` column as (every interval, groups); NaN outside the measured window."""
    out = np.full((n_intervals, n_groups), np.nan)
    if r.group_intervals is not None:
        out[measured] = r.group_intervals[column].to_numpy(dtype=float).reshape(len(measured), n_groups)
    return out


def _carried_sl(lm: LoadModel, agents: np.ndarray, answered: np.ndarray, busy_h: np.ndarray) -> np.ndarray:
    """Erlang C/A service level of each (interval, group) at ``agents`` for the calls the group
    answered in the simulation and their mean handle time (busy time / answered); NaN without calls."""
    out = np.full(agents.shape, np.nan)
    ok = np.isfinite(answered) & (answered > 0) & np.isfinite(busy_h) & (busy_h > 0)
    if ok.any():
        aht = busy_h[ok] * 3600 / answered[ok]
        e = lm.erlang(agents[ok], answered[ok], aht)
        out[ok] = np.where(e["stable"], e["service_level"], 0.0)
    return out


def simulation_group_plan(s: Scenario, scope: str = "interval", replications: int = 10, seed: int | None = None,
                          max_iter: int = 30, workers: int = 1, progress=None, start: Plan | None = None,
                          executor=None) -> Plan:
    """Iterative staffing by simulation per group, from the Erlang plan on separated groups."""

    lm = LoadModel(s)
    tl = lm.tl
    start = start or erlang_group_plan(s, scope, lm=lm)
    agents = start.agents.copy()
    n, G = agents.shape
    seed = s.simulation.seed if seed is None else seed
    target = s.targets.service_level.share
    measured = np.flatnonzero(tl.iv_measured())
    # the groups each language is first for (a language missing its service level gets help first)
    firsts: dict[str, set[int]] = {}
    owners: set[int] = set()  # groups first in line for some inbound calls (not only transfers)
    for _, lang, _, g in cell_owners(s):
        owners.add(g)
        if lang is not None:
            firsts.setdefault(lang, set()).add(g)
    history = []
    tried_down: set[int] = set()  # intervals that already gave up an agent once
    converged, just_trimmed = False, False
    best_ok: np.ndarray | None = None
    sl_iv = np.full((n, G), np.nan)
    it = 0
    for it in range(1, max_iter + 1):
        r = runner.simulate(with_agents(s, tl, agents), replications=replications, seed=seed, workers=workers,
                     executor=executor)
        answered = _group_table(r, "answered", n, G, measured)
        busy_h = _group_table(r, "busy_hours", n, G, measured)
        sl_iv = _group_table(r, "service_level", n, G, measured)  # of the calls each group answered
        carried = _carried_sl(lm, agents, answered, busy_h)
        overall = np.full(n, np.nan)
        overall[measured] = r.intervals["service_level"].to_numpy()
        failing = [u for u in units_of(r, tl, scope, measured) if not u.ok]
        history.append({"iteration": it, "agent_hours": float(agents.sum() * tl.interval_s / 3600),
                        "units_failing": len(failing), "window_service_level": r.kpi("service_level")})
        if progress:
            progress(it, max_iter)
        if failing and just_trimmed and best_ok is not None:
            still = []  # the trim went too far there: give those agents back (else: add, below)
            for u in failing:
                back = np.maximum(agents[u.intervals], best_ok[u.intervals])
                if np.array_equal(back, agents[u.intervals]):
                    still.append(u)
                agents[u.intervals] = back
            failing = still
            if not failing:
                just_trimmed = False
                continue
        just_trimmed = False
        if failing:
            lagging: set[int] = set()
            if r.languages is not None and "service_level" in r.languages:
                for lang, v in zip(r.languages["language"], r.languages["service_level"]):
                    if v == v and v < target:
                        lagging |= firsts.get(lang, set())
            for u in failing:
                ivs = u.intervals if scope == "interval" else \
                    u.intervals[np.argsort(overall[u.intervals])][: max(1, len(u.intervals) // 3)]
                for k in ivs:
                    agents[k, _worst_group(carried[k], lagging, owners, start.offered[k])] += 1
            continue
        best_ok = agents.copy()
        fewer = _carried_sl(lm, np.maximum(agents - 1, 0), answered, busy_h)
        slack = []
        for k in measured:
            if not overall[k] >= target + TRIM_MARGIN:
                continue
            if k in tried_down:  # an interval gives up an agent once (as for one pool)
                continue
            # groups without load of their own (overflow-only, callback teams) keep their agents
            cand = [g for g in range(G) if agents[k, g] > 0 and start.offered[k, g] > 0 and fewer[k, g] >= target]
            if cand:
                slack.append((k, max(cand, key=lambda g: fewer[k, g])))
        if not slack:
            converged = True
            break
        for k, g in slack:
            agents[k, g] -= 1
            tried_down.add(k)
        just_trimmed = True
    if not converged and best_ok is not None:
        agents = best_ok
    return Plan(agents, start.offered, sl_iv, "simulation", scope, it, converged, history)


def _worst_group(sl: np.ndarray, lagging: set[int], owners: set[int], offered: np.ndarray) -> int:
    """The group that gets an agent in an interval that misses its (inbound) target: among the
    groups first for a lagging language (else all groups first in line for inbound calls), the
    one with the lowest Erlang service level at its carried load (one that answered none but
    has calls: first). Groups that only take transfers or place callbacks are not in the
    inbound targets, so they get no agents here."""
    cand = [g for g in range(len(sl)) if g in lagging and g in owners and offered[g] > 0] or \
        [g for g in range(len(sl)) if g in owners and offered[g] > 0] or sorted(owners) or list(range(len(sl)))
    return min(cand, key=lambda g: (-1.0 if sl[g] != sl[g] else sl[g], -offered[g]))


# --------------------------------------------------------------------------- the pipeline
def plan_staffing_groups(s: Scenario, method: str = "erlang", scope: str = "interval", shifts=None,
                         replications: int | None = None, seed: int | None = None, workers: int = 1, progress=None,
                         say=None, executor=None) -> StaffingResult:
    """``plan_staffing`` for a scenario with [[groups]]: plans per group (arrays (intervals, groups))."""

    say = say or (lambda msg: None)
    if shifts is not None:
        raise ScenarioError([Problem("--shifts", "groups", "a shift plan per agent group is not supported yet: run "
                                     "`staff` without --shifts on a scenario with [[groups]]")])
    w_target = written_target(s)  # [[written]] with a target: the calls' plans first, written agents on top
    s_calls = calls_scenario(s) if w_target is not None else s
    lm = LoadModel(s_calls)
    tl = lm.tl
    glms = group_load_models(s_calls, lm)
    plans: dict[str, Plan] = {}
    for sc in SCOPES:
        say(f"Erlang requirement per group (separated groups), {sc} scope")
        plans[f"erlang_{sc}"] = erlang_group_plan(s_calls, sc, lm=lm, glms=glms)
    chosen = plans[f"erlang_{scope}"]
    search_reps = replications or min(s.simulation.replications, 10)
    if method == "simulation":
        say(f"iterative staffing by simulation per group, {scope} scope")
        chosen = simulation_group_plan(s_calls, scope, replications=search_reps,
                                       seed=seed, workers=workers, progress=progress, start=chosen, executor=executor)
        plans[f"simulation_{scope}"] = chosen
    found = None
    if w_target is not None:
        found = staff_written(s, tl, chosen.agents, search_reps, seed, workers, executor, say)
        plans = {k: on_top(p, found.extra) for k, p in plans.items()}
        chosen = plans[f"{method}_{scope}"]
    s_plan = found.scenario if found is not None else s
    m = tl.iv_measured()
    scopes = scopes_table(plans, tl)
    names = [g.name for g in s.groups]
    G = len(names)
    parts = []
    for g, name in enumerate(names):
        t = shrinkage_table(s, tl, chosen.agents[:, g])[m].reset_index(drop=True)
        t.insert(3, "group", name)
        t.insert(4, "offered_expected", chosen.offered[m, g])
        for sc in SCOPES:
            t[f"agents_erlang_{sc}"] = plans[f"erlang_{sc}"].agents[m, g]
        t["erlang_service_level"] = plans[f"erlang_{scope}"].service_level[m, g]
        if method == "simulation":
            t["agents_simulation"] = chosen.agents[m, g]
            t["simulated_service_level"] = chosen.service_level[m, g]  # of the calls the group answered
        t["_order"] = np.arange(len(t)) * G + g
        parts.append(t)
    req = pd.concat(parts).sort_values("_order").drop(columns="_order").reset_index(drop=True)
    fte_info = off_phones(s_plan, tl, fte(s, req, tl.interval_s), chosen.agents, m)

    def run(agents: np.ndarray | None):
        scen = s if agents is None else with_agents(s_plan, tl, agents)
        return runner.simulate(scen, replications=replications, seed=seed, workers=workers, executor=executor)

    rows = []
    say("simulating today's plan")
    rows.append(plan_row(s, "today", plan_figures(s, tl, scenario_plan(s, tl), m), run(None)))
    plan_result, recommended = None, ""
    for key, p in plans.items():
        name = key.replace("_", " ")
        say(f"simulating the {name} plan")
        r = run(p.agents)
        rows.append(plan_row(s, name, plan_figures(s_plan, tl, agents_plan(p.agents, name), m), r))
        if p is chosen:
            plan_result, recommended = r, name
    comparison = pd.DataFrame(rows)
    comparison.insert(1, "recommended", comparison["plan"] == recommended)
    st = StaffingResult(s, method, scope, req, scopes, fte_info, plans, None, None, plan_result, comparison,
                        recommended)
    st.group_fte = pd.concat([
        group_figures(s, tl, scenario_plan(s, tl), m).assign(plan="today"),
        group_figures(s_plan, tl, agents_plan(chosen.agents, recommended), m).assign(plan=recommended),
    ]).reset_index(drop=True)
    return with_written(st, s_plan, found)
