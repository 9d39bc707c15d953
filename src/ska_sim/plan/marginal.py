"""The marginal value of an agent: what adding or removing k agents (or k FTE) changes, each
step simulated with the same seed as today's plan (common random numbers), so its change
gets a paired 95% interval."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.jsonable import json_records
from ska_sim.maths.erlang import erlang_result
from ska_sim.plan.by_simulation import with_agents
from ska_sim.plan.compare import paired_difference
from ska_sim.plan.load import LoadModel
from ska_sim.plan.people import window_norm, working_time_norm_h
from ska_sim.plan.plan import plan_figures, plan_money, scenario_plan
from ska_sim.plan.plan import with_agents as with_plan_agents
from ska_sim.plan.staffing_groups import group_load_models
from ska_sim.scenario.activities import activity_share, shrinkage_shares
from ska_sim.scenario.clock import WEEKDAYS, parse_clock
from ska_sim.scenario.forecast import forecast_note
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.roster_agents import with_extra
from ska_sim.sim import runner
from ska_sim.sim.engine import Model
from ska_sim.sim.kpi import KPI_UNITS
from ska_sim.sim.thresholds import as_mix, mixed


def parse_agent_range(text: str, option: str = "--agents") -> list[int]:
    """``-2..+4`` (or ``-2:4``) -> [-2, -1, 0, 1, 2, 3, 4]; 0 is always included."""
    m = re.fullmatch(r"\s*([+-]?\d+)\s*(?:\.\.|:)\s*([+-]?\d+)\s*", text)
    unit = "FTE" if option == "--fte" else "agents"
    if not m and re.fullmatch(r"\s*[+-]?[\d.]+\s*(?:\.\.|:)\s*[+-]?[\d.]+\s*", text):
        raise ScenarioError([Problem(option, text, f"FROM and TO are whole numbers of {unit} (steps of 1), e.g. -2..+4")])
    if not m:
        raise ScenarioError([Problem(option, text, "must be FROM..TO, e.g. -2..+4")])
    if int(m.group(1)) > int(m.group(2)):
        raise ScenarioError([Problem(option, text, f"FROM ({m.group(1)}) is after TO ({m.group(2)}): e.g. -2..+4")])
    lo, hi = int(m.group(1)), int(m.group(2))
    if hi - lo > 40:
        raise ScenarioError([Problem(option, text, "at most 40 steps")])
    return sorted(set(range(lo, hi + 1)) | {0})


def spread_agents(agents: np.ndarray, iv_day: np.ndarray, k: int, mode: str, gains=None,
                  per_day: dict[int, int] | None = None) -> np.ndarray:
    """k more (or fewer) agents for the whole day, as agent-intervals: k x intervals per day
    (or ``per_day[day]`` agent-intervals on each day, when given).

    ``proportional``: in proportion to the current staffing (largest remainders);
    ``best``: one agent-interval at a time where ``gains(interval, agents)`` is largest
    (for removals, where it is smallest); ``even``: k agents more (or fewer, none below 0) in
    every interval.
    """
    out = agents.astype(np.int64).copy()
    for d in np.unique(iv_day):
        idx = np.flatnonzero(iv_day == d)
        total = int(per_day.get(int(d), 0)) if per_day is not None else k * len(idx)
        if total == 0:
            continue
        if mode == "even" and per_day is None:
            out[idx] = np.maximum(0, out[idx] + k)
        elif mode == "proportional":
            base = out[idx].astype(float)
            w = base / base.sum() if base.sum() > 0 else np.full(len(idx), 1 / len(idx))
            share = w * total
            step = np.floor(share) if total > 0 else np.ceil(share)
            rest = int(round(total - step.sum()))
            order = np.argsort(-(share - step)) if rest > 0 else np.argsort(share - step)
            step[order[: abs(rest)]] += np.sign(rest)
            out[idx] = np.maximum(0, out[idx] + step.astype(np.int64))
        else:
            for _ in range(abs(total)):
                if total > 0:
                    j = idx[int(np.argmax([gains(i, out[i] + 1) - gains(i, out[i]) for i in idx]))]
                    out[j] += 1
                else:
                    cand = [i for i in idx if out[i] > 0]
                    if not cand:
                        break
                    j = cand[int(np.argmin([gains(i, out[i]) - gains(i, out[i] - 1) for i in cand]))]
                    out[j] -= 1
    return out


def fte_agent_intervals(s: Scenario, tl, k: float, mask: np.ndarray | None = None) -> dict[int, int]:
    """Agent-intervals on the phones, per simulated day, that ``k`` FTE more (or fewer) buy.

    k FTE are k x the window's working-time norm in paid hours, spread evenly over the open
    intervals of the measured days (the same rate on warm-up days); each day's paid hours
    become hours on the phones through that weekday's shrinkage, rounded to whole
    agent-intervals. ``mask`` (per open interval): spread over those intervals only (``--hours``).
    """
    mask = np.ones(len(tl.iv_day), dtype=bool) if mask is None else mask
    m = tl.iv_measured() & mask
    n_measured = int(m.sum())
    if n_measured == 0:
        return {}
    paid_per_interval_h = k * working_time_norm_h(s) / n_measured
    out = {}
    share = activity_share(s) if s.activities is not None else None
    for d in np.unique(tl.iv_day):
        in_shift, absence = shrinkage_shares(s, WEEKDAYS[tl.dates[d].weekday()], share)  # [activities] included
        n = int(((tl.iv_day == d) & mask).sum())
        phone_h = paid_per_interval_h * n * (1 - in_shift) * (1 - absence)
        out[int(d)] = int(round(phone_h / (tl.interval_s / 3600)))
    return out


@dataclass
class Marginal:
    table: pd.DataFrame
    results: dict  # step -> SimulationResult
    mode: str
    unit: str = "agents"  # the steps are agents on the phones per open interval, or "fte"
    group: str | None = None  # with [[groups]]: the group whose agents change
    hours: str | None = None  # "HH:MM-HH:MM": the steps change these clock hours only
    window: dict | None = None  # people.window_norm: the measured window and its working-time norm
    notes: list[str] = field(default_factory=list)  # steps that could not remove all they asked (clipped_steps)

    def to_json(self) -> dict:
        return {"mode": self.mode, "unit": self.unit, "group": self.group, "hours": self.hours,
                "window": self.window, "rows": json_records(self.table), "notes": self.notes}


def parse_hours(text: str, option: str = "--hours") -> tuple[int, int]:
    """``10:00-14:00`` -> (36000, 50400), seconds since midnight; start before end."""
    parts = text.split("-")
    try:
        if len(parts) != 2:
            raise ValueError("must be HH:MM-HH:MM, e.g. 10:00-14:00")
        lo, hi = parse_clock(parts[0].strip()), parse_clock(parts[1].strip())
    except ValueError as e:
        raise ScenarioError([Problem(option, text, str(e))]) from None
    if lo >= hi:
        raise ScenarioError([Problem(option, text, "the start must be before the end")])
    return lo, hi


def marginal_target(s: Scenario, group: str | None) -> int | None:
    """The index of the group ``marginal --group`` changes (None: the one pool); bad names exit 2."""
    names = [g.name for g in s.groups]
    if not s.groups:
        if group is not None:
            raise ScenarioError([Problem("--group", group, "the scenario has no [[groups]]: leave --group out")])
        return None
    if group is None:
        raise ScenarioError([Problem("--group", "", "the scenario has agent groups: give --group NAME, one of "
                                     + ", ".join(names))])
    if group not in names:
        raise ScenarioError([Problem("--group", group, "no agent group of that name; the scenario's groups: "
                                     + ", ".join(names))])
    return names.index(group)


MARGINAL_KPIS = ("service_level", "answer_rate", "answered", "abandoned", "repeat_calls", "waiting_hours")
WRITTEN_MARGINAL_KPIS = ("written_on_time", "written_backlog")  # beside them with [[written]]


def marginal(s: Scenario, steps: list[int], mode: str = "proportional", replications: int | None = None,
             seed: int | None = None, executor=None, progress=None, unit: str = "agents", group: str | None = None,
             hours: str | None = None) -> Marginal:
    """What adding or removing k agents (for whole days), or k FTE, changes, with paired intervals.

    ``unit="agents"``: k agents on the phones in every open interval; ``unit="fte"``: k full-time
    equivalents of paid time (see :func:`fte_agent_intervals`). Every row states what the step
    costs in phone hours, paid hours, FTE and heads (one definition: :func:`ska_sim.plan.people.fte_of`),
    and each KPI's change against today with its paired 95% interval (common random numbers).
    Hours and counts are the window's own (its paid hours over its working-time norm, e.g. the
    week of 23 February 2026: norm 29 h per FTE), per open day where a column says so.

    With [[groups]], ``group`` names the group whose agents change (the others keep theirs);
    ``hours`` ("HH:MM-HH:MM") limits the steps to the open intervals starting in those clock
    hours (k agents more in each of them; k FTE spread over them). FTE and heads are of the
    whole plan, so their change is the step's.
    """
    gcol = marginal_target(s, group)
    if unit not in ("agents", "fte"):
        raise ValueError("unit must be agents or fte")
    model = Model.from_scenario(s)
    tl = model.timeline
    sel = selected_intervals(tl, hours)
    if mode == "best":
        gains = best_gains(s, model, gcol, np.flatnonzero(sel))
    elif mode in ("proportional", "even"):
        gains = None
    else:
        raise ValueError("mode must be proportional, best or even")
    plans = {k: step_plan(s, tl, k, unit, mode, sel, gcol, gains) for k in steps}
    results = {}
    for n, k in enumerate(steps, 1):
        # a roster with its absence draws stays; the step's agents are added on top
        variant = with_extra(s, plans[k] - plans[0]) if model.roster is not None else with_agents(s, tl, plans[k])
        results[k] = runner.simulate(variant, replications=replications, seed=seed, executor=executor)
        if progress:
            progress(n, len(steps))
    m = tl.iv_measured()
    base = scenario_plan(s, tl)
    people = {k: plan_figures(s, tl, base if k == 0 else with_plan_agents(base, plans[k], f"step {k:+d} {unit}"), m)
              for k in steps}
    people0 = people[0] if 0 in people else plan_figures(s, tl, base, m)
    rows = []
    for k in steps:
        row = step_row(s, tl, k, unit, plans, sel, people[k], people0, results[k])
        row.update(kpi_columns(results[0], results[k], len(np.unique(tl.iv_day[m]))))
        if gcol is not None:
            row["group"] = group
            row["group_phone_hours"] = float(plans[k][m, gcol].sum() * tl.interval_s / 3600)
        rows.append(row)
    notes = clipped_steps(s, tl, steps, unit, plans, sel)
    if forecast_note(s):  # [arrivals.forecast]: whether the intervals include the forecast's uncertainty
        notes.append(forecast_note(s))
    return Marginal(pd.DataFrame(rows), results, mode, unit, group, hours, window_norm(s), notes)


def clipped_steps(s: Scenario, tl, steps: list[int], unit: str, plans: dict, sel: np.ndarray) -> list[str]:
    """A sentence per step that removes fewer agent-intervals of the measured days than it asks
    (no interval goes below 0 agents): how many it asked and how many it removed."""
    m = tl.iv_measured() & sel
    if unit == "fte":
        asked_of = {k: sum(n for d, n in fte_agent_intervals(s, tl, k, sel).items() if (m & (tl.iv_day == d)).any())
                    for k in steps}
    else:
        asked_of = {k: k * int(m.sum()) for k in steps}
    out = []
    for k in steps:
        done = int((summed(plans[k]) - summed(plans[0]))[m].sum())
        if k < 0 and done > asked_of[k]:
            out.append(f"step {k:+d} {'FTE' if unit == 'fte' else 'agents'} removes {-done:,} of the {-asked_of[k]:,} "
                       f"agent-intervals it asks: the others are at 0 agents already")
    return out


def selected_intervals(tl, hours: str | None) -> np.ndarray:
    """Per open interval: whether a step changes it (those starting within ``hours``; all without)."""
    sel = np.ones(len(tl.iv_day), dtype=bool)
    if hours is not None:
        lo, hi = parse_hours(hours)
        start = tl.iv_slot * tl.interval_s
        sel = (start >= lo) & (start < hi)
        if not (sel & tl.iv_measured()).any():
            raise ScenarioError([Problem("--hours", hours, "no open interval of the measured days starts in these hours")])
    return sel


def best_gains(s: Scenario, model: Model, gcol: int | None, at: np.ndarray):
    """``gains(j, c)``: calls answered in time (Erlang) in the j-th selected interval (``at[j]``)
    with c agents, for ``spread_agents``' best mode. With a group, on that group's own calls
    (Erlang on separated groups)."""
    tl = model.timeline
    lm = LoadModel(s, model)
    src = lm if gcol is None else group_load_models(s, lm)[gcol]
    offered = src.first.sum(axis=1)
    aht = src.aht(src.first)
    cache: dict = {}

    def gains(j: int, c: int) -> float:
        i = int(at[j])  # j indexes the selected intervals
        if (i, c) not in cache:
            if offered[i] <= 0:
                cache[(i, c)] = 0.0
            else:
                rate, thr = offered[i] / tl.interval_s, src.thresholds
                r = erlang_result(int(c), rate, aht[i], as_mix(thr)[0][0], lm.patience_s)
                sl = mixed(lambda t: erlang_result(int(c), rate, aht[i], t, lm.patience_s).service_level, thr)
                cache[(i, c)] = (sl if r.stable else 0.0) * offered[i]
        return cache[(i, c)]

    return gains


def step_plan(s: Scenario, tl, k: int, unit: str, mode: str, sel: np.ndarray, gcol: int | None, gains) -> np.ndarray:
    """Today's agents with step k spread over the selected intervals (of the group ``gcol``:
    then the plan is (intervals, groups))."""
    full = tl.iv_group_agents if gcol is not None else None
    base_agents = full[:, gcol] if gcol is not None else tl.iv_agents
    per_day = fte_agent_intervals(s, tl, k, sel) if unit == "fte" else None
    col = base_agents.astype(np.int64).copy()
    col[sel] = spread_agents(base_agents[sel], tl.iv_day[sel], k, mode, gains, per_day=per_day)
    if gcol is None:
        return col
    out = full.astype(np.int64).copy()
    out[:, gcol] = col
    return out


def summed(a: np.ndarray) -> np.ndarray:
    """Agents on the phones per interval, all groups."""
    return a.sum(axis=1) if a.ndim == 2 else a


def people_of(s: Scenario, tl, agents: np.ndarray, m: np.ndarray) -> dict:
    """A plan's people over the measured intervals ``m`` (plan.plan_figures of the scenario's
    plan with ``agents`` on the phones): hours on the phones, paid hours, the window's
    working-time norm, FTE, heads, and the mean agents on the phones per open interval. The
    figures of every `sweep` point."""
    agents = summed(agents)
    f = plan_figures(s, tl, with_plan_agents(scenario_plan(s, tl), agents, "sweep point"), m)
    return {"agents_mean": float(agents[m].mean()) if m.any() else math.nan,
            "phone_hours": f["phone_hours"], "paid_hours": f["paid_hours"],
            "working_time_norm_hours": f["working_time_norm_hours"], "fte": f["fte"], "heads": f["heads"]}


def step_row(s: Scenario, tl, k: int, unit: str, plans: dict, sel: np.ndarray, people: dict, people0: dict,
             r) -> dict:
    """What step k costs: agents, phone and paid hours over the window, FTE and heads (and their
    change against step 0, today's plan), priced by plan.plan_figures (a roster's people their
    contracts, the step's agents by the shrinkage chain), and the step as a resource request
    (:func:`request_columns`)."""
    m = tl.iv_measured()
    agents = summed(plans[k])
    row = {
        "step": k,
        "step_unit": unit,
        "agents_change": k if unit == "agents" else
        float((agents[m & sel] - summed(plans[0])[m & sel]).sum() / max(int((m & sel).sum()), 1)),
        "window": window_norm(s)["window"],
        "working_time_norm_hours": people["working_time_norm_hours"],
        "phone_hours": people["phone_hours"],
        "paid_hours": people["paid_hours"],
        "paid_hours_change": people["paid_hours"] - people0["paid_hours"],
        "paid_basis": people["basis"],
        "fte": people["fte"],
        "fte_change": people["fte"] - people0["fte"],
        "heads": people["heads"],
        "heads_change": people["heads"] - people0["heads"],
    }
    row.update(request_columns(s, people, people0, r))
    return row


def kpi_columns(base_result, r, n_days: int) -> dict:
    """Each KPI of MARGINAL_KPIS under the step and its paired change against today (shares as
    they are, counts and hours per open day and over the window), and what the step buys each
    language's callers."""
    base = base_result.per_replication
    row = {}
    for kpi in MARGINAL_KPIS:
        per_rep = r.per_replication[kpi].to_numpy()
        share = KPI_UNITS[kpi] == "share"
        scale = 1.0 if share else 1.0 / n_days  # counts and hours per open day
        name = kpi if share else f"{kpi}_per_day"
        row[name] = float(per_rep.mean() * scale)
        d, lo, hi = paired_difference(base[kpi].to_numpy(), per_rep)
        row[f"{name}_change"], row[f"{name}_change_ci_low"], row[f"{name}_change_ci_high"] = d * scale, lo * scale, hi * scale
        if not share:  # the window's total
            row[kpi] = float(per_rep.mean())
            row[f"{kpi}_change"], row[f"{kpi}_change_ci_low"], row[f"{kpi}_change_ci_high"] = d, lo, hi
    for kpi in WRITTEN_MARGINAL_KPIS:  # [[written]]: the share on time and the backlog at the window's end
        if kpi in r.per_replication and kpi in base:
            a, b = base[kpi].to_numpy(dtype=float), r.per_replication[kpi].to_numpy(dtype=float)
            both = ~(np.isnan(a) | np.isnan(b))  # a replication where nothing fell due has no share on time
            row[kpi] = float(np.nanmean(b)) if (~np.isnan(b)).any() else math.nan
            d, lo, hi = paired_difference(a[both], b[both]) if both.sum() > 1 else (math.nan,) * 3
            row[f"{kpi}_change"], row[f"{kpi}_change_ci_low"], row[f"{kpi}_change_ci_high"] = d, lo, hi
    base_langs, langs = base_result.language_per_replication, r.language_per_replication
    for lang in (langs or {}):  # what the step buys each language's callers (paired, as above)
        for kpi in ("service_level", "answer_rate"):
            per_rep = langs[lang][kpi]
            d, lo, hi = paired_difference(base_langs[lang][kpi], per_rep)
            key = f"{kpi}:{lang}"
            row[key] = float(np.nanmean(per_rep))
            row[f"{key}_change"], row[f"{key}_change_ci_low"], row[f"{key}_change_ci_high"] = d, lo, hi
    return row


def request_columns(s: Scenario, people: dict, people0: dict, r) -> dict:
    """A step as a resource request: its hours at work (plan.plan_figures), per target the share
    of days meeting it and the share of replications whose window meets it, and with [costs] its
    euros a month and a year (plan.plan_money: FTE x the month's / year's norm x rate)."""
    out = {"hours_at_work": people["hours_at_work"]}
    for t in r.targets.itertuples():
        out[f"{t.kpi}_status"] = t.status
        out[f"{t.kpi}_days_met_share"] = t.days_met_share
        out[f"{t.kpi}_replications_met_share"] = t.replications_met_share
    if s.costs is not None:
        money, money0 = plan_money(s, people), plan_money(s, people0)
        out["eur_per_month"] = money["eur_per_month"]
        out["eur_per_year"] = money["eur_per_year"]
        out["eur_per_month_change"] = money["eur_per_month"] - money0["eur_per_month"]
        out["eur_per_year_change"] = money["eur_per_year"] - money0["eur_per_year"]
    return out
