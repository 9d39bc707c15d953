"""``ska-sim staff``: requirements per interval, shrinkage to FTE, an optional shift plan, and
every plan simulated against the targets (the loop closed).

Two methods:

- **erlang** (``requirement.erlang_plan``): Erlang C per interval (Erlang A when the scenario
  has patience, with exponential patience of the same mean) on the offered load *the scenario
  implies*: first calls plus the redials and repeat calls that the staffing itself causes
  (``load.LoadModel``). That load is a fixed point (more agents, fewer abandons, fewer
  redials), solved by iteration.
- **simulation** (``by_simulation.simulation_plan``): the iterative staffing algorithm in the
  spirit of Feldman, Mandelbaum, Massey & Whitt (2008): simulate the plan, measure every
  interval, add agents where the target is missed, take agents away where the simulation
  shows slack, and repeat until every interval meets the target or the iteration cap is
  reached; the report says which.

Scope: the target must hold in every interval, for each day as a whole, or over the whole
window. SKA measures over the day and the month, and a day-scope plan is cheaper: wider
scopes move agents to where they buy the most answered-in-time calls (greedy marginal
allocation, which is optimal when each interval's gain per extra agent decreases).
The plan's people (FTE, paid hours, heads) are ``people``'s; a scenario with [[groups]] is
planned per group (``staffing_groups``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.plan.confidence import confidence_plan
from ska_sim.plan.by_simulation import AUTO_SEARCH_CALLS, MAX_ITER, search_calls, simulation_plan, with_agents
from ska_sim.plan.load import LoadModel, Plan
from ska_sim.plan.people import chain, fte, shrinkage_table
from ska_sim.plan.plan import agents_plan, off_phones, plan_figures, scenario_plan
from ska_sim.plan.requirement import SCOPES, erlang_plan
from ska_sim.plan.shifts import plan_table, schedule
from ska_sim.plan.staffing_groups import plan_staffing_groups
from ska_sim.plan.staffing_written import calls_scenario, on_top, staff_written, with_written, written_target
from ska_sim.plan.staffing_result import StaffingResult, cheapest_meeting, plan_row, scopes_table
from ska_sim.scenario.clock import WEEKDAYS
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.timeline import Timeline
from ska_sim.sim import runner

METHODS = ("erlang", "simulation")


def plan_staffing(
    s: Scenario,
    method: str = "erlang",
    scope: str = "interval",
    shifts=None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress=None,
    say=None,
    executor=None,
    confidence: float | None = None,
) -> StaffingResult:
    """Requirements (Erlang, and simulation if asked), shrinkage to FTE, optional shift plan,
    and a simulation of the final plan against the targets (the loop closed). A scenario with
    [[groups]] is planned per group (``staffing_groups.plan_staffing_groups``). ``confidence``
    (0-1, not with shifts): also the cheapest plan whose chance of meeting every target over the
    window is at least that (plan/confidence.py), in ``result.confidence``."""
    say = say or (lambda msg: None)
    if confidence is not None:
        if not 0 < confidence < 1:
            raise ValueError(f"confidence must lie between 0 and 1 (got {confidence:g})")
        if shifts is not None:
            raise ValueError("confidence: not with a shift plan (the shifts cover the plan found: plan for the "
                             "confidence first, then its shifts)")
        st = plan_staffing(s, method, scope, None, replications, seed, workers, progress, say, executor)
        key = st.recommended.replace(" ", "_")
        base = st.plans[key if key in st.plans else f"{method}_{scope}"].agents  # the recommended plan's agents
        st.confidence = confidence_plan(st.plan_scenario or s, LoadModel(s).tl, base, confidence, st.recommended,
                                        replications, seed, workers, executor, say)
        return st
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    if s.groups:  # plans per agent group (staffing_groups), the written work's agents on top there too
        return plan_staffing_groups(s, method, scope, shifts, replications, seed, workers, progress, say, executor)
    w_target = written_target(s)  # [[written]] with a target: the calls' plans first, written agents on top
    s_calls = calls_scenario(s) if w_target is not None else s
    lm = LoadModel(s_calls)
    tl = lm.tl
    plans = erlang_plans(s_calls, lm, say)
    asked = f"{method}_{scope}"
    if method == "simulation":
        say(f"iterative staffing by simulation, {scope} scope")
        plans[asked] = simulation_plan(s_calls, scope, replications=replications or min(s.simulation.replications, 10),
                                       seed=seed, workers=workers, progress=progress, start=plans[f"erlang_{scope}"],
                                       executor=executor)
    found = None
    if w_target is not None:
        found = staff_written(s, tl, plans[asked].agents, replications or min(s.simulation.replications, 10), seed,
                              workers, executor, say)
        plans = {k: on_top(p, found.extra) for k, p in plans.items()}
    s_plan = found.scenario if found is not None else s

    def run(agents: list[np.ndarray | None]) -> list:
        scens = [s if a is None else with_agents(s_plan, tl, a) for a in agents]
        return runner.simulate_many(scens, replications=replications, seed=seed, workers=workers, executor=executor)

    if shifts is not None:  # the shift plan covering the asked method's plan is the recommendation
        shrink = shrinkage_table(s, tl, plans[asked].agents)
        req = requirements_table(shrink, tl, plans, plans[asked], method, scope)
        say("shift plan (integer program)")
        shift = shift_plan(s_plan, tl, shifts, shrink, req)
        comparison, results = compare_plans(s, tl, plans, shift, run, say, asked="shift plan", priced=s_plan)
        return with_written(finished(s, tl, method, scope, req, plans, shift.fte, shift, comparison, results,
                                     "shift plan"), s_plan, found)
    comparison, results = compare_plans(s, tl, plans, None, run, say, asked=asked.replace("_", " "), priced=s_plan)
    name = cheapest_meeting(s, comparison)
    not_searched = ""
    if name is None and f"simulation_{scope}" not in plans:  # extend with the plan found by simulation
        search_reps = replications or min(s.simulation.replications, 10)
        calls = search_calls(plans[f"erlang_{scope}"], search_reps)
        if calls <= AUTO_SEARCH_CALLS:
            say(f"no plan meets every target by the simulated mean: iterative staffing by simulation, {scope} scope")
            plans[f"simulation_{scope}"] = on_top(simulation_plan(
                s_calls, scope, replications=search_reps, seed=seed, workers=workers, progress=progress,
                start=erlang_plan(s_calls, scope, lm=lm), executor=executor), found.extra if found else 0)
            comparison, results = compare_plans(s, tl, plans, None, run, say, comparison, results,
                                                asked=f"simulation {scope}", priced=s_plan)
            name = cheapest_meeting(s, comparison)
        else:
            not_searched = (f"the search by simulation was not run: it would simulate up to {calls / 1e6:,.1f} million "
                            f"calls ({MAX_ITER} iterations x {search_reps} replication{'s' if search_reps > 1 else ''}), "
                            f"more than the {AUTO_SEARCH_CALLS / 1e6:,.1f} million an automatic search may take; "
                            f"--method simulation runs it")
            say(not_searched)
    # none meets: the plan that targets the service level by simulation, else the asked Erlang plan
    name = name or (f"simulation {scope}" if f"simulation_{scope}" in plans else f"erlang {scope}")
    method, scope = name.split(" ")
    chosen = plans[f"{method}_{scope}"]
    shrink = shrinkage_table(s, tl, chosen.agents)
    req = requirements_table(shrink, tl, plans, chosen, method, scope)
    fte_info = off_phones(s_plan, tl, fte(s, req, tl.interval_s), chosen.agents, tl.iv_measured())
    result = finished(s, tl, method, scope, req, plans, fte_info, None, comparison, results, name)
    result.not_searched = not_searched
    return with_written(result, s_plan, found)


def finished(s: Scenario, tl: Timeline, method: str, scope: str, req: pd.DataFrame, plans: dict[str, Plan], fte_info: dict,
             shift, comparison: pd.DataFrame, results: dict, name: str) -> StaffingResult:
    """The result with ``name`` the recommended row of the comparison."""
    comparison = comparison.copy()
    comparison.insert(1, "recommended", comparison["plan"] == name)
    return StaffingResult(s, method, scope, req, scopes_table(plans, tl), fte_info, plans,
                          shift.table if shift is not None else None, shift.coverage if shift is not None else None,
                          results[name], comparison, name)


def erlang_plans(s: Scenario, lm: LoadModel, say) -> dict[str, Plan]:
    """The Erlang plan of every scope, keyed ``erlang_<scope>``."""
    plans: dict[str, Plan] = {}
    for sc in SCOPES:
        say(f"Erlang requirement, {sc} scope")
        plans[f"erlang_{sc}"] = erlang_plan(s, sc, lm=lm)
    return plans


def requirements_table(shrink: pd.DataFrame, tl: Timeline, plans: dict[str, Plan], chosen: Plan, method: str,
                       scope: str) -> pd.DataFrame:
    """Per measured interval: the chosen plan's shrinkage chain, its expected offered calls, the
    agents of every Erlang scope (and of the simulation) and their service levels."""
    m = tl.iv_measured()
    req = shrink[m].reset_index(drop=True)
    req.insert(3, "offered_expected", chosen.offered[m])
    for sc in SCOPES:
        req[f"agents_erlang_{sc}"] = plans[f"erlang_{sc}"].agents[m]
    req["erlang_service_level"] = plans[f"erlang_{scope}"].service_level[m]
    if method == "simulation":
        req["agents_simulation"] = chosen.agents[m]
        req["simulated_service_level"] = chosen.service_level[m]
    return req


@dataclass
class ShiftPlan:
    """The shifts that cover the chosen plan, and the agents on the phones they give."""

    table: pd.DataFrame  # the shifts of the measured days (shifts.plan_table)
    coverage: pd.DataFrame  # per measured interval: required and scheduled at work, on the phones, surplus
    agents: np.ndarray  # agents on the phones per open interval
    paid_hours: float  # the shifts' paid hours at work, then absence
    fte: dict  # the shrinkage chain of the shift plan


def shift_plan(s: Scenario, tl: Timeline, shifts, shrink: pd.DataFrame, req: pd.DataFrame) -> ShiftPlan:
    """Shifts that put the chosen plan's agents at work (integer program per day). The
    recommendation is then the shift plan: its chain is the shifts' paid hours at work
    (surplus and time outside opening hours included), then absence."""
    m = tl.iv_measured()
    h = tl.interval_s / 3600
    at_work = np.ceil(shrink["agents_at_work"].to_numpy() - 1e-9)
    day_plans = schedule(shifts, tl, at_work)
    covered = np.concatenate([p.covered for p in day_plans])
    in_shift = shrink["in_shift_shrinkage"].to_numpy()
    agents = np.floor(covered * (1 - in_shift) + 1e-9).astype(np.int64)
    measured_dates = {d.isoformat() for d, ok in zip(tl.dates, tl.measured) if ok}
    table = plan_table(shifts, day_plans)
    table = table[table["date"].isin(measured_dates)].reset_index(drop=True)
    coverage = pd.DataFrame(
        {
            "date": req["date"],
            "time": req["time"],
            "required_at_work": at_work[m],
            "scheduled_at_work": covered[m],
            "agents_on_phones": agents[m],
            "surplus_at_work": covered[m] - at_work[m],
        }
    )
    absence = {d.isoformat(): s.shrinkage.shares(WEEKDAYS[d.weekday()])[1] for d in tl.dates}
    work = float(table["paid_hours"].sum())
    paid = float(sum(ph / (1 - absence[d]) for d, ph in zip(table["date"], table["paid_hours"])))
    return ShiftPlan(table, coverage, agents, paid, off_phones(s, tl, chain(s, float(agents[m].sum() * h), work, paid),
                                                               agents, m))


def compare_plans(s: Scenario, tl: Timeline, plans: dict[str, Plan], shift: ShiftPlan | None, run, say,
                  done: pd.DataFrame | None = None, results: dict | None = None,
                  asked: str = "erlang interval", priced: Scenario | None = None) -> tuple[pd.DataFrame, dict]:
    """Every plan simulated on the same callers, today's beside the recommendations: the
    comparison table (``plan_row`` per plan) and each plan's simulation by name. ``run``
    simulates a list of plans (agents per open interval; None: today's) together; plans with
    the same agents are simulated once, a plan with nearly the agents of another (``near_twin``)
    not at all (its row says so); ``asked`` always is. ``done``/``results``: rows already
    simulated, kept. ``priced``: the scenario the plans are priced on (the written work's
    dedicated agents found, staffing_written.py; default ``s``), today's plan on ``s``."""
    m = tl.iv_measured()
    results = dict(results or {})
    shown = set(results) | (set(done["plan"]) if done is not None else set())  # rows already in the table
    named = [(key.replace("_", " "), p.agents,
              plan_figures(priced or s, tl, agents_plan(p.agents, key.replace("_", " ")), m))
             for key, p in plans.items() if key.replace("_", " ") not in shown]
    if shift is not None:
        named.append(("shift plan", shift.agents, shift.fte))
    named.sort(key=lambda x: x[0] != asked)  # the asked plan first: it is always simulated
    keys = [np.ascontiguousarray(agents).tobytes() for _, agents, _ in named]
    simulated = [(name, plans[name.replace(" ", "_")].agents) for name in results if name.replace(" ", "_") in plans]
    before = {np.ascontiguousarray(agents).tobytes(): name for name, agents in simulated}  # simulated in an earlier call
    first: dict[bytes, int] = {}  # a plan's agents -> the first plan with them
    near: dict[int, str] = {}  # a plan not simulated -> why (a plan simulated with nearly its agents)
    for i, k in enumerate(keys):
        if k in first or k in before:
            continue
        others = [*simulated, *((named[j][0], named[j][1]) for j in first.values())]
        twin = None if named[i][0] == asked else near_twin(named[i][1], others, m)
        if twin is None:
            first[k] = i
        else:
            near[i] = twin
    today = [] if done is not None else [None]
    lead = "today's plan and " if today else ""
    say(f"simulating {lead}{len(first)} plan{'s' if len(first) > 1 else ''}")
    ran = dict(zip([*today, *first], run([*today, *(named[i][1] for i in first.values())])))
    ran.update({k: results[name] for k, name in before.items()})
    rows = [] if done is None else done.to_dict(orient="records")
    if done is None:
        rows.append(plan_row(s, "today", plan_figures(s, tl, scenario_plan(s, tl), m), ran[None]))
        results["today"] = ran[None]
    for i, ((name, _, figures), k) in enumerate(zip(named, keys)):
        if i in near:
            rows.append(plan_row(s, name, figures, None, near[i]))
            continue
        rows.append(plan_row(s, name, figures, ran[k]))
        results[name] = ran[k]
    order = {name: i for i, name in enumerate(["today", *(key.replace("_", " ") for key in plans), "shift plan"])}
    rows.sort(key=lambda r: order.get(r["plan"], len(order)))
    return pd.DataFrame(rows), results


# Plans whose agents per interval differ by less than this share of their agent-hours (the sum
# of the differences' sizes over the measured intervals) are not simulated twice: at a large
# centre the Erlang plans of the three scopes differ by a few agents in 9,000 (0.01%), which
# a simulation of a few replications cannot tell apart; on SKA's scale they differ by 0.6-2%.
NEAR_SHARE = 0.0025


def near_twin(agents: np.ndarray, simulated: list[tuple[str, np.ndarray]], measured: np.ndarray) -> str | None:
    """Why a plan with ``agents`` is not simulated: the first of ``simulated`` (name, agents)
    whose agents differ from them by less than NEAR_SHARE of their agent-hours; None when none does."""
    a = np.asarray(agents, dtype=float)[measured]
    total = a.sum()
    for name, other in simulated:
        diff = float(np.abs(a - np.asarray(other, dtype=float)[measured]).sum())
        if total > 0 and diff < NEAR_SHARE * total:
            return (f"not simulated: its agents differ from {name}'s by {diff / total:.2%} of the "
                    f"agent-hours (under {NEAR_SHARE:.2%}: a simulation of a few replications would not tell them apart)")
    return None
