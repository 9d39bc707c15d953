"""Weekly rosters: which person works which shift on which day, their breaks and off-phone
activities, the rest rules of the Employment Contracts Act, and absence draws.

The roster is an integer program (``scipy.optimize.milp``, HiGHS) over a horizon of
``roster.weeks`` weeks from ``calendar.start``::

    minimise   sum paid_h[o] * y[p,d,o]  +  BIG * (shortfall)
    subject to y[p,d,o] in {0, 1}: person p works option o (a shift type and start) on day d
               z[d,c] >= 0 integer: people on column c (option + unpaid-break position) on day d
               sum_{c in o} z[d,c] = sum_p y[p,d,o]                    (breaks are a day's choice)
               sum_c cover[k,c] z[d,c] + short[d,k] >= required[d,k]   (every open interval)
               per person: one shift a day; days per week within [min, max]; at most N
               consecutive days; fixed weekends off; leave weeks off; 11 h rest between
               shifts; two consecutive days off in every week (48 h of weekly rest)
               per day: worked hours >= required hours + the activity hours of those at work

People of a line are identical except for their leave. A breaks' position is a count per
day (any of that day's identical shifts may take it), so breaks cost no per-person variables.
The weekly rest is enforced as two consecutive calendar days off inside each week of the
horizon (a sufficient condition: shifts do not cross midnight, so two free days are at least
48 h); :func:`rest_violations` checks the exact rules on any roster, solved or read from a file.

Off-phone activities (activities.py's ``activity_needs``) are placed after the solve, block by
block, where the requirement has the most slack (intervals outside opening hours first), as
the integer program reserved the hours for them day by day. Shortfall is penalised, not
forbidden: a roster whose people cannot cover the requirement is still shown, with its short
intervals, and simulated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.jsonable import json_records
from ska_sim.plan.by_simulation import with_agents
from ska_sim.plan.plan import plan_figures, scenario_plan
from ska_sim.plan.roster_activities import place_activities
from ska_sim.plan.roster_program import Program, day_rows, horizon_dates, horizon_of, person_rows, plan_of, variables_of
from ska_sim.plan.staffing import plan_staffing
from ska_sim.plan.staffing_result import plan_row
from ska_sim.scenario.clock import WEEKDAYS, format_clock
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.roster import (
    RosterPlan,
    attach,
    check_shifts,
    detach,
    resolve,
    rest_violations,
    roster_table,
)
from ska_sim.scenario.roster_agents import (
    activity_list,
    build_roster_model,
    mean_absence,
    residual_share,
)
from ska_sim.scenario.shifts import load_shifts
from ska_sim.scenario.timeline import Timeline, build_timeline
from ska_sim.sim.runner import simulate


RULES = {
    "min_days": "min_days_per_week",
    "consecutive": "max_consecutive_days",
    "weekly_rest": "48 h weekly rest (two consecutive days off in every week; Employment Contracts Act §52)",
    "daily_rest": "11 h daily rest between shifts (Employment Contracts Act §51)",
    "contract": "hours_per_week (each person's contract: paid hours rostered in a week at most the contract's)",
}


def forced_hours(s: Scenario, shifts, tl: Timeline, required_at_work: np.ndarray, weeks: int, needs: list,
                 plan: RosterPlan) -> dict:
    """How many of the roster's paid hours at work the contracts' ``min_days_per_week`` force: the
    same program solved without that rule needs that many hours fewer (``forced_hours``);
    ``forced_rule`` names the lines whose minimum days bind ('' when none), and
    ``required_hours_at_work`` is the requirement's agents at work x the interval."""
    on = {tl.dates.index(d) for d in horizon_dates(s, weeks) if d in tl.dates}  # the roster's days, not the warm-up
    in_horizon = np.isin(tl.iv_day, sorted(on))
    req = np.asarray(required_at_work, float).reshape(len(tl.iv_day), -1)
    need_h = float(req[in_horizon].sum() * tl.interval_s / 3600)
    lines = [line for line in s.roster.people if line.min_days_per_week > 0]
    forced, rule = 0.0, ""
    if lines:
        try:
            free = solve_roster(s, shifts, tl, required_at_work, weeks, needs, rules=frozenset(RULES) - {"min_days"},
                                diagnose=False)
            forced = max(0.0, plan.info["paid_hours"] - free.info["paid_hours"])
        except ScenarioError:
            forced = 0.0
        if forced > 1e-6:
            rule = "min_days_per_week (" + ", ".join(f"{line.name}: {line.min_days_per_week} days" for line in lines) + ")"
    return {"required_hours_at_work": need_h, "forced_hours": forced, "forced_rule": rule}


