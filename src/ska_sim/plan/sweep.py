"""Sweep a scenario key over a range of values: every point simulated with the same seed, each
target's verdict per point (per language too), the plan's people and euros per point, and the
values at which every target is met."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.jsonable import json_records, json_value
from ska_sim.plan.costs import money_of
from ska_sim.plan.marginal import people_of
from ska_sim.scenario.load import load_scenario
from ska_sim.scenario.overrides import parse_value
from ska_sim.scenario.timeline import build_timeline
from ska_sim.sim import runner
from ska_sim.sim.targets import targets_of


def parse_vary(text: str) -> tuple[str, list[float]]:
    """``KEY=START:STOP:STEP`` (STOP included) -> (key, values)."""
    if "=" not in text:
        raise ScenarioError([Problem("--vary", text, "must be KEY=START:STOP:STEP")])
    key, spec = text.split("=", 1)
    parts = spec.split(":")
    try:
        start, stop, step = (float(parse_value(p)) for p in parts)
    except (TypeError, ValueError):
        raise ScenarioError([Problem("--vary", text, "START, STOP and STEP must be numbers")]) from None
    if len(parts) != 3:
        raise ScenarioError([Problem("--vary", text, "must be KEY=START:STOP:STEP")])
    if step <= 0 or stop < start:
        raise ScenarioError([Problem("--vary", text, "needs STEP > 0 and STOP >= START")])
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    if n > 200:
        raise ScenarioError([Problem("--vary", text, f"{n} values: at most 200")])
    values = [round(start + i * step, 10) for i in range(n)]
    if all(float(v).is_integer() for v in (start, stop, step)):
        values = [int(v) for v in values]
    return key.strip(), values


@dataclass
class Sweep:
    keys: list[str]
    table: pd.DataFrame  # varied keys, each KPI with ci, each target's verdict, people and euros (point_columns)
    results: list
    bounds: dict  # per key (1-D sweeps): smallest/largest value meeting every target

    def targets(self) -> list[dict]:
        """Every target of the sweep (per language too): its key (``kpi`` or ``kpi:language``), KPI,
        language and what it asks, as in the targets table."""
        r = self.results[0]
        text = r.targets.set_index("kpi")["target"]
        return [{"key": t.key, "kpi": t.kpi, "language": t.language, "target": text[t.key]}
                for t in targets_of(r.scenario, languages=r.languages is not None)]

    def to_json(self) -> dict:
        return {"vary": self.keys, "targets": self.targets(), "rows": json_records(self.table),
                "meets_every_target": self.bounds}


def point_columns(s, r) -> dict:
    """One point of a sweep: each KPI's mean and 95% interval; each target's (per language too)
    mean and interval, ``KEY_met`` (the mean meets it) and ``KEY_status`` (PASS / UNCERTAIN / FAIL
    from the interval), ``targets_met`` / ``targets_pass`` for all of them; and the plan's people
    and euros as `marginal` computes them (plan.marginal.people_of, plan.costs.money_of):
    agents on the phones per open interval (mean), phone and paid hours, FTE, heads, EUR a month."""
    row = {}
    summary = r.summary.set_index("kpi")
    for kpi in summary.index:  # today's KPIs and those of mechanisms the scenario uses (blocked, ...)
        row[kpi], row[f"{kpi}_ci_low"], row[f"{kpi}_ci_high"] = summary.loc[kpi, ["mean", "ci_low", "ci_high"]]
    verdicts = r.targets.set_index("kpi")  # every target, per language too (kpi:language rows)
    met = []
    for t in targets_of(s, languages=r.languages is not None):
        v = verdicts.loc[t.key]
        if t.key not in row:
            row[t.key], row[f"{t.key}_ci_low"], row[f"{t.key}_ci_high"] = v["mean"], v["ci_low"], v["ci_high"]
        row[f"{t.key}_met"] = bool(t.met(np.array([v["mean"]]))[0])
        row[f"{t.key}_status"] = v["status"]
        met.append(row[f"{t.key}_met"])
    row["targets_met"] = all(met)
    row["targets_pass"] = all(x == "PASS" for x in r.targets["status"])
    tl = build_timeline(s)
    people = people_of(s, tl, tl.iv_agents, tl.iv_measured())
    row.update(people)
    row["eur_per_month"] = money_of(s, people["fte"], people["heads"])["eur_per_month"]
    return row


def sweep(path: str, vary: list[tuple[str, list]], overrides: tuple[str, ...] = (), replications: int | None = None,
          seed: int | None = None, executor=None, progress=None) -> Sweep:
    keys = [k for k, _ in vary]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ScenarioError([Problem(f"--vary {k}", "", "the same key is varied twice: give one --vary per key")
                             for k in twice])
    points = list(itertools.product(*[v for _, v in vary]))
    scenarios = []
    for p in points:  # validate every point before running any
        try:
            scenarios.append(load_scenario(path, tuple(overrides) + tuple(f"{k}={v}" for k, v in zip(keys, p))))
        except ScenarioError as exc:  # a point's value is the --vary it comes from, not a --set
            varied = {f"--set {k}={v}": (k, v) for k, v in zip(keys, p)}
            raise ScenarioError([Problem(f"--vary {varied[q.source][0]}", q.path,
                                         f"{q.message} (at {varied[q.source][0]}={varied[q.source][1]})")
                                 if q.source in varied else q for q in exc.problems]) from None
    rows, results = [], []
    for n, (p, s) in enumerate(zip(points, scenarios), 1):
        r = runner.simulate(s, replications=replications, seed=seed, executor=executor)
        results.append(r)
        rows.append({**dict(zip(keys, p)), **point_columns(s, r)})
        if progress:
            progress(n, len(points))
    table = pd.DataFrame(rows)
    bounds = {}
    if len(keys) == 1:
        k = keys[0]
        met = table[table["targets_met"]][k]
        passed = table[table["targets_pass"]][k]
        bounds[k] = {
            "smallest_meeting": json_value(met.min()) if len(met) else None,
            "largest_meeting": json_value(met.max()) if len(met) else None,
            "smallest_passing": json_value(passed.min()) if len(passed) else None,
            "largest_passing": json_value(passed.max()) if len(passed) else None,
        }
    return Sweep(keys, table, results, bounds)
