"""What ``ska-sim staff`` returns: the plans side by side, each simulated, and the verdict on
the recommended one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.base.jsonable import json_records, json_value
from ska_sim.plan.costs import money_of
from ska_sim.plan.load import Plan
from ska_sim.plan.plan import CHAIN_BASIS, plan_money
from ska_sim.scenario.activities import activity_share, activity_table
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.timeline import Timeline
from ska_sim.sim.kpi import KPI_UNITS
from ska_sim.sim.targets import KPI_WORDS, targets_of
from ska_sim.sim.written_kpis import WRITTEN_KPI_UNITS


@dataclass
class StaffingResult:
    """What `ska-sim staff` reports (DataFrames with units in column names)."""

    scenario: Scenario
    method: str
    scope: str
    requirements: pd.DataFrame  # per measured interval
    scopes: pd.DataFrame  # agent-hours per method and scope, and the change against the Erlang interval plan
    fte: dict
    plans: dict[str, Plan]
    shift_plan: pd.DataFrame | None
    coverage: pd.DataFrame | None
    plan_result: object  # SimulationResult of the final plan (the shift plan when shifts are given)
    comparison: pd.DataFrame | None = None  # today's plan beside each recommendation, simulated (PLAN_COLUMNS)
    recommended: str = ""  # the row of ``comparison`` that is the recommendation
    group_fte: pd.DataFrame | None = None  # with [[groups]]: plan, group (and "total"), hours, FTE, heads
    not_searched: str = ""  # why the search by simulation was not run when no plan met the targets
    confidence: object | None = None  # staff --confidence: plan/confidence.ConfidencePlan
    written_work: str = ""  # [[written]] with a target: the written work's agents found (plan/staffing_written.py)
    plan_scenario: Scenario | None = None  # the scenario the plans are simulated on (the dedicated agents found)

    def verdict(self) -> str:
        """The recommended plan's verdict in simulation, in plain words ('' when it meets every target)."""
        return plan_verdict(self)

    def recommendation(self) -> str:
        """The first line of the report: the plan recommended and its simulated reading, or that no
        plan compared meets every target by the mean, which target fails and by how much."""
        if self.comparison is None or not self.recommended:
            return ""
        row = self.comparison.set_index("plan").loc[self.recommended]
        line = recommendation_line(self.scenario, self.recommended, row)
        other = cheapest_meeting(self.scenario, self.comparison)
        if other is not None and line.startswith("No plan found"):  # a plan kept as asked (shifts, groups) misses
            line = line.replace("No plan found that meets every target: closest tried, ", "Recommended as asked, though ")
            line += f"; {other} meets every target by the simulated mean"
        elif other is not None and other != self.recommended:  # kept as asked, and a cheaper plan meets too
            rows = self.comparison.set_index("plan")
            fewer = rows.loc[self.recommended, "paid_hours"] - rows.loc[other, "paid_hours"]
            if fewer > 0:
                line += f"; {other} also meets every target by the simulated mean, with {fewer:,.0f} fewer paid hours"
        chosen = self.plans.get(self.recommended.replace(" ", "_"))
        if chosen is not None and chosen.method == "simulation" and not chosen.converged:
            line += (f"; the search by simulation stopped after {chosen.iterations} iterations without converging "
                     "(a cheaper plan may meet the targets too)")
        if self.not_searched:
            line += f"; {self.not_searched}"
        if self.written_work:
            line += f"\n{self.written_work} (on top of the calls' agents, paid as the plan's)"
        return line

    def _people_json(self) -> dict:
        """[costs]: the recommended plan's euros (costs.money_of); [activities]: their arithmetic."""
        s, out = self.scenario, {}
        if s.costs is not None:
            out["money"] = {k: json_value(v) for k, v in money_of(s, self.fte["fte"], self.fte["heads"]).items()}
        if s.activities is not None:
            out["activities"] = {"rows": json_records(activity_table(s)), "activity_share": activity_share(s)}
        return out

    def to_json(self) -> dict:
        return {
            "scenario": self.scenario.name,
            "method": self.method,
            "scope": self.scope,
            "requirements": json_records(self.requirements),
            "scopes": json_records(self.scopes),
            "fte": {k: json_value(v) for k, v in self.fte.items()},
            "shift_plan": json_records(self.shift_plan) if self.shift_plan is not None else None,
            "coverage": json_records(self.coverage) if self.coverage is not None else None,
            "plans": json_records(self.comparison) if self.comparison is not None else None,
            "recommended": self.recommended,
            "verdict": self.verdict(),
            "recommendation": self.recommendation(),
            **({"written_work": self.written_work} if self.written_work else {}),
            **({"groups": json_records(self.group_fte)} if self.group_fte is not None else {}),
            **self._people_json(),
            "plan": self.plan_result.to_json(),
            **({"confidence": self.confidence.to_json()} if self.confidence is not None else {}),
        }