def solve_roster(s: Scenario, shifts, tl: Timeline, required_at_work: np.ndarray, weeks: int,
                 needs: list | None = None, time_limit_s: float = 120.0, rules=frozenset(RULES),
                 diagnose: bool = True) -> RosterPlan:
    """The least-paid-hours roster of [roster]'s people covering ``required_at_work`` (per open
    interval of ``tl``) on the horizon's dates. Raises ScenarioError when a rule cannot be met,
    naming the person and the rules that clash. ``rules`` leaves rules out (for that diagnosis)."""
    problems = check_shifts(shifts, s)
    if problems:
        raise ScenarioError(problems)
    needs = needs or []
    h = horizon_of(s, shifts, tl, required_at_work, weeks, needs)
    prog = Program()
    v = variables_of(prog, h)
    day_rows(prog, v, h)
    person_rows(prog, v, h, rules)
    res, solve_s = prog.solve(time_limit_s)
    if res.x is None:
        if not diagnose:
            raise ScenarioError([Problem("[roster]", "roster", f"no roster meets every rule ({res.message})")])
        pe = h.people
        raise ScenarioError(_infeasible(s, shifts, tl, weeks, pe.names, pe.line_of, pe.leave, pe.away, res.message))
    plan = plan_of(res, solve_s, prog, v, h)
    if needs:
        place_activities(plan, needs, tl, required_at_work, s)
    return plan


def _infeasible(s, shifts, tl, weeks, people, line_of, leave, away, message) -> list[Problem]:
    """Which person's rules cannot be met together: each kind of person (line, leave) is rostered
    alone with no requirement, then without each rule in turn; the rules whose removal makes a
    roster are the ones that clash."""
    out = []
    seen = set()
    zero = np.zeros(len(tl.iv_day))
    for p, person in enumerate(people):
        li = line_of[p]
        key = (li, frozenset(leave[p]))
        if key in seen:
            continue
        seen.add(key)
        line = s.roster.people[li]
        alone = s.roster.model_copy(update={"people": [line.model_copy(update={"count": 1, "leave": []})],
                                            "leave": {line.name: sorted(leave[p])}})
        s1 = s.model_copy(update={"roster": alone})

        def feasible(rules) -> bool:
            try:
                solve_roster(s1, shifts, tl, zero, weeks, rules=frozenset(rules), diagnose=False)
            except ScenarioError:
                return False
            return True

        if feasible(RULES):
            continue
        clash = [r for r in RULES if feasible(set(RULES) - {r})]
        named = [f"{RULES[r]} = {getattr(line, RULES[r])}" if r in ("min_days", "consecutive") else RULES[r]
                 for r in clash]
        extra = []
        if line.weekends_off:
            extra.append("weekends off")
        if leave[p]:
            extra.append(f"leave in week(s) {', '.join(map(str, sorted(leave[p])))}")
        if away[p]:
            extra.append(f"not employed in week(s) {', '.join(map(str, sorted(away[p])))}")
        context = f" with {' and '.join(extra)}" if extra else ""
        what = (" and ".join(named) + " cannot all hold" if len(named) > 1 else
                (f"{named[0]} cannot hold" if named else "its rules cannot all hold"))
        out.append(Problem("[roster]", f"roster.people[{li}]", f"{person}: {what}{context} over the "
                           f"{weeks}-week horizon ({len(shifts.shifts)} shift types, the line's open days)"))
    if not out:
        out.append(Problem("[roster]", "roster", f"no roster meets every rule ({message}): check min_days_per_week, "
                                                 "max_consecutive_days and leave against the open days and shifts"))
    return out


