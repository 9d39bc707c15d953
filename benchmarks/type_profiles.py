"""A/B in one process: the baseline against the baseline with every call type given its own
(different) arrival profile, alternating replications; prints CPU seconds of the simulation
loop (model set-up excluded) and the speed ratio (target >= 0.8).

    python benchmarks/type_profiles.py [--days 91] [--rounds 7]
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
from ska_sim.scenario.load import read_toml  # noqa: E402
from ska_sim.sim.engine import Model, Replication  # noqa: E402


def own_profiles(d: dict) -> dict:
    """Each call type k gets arrivals.profile tilted by 15% x k across the day (renormalised)."""
    d = copy.deepcopy(d)
    prof = d["arrivals"].pop("profile")
    prof = {"default": prof} if isinstance(prof, list) else prof
    for k, ct in enumerate(d["call_types"]):
        table = {}
        for key, v in prof.items():
            w = np.clip(np.array(v) * (1 + 0.15 * k * np.linspace(-1, 1, len(v))), 0, None)
            table[key] = (w / w.sum()).tolist()
        ct["profile"] = table
    return d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=91)
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    d = read_toml(ROOT / "scenarios" / "baseline.toml")
    d["calendar"].update(days=a.days, warmup_days=0)
    models = {name: Model.from_scenario(scenario_from_dict(x)) for name, x in
              (("baseline", d), ("own profiles", own_profiles(d)))}
    cpu = {name: [] for name in models}
    calls = {}
    for r in range(a.rounds):
        for name, m in models.items():
            c0 = time.process_time()
            rc = Replication(m, np.random.SeedSequence(1, spawn_key=(r,))).run()
            cpu[name].append(time.process_time() - c0)
            calls[name] = int(rc.counts["offered"].sum())
    for name, v in cpu.items():
        print(f"{name:13s} median {np.median(v):.3f} CPU s, {calls[name]:,} calls offered (last replication)")
    print(f"speed own profiles / baseline: {np.median(cpu['baseline']) / np.median(cpu['own profiles']):.3f}")


if __name__ == "__main__":
    main()