PLAN_TARGET_KPIS = ("service_level", "answer_rate", "abandon_rate", "asa_s", "fcr")


NOT_SIMULATED = "not simulated"


def plan_row(s: Scenario, name: str, figures: dict, result, note: str = "") -> dict:
    """One plan, simulated: its people (``figures``: plan.plan_figures, or a shift plan's chain:
    hours on the phones, at work, paid, FTE, heads and the basis of the paid hours), and per
    target the mean, interval, status, share of days met and share of replications (the window)
    met; with [[written]] and no ``written_on_time`` target, the written work's share on time and
    its interval all the same. ``result`` None: a plan not simulated, ``note`` says why (its
    verdict NOT_SIMULATED)."""
    row = {"plan": name, "phone_hours": figures["phone_hours"], "hours_at_work": figures["hours_at_work"],
           "paid_hours": figures["paid_hours"], "fte": figures["fte"], "heads": figures["heads"],
           "paid_basis": figures.get("basis", CHAIN_BASIS)}
    if "written_dedicated_hours" in figures:  # [[written]]: paid hours off the phones (plan.off_phones)
        row["written_dedicated_hours"] = figures["written_dedicated_hours"]
    if s.costs is not None:  # [costs]: FTE x the month's / year's working-time norm x EUR per paid hour
        money = plan_money(s, figures)
        row["eur_per_month"], row["eur_per_year"] = money["eur_per_month"], money["eur_per_year"]
    if result is None:
        row.update({"verdict": NOT_SIMULATED, "note": note})
        return row
    row.update(targets_row(result))
    if result.scenario.written and "written_on_time" not in row:  # [[written]] without its target: its share all the same
        w = result.summary.set_index("kpi").loc["written_on_time"]
        row["written_on_time"], row["written_on_time_ci_low"], row["written_on_time_ci_high"] = \
            w["mean"], w["ci_low"], w["ci_high"]
    return row


def targets_row(result) -> dict:
    """A simulation's targets as row fields: per target the mean, interval, status, share of days
    met and share of replications met, and the plan's verdict (FAIL, UNCERTAIN or PASS)."""
    row, statuses = {}, []
    for t in result.targets.itertuples():
        row[t.kpi] = t.mean
        row[f"{t.kpi}_ci_low"], row[f"{t.kpi}_ci_high"] = t.ci_low, t.ci_high
        row[f"{t.kpi}_status"] = t.status
        row[f"{t.kpi}_days_met_share"] = t.days_met_share
        row[f"{t.kpi}_replications_met_share"] = t.replications_met_share
        statuses.append(t.status)
    row["verdict"] = "FAIL" if "FAIL" in statuses else ("UNCERTAIN" if "UNCERTAIN" in statuses else "PASS")
    return row


def target_misses(s: Scenario, row) -> list[str]:
    """The targets a simulated plan (a ``plan_row``) misses by the mean, each with its mean, the
    target and the shortfall ('service level 77.4% against >= 80%, 2.6 points short')."""
    misses = []
    for t in targets_of(s, languages=True):
        if t.key not in row:
            continue
        mean = row[t.key]
        if bool(t.met(np.array([mean]))[0]):
            continue
        share = {**KPI_UNITS, **WRITTEN_KPI_UNITS}[t.kpi] == "share"  # written work on time: a share
        bound = t.low if t.low is not None and mean < t.low else t.high
        gap = abs(mean - bound) if mean == mean else float("nan")
        shown = f"{mean:.1%}" if share else f"{mean:.1f} s"
        short = f"{gap * 100:.1f} points" if share else f"{gap:.1f} s"
        misses.append(f"{t.label} {shown} against {t.bound()}, {short} short")
    return misses


def plan_reading(s: Scenario, name: str, row) -> str:
    """A simulated plan in one sentence, the same words in ``staff`` and on the page: whether its
    mean meets every target, and the chance of meeting each over the window (the share of
    replications whose whole window met it), or which targets it misses by how much."""
    misses = target_misses(s, row)
    if misses:
        return f"{name} misses by the simulated mean: " + "; ".join(misses)
    chances = [f"{t.label} {t.bound()} "
               f"in {row[f'{t.key}_replications_met_share']:.0%}"
               for t in targets_of(s, languages=True) if f"{t.key}_replications_met_share" in row]
    return (f"{name} meets every target by the simulated mean; chance of meeting each over the window "
            f"(share of replications): " + "; ".join(chances))


