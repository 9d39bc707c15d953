"""Compare scenarios: every scenario runs with the same seed, so replication i of each sees the
same first callers (common random numbers, DESIGN.md). Differences are taken replication by
replication and get a paired 95% Student-t interval, much narrower than the difference of
two independent intervals; a difference is significant when its interval excludes 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.jsonable import json_records, json_value
from ska_sim.plan.plan import plan_people
from ska_sim.scenario.calendar import window_days
from ska_sim.scenario.clock import format_clock
from ska_sim.scenario.load import load_scenario
from ska_sim.scenario.model import Scenario
from ska_sim.sim import runner
from ska_sim.sim.kpi import summarise


@dataclass
class Variant:
    """A scenario file with its own overrides, and the label tables show for it."""

    path: str
    overrides: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The file and its overrides (before the scenario is loaded)."""
        return " ".join([Path(self.path).name, *[f"--set {o}" for o in self.overrides]])

    def label_for(self, scenario: Scenario, common: tuple[str, ...] = ()) -> str:
        """What was run: the scenario's name, its file in brackets, and every --set applied to it."""
        sets = [f"--set {o}" for o in (*common, *self.overrides)]
        return " ".join([f"{scenario.name} ({Path(self.path).name})", *sets])

    def load(self, common: tuple[str, ...] = ()) -> Scenario:
        return load_scenario(self.path, tuple(common) + tuple(self.overrides))


def _set_value(tok: str, it) -> str:
    value = tok.split("=", 1)[1] if tok.startswith("--set=") else next(it, None)
    if value is None:
        raise ScenarioError([Problem("--set", "", "needs KEY.PATH=VALUE")])
    return value


def parse_variants(tokens: list[str]) -> tuple[list[Variant], tuple[str, ...]]:
    """``A.toml --set k=v B.toml A.toml --set staffing.scale=1.1`` -> variants; a --set before
    the first file applies to all of them."""
    variants: list[Variant] = []
    common: list[str] = []
    it = iter(tokens)
    for tok in it:
        if tok == "--set" or tok.startswith("--set="):
            value = _set_value(tok, it)
            if variants:
                variants[-1].overrides += (value,)
            else:
                common.append(value)
        elif tok.startswith("-"):
            raise ScenarioError([Problem(tok, "", "unknown option here")])
        else:
            variants.append(Variant(tok))
    return variants, tuple(common)


def parse_report_tokens(tokens: list[str]) -> tuple[Variant, list[Variant], tuple[str, ...]]:
    """``A.toml --set k=v --compare B.toml --set k=w`` -> (A with its --set, [B with its --set], common).

    Each --set binds to the file it follows (the scenario, or the --compare file before it);
    a --set before the scenario file applies to every file.
    """
    main: Variant | None = None
    others: list[Variant] = []
    common: list[str] = []
    it = iter(tokens)
    for tok in it:
        if tok == "--set" or tok.startswith("--set="):
            value = _set_value(tok, it)
            target = others[-1] if others else main
            if target is None:
                common.append(value)
            else:
                target.overrides += (value,)
        elif tok == "--compare" or tok.startswith("--compare="):
            path = tok.split("=", 1)[1] if tok.startswith("--compare=") else next(it, None)
            if not path:
                raise ScenarioError([Problem("--compare", "", "needs a scenario file")])
            if main is None:
                raise ScenarioError([Problem("--compare", path, "comes after the scenario file")])
            others.append(Variant(path))
        elif tok.startswith("-"):
            raise ScenarioError([Problem(tok, "", "unknown option here")])
        elif main is None:
            main = Variant(tok)
        else:
            raise ScenarioError([Problem(tok, "", "one scenario file; compare others with --compare FILE")])
    if main is None:
        raise ScenarioError([Problem("report", "", "needs a scenario file")])
    return main, others, tuple(common)


@dataclass
class Comparison:
    labels: list[str]
    results: list  # SimulationResult per variant
    table: pd.DataFrame  # kpi, unit, then per variant mean/ci, and differences to the first
    per_day: bool = False  # counts and hours as rates per open day (scenarios with different calendars)

    def to_json(self) -> dict:
        return {
            "scenarios": self.labels,
            "seed": self.results[0].seed,
            "replications": self.results[0].replications,
            "per_open_day": self.per_day,
            "kpis": json_records(self.table),
            "targets": {label: json_records(r.targets) for label, r in zip(self.labels, self.results)},
            "people": {label: {k: json_value(v) for k, v in plan_people(r.scenario).items()}
                       for label, r in zip(self.labels, self.results)},  # each plan's chain, FTE, heads, EUR
        }


