"""Speed of written work (``[[written]]``): (1) the baseline on this checkout against the code
before it (main 5dba091), CPU of the replication loop: a scenario without the block must not
slow down; (2) on this checkout, the baseline as shipped ("shipped": its own letters, 40 a day of
10 min, blended with reserve 2) against the baseline without them ("plain"): target >= 0.8 of
the speed; and heavier cases in their place, blended between calls (letters, 300 a day, 12 min each, reserve 2; and "light": 100 a day, 10 min) against the baseline without
them; and "dedicated": the light letters by 2 agents off the phones
all day (the calls lose about as much capacity; no blending): the fair comparison for the
calls' own cost (fewer agents free: more waits, more patience events), so "light/dedicated" is
blending's own cost. The load average is printed before and after (2 cores shared: figures
from a loaded machine move by several percent).

Each measurement is a fresh interpreter (benchmarks/ab.py), codes alternating, median of the
rounds. ``python benchmarks/written.py [rounds] [replications]``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab import child, cpu_model, in_child, old_tree  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MAIN = "5dba091"
LETTERS = {"name": "letters", "daily_items": 300, "handling": {"dist": "exponential", "mean_s": 720},
           "deadline_days": 5, "blend": {"reserve": 2}}  # 60 agent-hours a day: the calls wait much longer
LIGHT = {**LETTERS, "daily_items": 100, "handling": {"dist": "exponential", "mean_s": 600}}  # 17 h a day
# the same letters by 2 agents off the phones all day (16 h): the calls lose about as much capacity
DEDICATED = {**LIGHT, "blend": None, "dedicated": {"agents": 2, "hours": ["09:00", "17:00"]}}
CASES = {"blended": LETTERS, "light": LIGHT, "dedicated": DEDICATED}


def measure(tree: str, case: str, replications: int) -> dict:
    """CPU seconds of ``replications`` replications of the baseline (``case``: plain or blended)."""
    import numpy as np

    from ska_sim import load_scenario, scenario_from_dict
    from ska_sim.sim.engine import Model, simulate_replication

    s = load_scenario(Path(tree) / "scenarios" / "baseline.toml")
    if case != "shipped" and getattr(s, "written", None):  # "plain": the baseline without its own letters; a case: in their place
        d = s.to_dict()
        d["written"] = [{k: v for k, v in CASES[case].items() if v is not None}] if case in CASES else []
        if not d["written"]:
            d["targets"].pop("written_on_time", None)
        s = scenario_from_dict(d)
    elif case in CASES:
        d = s.to_dict()
        d["written"] = [{k: v for k, v in CASES[case].items() if v is not None}]
        s = scenario_from_dict(d)
    m = Model.from_scenario(s)
    simulate_replication(m, np.random.SeedSequence(1, spawn_key=(0,)))  # warm-up
    t0 = time.process_time()
    for i in range(replications):
        simulate_replication(m, np.random.SeedSequence(2026, spawn_key=(i,)))
    return {"seconds": time.process_time() - t0}


def main() -> None:
    if in_child():
        _, tree, case, reps = sys.argv[1:5]
        print(json.dumps(measure(tree, case, int(reps))))
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    reps = sys.argv[2] if len(sys.argv) > 2 else "10"
    script, old = Path(__file__).resolve(), old_tree(MAIN)
    load = os.getloadavg()[0]
    runs: dict[tuple[str, str], list[float]] = {}
    for r in range(rounds):
        cases = [("main", old, "plain"), ("branch", ROOT, "plain"), ("branch", ROOT, "shipped"), ("branch", ROOT, "blended"),
                 ("branch", ROOT, "light"), ("branch", ROOT, "dedicated")]
        for code, tree, case in (cases if r % 2 == 0 else cases[::-1]):
            runs.setdefault((code, case), []).append(child(script, tree, [case, reps])["seconds"])
    med = {k: sorted(v)[len(v) // 2] for k, v in runs.items()}
    print(f"{cpu_model()}; load average {load:.2f} before, {os.getloadavg()[0]:.2f} after; baseline, {reps} replications, "
          f"median of {rounds} rounds (CPU s of the replication loop)")
    for (code, case), s in med.items():
        print(f"  {code:6} {case:7} {s:7.2f} s")
    print(f"branch/main (plain):       speed {med[('main', 'plain')] / med[('branch', 'plain')]:.3f}")
    print(f"shipped/plain (branch):    speed {med[('branch', 'plain')] / med[('branch', 'shipped')]:.3f}  "
          "(the baseline's own letters, 40 a day blended, against the baseline without them)")
    print(f"blended/plain (branch):    speed {med[('branch', 'plain')] / med[('branch', 'blended')]:.3f}")
    print(f"light/plain (branch):      speed {med[('branch', 'plain')] / med[('branch', 'light')]:.3f}")
    print(f"dedicated/plain (branch):  speed {med[('branch', 'plain')] / med[('branch', 'dedicated')]:.3f}  (the calls' own cost)")
    print(f"light/dedicated (branch):  speed {med[('branch', 'dedicated')] / med[('branch', 'light')]:.3f}  (blending's own cost)")


if __name__ == "__main__":
    main()
