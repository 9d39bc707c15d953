"""`staff` with written work (``[[written]]``) and a ``written_on_time`` target: the agents the
written work takes, on top of the agents the calls' plan needs.

The calls' plans (Erlang, simulation) are found on the scenario without its dedicated kinds
(:func:`calls_scenario`), so their agents are the agents the calls need on the phones. Then:

- **a dedicated kind**: the smallest number of dedicated agents in its hours whose simulated
  share on time meets the target, searched from the work's load (items x handling over the
  dedicated hours a day, rounded down) up and down by one; the plan's agents in those hours are
  raised by that number (the engine takes them off the phones, leaving the calls' agents);
- **blended kinds**: the smallest number of agents added in every open interval that makes the
  simulation meet the written target and the calls' targets (the window's means) together.

With [[groups]] the plans are (intervals, groups): a dedicated kind's agents are added to its
group's column (``dedicated.group``, else the first group), the blending agents to the column of
every group that blends a kind (``blend.group``, else the first group), one each per step.

Every plan compared gets the same written agents on top, so they are paid as the plan's other
agents are (plan.plan_figures prices the agents grid, dedicated agents included).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ska_sim.plan.by_simulation import with_agents
from ska_sim.plan.load import Plan
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.timeline import Timeline
from ska_sim.sim import runner
from ska_sim.sim.engine.written import written_model
from ska_sim.sim.targets import targets_of

MAX_STEPS = 20  # the most simulations one kind's search (or the blending search) may take


@dataclass
class WrittenStaffing:
    """What the written work takes: ``scenario`` (the scenario with the dedicated agents found),
    ``extra`` (agents per open interval, and group with [[groups]], added to every calls' plan), ``lines`` (what was found,
    in words, one per kind or for the blending)."""

    scenario: Scenario
    extra: np.ndarray
    lines: list[str]

    def text(self) -> str:
        return "written work: " + "; ".join(self.lines) if self.lines else ""


def written_target(s: Scenario) -> float | None:
    """The ``written_on_time`` target's share when the scenario has [[written]] and one; else None."""
    if not s.written:
        return None
    t = [t for t in targets_of(s) if t.kpi == "written_on_time"]
    return t[0].low if t else None


def calls_scenario(s: Scenario) -> Scenario:
    """The scenario without its dedicated kinds: the calls' plans are searched on it (without the
    written target when no kind is left)."""
    kinds = [w for w in s.written if w.dedicated is None]
    targets = s.targets if kinds else s.targets.model_copy(update={"written_on_time": None})
    return s.model_copy(update={"written": kinds, "targets": targets})


def kind_on_time(r, name: str) -> float:
    """A kind's simulated share on time (NaN when nothing fell due)."""
    table = r.written.set_index("kind")
    return float(table.loc[name, "written_on_time"])


def calls_met(r) -> bool:
    """Every calls' target met by the simulated window mean."""
    ok = True
    for t in targets_of(r.scenario):
        if t.kpi == "written_on_time" or t.language is not None:
            continue
        v = r.kpi(t.kpi)
        ok = ok and (math.isnan(v) or bool(t.met(np.array([v]))[0]))
    return ok


def dedicated_load(s: Scenario, k: int) -> int:
    """Kind ``k``'s agents by its load: the mean day's items x mean handling over its dedicated
    hours a day, rounded down (at least 1)."""
    w = s.written[k]
    day_s = w.dedicated.hours.close_s - w.dedicated.hours.open_s
    return max(1, int(w.daily_items * w.handling.build().mean / day_s))


