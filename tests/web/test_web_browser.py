"""The planning page in a real browser (headless Chromium via Playwright, as the report test):
edit a cell and the KPIs change and agree with `ska-sim run`; an invalid value shows the CLI's
message beside its field; save and reload a plan; no console errors, no request leaves the
server. One browser launch, one local server (uvicorn, one worker process), 4 replications.
Takes the README's screenshot (docs/planning-page.png under `make figures`, else a temporary file)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from ska_sim.cli import main

from helpers import chromium
from conftest import ROOT

ROOT = ROOT
# The screenshot goes to a temporary file; `make figures` sets SKA_SIM_SCREENSHOT=docs/planning-page.png
# to refresh the README's (a test run leaves the checkout as it was).
SHOT = ROOT / os.environ["SKA_SIM_SCREENSHOT"] if os.environ.get("SKA_SIM_SCREENSHOT") else \
    Path(os.environ.get("TMPDIR", "/tmp")) / f"ska-sim-planning-page-{os.getpid()}.png"
REPS, SEED = 4, 2026
MON = [33, 36, 38, 38, 36, 33, 28, 27, 30, 31, 29, 27, 24, 22, 20, 19]  # baseline.toml's Monday


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from ska_sim.web.app import create_app

    wd = tmp_path_factory.mktemp("plans")
    shutil.copy(ROOT / "scenarios" / "baseline.toml", wd / "baseline.toml")
    port = _free_port()
    app = create_app(wd, default="baseline.toml", workers=1, token="browser-token", hosts={f"127.0.0.1:{port}"})
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(600):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield {"base": f"http://127.0.0.1:{port}", "workdir": wd}
    srv.should_exit = True
    t.join(15)


def cli(*args):
    r = CliRunner().invoke(main, list(args))
    return r


@pytest.fixture(scope="module")
def session(server):
    from playwright.sync_api import sync_playwright

    base, wd = server["base"], server["workdir"]
    errors, requests, seen = [], [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--no-first-run", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))

        def until(cond, what, timeout_s=60):  # polled from here: the page's CSP forbids eval'd predicates
            t0 = time.monotonic()
            while not cond():
                assert time.monotonic() - t0 < timeout_s, f"timed out waiting for {what}"
                page.wait_for_timeout(50)

        def runs_done(n):
            until(lambda: int(page.get_attribute("body", "data-runs") or 0) >= n, f"run {n}")

        def kpi(name):
            return float(page.get_attribute(f'#targets [data-kpi="{name}"]', "data-value"))

        page.goto(f"{base}/?token=browser-token&scenario=baseline.toml&replications={REPS}", wait_until="load")
        runs_done(1)
        seen["before"] = {k: kpi(k) for k in ("service_level", "answer_rate")}
        seen["statuses"] = page.eval_on_selector_all("[data-status]", "els => els.map(e => e.textContent)")

        # type into a cell: Monday 09:00, 33 -> 40 agents
        cell = page.locator('#grid tr[data-date="2026-03-02"] input[data-slot="18"]')
        cell.click()
        cell.fill("40")
        runs_done(2)
        seen["after"] = {k: kpi(k) for k in ("service_level", "answer_rate")}
        seen["diff_sl"] = float(page.get_attribute('[data-diff="service_level"]', "data-value"))
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        SHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOT), full_page=True)

        # drag a cell upwards: Monday 10:00 gets more agents
        target = page.locator('#grid tr[data-date="2026-03-02"] input[data-slot="20"]')
        target.scroll_into_view_if_needed()
        box = target.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        for dy in range(0, 41, 4):
            page.mouse.move(x, y - dy)
        page.mouse.up()
        runs_done(3)
        seen["dragged"] = int(page.locator('#grid tr[data-date="2026-03-02"] input[data-slot="20"]').input_value())

        # an invalid value: its message next to the field
        vs = page.locator('input[data-key="arrivals.volume_scale"]')
        vs.fill("-1")
        until(lambda: page.text_content('[data-error-for="arrivals.volume_scale"]') != "", "the field's message")
        seen["error"] = page.text_content('[data-error-for="arrivals.volume_scale"]')
        seen["general_errors"] = page.text_content("#general-errors")
        vs.fill("1.0")
        runs_done(4)

        # save as a new file (the diff is shown first), then the page reloads it as the saved plan
        page.fill("#save-name", "edited.toml")
        page.click("#save-as")
        page.wait_for_selector("#confirm:not([hidden])")
        seen["diff_text"] = page.text_content("#diff-text")
        page.click("#confirm-yes")
        until(lambda: page.input_value("#scenario") == "edited.toml", "edited.toml reloaded")
        runs_done(5)
        seen["reloaded_cell"] = page.locator('#grid tr[data-date="2026-03-02"] input[data-slot="18"]').input_value()
        seen["no_edits"] = page.text_content("#diff")
        browser.close()
    return {"errors": errors, "requests": requests, "seen": seen, "base": base, "workdir": wd}


def test_an_edited_cell_changes_the_kpis_as_run_computes_them(session):
    seen = session["seen"]
    assert seen["after"]["service_level"] > seen["before"]["service_level"]
    mon = [40, *MON[1:]]
    r = cli("run", str(session["workdir"] / "baseline.toml"), "-r", str(REPS), "--seed", str(SEED), "--workers", "1",
            "--set", f"staffing.agents.mon={mon}", "--format", "json")
    assert r.exit_code == 0, r.output
    ref = json.loads(r.stdout)["kpis"]
    for k in ("service_level", "answer_rate"):
        assert seen["after"][k] == ref[k]["mean"], k
    base = json.loads(cli("run", str(session["workdir"] / "baseline.toml"), "-r", str(REPS), "--seed", str(SEED),
                          "--workers", "1", "--format", "json").stdout)["kpis"]
    assert seen["before"]["service_level"] == base["service_level"]["mean"]
    assert seen["diff_sl"] == pytest.approx(ref["service_level"]["mean"] - base["service_level"]["mean"], abs=1e-12)
    assert all(s.split(" ")[0] in ("PASS", "FAIL", "UNCERTAIN") for s in seen["statuses"])


def test_dragging_a_cell_up_adds_agents(session):
    assert session["seen"]["dragged"] > MON[2]


def test_an_invalid_value_shows_the_cli_message_next_to_the_field(session):
    r = cli("run", str(session["workdir"] / "baseline.toml"), "--set", "arrivals.volume_scale=-1")
    assert r.exit_code == 2
    assert session["seen"]["error"] == r.stderr.strip().removeprefix("error: ")
    assert session["seen"]["general_errors"] == ""


def test_save_shows_the_diff_and_the_plan_reloads_as_saved(session):
    seen, wd = session["seen"], session["workdir"]
    assert "+mon     = [40" in seen["diff_text"] or "+mon = [40" in seen["diff_text"]
    data = tomllib.loads((wd / "edited.toml").read_text())
    assert data["staffing"]["agents"]["mon"][0] == 40
    assert "ASSUMED" in (wd / "edited.toml").read_text()  # comments kept
    assert seen["reloaded_cell"] == "40"
    assert "No edits: this is the saved plan." in seen["no_edits"]


def test_no_console_errors_and_no_request_leaves_the_server(session):
    assert session["errors"] == []
    assert session["requests"] and all(u.startswith(session["base"] + "/") for u in session["requests"]), \
        [u for u in session["requests"] if not u.startswith(session["base"])]
    assert SHOT.stat().st_size > 50_000
