"""An edit and its cancellation by a second edit, in a real browser (headless Chromium via
Playwright, one local server with one worker process, the baseline week at 20 replications):
the first edit is typed, its request goes out, the second is typed while the first computes;
the page ends showing the second edit's figures as `ska-sim run` computes them, having drawn
them in stages (fewer replications first, marked), and the first edit's figures are never
shown as final."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ska_sim.cli import main

from helpers import chromium, start_page_server, poll_until
from conftest import ROOT

MON = [33, 36, 38, 38, 36, 33, 28, 27, 30, 31, 29, 27, 24, 22, 20, 19]  # baseline.toml's Monday
REPS, SEED = 20, 2026
CELL = '#grid input[data-key="staffing.agents.mon"][data-index="1"]'


@pytest.fixture(scope="module")
def seen(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    wd = tmp_path_factory.mktemp("plans")
    (wd / "baseline.toml").write_text((ROOT / "scenarios" / "baseline.toml").read_text())
    base, stop = start_page_server(wd, "baseline.toml", "browser-token")
    out: dict = {"errors": [], "workdir": wd}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="en-US")
            page.on("pageerror", lambda e: out["errors"].append(str(e)))
            page.on("console", lambda m: out["errors"].append(m.text) if m.type == "error" else None)

            def attr(name):
                return page.get_attribute("body", name)

            def until(cond, what, timeout_s=90):  # polled from here: the page's CSP forbids eval'd predicates
                poll_until(page, cond, what, timeout_s, 20)

            page.goto(f"{base}/?token=browser-token&scenario=baseline.toml&replications={REPS}",
                      wait_until="load")
            until(lambda: int(attr("data-runs") or 0) >= 1, "the saved plan's figures")
            sent = int(attr("data-sent"))
            page.fill(CELL, "44")  # the first edit ...
            until(lambda: int(attr("data-sent")) > sent, "the first edit's request")
            out["first_sent"] = json.loads(attr("data-shown"))
            page.fill(CELL, "48")  # ... and the second, typed while the first computes
            until(lambda: int(attr("data-runs") or 0) >= 2, "the second edit's figures")
            page.wait_for_timeout(500)  # anything of the first edit still on its way would be drawn by now
            out["shown"] = json.loads(attr("data-shown"))
            out["sl"] = float(page.get_attribute('#targets [data-kpi="service_level"]', "data-value"))
            out["stage"] = page.get_attribute("#kpi-section", "data-stage")
            out["badge_hidden"] = page.is_hidden("#stage-badge")
            out["note"] = page.text_content("#reps-note")
            browser.close()
    finally:
        stop()
    return out


def edits(value: int) -> str:
    mon = [str(x) for x in MON]
    mon[1] = str(value)
    return json.dumps({"staffing.agents.mon": mon}, separators=(",", ":"))


def test_the_second_edit_ends_on_the_page_as_run_computes_it(seen):
    mon = [MON[0], 48, *MON[2:]]
    r = CliRunner().invoke(main, ["run", str(seen["workdir"] / "baseline.toml"), "-r", str(REPS), "--seed", str(SEED),
                                  "--workers", "1", "--set", f"staffing.agents.mon={mon}", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert seen["sl"] == json.loads(r.stdout)["kpis"]["service_level"]["mean"]
    last = seen["shown"][-1]
    assert json.loads(last["edits"]) == json.loads(edits(48))
    assert last["stage"] == "complete" and last["replications"] == REPS
    assert seen["stage"] == "complete" and seen["badge_hidden"] and f"{REPS} simulation runs" in seen["note"]
    assert not seen["errors"]


def test_the_first_edit_is_never_shown_as_final(seen):
    first = [s for s in seen["shown"] if json.loads(s["edits"]) == json.loads(edits(44))]
    assert all(s["stage"] != "complete" for s in first), first
    # the second was typed after the first's request went out, and was drawn in stages, fewer replications first
    second = [s for s in seen["shown"] if json.loads(s["edits"]) == json.loads(edits(48))]
    reps = [s["replications"] for s in second]
    assert reps == sorted(reps) and reps[0] < REPS and len(second) >= 2
    assert [s["stage"] for s in second][:1] in (["estimate"], ["simulated"])
    # every stage said what it was, in words, beside the figures (the complete run plainly)
    words = {"estimate": "Estimate", "simulated": "First figures", "complete": ""}
    assert all(s["badge"] == words[s["stage"]] for s in seen["shown"]), seen["shown"]
