"""Speed of the engine's single pool and of its routed path, on the SKA baseline's week (its
warm-up included), in one run against the code before the "One house" issue (761a609).

    python benchmarks/groups.py [--replications 5] [--rounds 9] [--before COMMIT]

Cases (each run in old and new code, alternating, in fresh interpreters; benchmarks/ab.py):
- ``single pool``: the baseline as its scenario runs it (no groups);
- ``1 group, every skill``: the baseline with its agents as one ``[[groups]]`` entry that takes
  every call, as a scenario runs it (``simulate_replication``; old: the groups path, new: the
  parts chosen when the replication is built, here the single pool);
- ``routed pool, 1 group`` (information): the same, forced onto the routed pool (old:
  GroupReplication; new: ``Replication(..., routed=True)``);
- ``3 groups, lines, languages`` (information): the baseline with Estonian/Russian/English
  calls and three groups (et_general, ru_general with overflow after 60 s, family
  specialists with priority), the baseline's agents split 55/30/15%, and 60 phone lines;
- ``skills-languages.toml`` (information): that scenario as written (its week and warm-up, six
  groups, three languages, lines, callbacks, blended written work): the planning page's skills
  load test runs it; "n/a" for code that cannot read the file as it is now.

Calls per second = offered calls / CPU time of the simulation loop (the scenario is loaded
and the model built once, outside the timing; CPU time, not wall time, so that other
processes on a shared machine disturb the comparison less). Printed ratios: new single pool / old single
pool (target >= 0.95) and new 1-group / new single pool (target >= 0.8).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ab

CASES = ("single pool", "1 group, every skill", "routed pool, 1 group", "3 groups, lines, languages",
         "skills-languages.toml")
SKILLS = "skills-languages.toml"  # the scenario as written (its week, groups, languages, blended written work)


def week(root: Path) -> dict:
    from ska_sim.scenario import read_toml

    d = read_toml(root / "scenarios" / "baseline.toml")
    d["calendar"]["days"] = 7
    # the same model in both codes: the written work the baseline gained later (blended between
    # calls: more work per call, and [[groups]] would have to name who does it) is left out
    d.pop("written", None)
    d.get("targets", {}).pop("written_on_time", None)
    return d


def one_group(d: dict) -> dict:
    """The baseline with its agents given as one [[groups]] entry that takes every call."""
    d = copy.deepcopy(d)
    st = d["staffing"]
    d["groups"] = [{"name": "everyone", "agents": st.pop("agents"), "dates": st.pop("dates", {})}]
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


def run_child(root: Path, case: str, reps: int) -> dict:
    """In a measurement child: time ``reps`` replications of ``case`` with the code on PYTHONPATH."""
    import numpy as np

    from ska_sim import scenario_from_dict

    engine = ab.engine_module()
    d = week(root)
    old = hasattr(engine, "GroupReplication")
    if case == SKILLS:
        from ska_sim import load_scenario

        try:  # (the file as this checkout has it: code older than its keys cannot read it)
            model = engine.Model.from_scenario(load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / SKILLS))
        except Exception as exc:  # noqa: BLE001 - any refusal: that code has no figure for the case
            return {"seconds": math.nan, "wall_s": math.nan, "calls": 0, "calls_per_s": math.nan,
                    "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"}
        make = engine.simulate_replication
    elif case == "3 groups, lines, languages":
        model = engine.Model.from_scenario(scenario_from_dict(three_groups(d)))
        make = engine.simulate_replication
    elif case == "single pool":
        model = engine.Model.from_scenario(scenario_from_dict(d))
        make = engine.simulate_replication
    else:  # the scenario as a user writes one group with every skill: one [[groups]] entry
        model = engine.Model.from_scenario(scenario_from_dict(one_group(d)))
        if case == "1 group, every skill":
            make = engine.simulate_replication  # the path the scenario takes
        elif old:
            def make(m, s):
                return engine.GroupReplication(m, s).run()
        else:
            def make(m, s):
                return engine.Replication(m, s, routed=True).run()
    calls = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(reps):
        rc = make(model, np.random.SeedSequence(2026, spawn_key=(i,)))
        calls += int(rc.counts["offered"].sum())
    s = time.process_time() - c0
    return {"seconds": s, "wall_s": time.perf_counter() - t0, "calls": calls, "calls_per_s": calls / s}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replications", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--before", default=ab.BEFORE, help="the commit of the old code (default: before the One house issue)")
    ap.add_argument("--child", nargs=2, metavar=("ROOT", "CASE"))
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_child(Path(args.child[0]), args.child[1], args.replications)))
        return
    trees = ab.trees(args.before)
    here = Path(__file__).resolve()
    best = ab.alternate(args.rounds, list(CASES),
                        lambda code, case: ab.child(here, trees[code], [case, "--replications", str(args.replications)]))
    print(f"baseline week (+ warm-up days), {args.replications} replications per run, median of {args.rounds} "
          f"runs per cell (calls per CPU second), old = {args.before}, new = this checkout; CPU: {ab.cpu_model()}")
    print(f"{'case':<28} {'old calls/s':>12} {'new calls/s':>12} {'new/old':>8}")
    for case in CASES:
        o, n = best[("old", case)], best[("new", case)]
        if "error" in o:
            print(f"{case:<28} {'n/a':>12} {n['calls_per_s']:12,.0f}      n/a  (the old code: {o['error']})")
            continue
        print(f"{case:<28} {o['calls_per_s']:12,.0f} {n['calls_per_s']:12,.0f} {n['calls_per_s'] / o['calls_per_s']:8.3f}")
    speed = {key: r["calls_per_s"] for key, r in best.items()}
    single = speed[("new", "single pool")]
    print(f"new single pool / old single pool: {single / speed[('old', 'single pool')]:.3f}  (target >= 0.95)")
    print(f"new 1 group, every skill / new single pool: {speed[('new', '1 group, every skill')] / single:.3f}"
          f"  (target >= 0.8; old: {speed[('old', '1 group, every skill')] / speed[('old', 'single pool')]:.3f})")
    print(f"new routed pool, 1 group / new single pool: {speed[('new', 'routed pool, 1 group')] / single:.3f}"
          f"  (information; old: {speed[('old', 'routed pool, 1 group')] / speed[('old', 'single pool')]:.3f})")
    print(f"new 3 groups, lines, languages / new single pool: {speed[('new', '3 groups, lines, languages')] / single:.3f}"
          f"  (information; old: {speed[('old', '3 groups, lines, languages')] / speed[('old', 'single pool')]:.3f})")


if __name__ == "__main__":
    main()
