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

from ska_sim.sim.kpi import KPI_UNITS, summarise, targets_of
from ska_sim.base.jsonable import json_value
from ska_sim.scenario.model import Problem, Scenario, ScenarioError, WEEKDAYS, load_scenario, parse_value

# --------------------------------------------------------------------------- compare
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
        from ska_sim.plan.costs import plan_people
        from ska_sim.base.jsonable import json_records

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
    from ska_sim.scenario.calendar import window_days
    from ska_sim.scenario.model import format_clock

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
    from ska_sim.sim.runner import simulate

    first = scenarios[0][1]
    per_day = check_windows(scenarios, allow_different_calendars)
    reps = replications or first.simulation.replications
    seed = first.simulation.seed if seed is None else seed
    results = []
    for k, (_, s) in enumerate(scenarios):
        results.append(simulate(s, replications=reps, seed=seed, executor=executor))
        if progress:
            progress(k + 1, len(scenarios))
    labels = [lbl for lbl, _ in scenarios]
    return Comparison(labels, results, comparison_table(labels, results, per_day), per_day)


def comparison_table(labels: list[str], results: list, per_day: bool = False) -> pd.DataFrame:
    """Per KPI: each scenario's mean and interval, and its paired difference to the first.
    ``per_day``: counts and hours divided by each scenario's measured open days."""
    rows = []
    # today's KPIs, then those of newer mechanisms (blocked, transfers, callbacks...) that every
    # compared scenario reports; a KPI only some report cannot be paired
    units = dict(zip(results[0].summary["kpi"], results[0].summary["unit"]))
    names = [k for k in units if all(k in r.per_replication.columns for r in results)]

    def values(r, kpi: str) -> np.ndarray:
        v = r.per_replication[kpi].to_numpy(dtype=float)
        return v / max(len(r.days), 1) if per_day and units[kpi] not in ("share", "s") else v

    for kpi in names:
        rate = per_day and units[kpi] not in ("share", "s")
        row = {"kpi": kpi, "unit": f"{units[kpi]} per open day" if rate else units[kpi]}
        base = values(results[0], kpi)
        for i, r in enumerate(results):
            if rate:
                mean, lo, hi = (float(x[0]) for x in summarise(values(r, kpi)[:, None]))
            else:
                s = r.summary.set_index("kpi").loc[kpi]
                mean, lo, hi = s["mean"], s["ci_low"], s["ci_high"]
            row[f"{i}:mean"], row[f"{i}:ci_low"], row[f"{i}:ci_high"] = mean, lo, hi
            if i:
                m, lo, hi = paired_difference(base, values(r, kpi))
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
        from ska_sim.base.jsonable import json_records

        return {"vary": self.keys, "rows": json_records(self.table), "meets_every_target": self.bounds}


def sweep(path: str, vary: list[tuple[str, list]], overrides: tuple[str, ...] = (), replications: int | None = None,
          seed: int | None = None, executor=None, progress=None) -> Sweep:
    from ska_sim.sim.runner import simulate

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
        for kpi in summary.index:  # today's KPIs and those of mechanisms the scenario uses (blocked, ...)
            row[kpi], row[f"{kpi}_ci_low"], row[f"{kpi}_ci_high"] = summary.loc[kpi, ["mean", "ci_low", "ci_high"]]
        statuses = list(r.targets["status"])
        means = r.targets.set_index("kpi")["mean"]  # every target, per language too (kpi:language rows)
        row["targets_met"] = all(bool(t.met(np.array([means[t.key]]))[0])
                                 for t in targets_of(s, languages=r.languages is not None))
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
            "smallest_meeting": json_value(met.min()) if len(met) else None,
            "largest_meeting": json_value(met.max()) if len(met) else None,
            "smallest_passing": json_value(passed.min()) if len(passed) else None,
            "largest_passing": json_value(passed.max()) if len(passed) else None,
        }
    return Sweep(keys, table, results, bounds)


