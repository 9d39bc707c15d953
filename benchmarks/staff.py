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


def main() -> None:
    from run import machine  # the CPU model, read from /proc/cpuinfo now

    ap = argparse.ArgumentParser()
    ap.add_argument("--one", nargs=2, metavar=("WHICH", "CASE"))
    ap.add_argument("--quick", action="store_true", help="the baseline only")
    ap.add_argument("--old-limit", type=float, default=300.0, help="seconds the old path may take on a large centre")
    ap.add_argument("--out", default=str(HERE / "staff_results.md"))
    ap.add_argument("--before-src", help="also time the new path from this source tree (its src/ directory)")
    ap.add_argument("--src", help=argparse.SUPPRESS)
    a = ap.parse_args()
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
