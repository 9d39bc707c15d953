"""The report shows the forecast behind the week: the band plot, each day's 80% and 95%
intervals, the effects that apply, overrides marked; nothing without a forecast."""

from __future__ import annotations

from conftest import ROOT
from ska_sim import load_scenario, simulate
from ska_sim.report.html import build_report

SETS = ["arrivals.forecast.file=forecast-week.csv", "calendar.warmup_days=0"]


def test_the_report_shows_the_forecast_band_effects_and_overrides():
    s = load_scenario(ROOT / "scenarios" / "baseline.toml", [*SETS, "arrivals.forecast.override.2026-03-05=1400"])
    page = build_report(simulate(s, replications=2))
    i = page.index("<h2>The forecast behind the week</h2>")
    section = page[i: page.index("</section>", i)]
    assert "intervals include the forecast&#x27;s uncertainty" in section and "(1 overridden)" in section
    assert "alt='First calls per day: the forecast with its 80% and 95% intervals'" in section
    assert "<td>mon 2026-03-02</td><td>1,200</td><td>1,200</td><td>1,015-1,393</td><td>927-1,507</td>" in section
    assert "<td>1,400 <b>override</b></td><td>1,209</td>" in section
    assert "payment_day: 1.3; event: pension payment day" in section
    assert "<td>Forecast</td><td style='text-align:left'>arrivals from the forecast forecast-week.csv" in page


def test_no_forecast_no_section():
    s = load_scenario(ROOT / "scenarios" / "baseline.toml", ["calendar.warmup_days=0"])
    assert "The forecast behind the week" not in build_report(simulate(s, replications=2))
