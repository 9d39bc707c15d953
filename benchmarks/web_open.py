"""Opening a scenario on the planning page (issue 22.3): the time to its first figures.

Server side, as ``ska-sim serve`` answers a page that opens a scenario: a new service (its 2
worker processes started and the roster files read, as the server does at start; also with the
year's roster read cold, by the first page), ``describe`` (``GET /api/scenario``: the
week it opens on, the coming weeks with their holidays) and the saved plan's stages the page then
asks for (``POST /api/stages``): the estimate (2 replications), the first figures (4) and the
complete run (the scenario's replications). ``year-2026.toml`` opens on the current week
(web/weeks.py); ``--whole-year`` also times the year as saved (what the page did before: 365 days
simulated first). The baseline week is the reference measured in the same run.

In the browser (``--browser``): headless Chromium on a local server, from the navigation to the
first figures drawn and to the complete run drawn (the page's ``data-shown`` list of the stages
it drew), for each scenario; the first opening after the server started (cold: the year's roster
file read) and the next ones.

    .venv/bin/python benchmarks/web_open.py [--repeats 3] [--browser] [--whole-year]

Target: first figures (4 replications, as for an edit) in under 2 s. The machine is shared: the load average is printed beside
the numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from machine import machine  # noqa: E402  (benchmarks/machine.py: the CPU as read now)

SCENARIOS = ("baseline.toml", "year-2026.toml")
FILES = ("baseline.toml", "year-2026.toml", "year-2026-roster.csv", "shifts-example.toml")


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def server_side(workdir: Path, name: str, week: str | None, workers: int, warm: bool) -> tuple[float, dict, int]:
    """(describe s, {stage: s from the describe's end}, days simulated) on a service started for
    this opening, the saved plan answered in stages as the page asks (the estimate, the first
    figures, the complete run); ``warm``: after the server's start-up reading of the roster files
    (else the first page pays it)."""
    from ska_sim.web.api import Service

    sv = Service(workdir, workers=workers)
    sv.pool.start()
    if warm:
        sv.warm()  # as `serve` does in the background at start: the roster files read
    try:
        t0 = time.perf_counter()
        doc = sv.describe(name, week, dt.date.today().isoformat())
        t1 = time.perf_counter()
        at: dict = {}
        for out in sv.run_stages({"scenario": name, "week": doc["week"], "client": "bench"}):
            at.setdefault(STAGE_OF.get(out["stage"], "first"), time.perf_counter() - t1)
        at.setdefault("first", at["complete"])  # a run short enough to be complete at once
    finally:
        sv.pool.shutdown()
    return t1 - t0, at, len(set(out["intervals"]["date"]))


STAGE_OF = {"estimate": "estimate", "complete": "complete"}  # the other stages: the first figures, narrowing


def browser_side(workdir: Path, repeats: int, workers: int) -> dict[str, list[dict]]:
    """Seconds from navigation to each stage drawn (``estimate``, ``first`` figures, ``complete``),
    per scenario and opening (the first: a cold server)."""
    import uvicorn
    from playwright.sync_api import sync_playwright

    from ska_sim.web.app import create_app

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(workdir, workers=workers, token="bench", hosts={f"127.0.0.1:{port}"})
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    while not srv.started:
        time.sleep(0.05)
    out: dict[str, list[float]] = {n: [] for n in SCENARIOS}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
                                        args=["--no-sandbox", "--disable-gpu"])
            for name in ("year-2026.toml", "baseline.toml"):  # the year first: its roster read cold
                for _ in range(repeats):
                    page = browser.new_page(viewport={"width": 1440, "height": 900})
                    t0 = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}/?token=bench&scenario={name}", wait_until="commit")
                    at: dict = {}
                    while "complete" not in at:  # the stages drawn (the page's data-shown), as they come
                        for st in json.loads(page.get_attribute("body", "data-shown") or "[]"):
                            at.setdefault(STAGE_OF.get(st["stage"], "first"), time.perf_counter() - t0)
                        page.wait_for_timeout(10)
                    at.setdefault("first", at["complete"])
                    out[name].append(at)
                    page.close()
            browser.close()
    finally:
        srv.should_exit = True
        t.join(15)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    ap.add_argument("--whole-year", action="store_true", help="also time the year as saved (365 days)")
    a = ap.parse_args()

    print(f"machine: {machine()}; {a.workers} workers; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        wd = Path(tmp)
        for f in FILES:
            shutil.copy(ROOT / "scenarios" / f, wd / f)
        cases = [(n, None, True) for n in SCENARIOS] + [("year-2026.toml", None, False)] \
            + ([("year-2026.toml", "saved", True)] if a.whole_year else [])
        for name, week, warm in cases:
            rows = [server_side(wd, name, week, a.workers, warm) for _ in range(1 if week == "saved" else a.repeats)]
            desc = [r[0] for r in rows]
            total = [r[0] + r[1]["first"] for r in rows]
            what = "whole window" if week else "opens on its week" + ("" if warm else ", roster read cold")
            print(f"server  {name:<16} {what:<36} days {rows[0][2]:>3}: describe {statistics.median(desc):.2f} s"
                  f" + first figures {statistics.median(r[1]['first'] for r in rows):.2f} s = "
                  f"{statistics.median(total):.2f} s (median of {len(rows)}, max {max(total):.2f} s); complete "
                  f"{statistics.median(r[0] + r[1]['complete'] for r in rows):.2f} s")
        print(load())
        if a.browser:
            for name, times in browser_side(wd, a.repeats, a.workers).items():
                def seq(key: str) -> str:
                    return f"{times[0][key]:.2f} s" + (f" (then {' '.join(f'{x[key]:.2f}' for x in times[1:])} s)"
                                                       if len(times) > 1 else "")
                print(f"browser {name:<16} navigation to the first figures: {seq('first')}; "
                      f"to the complete run: {seq('complete')}")
            print(load())


if __name__ == "__main__":
    main()