def paired_difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean of b - a over replications and its 95% Student-t interval (paired)."""
    d = np.asarray(b, float) - np.asarray(a, float)
    mean, lo, hi = summarise(d[:, None])
    return float(mean[0]), float(lo[0]), float(hi[0])


def measured_window(s: Scenario) -> dict:
    """What a scenario's totals are totals of: the measured dates, the interval length, and the
    opening hours of every measured open day."""
    cal = s.calendar
    open_days = [(d.date.isoformat(), format_clock(d.open_s), format_clock(d.close_s)) for d in window_days(s) if d.is_open]
    return {"start": cal.start.isoformat(), "days": cal.days, "interval_min": cal.interval_min, "open_days": open_days}


def window_differences(a: Scenario, b: Scenario) -> list[str]:
    """How the measured windows of two scenarios differ, in words (empty when they are the same)."""
    wa, wb = measured_window(a), measured_window(b)
    out = []
    if wa["start"] != wb["start"]:
        out.append(f"start {wb['start']} vs {wa['start']}")
    if wa["days"] != wb["days"]:
        out.append(f"{wb['days']} days vs {wa['days']}")
    if wa["interval_min"] != wb["interval_min"]:
        out.append(f"{wb['interval_min']}-minute intervals vs {wa['interval_min']}")
    if not out and wa["open_days"] != wb["open_days"]:
        out.append(f"{len(wb['open_days'])} open days vs {len(wa['open_days'])}, or other opening hours")
    return out


def check_windows(scenarios: list[tuple[str, Scenario]], allow_different_calendars: bool = False) -> bool:
    """Whether the scenarios measure different windows (then compare per open day); a
    ScenarioError when they do and that is not allowed. Call it before simulating anything."""
    first = scenarios[0][1]
    problems = []
    for i, (label, s) in enumerate(scenarios[1:], 1):
        diff = window_differences(first, s)
        if diff:
            problems.append(Problem(
                "compare", "calendar",
                f"[{i}] {label} measures another window than [0] ({'; '.join(diff)}): totals would compare "
                "different windows. Pass --allow-different-calendars to compare rates per open day"))
    if problems and not allow_different_calendars:
        raise ScenarioError(problems)
    return bool(problems)


def compare(scenarios: list[tuple[str, Scenario]], replications: int | None = None, seed: int | None = None,
            executor=None, progress=None, allow_different_calendars: bool = False) -> Comparison:
    """Simulate every scenario with the same seed and compare them with the first.

    Totals of different windows are not comparable: scenarios whose measured windows differ
    (start, days, interval, open days or hours) are refused with a ScenarioError unless
    ``allow_different_calendars``; then counts and hours are compared per open day.
    """
    first = scenarios[0][1]
    per_day = check_windows(scenarios, allow_different_calendars)
    reps = replications or first.simulation.replications
    seed = first.simulation.seed if seed is None else seed
    results = []
    for k, (_, s) in enumerate(scenarios):
        results.append(runner.simulate(s, replications=reps, seed=seed, executor=executor))
        if progress:
            progress(k + 1, len(scenarios))
    labels = [lbl for lbl, _ in scenarios]
    return Comparison(labels, results, comparison_table(labels, results, per_day), per_day)


def comparison_table(labels: list[str], results: list, per_day: bool = False) -> pd.DataFrame:
    """Per KPI: each scenario's mean and interval, and its paired difference to the first.
    ``per_day``: counts and hours divided by each scenario's measured open days."""
    rows = []
    # today's KPIs, then those of newer mechanisms (blocked, transfers, callbacks, messages...)
    # that any compared scenario reports; a scenario without the mechanism has no value (NaN)
    # and no paired difference
    units: dict[str, str] = {}
    for r in results:
        for k, u in zip(r.summary["kpi"], r.summary["unit"]):
            units.setdefault(k, u)
    names = list(units)

    def values(r, kpi: str) -> np.ndarray:
        v = r.per_replication[kpi].to_numpy(dtype=float)
        return v / max(len(r.days), 1) if per_day and units[kpi] not in ("share", "s") else v

    for kpi in names:
        rate = per_day and units[kpi] not in ("share", "s")
        row = {"kpi": kpi, "unit": f"{units[kpi]} per open day" if rate else units[kpi]}
        base = values(results[0], kpi) if kpi in results[0].per_replication.columns else None
        for i, r in enumerate(results):
            if kpi not in r.per_replication.columns:  # not a KPI of this scenario's mechanisms
                row[f"{i}:mean"] = row[f"{i}:ci_low"] = row[f"{i}:ci_high"] = math.nan
                if i:
                    row[f"{i}:diff"] = row[f"{i}:diff_ci_low"] = row[f"{i}:diff_ci_high"] = math.nan
                    row[f"{i}:significant"] = False
                continue
            if rate:
                mean, lo, hi = (float(x[0]) for x in summarise(values(r, kpi)[:, None]))
            else:
                s = r.summary.set_index("kpi").loc[kpi]
                mean, lo, hi = s["mean"], s["ci_low"], s["ci_high"]
            row[f"{i}:mean"], row[f"{i}:ci_low"], row[f"{i}:ci_high"] = mean, lo, hi
            if i and base is None:
                row[f"{i}:diff"] = row[f"{i}:diff_ci_low"] = row[f"{i}:diff_ci_high"] = math.nan
                row[f"{i}:significant"] = False
            elif i:
                m, lo, hi = paired_difference(base, values(r, kpi))
                row[f"{i}:diff"], row[f"{i}:diff_ci_low"], row[f"{i}:diff_ci_high"] = m, lo, hi
                row[f"{i}:significant"] = bool(not (math.isnan(lo) or lo <= 0 <= hi)) if m == m else False
        rows.append(row)
    return pd.DataFrame(rows)
