"""Figures derived for people and plans: FTE, options bound to their scenario, FCR as a benchmark band,
staffing plans checked against today's, comparisons of different windows, marginal in FTE.

Each derived figure is checked by hand on a case with an obvious answer."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ska_sim import load_scenario, scenario_from_dict
from ska_sim.cli import main
from ska_sim.sim.engine import Model
from ska_sim.sim.targets import Target, targets_of
from ska_sim.plan.people import fte, fte_of, shrinkage_table, working_time_norm_h
from ska_sim.plan.staffing_result import plan_verdict
from ska_sim.plan.compare import Variant, parse_report_tokens
from conftest import ROOT
from helpers import toml_of

DATA = ROOT / "tests" / "data"
MINIMAL = str(DATA / "minimal.toml")
WEEKDAYS5 = ("mon", "tue", "wed", "thu", "fri")


def office_week(days: int = 5, closed: tuple[str, ...] = (), agents: int = 10, calls: float = 200.0,
                breaks: float = 0.2) -> dict:
    """Mon-Fri 09:00-17:00, 30-minute intervals, the same agents all day; 20% in-shift
    shrinkage and no absence, so paid hours = phone hours / 0.8."""
    return {
        "scenario": {"name": "office week"},
        "calendar": {"start": "2026-03-02", "days": days, "warmup_days": 0, "interval_min": 30,
                     "hours": {d: ["09:00", "17:00"] for d in WEEKDAYS5}, "closed": list(closed)},
        "arrivals": {"daily_calls": calls, "profile": [1 / 16] * 16},
        "call_types": [{"name": "x", "share": 1.0, "talk": {"dist": "exponential", "mean_s": 240}, "resolved": 0.7}],
        "staffing": {"agents": {"default": [agents] * 16}},
        "shrinkage": {"breaks": breaks},
        "simulation": {"replications": 2, "seed": 3},
    }


def chain(d: dict) -> dict:
    s = scenario_from_dict(d)
    tl = Model.from_scenario(s).timeline
    table = shrinkage_table(s, tl, tl.iv_agents)[tl.iv_measured()]
    return fte(s, table, tl.interval_s)


# --------------------------------------------------------------------------- 1. FTE
def test_fte_of_one_monday_to_friday_week_is_paid_hours_over_40():
    # 10 agents x 8 h x 5 days = 400 h on the phones; / 0.8 = 500 paid hours; / 40 = 12.5 FTE
    f = chain(office_week())
    assert f["phone_hours"] == pytest.approx(400)
    assert f["paid_hours"] == pytest.approx(500)
    assert f["working_time_norm_hours"] == pytest.approx(40)
    assert f["fte"] == pytest.approx(12.5)  # not 500 / (5/7) / 40 = 17.5
    assert f["heads"] == 13


def test_fte_does_not_depend_on_the_length_of_the_window():
    # two weeks (14 calendar days, 10 working days): twice the hours, twice the norm, the same FTE
    f = chain(office_week(days=14))
    assert f["paid_hours"] == pytest.approx(1000)
    assert f["working_time_norm_hours"] == pytest.approx(80)
    assert f["fte"] == pytest.approx(12.5)
    assert f["paid_hours_per_ordinary_week"] == pytest.approx(500)


def test_a_public_holiday_shortens_the_norm():
    # Wednesday closed: 4 working days, 320 h on the phones, 400 paid, norm 32 h: still 12.5 FTE
    f = chain(office_week(closed=("2026-03-04",)))
    assert f["working_days"] == 4 and f["working_time_norm_hours"] == pytest.approx(32)
    assert f["fte"] == pytest.approx(12.5)


def test_staff_and_marginal_use_the_same_fte(tmp_path):
    path = tmp_path / "week.toml"
    d = office_week(calls=300)
    path.write_text(toml_of(d))
    res = CliRunner().invoke(main, ["staff", str(path), "-r", "2", "--workers", "1", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["fte"]["fte"] == pytest.approx(doc["fte"]["paid_hours"] / 40)
    today = next(p for p in doc["plans"] if p["plan"] == "today")
    assert today["paid_hours"] == pytest.approx(500) and today["fte"] == pytest.approx(12.5)
    res = CliRunner().invoke(main, ["marginal", str(path), "--agents", "0..1", "-r", "2", "--workers", "1",
                                    "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["step"]: r for r in json.loads(res.output)["rows"]}
    assert rows[0]["paid_hours"] == pytest.approx(500)
    assert rows[0]["fte"] == pytest.approx(today["fte"])
    # +1 agent in every open interval: +40 h on the phones, +50 paid, +1.25 FTE; heads 13 -> 14 (12.5 and 13.75 FTE, rounded up)
    assert rows[1]["paid_hours_change"] == pytest.approx(50)
    assert rows[1]["fte_change"] == pytest.approx(1.25)
    assert rows[1]["heads_change"] == 1
    # every change carries its paired interval, repeat calls and waiting hours too
    for name in ("repeat_calls_per_day", "waiting_hours", "abandoned_per_day"):
        lo, hi = rows[1][f"{name}_change_ci_low"], rows[1][f"{name}_change_ci_high"]
        assert lo <= rows[1][f"{name}_change"] <= hi


def test_marginal_in_fte_buys_what_it_says(tmp_path):
    path = tmp_path / "week.toml"
    path.write_text(toml_of(office_week(calls=300, breaks=0.25)))
    res = CliRunner().invoke(main, ["marginal", str(path), "--fte", "-1..2", "-r", "2", "--workers", "1",
                                    "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["unit"] == "fte"
    rows = {r["step"]: r for r in doc["rows"]}
    # 1 FTE = 40 paid h = 30 h on the phones (25% in-shift) = 12 half-hour agent-intervals a day: no rounding
    for k in (-1, 1, 2):
        assert rows[k]["fte_change"] == pytest.approx(k)
        assert rows[k]["paid_hours_change"] == pytest.approx(40 * k)
    assert rows[2]["service_level"] >= rows[1]["service_level"] >= rows[0]["service_level"]
    text = CliRunner().invoke(main, ["marginal", str(path), "--fte", "0..1", "-r", "2", "--workers", "1"])
    assert text.exit_code == 0 and "+1 FTE" in text.output and "FTE" in text.output and "heads" in text.output
    # the change's paired interval is shown, as the header says
    assert re.search(r"pts \[[+-]\d+\.\d, [+-]\d+\.\d\]", text.output), text.output
    both = CliRunner().invoke(main, ["marginal", str(path), "--fte", "0..1", "--agents", "0..1"])
    assert both.exit_code == 2 and "--agents and --fte" in both.output


def test_working_time_norm_of_the_baseline_week():
    assert working_time_norm_h(load_scenario("scenarios/baseline.toml")) == 40
    assert fte_of(load_scenario("scenarios/baseline.toml", ["calendar.days=14"]), 80.0) == pytest.approx(1.0)


# --------------------------------------------------------------------------- 2. options bind to their file
def test_report_set_binds_to_the_file_it_follows():
    main_v, others, common = parse_report_tokens(["a.toml", "--set", "x=1", "--compare", "b.toml", "--set=y=2",
                                                  "--compare", "c.toml"])
    assert main_v.overrides == ("x=1",) and [o.overrides for o in others] == [("y=2",), ()]
    assert common == ()
    _, others, common = parse_report_tokens(["--set", "z=3", "a.toml", "--compare", "b.toml"])
    assert common == ("z=3",) and others[0].overrides == ()


def test_report_compare_differs_when_only_the_first_file_has_a_set(tmp_path):
    out = tmp_path / "r.html"
    res = CliRunner().invoke(main, ["report", MINIMAL, "--set", "staffing.scale=1.5", "--compare", MINIMAL,
                                    "-o", str(out), "--agents", "0..0", "-r", "3", "--workers", "1"])
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert "[0] minimal (minimal.toml) --set staffing.scale=1.5" in html
    assert "[1] minimal (minimal.toml)</th>" in html
    row = re.search(r"<tr><td>service level</td><td><span data-value=\"([^\"]+)\">.*?</span></td>"
                    r"<td><span data-value=\"([^\"]+)\">", html)
    assert row, "no service-level row in the comparison"
    assert float(row.group(1)) > float(row.group(2))  # 1.5x staffing answers more in time than 1x


def test_labels_say_what_was_run():
    s = load_scenario(MINIMAL, ["staffing.scale=2"])
    assert Variant(MINIMAL, ("staffing.scale=2",)).label_for(s) == "minimal (minimal.toml) --set staffing.scale=2"


# --------------------------------------------------------------------------- 3. FCR is a benchmark band
def test_fcr_above_the_band_passes_in_words():
    t = Target("fcr", low=0.70, benchmark_high=0.75)
    assert t.status(0.775, 0.77, 0.78) == "PASS" and t.reading(0.775) == "above benchmark"
    assert t.status(0.72, 0.71, 0.73) == "PASS" and t.reading(0.72) == "within benchmark"
    assert t.status(0.65, 0.64, 0.66) == "FAIL" and t.reading(0.65) == "below benchmark"
    assert "above is better" in t.describe()


def test_fcr_target_from_a_scenario_is_a_band_not_a_ceiling(tmp_path):
    s = load_scenario(MINIMAL, ["call_types.general.resolved=0.9", "targets.fcr={ min = 0.70, max = 0.75 }"])
    (fcr,) = [t for t in targets_of(s) if t.kpi == "fcr"]
    assert fcr.high is None and fcr.benchmark_high == 0.75
    res = CliRunner().invoke(main, ["run", MINIMAL, "--set", "call_types.general.resolved=0.9", "--set",
                                    "targets.fcr={ min = 0.70, max = 0.75 }", "-r", "3", "--workers", "1",
                                    "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    targets = pd.read_csv(tmp_path / "o" / "targets.csv").set_index("kpi")
    assert targets.loc["fcr", "mean"] > 0.75
    assert targets.loc["fcr", "status"] == "PASS" and targets.loc["fcr", "reading"] == "above benchmark"
    assert targets.loc["fcr", "days_met_share"] == 1.0
    assert "PASS, above benchmark" in res.output


# --------------------------------------------------------------------------- 4. staff beside today's plan
def test_staff_shows_todays_plan_beside_each_recommendation():
    res = CliRunner().invoke(main, ["staff", MINIMAL, "-r", "2", "--workers", "1", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    plans = {p["plan"]: p for p in doc["plans"]}
    assert set(plans) == {"today", "erlang interval", "erlang day", "erlang window"}
    assert plans["today"]["phone_hours"] == pytest.approx(2 * (4 + 5 + 4))  # minimal.toml's staffing, 2 days
    # the recommendation: the cheapest plan (paid hours) whose simulated mean meets every target
    meeting = [n for n, p in plans.items() if n != "today" and p["service_level"] >= 0.8 and p["answer_rate"] >= 0.9]
    assert meeting and [p["plan"] for p in doc["plans"] if p["recommended"]] == [
        min(meeting, key=lambda n: plans[n]["paid_hours"])] == [doc["recommended"]]
    for p in plans.values():
        assert p["verdict"] in ("PASS", "FAIL", "UNCERTAIN")
        assert 0 <= p["service_level_replications_met_share"] <= 1
    assert (doc["verdict"] == "") == (plans[doc["recommended"]]["verdict"] == "PASS")


def test_a_failing_recommendation_is_said_plainly():
    from types import SimpleNamespace

    row = {"plan": "erlang interval", "recommended": True, "verdict": "FAIL", "service_level": 0.756,
           "service_level_ci_low": 0.74, "service_level_ci_high": 0.77, "service_level_status": "FAIL",
           "service_level_days_met_share": 0.4, "service_level_replications_met_share": 0.0,
           "answer_rate": 0.95, "answer_rate_status": "PASS"}
    st = SimpleNamespace(comparison=pd.DataFrame([row]), recommended="erlang interval", method="erlang")
    words = plan_verdict(st)
    assert "FAILS" in words and "75.6%" in words and "40% of days" in words and "--method simulation" in words
    assert "answer rate" not in words  # only the targets it misses
    st.comparison = pd.DataFrame([{**row, "verdict": "PASS", "service_level_status": "PASS"}])
    assert plan_verdict(st) == ""


def test_staff_simulation_method_wording():
    res = CliRunner().invoke(main, ["staff", MINIMAL, "--method", "simulation", "-r", "2", "--workers", "1"])
    assert res.exit_code == 0, res.output
    # the simulation plan is compared; the matrix is the recommended plan's (the cheapest meeting every target)
    assert "simulation interval" in res.output and "vs Erlang interval plan" in res.output
    first = res.output.splitlines()[0]
    assert ("found by simulation" in res.output) == first.startswith(("Recommended: simulation", "No plan found"))
    assert "saving vs interval" not in res.output
    assert "today" in res.output and "(recommended)" in res.output


# --------------------------------------------------------------------------- 5. different calendars
def test_compare_refuses_different_windows_unless_asked(tmp_path):
    args = ["compare", MINIMAL, MINIMAL, "--set", "calendar.days=3", "-r", "2", "--workers", "1"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "another window" in res.output and "--allow-different-calendars" in res.output
    res = CliRunner().invoke(main, [*args, "--allow-different-calendars", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["per_open_day"] is True
    offered = next(r for r in doc["kpis"] if r["kpi"] == "offered")
    assert offered["unit"] == "calls per open day"
    # 2 open days (Mon, Tue) vs 2 open days of 3 calendar days (Wed is closed in minimal.toml): the same
    # callers on the same two days, so the per-day rates agree exactly
    assert offered["1:diff"] == pytest.approx(0.0)
    same = CliRunner().invoke(main, ["compare", MINIMAL, MINIMAL, "-r", "2", "--workers", "1", "--format", "json"])
    assert same.exit_code == 0 and json.loads(same.output)["per_open_day"] is False


# --------------------------------------------------------------------------- 14. plots and print
def test_coverage_plot_title_does_not_overlap_its_legend():
    from types import SimpleNamespace

    from ska_sim.report.plots import coverage_figure

    n = 16
    cov = pd.DataFrame({"date": ["2026-03-02"] * 8 + ["2026-03-03"] * 8, "time": ["09:00"] * n,
                        "required_at_work": np.arange(n), "scheduled_at_work": np.arange(n) + 1,
                        "agents_on_phones": np.arange(n)})
    st = SimpleNamespace(coverage=cov, scenario=SimpleNamespace(name="A rather long scenario name for the title"))
    fig = coverage_figure(st)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    title = fig._suptitle.get_window_extent(r)
    legend = fig.axes[0].get_legend().get_window_extent(r)
    assert not title.overlaps(legend), (title, legend)
    assert title.y0 >= legend.y1 - 1
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_report_headings_are_kept_with_their_first_block():
    from ska_sim.report.html import keep

    html = keep("Verdict", "<ul><li>x</li></ul>", "<table></table>")
    assert html.startswith('<section><div class="keep"><h2>Verdict</h2><ul>')
    from ska_sim.report import html as h

    assert ".keep { break-inside: avoid" in h.CSS




def test_report_compare_of_different_windows_is_refused_before_simulating_unless_allowed(tmp_path, monkeypatch):
    import ska_sim.sim.runner as runner

    calls = []
    real = runner.simulate
    monkeypatch.setattr(runner, "simulate", lambda *a, **k: calls.append(1) or real(*a, **k))
    args = ["report", MINIMAL, "--compare", MINIMAL, "--set", "calendar.days=3", "-o", str(tmp_path / "r.html"),
            "--agents", "0..0", "-r", "2", "--workers", "1"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "--allow-different-calendars" in res.output
    assert calls == [] and not (tmp_path / "r.html").exists()
    res = CliRunner().invoke(main, [*args, "--allow-different-calendars"])
    assert res.exit_code == 0, res.output
    assert "per open day" in (tmp_path / "r.html").read_text()


def test_a_set_list_that_is_not_toml_is_named_as_such():
    res = CliRunner().invoke(main, ["validate", MINIMAL, "--set", "calendar.closed=[2026-13-01]"])
    assert res.exit_code == 2
    assert "--set calendar.closed=[2026-13-01]: calendar.closed: not a valid TOML value" in res.output
    assert "YYYY-MM-DD" in res.output and "must be a valid list" not in res.output


def test_an_uncertain_plan_that_meets_its_targets_by_the_mean_asks_for_replications():
    from types import SimpleNamespace

    s = load_scenario(MINIMAL)  # service level >= 80%, answer rate >= 90%
    row = {"plan": "simulation interval", "recommended": True, "verdict": "UNCERTAIN", "service_level": 0.869,
           "service_level_ci_low": 0.799, "service_level_ci_high": 0.939, "service_level_status": "UNCERTAIN",
           "service_level_days_met_share": 0.9, "service_level_replications_met_share": 1.0,
           "answer_rate": 0.97, "answer_rate_ci_low": 0.95, "answer_rate_ci_high": 0.99, "answer_rate_status": "PASS",
           "answer_rate_days_met_share": 1.0, "answer_rate_replications_met_share": 1.0}
    st = SimpleNamespace(comparison=pd.DataFrame([row]), recommended="simulation interval", method="simulation",
                         scenario=s, plan_result=SimpleNamespace(replications=3))
    words = plan_verdict(st)
    assert "By the mean it meets every target" in words and "run more replications" in words
    assert "did not reach" not in words
    # one replication: no interval, shown as "-", never "nan%"
    st.comparison = pd.DataFrame([{**row, "service_level": 0.465, "service_level_status": "FAIL", "verdict": "FAIL",
                                   "service_level_ci_low": float("nan"), "service_level_ci_high": float("nan")}])
    words = plan_verdict(st)
    assert "nan" not in words and "46.5% [-, -]" in words and "did not reach a plan whose mean meets" in words


def test_with_shifts_the_chain_is_the_shift_plans(tmp_path):
    shifts = tmp_path / "day.toml"
    shifts.write_text('[[shifts]]\nname = "day"\nstarts = ["09:00"]\nlength_h = 3\n'
                      '[[shifts]]\nname = "short"\nstarts = ["09:00", "10:00", "11:00"]\nlength_h = 1\n')
    res = CliRunner().invoke(main, ["staff", MINIMAL, "--shifts", str(shifts), "-r", "2", "--workers", "1",
                                    "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    shift_row = next(p for p in doc["plans"] if p["plan"] == "shift plan")
    assert shift_row["recommended"]
    assert doc["fte"]["paid_hours"] == pytest.approx(shift_row["paid_hours"])
    assert doc["fte"]["hours_at_work"] == pytest.approx(sum(r["paid_hours"] for r in doc["shift_plan"]))
    assert doc["fte"]["fte"] == pytest.approx(shift_row["fte"])


def test_staff_manifest_records_the_shifts_file(tmp_path):
    import hashlib

    shifts = tmp_path / "day.toml"
    shifts.write_text('[[shifts]]\nname = "day"\nstarts = ["09:00"]\nlength_h = 3\n')
    out = tmp_path / "plan"
    res = CliRunner().invoke(main, ["staff", MINIMAL, "--shifts", str(shifts), "-r", "2", "--workers", "1",
                                    "--set", "staffing.scale=1.0", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "manifest.json").read_text())
    assert doc["shifts"] == {"path": str(shifts), "sha256": hashlib.sha256(shifts.read_bytes()).hexdigest()}
    assert doc["source"] == MINIMAL and doc["overrides"] == ["staffing.scale=1.0"]


def test_a_shortened_working_day_shortens_the_norm():
    # the week of 23 February 2026: Mon 23 shortened (§53), Tue 24 Independence Day (closed), Wed-Fri
    # ordinary: 4 working days, 4 x 8 - 3 = 29 h (ISSUE-NOTES)
    s = load_scenario("scenarios/baseline.toml", ["calendar.start=2026-02-23", "calendar.days=5"])
    assert working_time_norm_h(s) == pytest.approx(29.0)
    assert fte_of(s, 290.0) == pytest.approx(10.0)
    # a shortened date outside the window, or on a closed day, changes nothing
    assert working_time_norm_h(load_scenario("scenarios/baseline.toml")) == pytest.approx(40.0)
