"""Speed of the engine's general path (issue 8) against today's single-group path, on the
same scenario: the SKA baseline's week (its warm-up included), 20 replications, one process.

    python benchmarks/groups.py [--replications 20]

Rows:
- ``today``: the baseline on today's engine (Replication), the path every scenario without
  issue 8's keys takes;
- ``general, 1 group``: the same model forced onto the general code (GroupReplication),
  which gives the same counts (tests/test_groups_engine.py);
- ``general, 3 groups``: the baseline with Estonian/Russian/English calls and three groups
  (et_general, ru_general with overflow after 60 s, family specialists with priority),
  the baseline's agents split 55/30/15%, and 60 phone lines.

Calls per second = offered calls / wall time of the simulation loop (the scenario is loaded
and the model built once, outside the timing).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ska_sim import scenario_from_dict  # noqa: E402
from ska_sim.sim.engine import GroupReplication, Model, Replication  # noqa: E402
from ska_sim.scenario.load import read_toml  # noqa: E402


def week() -> dict:
    d = read_toml(ROOT / "scenarios" / "baseline.toml")
    d["calendar"]["days"] = 7
    return d


def three_groups(d: dict) -> dict:
    d = copy.deepcopy(d)
    agents = d["staffing"].pop("agents")
    d["staffing"].pop("dates", None)

    def part(share: float) -> dict:
        return {k: [max(1, round(a * share)) for a in v] for k, v in agents.items()}

    d["languages"] = {"et": {"share": 0.68}, "ru": {"share": 0.27, "talk_factor": 1.05},
                      "en": {"share": 0.05, "talk_factor": 1.1}}
    d["groups"] = [
        {"name": "et_general", "languages": ["et", "en"], "agents": part(0.55)},
        {"name": "ru_general", "languages": ["ru", "et"], "agents": part(0.30), "overflow_after_s": 60},
        {"name": "family_specialists", "call_types": ["family_benefits", "eu_family_benefits"],
         "agents": part(0.15), "handle_factor": 0.9, "resolution_factor": 1.1,
         "priority": {"family_benefits": 2, "eu_family_benefits": 2}},
    ]
    d["routing"] = {"order": {"family_benefits": ["family_specialists", "et_general", "ru_general"],
                              "eu_family_benefits": ["family_specialists", "et_general", "ru_general"]}}
    d["lines"] = {"count": 60}
    return d


def measure(label: str, model: Model, cls, reps: int) -> dict:
    seed = 2026
    calls = 0
    t0 = time.perf_counter()
    for i in range(reps):
        rc = cls(model, np.random.SeedSequence(seed, spawn_key=(i,))).run()
        calls += int(rc.counts["offered"].sum())
    s = time.perf_counter() - t0
    return {"label": label, "seconds": s, "calls": calls, "calls_per_s": calls / s}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replications", type=int, default=20)
    args = ap.parse_args()
    d = week()
    today = Model.from_scenario(scenario_from_dict(d))
    groups = Model.from_scenario(scenario_from_dict(three_groups(d)))
    rows = [
        measure("today", today, Replication, args.replications),
        measure("general, 1 group", today, GroupReplication, args.replications),
        measure("general, 3 groups", groups, GroupReplication, args.replications),
    ]
    print(f"baseline week (+{d['calendar'].get('warmup_days', 0)} warm-up days), {args.replications} replications, one process")
    print(f"{'path':<20} {'wall s':>8} {'calls (measured)':>17} {'calls/s':>10}")
    for r in rows:
        print(f"{r['label']:<20} {r['seconds']:8.2f} {r['calls']:17,d} {r['calls_per_s']:10,.0f}")


if __name__ == "__main__":
    main()
