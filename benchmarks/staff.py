"""`ska-sim staff`'s Erlang requirement search, today's code against the code before issue 12.15.

Not part of the test run: `python benchmarks/staff.py` (add `--quick` for the baseline only).
Writes benchmarks/staff_results.md and prints it: ratios first, then absolute times, the CPU as
read from /proc/cpuinfo at run time, and whether the plans are identical.

What is timed: `erlang_plan` for the three scopes (interval, day, window) sharing one LoadModel,
as `plan_staffing` runs them (the Erlang requirement search, the scope trims and the fixed
point of the offered load; the follow-up kernels' bincount is included in both). The old path
is benchmarks/staff_ref.py, a verbatim copy of the code before the change. Each measurement
runs in a fresh interpreter; the old path gets a time limit on the large centres, and a run
stopped there is reported as "more than" the limit (the ratio then is a lower bound).

The old path keeps the follow-ups by bincount (`bincount_follow_ups`, the code before the
sparse kernels); the new path has them as sparse matrix products. `--before-src DIR` also
times the new path from another source tree (e.g. `git archive <commit> src | tar -x -C DIR`,
then DIR/src), to compare a change against the commit before it in the same run.

`--command` times the whole `ska-sim staff` command instead (writes
benchmarks/staff_command_results.md): `staff scenarios/baseline.toml -r 2` ("baseline") and
the same with `--set arrivals.daily_calls=300000` (a large centre, about 9,000 agents at the
peak), each in a fresh interpreter on the machine's cores (the command's default workers):
wall time, and CPU time of the command and its worker processes (the machine may be shared:
the load average before and after each run is printed too). `--before-src DIR` also times
the command from another source tree in the same run and says whether its simulations gave
identical KPIs (every plan's simulated columns of the plans table, and the recommended plan's
KPIs and interval table).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

SCOPES = ("interval", "day", "window")
CASES = {
    "baseline": [],
    "30k calls/day": ["arrivals.daily_calls=30000", "staffing.scale=30"],
    "300k calls/day": ["arrivals.daily_calls=300000", "staffing.scale=300"],
}


def bincount_follow_ups(lm, offered, abandon):
    """``LoadModel.follow_ups`` before the sparse kernels (one bincount per kernel and type)."""
    import numpy as np

    out = np.zeros_like(offered)
    for kernel, flow in (
        (lm.redial_k, offered * abandon[:, None] * lm.s.redial.probability),
        (lm.repeat_k, offered * (1 - abandon[:, None]) * (1 - lm.resolved[None, :]) * lm.s.repeat.probability),
    ):
        if kernel is None:
            continue
        src, dst, w = kernel
        for t in range(offered.shape[1]):
            out[:, t] += np.bincount(dst, weights=flow[src, t] * w, minlength=len(offered))
    return out


def one(which: str, case: str) -> dict:
    """Time the three scopes with the new (``which`` "new" or "before", the latter from another
    source tree put first on the path) or the old path; return plans."""
    from ska_sim import load_scenario

    s = load_scenario(ROOT / "scenarios" / "baseline.toml", CASES[case])
    if which in ("new", "before"):
        from ska_sim.plan.load import LoadModel
        from ska_sim.plan.requirement import erlang_plan

        lm = LoadModel(s)
    else:
        from staff_ref import RefLoadModel, ref_erlang_plan as erlang_plan

        lm = RefLoadModel(s)
        lm.follow_ups = lambda offered, abandon: bincount_follow_ups(lm, offered, abandon)
    out = {"seconds": {}, "agents": {}, "iterations": {}, "converged": {}, "follow_ups_s": 0.0}
    follow_ups = lm.follow_ups

    def timed(*args):  # the follow-up kernels (not Erlang work), the same code in both paths
        t0 = time.perf_counter()
        try:
            return follow_ups(*args)
        finally:
            out["follow_ups_s"] += time.perf_counter() - t0

    lm.follow_ups = timed
    for sc in SCOPES:
        t0 = time.perf_counter()
        p = erlang_plan(s, sc, lm=lm)
        out["seconds"][sc] = time.perf_counter() - t0
        out["agents"][sc] = [int(a) for a in p.agents]
        out["iterations"][sc] = p.iterations
        out["converged"][sc] = bool(p.converged)
    out["peak_agents"] = max(max(a) for a in out["agents"].values())
    return out


def measure(which: str, case: str, limit_s: float | None, src: str | None = None) -> dict | None:
    """One fresh interpreter; None when stopped at ``limit_s``."""
    try:
        r = subprocess.run([sys.executable, __file__, "--one", which, case, *(["--src", src] if src else [])],
                           capture_output=True, text=True, check=True, timeout=limit_s)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


COMMANDS = {
    "baseline": ["staff", "scenarios/baseline.toml", "-r", "2"],
    "300k calls/day": ["staff", "scenarios/baseline.toml", "--set", "arrivals.daily_calls=300000", "-r", "2"],
}


def time_command(args: list[str], src: Path, limit_s: float | None) -> dict | None:
    """Wall and CPU seconds of one `ska-sim` command run from ``src`` in a fresh interpreter
    (CPU: the command and the worker processes it waited for), and its JSON document; None
    when stopped at ``limit_s`` (the command and its workers are stopped)."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from ska_sim.cli import main; "
            "sys.argv = ['ska-sim', *sys.argv[2:]]; main()")
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(src), *args, "--format", "json"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=limit_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)  # the command and its worker processes
        proc.communicate()
        return None
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"ska-sim {' '.join(args)} exited {proc.returncode}: {err[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    doc = json.loads(out)
    return {"wall": wall, "cpu": cpu, "load": (load, os.getloadavg()[0]), "simulated": simulated(doc),
            "recommended": doc["recommended"]}


