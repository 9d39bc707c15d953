"""`ska-sim backtest`.

- The log's KPIs are the engine's: a log recorded from replication 0 of seed S, backtested
  with seed S and one replication, is that replication, so every interval's actual equals the
  simulated value (a test of the actual-KPI definitions and of the calendar set to the log).
- A staffing file with the scenario's own agents changes nothing; other agents change the
  simulation; a log's agent ids give agents per interval (and undercount).
- The band's expected coverage formula.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ska_sim import scenario_from_dict
from ska_sim.cli import main
from helpers import baseline_dict

SEED = 5


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    from ska_sim.calibration.log_writer import record_calls, write_log

    d = baseline_dict(days=3)
    s = scenario_from_dict(d)
    _, log = record_calls(s, SEED)
    folder = tmp_path_factory.mktemp("bt")
    write_log(log, folder / "calls.csv")
    return d, folder / "calls.csv", log


def test_a_log_backtested_with_its_own_replication_matches_every_interval(recorded):
    from ska_sim.calibration.backtest import backtest
    from ska_sim.calibration.calllog import read_log

    d, path, _ = recorded
    r = backtest(d, read_log(path), replications=1, seed=SEED)
    iv = r.intervals
    assert len(iv) == 3 * 16 and r.notes == []
    for k in ("service_level", "answer_rate"):
        np.testing.assert_allclose(iv[f"{k}_actual"], iv[f"{k}_sim_mean"], atol=1e-12, err_msg=k)
    np.testing.assert_allclose(iv["asa_s_actual"], iv["asa_s_sim_mean"], atol=1e-3)  # ms rounding of the log
    assert (r.summary["inside_share"] == 1.0).all()
    assert np.abs(r.summary["bias"]).max() < 1e-3
    assert "scenario's own staffing" in r.staffing_source


def test_a_staffing_file_is_used_and_said(recorded, tmp_path):
    from ska_sim.calibration.backtest import backtest
    from ska_sim.calibration.calllog import read_log
    from ska_sim.sim.engine import Model

    d, path, _ = recorded
    log = read_log(path)
    same = backtest(d, log, replications=1, seed=SEED)
    tl = Model.from_scenario(same.scenario).timeline
    m = tl.iv_measured()
    rows = pd.DataFrame({"date": [tl.dates[i].isoformat() for i in tl.iv_day[m]],
                         "interval": [f"{s * 30 // 60:02d}:{s * 30 % 60:02d}" for s in tl.iv_slot[m]],
                         "agents": tl.iv_agents[m]})
    rows.to_csv(tmp_path / "staff.csv", index=False)
    r = backtest(d, log, replications=1, seed=SEED, staffing_file=str(tmp_path / "staff.csv"))
    assert r.staffing_source == "staffing file staff.csv"
    pd.testing.assert_frame_equal(r.intervals, same.intervals)  # the scenario's own agents: identical
    rows["agents"] = rows["agents"] // 2
    rows.to_csv(tmp_path / "half.csv", index=False)
    half = backtest(d, log, replications=1, seed=SEED, staffing_file=str(tmp_path / "half.csv"))
    assert half.intervals["service_level_sim_mean"].mean() < same.intervals["service_level_sim_mean"].mean() - 0.2


def test_agent_ids_give_agents_per_interval_and_say_they_undercount(tmp_path):
    from ska_sim.calibration.calllog import agents_per_interval, read_log

    p = tmp_path / "a.csv"
    p.write_text("call_id,caller_id,arrival,answer,end,agent_id,wrap_up_s\n"
                 "1,x,2026-03-02T09:00:00,2026-03-02T09:00:00,2026-03-02T09:10:00,A,0\n"
                 "2,y,2026-03-02T09:05:00,2026-03-02T09:05:00,2026-03-02T09:25:00,B,600\n"  # busy into 09:30
                 "3,z,2026-03-02T09:40:00,2026-03-02T09:40:00,2026-03-02T09:41:00,A,\n"
                 "4,w,2026-03-02T09:45:00,,2026-03-02T09:46:00,,\n", encoding="utf-8")
    a = agents_per_interval(read_log(p), 30)
    assert a["interval_start"].tolist() == ["09:00", "09:30"] and a["agents"].tolist() == [2.0, 2.0]
    assert "undercounts" in a.attrs["source"]
    p2 = tmp_path / "b.csv"
    p2.write_text("call_id,caller_id,arrival,answer,end\n1,x,2026-03-02T09:00:00,,2026-03-02T09:01:00\n")
    assert agents_per_interval(read_log(p2), 30) is None


@pytest.mark.parametrize("r, expected", [(19, 0.95 * 18 / 20), (39, 0.95 * 38 / 40)])
def test_expected_coverage(r, expected):
    from ska_sim.calibration.backtest import expected_coverage

    assert expected_coverage(r) == pytest.approx(expected)


def test_backtest_command(recorded, tmp_path):
    d, path, _ = recorded
    import tomlkit

    scen = tmp_path / "s.toml"
    scen.write_text(tomlkit.dumps(json.loads(json.dumps(d, default=str))), encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["backtest", str(scen), str(path), "-r", "3", "--seed", "9", "--workers", "1",
                                    "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "3 replications (seed 9)" in res.output and "expected share inside" in res.output
    for f in ("backtest_intervals.csv", "backtest_days.csv", "backtest_summary.csv", "backtest.png", "manifest.json"):
        assert (out / f).exists(), f
    man = json.loads((out / "manifest.json").read_text())
    assert man["command"] == "backtest" and man["replications"] == 3 and man["log_rows_skipped"] == 0
    summary = pd.read_csv(out / "backtest_summary.csv")
    assert set(summary["level"]) == {"interval", "day"} and len(summary) == 6


@pytest.fixture(scope="module")
def own_logs(tmp_path_factory):
    """Three weeks of logs from the scenario that will be backtested (seeds 21-23)."""
    from ska_sim.calibration.calllog import read_log
    from ska_sim.calibration.log_writer import record_calls, write_log

    d = baseline_dict(days=5)
    s = scenario_from_dict(d)
    folder = tmp_path_factory.mktemp("own")
    logs = []
    for seed in (21, 22, 23):
        _, log = record_calls(s, seed)
        write_log(log, folder / f"calls-{seed}.parquet")
        logs.append(read_log(folder / f"calls-{seed}.parquet"))
    return d, logs


def _pooled_inside(d, logs, overrides=None):
    """Interval-level share inside the band, pooled over the logs and over service level and
    answer rate, and the expected share; the band from seeds unrelated to the logs'."""
    from ska_sim.calibration.backtest import backtest

    inside, expected = [], None
    for i, log in enumerate(logs):
        r = backtest(d, log, replications=39, seed=1000 + i, overrides=overrides or ())
        rows = r.summary[(r.summary["level"] == "interval") & r.summary["kpi"].isin(["service_level", "answer_rate"])]
        inside += [(rows["inside_share"] * rows["compared"]).sum() / rows["compared"].sum()]
        expected = float(rows["expected_inside"].iloc[0])
    return float(np.mean(inside)), expected


