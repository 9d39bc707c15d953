"""One user editing on the planning page (issue 22.4): the time from an edit to its estimate, to
its first figures and to the complete run, through a local `ska-sim serve` (uvicorn, its warm
worker pool) as the page reads it (``POST /api/stages``, one JSON line per stage), then what an
edit spends besides its replications (the library's parts, timed in this process).

Each edit is a new Monday cell (never a cache hit), after the saved plan was simulated once; the
next edit starts after the previous one is complete and a pause, so each runs alone.

    python benchmarks/web.py [--scenario baseline.toml] [--edits 5] [--workers 2] [--write]

Targets (issue 22, on 2 cores, the baseline): estimate under 0.3 s, first figures ("the final
figures", whose interval the later replications narrow) under 0.5 s, median of 5; the skills
scenario at twice those times. The machine is shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from run import cpu_model  # noqa: E402  (benchmarks/run.py: the CPU as read now)
from loadtest import cpu_s, first_row, page_server, staged_edit  # noqa: E402  (the same server and reading as the load test)

sys.path.insert(0, str(ROOT / "src"))
TARGETS = {"estimate": 0.3, "first": 0.5}  # seconds on the baseline; twice on the skills scenario


async def one_user(a) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"estimate": [], "first": [], "complete": [], "cpu": [], "drawn": []}
    async with page_server(a.scenario, a.workers) as (pid, http):
        key, row = await first_row(http, a.scenario)
        base = {"scenario": a.scenario, "client": "bench", "replications": a.replications}
        await staged_edit(http, base, {})  # the saved plan: simulated once, then kept (as on the page)
        for i in range(a.edits):
            values = list(row)
            values[i % len(values)] += 1 + i // len(values)  # a new cell each time: never a cache hit
            await asyncio.sleep(0.5)
            seen, c = {}, cpu_s(pid)
            await staged_edit(http, {**base, "edits": {key: [str(x) for x in values]}}, seen)
            assert "complete" in seen, seen
            for k in ("estimate", "first", "complete"):
                out[k].append(seen[k])
            out["drawn"].append(seen["first_stage"] == "estimate")
            out["cpu"].append(cpu_s(pid) - c)
    return out


def library_parts(a) -> dict[str, float]:
    """Milliseconds of what an edit spends besides its replications (medians of 5, this process):
    the parts the server runs for an edit's first figures (web/api.py), through the same public
    functions: the edit's plan and the saved one loaded and checked, the model, the result built
    for the page (``SimulationResult.build``'s ``page``), the page's document against the saved
    plan (its people and money included), JSON."""
    from ska_sim.sim.engine import Model
    from ska_sim.sim.replication import Groups, replication_kpis
    from ska_sim.sim.results import SimulationResult
    from ska_sim.web.api import Service
    from ska_sim.web.documents import Simulated, page_result
    from ska_sim.web.plans import plan_overrides, replications_seed

    svc = Service(ROOT / "scenarios", workers=0)
    base = {"scenario": a.scenario, "client": "parts", "replications": 4}
    row = svc.describe(a.scenario)["grids"][0]["rows"][0]
    key, first_values = row["weekday_key"], row["weekday_values"]
    name, week, _ = plan_overrides(base)
    saved = svc.load(name, week)
    reps, seed = replications_seed(base, saved)
    model = Model.from_scenario(saved)
    groups = Groups.of(model)
    res = SimulationResult.build(saved, model, groups, [replication_kpis(model, groups, seed, k) for k in range(reps)],
                                 seed, page=True)
    saved_sim = Simulated(saved, res, res.timeline)
    parts: dict[str, list[float]] = {k: [] for k in ("load and check the plan (the edit's and the saved one)",
                                                     "the model", "one replication", "the result of 4 replications",
                                                     "the page's document", "JSON")}
    for i in range(5):
        values = list(first_values)
        values[i % len(values)] += 1 + i // len(values)  # a new cell each time
        t = time.perf_counter()
        name, week, sets = plan_overrides({**base, "edits": {key: [str(x) for x in values]}})
        s = svc.load(name, week + sets)
        svc.load(name, week)  # the saved plan, loaded by every edit (web/api.py)
        t1 = time.perf_counter()
        model = Model.from_scenario(s)
        groups = Groups.of(model)
        t2 = time.perf_counter()
        results = [replication_kpis(model, groups, seed, k) for k in range(reps)]
        t3 = time.perf_counter()
        res = SimulationResult.build(s, model, groups, results, seed, page=True)
        t4 = time.perf_counter()
        doc = page_result(Simulated(s, res, res.timeline), saved_sim)
        t5 = time.perf_counter()
        json.dumps(doc)
        t6 = time.perf_counter()
        for k, v in zip(parts, (t1 - t, t2 - t1, (t3 - t2) / reps, t4 - t3, t5 - t4, t6 - t5)):
            parts[k].append(v)
    return {k: 1000 * statistics.median(v) for k, v in parts.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="baseline.toml", help="a scenario of scenarios/")
    ap.add_argument("--edits", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--write", action="store_true", help="write benchmarks/web_results.md (this section)")
    a = ap.parse_args()
    got = asyncio.run(one_user(a))
    parts = library_parts(a)
    scale = 1 if a.scenario == "baseline.toml" else 2

    rep = parts["one replication"] / 1000  # measured in this process in the same run: the machine's speed now

    def med(v: list[float]) -> str:
        return (f"{statistics.median(v):.2f} s (min {min(v):.2f}, max {max(v):.2f}) = "
                f"{statistics.median(v) / rep:.1f} x one replication")

    def verdict(k: str) -> str:
        target = scale * TARGETS[k]
        return f"target under {target:g} s: {'met' if statistics.median(got[k]) < target else 'NOT met'}"

    load = os.getloadavg()
    lines = [
        f"# Planning page, one user: {a.scenario} (benchmarks/web.py)",
        "",
        f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        "(a shared machine: other sessions' work is in these numbers)",
        f"`python benchmarks/web.py --scenario {a.scenario} --edits {a.edits} --workers {a.workers}`: "
        f"scenarios/{a.scenario}, {a.replications} replications per edit answered in stages, {a.workers} warm "
        f"worker processes, through a local `ska-sim serve` (HTTP, as the page reads it); the saved plan kept; "
        f"{a.edits} edits, each a new Monday cell, one at a time.",
        "",
        "| time from the edit to | median of the edits |",
        "|---|---|",
        f"| the first answer: the estimate (first 2 replications, marked, wide interval; drawn in "
        f"{sum(got['drawn'])} of {a.edits}, else the first figures) | {med(got['estimate'])}; {verdict('estimate')} |",
        f"| the first figures (4 replications; the later ones narrow the interval) | {med(got['first'])}; {verdict('first')} |",
        f"| the complete run ({a.replications} replications: `ska-sim run`'s numbers) | {med(got['complete'])} |",
        f"| CPU time of one edit (server + workers), all stages | {med(got['cpu'])} |",
        "",
        "What an edit spends besides its replications (this process, medians of 5, ms): "
        + "; ".join(f"{k} {v:.1f}" for k, v in parts.items()) + ". The ratios to one replication's time "
        "(measured here in the same run) carry over to a machine of another speed or load.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if a.write:  # this scenario's section replaced, the others (and the load test's) kept
        path = ROOT / "benchmarks" / "web_results.md"
        old = path.read_text() if path.exists() else ""
        sections = [s for s in ("\n" + old).split("\n# ") if s.strip()]
        keep = ["# " + s.strip("\n") + "\n" for s in sections if not s.startswith(f"Planning page, one user: {a.scenario}")]
        path.write_text("\n".join([text, *keep]))


if __name__ == "__main__":
    main()
