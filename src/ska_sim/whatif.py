"""What-ifs: compare scenarios, sweep a key, and the marginal value of an agent.

Every scenario of a comparison runs with the same seed: replication i of each sees the same
first callers (common random numbers, DESIGN.md). Differences are taken replication by
replication and get a paired 95% Student-t interval, much narrower than the difference of
two independent intervals; a difference is significant when its interval excludes 0.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .kpi import KPI_NAMES, KPI_UNITS, summarise, targets_of
from .scenario import Problem, Scenario, ScenarioError, WEEKDAYS, load_scenario, parse_value

# --------------------------------------------------------------------------- compare
@dataclass
class Variant:
    """A scenario file with its own overrides, and the label tables show for it."""

    path: str
    overrides: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        name = Path(self.path).name
        return " ".join([name, *[f"--set {o}" for o in self.overrides]])

    def load(self, common: tuple[str, ...] = ()) -> Scenario:
        return load_scenario(self.path, tuple(common) + tuple(self.overrides))


def parse_variants(tokens: list[str]) -> tuple[list[Variant], tuple[str, ...]]:
    """``A.toml --set k=v B.toml A.toml --set staffing.scale=1.1`` -> variants; a --set before
    the first file applies to all of them."""
    variants: list[Variant] = []
    common: list[str] = []
    it = iter(tokens)
    for tok in it:
        if tok == "--set" or tok.startswith("--set="):
            value = tok.split("=", 1)[1] if tok.startswith("--set=") else next(it, None)
            if value is None:
                raise ScenarioError([Problem("--set", "", "needs KEY.PATH=VALUE")])
            if variants:
                variants[-1].overrides += (value,)
            else:
                common.append(value)
        elif tok.startswith("-"):
            raise ScenarioError([Problem(tok, "", "unknown option here")])
        else:
            variants.append(Variant(tok))
    return variants, tuple(common)


@dataclass
class Comparison:
    labels: list[str]
    results: list  # SimulationResult per variant
    table: pd.DataFrame  # kpi, unit, then per variant mean/ci, and differences to the first

    def to_json(self) -> dict:
        from .results import _records

        return {
            "scenarios": self.labels,
            "seed": self.results[0].seed,
            "replications": self.results[0].replications,
            "kpis": _records(self.table),
            "targets": {label: _records(r.targets) for label, r in zip(self.labels, self.results)},
        }


def paired_difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean of b - a over replications and its 95% Student-t interval (paired)."""
    d = np.asarray(b, float) - np.asarray(a, float)
    mean, lo, hi = summarise(d[:, None])
    return float(mean[0]), float(lo[0]), float(hi[0])


def compare(scenarios: list[tuple[str, Scenario]], replications: int | None = None, seed: int | None = None,
            executor=None, progress=None) -> Comparison:
    from .runner import simulate

    first = scenarios[0][1]
    reps = replications or first.simulation.replications
    seed = first.simulation.seed if seed is None else seed
    results = []
    for k, (_, s) in enumerate(scenarios):
        results.append(simulate(s, replications=reps, seed=seed, executor=executor))
        if progress:
            progress(k + 1, len(scenarios))
    return Comparison([lbl for lbl, _ in scenarios], results, comparison_table([lbl for lbl, _ in scenarios], results))


def comparison_table(labels: list[str], results: list) -> pd.DataFrame:
    rows = []
    base = results[0].per_replication
    for kpi in KPI_NAMES:
        row = {"kpi": kpi, "unit": KPI_UNITS[kpi]}
        for i, r in enumerate(results):
            s = r.summary.set_index("kpi").loc[kpi]
            row[f"{i}:mean"], row[f"{i}:ci_low"], row[f"{i}:ci_high"] = s["mean"], s["ci_low"], s["ci_high"]
            if i:
                m, lo, hi = paired_difference(base[kpi].to_numpy(), r.per_replication[kpi].to_numpy())
                row[f"{i}:diff"], row[f"{i}:diff_ci_low"], row[f"{i}:diff_ci_high"] = m, lo, hi
                row[f"{i}:significant"] = bool(not (math.isnan(lo) or lo <= 0 <= hi)) if m == m else False
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- sweep
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
    table: pd.DataFrame  # varied keys, then each KPI with ci, then targets_met / targets_pass
    results: list
    bounds: dict  # per key (1-D sweeps): smallest/largest value meeting every target

    def to_json(self) -> dict:
        from .results import _records

        return {"vary": self.keys, "rows": _records(self.table), "meets_every_target": self.bounds}


def sweep(path: str, vary: list[tuple[str, list]], overrides: tuple[str, ...] = (), replications: int | None = None,
          seed: int | None = None, executor=None, progress=None) -> Sweep:
    from .runner import simulate

    keys = [k for k, _ in vary]
    points = list(itertools.product(*[v for _, v in vary]))
    scenarios = []
    for p in points:  # validate every point before running any
        scenarios.append(load_scenario(path, tuple(overrides) + tuple(f"{k}={v}" for k, v in zip(keys, p))))
    rows, results = [], []
    for n, (p, s) in enumerate(zip(points, scenarios), 1):
        r = simulate(s, replications=replications, seed=seed, executor=executor)
        results.append(r)
        row = dict(zip(keys, p))
        summary = r.summary.set_index("kpi")
        for kpi in KPI_NAMES:
            row[kpi], row[f"{kpi}_ci_low"], row[f"{kpi}_ci_high"] = summary.loc[kpi, ["mean", "ci_low", "ci_high"]]
        statuses = list(r.targets["status"])
        row["targets_met"] = all(t.met(np.array([summary.loc[t.kpi, "mean"]]))[0] for t in targets_of(s))
        row["targets_pass"] = all(x == "PASS" for x in statuses)
        rows.append(row)
        if progress:
            progress(n, len(points))
    table = pd.DataFrame(rows)
    bounds = {}
    if len(keys) == 1:
        k = keys[0]
        met = table[table["targets_met"]][k]
        passed = table[table["targets_pass"]][k]
        bounds[k] = {
            "smallest_meeting": _num(met.min()) if len(met) else None,
            "largest_meeting": _num(met.max()) if len(met) else None,
            "smallest_passing": _num(passed.min()) if len(passed) else None,
            "largest_passing": _num(passed.max()) if len(passed) else None,
        }
    return Sweep(keys, table, results, bounds)