def test_the_generating_scenario_puts_its_own_log_inside_the_band_about_as_often_as_expected(own_logs):
    """Backtesting the generating scenario on its own logs (the band from other seeds).
    With R = 39 the 2.5-97.5% band should hold a fresh week's interval about 0.95 x 38/40 = 90% of
    the time. 3 weeks x 80 intervals x 2 KPIs = 480 indicators, correlated within a day (a day's
    volume factor moves all its intervals), so the tolerance is wide: 0.10 around the expectation
    (the binomial SE alone is 0.014; a design effect of 10 gives 0.043, and 0.10 is over 2 such SE).
    The same logs against a plan with 30% fewer agents fall far outside (the test can fail)."""
    d, logs = own_logs
    share, expected = _pooled_inside(d, logs)
    assert expected == pytest.approx(0.95 * 38 / 40)
    assert abs(share - expected) < 0.10, (share, expected)
    wrong, _ = _pooled_inside(d, logs, overrides=("staffing.scale=0.7",))
    assert wrong < expected - 0.25, wrong


# --------------------------------------------------------------------------- gaps: only the stretches the log covers
@pytest.fixture(scope="module")
def two_stretches(tmp_path_factory):
    """Two recorded stretches a year apart: 2025-03-03..04 (replication 0 of SEED) and 2026-03-02..03
    (replication 0 of SEED + 1), the same caller ids in both."""
    from ska_sim.calibration.log_writer import record_calls, write_log

    parts = []
    for k, start in enumerate(("2025-03-03", "2026-03-02")):
        d = baseline_dict(days=2)
        d["calendar"]["start"] = start
        parts.append(record_calls(scenario_from_dict(d), SEED + k)[1])
    log = pd.concat(parts, ignore_index=True)
    log["call_id"] = range(1, len(log) + 1)
    path = tmp_path_factory.mktemp("gap") / "calls.csv"
    write_log(log, path)
    return baseline_dict(days=2), path


