"""The HTML report, opened in a real browser (headless Chromium driven by Playwright)."""

from __future__ import annotations


import pandas as pd
import pytest
from click.testing import CliRunner

from ska_sim.cli import main
from ska_sim.report.text import fmt
from helpers import error_lines
from conftest import ROOT
from helpers import chromium

DATA = ROOT / "tests" / "data"

BASE = "scenarios/baseline.toml"




@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    scenario = d / "named.toml"
    # text from the scenario file must be escaped, never run
    scenario.write_text(
        (DATA / "minimal.toml").read_text().replace('name = "minimal"', 'name = "Line <script>alert(1)</script> & co"')
    )
    other = d / "more.toml"
    other.write_text(scenario.read_text().replace("default = [4, 5, 4]", "default = [5, 6, 5]"))
    args = ["-r", "4", "--seed", "9", "--workers", "1"]
    run = CliRunner().invoke(main, ["run", str(scenario), "--out", str(d / "run"), *args])
    rep = CliRunner().invoke(main, ["report", str(scenario), "--compare", str(other), "-o", str(d / "report.html"),
                                    "--agents", "-1..1", *args])
    assert run.exit_code == 0, run.output
    assert rep.exit_code == 0, rep.output
    return d


@pytest.fixture(scope="module")
def page_data(report):
    from playwright.sync_api import sync_playwright

    errors, failed, requests = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync"],
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("request", lambda r: requests.append(r.url))
        page.goto((report / "report.html").as_uri(), wait_until="load", timeout=30_000)
        images = page.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth, i.alt])")
        numbers = page.evaluate(
            "[...document.querySelectorAll('[data-kpi][data-stat]')].map(e => [e.dataset.kpi, e.dataset.stat, "
            "e.dataset.value, e.textContent])"
        )
        title = page.title()
        scripts = page.evaluate("document.querySelectorAll('script').length")
        text = page.inner_text("body")
        pdf = page.pdf(format="A4")
        browser.close()
    return dict(errors=errors, failed=failed, requests=requests, images=images, numbers=numbers, title=title,
                scripts=scripts, text=text, pdf=pdf)


def test_report_loads_without_errors_or_network(page_data):
    assert page_data["errors"] == []
    assert page_data["failed"] == []
    assert all(u.startswith(("file:", "data:")) for u in page_data["requests"]), page_data["requests"]


def test_every_image_has_loaded(page_data):
    assert len(page_data["images"]) >= 2
    for complete, width, alt in page_data["images"]:
        assert complete and width > 100, alt


def test_key_numbers_equal_summary_csv(page_data, report):
    summary = pd.read_csv(report / "run" / "summary.csv").set_index("kpi")
    seen = set()
    for kpi, stat, value, text in page_data["numbers"]:
        expected = summary.loc[kpi, stat]
        assert float(value) == pytest.approx(expected, rel=1e-5, abs=1e-9), (kpi, stat)
        assert text == fmt(float(expected), summary.loc[kpi, "unit"]), (kpi, stat, text)
        seen.add(kpi)
    assert {"service_level", "answer_rate", "asa_s", "offered", "occupancy"} <= seen


def test_scenario_text_is_escaped_and_nothing_runs(page_data):
    assert page_data["scripts"] == 0
    assert "<script>alert(1)</script>" in page_data["title"]
    assert "Line <script>alert(1)</script> & co" in page_data["text"]


def test_report_has_the_sections_a_manager_needs_and_prints(page_data):
    text = page_data["text"]
    for section in ("Verdict", "Key figures", "Service level by weekday and time of day", "What more (or fewer) agents buy",
                    "Scenarios side by side", "Assumptions", "sha256"):
        assert section in text, section
    assert any(s in text for s in ("PASS", "FAIL", "UNCERTAIN"))
    assert page_data["pdf"][:4] == b"%PDF" and len(page_data["pdf"]) > 20_000


def test_report_refuses_an_output_that_is_not_html(tmp_path):
    out = tmp_path / "rep.pdf"
    r = CliRunner().invoke(main, ["report", BASE, "-o", str(out), "-r", "2"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert error_lines(r) == [f"error: -o {out}: the report is an HTML file: give a name ending in .html (or .htm)"]
    assert not out.exists()




@pytest.mark.parametrize(("q", "text"), [(0.9, "a 90% chance"), (0.8, "an 80% chance"), (0.85, "an 85% chance"),
                                         (0.11, "an 11% chance"), (0.18, "an 18% chance"), (0.08, "an 8% chance"),
                                         (0.5, "a 50% chance"), (1.0, "a 100% chance")])
def test_a_chance_takes_the_article_its_number_is_read_with(q, text):
    from ska_sim.report.text import chance_phrase

    assert chance_phrase(q) == text
