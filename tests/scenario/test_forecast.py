"""[arrivals.forecast]: what the forecast replaces and what still applies, overrides, the
calendar against the forecast, dates it does not give; and the gallery of bad forecast files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import ROOT
from helpers import FORECAST_COLUMNS, error_lines, forecast_rows, write_forecast
from ska_sim import ScenarioError, load_scenario, simulate
from ska_sim.cli import main
from ska_sim.plan.load import LoadModel
from ska_sim.scenario.checks import scenario_warnings
from ska_sim.scenario.forecast import UNCERTAINTY_LINE, forecast_days, forecast_note
from ska_sim.scenario.timeline import build_timeline
from ska_sim.sim.engine import Model

MINIMAL = (ROOT / "tests" / "data" / "minimal.toml").read_text()
BLOCK = '[arrivals.forecast]\nfile = "forecast.csv"\n'


def scenario_file(tmp_path: Path, block: str = BLOCK, text: str = MINIMAL) -> Path:
    """minimal.toml (Mon 2 and Tue 3 March 2026, 3 open hours, 120 calls a day) with ``block``."""
    p = tmp_path / "s.toml"
    p.write_text(text.replace("[[call_types]]", block + "\n[[call_types]]", 1))
    return p


def day_calls(s) -> list[float]:
    tl = build_timeline(s)
    return [float(tl.iv_expected[tl.iv_day == d].sum()) for d in range(tl.n_days) if (tl.iv_day == d).any()]


def test_the_forecast_replaces_daily_calls_and_date_factors_but_not_profile_and_volume_scale(tmp_path):
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.1))
    text = MINIMAL.replace("daily_calls = 120", "daily_calls = 120\nweekday_factor = { mon = 1.5 }\n"
                           "date_factor = { 2026-03-03 = 2.0 }\nvolume_scale = 1.1\nday_cv = 0.3")
    s = load_scenario(scenario_file(tmp_path, text=text))
    np.testing.assert_allclose(day_calls(s), [220.0, 220.0])
    tl = build_timeline(s)
    np.testing.assert_allclose(tl.iv_expected[:3], [66.0, 88.0, 66.0])  # the profile 0.3, 0.4, 0.3
    assert UNCERTAINTY_LINE in forecast_note(s)
    fc = Model.from_scenario(s).forecast
    assert fc.given.all() and 0.09 < fc.cvs[0, 0] < 0.11


def test_warm_up_days_the_file_does_not_give_use_daily_calls(tmp_path):
    write_forecast(tmp_path, forecast_rows("2026-03-03", 1, 200, 0.1))
    text = MINIMAL.replace("start = 2026-03-02\ndays = 2\nwarmup_days = 0", "start = 2026-03-03\ndays = 1\nwarmup_days = 1")
    s = load_scenario(scenario_file(tmp_path, text=text))
    np.testing.assert_allclose(day_calls(s), [120.0, 200.0])
    assert "1 warm-up day(s) it does not give from daily_calls" in forecast_note(s)


def test_open_measured_dates_missing_from_the_file_are_refused(tmp_path):
    write_forecast(tmp_path, forecast_rows("2026-03-02", 1, 200, 0.1))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(scenario_file(tmp_path))
    assert "arrivals.forecast.file" in str(exc.value) and "2026-03-03" in str(exc.value)


def test_type_shares_follow_the_forecast(tmp_path):
    text = MINIMAL.replace('name = "general"\nshare = 1.0', 'name = "general"\nshare = 0.5').replace(
        "[patience]", '[[call_types]]\nname = "family"\nshare = 0.5\ntalk = { dist = "exponential", mean_s = 300 }\n'
        "resolved = 0.7\n\n[patience]")
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.1, types={"general": 0.25, "family": 0.75}))
    s = load_scenario(scenario_file(tmp_path, text=text))
    day = forecast_days(s)[s.calendar.start]
    assert day.mean == pytest.approx(200) and day.shares == pytest.approx((0.25, 0.75))
    r = simulate(s, replications=4, seed=3)
    ct = r.call_types.set_index("call_type")["offered"]
    assert 2.3 < ct["family"] / ct["general"] < 3.9
    lm = LoadModel(s)  # the Erlang requirement's offered load has the forecast's mix too
    np.testing.assert_allclose(lm.first[:, 1] / lm.first.sum(axis=1), 0.75)


def test_an_override_wins_keeping_the_forecasts_shares_and_relative_uncertainty(tmp_path):
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.2))
    s = load_scenario(scenario_file(tmp_path, BLOCK + "override = { 2026-03-03 = 300 }\n"))
    days = forecast_days(s)
    over, plain = days[s.calendar.start.replace(day=3)], days[s.calendar.start]
    assert over.override and not plain.override and over.mean == 300 and over.forecast_mean == pytest.approx(200)
    assert over.cvs == plain.cvs
    np.testing.assert_allclose(over.band, np.array(plain.band) * 1.5)
    np.testing.assert_allclose(day_calls(s), [200, 300])
    assert "(1 overridden)" in forecast_note(s)


def test_uncertainty_false_is_the_mean_forecast_without_draws(tmp_path):
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.2))
    s = load_scenario(scenario_file(tmp_path, BLOCK + "uncertainty = false\n"))
    assert (Model.from_scenario(s).forecast.cvs == 0).all()
    assert "without the forecast's uncertainty" in forecast_note(s)


def test_a_forecast_of_the_scenarios_own_volumes_without_uncertainty_keeps_every_number(tmp_path):
    """Known answer: the forecast gives each day the volume daily_calls x factors gives, with
    intervals of zero width (no factor drawn): the same callers, the same numbers, as without it."""
    text = MINIMAL.replace("daily_calls = 120", "daily_calls = 120\nweekday_factor = { mon = 1.25, tue = 0.75 }")
    plain = load_scenario(scenario_file(tmp_path, block="", text=text))
    lines = [FORECAST_COLUMNS, "2026-03-02,,150,150,150,150,150,0", "2026-03-03,,90,90,90,90,90,0"]
    write_forecast(tmp_path, lines)
    fc = load_scenario(scenario_file(tmp_path, text=text))
    a, b = simulate(plain, replications=3), simulate(fc, replications=3)
    assert (a.summary["mean"].to_numpy() == b.summary["mean"].to_numpy()).all()
    assert Model.from_scenario(fc).forecast.given.all()


def test_the_days_volumes_spread_as_the_forecast_promises(tmp_path):
    """Known answer: with a forecast of 200 calls a day and cv 0.25 (95% interval about 112-313),
    the offered calls of a day over 300 replications have the negative binomial's variance
    (200 + 0.25^2 200^2 = 2700, sd 52) within its sampling error, against 200 (Poisson) without."""
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.25))
    text = MINIMAL.replace("replications = 2", "replications = 300")
    s = load_scenario(scenario_file(tmp_path, text=text))
    r = simulate(s)
    day = r.per_replication["offered"].to_numpy() / 2  # the mean of two independent days per replication
    var_day = 2 * day.var(ddof=1)
    assert 2700 * 0.8 < var_day < 2700 * 1.2  # chi-square: sd of the variance estimate 8% at n = 300
    assert abs(day.mean() - 200) < 3 * np.sqrt(2700 / 2 / 300)


def test_calendar_wins_over_the_forecasts_closed_flag_with_a_warning(tmp_path):
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.1, closed=("2026-03-03",)))
    s = load_scenario(scenario_file(tmp_path))
    assert day_calls(s) == [200.0, 0.0]  # open (the calendar's hours), with the forecast's 0 calls
    assert any("marks 2026-03-03 closed, the calendar opens it" in w for w in scenario_warnings(s))
    text = MINIMAL.replace("interval_min = 60", "interval_min = 60\nclosed = [2026-03-03]")
    s = load_scenario(scenario_file(tmp_path, text=text.replace("days = 2", "days = 2")))
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.1))
    s = load_scenario(scenario_file(tmp_path, text=text))
    assert len(day_calls(s)) == 1
    assert any("forecasts 200 calls on 2026-03-03, which the calendar closes" in w for w in scenario_warnings(s))


def test_the_file_is_part_of_the_digest(tmp_path):
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.1))
    a = load_scenario(scenario_file(tmp_path)).digest()
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 201, 0.1))
    assert load_scenario(scenario_file(tmp_path)).digest() != a


def test_effects_columns_are_kept_for_the_report(tmp_path):
    lines = forecast_rows("2026-03-02", 2, 200, 0.1, extra={"columns": {"payment_day": "", "event": ""},
                                                             "2026-03-02": {"payment_day": "1", "event": "letters"}})
    lines = [ln if i else ln for i, ln in enumerate(lines)]
    lines = [ln if not ln.startswith("2026-03-03") else ln[: ln.rindex(",0,")] + ",0,0," for ln in lines]
    write_forecast(tmp_path, lines)
    days = forecast_days(load_scenario(scenario_file(tmp_path)))
    assert days[next(iter(days))].effects == (("payment_day", "1"), ("event", "letters"))
    assert [d.effects for d in days.values()][1] == ()


# ------------------------------------------------------------------ bad forecast files
ROW = "2026-03-02,,200,180,220,170,230,0"
ROW2 = "2026-03-03,,200,180,220,170,230,0"
TYPED = [FORECAST_COLUMNS, "2026-03-02,general,200,180,220,170,230,0", "2026-03-03,general,200,180,220,170,230,0"]
# defect: (lines of forecast.csv, or None for no file, expected parts of the message)
GALLERY = {
    "missing_file": (None, ["forecast.csv", "forecast file not found"]),
    "missing_columns": (["date,call_type,calls_mean,closed", "2026-03-02,,200,0"],
                        ["line 1", "missing column(s) calls_low_80, calls_high_80, calls_low_95, calls_high_95"]),
    "unknown_type": ([FORECAST_COLUMNS, "2026-03-02,pensions,200,180,220,170,230,0", ROW2],
                     ["line 2, column call_type", "unknown call type 'pensions'", "general"]),
    "negative_mean": ([FORECAST_COLUMNS, "2026-03-02,,-5,0,220,0,230,0", ROW2],
                      ["line 2, column calls_mean", "finite number >= 0", "-5"]),
    "infinite_high": ([FORECAST_COLUMNS, "2026-03-02,,200,180,220,170,inf,0", ROW2],
                      ["line 2, column calls_high_95", "finite number >= 0", "inf"]),
    "nan_low": ([FORECAST_COLUMNS, ROW, "2026-03-03,,200,nan,220,170,230,0"], ["line 3, column calls_low_80", "finite"]),
    "not_a_number": ([FORECAST_COLUMNS, "2026-03-02,,lots,180,220,170,230,0", ROW2],
                     ["line 2, column calls_mean", "not a number: 'lots'"]),
    "low_above_mean": ([FORECAST_COLUMNS, "2026-03-02,,200,210,220,170,230,0", ROW2],
                       ["line 2, column calls_mean", "calls_mean 200 is below calls_low_80 210"]),
    "high_below_mean": ([FORECAST_COLUMNS, ROW, "2026-03-03,,200,180,190,170,230,0"],
                        ["line 3, column calls_high_80", "below calls_mean 200"]),
    "high_95_below_high_80": ([FORECAST_COLUMNS, "2026-03-02,,200,180,220,170,210,0", ROW2],
                              ["line 2, column calls_high_95", "below calls_high_80"]),
    "duplicate_date": ([FORECAST_COLUMNS, ROW, ROW2, ROW], ["line 4", "2026-03-02 (every call type) is given twice",
                                                            "also on line 2"]),
    "duplicate_date_and_type": ([*TYPED, TYPED[1]], ["line 4", "2026-03-02 (call type general) is given twice"]),
    "all_and_all_again": ([FORECAST_COLUMNS, ROW, ROW2, "2026-03-02,all,200,180,220,170,230,0"],
                          ["line 4", "given twice"]),
    "mixed_all_and_types": ([*TYPED, "2026-03-02,,200,180,220,170,230,0"], ["column call_type", "give one or the other"]),
    "closed_not_0_or_1": ([FORECAST_COLUMNS, ROW, "2026-03-03,,200,180,220,170,230,yes"],
                          ["line 3, column closed", "must be 0 or 1 (got 'yes')"]),
    "bad_date": ([FORECAST_COLUMNS, "2026-02-30,,200,180,220,170,230,0", ROW2],
                 ["line 2, column date", "not a date (YYYY-MM-DD): '2026-02-30'"]),
    "short_line": ([FORECAST_COLUMNS, "2026-03-02,,200", ROW2], ["line 2", "3 fields, the header has 8"]),
    "no_rows": ([FORECAST_COLUMNS], ["no rows"]),
    "empty_file": ([""], ["line 1", "empty file"]),
}


@pytest.mark.parametrize("defect", sorted(GALLERY))
def test_each_bad_forecast_file_is_named_with_line_and_column(tmp_path, defect):
    lines, parts = GALLERY[defect]
    if lines is not None:
        write_forecast(tmp_path, lines)
    path = scenario_file(tmp_path)
    for command in (["validate", str(path)], ["run", str(path)]):
        res = CliRunner().invoke(main, command)
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output
        errors = error_lines(res)
        assert errors and all(str(tmp_path / "forecast.csv") in e for e in errors), res.output
        for part in parts:
            assert part in res.output, f"{part!r} not in {res.output!r}"


@pytest.mark.parametrize("block,parts", [
    ('[arrivals.forecast]\nfile = "forecast.csv"\noverride = { 2026-03-03 = -10 }\n',
     ["arrivals.forecast.override", "first calls must be >= 0", "-10"]),
    ('[arrivals.forecast]\nfile = "forecast.csv"\noverride = { 2026-05-03 = 10 }\n',
     ["arrivals.forecast.override.2026-05-03", "not a simulated date"]),
    ('[arrivals.forecast]\nfile = "forecast.csv"\nuncertain = true\n', ["arrivals.forecast.uncertain", "unknown key"]),
    ('[arrivals.forecast]\nuncertainty = true\n', ["arrivals.forecast.file", "missing"]),
    ('[arrivals.forecast]\nfile = "forecast.csv"\nuncertainty = "yes"\n', ["arrivals.forecast.uncertainty",
                                                                         "valid boolean"]),
])
def test_bad_forecast_keys_exit_2_with_the_key(tmp_path, block, parts):
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.1))
    res = CliRunner().invoke(main, ["run", str(scenario_file(tmp_path, block))])
    assert res.exit_code == 2 and "Traceback" not in res.output
    for part in parts:
        assert part in res.output, f"{part!r} not in {res.output!r}"


def test_a_huge_forecast_is_refused_as_daily_calls_are(tmp_path):
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 5e9, 0.0))
    res = CliRunner().invoke(main, ["validate", str(scenario_file(tmp_path))])
    assert res.exit_code == 2 and "arrivals.forecast" in res.output and "per day are simulated" in res.output


def test_the_command_line_prints_the_calendar_mismatch_as_a_warning(tmp_path):
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.1, closed=("2026-03-03",)))
    res = CliRunner().invoke(main, ["validate", str(scenario_file(tmp_path))])
    assert res.exit_code == 0
    assert "warning: arrivals.forecast:" in res.output and "marks 2026-03-03 closed, the calendar opens it" in res.output


def test_a_forecast_with_call_types_own_profiles(tmp_path):
    """A forecast of all types together keeps each type's own profile (the interval mix); a
    forecast per type with own profiles is refused (both would set the type shares)."""
    text = MINIMAL.replace('name = "general"', 'name = "general"\nprofile = [0.6, 0.3, 0.1]', 1)
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.1))
    s = load_scenario(scenario_file(tmp_path, text=text))
    np.testing.assert_allclose(day_calls(s), [200.0, 200.0])
    assert build_timeline(s).iv_type_mix is not None
    rows = forecast_rows("2026-03-02", 2, 200, 0.1, types={"general": 1.0})
    write_forecast(tmp_path, rows)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(scenario_file(tmp_path, text=text))
    assert "arrivals.forecast.file" in str(exc.value) and "have their own profile" in str(exc.value)


def test_a_forecast_over_a_profile_in_calls_per_hour_gives_the_forecasts_day(tmp_path):
    """Rates spread the forecast's day as they spread theirs: 200 calls at rates 30/40/30 per hour."""
    text = MINIMAL.replace("daily_calls = 120", 'profile_unit = "calls_per_hour"').replace(
        "profile = [0.3, 0.4, 0.3]", "profile = [30, 40, 30]")
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.1))
    s = load_scenario(scenario_file(tmp_path, text=text))
    np.testing.assert_allclose(day_calls(s), [200.0, 200.0])
    np.testing.assert_allclose(build_timeline(s).iv_expected[:3], [60.0, 80.0, 60.0])


def test_the_cross_check_names_the_forecasts_uncertainty_not_day_cv(tmp_path):
    write_forecast(tmp_path, forecast_rows("2026-03-02", 2, 200, 0.1))
    text = MINIMAL.replace("daily_calls = 120", "daily_calls = 120\nday_cv = 0.3")
    for block, line in ((BLOCK, "drawn from the forecast's predictive distribution"),
                        (BLOCK + "uncertainty = false\n", None)):
        res = CliRunner().invoke(main, ["run", str(scenario_file(tmp_path, block, text)), "-r", "3"])
        assert res.exit_code == 0, res.output
        assert "varies beyond Poisson" not in res.output
        assert line is None or line in res.output