def coverage_table(plan: RosterPlan, tl: Timeline, required_at_work: np.ndarray, s: Scenario) -> pd.DataFrame:
    """Per open interval of the roster's dates (and group, with [[groups]]): required at work,
    rostered at work (less breaks and activities), the agents on the phones that follow, and the
    surplus."""
    model = build_roster_model(attach(s, plan), tl)
    present = np.ones(len(model.p_absent), bool)
    m = model.rostered
    cols = {"date": [tl.dates[d].isoformat() for d in tl.iv_day[m]],
            "time": [format_clock(x * tl.interval_s) for x in tl.iv_slot[m]]}
    if model.group_of is None:
        at_work = np.bincount(model.iv_of, weights=model.share, minlength=len(tl.iv_day))
        req = np.asarray(required_at_work, dtype=float).reshape(len(tl.iv_day))
        return pd.DataFrame({**cols, "required_at_work": req[m], "rostered_at_work": at_work[m],
                             "agents_on_phones": model.agents_given(present)[m],
                             "surplus_at_work": at_work[m] - req[m]})
    G = model.base.shape[1]
    n = len(tl.iv_day)
    at_work = np.bincount(model.iv_of * G + model.group_of, weights=model.share, minlength=n * G).reshape(n, G)
    req = np.asarray(required_at_work, dtype=float).reshape(n, G)
    phones = model.agents_given(present)
    parts = []
    for g, grp in enumerate(s.groups):
        parts.append(pd.DataFrame({**cols, "group": grp.name, "required_at_work": req[m, g],
                                   "rostered_at_work": at_work[m, g], "agents_on_phones": phones[m, g],
                                   "surplus_at_work": at_work[m, g] - req[m, g]}))
    return pd.concat(parts, ignore_index=True)


@dataclass
class RosterResult:
    staffing: object  # StaffingResult, its comparison with the roster row (the recommendation)
    plan: RosterPlan
    table: pd.DataFrame
    coverage: pd.DataFrame
    weeks: int

    def to_json(self) -> dict:
        doc = self.staffing.to_json()
        doc["roster"] = {"weeks": self.weeks, "solver": {k: v for k, v in self.plan.info.items()},
                         "table": json_records(self.table), "coverage": json_records(self.coverage)}
        return doc


def shifts_of(s: Scenario, shifts_file: str | None):
    """The shifts file: --shifts, else roster.shifts (relative to the scenario)."""
    if shifts_file:
        return load_shifts(shifts_file), shifts_file
    if s.roster is not None and s.roster.shifts:
        path = resolve(s, s.roster.shifts)
        return load_shifts(path), str(path)
    raise ScenarioError([Problem("--roster", "roster.shifts", "needs a shifts file: --shifts FILE or roster.shifts")])


TODAY_FILE = "today (roster.file)"  # staff --roster's row of the saved roster a scenario simulates


def horizon(s: Scenario, weeks: int | None = None) -> Scenario:
    """The scenario over the roster's horizon, the window `staff --roster` plans and simulates:
    ``weeks`` (default ``roster.weeks``) x 7 days from ``calendar.start``."""
    weeks = weeks or s.roster.weeks
    return s.model_copy(update={"calendar": s.calendar.model_copy(update={"days": 7 * weeks}),
                                "roster": s.roster.model_copy(update={"weeks": weeks})})


