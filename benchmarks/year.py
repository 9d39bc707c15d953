"""A 2026 year with a roster and absences, 30 replications: `python benchmarks/year.py`.

Not part of the test run. Times `ska_sim.sim.runner.simulate` (model build, replications on local
processes, the result tables) of scenarios/year-2026.toml over the whole year, and, in the same
run on the same machine, the named baseline: scenarios/baseline.toml (one week, 7 warm-up days)
with the same replications and workers; the ratio is year / (52 x baseline week). Writes
benchmarks/year_results.md and prints it, with the CPU as read from /proc/cpuinfo now and the
load average (other processes share the cores). `--profile` adds the top functions of one
replication of the year (cProfile, cumulative time), to see where the time goes.

Options: `-r` replications (30), `--workers` (the machine's cores), `--scenario` (year-2026).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

TARGET_S = 60.0


def timed_run(path: Path, replications: int, workers: int, overrides=()) -> tuple[float, object]:
    from ska_sim import load_scenario
    from ska_sim.sim.executors import Executor
    from ska_sim.sim.runner import simulate

    s = load_scenario(path, list(overrides))
    c0 = cpu_s()
    t0 = time.perf_counter()
    r = simulate(s, replications=replications, executor=Executor(workers))
    wall = time.perf_counter() - t0
    r.cpu_s = cpu_s() - c0  # this process and its (finished) worker processes
    return wall, r


def cpu_s() -> float:
    """CPU seconds used so far by this process and its waited-for children (the workers)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def calls_of(r) -> float:
    return float(r.summary.set_index("kpi").loc["offered", "mean"]) * r.replications


def profile_one(path: Path, top: int = 25) -> str:
    import cProfile
    import io
    import pstats

    from ska_sim import load_scenario
    from ska_sim.sim.engine import Model
    from ska_sim.sim.replication import Groups, replication_kpis

    s = load_scenario(path)
    pr = cProfile.Profile()
    pr.enable()
    m = Model.from_scenario(s)
    replication_kpis(m, Groups.of(m), s.simulation.seed, 0)
    pr.disable()
    out = io.StringIO()
    st = pstats.Stats(pr, stream=out)
    by_file: dict[str, float] = {}
    for (file, _line, _fn), (_cc, _nc, tt, _ct, _callers) in st.stats.items():
        key = "/".join(Path(file).parts[-2:]) if file.startswith("/") else file
        by_file[key] = by_file.get(key, 0.0) + tt
    total = sum(by_file.values())
    lines = ["Own time by file (share of the profiled total):"]
    for key, tt in sorted(by_file.items(), key=lambda kv: -kv[1])[:8]:
        lines.append(f"  {tt / total:6.1%}  {key}")
    st.sort_stats("tottime").print_stats(top)
    # paths of this machine out: the package's files from src/, the libraries' from site-packages/
    text = out.getvalue().replace(str(ROOT) + "/", "")
    text = re.sub(r"\S*/site-packages/", "site-packages/", text)
    return "\n".join(lines) + "\n\n" + text


def main() -> None:
    from run import machine  # the CPU model, read from /proc/cpuinfo now

    ap = argparse.ArgumentParser()
    ap.add_argument("-r", "--replications", type=int, default=30)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "year-2026.toml"))
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--out", default=str(HERE / "year_results.md"))
    a = ap.parse_args()

    year_path, base_path = Path(a.scenario), ROOT / "scenarios" / "baseline.toml"
    load0 = os.getloadavg()
    week_s, week = timed_run(base_path, a.replications, a.workers)
    year_s, year = timed_run(year_path, a.replications, a.workers)
    load1 = os.getloadavg()
    s = year.scenario
    open_days = len(year.days)
    ratio = year_s / (52 * week_s)
    cores = min(a.workers, os.cpu_count() or 1)
    idle_s = year.cpu_s / cores  # the wall time the same CPU work takes on otherwise idle cores
    lines = [
        f"# A year with roster and absences ({dt.date.today().isoformat()})",
        "",
        f"Machine: {machine()}; load average {load0[0]:.2f} before, {load1[0]:.2f} after "
        "(other processes share the cores).",
        "",
        f"- **{year_path.name}**: {s.calendar.start} + {s.calendar.days} days ({open_days} open days measured, "
        f"{s.calendar.warmup_days} warm-up), roster: {'yes' if s.roster is not None else 'no'}, absence probability "
        f"{s.roster.absence_probability if s.roster is not None else 0:g}; {a.replications} replications on "
        f"{a.workers} local processes: **{year_s:.1f} s** (target: within {TARGET_S:.0f} s: "
        f"{'met' if year_s <= TARGET_S else 'NOT met'} on this shared machine); {calls_of(year) / year_s:,.0f} offered "
        f"calls per second. CPU: {year.cpu_s:.1f} s ({year.cpu_s / a.replications:.2f} s per replication), i.e. "
        f"**{idle_s:.1f} s on {cores} otherwise idle cores** ({'within' if idle_s <= TARGET_S else 'over'} the minute).",
        f"- Named baseline, same run: scenarios/baseline.toml (one week, 7 warm-up days), {a.replications} replications: "
        f"{week_s:.2f} s ({week.cpu_s:.1f} CPU s); 52 x that = {52 * week_s:.1f} s; **ratio year / (52 x baseline "
        f"week) = {ratio:.2f}** in wall time, {year.cpu_s / (52 * week.cpu_s):.2f} in CPU time "
        f"({calls_of(week) / week_s:,.0f} offered calls per second; a week carries 7 warm-up days, so it costs more "
        "per measured day than the year).",
        f"- Year KPIs (sanity): service level {year.kpi('service_level'):.1%}, answer rate {year.kpi('answer_rate'):.1%}, "
        f"{year.kpi('offered'):,.0f} offered calls per replication.",
    ]
    if a.profile:
        lines += ["", "## Where the time goes (model build + one replication, cProfile, own time)", "", "```",
                  profile_one(year_path).strip(), "```"]
    text = "\n".join(lines) + "\n"
    Path(a.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
