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
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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


def one(which: str, case: str) -> dict:
    """Time the three scopes with the new (``which == "new"``) or the old path; return plans."""
    from ska_sim import load_scenario

    s = load_scenario(ROOT / "scenarios" / "baseline.toml", CASES[case])
    if which == "new":
        from ska_sim.staffing import LoadModel, erlang_plan

        lm = LoadModel(s)
    else:
        from staff_ref import RefLoadModel, ref_erlang_plan as erlang_plan

        lm = RefLoadModel(s)
    out = {"seconds": {}, "agents": {}, "iterations": {}, "follow_ups_s": 0.0}
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
    out["peak_agents"] = max(max(a) for a in out["agents"].values())
    return out


def measure(which: str, case: str, limit_s: float | None) -> dict | None:
    """One fresh interpreter; None when stopped at ``limit_s``."""
    try:
        r = subprocess.run([sys.executable, __file__, "--one", which, case], capture_output=True, text=True,
                           check=True, timeout=limit_s)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    from run import machine  # the CPU model, read from /proc/cpuinfo now

    ap = argparse.ArgumentParser()
    ap.add_argument("--one", nargs=2, metavar=("WHICH", "CASE"))
    ap.add_argument("--quick", action="store_true", help="the baseline only")
    ap.add_argument("--old-limit", type=float, default=300.0, help="seconds the old path may take on a large centre")
    ap.add_argument("--out", default=str(HERE / "staff_results.md"))
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(*a.one)))
        return
    cases = ["baseline"] if a.quick else list(CASES)
    rows, notes = [], []
    for case in cases:
        new = measure("new", case, None)
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
        per_scope = ", ".join(f"{sc} {new['seconds'][sc]:.2f} s ({new['iterations'][sc]} it.)" for sc in SCOPES)
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
        "the follow-up kernels (`LoadModel.follow_ups`, unchanged and shared by both paths).",
        "",
        "| scenario | faster by | new s | old s | new Erlang s | old Erlang s | peak agents | same plans, all scopes |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        "New path per scope:",
        *notes,
        "",
    ]
    text = "\n".join(lines)
    Path(a.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
