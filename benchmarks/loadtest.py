"""Load test of the planning page (issue 11.6, ISSUE-NOTES): N concurrent clients editing the
SKA baseline week for D seconds against a local `ska-sim serve` (uvicorn, its worker pool).

Each client is a person at the page: it changes a Monday cell, waits for the KPIs, pauses 1-3 s
and edits again. Three edits in ten are typed in two keystrokes 0.3 s apart ("3", then "34"):
the first is superseded by the second and its remaining replications cancelled, as the page
does. Reported: requests served, superseded, errors (must be 0), p50/p95 latency of the edits
answered, and the server's memory (RSS of the server and its worker processes) before the
clients start and every 10 s after (caches are bounded: it levels off).

    .venv/bin/python benchmarks/loadtest.py [--clients 20] [--seconds 60] [--replications 20] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from run import cpu_model  # noqa: E402  (benchmarks/run.py: the CPU as read now)
MON = [33, 36, 38, 38, 36, 33, 28, 27, 30, 31, 29, 27, 24, 22, 20, 19]


def rss_mb(pid: int) -> float:
    import psutil

    p = psutil.Process(pid)
    procs = [p, *p.children(recursive=True)]
    total = 0
    for q in procs:
        try:
            total += q.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20




async def main_async(a) -> str:
    import httpx2 as httpx  # the client starlette recommends (the httpx API)

    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "ska-sim"), "serve", "scenarios/baseline.toml",
                             "--workdir", "scenarios", "--port", "0" if a.port == 0 else str(a.port),
                             *(["--workers", str(a.workers)] if a.workers else [])],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        if "http://" not in line:
            raise SystemExit(f"the server did not start: {line}{proc.stdout.read()}")
        url = line.split()[-1]
        base, token = url.split("/?")[0], url.split("token=")[1].split("&")[0]
        headers = {"X-Ska-Token": token}
        limits = httpx.Limits(max_connections=a.clients * 2 + 4)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=600, limits=limits) as http:
            for _ in range(600):  # the server's lifespan starts the pool before it answers
                try:
                    if (await http.get("/api/scenarios")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            warm = {"plan": {"scenario": "baseline.toml", "client": "warm", "replications": a.replications}}
            await http.post("/api/run", json=warm)  # the saved plan, simulated once and cached
            rss = [(0.0, rss_mb(proc.pid))]
            served, superseded, errors, latencies = 0, 0, [], []
            t_start = time.monotonic()
            t_end = t_start + a.seconds

            async def post(cid: str, mon: list[int]):
                nonlocal served, superseded
                body = {"plan": {"scenario": "baseline.toml", "client": cid, "replications": a.replications,
                                 "edits": {"staffing.agents.mon": [str(x) for x in mon]}}}
                t = time.monotonic()
                try:
                    r = await http.post("/api/run", json=body)
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    return
                served += 1
                if r.status_code != 200:
                    errors.append(f"{r.status_code}: {r.text[:200]}")
                    return
                doc = r.json()
                if doc.get("superseded"):
                    superseded += 1
                elif "kpis" not in doc:
                    errors.append(f"no KPIs: {str(doc)[:200]}")
                else:
                    latencies.append(time.monotonic() - t)

            async def client(i: int):
                rng = random.Random(i)
                mon = list(MON)
                cid = f"load{i}"
                await asyncio.sleep(rng.uniform(0, 2))
                while time.monotonic() < t_end:
                    j = rng.randrange(len(mon))
                    mon[j] = max(0, mon[j] + rng.choice([-2, -1, 1, 2, 3]))
                    first = None
                    if rng.random() < 0.3:  # two keystrokes: the first edit is superseded
                        first = asyncio.create_task(post(cid, [*mon[:j], mon[j] // 10, *mon[j + 1:]]))
                        await asyncio.sleep(0.3)
                    await post(cid, mon)
                    if first is not None:
                        await first
                    await asyncio.sleep(rng.uniform(1, 3))

            async def sample():
                while time.monotonic() < t_end:
                    await asyncio.sleep(10)
                    rss.append((time.monotonic() - t_start, rss_mb(proc.pid)))

            await asyncio.gather(sample(), *(client(i) for i in range(a.clients)))
            elapsed = time.monotonic() - t_start  # the last edits started before the end are answered too
            rss.append((time.monotonic() - t_start, rss_mb(proc.pid)))
            alive = (await http.get("/api/scenarios")).status_code == 200
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    lat = sorted(latencies)

    def q(p: float) -> float:
        return lat[min(len(lat) - 1, int(round(p * (len(lat) - 1))))] if lat else float("nan")

    load = os.getloadavg()
    lines = [
        f"# Planning page load test (benchmarks/loadtest.py)",
        "",
        f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        "(a shared machine)",
        f"{a.clients} clients editing the SKA baseline week for {a.seconds} s, {a.replications} replications per edit, "
        "each pausing 1-3 s after the KPIs arrive; 3 edits in 10 typed in two keystrokes 0.3 s apart (the first superseded).",
        "",
        "| requests served | answered with KPIs | superseded (cancelled) | errors | p50 per edit | p95 per edit | server alive after |",
        "|---|---|---|---|---|---|---|",
        f"| {served} | {len(lat)} | {superseded} | {len(errors)} | {q(0.5):.2f} s | {q(0.95):.2f} s | {'yes' if alive else 'NO'} |",
        "",
        "Server memory (RSS of the server and its worker processes, MB): "
        + ", ".join(f"{t:.0f} s: {m:.0f}" for t, m in rss),
        f"after vs before: {rss[-1][1]:.0f} MB vs {rss[0][1]:.0f} MB",
        "",
        f"Throughput {len(lat) / elapsed:.2f} answered edits per second ({len(lat)} in {elapsed:.0f} s, the last "
        "edits started before the end included). One edit is about "
        f"{a.replications} replications x ~0.1 s of CPU: {a.clients} people editing at once share the cores, "
        "so the latency is mostly the queue (benchmarks/web.py times one edit alone).",
    ]
    if errors:
        lines += ["", "Errors:", *[f"- {e}" for e in errors[:10]]]
    return "\n".join(lines) + "\n", len(errors) + (0 if alive else 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--workers", type=int, default=0, help="server worker processes (default: the machine's cores)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--write", action="store_true", help="append to benchmarks/web_results.md")
    a = ap.parse_args()
    text, bad = asyncio.run(main_async(a))
    print(text)
    if a.write:
        with open(ROOT / "benchmarks" / "web_results.md", "a") as f:
            f.write("\n" + text)
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
