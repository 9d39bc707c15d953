"""The M/M/c+M benchmark model in three engines: ska-sim, SimPy as its tutorials write it, Ciw.

Model: Poisson arrivals, exponential service (mean 300 s), exponential patience (mean 120 s),
FCFS, c agents around the clock. Each function returns a dict: calls simulated, seconds of
simulation loop (model set-up excluded), service level (answered within 20 s / offered) and
abandon rate, so that the engines' KPIs can be compared with each other and Erlang A.

    python benchmarks/engines.py [--size S] [--rounds 9]

runs ska-sim's M/M/c+M in the code before the "One house" issue (761a609) and in this
checkout, alternating, in fresh interpreters (benchmarks/ab.py), and prints new / old speed
in calls per CPU second of the simulation loop (target >= 0.95). benchmarks/run.py uses the functions below for its report.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ab

AHT_S, PATIENCE_S, THRESHOLD_S = 300.0, 120.0, 20.0
SIZES = {"S": (20, 19.0, 50_000), "L": (500, 490.0, 1_000_000)}  # agents, load (Erlang), calls


def horizon_s(load: float, calls: int) -> float:
    return calls / (load / AHT_S)


def ska_sim(agents: int, load: float, calls: int, seed: int = 1) -> dict:
    if not ab.in_child():  # (a measurement child takes ska_sim from its PYTHONPATH: old or new code)
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from ska_sim import scenario_from_dict

    engine = ab.engine_module()
    Model, Replication = engine.Model, engine.Replication

    rate_h = load / AHT_S * 3600
    days = math.ceil(horizon_s(load, calls) / 86400)
    all_day = {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    s = scenario_from_dict(
        {
            "scenario": {"name": f"M/M/{agents}+M"},
            "calendar": {"start": "2026-03-02", "days": days, "interval_min": 60, "hours": all_day},
            "arrivals": {"daily_calls": rate_h * 24, "profile": [1 / 24] * 24},
            "call_types": [{"name": "all", "share": 1.0, "talk": {"dist": "exponential", "mean_s": AHT_S}, "resolved": 1.0}],
            "patience": {"dist": "exponential", "mean_s": PATIENCE_S},
            "staffing": {"agents": {"default": [agents] * 24}},
        }
    )
    model = Model.from_scenario(s)
    t0, c0 = time.perf_counter(), time.process_time()
    rc = Replication(model, np.random.SeedSequence(seed)).run()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    c = {k: v.sum() for k, v in rc.counts.items()}
    return {
        "calls": int(c["offered"]),
        "seconds": elapsed,
        "cpu_s": cpu,
        "service_level": c["answered_within_t"] / c["offered"],
        "abandon_rate": c["abandoned"] / c["offered"],
    }


def simpy_tutorial(agents: int, load: float, calls: int, seed: int = 1) -> dict:
    """A process per caller, simpy.Resource, ``req | env.timeout(patience)`` (bank_renege.py style)."""
    import simpy

    rng = random.Random(seed)
    stats = {"offered": 0, "within": 0, "abandoned": 0}
    lam = load / AHT_S

    def customer(env, counter):
        arrive = env.now
        stats["offered"] += 1
        patience = rng.expovariate(1 / PATIENCE_S)
        with counter.request() as req:
            results = yield req | env.timeout(patience)
            if req in results:
                if env.now - arrive <= THRESHOLD_S:
                    stats["within"] += 1
                yield env.timeout(rng.expovariate(1 / AHT_S))
            else:
                stats["abandoned"] += 1

    def source(env, counter):
        for _ in range(calls):
            env.process(customer(env, counter))
            yield env.timeout(rng.expovariate(lam))

    env = simpy.Environment()
    counter = simpy.Resource(env, capacity=agents)
    env.process(source(env, counter))
    t0 = time.perf_counter()
    env.run()
    elapsed = time.perf_counter() - t0
    return {
        "calls": stats["offered"],
        "seconds": elapsed,
        "service_level": stats["within"] / stats["offered"],
        "abandon_rate": stats["abandoned"] / stats["offered"],
    }


def ciw(agents: int, load: float, calls: int, seed: int = 1) -> dict:
    import ciw as ciw_

    ciw_.seed(seed)  # Ciw has only a global seed
    net = ciw_.create_network(
        arrival_distributions=[ciw_.dists.Exponential(rate=load / AHT_S)],
        service_distributions=[ciw_.dists.Exponential(rate=1 / AHT_S)],
        number_of_servers=[agents],
        reneging_time_distributions=[ciw_.dists.Exponential(rate=1 / PATIENCE_S)],
    )
    q = ciw_.Simulation(net)
    t0 = time.perf_counter()
    q.simulate_until_max_time(horizon_s(load, calls))
    elapsed = time.perf_counter() - t0
    recs = q.get_all_records()
    served = [r for r in recs if r.record_type == "service"]
    reneged = [r for r in recs if r.record_type == "renege"]
    # callers still waiting at the end are neither; they are a handful out of the total
    offered = len(served) + len(reneged)
    within = sum(1 for r in served if r.waiting_time <= THRESHOLD_S)
    return {"calls": offered, "seconds": elapsed, "service_level": within / offered, "abandon_rate": len(reneged) / offered}


ENGINES = {"ska-sim": ska_sim, "simpy-tutorial": simpy_tutorial, "ciw": ciw}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=sorted(SIZES), default="S")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--child", nargs=2, metavar=("ROOT", "SIZE"))
    args = ap.parse_args()
    if args.child:
        agents, load, calls = SIZES[args.child[1]]
        r = ska_sim(agents, load, calls)
        r["wall_s"], r["seconds"] = r["seconds"], r["cpu_s"]  # the comparison uses CPU time
        print(json.dumps(r))
        return
    trees = ab.trees()
    here = Path(__file__).resolve()
    best = ab.alternate(args.rounds, [args.size], lambda code, size: ab.child(here, trees[code], [size]))
    old, new = best[("old", args.size)], best[("new", args.size)]
    per_s = {k: r["calls"] / r["seconds"] for k, r in (("old", old), ("new", new))}
    print(f"ska-sim M/M/c+M size {args.size} {SIZES[args.size]}, median of {args.rounds} runs each (calls per CPU second), old = {ab.BEFORE}, "
          f"new = this checkout; CPU: {ab.cpu_model()}")
    print(f"old {per_s['old']:,.0f} calls/s, new {per_s['new']:,.0f} calls/s; same KPIs: "
          f"{(old['service_level'], old['abandon_rate']) == (new['service_level'], new['abandon_rate'])}")
    print(f"new / old: {per_s['new'] / per_s['old']:.3f}  (target >= 0.95)")


if __name__ == "__main__":
    main()
