"""A reviewer's findings (FIX-C): --set messages on a block it created, a range event with both
end and open_days, the calendar header's counts and norm, float noise in outputs, serve's
loopback test and its SCENARIO checks, and output file extensions (report -o, fit --out)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from ska_sim.cli import main
from ska_sim.base.errors import ScenarioError
from ska_sim.scenario.load import load_scenario

BASE = "scenarios/baseline.toml"
YEAR = "scenarios/year-2026.toml"


def errors(r) -> list[str]:
    return [ln for ln in r.output.splitlines() if ln.startswith("error:")]


# ----------------------------------------------------------------- 1. --set creating [costs]
@pytest.mark.parametrize("setting, words", [
    ("costs.manager_eur_per_hour=inf", "costs.manager_eur_per_hour: must be a finite number"),
    ("costs.foo=1", "costs.foo: unknown key"),
])
def test_a_wrong_set_that_creates_a_block_reports_only_its_own_mistake(setting, words, tmp_path):
    out = tmp_path / "cal.csv"
    r = CliRunner().invoke(main, ["calendar", BASE, "--set", setting, "-o", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    (line,) = errors(r)
    assert line.startswith(f"error: --set {setting}: {words}")
    assert "eur_per_paid_hour" not in r.output and not out.exists()


def test_a_right_set_that_leaves_its_new_block_incomplete_names_the_missing_key_and_the_set():
    r = CliRunner().invoke(main, ["validate", BASE, "--set", "costs.manager_eur_per_hour=50"])
    assert r.exit_code == 2
    assert errors(r) == ["error: --set costs.manager_eur_per_hour=50: costs.eur_per_paid_hour: missing (required)"]
    load_scenario(BASE, ["costs.manager_eur_per_hour=50", "costs.eur_per_paid_hour=30"])  # complete: fine


# ----------------------------------------------------------------- 2. range with end and open_days
def test_a_range_event_with_end_and_open_days_is_refused_naming_the_event_and_both_keys(tmp_path):
    rule = ('arrivals.events=[{name="indexation", rule="range", start=2026-03-03, end=2026-03-05, open_days=2, '
            'factor=1.3}]')
    out = tmp_path / "cal.csv"
    r = CliRunner().invoke(main, ["calendar", BASE, "--set", rule, "-o", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output and not out.exists()
    (line,) = errors(r)
    assert "arrivals.events[0]" in line and "'indexation'" in line and "end" in line and "open_days" in line
    with pytest.raises(ScenarioError):
        load_scenario(BASE, [rule])


# ----------------------------------------------------------------- 3. calendar header
def test_the_calendar_header_keeps_the_measured_windows_counts_and_norm_together():
    r = CliRunner().invoke(main, ["calendar", BASE, "--with-warmup", "--set", "calendar.days=3"])
    assert r.exit_code == 0, r.output
    header = r.output.splitlines()[1]
    # measured window 2-4 March 2026: 3 working days, 24 h; the warm-up week (23 Feb-1 Mar) adds 4
    # open working days, one of them (23 Feb) shortened; 24 Feb closed
    assert "Measured window 2026-03-02 to 2026-03-04: 3 dates, 3 open, 3 working days (0 shortened" in header
    assert "norm is 24 h per FTE" in header
    assert "With the warm-up (7 days from 2026-02-23, listed too): 10 dates, 7 open, 7 working days (1 shortened" \
        in header
    r = CliRunner().invoke(main, ["calendar", BASE])
    assert "With the warm-up" not in r.output and "5 working days" in r.output and "40 h per FTE" in r.output


# ----------------------------------------------------------------- 4. float noise
def test_calendar_outputs_round_products_of_factors():
    r = CliRunner().invoke(main, ["calendar", YEAR, "--format", "csv"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(pd.io.common.StringIO(r.output)).set_index("date")
    # 6 April 2026: pension 1.15 x after Easter 1.25 x indexation 1.6 = 2.3 (float: 2.3000000000000003)
    assert "2026-04-06,mon,True,09:00,17:00,8.0,True,False,,2.3," in r.output
    assert "2026-04-07,tue,True,09:00,17:00,8.0,True,False,,1.84," in r.output
    assert all(len(repr(float(v)).replace("-", "").replace(".", "").lstrip("0")) <= 7 for v in df["volume_factor"])
    doc = json.loads(CliRunner().invoke(main, ["calendar", YEAR, "--format", "json"]).output)
    assert {d["date"]: d["volume_factor"] for d in doc["dates"]}["2026-04-06"] == 2.3


def test_workforce_and_plan_hiring_outputs_round_heads_but_the_library_keeps_them_exact():
    from ska_sim.plan.workforce import HiringPlan, rounded_months

    months = pd.DataFrame([{"month": "2026-02", "heads_start": 55.16, "hires": 3.0, "leavers": 0.8724,
                            "heads_end": 57.2876, "heads_training": 3.0, "heads_on_phones": 55.159999999999975,
                            "phone_fte": 55.159999999999975, "effective_fte": 55.159999999999975, "plan_fte": 56.0}])
    plan = HiringPlan((dt.date(2026, 9, 1), dt.date(2026, 9, 30)), dt.date(2026, 6, 1), None, 0, 50,
                      tried=[{"hires": 0, "effective_fte": 53.66441979758895, "meets": True}], months=months)
    doc = json.loads(json.dumps(plan.to_json()))
    row = doc["months"][0]
    assert row["heads_on_phones"] == 55.16 and row["phone_fte"] == 55.16 and row["effective_fte"] == 55.16
    assert row["heads_end"] == 57.2876 and doc["tried"][0]["effective_fte"] == 53.664
    assert months["heads_on_phones"][0] == 55.159999999999975  # the table itself is untouched
    assert rounded_months(months)["heads_on_phones"][0] == 55.16
    r = CliRunner().invoke(main, ["workforce", YEAR, "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert "99999" not in r.output and "00000" not in r.output


# ----------------------------------------------------------------- 6. serve
@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                            ("localhost", True), ("0.0.0.0", False), ("::", False),
                                            ("192.168.1.10", False), ("no-such-host.invalid", False)])
def test_serve_knows_loopback_addresses(host, loopback):
    from ska_sim.cli.serve import _is_loopback

    assert _is_loopback(host) is loopback


def test_serve_on_127_0_0_2_does_not_warn(tmp_path, monkeypatch):
    import uvicorn

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(kw))
    (tmp_path / "base.toml").write_text(open(BASE, encoding="utf-8").read(), encoding="utf-8")
    for host, warned in (("127.0.0.2", False), ("0.0.0.0", True)):
        r = CliRunner().invoke(main, ["serve", str(tmp_path / "base.toml"), "--host", host, "--port", "0",
                                      "--workers", "1"])
        assert r.exit_code == 0, r.output
        assert ("other machines can reach the page" in r.output) is warned
    assert [kw["host"] for kw in started] == ["127.0.0.2", "0.0.0.0"]


@pytest.mark.parametrize("name, text, words", [
    ("empty.toml", "", "empty.toml: calendar: missing (required)"),
    ("base.txt", None, "base.txt: not a .toml scenario file"),
])
def test_serve_checks_its_scenarios_before_it_starts(name, text, words, tmp_path, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: pytest.fail("started"))
    f = tmp_path / name
    f.write_text(open(BASE, encoding="utf-8").read() if text is None else text, encoding="utf-8")
    r = CliRunner().invoke(main, ["serve", str(f), "--port", "0", "--workers", "1"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert words in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# ----------------------------------------------------------------- 7. output extensions
def test_report_refuses_an_output_that_is_not_html(tmp_path):
    out = tmp_path / "rep.pdf"
    r = CliRunner().invoke(main, ["report", BASE, "-o", str(out), "-r", "2"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert errors(r) == [f"error: -o {out}: the report is an HTML file: give a name ending in .html (or .htm)"]
    assert not out.exists()


def test_fit_refuses_an_out_that_is_not_toml(tmp_path):
    log = tmp_path / "calls.csv"
    log.write_text("call_id,arrival\n", encoding="utf-8")
    out = tmp_path / "f9.txt"
    r = CliRunner().invoke(main, ["fit", str(log), "--out", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    (line,) = errors(r)
    assert f"--out {out}" in line and ".toml" in line
    assert not out.exists()
