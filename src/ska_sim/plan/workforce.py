"""Heads over months: hires, training, ramp-up and attrition, and the month's
on-phone agents that follow from them.

The model (README, "Hiring, training and attrition"):

- **Stock and flow per calendar month.** ``workforce.heads`` people are on the payroll at
  ``calendar.start`` (past their ramp-up). A hire cohort (``[[workforce.hires]]``) joins on its
  start date. Each month, leavers = ``attrition_per_month`` x (heads at the month's start +
  the month's hires): expected values, not draws, and they leave at the month's end (they work
  their notice). So ``end = start + hires - leavers`` exactly, and next month's start is this
  month's end. Every cohort (the tenured too) decays at the same rate: a cohort of n that
  started in month m0 has n x (1 - a)^(m - m0) heads in month m. Deterministic expected values
  because the question is a plan ("how many must start"): draws of leavers would add noise that
  no staffing answers, and they would break the monotonicity in hires the search relies on.
- **Training.** A hire is off the phones (paid) for ``training_weeks`` x 7 calendar days from
  the start date.
- **Ramp-up.** After training, month i on the phones (i = floor(days since training ended /
  30.44), from 0) handles calls at ``ramp_up[i].handle_factor`` x the handle time and resolves
  with ``ramp_up[i].resolution_factor`` x ``resolved``; after the list, 1 and 1.
- **From heads to agents per interval.** The scenario's staffing is the plan. Its paid FTE for
  the month is the shrinkage chain's (``people.paid_hours_of`` / the month's working-time
  norm, ``people.fte_of``). On each simulated day the agents of every interval are the
  plan's x (heads on the phones that day x ``shrinkage.fte_per_head``) / the plan's FTE,
  rounded; so the heads staff the plan's shape, with the same shrinkage. Those agents are
  split over the kinds of agent on the phones that day (tenured, each distinct ramp-up
  multiplier pair) in proportion to their heads (largest remainder, so the total is kept), and
  each kind is an agent group with ``handle_factor`` / ``resolution_factor`` (the engine's
  agent groups). Kinds with the same multipliers are one group (identical agents are
  interchangeable), so ramp-up multipliers of 1 give one group: the single pool exactly.
  With ``[[groups]]`` each group is split the same way (its kinds keep its skills and follow it
  in the routing order).
- **With a roster** (a roster file attached) the heads of a month are the roster's people
  employed that month (``plan.employed_by_month``; the roster says who leaves, so attrition
  applies only to hires) plus the ``[[workforce.hires]]`` starting after the roster's last date
  and plan-hiring's hires; hires starting within the roster's dates are not counted (the roster
  says who is employed then) and ``workforce.heads`` is not used: both are warned about
  (``scenario.workforce``: ``roster_heads_warning``, ``roster_hires_warning``). The roster is the plan:
  its on-phone agents per interval (everyone present) x (heads on the phones / the roster's
  people) x (1 - the lines' mean absence probability): the roster's lines scaled, absence as its
  expected share (the month's agents are groups, not rostered people, so absence is not drawn
  per person there). A head's FTE is then the roster's mean contract that month (its contract
  FTE / its people employed), not ``shrinkage.fte_per_head``: the plan FTE is the roster's
  contract FTE, and the month's agents (heads on the phones / the roster's people) are unchanged.
  The heads and FTE shown on the phones leave out the roster's people rostered on no day of the
  month (employed and paid, not on the phones: the roster's part-timers in year-2026).
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.jsonable import json_records
from ska_sim.plan.people import fte_of, paid_hours_of, working_days
from ska_sim.plan.plan import contract_hours, employed_by_month
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.people import Group
from ska_sim.scenario.roster_agents import mean_absence
from ska_sim.scenario.timeline import build_timeline
from ska_sim.sim import runner
from ska_sim.sim.targets import targets_of

MONTH_DAYS = 365.25 / 12  # one month on the phones, in days
STAFF_TARGETS = ("service_level", "answer_rate", "abandon_rate", "asa_s")  # the ones staffing buys
TENURED = (1.0, 1.0)


# --------------------------------------------------------------------------- months
def parse_month(text: str, option: str = "--month") -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` -> (first day, last day); a ScenarioError naming ``option`` else."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ScenarioError([Problem(option, "", f"must be a month YYYY-MM, e.g. 2026-09 (got {text!r})")])
    y, mo = int(m.group(1)), int(m.group(2))
    return dt.date(y, mo, 1), dt.date(y, mo, _cal.monthrange(y, mo)[1])


def window(s: Scenario) -> tuple[dt.date, dt.date]:
    """First and last measured day of the scenario's calendar."""
    return s.calendar.start, s.calendar.start + dt.timedelta(days=s.calendar.days - 1)


