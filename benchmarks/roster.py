"""How long the roster's integer program takes: the SKA baseline's requirement (Erlang, interval
scope) over 1 and 4 weeks, N identical full-time people (5 on / 2 off, weekends off), the
example shifts (scenarios/shifts-example.toml). Prints people, weeks, binaries, constraints,
solve seconds, paid hours and shortfall.

    .venv/bin/python benchmarks/roster.py [--people 40 60] [--weeks 1 4]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ska_sim.plan.roster import solve_roster
from ska_sim.scenario.roster_agents import residual_share
from ska_sim.scenario.clock import WEEKDAYS
from ska_sim.scenario.load import read_toml, scenario_from_dict
from ska_sim.scenario.shifts import load_shifts
from ska_sim.plan.requirement import erlang_plan
from ska_sim.scenario.timeline import build_timeline

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, nargs="+", default=[40, 60])
    ap.add_argument("--weeks", type=int, nargs="+", default=[1, 4])
    args = ap.parse_args()
    shifts = load_shifts(ROOT / "scenarios" / "shifts-example.toml")
    print(f"{'people':>6} {'weeks':>5} {'binaries':>8} {'rows':>6} {'solve_s':>7} {'total_s':>7} {'paid_h':>7} {'short':>6}")
    for weeks in args.weeks:
        for n in args.people:
            d = read_toml(ROOT / "scenarios" / "baseline.toml")
            d["calendar"]["days"] = 7 * weeks
            d["roster"] = {"weeks": weeks, "people": [{"name": "advisor", "count": n}]}
            s = scenario_from_dict(d)
            t0 = time.perf_counter()
            tl = build_timeline(s)
            phones = erlang_plan(s, "interval").agents
            resid = np.array([residual_share(s, WEEKDAYS[tl.dates[x].weekday()], False) for x in tl.iv_day])
            plan = solve_roster(s, shifts, tl, np.ceil(phones / (1 - resid) - 1e-9), weeks)
            total = time.perf_counter() - t0
            i = plan.info
            print(f"{n:>6} {weeks:>5} {i['binaries']:>8} {i['constraints']:>6} {i['solve_s']:>7.1f} {total:>7.1f} "
                  f"{i['paid_hours']:>7.0f} {i['shortfall_agent_intervals']:>6.1f}")


if __name__ == "__main__":
    main()