def _num(x):
    from .results import _num as num

    return num(x)


# --------------------------------------------------------------------------- marginal value
def parse_agent_range(text: str) -> list[int]:
    """``-2..+4`` (or ``-2:4``) -> [-2, -1, 0, 1, 2, 3, 4]; 0 is always included."""
    import re

    m = re.fullmatch(r"\s*([+-]?\d+)\s*(?:\.\.|:)\s*([+-]?\d+)\s*", text)
    if not m or int(m.group(1)) > int(m.group(2)):
        raise ScenarioError([Problem("--agents", text, "must be FROM..TO, e.g. -2..+4")])
    lo, hi = int(m.group(1)), int(m.group(2))
    if hi - lo > 40:
        raise ScenarioError([Problem("--agents", text, "at most 40 steps")])
    return sorted(set(range(lo, hi + 1)) | {0})


def spread_agents(agents: np.ndarray, iv_day: np.ndarray, k: int, mode: str, gains=None) -> np.ndarray:
    """k more (or fewer) agents for the whole day, as agent-intervals: k x intervals per day.

    ``proportional``: in proportion to the current staffing (largest remainders);
    ``best``: one agent-interval at a time where ``gains(interval, agents)`` is largest
    (for removals, where it is smallest).
    """
    out = agents.astype(np.int64).copy()
    for d in np.unique(iv_day):
        idx = np.flatnonzero(iv_day == d)
        total = k * len(idx)
        if total == 0:
            continue
        if mode == "proportional":
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


@dataclass
class Marginal:
    table: pd.DataFrame
    results: dict  # k -> SimulationResult
    mode: str

    def to_json(self) -> dict:
        from .results import _records

        return {"mode": self.mode, "rows": _records(self.table)}


MARGINAL_KPIS = ("service_level", "answer_rate", "answered", "abandoned", "repeat_calls", "waiting_hours")


def marginal(s: Scenario, steps: list[int], mode: str = "proportional", replications: int | None = None,
             seed: int | None = None, executor=None, progress=None) -> Marginal:
    """What adding or removing k agents (for whole days) changes, with paired intervals."""
    from .engine import Model
    from .runner import simulate
    from .staffing import LoadModel, with_agents

    model = Model.from_scenario(s)
    tl = model.timeline
    base_agents = tl.iv_agents
    gains = None
    if mode == "best":
        lm = LoadModel(s, model)
        offered = lm.first.sum(axis=1)
        aht = lm.aht(lm.first)
        from .erlang import erlang_result

        cache: dict = {}

        def gains(i: int, c: int) -> float:
            if (i, c) not in cache:
                r = erlang_result(int(c), offered[i] / tl.interval_s, aht[i], lm.req.threshold_s, lm.patience_s)
                cache[(i, c)] = (r.service_level if r.stable else 0.0) * offered[i]
            return cache[(i, c)]
    elif mode != "proportional":
        raise ValueError("mode must be proportional or best")
    m = tl.iv_measured()
    n_days = len(np.unique(tl.iv_day[m]))
    weeks = max(n_days / 5, 1e-9)  # a working week of five open days
    in_shift = np.array([s.shrinkage.shares(WEEKDAYS[tl.dates[d].weekday()]) for d in tl.iv_day])
    paid_factor = 1 / ((1 - in_shift[:, 0]) * (1 - in_shift[:, 1]))
    results = {}
    rows = []
    for n, k in enumerate(steps, 1):
        agents = spread_agents(base_agents, tl.iv_day, k, mode, gains)
        r = simulate(with_agents(s, tl, agents), replications=replications, seed=seed, executor=executor)
        results[k] = r
        if progress:
            progress(n, len(steps))
    base = results[0].per_replication
    for k in steps:
        r = results[k]
        agents = spread_agents(base_agents, tl.iv_day, k, mode, gains)
        hours = float((agents[m] * paid_factor[m]).sum() * tl.interval_s / 3600)
        row = {"agents_change": k, "paid_agent_hours_per_week": hours / weeks,
               "phone_agent_hours_per_week": float(agents[m].sum() * tl.interval_s / 3600) / weeks}
        for kpi in MARGINAL_KPIS:
            per_rep = r.per_replication[kpi].to_numpy()
            scale = 1.0 if KPI_UNITS[kpi] == "share" else 1.0 / n_days  # counts and hours per day
            row[kpi if KPI_UNITS[kpi] == "share" else f"{kpi}_per_day"] = float(per_rep.mean() * scale)
            d, lo, hi = paired_difference(base[kpi].to_numpy(), per_rep)
            name = kpi if KPI_UNITS[kpi] == "share" else f"{kpi}_per_day"
            row[f"{name}_change"], row[f"{name}_change_ci_low"], row[f"{name}_change_ci_high"] = d * scale, lo * scale, hi * scale
        row["waiting_hours_per_week"] = row["waiting_hours_per_day"] * 5
        row["abandoned_per_week"] = row["abandoned_per_day"] * 5
        row["answered_per_week"] = row["answered_per_day"] * 5
        rows.append(row)
    return Marginal(pd.DataFrame(rows), results, mode)