def test_a_log_with_a_gap_simulates_only_its_stretches_each_with_its_warm_up(two_stretches):
    import datetime as dt

    from ska_sim.calibration.backtest import backtest
    from ska_sim.calibration.calllog import read_log

    d, path = two_stretches
    r = backtest(d, read_log(path), replications=1, seed=SEED)
    assert r.stretches == [(dt.date(2025, 3, 3), dt.date(2025, 3, 4)), (dt.date(2026, 3, 2), dt.date(2026, 3, 3))]
    assert sorted(set(r.intervals["date"])) == [dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2026, 3, 2),
                                                 dt.date(2026, 3, 3)]
    assert len(r.intervals) == 4 * 16 and len(r.days) == 4
    # stretch k is simulated from its own warm-up with seed + k: each is the replication it was recorded from
    for k in ("service_level", "answer_rate"):
        np.testing.assert_allclose(r.intervals[f"{k}_actual"], r.intervals[f"{k}_sim_mean"], atol=1e-12, err_msg=k)
    assert (r.summary["inside_share"] == 1.0).all()
    (note,) = r.notes
    assert "2 stretches" in note and "simulated 4 of the 366 days" in note and "2025-03-03 to 2025-03-04" in note
    assert r.to_json()["stretches"] == [["2025-03-03", "2025-03-04"], ["2026-03-02", "2026-03-03"]]


def test_backtest_command_says_which_stretches_it_simulated(two_stretches, tmp_path):
    import tomlkit

    d, path = two_stretches
    scen = tmp_path / "s.toml"
    scen.write_text(tomlkit.dumps(json.loads(json.dumps(d, default=str))), encoding="utf-8")
    res = CliRunner().invoke(main, ["backtest", str(scen), str(path), "-r", "1", "--seed", "3"])
    assert res.exit_code == 0, res.output
    assert "2 stretches" in res.output and "2026-03-02 to 2026-03-03 (2 days)" in res.output


def test_a_staffing_file_outside_every_stretch_is_refused_in_one_line(two_stretches, tmp_path):
    import tomlkit

    d, path = two_stretches
    scen = tmp_path / "s.toml"
    scen.write_text(tomlkit.dumps(json.loads(json.dumps(d, default=str))), encoding="utf-8")
    staffing = tmp_path / "staffing.csv"
    staffing.write_text("date,interval,agents\n2025-09-01,09:00,30\n", encoding="utf-8")  # inside the gap
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["backtest", str(scen), str(path), "-r", "1", "--staffing", str(staffing),
                                    "--out", str(out)])
    assert res.exit_code == 2, res.output
    (line,) = [ln for ln in res.output.splitlines() if ln.strip()]
    assert line.startswith("error: --staffing staffing.csv: no row falls on an open interval of the log's days "
                           "(2025-03-03 to 2026-03-03)")
    assert not out.exists()


def test_a_one_day_stretch_is_named_as_one_day(tmp_path):
    from ska_sim.calibration.spans import describe
    import datetime as dt

    a, b = dt.date(2016, 3, 1), dt.date(2026, 3, 4)
    assert describe([(a, a), (b, b + dt.timedelta(days=1))]) == "2016-03-01 (1 day), 2026-03-04 to 2026-03-05 (2 days)"


def test_a_stretch_with_no_open_day_in_the_scenario_is_not_simulated_and_said(two_stretches, tmp_path):
    import datetime as dt

    from ska_sim.calibration.backtest import backtest
    from ska_sim.calibration.calllog import read_log

    d, path = two_stretches
    weekend = tmp_path / "weekend.csv"  # the second stretch moved to a Saturday and Sunday (closed)
    weekend.write_text(path.read_text(encoding="utf-8").replace("2026-03-02T", "2026-03-07T")
                       .replace("2026-03-03T", "2026-03-08T"), encoding="utf-8")
    r = backtest(d, read_log(weekend), replications=1, seed=SEED)
    assert r.stretches == [(dt.date(2025, 3, 3), dt.date(2025, 3, 4))]
    assert "1 stretch of the log with no open day in the scenario, not simulated: 2026-03-07 to 2026-03-08 (2 days)" \
        in r.notes
    assert any("fall outside the scenario's opening hours" in n for n in r.notes)
    np.testing.assert_allclose(r.intervals["answer_rate_actual"], r.intervals["answer_rate_sim_mean"], atol=1e-12)


def test_a_scenario_on_a_forecast_is_backtested_from_any_folder(tmp_path, monkeypatch):
    """arrivals.forecast.file is relative to the scenario file, wherever `backtest` runs."""
    import tomlkit

    from helpers import forecast_rows, recorded_log, write_forecast

    folder = tmp_path / "plans"
    folder.mkdir()
    d = baseline_dict(days=2)
    log = recorded_log(d, 5, tmp_path)
    write_forecast(folder, forecast_rows("2026-02-23", 14, 1300, 0.1))
    d["arrivals"]["forecast"] = {"file": "forecast.csv"}
    (folder / "s.toml").write_text(tomlkit.dumps(d), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    res = CliRunner().invoke(main, ["backtest", str(folder / "s.toml"), str(log), "-r", "2"])
    assert res.exit_code == 0, res.output
    assert "forecast" in res.output
