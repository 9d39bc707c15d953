"""A window's hours as they are: paid hours over the window and the window's working-time norm
(the week of 23 February 2026: Monday shortened by 3 h, Tuesday Independence Day: 29 h per FTE),
never a 40-hour equivalent; a rate per ordinary week only where its label says so.

Hand-checked on an office open Monday-Friday 09:00-17:00 with 12 agents on the phones and 20%
in-shift shrinkage (no absence): in the week of 23 February 2026 it is open 5 + 0 + 3 x 8 = 29 h,
so 348 h on the phones, 435 paid hours, 15 FTE of a 29 h norm (600 h would be the 40-hour
equivalent); in the ordinary week of 2 March 2026, 480 h on the phones, 600 paid, 15 FTE of 40 h."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from ska_sim import load_scenario, scenario_from_dict
from ska_sim.cli import main
from ska_sim.plan.people import chain, per_ordinary_week, window_label, window_norm
from helpers import toml_of

WEEKDAYS5 = ("mon", "tue", "wed", "thu", "fri")


def office(start: str) -> dict:
    return {
        "scenario": {"name": "office"},
        "calendar": {"start": start, "days": 7, "warmup_days": 0, "interval_min": 30, "country": "EE",
                     "hours": {d: ["09:00", "17:00"] for d in WEEKDAYS5}},
        "arrivals": {"daily_calls": 300.0, "profile": [1 / 16] * 16},
        "call_types": [{"name": "x", "share": 1.0, "talk": {"dist": "exponential", "mean_s": 240}, "resolved": 0.7}],
        "staffing": {"agents": {"default": [12] * 16}},
        "shrinkage": {"breaks": 0.2},
        "simulation": {"replications": 2, "seed": 3},
    }


def test_the_window_and_its_norm_in_words():
    s = scenario_from_dict(office("2026-02-23"))
    w = window_norm(s)
    assert (w["window"], w["working_days"], w["shortened_days"], w["working_time_norm_hours"]) == (
        "week of 23 Feb 2026", 4, 1, 29.0)
    assert w["label"] == "week of 23 Feb 2026: norm 29 h per FTE"
    assert per_ordinary_week(s, 29.0) == pytest.approx(40.0)  # the one per-week rate, labelled as such where shown
    ordinary = scenario_from_dict(office("2026-03-02"))
    assert window_norm(ordinary)["working_time_norm_hours"] == 40.0
    assert per_ordinary_week(ordinary, 600.0) == pytest.approx(600.0)
    d = office("2026-02-25")
    d["calendar"]["days"] = 5
    assert window_label(scenario_from_dict(d)) == "25 Feb - 1 Mar 2026"
    d["calendar"].update(start="2026-01-01", days=365)
    assert window_label(scenario_from_dict(d)) == "2026"


def marginal_outputs(tmp_path, start: str) -> tuple[dict, str, list[dict]]:
    path = tmp_path / f"office-{start}.toml"
    path.write_text(toml_of(office(start)))
    args = ["marginal", str(path), "--agents", "0..1", "-r", "2", "--workers", "1"]
    doc = CliRunner().invoke(main, [*args, "--format", "json"])
    assert doc.exit_code == 0, doc.output
    out = tmp_path / f"out-{start}"
    text = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert text.exit_code == 0, text.output
    with open(out / "marginal.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return json.loads(doc.output), text.output, rows


def test_marginal_in_a_holiday_week_says_its_hours_and_its_norm(tmp_path):
    doc, text, csv_rows = marginal_outputs(tmp_path, "2026-02-23")
    assert doc["window"]["working_time_norm_hours"] == 29.0
    rows = {r["step"]: r for r in doc["rows"]}
    now, plus = rows[0], rows[1]
    assert now["phone_hours"] == pytest.approx(348.0)
    assert now["paid_hours"] == pytest.approx(435.0)  # not 600, its 40-hour equivalent
    assert now["fte"] == pytest.approx(15.0) and now["heads"] == 15
    assert now["working_time_norm_hours"] == 29.0 and now["window"] == "week of 23 Feb 2026"
    # +1 agent in each of the 58 open half-hours: +29 h on the phones, +36.25 paid, +1.25 FTE
    assert plus["paid_hours_change"] == pytest.approx(36.25)
    assert plus["fte_change"] == pytest.approx(1.25)
    assert not [k for k in now if "per_week" in k]
    # the text says the same figures and names the window's norm; no 40-hour week is implied
    assert "week of 23 Feb 2026: norm 29 h per FTE" in text
    assert "4 working days, 1 shortened; 40 h in an ordinary week" in text
    assert "h/week" not in text and "40 h a week" not in text
    now_line = next(line for line in text.splitlines() if line.split()[:1] == ["now"])
    assert now_line.split()[1] == "435"
    # and the CSV
    c0 = next(r for r in csv_rows if r["step"] == "0")
    assert float(c0["paid_hours"]) == pytest.approx(435.0)
    assert float(c0["working_time_norm_hours"]) == 29.0 and c0["window"] == "week of 23 Feb 2026"


def test_an_ordinary_week_keeps_40_hours_and_its_numbers(tmp_path):
    doc, text, csv_rows = marginal_outputs(tmp_path, "2026-03-02")
    now = next(r for r in doc["rows"] if r["step"] == 0)
    assert now["phone_hours"] == pytest.approx(480.0)
    assert now["paid_hours"] == pytest.approx(600.0)
    assert now["fte"] == pytest.approx(15.0) and now["working_time_norm_hours"] == 40.0
    assert "week of 2 Mar 2026: norm 40 h per FTE" in text
    assert float(next(r for r in csv_rows if r["step"] == "0")["paid_hours"]) == pytest.approx(600.0)


def test_staff_names_the_window_of_its_norm():
    s = load_scenario("scenarios/baseline.toml", ["calendar.start=2026-02-23", "calendar.days=7"])
    f = chain(s, 290.0, 300.0, 435.0)
    assert f["window"] == "week of 23 Feb 2026" and f["working_time_norm_hours"] == 29.0
    assert f["fte"] == pytest.approx(15.0)
    assert f["paid_hours_per_ordinary_week"] == pytest.approx(600.0)
    assert "paid_hours_per_week" not in f


def test_year_2026_in_the_week_of_23_february():
    week = ["--set", "calendar.start=2026-02-23", "--set", "calendar.days=7"]
    args = ["marginal", "scenarios/year-2026.toml", *week, "--agents", "0..0", "-r", "2", "--workers", "1"]
    doc = CliRunner().invoke(main, [*args, "--format", "json"])
    assert doc.exit_code == 0, doc.output
    now = json.loads(doc.output)["rows"][0]
    assert now["working_time_norm_hours"] == 29.0
    assert now["paid_hours"] == pytest.approx(now["fte"] * 29.0)  # the week's own hours, FTE of its 29 h norm
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0 and "week of 23 Feb 2026: norm 29 h per FTE" in text.output
    now_line = next(line for line in text.output.splitlines() if line.split()[:1] == ["now"])
    assert now_line.split()[1] == f"{now['paid_hours']:,.0f}"


def test_the_reported_week_pays_871_hours_of_a_29_hour_norm():
    # the baseline's plan in the week of 23 February 2026 (Monday closes 3 h early, Tuesday is closed):
    # 871 paid hours (on the phones / (1 - 0.10 in-shift) / (1 - 0.17 absence); 891 before the written
    # work replaced the 0.02 back-office share: 891 x 0.88 / 0.90 = 871), 30.0 FTE of 29 h;
    # 1,201 h would be its 40-hour equivalent (871 x 40 / 29)
    args = ["marginal", "scenarios/baseline.toml", "--set", "calendar.start=2026-02-23", "--agents", "0..0", "-r", "2",
            "--workers", "1"]
    doc = CliRunner().invoke(main, [*args, "--format", "json"])
    assert doc.exit_code == 0, doc.output
    now = json.loads(doc.output)["rows"][0]
    assert round(now["paid_hours"]) == 871 and now["working_time_norm_hours"] == 29.0
    assert now["fte"] == pytest.approx(30.0, abs=0.05)
    text = CliRunner().invoke(main, args).output
    assert "norm 29 h per FTE" in text and "1,201" not in text
    assert next(line for line in text.splitlines() if line.split()[:1] == ["now"]).split()[1] == "871"