def plan_roster(s: Scenario, shifts, weeks: int | None = None, method: str = "erlang", scope: str = "interval",
                replications: int | None = None, seed: int | None = None, workers: int = 1, progress=None,
                say=None, executor=None) -> RosterResult:
    """The requirement (as `staff` computes it) over the roster's horizon, the roster that covers
    it at the least paid hours, and the roster simulated beside today's and the Erlang plans."""
    say = say or (lambda msg: None)
    if s.roster is None or not s.roster.people:
        raise ScenarioError([Problem("--roster", "roster.people", "the scenario has no [[roster.people]] lines")])
    weeks = weeks or s.roster.weeks
    saved = s.roster.plan  # roster.file: today's plan is that roster, as `run` simulates it
    s = horizon(detach(s), weeks)
    today = s if saved is None else attach(s, saved)
    st = plan_staffing(today, method, scope, None, replications, seed, workers, progress, say, executor)
    st.scenario = s
    if saved is not None:
        st.comparison["plan"] = st.comparison["plan"].replace("today", TODAY_FILE)
    tl = build_timeline(s)
    chosen = st.plans[f"{st.method}_{st.scope}"].agents  # the recommended plan (staffing_result.cheapest_meeting)
    needs = activity_list(s)
    wds = [WEEKDAYS[tl.dates[d].weekday()] for d in tl.iv_day]
    resid = np.array([residual_share(s, w, bool(needs)) for w in wds])
    cover = 1 - mean_absence(s) if s.roster.cover_absence else 1.0  # plan for the expected absence
    at_work = np.ceil(chosen / ((1 - resid) * cover).reshape(-1, *([1] * (chosen.ndim - 1))) - 1e-9)
    say(f"roster (integer program): {sum(line.count for line in s.roster.people)} people, {weeks} week(s)")
    plan = solve_roster(s, shifts, tl, at_work, weeks, needs)
    plan.info.update(forced_hours(s, shifts, tl, at_work, weeks, needs, plan))
    bad = rest_violations(plan)
    if bad:  # pragma: no cover - the program's rows prevent them; a check of the check
        raise ScenarioError([Problem("roster", "", b) for b in bad])
    if st.plan_scenario is not None:  # the written work's dedicated agents found (staffing_written.py)
        s = s.model_copy(update={"written": st.plan_scenario.written})
    given = with_agents(s, tl, chosen)  # the requirement's agents on the dates outside the roster
    on = set(plan.dates)  # (a date's own staffing.dates vector would replace the roster on it)
    if given.groups:
        given = given.model_copy(update={"groups": [g.model_copy(update={"dates": {
            d: v for d, v in g.dates.items() if d not in on}}) for g in given.groups]})
    else:
        given = given.model_copy(update={"staffing": given.staffing.model_copy(update={"dates": {
            d: v for d, v in given.staffing.dates.items() if d not in on}})})
    rostered = attach(given, plan)
    say("simulating the roster")
    result = simulate(rostered, replications=replications, seed=seed, workers=workers, executor=executor)
    rtl = build_timeline(rostered)
    people = plan_figures(rostered, rtl, scenario_plan(rostered, rtl))  # paid its contracts, as today's roster
    row = plan_row(s, "roster", people, result)
    cmp = st.comparison.drop(columns="recommended")
    cmp = pd.concat([cmp, pd.DataFrame([row])], ignore_index=True)
    cmp.insert(1, "recommended", cmp["plan"] == "roster")
    st.comparison, st.recommended, st.plan_result = cmp, "roster", result
    st.fte = people
    cov = coverage_table(plan, tl, at_work, s)
    measured = {d for d, ok in zip(tl.dates, tl.measured) if ok}
    cov = cov[cov["date"].isin({d.isoformat() for d in measured})].reset_index(drop=True)
    over = cov["surplus_at_work"].clip(lower=0).sum() * tl.interval_s / 3600  # at work beyond the requirement
    plan.info["surplus_hours_at_work"] = float(over)
    return RosterResult(st, plan, roster_table(plan), cov, weeks)