KPI_KEYS = ("service_level", "answer_rate", "abandon_rate", "asa_s", "fcr")


def simulated(doc: dict) -> list:
    """What the simulations gave: each plan's simulated KPI columns of the plans table, and the
    recommended plan's KPIs and interval table (hours and money left out: they are priced, not simulated)."""
    rows = [{k: v for k, v in row.items() if k == "plan" or k.startswith(KPI_KEYS)} for row in doc["plans"]]
    return [rows, doc["plan"]["kpis"], doc["plan"]["intervals"]]


def command_main(a) -> None:
    """`--command`: the whole `ska-sim staff` command, timed (see the module's docstring)."""
    from run import machine  # the CPU model, read from /proc/cpuinfo now

    rows = []
    for case, args in COMMANDS.items():
        new = time_command(args, ROOT / "src", None)
        row = (f"| {case} | {new['wall']:.1f} | {new['cpu']:.1f} | {new['load'][0]:.1f} / {new['load'][1]:.1f} "
               f"| {new['recommended']} |")
        if a.before_src:
            bef = time_command(args, Path(a.before_src), a.old_limit)
            if bef is None:
                row += f" more than {a.old_limit:.0f} (stopped) | - | - | - |"
            else:
                same = "yes" if bef["simulated"] == new["simulated"] else "NO"
                row += f" {bef['wall']:.1f} | {bef['cpu']:.1f} | {bef['load'][0]:.1f} / {bef['load'][1]:.1f} | {same} |"
        rows.append(row)
        print(row, file=sys.stderr)
    head = "| case | wall s | CPU s | load before / after | recommended |"
    rule = "|---|---:|---:|---|---|"
    if a.before_src:
        head += " before: wall s | before: CPU s | before: load | same simulated KPIs |"
        rule += "---:|---:|---|---|"
    lines = [
        "# `ska-sim staff`, the whole command",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()}, with `python benchmarks/staff.py --command"
        f"{' --before-src ' + a.before_src if a.before_src else ''}`.",
        "Each command in a fresh interpreter on the machine's cores (the default workers): wall time, and",
        "CPU time of the command and its worker processes. The load average (1 min) before and after each",
        "run says how much else the machine was doing.",
        "",
        *(f"- {case}: `ska-sim {' '.join(args)}`" for case, args in COMMANDS.items()),
        "",
        head,
        rule,
        *rows,
        "",
    ]
    text = "\n".join(lines)
    Path(a.command_out).write_text(text)
    print(text)


