"""False-alarm rate of the Erlang C cross-check flag (``erlang_c_differs``) on exact M/M/c.

On a scenario that meets Erlang C's assumptions (open 24 h, constant rate and staffing,
exponential handling, no abandonment, a warm-up day) every flagged interval is a false
alarm, so the flagged share over many intervals and seeds is the flag's real level.
This script simulates many replications once, groups them into runs of R replications
(replications are independent, so any grouping is a fair sample of runs) and evaluates
several test statistics on the same data:

- ``t_mean_of_ratios``: the old flag: Erlang C at the simulated offered load outside the
  95% Student-t interval of the per-replication service levels
- ``t_oracle_load``: the same interval, Erlang C at the true arrival rate (isolates the
  noise of evaluating Erlang C at a simulated load)
- ``wilson_pooled``: a Wilson interval on answered-within-T / offered pooled over
  replications, as if calls were independent
- ``ratio_t``: pooled ratio estimator with its replication-based standard error
- ``delta_t``: the difference Erlang C(simulated load) - pooled ratio, with a standard
  error from the per-replication linearisation of both (erlang_check.differs_test), Student-t
  with R - 1 degrees of freedom per interval
- ``new_flag``: what ``erlang_c_differs`` does now (erlang_check.differs): ``delta_t`` with the
  variance pooled over alike intervals

With ``--groups RUNS`` it measures instead the flag of the cross-check per agent group
(erlang_check.group_cross_check) on two independent groups that each meet M/M/c
(tests/helpers.py ``two_mmc_groups``: 8 agents at 6 Erlang, 6 agents at 4 Erlang): RUNS runs of
``simulate`` with different seeds, the share of (interval, group) flagged per group, and of
intervals flagged by the interval's test (its groups' Erlang C against its simulated service level).

Usage: python benchmarks/erlang_differs.py [--reps 400] [--rho 0.8] [--groups RUNS --replications R]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import mmc, two_mmc_groups  # noqa: E402

from ska_sim import scenario_from_dict, simulate  # noqa: E402

from ska_sim.sim.engine import Model  # noqa: E402
from ska_sim.maths.erlang import erlang_c_result  # noqa: E402
from ska_sim.sim.erlang_check import alike_keys, differs, differs_test  # noqa: E402
from ska_sim.sim.replication import stack  # noqa: E402
from ska_sim.sim.runner import run_replications  # noqa: E402


def model_of(agents, calls_per_hour, aht_s, days, reps):
    return Model.from_scenario(mmc(agents=agents, calls_per_hour=calls_per_hour, aht_s=aht_s, days=days, replications=reps))


def simulate_counts(agents, calls_per_hour, aht_s, days, reps, seed, workers):
    model = model_of(agents, calls_per_hour, aht_s, days, reps)
    res = run_replications(model, reps, seed, workers=workers)
    lv = {name: arr for level, name, arr in stack(res) if level == "interval"}
    off = lv["offered"]
    within = np.rint(np.nan_to_num(lv["service_level"]) * off)
    return off, within


def erlang_sl(agents, rate_per_s, aht_s, threshold_s=20.0):
    r = erlang_c_result(agents, rate_per_s, aht_s, threshold_s)
    return 0.0 if math.isnan(r.service_level) else r.service_level


def flags(off, within, agents, calls_per_hour, aht_s, keys, interval_s=3600, threshold_s=20.0):
    """Flags (intervals,) of each statistic for one run of R replications (R, intervals)."""
    R, n = off.shape
    out = {}
    sl_rep = np.divide(within, off, out=np.full(off.shape, np.nan), where=off > 0)
    mean = np.nanmean(sl_rep, axis=0)
    half = student_t.ppf(0.975, R - 1) * np.nanstd(sl_rep, axis=0, ddof=1) / math.sqrt(R)
    lo, hi = np.clip(mean - half, 0, 1), np.clip(mean + half, 0, 1)
    e_hat = np.array([erlang_sl(agents, o / interval_s, aht_s, threshold_s) for o in off.mean(axis=0)])
    e_true = erlang_sl(agents, calls_per_hour / 3600, aht_s, threshold_s)
    out["t_mean_of_ratios"] = (e_hat < lo) | (e_hat > hi)
    out["t_oracle_load"] = (e_true < lo) | (e_true > hi)
    O, A = off.sum(axis=0), within.sum(axis=0)
    p = A / O
    z = norm.ppf(0.975)
    centre = (p + z * z / (2 * O)) / (1 + z * z / O)
    w = z * np.sqrt(p * (1 - p) / O + z * z / (4 * O * O)) / (1 + z * z / O)
    out["wilson_pooled"] = np.abs(e_hat - centre) > w
    resid = within - p * off
    se = np.sqrt((resid**2).sum(axis=0) / (R * (R - 1))) / off.mean(axis=0)
    out["ratio_t"] = np.abs(e_hat - p) > student_t.ppf(0.975, R - 1) * se
    diff, se_d = differs_test(off, within, np.full(n, agents), aht_s, interval_s, threshold_s)
    out["delta_t"] = np.abs(diff) > student_t.ppf(0.975, R - 1) * se_d
    out["new_flag"] = differs(off, within, np.full(n, agents), aht_s, interval_s, threshold_s, keys=keys)
    return out


def group_flags(runs: int, replications: int, days: int, seed: int) -> None:
    """The per-group flag's false-alarm rate on two independent M/M/c groups."""
    t0 = time.perf_counter()
    s = scenario_from_dict(two_mmc_groups(days=days, replications=replications))
    per_group: dict[str, list[int]] = {}
    per_interval, n_iv, n_gi = [], 0, 0
    for k in range(runs):
        r = simulate(s, seed=seed + k)
        gi = r.group_intervals
        for name, flagged in gi.groupby("group")["erlang_c_differs"]:
            per_group.setdefault(name, []).append(int(flagged.sum()))
        n_gi = int((gi["group"] == "ga").sum())
        per_interval.append(int(r.intervals["erlang_c_differs"].sum()))
        n_iv = len(r.intervals)
    print(f"two independent M/M/c groups, {days} days x 24 hourly intervals, {runs} runs of {replications} "
          f"replications ({time.perf_counter() - t0:.0f} s); nominal 5%")
    print("\n| flag | runs | tested per run | flagged | per run (sd) |\n|---|---|---|---|---|")
    for name, counts in [*((f"group {g}", c) for g, c in per_group.items()), ("interval (its groups)", per_interval)]:
        n = n_gi if name.startswith("group") else n_iv
        c = np.array(counts)
        print(f"| {name} | {runs} | {n} | {c.sum() / (n * runs):.1%} | {c.mean():.1f} ({c.std(ddof=1):.1f}) |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=10)
    ap.add_argument("--rho", type=float, default=0.8, help="utilisation (load / agents)")
    ap.add_argument("--aht", type=float, default=300.0)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--reps", type=int, default=400, help="replications simulated in all")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--cache", default="")
    ap.add_argument("--groups", type=int, default=0, help="runs of the two-group case (per-group flag)")
    ap.add_argument("--replications", type=int, default=10, help="replications per run of the two-group case")
    a = ap.parse_args()
    if a.groups:
        group_flags(a.groups, a.replications, a.days, a.seed)
        return
    cph = a.rho * a.agents * 3600 / a.aht
    t0 = time.perf_counter()
    if a.cache and Path(a.cache).exists():
        z = np.load(a.cache)
        off, within = z["off"], z["within"]
    else:
        off, within = simulate_counts(a.agents, cph, a.aht, a.days, a.reps, a.seed, a.workers)
        if a.cache:
            np.savez(a.cache, off=off, within=within)
    print(
        f"M/M/{a.agents}, {cph:g} calls/h, AHT {a.aht:g} s (utilisation {a.rho:g}), {a.days} days x 24 hourly "
        f"intervals, {off.shape[0]} replications ({time.perf_counter() - t0:.0f} s); "
        f"Erlang C service level {erlang_sl(a.agents, cph / 3600, a.aht):.4f}, "
        f"simulated (pooled) {within.sum() / off.sum():.4f}"
    )
    tl = model_of(a.agents, cph, a.aht, a.days, 1).timeline
    keys = alike_keys(tl, tl.iv_measured())
    names = flags(off[:5], within[:5], a.agents, cph, a.aht, keys)
    print("\n| R | runs | intervals | " + " | ".join(names) + " |")
    print("|---" * (3 + len(names)) + "|")
    for R in (3, 5, 10, 20):
        runs = off.shape[0] // R
        tot: dict[str, np.ndarray] = {}
        for k in range(runs):
            f = flags(off[k * R : (k + 1) * R], within[k * R : (k + 1) * R], a.agents, cph, a.aht, keys)
            for name, v in f.items():
                tot.setdefault(name, []).append(v)
        n = runs * off.shape[1]
        cells = []
        for name, vs in tot.items():
            per_run = np.array([v.sum() for v in vs])
            cells.append(f"{np.concatenate(vs).mean():.1%} ({per_run.mean():.1f}/run, sd {per_run.std(ddof=1):.1f})")
        print(f"| {R} | {runs} | {n} | " + " | ".join(cells) + " |")
    print("\nshare of intervals flagged (mean flagged per run of 240 intervals, sd across runs); nominal 5%")


if __name__ == "__main__":
    main()