def staff_written(s: Scenario, tl: Timeline, calls_agents: np.ndarray, replications: int | None = None,
                  seed: int | None = None, workers: int = 1, executor=None, say=None) -> WrittenStaffing:
    """The written work's agents on top of ``calls_agents`` (the calls' plan, per open interval):
    see the module. ``s`` has [[written]] and a ``written_on_time`` target (:func:`written_target`)."""
    say = say or (lambda msg: None)
    target = written_target(s)
    calls_agents = np.asarray(calls_agents, dtype=np.int64)
    extra = np.zeros(calls_agents.shape, dtype=np.int64)
    lines: list[str] = []
    kinds = list(s.written)
    model = written_model(s, tl)
    iv_mask = [added(calls_agents, w.iv_mask, w.group) for w in model.kinds]
    blending = sum((added(calls_agents, np.ones(len(calls_agents), bool), g)
                    for g in sorted({w.group for w in model.kinds if w.reserve is not None})),
                   np.zeros(calls_agents.shape, dtype=np.int64))

    def simulate(kinds_now, agents):
        scen = with_agents(s.model_copy(update={"written": kinds_now}), tl, agents)
        return runner.simulate(scen, replications=replications, seed=seed, workers=workers, executor=executor)

    for k, w in enumerate(s.written):
        if w.dedicated is not None and w.dedicated.activity is not None:  # the roster's people: nothing to search
            lines.append(f"{w.name} is worked in the roster's {w.dedicated.activity!r} blocks: judged on the "
                         "scenario's own plan (the plans of agents per interval place no blocks)")
            continue
        if w.dedicated is None:
            continue
        say(f"written work: dedicated agents for {w.name}")

        def trial(n: int, k=k, w=w):
            kinds[k] = w.model_copy(update={"dedicated": w.dedicated.model_copy(update={"agents": n})})
            r = simulate(kinds, calls_agents + extra + n * iv_mask[k])
            return kind_on_time(r, w.name)

        n = dedicated_load(s, k)
        tried = {n: trial(n)}
        step = 1 if not ok(tried[n], target) else -1
        while len(tried) < MAX_STEPS:
            nxt = n + step
            if nxt < 1:
                break
            tried[nxt] = trial(nxt)
            if step == 1 and ok(tried[nxt], target):
                n = nxt
                break
            if step == -1 and not ok(tried[nxt], target):
                break
            n = nxt
        met = ok(tried[n], target)
        kinds[k] = w.model_copy(update={"dedicated": w.dedicated.model_copy(update={"agents": n})})
        extra = extra + n * iv_mask[k]
        h0, h1 = w.dedicated.hours.label()
        grp = f" of group {w.dedicated.group or s.groups[0].name}" if s.groups else ""
        lines.append(f"{n} dedicated agent{'s' if n > 1 else ''}{grp} {h0}-{h1} for {w.name} "
                     f"{'meet' if met else 'miss (search stopped)'} {target:.0%} on time: {tried[n]:.1%}")
    if any(w.blend is not None for w in s.written):
        say("written work: agents for the blended kinds")
        add, r = 0, simulate(kinds, calls_agents + extra)
        while not (ok(r.kpi("written_on_time"), target) and calls_met(r)) and add < MAX_STEPS:
            add += 1
            r = simulate(kinds, calls_agents + extra + add * blending)
        met = ok(r.kpi("written_on_time"), target) and calls_met(r)
        extra = extra + add * blending
        where = f" of {blend_groups(s)}" if s.groups else ""
        lines.append(f"{add} agent{'s' if add != 1 else ''}{where} more in every open interval for the blended kinds "
                     f"{'meet' if met else 'miss (search stopped)'} {target:.0%} on time with the calls' targets: "
                     f"{r.kpi('written_on_time'):.1%}")
    return WrittenStaffing(without_activity_kinds(s.model_copy(update={"written": kinds})), extra, lines)


def without_activity_kinds(s: Scenario) -> Scenario:
    """The scenario for plans of agents per interval: without the kinds worked in a roster's
    activity blocks (such a plan places none), and without the written target when no kind is left."""
    kinds = [w for w in s.written if w.dedicated is None or w.dedicated.activity is None]
    if len(kinds) == len(s.written):
        return s
    targets = s.targets if kinds else s.targets.model_copy(update={"written_on_time": None})
    return s.model_copy(update={"written": kinds, "targets": targets})


def ok(value: float, target: float) -> bool:
    """A share on time meets the target (nothing due: met)."""
    return math.isnan(value) or value >= target - 1e-12


def added(agents: np.ndarray, mask: np.ndarray, group: int) -> np.ndarray:
    """1 in the open intervals of ``mask`` (in column ``group`` when ``agents`` is (intervals,
    groups)), 0 elsewhere: the shape of ``agents``."""
    out = np.zeros(agents.shape, dtype=np.int64)
    if agents.ndim == 1:
        out[:] = np.asarray(mask, dtype=np.int64)
    else:
        out[:, group] = np.asarray(mask, dtype=np.int64)
    return out


def blend_groups(s: Scenario) -> str:
    """The groups whose agents blend written work, in words ('group ga', 'groups ga and gb')."""
    names = sorted({w.blend.group or s.groups[0].name for w in s.written if w.blend is not None},
                   key=[g.name for g in s.groups].index)
    return ("group " if len(names) == 1 else "groups ") + " and ".join(names)


def on_top(p: Plan, extra) -> Plan:
    """Plan ``p`` with ``extra`` agents per open interval (and group) added (the written work's)."""
    return dataclasses.replace(p, agents=p.agents + extra)


def with_written(result, s_plan: Scenario, found: WrittenStaffing | None):
    """``result`` (a StaffingResult) with the scenario its plans are simulated on and the written
    work's agents in words."""
    result.plan_scenario = s_plan
    result.written_work = found.text() if found is not None else ""
    return result