def main() -> None:
    from run import machine  # the CPU model, read from /proc/cpuinfo now

    ap = argparse.ArgumentParser()
    ap.add_argument("--one", nargs=2, metavar=("WHICH", "CASE"))
    ap.add_argument("--quick", action="store_true", help="the baseline only")
    ap.add_argument("--old-limit", type=float, default=300.0, help="seconds the old path may take on a large centre")
    ap.add_argument("--out", default=str(HERE / "staff_results.md"))
    ap.add_argument("--before-src", help="also time the new path from this source tree (its src/ directory)")
    ap.add_argument("--src", help=argparse.SUPPRESS)
    ap.add_argument("--command", action="store_true", help="time the whole `ska-sim staff` command instead")
    ap.add_argument("--command-out", default=str(HERE / "staff_command_results.md"))
    a = ap.parse_args()
    if a.command:
        command_main(a)
        return
    if a.src:
        sys.path.insert(0, a.src)
    if a.one:
        print(json.dumps(one(*a.one)))
        return
    cases = ["baseline"] if a.quick else list(CASES)
    rows, notes, before_rows = [], [], []
    for case in cases:
        new = measure("new", case, None)
        if a.before_src:
            bef = measure("before", case, None, a.before_src)
            t_b, t_n = sum(bef["seconds"].values()), sum(new["seconds"].values())
            same_b = "yes" if all(new["agents"][sc] == bef["agents"][sc] for sc in SCOPES) else "no"
            its = "/".join(str(bef["iterations"][sc]) for sc in SCOPES)
            conv = "yes" if all(bef["converged"].values()) else "no"
            before_rows.append(f"| {case} | {t_b / t_n:.1f}x | {t_n:.2f} | {t_b:.2f} | {t_n - new['follow_ups_s']:.2f} "
                               f"| {t_b - bef['follow_ups_s']:.2f} | {new['follow_ups_s']:.2f} | {bef['follow_ups_s']:.2f} "
                               f"| {its} ({conv}) | {same_b} |")
            print(before_rows[-1], file=sys.stderr)
        old = measure("old", case, None if case == "baseline" else a.old_limit)
        t_new = sum(new["seconds"].values())
        erlang_new = t_new - new["follow_ups_s"]
        if old is None:
            ratio, t_old = f"more than {a.old_limit / t_new:.0f}x", f"more than {a.old_limit:.0f} (stopped)"
            same, erlang_old = "old path did not finish", "-"
        else:
            t_old_s = sum(old["seconds"].values())
            ratio, t_old = f"{t_old_s / t_new:.1f}x", f"{t_old_s:.2f}"
            erlang_old = f"{t_old_s - old['follow_ups_s']:.2f}"
            same = "yes" if all(new["agents"][sc] == old["agents"][sc] for sc in SCOPES) else "NO"
        per_scope = ", ".join(f"{sc} {new['seconds'][sc]:.2f} s ({new['iterations'][sc]} it."
                              f"{'' if new['converged'][sc] else ', not converged'})" for sc in SCOPES)
        rows.append(f"| {case} | {ratio} | {t_new:.2f} | {t_old} | {erlang_new:.2f} | {erlang_old} "
                    f"| {new['peak_agents']:,} | {same} |")
        notes.append(f"- {case}: {per_scope}.")
        print(rows[-1], file=sys.stderr)
    lines = [
        "# `ska-sim staff`: Erlang requirement search, before and after issue 12.15",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()}, with `python benchmarks/staff.py`.",
        "Time of `erlang_plan` for the interval, day and window scopes on one LoadModel (as",
        "`plan_staffing` runs them), each path in a fresh interpreter; the old path is",
        "`benchmarks/staff_ref.py`, the code before the change. \"Erlang s\" leaves out the time in",
        "the follow-up kernels (`LoadModel.follow_ups`: sparse matrix products in the new path,",
        "bincount in the old).",
        "",
        "| scenario | faster by | new s | old s | new Erlang s | old Erlang s | peak agents | same plans, all scopes |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        "New path per scope:",
        *notes,
        "",
        *([f"Against the new path from `{a.before_src}` (the commit before, same run): ",
           "",
           "| scenario | faster by | new s | before s | new Erlang s | before Erlang s | new follow-ups s "
           "| before follow-ups s | before iterations (converged) | same plans |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
           *before_rows, ""] if before_rows else []),
    ]
    text = "\n".join(lines)
    Path(a.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
