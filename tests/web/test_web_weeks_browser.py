"""Any week on the planning page, in a real browser (headless Chromium via Playwright), in both
languages: the year scenario opens on the current week (not the year); a coming week picked from
the list (Christmas 2026) shows its dates and its holidays named, and its KPIs are `ska-sim run`'s
for that week; a date typed (Independence Day 2027, beyond the year's roster) shows its week, the
holiday in Estonian, the shortened day before it and why the roster does not staff it. The
browser's clock is set to Monday 7 December 2026, so the coming weeks do not depend on the day the
tests run. One browser launch, one local server, 2 replications."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import time

import pytest
from click.testing import CliRunner

from ska_sim.cli import main

from helpers import chromium, start_page_server
from conftest import ROOT

REPS, SEED = 2, 2026
TODAY = "2026-12-07T10:00:00"  # a Monday: the coming weeks start with this one


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    wd = tmp_path_factory.mktemp("weeks")
    for f in ("baseline.toml", "year-2026.toml", "year-2026-roster.csv", "shifts-example.toml"):
        shutil.copy(ROOT / "scenarios" / f, wd / f)
    base, stop = start_page_server(wd, "year-2026.toml")
    yield {"base": base, "workdir": wd}
    stop()


@pytest.fixture(scope="module")
def session(server):
    from playwright.sync_api import sync_playwright

    base = server["base"]
    errors, seen = [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--no-first-run", "--disable-sync"])

        def page_in(locale):
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale=locale)
            page.clock.set_fixed_time(TODAY)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            return page

        def runs_done(page, n, timeout_s=120):  # polled from here: the page's CSP forbids eval'd predicates
            t0 = time.monotonic()
            while int(page.get_attribute("body", "data-runs") or 0) < n:
                assert time.monotonic() - t0 < timeout_s, f"timed out waiting for run {n}"
                page.wait_for_timeout(50)

        def week(page):
            return {"dates": page.eval_on_selector_all("#grid tr[data-date]", "rs => rs.map(r => r.dataset.date)"),
                    "facts": page.text_content("#week-facts"), "chosen": page.input_value("#week"),
                    "sl": float(page.get_attribute('#targets [data-kpi="service_level"]', "data-value"))}

        # English: the year opens on this week; then the week of Christmas, picked from the list
        en = page_in("en-US")
        en.goto(f"{base}/?token=browser-token&scenario=year-2026.toml&replications={REPS}", wait_until="load")
        runs_done(en, 1)
        seen["en_open"] = week(en)
        seen["en_options"] = en.eval_on_selector_all("#week option", "os => os.map(o => [o.value, o.textContent])")
        en.select_option("#week", "2026-12-21")
        runs_done(en, 2)
        seen["en_christmas"] = week(en)

        # Estonian: a date typed, in the week of Independence Day 2027 (beyond the year's roster)
        et = page_in("et-EE")
        et.goto(f"{base}/?token=browser-token&scenario=year-2026.toml&replications={REPS}", wait_until="load")
        runs_done(et, 1)
        et.fill("#week-date", "2027-02-24")
        runs_done(et, 2)
        seen["et_typed"] = week(et)
        seen["et_option"] = et.eval_on_selector("#week option:checked", "o => o.textContent")
        browser.close()
    return {"errors": errors, "seen": seen, "workdir": server["workdir"]}


def cli_sl(workdir, monday: str) -> float:
    r = CliRunner().invoke(main, ["run", str(workdir / "year-2026.toml"), "-r", str(REPS), "--seed", str(SEED),
                                  "--workers", "1", "--set", f"calendar.start={monday}", "--set", "calendar.days=7",
                                  "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["kpis"]["service_level"]["mean"]


def test_the_year_opens_on_this_week_not_the_year(session):
    w = session["seen"]["en_open"]
    assert w["dates"] == ["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"]
    assert w["chosen"] == "2026-12-07"
    assert "Week 7 Dec – 13 Dec 2026" in w["facts"] and "pension payment day" in w["facts"]


def test_the_list_offers_the_coming_weeks_with_what_is_special_in_them(session):
    options = dict(session["seen"]["en_options"])
    coming = [v for v, _ in session["seen"]["en_options"]][:12]
    assert coming == ["2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28", "2027-01-04", "2027-01-11",
                      "2027-01-18", "2027-01-25", "2027-02-01", "2027-02-08", "2027-02-15", "2027-02-22"]
    assert options["2026-12-21"].startswith("21 Dec – 27 Dec 2026")
    assert "Christmas Eve (closed)" in options["2026-12-21"] and "shortened day (5 h)" in options["2026-12-21"]
    assert "Independence Day (closed)" in options["2027-02-22"]
    assert options["saved"].startswith("as saved: 1 Jan 2026, 365 days")  # the year, when asked


def test_a_week_picked_shows_its_dates_holidays_and_its_own_kpis(session):
    w = session["seen"]["en_christmas"]
    assert w["dates"] == ["2026-12-21", "2026-12-22", "2026-12-23"]  # 24, 25 Dec: holidays; 26-27: weekend
    assert w["chosen"] == "2026-12-21"
    assert "Wed 23 Dec 2026: shortened day (5 h)" in w["facts"]
    assert "Thu 24 Dec 2026: Christmas Eve (closed)" in w["facts"] and "Christmas Day (closed)" in w["facts"]
    assert w["sl"] == cli_sl(session["workdir"], "2026-12-21")
    assert w["sl"] != session["seen"]["en_open"]["sl"]


def test_a_date_typed_shows_its_week_in_estonian(session):
    w = session["seen"]["et_typed"]
    assert w["dates"] == ["2027-02-22", "2027-02-23", "2027-02-25", "2027-02-26"]
    assert w["chosen"] == "2027-02-22"
    assert "Nädal 22.02 – 28.02.2027" in w["facts"], w["facts"]
    assert "K 24.02.2027: iseseisvuspäev (suletud)" in w["facts"], w["facts"]
    assert "T 23.02.2027: lühendatud tööpäev (5 h)" in w["facts"]
    assert "riigipühale järgnev päev" in w["facts"]  # 25 Feb: the event's Estonian name
    with open(session["workdir"] / "year-2026-roster.csv", newline="") as f:  # the roster's first and last date
        dates = sorted(dt.date.fromisoformat(r["date"]) for r in csv.DictReader(f))
    covers = f"{dates[0]:%d.%m.%Y}–{dates[-1]:%d.%m.%Y}"
    assert f"Töögraafik (year-2026-roster.csv) katab päevad {covers}: sel nädalal on stsenaariumi tavaline" in w["facts"]
    assert session["seen"]["et_option"].startswith("22.02 – 28.02.2027")
    assert w["sl"] == cli_sl(session["workdir"], "2027-02-22")


def test_no_console_errors(session):
    assert session["errors"] == []