# --------------------------------------------------------------------------- marginal value
def parse_agent_range(text: str, option: str = "--agents") -> list[int]:
    """``-2..+4`` (or ``-2:4``) -> [-2, -1, 0, 1, 2, 3, 4]; 0 is always included."""
    import re

    m = re.fullmatch(r"\s*([+-]?\d+)\s*(?:\.\.|:)\s*([+-]?\d+)\s*", text)
    if not m or int(m.group(1)) > int(m.group(2)):
        raise ScenarioError([Problem(option, text, "must be FROM..TO, e.g. -2..+4")])
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
    (for removals, where it is smallest).
    """
    out = agents.astype(np.int64).copy()
    for d in np.unique(iv_day):
        idx = np.flatnonzero(iv_day == d)
        total = int(per_day.get(int(d), 0)) if per_day is not None else k * len(idx)
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


def fte_agent_intervals(s: Scenario, tl, k: float, mask: np.ndarray | None = None) -> dict[int, int]:
    """Agent-intervals on the phones, per simulated day, that ``k`` FTE more (or fewer) buy.

    k FTE are k x the window's working-time norm in paid hours, spread evenly over the open
    intervals of the measured days (the same rate on warm-up days); each day's paid hours
    become hours on the phones through that weekday's shrinkage, rounded to whole
    agent-intervals. ``mask`` (per open interval): spread over those intervals only (``--hours``).
    """
    from ska_sim.scenario.activities import activity_share, shrinkage_shares
    from ska_sim.plan.staffing import working_time_norm_h

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

    def to_json(self) -> dict:
        from ska_sim.base.jsonable import json_records

        return {"mode": self.mode, "unit": self.unit, "group": self.group, "hours": self.hours,
                "rows": json_records(self.table)}


def parse_hours(text: str, option: str = "--hours") -> tuple[int, int]:
    """``10:00-14:00`` -> (36000, 50400), seconds since midnight; start before end."""
    from ska_sim.scenario.model import parse_clock

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


def marginal(s: Scenario, steps: list[int], mode: str = "proportional", replications: int | None = None,
             seed: int | None = None, executor=None, progress=None, unit: str = "agents", group: str | None = None,
             hours: str | None = None) -> Marginal:
    """What adding or removing k agents (for whole days), or k FTE, changes, with paired intervals.

    ``unit="agents"``: k agents on the phones in every open interval; ``unit="fte"``: k full-time
    equivalents of paid time (see :func:`fte_agent_intervals`). Every row states what the step
    costs in phone hours, paid hours, FTE and heads (one definition: :func:`ska_sim.plan.staffing.fte_of`),
    and each KPI's change against today with its paired 95% interval (common random numbers).
    Per week means per working week: the window's totals / (working days / 5).

    With [[groups]], ``group`` names the group whose agents change (the others keep theirs);
    ``hours`` ("HH:MM-HH:MM") limits the steps to the open intervals starting in those clock
    hours (k agents more in each of them; k FTE spread over them). FTE and heads are of the
    whole plan, so their change is the step's.
    """
    from ska_sim.sim.engine import Model
    from ska_sim.sim.runner import simulate
    from ska_sim.plan.staffing import LoadModel, fte_of, heads_of, paid_hours_of, with_agents, working_time_norm_h

    gcol = marginal_target(s, group)
    if unit not in ("agents", "fte"):
        raise ValueError("unit must be agents or fte")
    model = Model.from_scenario(s)
    tl = model.timeline
    full = tl.iv_group_agents if gcol is not None else None
    base_agents = full[:, gcol] if gcol is not None else tl.iv_agents
    sel = np.ones(len(tl.iv_day), dtype=bool)
    if hours is not None:
        lo, hi = parse_hours(hours)
        start = tl.iv_slot * tl.interval_s
        sel = (start >= lo) & (start < hi)
        if not (sel & tl.iv_measured()).any():
            raise ScenarioError([Problem("--hours", hours, "no open interval of the measured days starts in these hours")])
    at = np.flatnonzero(sel)
    gains = None
    if mode == "best":
        lm = LoadModel(s, model)
        src = lm
        if gcol is not None:  # the group's own calls (Erlang on separated groups)
            from ska_sim.plan.staffing_groups import group_load_models

            src = group_load_models(s, lm)[gcol]
        offered = src.first.sum(axis=1)
        aht = src.aht(src.first)
        from ska_sim.maths.erlang import erlang_result

        cache: dict = {}

        def gains(j: int, c: int) -> float:
            i = int(at[j])  # j indexes the selected intervals
            if (i, c) not in cache:
                if offered[i] <= 0:
                    cache[(i, c)] = 0.0
                else:
                    r = erlang_result(int(c), offered[i] / tl.interval_s, aht[i], lm.req.threshold_s, lm.patience_s)
                    cache[(i, c)] = (r.service_level if r.stable else 0.0) * offered[i]
            return cache[(i, c)]
    elif mode != "proportional":
        raise ValueError("mode must be proportional or best")
    m = tl.iv_measured()
    n_days = len(np.unique(tl.iv_day[m]))
    weeks = working_time_norm_h(s) / s.shrinkage.fte_hours_per_week  # working weeks in the window

    def plan(k: int) -> np.ndarray:
        per_day = fte_agent_intervals(s, tl, k, sel) if unit == "fte" else None
        col = base_agents.astype(np.int64).copy()
        col[sel] = spread_agents(base_agents[sel], tl.iv_day[sel], k, mode, gains, per_day=per_day)
        if gcol is None:
            return col
        out = full.astype(np.int64).copy()
        out[:, gcol] = col
        return out

    def summed(a: np.ndarray) -> np.ndarray:  # agents on the phones per interval, all groups
        return a.sum(axis=1) if a.ndim == 2 else a

    plans = {k: plan(k) for k in steps}
    results = {}
    rostered = model.roster is not None  # a roster with its absence draws stays; k agents are added on top
    for n, k in enumerate(steps, 1):
        if rostered:
            from ska_sim.plan.roster import with_extra

            variant = with_extra(s, plans[k] - plans[0])
        else:
            variant = with_agents(s, tl, plans[k])
        results[k] = simulate(variant, replications=replications, seed=seed, executor=executor)
        if progress:
            progress(n, len(steps))
    base = results[0].per_replication
    paid0 = paid_hours_of(s, tl, summed(plans[0]), m)
    fte0 = fte_of(s, paid0)
    rows = []
    for k in steps:
        r = results[k]
        agents = summed(plans[k])
        paid = paid_hours_of(s, tl, agents, m)
        phone = float(agents[m].sum() * tl.interval_s / 3600)
        value = fte_of(s, paid)
        row = {
            "step": k,
            "step_unit": unit,
            "agents_change": k if unit == "agents" else
            float((agents[m & sel] - summed(plans[0])[m & sel]).sum() / max(int((m & sel).sum()), 1)),
            "phone_agent_hours_per_week": _per(phone, weeks),
            "paid_agent_hours_per_week": _per(paid, weeks),
            "paid_hours_change_per_week": _per(paid - paid0, weeks),
            "fte": value,
            "fte_change": value - fte0,
            "heads": heads_of(s, value),
            "heads_change": heads_of(s, value) - heads_of(s, fte0),
        }
        row.update(_request_columns(s, tl, agents, m, weeks, value, fte0, r))
        for kpi in MARGINAL_KPIS:
            per_rep = r.per_replication[kpi].to_numpy()
            share = KPI_UNITS[kpi] == "share"
            scale = 1.0 if share else 1.0 / n_days  # counts and hours per open day
            name = kpi if share else f"{kpi}_per_day"
            row[name] = float(per_rep.mean() * scale)
            d, lo, hi = paired_difference(base[kpi].to_numpy(), per_rep)
            row[f"{name}_change"], row[f"{name}_change_ci_low"], row[f"{name}_change_ci_high"] = d * scale, lo * scale, hi * scale
            if not share:
                total = float(per_rep.mean())
                row[f"{kpi}_per_week"] = _per(total, weeks)
                row[f"{kpi}_per_week_change"] = _per(d, weeks)
                row[f"{kpi}_per_week_change_ci_low"] = _per(lo, weeks)
                row[f"{kpi}_per_week_change_ci_high"] = _per(hi, weeks)
        base_langs, langs = results[0].language_per_replication, r.language_per_replication
        for lang in (langs or {}):  # what the step buys each language's callers (paired, as above)
            for kpi in ("service_level", "answer_rate"):
                per_rep = langs[lang][kpi]
                d, lo, hi = paired_difference(base_langs[lang][kpi], per_rep)
                key = f"{kpi}:{lang}"
                row[key] = float(np.nanmean(per_rep))
                row[f"{key}_change"], row[f"{key}_change_ci_low"], row[f"{key}_change_ci_high"] = d, lo, hi
        if gcol is not None:
            row["group"] = group
            row["group_agent_hours_per_week"] = _per(float(plans[k][m, gcol].sum() * tl.interval_s / 3600), weeks)
        rows.append(row)
    return Marginal(pd.DataFrame(rows), results, mode, unit, group, hours)


def _per(value: float, weeks: float) -> float:
    return value / weeks if weeks > 0 else math.nan


def _request_columns(s: Scenario, tl, agents: np.ndarray, m: np.ndarray, weeks: float, value: float, fte0: float,
                     r) -> dict:
    """A step as a resource request (issue 9.6): the shrinkage chain's hours at work, per target
    the share of days meeting it and the share of replications whose window meets it, and with
    [costs] its euros a month and a year (costs.money_of: FTE x the month's / year's norm x rate)."""
    from ska_sim.plan.costs import money_of
    from ska_sim.plan.staffing import heads_of, shrinkage_table

    table = shrinkage_table(s, tl, agents)[m]
    out = {"hours_at_work_per_week": _per(float(table["agents_at_work"].sum() * tl.interval_s / 3600), weeks)}
    for t in r.targets.itertuples():
        out[f"{t.kpi}_status"] = t.status
        out[f"{t.kpi}_days_met_share"] = t.days_met_share
        out[f"{t.kpi}_replications_met_share"] = t.replications_met_share
    if s.costs is not None:
        money, money0 = money_of(s, value, heads_of(s, value)), money_of(s, fte0)
        out["eur_per_month"] = money["eur_per_month"]
        out["eur_per_year"] = money["eur_per_year"]
        out["eur_per_month_change"] = money["eur_per_month"] - money0["eur_per_month"]
        out["eur_per_year_change"] = money["eur_per_year"] - money0["eur_per_year"]
    return out
