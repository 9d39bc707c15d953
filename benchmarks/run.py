"""ska-sim benchmarks (not part of the test run): `make bench` or `python benchmarks/run.py`.

Every measurement runs in a fresh interpreter, so peak memory (ru_maxrss) is its own.
Writes benchmarks/results.md (a markdown report with the date and the machine) and prints it.

Measured:
1. The M/M/c+M model (exponential service 300 s, exponential patience 120 s, FCFS) in
   ska-sim, in SimPy written the tutorial way, and in Ciw, on sizes S (20 agents, 19 Erlang,
   50,000 calls) and L (500 agents, 490 Erlang, 1,000,000 calls): calls per second of
   simulation loop (best of several runs), peak memory, ratios, and the KPIs against Erlang A.
2. The SKA baseline model over a year of working days: one replication's engine speed
   (against ska-sim's own M/M/c+M speed), and 30 replications' wall time and peak memory.
3. Memory of a year of a 10,000-calls-a-day centre, one replication.
4. `ska-sim --help` start-up time.
5. Scaling: 1 vs 2 worker processes, a Dask LocalCluster's overhead on a small run, and wall
   time against calls per day and against days.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def baseline(overrides: list[str]):
    from ska_sim import load_scenario

    return load_scenario(ROOT / "scenarios" / "baseline.toml", overrides)


YEAR = ["calendar.start=2026-01-05", "calendar.days=364", "calendar.warmup_days=14"]


# --------------------------------------------------------------------------- one measurement
def one(kind: str, arg: str) -> dict:
    if kind == "engine":
        import engines

        name, size, runs = (arg.split(":") + ["1"])[:3]
        agents, load, calls = engines.SIZES[size]
        r = min((engines.ENGINES[name](agents, load, calls) for _ in range(int(runs))), key=lambda x: x["seconds"])
        r["calls_per_s"] = r["calls"] / r["seconds"]
    elif kind == "baseline-engine":
        import numpy as np

        from ska_sim.sim.engine import Model, Replication

        # no warm-up days here, so that every simulated call is counted
        model = Model.from_scenario(baseline(YEAR[:2] + ["calendar.warmup_days=0"]))
        t0 = time.perf_counter()
        rc = Replication(model, np.random.SeedSequence(1)).run()
        r = {"seconds": time.perf_counter() - t0}
        r["calls"] = int(rc.counts["offered"].sum())
        r["calls_per_s"] = r["calls"] / r["seconds"]
    elif kind == "baseline-year":
        from ska_sim.sim.executors import Executor
        from ska_sim.sim.runner import simulate

        reps, workers = (int(x) for x in arg.split(":"))
        s = baseline(YEAR)
        t0 = time.perf_counter()
        res = simulate(s, replications=reps, seed=1, executor=Executor(workers))
        r = {"seconds": time.perf_counter() - t0, "service_level": res.kpi("service_level"),
             "calls": float(res.kpi("offered")) * reps}
    elif kind == "big-year":
        from ska_sim.sim.executors import Executor
        from ska_sim.sim.runner import simulate

        s = baseline(YEAR + ["arrivals.daily_calls=10000", "staffing.scale=10"])
        t0 = time.perf_counter()
        res = simulate(s, replications=1, seed=1, executor=Executor(1))
        r = {"seconds": time.perf_counter() - t0, "calls": float(res.kpi("offered"))}
    elif kind == "grow":
        from ska_sim.sim.executors import Executor
        from ska_sim.sim.runner import simulate

        calls_per_day, days = (int(x) for x in arg.split(":"))
        scale = calls_per_day / 1000
        s = baseline([f"arrivals.daily_calls={calls_per_day}", f"staffing.scale={scale}", "calendar.start=2026-01-05",
                      f"calendar.days={days}", "calendar.warmup_days=7"])
        t0 = time.perf_counter()
        res = simulate(s, replications=1, seed=1, executor=Executor(1))
        r = {"seconds": time.perf_counter() - t0, "calls": float(res.kpi("offered"))}
    elif kind == "dask":
        from distributed import LocalCluster

        from ska_sim import load_scenario
        from ska_sim.sim.executors import Executor
        from ska_sim.sim.runner import simulate

        s = load_scenario(ROOT / "tests" / "data" / "minimal.toml")
        t0 = time.perf_counter()
        simulate(s, replications=8, seed=1, executor=Executor(1))
        local = time.perf_counter() - t0
        t0 = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as c:
            started = time.perf_counter() - t0
            t1 = time.perf_counter()
            simulate(s, replications=8, seed=1, executor=Executor(scheduler=c.scheduler_address))
            on_cluster = time.perf_counter() - t1
        r = {"local_s": local, "cluster_start_s": started, "cluster_run_s": on_cluster}
    else:
        raise SystemExit(f"unknown measurement {kind}")
    r["peak_mb"] = peak_mb()
    return r


def measure(kind: str, arg: str = "", repeat: int = 1) -> dict:
    """Best (fastest) of ``repeat`` runs, each in a fresh interpreter."""
    best = None
    for _ in range(repeat):
        out = subprocess.run([sys.executable, __file__, "--one", kind, arg], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1], parse_float=float)
        if best is None or r.get("seconds", 0) < best.get("seconds", 0):
            best = r
        print(f"  {kind} {arg}: {r}", file=sys.stderr)
    return best


def startup_s(repeat: int = 5) -> float:
    exe = Path(sys.executable).parent / "ska-sim"
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([str(exe), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def run_startup_s(repeat: int = 3) -> float:
    """A cold, tiny `ska-sim run` (tests/data/minimal.toml, one replication): almost all of it is
    importing (python -X importtime shows where); the best of ``repeat`` fresh processes."""
    exe = Path(sys.executable).parent / "ska-sim"
    scenario = HERE.parent / "tests" / "data" / "minimal.toml"
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([str(exe), "run", str(scenario), "-r", "1", "--workers", "1"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return min(times)


from machine import cpu_model, machine  # noqa: E402,F401  (re-exported: the benchmarks read the CPU through run)


# --------------------------------------------------------------------------- the report
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", nargs=2, metavar=("KIND", "ARG"))
    ap.add_argument("--quick", action="store_true", help="size S only, fewer repeats (a smoke run)")
    ap.add_argument("--out", default=str(HERE / "results.md"))
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(*a.one), default=float))
        return

    from erlang_ref import erlang_a_reference

    sizes = ["S"] if a.quick else ["S", "L"]
    lines = [
        "# ska-sim benchmarks",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()}, with `make bench`. Speeds are calls",
        "simulated per second of simulation loop (model set-up excluded), the best of several runs:",
        "for size S, 5 rounds in which the engines take turns, each round a fresh interpreter",
        "running the model 3 times (the same seed); for size L, 2 rounds of one run (Ciw: one).",
        "Memory is the peak resident set of that interpreter.",
        "",
        "## M/M/c+M: ska-sim against SimPy (tutorial style) and Ciw, in the same run",
        "",
        "| size | engine | calls | calls/s | ska-sim is x faster | peak MB | service level (20 s) | abandon rate |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    mmc = {}
    for size in sizes:
        agents, load, calls = __import__("engines").SIZES[size]
        # engines take turns, round after round, so that a slow spell of the machine hits all of them
        rounds = 1 if a.quick else (5 if size == "S" else 2)
        res: dict[str, dict] = {}
        for k in range(rounds):
            for name in ("ska-sim", "simpy-tutorial", "ciw"):
                if size == "L" and name == "ciw" and k > 0:
                    continue  # minutes a run: once is enough
                r = measure("engine", f"{name}:{size}:{3 if size == 'S' else 1}")
                if name not in res or r["seconds"] < res[name]["seconds"]:
                    res[name] = r
        mmc[size] = res
        theory = erlang_a_reference(agents, load)
        for name, r in res.items():
            ratio = res["ska-sim"]["calls_per_s"] / r["calls_per_s"]
            lines.append(
                f"| {size} | {name} | {r['calls']:,} | {r['calls_per_s']:,.0f} | {ratio:.1f} | {r['peak_mb']:.0f} "
                f"| {r['service_level']:.4f} | {r['abandon_rate']:.4f} |"
            )
        lines.append(
            f"| {size} | Erlang A (theory) | | | | | {theory['service_level']:.4f} | {theory['abandon_rate']:.4f} |"
        )
    lines.append("")
    for size, res in mmc.items():
        vs_ciw = res["ska-sim"]["calls_per_s"] / res["ciw"]["calls_per_s"]
        vs_tut = res["ska-sim"]["calls_per_s"] / res["simpy-tutorial"]["calls_per_s"]
        lines.append(
            f"- Size {size}: {vs_ciw:.1f}x Ciw (goal 10x: {'met' if vs_ciw >= 10 else 'NOT met'}), "
            f"{vs_tut:.1f}x tutorial-style SimPy (goal 5x: {'met' if vs_tut >= 5 else 'NOT met'})."
        )
    base = measure("baseline-engine", "", 1 if a.quick else 3)
    own = mmc["S"]["ska-sim"]["calls_per_s"]
    reps = 4 if a.quick else 30
    year2 = measure("baseline-year", f"{reps}:2")
    year1 = measure("baseline-year", f"{min(reps, 8)}:1")
    year2s = measure("baseline-year", f"{min(reps, 8)}:2")
    big = measure("big-year")
    start = startup_s()
    run_start = run_startup_s()
    lines += [
        "",
        "## The SKA baseline model",
        "",
        f"- One replication of a year of working days (redials, repeat calls, five call types, KPI accumulation): "
        f"{base['calls']:,} calls at {base['calls_per_s']:,.0f} calls/s, "
        f"{base['calls_per_s'] / own:.2f} of ska-sim's own M/M/c+M speed (size S).",
        f"- {reps} replications of that year on 2 worker processes: {year2['seconds']:.1f} s wall time, "
        f"peak {year2['peak_mb']:.0f} MB ({year2['calls']:,.0f} calls).",
        f"- A year of a 10,000-calls-a-day centre (one replication, {big['calls']:,.0f} calls): "
        f"{big['seconds']:.1f} s, peak {big['peak_mb']:.0f} MB.",
        f"- `ska-sim --help` starts in {start * 1000:.0f} ms; a one-replication `ska-sim run tests/data/minimal.toml` "
        f"takes {run_start:.2f} s from a cold start (mostly imports: numpy, pydantic, pandas, scipy.special).",
        "",
        "## Scaling",
        "",
        f"- Workers: {min(reps, 8)} replications of the baseline year take {year1['seconds']:.1f} s on 1 process and "
        f"{year2s['seconds']:.1f} s on 2 ({year1['seconds'] / year2s['seconds']:.2f}x).",
    ]
    d = measure("dask")
    lines.append(
        f"- Dask LocalCluster (2 worker processes) on a small run (8 replications of tests/data/minimal.toml): "
        f"{d['local_s']:.2f} s locally, {d['cluster_run_s']:.2f} s on the cluster once it is up "
        f"(starting it took {d['cluster_start_s']:.1f} s): the overhead is worth paying only for long runs."
    )
    lines += ["", "| calls per day | days | calls | wall time s | microseconds per call |", "|---:|---:|---:|---:|---:|"]
    grid = [(1000, 60), (2000, 60), (4000, 60), (8000, 60), (2000, 30), (2000, 120), (2000, 240)]
    if a.quick:
        grid = [(1000, 30), (2000, 30), (1000, 60)]
    grow = []
    for cpd, days in grid:
        g = measure("grow", f"{cpd}:{days}")
        grow.append((g["calls"], g["seconds"]))
        lines.append(f"| {cpd:,} | {days} | {g['calls']:,.0f} | {g['seconds']:.2f} | {g['seconds'] / g['calls'] * 1e6:.1f} |")
    if len(grow) >= 3:
        import numpy as np

        calls_, secs = np.array([g[0] for g in grow]), np.array([g[1] for g in grow])
        slope, intercept = np.polyfit(calls_, secs, 1)
        resid = secs - (intercept + slope * calls_)
        lines.append(
            f"\nWall time is linear in calls: a least-squares line gives {intercept:.2f} s fixed (start-up, tables) "
            f"+ {slope * 1e6:.1f} microseconds per call, largest residual {np.abs(resid).max():.2f} s."
        )
    text = "\n".join(lines) + "\n"
    Path(a.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
