"""A/B in one process: the baseline against the baseline with every call type given its own
(different) arrival profile, and with its own profile and its own patience too, alternating
replications; prints CPU seconds of the simulation loop (model set-up excluded) and the speed
ratios (target >= 0.8), with the CPU model as read now.

    python benchmarks/type_profiles.py [--days 91] [--rounds 7] [--before-src DIR]

With ``--before-src DIR`` (e.g. ``git archive 55c2612 src | tar -x -C DIR``: the code before
these keys) the baseline is also timed on that code, in fresh interpreters alternating with
this code's, and the ratio printed: a scenario without the keys runs at the same speed.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
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


def own_patience(d: dict) -> dict:
    """Each call type k gets [patience] with its mean x (0.7 + 0.15 k): distinct patience per type."""
    d = copy.deepcopy(d)
    for k, ct in enumerate(d["call_types"]):
        ct["patience"] = dict(d["patience"], mean_s=d["patience"]["mean_s"] * (0.7 + 0.15 * k))
    return d


BASELINE_CPU = """
import json, sys, time
import numpy as np
from ska_sim import scenario_from_dict
from ska_sim.scenario.load import read_toml
from ska_sim.sim.engine import Model, Replication
d = read_toml(sys.argv[1]); d["calendar"].update(days=int(sys.argv[2]), warmup_days=0)
m = Model.from_scenario(scenario_from_dict(d))
c0 = time.process_time()
Replication(m, np.random.SeedSequence(1, spawn_key=(int(sys.argv[3]),))).run()
print(json.dumps(time.process_time() - c0))
"""


def baseline_cpu(src: Path, days: int, rep: int) -> float:
    """CPU seconds of one baseline replication on the code in ``src``, in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=str(src))
    out = subprocess.run([sys.executable, "-c", BASELINE_CPU, str(ROOT / "scenarios" / "baseline.toml"), str(days),
                          str(rep)], env=env, capture_output=True, text=True, check=True).stdout
    return float(json.loads(out))


def before_and_after(before: Path, days: int, rounds: int) -> None:
    """The baseline on the code before and on this code, alternating; the median ratio."""
    now, then = [], []
    for r in range(rounds):
        then.append(baseline_cpu(before, days, r))
        now.append(baseline_cpu(ROOT / "src", days, r))
    print(f"baseline on the code before {np.median(then):.3f} CPU s, now {np.median(now):.3f} CPU s: "
          f"speed now / before {np.median(then) / np.median(now):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=91)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--before-src", type=Path, help="src/ of the code before the keys (the baseline's same-speed check)")
    a = ap.parse_args()
    d = read_toml(ROOT / "scenarios" / "baseline.toml")
    d["calendar"].update(days=a.days, warmup_days=0)
    models = {name: Model.from_scenario(scenario_from_dict(x)) for name, x in
              (("baseline", d), ("own profiles", own_profiles(d)),
               ("own profiles and patience", own_patience(own_profiles(d))))}
    cpu = {name: [] for name in models}
    calls = {}
    for r in range(a.rounds):
        for name, m in models.items():
            c0 = time.process_time()
            rc = Replication(m, np.random.SeedSequence(1, spawn_key=(r,))).run()
            cpu[name].append(time.process_time() - c0)
            calls[name] = int(rc.counts["offered"].sum())
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import machine  # the CPU model, read from /proc/cpuinfo now

    print(machine())
    for name, v in cpu.items():
        print(f"{name:26s} median {np.median(v):.3f} CPU s, {calls[name]:,} calls offered (last replication)")
    for name in ("own profiles", "own profiles and patience"):
        print(f"speed {name} / baseline: {np.median(cpu['baseline']) / np.median(cpu[name]):.3f}")
    if a.before_src is not None:
        before_and_after(a.before_src, a.days, a.rounds)


if __name__ == "__main__":
    main()
