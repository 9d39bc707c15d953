"""Speed of patience per call type and of talk / patience factors by period.

    python benchmarks/type_patience.py [--days 40] [--rounds 7] [--before COMMIT]

The baseline scenario (5 call types, redials and repeat calls) on the single pool and on the
routed pool (``routed=True``), simulated as written (A), with every call type given [patience]
as its own (E: the same calls as A, the mechanism's cost alone), with a patience of its own for
every call type (B: 5 distinct patience distributions, so other calls abandon and redial), and
with those plus talk and patience factors by period (C); they alternate in one process (A, E,
B, C, C, B, E, A, ...) and the median of the rounds counts. Prints E / A, B / A and C / A in
calls per CPU second of the simulation loop (target >= 0.8). ``--before`` also times A with the code of COMMIT against this checkout in fresh
interpreters (benchmarks/ab.py): a scenario without the keys runs at the speed it had.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ab

PATIENCE = [{"dist": "lognormal", "mean_s": m, "cv": 1.0} for m in (90, 120, 150, 180, 240)]
PERIODS = [{"hours": ["09:00", "12:00"], "factor": 1.2}, {"hours": ["12:00", "17:00"], "factor": 0.8}]


def scenario(days: int, variant: str):
    if not ab.in_child():
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from ska_sim import scenario_from_dict
    from ska_sim.scenario.load import read_toml

    d = read_toml(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml")
    d["calendar"]["days"] = days
    if variant == "E":
        for ct in d["call_types"]:
            ct["patience"] = copy.deepcopy(d["patience"])
    if variant in ("B", "C"):
        for ct, p in zip(d["call_types"], PATIENCE):
            ct["patience"] = copy.deepcopy(p)
    if variant == "C":
        for ct in d["call_types"]:
            ct["talk_factor_by_period"] = copy.deepcopy(PERIODS)
            ct["patience_factor_by_period"] = copy.deepcopy(PERIODS)
    return scenario_from_dict(d)


def measure(days: int, variant: str, routed: bool, seed: int = 1) -> dict:
    """Calls and CPU seconds of one replication's loop (model built before the clock starts)."""
    import numpy as np

    engine = ab.engine_module()
    model = engine.Model.from_scenario(scenario(days, variant))
    rep = engine.Replication(model, np.random.SeedSequence(seed), routed=routed) if routed else \
        engine.Replication(model, np.random.SeedSequence(seed))
    t0 = time.process_time()
    counts = rep.run()
    dt = time.process_time() - t0
    calls = float(counts.counts["offered"].sum())
    return {"calls": calls, "s": dt, "rate": calls / dt}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--before", default=None)
    ap.add_argument("--child", default=None)
    ap.add_argument("--routed", action="store_true")
    args = ap.parse_args()
    if args.child is not None:  # a measurement child: variant A with whichever code is on the path
        print(json.dumps(measure(args.days, "A", args.routed)))
        return
    for routed in (False, True):
        rates: dict[str, list[float]] = {"A": [], "E": [], "B": [], "C": []}
        for r in range(args.rounds):
            order = ("A", "E", "B", "C") if r % 2 == 0 else ("C", "B", "E", "A")
            for v in order:
                rates[v].append(measure(args.days, v, routed)["rate"])
        med = {v: statistics.median(x) for v, x in rates.items()}
        pool = "routed" if routed else "single"
        print(f"{pool} pool: calls per CPU s A {med['A']:,.0f}, E {med['E']:,.0f}, B {med['B']:,.0f}, "
              f"C {med['C']:,.0f}; E / A {med['E'] / med['A']:.3f}, B / A {med['B'] / med['A']:.3f}, "
              f"C / A {med['C'] / med['A']:.3f}")
        if args.before:
            trees = {"old": ab.old_tree(args.before), "new": ab.ROOT}
            got: dict[str, list[float]] = {"old": [], "new": []}
            for r in range(args.rounds):
                for name in (("old", "new") if r % 2 == 0 else ("new", "old")):
                    extra = ["--days", str(args.days)] + (["--routed"] if routed else [])
                    got[name].append(ab.child(Path(__file__).resolve(), trees[name], extra)["rate"])
            old, new = statistics.median(got["old"]), statistics.median(got["new"])
            print(f"{pool} pool without the keys: {args.before} {old:,.0f}, this checkout {new:,.0f} calls per CPU s; "
                  f"new / old {new / old:.3f}")


if __name__ == "__main__":
    main()