def recommendation_line(s: Scenario, name: str, row) -> str:
    """'Recommended: <reading>' when the plan meets every target by the mean, else 'No plan found
    that meets every target: <reading of the plan shown instead>'."""
    if target_misses(s, row):
        return "No plan found that meets every target: closest tried, " + plan_reading(s, name, row)
    return "Recommended: " + plan_reading(s, name, row)


def cheapest_meeting(s: Scenario, comparison: pd.DataFrame) -> str | None:
    """The recommendation rule: among the plans compared (today's excluded), the one with the
    fewest paid hours whose simulated mean meets every target; None when none does."""
    ok = [r for r in comparison.to_dict(orient="records")
          if r["plan"] != "today" and r.get("verdict") != NOT_SIMULATED and not target_misses(s, r)]
    return min(ok, key=lambda r: r["paid_hours"])["plan"] if ok else None


def plan_verdict(st: StaffingResult) -> str:
    """Plain words when the recommended plan fails or is uncertain in simulation.

    Every target that is not a PASS is named with its mean, interval, days met and chance over
    the window. Whether the mean meets each target (the criterion the staffing searches use)
    decides the advice: a plan that meets them by the mean but is UNCERTAIN needs
    more replications, not another method."""
    if st.comparison is None or not st.recommended:
        return ""
    row = st.comparison.set_index("plan").loc[st.recommended]
    if row["verdict"] == "PASS":
        return ""
    def shown(x, unit: str) -> str:
        if x is None or x != x:
            return "-"
        return f"{x:.1%}" if unit == "share" else f"{x:.1f} s"

    misses, mean_meets = [], True
    scenario = getattr(st, "scenario", None)
    targets = {t.key: t for t in targets_of(scenario, languages=True)} if scenario is not None else {}
    for key in [k[: -len("_status")] for k in row.index if k.endswith("_status")]:
        status = row[f"{key}_status"]
        if not isinstance(status, str) or status == "PASS":
            continue
        kpi, _, lang = key.partition(":")
        unit = KPI_UNITS[kpi] if kpi in KPI_UNITS else WRITTEN_KPI_UNITS[kpi]  # written work on time: a share
        if key in targets and not bool(targets[key].met(np.array([row[key]]))[0]):
            mean_meets = False
        days = row.get(f"{key}_days_met_share")
        days_text = f"met on {days:.0%} of days and " if days is not None and days == days else ""
        name = KPI_WORDS.get(kpi, kpi.replace("_", " ")) + (f" ({lang} calls)" if lang else "")
        misses.append(
            f"{name} {status} at {shown(row[key], unit)} [{shown(row[f'{key}_ci_low'], unit)}, "
            f"{shown(row[f'{key}_ci_high'], unit)}], {days_text}over the window in "
            f"{row[f'{key}_replications_met_share']:.0%} of replications"
        )
    word = "FAILS" if row["verdict"] == "FAIL" else "is UNCERTAIN against"
    groups = (", and on separated agent groups it leaves out overflow, lines and callbacks"
              if getattr(scenario, "groups", None) else "")
    reps = getattr(getattr(st, "plan_result", None), "replications", None)
    if mean_meets and row["verdict"] == "UNCERTAIN":
        advice = (f"By the mean it meets every target (the criterion the staffing search uses); at {reps} replications "
                  "the interval still straddles a target: run more replications (-r) to narrow it.")
    elif st.method == "erlang":
        advice = ("Erlang per interval is optimistic here (queues carry over between intervals, patience and handle "
                  f"times are not exponential{groups}): use --method simulation for a plan checked by the simulator.")
    else:
        advice = ("The simulation method did not reach a plan whose mean meets every target: try more replications "
                  "(-r) or another --scope.")
    return f"WARNING: the recommended plan ({st.recommended}) {word} its targets in simulation: " + "; ".join(misses) + \
        f". {advice}"


def scopes_table(plans: dict[str, Plan], tl: Timeline) -> pd.DataFrame:
    """Agent-hours on the phones over the measured days per method and scope, and the change
    against the Erlang interval plan (plans with one column per group are summed over groups)."""
    m = tl.iv_measured()
    h = tl.interval_s / 3600

    def hours(p: Plan) -> float:
        return float(p.agents[m].sum() * h)

    base = hours(plans["erlang_interval"])
    return pd.DataFrame([
        {
            "method": key.split("_")[0],
            "scope": key.split("_", 1)[1],
            "agent_hours": hours(p),
            "change_vs_erlang_interval_hours": hours(p) - base,
            "change_vs_erlang_interval_share": (hours(p) - base) / base if base else 0.0,
            "iterations": p.iterations,
            "converged": p.converged,
        }
        for key, p in plans.items()
    ])
