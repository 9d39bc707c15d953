"""The forecast panel of the planning page in a real browser (headless Chromium): the week's
forecast with its bands, a day's volume typed over it, marked as an override, simulated; the
grid filled with the plan for a chance of meeting every target."""

from __future__ import annotations

import shutil
import time

import pytest

from conftest import ROOT
from helpers import chromium, start_page_server

BLOCK = '[arrivals.forecast]\nfile = "forecast-week.csv"\n'


@pytest.fixture(scope="module")
def seen(tmp_path_factory):
    from playwright.sync_api import sync_playwright


    wd = tmp_path_factory.mktemp("plans")
    text = (ROOT / "scenarios" / "baseline.toml").read_text()
    (wd / "week.toml").write_text(text.replace("[[call_types]]", BLOCK + "\n[[call_types]]", 1))
    shutil.copy(ROOT / "scenarios" / "forecast-week.csv", wd / "forecast-week.csv")
    base, stop = start_page_server(wd, "week.toml", "tok")
    out, errors = {}, []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="en-US")
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def runs_done(n):
                t0 = time.monotonic()
                while int(page.get_attribute("body", "data-runs") or 0) < n:
                    assert time.monotonic() - t0 < 60, f"run {n}"
                    page.wait_for_timeout(50)

            page.goto(f"{base}/?token=tok&scenario=week.toml&replications=2", wait_until="load")
            runs_done(1)
            out["visible"] = page.is_visible("#forecast-section")
            out["rows"] = page.eval_on_selector_all("#forecast tr[data-forecast-date]", "els => els.length")
            thu = '#forecast tr[data-forecast-date="2026-03-05"]'
            out["thu"] = page.text_content(thu)
            out["mark_before"] = page.is_visible(f'{thu} [data-override="2026-03-05"]')
            out["note_before"] = page.text_content("#reps-note")
            page.fill(f"{thu} input", "1600")
            runs_done(2)
            out["mark_after"] = page.is_visible(f'{thu} [data-override="2026-03-05"]')
            out["note_after"] = page.text_content("#reps-note")
            page.fill("#confidence", "0.75")
            page.click("#fill-confidence")
            runs_done(3)
            out["help"] = page.text_content("#help-result")
            browser.close()
    finally:
        stop()
    out["errors"] = errors
    return out


def test_the_forecast_behind_the_week_is_shown_with_its_bands_and_effects(seen):
    assert seen["visible"] and seen["rows"] == 5
    assert "1,209" in seen["thu"] and "1,022 – 1,404" in seen["thu"] and "pension payment day" in seen["thu"]
    assert "intervals include the forecast's uncertainty" in seen["note_before"]


def test_a_typed_volume_is_marked_as_an_override_and_simulated(seen):
    assert not seen["mark_before"] and seen["mark_after"]
    assert "(1 overridden)" in seen["note_after"] and "(1 overridden)" not in seen["note_before"]
    assert seen["errors"] == []


def test_the_plan_for_a_chance_fills_the_grid(seen):
    assert "a 75% chance of meeting every target (agents ×" in seen["help"]
    assert "intervals include the forecast's uncertainty" in seen["help"]