def months_of(s: Scenario) -> list[tuple[dt.date, dt.date]]:
    """The calendar months the measured window touches, each as (first, last) day."""
    first, last = window(s)
    out, y, m = [], first.year, first.month
    while dt.date(y, m, 1) <= last:
        out.append((dt.date(y, m, 1), dt.date(y, m, _cal.monthrange(y, m)[1])))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month_index(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


# --------------------------------------------------------------------------- heads
@dataclass(frozen=True)
class Cohort:
    name: str
    count: float
    start: dt.date | None  # None: the tenured heads on the payroll at calendar.start
    planned: bool = False  # plan-hiring's hires (the question asked), not [[workforce.hires]]


def cohorts(s: Scenario, extra: list[tuple[dt.date, int]] = ()) -> list[Cohort]:
    wf = s.workforce
    out = [Cohort("tenured", float(wf.heads), None)]
    for i, h in enumerate(wf.hires):
        out.append(Cohort(h.name or f"hires {h.start.isoformat()}", float(h.count), h.start))
    for d, n in extra:
        out.append(Cohort(f"plan {d.isoformat()}", float(n), d, planned=True))
    return out


class Heads:
    """Heads of every cohort on any date, and what they do that day."""

    def __init__(self, s: Scenario, extra: list[tuple[dt.date, int]] = ()):
        self.s = s
        wf = s.workforce
        self.rate = wf.attrition_per_month
        self.training_days = wf.training_weeks * 7
        self.ramp = [(r.handle_factor, r.resolution_factor) for r in wf.ramp_up]
        self.cohorts = cohorts(s, extra)
        self.m0 = _month_index(s.calendar.start)
        roster = s.roster.plan if s.roster is not None else None
        self.employed = None if roster is None else employed_by_month(s, roster)
        if roster is not None and roster.dates:  # the roster says who is employed on its dates
            end = roster.dates[-1]
            self.cohorts = [c for c in self.cohorts if c.start is None or c.planned or c.start > end]

    def roster_heads(self, month: int) -> float:
        """With a roster attached: its people employed in ``month`` (a month index), the tenured heads."""
        return float(len(self.employed.get(month, ())))

    def base_month(self, c: Cohort) -> int:
        """The month index from which a cohort decays (its start month, or the first month)."""
        return self.m0 if c.start is None else max(self.m0, _month_index(c.start))

    def heads(self, c: Cohort, month: int) -> float:
        """A cohort's heads during ``month`` (a month index), 0 before it started."""
        if c.start is not None and _month_index(c.start) > month:
            return 0.0
        if c.start is None and self.employed is not None:  # the roster's people: its leavers are in it
            return self.roster_heads(month)
        return c.count * (1.0 - self.rate) ** max(0, month - self.base_month(c))

    def on(self, d: dt.date) -> tuple[dict[tuple[float, float], float], float]:
        """({kind (handle, resolution factors): heads on the phones}, heads in training) on ``d``."""
        month = _month_index(d)
        phones: dict[tuple[float, float], float] = {}
        training = 0.0
        for c in self.cohorts:
            if c.start is not None and d < c.start:
                continue
            n = self.heads(c, month)
            if n <= 0:
                continue
            if c.start is None:
                kind = TENURED
            else:
                since = (d - c.start).days - self.training_days
                if since < 0:
                    training += n
                    continue
                step = int(since // MONTH_DAYS)
                kind = self.ramp[step] if step < len(self.ramp) else TENURED
            phones[kind] = phones.get(kind, 0.0) + n
        return phones, training

    def flow(self, first: dt.date, last: dt.date) -> dict[str, float]:
        """Heads at the month's start, hires, leavers and heads at its end (stock-flow exact)."""
        month = _month_index(first)
        start = hires = 0.0
        for c in self.cohorts:
            n = self.heads(c, month)
            # a hire of this month (from calendar.start on; earlier hires are in the first start stock)
            if c.start is not None and _month_index(c.start) == month and c.start >= self.s.calendar.start:
                hires += n
            else:
                start += n
        kept = self.roster_heads(month) if self.employed is not None else 0.0  # the roster says who leaves
        leavers = self.rate * (start + hires - kept)
        return {"heads_start": start, "hires": hires, "leavers": leavers, "heads_end": start + hires - leavers}


# --------------------------------------------------------------------------- the month's scenario
def _month_calendar(s: Scenario, first: dt.date, last: dt.date) -> Scenario:
    cal = s.calendar.model_copy(update={"start": first, "days": (last - first).days + 1})
    return s.model_copy(update={"calendar": cal})


def _plan_agents(base: Scenario, tl) -> tuple[np.ndarray, list]:
    """The plan's agents per open interval and parent group: (intervals, parents) and the parents
    (Group, or None for the implicit single group of [staffing]). The plan is the scenario's
    staffing as the timeline builds it: with a [roster] attached (roster.file), the roster's
    on-phone agents with everyone present on its dates, [staffing] outside them."""
    if base.groups:
        return np.asarray(tl.iv_group_agents, dtype=float), list(base.groups)
    return np.asarray(tl.iv_agents, dtype=float).reshape(-1, 1), [None]


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` by largest remainder (sums to ``total``)."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return [0] * len(weights)
    quota = total * w / w.sum()
    out = np.floor(quota).astype(int)
    rest = total - int(out.sum())
    if rest > 0:
        order = sorted(range(len(w)), key=lambda i: (-(quota[i] - out[i]), i))
        for i in order[:rest]:
            out[i] += 1
    return out.tolist()


@dataclass
class MonthPlan:
    """The month's scenario (agent groups per kind) and the heads behind it."""

    scenario: Scenario
    first: dt.date
    last: dt.date
    plan_fte: float
    kinds: list[tuple[float, float]]
    flow: dict[str, float]
    heads_training: float  # mean over the month's working days
    heads_phones: float
    phone_fte: float
    effective_fte: float  # each head / its handle factor: capacity in tenured advisors
    agent_hours: float  # on the phones, measured days
    roster: dict | None = None  # with a roster: its people over the month (plan.plan.contract_hours)


def _kind_name(kind: tuple[float, float], parent: str | None) -> str:
    own = "tenured" if kind == TENURED else f"new h{kind[0]:g} r{kind[1]:g}"
    return own if parent is None else (parent if kind == TENURED else f"{parent} ({own})")


def month_plan(s: Scenario, first: dt.date, last: dt.date, extra: list[tuple[dt.date, int]] = ()) -> MonthPlan:
    """The scenario of the month [first, last] (within the calendar window) with on-phone agents
    from the heads (module docstring), and the month's heads."""
    if s.workforce is None:
        raise ScenarioError([Problem("", "workforce", "missing: this needs [workforce] (heads, hires, attrition)")])
    hd = Heads(s, extra)
    base = _month_calendar(s, first, last)
    tl = build_timeline(base)
    measured = tl.iv_measured()
    fph = s.shrinkage.fte_per_head
    roster = base.roster is not None and base.roster.plan is not None
    contracts = contract_hours(base, base.roster.plan) if roster else None
    if roster:  # the roster's people are the plan: heads / people scale its lines, absence as expected
        # a head is the roster's mean contract this month (its contract FTE / its people employed)
        # (a window with no working day has no FTE: fte_per_head stays)
        mean_contract = contracts["fte"] / contracts["heads"] if contracts["heads"] else math.nan
        fph = mean_contract if math.isfinite(mean_contract) and mean_contract > 0 else fph
        plan_fte = hd.roster_heads(_month_index(first)) * fph  # its people employed this month
        # the lines' absence probabilities, people-weighted
        present = 1.0 - mean_absence(base)
    else:
        plan_fte = fte_of(base, paid_hours_of(base, tl, tl.iv_agents, measured))
        present = 1.0
    plan, parents = _plan_agents(base, tl)
    plan = plan * present
    day_heads = {d: hd.on(tl.dates[d]) for d in np.unique(tl.iv_day)}
    kinds = [TENURED] + sorted({k for ph, _ in day_heads.values() for k in ph} - {TENURED})
    n_iv = len(tl.iv_day)
    agents = np.zeros((n_iv, len(parents), len(kinds)), dtype=np.int64)
    for d, (phones, _) in day_heads.items():
        rows = np.flatnonzero(tl.iv_day == d)
        avail = sum(phones.values()) * fph
        factor = avail / plan_fte if plan_fte > 0 else 0.0
        weights = [phones.get(k, 0.0) for k in kinds]
        for r in rows:
            for p in range(len(parents)):
                total = math.floor(plan[r, p] * factor + 0.5)
                agents[r, p, :] = _split(total, weights)
    groups, renames = [], {}
    days = np.unique(tl.iv_day)
    for p, parent in enumerate(parents):
        names = []
        for j, kind in enumerate(kinds):
            if j > 0 and not agents[:, p, j].any():
                continue
            name = _kind_name(kind, parent.name if parent is not None else None)
            dates = {tl.dates[d]: [int(a) for a in agents[tl.iv_day == d, p, j]] for d in days}
            if parent is None:
                weekly = {k: [0] * len(v) for k, v in (s.staffing.agents or {}).items()}
                g = Group(name=name, agents=weekly, dates=dates, handle_factor=kind[0], resolution_factor=kind[1])
            else:
                g = parent.model_copy(update={
                    "name": name, "dates": dates,
                    "handle_factor": parent.handle_factor * kind[0],
                    "handle_factor_by_type": {k: f * kind[0] for k, f in parent.handle_factor_by_type.items()},
                    "resolution_factor": parent.resolution_factor * kind[1]})
            groups.append(g)
            names.append(name)
        if parent is not None:
            renames[parent.name] = names
    update = {"groups": groups, "staffing": base.staffing.model_copy(update={"agents": None, "dates": {}, "scale": 1.0})}
    if roster:
        update["roster"] = None  # its agents are in the groups' dates now
    if renames and base.routing.order:
        order = {k: [n for g in v for n in renames.get(g, [g])] for k, v in base.routing.order.items()}
        update["routing"] = base.routing.model_copy(update={"order": order})
    month_s = base.model_copy(update=update)
    work = [d for d in working_days(base)]
    per_day = [hd.on(d) for d in work]
    n = max(1, len(per_day))
    heads_phones = sum(sum(ph.values()) for ph, _ in per_day) / n
    eff = sum(sum(v / k[0] for k, v in ph.items()) for ph, _ in per_day) / n * fph
    phone_fte = heads_phones * fph
    if roster and contracts["paid_hours"] > 0:  # people rostered on no day of the month are not on the phones
        idle_fte = contracts["contracted_hours_not_rostered"] / contracts["paid_hours"] * contracts["fte"]
        heads_phones -= contracts["people_not_rostered"]
        phone_fte -= idle_fte
        eff -= idle_fte
    return MonthPlan(
        scenario=month_s, first=first, last=last, plan_fte=plan_fte, kinds=kinds,
        flow=hd.flow(first, last),
        heads_training=sum(t for _, t in per_day) / n,
        heads_phones=heads_phones, phone_fte=phone_fte, effective_fte=eff,
        agent_hours=float(agents.sum(axis=(1, 2))[measured].sum() * tl.interval_s / 3600),
        roster=contracts,
    )


# --------------------------------------------------------------------------- simulating months
@dataclass
class MonthResult:
    plan: MonthPlan
    result: object  # SimulationResult of the month
    met: dict[str, bool]  # target key -> the mean meets it
    chance: dict[str, float]  # target key -> share of replications whose month meets it

    def meets(self, confidence: float | None = None) -> bool:
        if confidence is None:
            return all(self.met.values())
        return all(self.met.values()) and all(c >= confidence - 1e-12 for c in self.chance.values())


def staff_targets(s: Scenario):
    """The targets hiring buys: service level, answer rate, abandon rate, ASA (per language too);
    FCR is reported, not searched on (novices lower it: more of them is no cure)."""
    return [t for t in targets_of(s, languages=bool(s.languages)) if t.kpi in STAFF_TARGETS]


def simulate_month(s: Scenario, first: dt.date, last: dt.date, extra=(), replications=None, seed=None,
                   executor=None, progress=None) -> MonthResult:
    mp = month_plan(s, first, last, list(extra))
    r = runner.simulate(mp.scenario, replications=replications, seed=seed, executor=executor, progress=progress)
    table = r.targets.set_index("kpi")
    met, chance = {}, {}
    for t in staff_targets(s):
        if t.key not in table.index:
            continue
        row = table.loc[t.key]
        met[t.key] = bool(t.met(np.array([row["mean"]]))[0])
        chance[t.key] = float(row["replications_met_share"])
    return MonthResult(mp, r, met, chance)


MONTH_COLUMNS = ("month", "heads_start", "hires", "leavers", "heads_end", "heads_training", "heads_on_phones",
                 "phone_fte", "effective_fte", "plan_fte")


# decimals in outputs (JSON, CSV): the stock-flow columns keep 6 (start + hires - leavers = end
# to the decimals shown), the monthly means (heads, FTE) 3; the library keeps them exact
_OUT_DECIMALS = {"heads_start": 6, "hires": 6, "leavers": 6, "heads_end": 6, "heads_training": 3,
                 "heads_on_phones": 3, "phone_fte": 3, "effective_fte": 3, "plan_fte": 3}


def rounded_months(df):
    """The monthly table with its heads and FTE columns rounded for output (float noise such as
    55.159999999999975 -> 55.16); KPI columns unchanged."""
    df = df.copy()
    for col, n in _OUT_DECIMALS.items():
        if col in df.columns:
            df[col] = df[col].astype(float).round(n)
    return df


def month_row(mp: MonthPlan, mr: MonthResult | None = None) -> dict:
    row = {"month": mp.first.strftime("%Y-%m"), **mp.flow, "heads_training": mp.heads_training,
           "heads_on_phones": mp.heads_phones, "phone_fte": mp.phone_fte, "effective_fte": mp.effective_fte,
           "plan_fte": mp.plan_fte}
    if mp.roster is not None:  # the roster's people over the month: employed (heads), on leave, not rostered
        row.update({"roster_employed": mp.roster["heads"], "roster_on_leave": mp.roster["people_on_leave"],
                    "roster_not_rostered": mp.roster["people_not_rostered"],
                    "roster_paid_hours": mp.roster["paid_hours"], "roster_fte": mp.roster["fte"]})
    if mr is not None:
        summ = mr.result.summary.set_index("kpi")
        for k in ("service_level", "answer_rate"):
            row[k], row[f"{k}_ci_low"], row[f"{k}_ci_high"] = (float(summ.loc[k, c]) for c in ("mean", "ci_low", "ci_high"))
        for key, c in mr.chance.items():
            row[f"chance_{key}"] = c
    return row


def monthly_table(s: Scenario, simulate: bool = False, replications=None, seed=None, executor=None,
                  progress=None, extra=()):
    """One row per calendar month of the window: heads (stock and flow), in training, on the phones,
    phone and effective FTE, the plan's FTE; with ``simulate``, the month's service level and
    answer rate (95% intervals) and the chance of meeting each target that month."""
    lo, hi = window(s)
    rows = []
    months = months_of(s)
    for i, (first, last) in enumerate(months):
        a, b = max(first, lo), min(last, hi)
        if simulate:
            mr = simulate_month(s, a, b, extra, replications, seed, executor)
            rows.append(month_row(mr.plan, mr))
        else:
            rows.append(month_row(month_plan(s, a, b, list(extra))))
        if progress:
            progress(i + 1, len(months))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- plan-hiring
@dataclass
class HiringPlan:
    month: tuple[dt.date, dt.date]
    start_by: dt.date
    confidence: float | None
    hires: int | None  # None: no count up to max_hires meets
    max_hires: int
    tried: list[dict] = field(default_factory=list)  # per count tried: hires, KPIs, chances, meets
    result: MonthResult | None = None  # the month with ``hires`` (or with max_hires)
    below: MonthResult | None = None  # the month with hires - 1 (None when hires is 0)
    months: object = None  # monthly table (heads) through the month with the hires

    def to_json(self) -> dict:
        return {"month": self.month[0].strftime("%Y-%m"), "start_by": self.start_by.isoformat(),
                "confidence": self.confidence, "hires": self.hires, "max_hires": self.max_hires,
                "tried": [{**t, "effective_fte": round(t["effective_fte"], 3)} if "effective_fte" in t else t
                          for t in self.tried],
                "months": json_records(rounded_months(self.months)) if self.months is not None else []}


def check_hiring_input(s: Scenario, month: str, start_by: dt.date, source: str = "") -> tuple[dt.date, dt.date]:
    """The month within the calendar and the start date not after it; ScenarioError else
    (``source``: the scenario file, named when it has no [workforce])."""
    first, last = parse_month(month)
    lo, hi = window(s)
    problems = []
    if s.workforce is None:
        problems.append(Problem(source, "workforce", "missing: plan-hiring needs [workforce] (heads, attrition, hires)"))
    if last < lo or first > hi:
        problems.append(Problem("--month", "", f"{month} is outside the scenario's calendar "
                                               f"({lo.isoformat()} to {hi.isoformat()})"))
    if start_by > last:
        problems.append(Problem("--start-by", "", f"{start_by.isoformat()} is after the month {month} "
                                                  f"(ends {last.isoformat()}): hires starting then cannot help it"))
    if problems:
        raise ScenarioError(problems)
    return max(first, lo), min(last, hi)


def plan_hiring(s: Scenario, month: str, start_by: dt.date, confidence: float | None = None,
                replications: int | None = None, seed: int | None = None, executor=None, progress=None,
                max_hires: int | None = None, source: str = "") -> HiringPlan:
    """The fewest hires starting on ``start_by`` with which ``month`` meets the staffing targets
    (the mean over replications meets each; with ``confidence`` q also the share of replications
    whose month meets it is >= q). Every count is simulated with the same seed (common random
    numbers), so more hires never see other callers; the search doubles the count until the
    month meets, then bisects: the answer k meets and k - 1 does not (both simulated)."""
    first, last = check_hiring_input(s, month, start_by, source)
    cap = max_hires if max_hires is not None else max(50, 4 * (s.workforce.heads + 1))
    cache: dict[int, MonthResult] = {}
    bound = 2 * cap.bit_length() + 3

    def run(k: int) -> MonthResult:
        if k not in cache:
            extra = [(start_by, k)] if k > 0 else []
            cache[k] = simulate_month(s, first, last, extra, replications, seed, executor)
            mr = cache[k]
            summ = mr.result.summary.set_index("kpi")
            plan.tried.append({"hires": k, "service_level": float(summ.loc["service_level", "mean"]),
                               "answer_rate": float(summ.loc["answer_rate", "mean"]),
                               "effective_fte": mr.plan.effective_fte,
                               "chance": dict(mr.chance), "meets": mr.meets(confidence)})
            if progress:  # the doubling and the bisection take at most 2 log2(cap) + 3 months
                progress(min(len(cache), bound - 1), bound)
        return cache[k]

    plan = HiringPlan((first, last), start_by, confidence, None, cap)
    ok = lambda k: run(k).meets(confidence)  # noqa: E731
    if ok(0):
        plan.hires = 0
    else:
        lo, hi = 0, 1
        while hi <= cap and not ok(hi):
            lo, hi = hi, hi * 2
        if hi > cap:
            hi = cap
            if not ok(cap):
                lo = None
        if lo is not None:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if ok(mid):
                    hi = mid
                else:
                    lo = mid
            plan.hires = hi
    k = plan.hires if plan.hires is not None else cap
    plan.result = run(k)
    plan.below = run(k - 1) if plan.hires else None
    plan.tried.sort(key=lambda r: r["hires"])
    extra = [(start_by, k)] if k > 0 else []
    lo_w, hi_w = window(s)  # each month within the window, as `workforce`'s rows
    rows = [month_row(month_plan(s, max(a, lo_w), min(b, hi_w), extra)) for a, b in months_of(s) if a <= first]
    plan.months = pd.DataFrame(rows)
    return plan
