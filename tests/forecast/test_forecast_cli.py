"""`ska-sim forecast` end to end: the folder it writes (forecast.csv's columns, the effects,
the plot, the scenario fragment, the manifest), --backtest's table, and a call log as the
history (first calls as fit counts them, the recent weeks' profile)."""

from __future__ import annotations

import datetime as dt
import json
import tomllib

import pandas as pd
import pytest
from click.testing import CliRunner

from helpers import baseline_dict, recorded_log
from ska_sim.cli.root import main
from ska_sim.forecast.predict import COLUMNS
from ska_sim.forecast.synthetic import ska_history

D = dt.date


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Thirteen months of two call types, forecast 60 days with an event and --backtest."""
    folder = tmp_path_factory.mktemp("fc")
    h = ska_history(first=D(2024, 11, 4), last=D(2025, 12, 31), types={"info": 1500.0, "pension": 400.0})
    h.to_csv(folder / "daily.csv", index=False)
    (folder / "events.toml").write_text('[[events]]\nname = "indexation letters"\nstart = 2026-01-12\n'
                                        'end = 2026-01-16\nfactor = 1.25\n', encoding="utf-8")
    res = _cli("forecast", folder / "daily.csv", "--horizon-days", 60, "--out", folder / "out", "--events",
               folder / "events.toml", "--backtest")
    return folder, res


def test_the_folder_holds_the_forecast_its_effects_plot_fragment_and_manifest(run):
    folder, res = run
    assert res.exit_code == 0, res.output
    out = folder / "out"
    assert sorted(p.name for p in out.iterdir()) == ["backtest.csv", "effects.csv", "forecast.csv", "forecast.png",
                                                     "manifest.json", "scenario-forecast.toml"]
    fc = pd.read_csv(out / "forecast.csv", keep_default_na=False)
    assert list(fc.columns) == COLUMNS
    assert len(fc) == 2 * 60 and set(fc["call_type"]) == {"info", "pension"}
    closed = fc["closed"] == 1
    bands = ["calls_mean", "calls_low_80", "calls_high_80", "calls_low_95", "calls_high_95"]
    assert (fc.loc[closed, bands] == 0).all().all() and (fc[bands] >= 0).all().all()
    op = fc[~closed]
    assert (op["calls_low_95"] <= op["calls_low_80"]).all() and (op["calls_low_80"] <= op["calls_mean"]).all()
    assert (op["calls_mean"] <= op["calls_high_80"]).all() and (op["calls_high_80"] <= op["calls_high_95"]).all()
    jan = fc[(fc["date"] == "2026-01-12") & (fc["call_type"] == "info")].iloc[0]
    assert jan["effects"] == "indexation letters"
    frag = tomllib.loads((out / "scenario-forecast.toml").read_text(encoding="utf-8"))
    assert frag["arrivals"]["forecast"] == {"file": "forecast.csv"}
    rules = {(e["name"], e.get("valid_from"), e.get("valid_to")): e for e in frag["arrivals"]["events"]}
    assert rules[("payment day", D(2025, 1, 1), None)]["spread_days"] == 2
    assert rules[("payment day", None, D(2024, 12, 31))]["if_closed"] == "previous_open_day"
    assert rules[("indexation letters", None, None)]["factor"] == 1.25
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["command"] == "forecast" and man["history"][0]["path"].endswith("daily.csv")
    assert len(man["backtest"]["origins"]) == 6


def test_the_text_prints_factors_with_standard_errors_and_the_backtest(run):
    _, res = run
    out = res.output
    assert "payment day" in out and "estimated" in out and "indexation letters" in out and "given" in out
    for name in ("forecast", "seasonal naive (a week back)", "seasonal naive (52 weeks back)"):
        assert f"  {name} " in out
    eff = pd.read_csv(run[0] / "out" / "effects.csv")
    est = eff[eff["source"] == "estimated"]
    assert (est["se"] > 0).all() and len(est) >= 8


def test_a_call_log_gives_first_calls_per_day_and_the_recent_profile(tmp_path):
    d = baseline_dict(days=21)
    log = recorded_log(d, 3, tmp_path)
    res = _cli("forecast", log, "--horizon-days", 7, "--out", tmp_path / "o", "--profile-weeks", 2)
    assert res.exit_code == 0, res.output
    raw = pd.read_csv(log)
    first = raw[raw["kind"] == "first"]
    assert f"{len(raw):,} calls" in res.output
    got = int(res.output.split(" first calls")[0].split(": ")[-1].replace(",", ""))
    assert abs(got - len(first)) <= 0.001 * len(first)  # fit's classification of the same log
    prof = pd.read_csv(tmp_path / "o" / "profile.csv")
    pooled = prof[prof["call_type"] == "all"]
    assert set(pooled["weekday"]) == {"mon", "tue", "wed", "thu", "fri"}
    assert pooled.groupby("weekday")["share"].sum().round(6).eq(1).all()
    frag = tomllib.loads((tmp_path / "o" / "scenario-forecast.toml").read_text(encoding="utf-8"))
    assert len(frag["arrivals"]["profile"]["mon"]) == len(pooled[pooled["weekday"] == "mon"])


def test_the_fragment_s_rules_give_the_calendar_the_forecast_s_effects(run):
    """The fragment's [[arrivals.events]] and [arrivals.date_factor] in a scenario: `calendar`
    puts a rule on exactly the open dates where forecast.csv lists an effect, the same ones."""
    from ska_sim.scenario.calendar import calendar_table
    from ska_sim.scenario.load import read_toml, scenario_from_dict

    folder, res = run
    assert res.exit_code == 0, res.output
    frag = tomllib.loads((folder / "out" / "scenario-forecast.toml").read_text(encoding="utf-8"))
    d = read_toml("scenarios/baseline.toml")
    d["arrivals"]["events"] = frag["arrivals"]["events"]
    d["arrivals"]["date_factor"] = frag["arrivals"]["date_factor"]
    d["calendar"].update(start=D(2026, 1, 1), days=60, country="EE", warmup_days=0)
    cal = calendar_table(scenario_from_dict(d, "merged")).set_index("date")
    fc = pd.read_csv(folder / "out" / "forecast.csv", keep_default_na=False)
    fc = fc[(fc["call_type"] == "info") & (fc["closed"] == 0)]
    checked = 0
    for date, effects in zip(fc["date"], fc["effects"]):
        rules = cal.at[date, "factor_rules"]
        want = {e.split(" (split")[0] for e in effects.split(";") if e}
        if "shortened day" in want:  # shortened days: a date factor, the product of what applies
            assert rules.startswith("arrivals.date_factor"), (date, rules)
            checked += 1
            continue
        got = {r.split(" x")[0] for r in rules.split("; ") if r}
        assert got == want, (date, got, want)
        checked += bool(want)
    assert checked >= 8  # payment days, month starts, days after a holiday, the event, a shortened day


def test_a_scenario_simulates_the_forecast_the_command_wrote(tmp_path):
    """History -> `forecast` -> a scenario with [arrivals.forecast] -> `run`: the
    measured days' first calls are the forecast's, with its uncertainty; an untyped history's
    forecast (call_type "all") serves a scenario with five call types."""
    h = ska_history(first=D(2024, 1, 1), last=D(2026, 2, 27), types={"x": 1100.0})
    h[["date", "calls"]].to_csv(tmp_path / "daily.csv", index=False)  # no call types
    res = _cli("forecast", tmp_path / "daily.csv", "--horizon-days", 7, "--start", "2026-03-02",
               "--out", tmp_path / "fc")
    assert res.exit_code == 0, res.output
    fc = pd.read_csv(tmp_path / "fc" / "forecast.csv", keep_default_na=False)
    assert set(fc["call_type"]) == {"all"} and set(fc["closed"]) == {0, 1}
    d = baseline_dict(days=5)  # Mon 2 - Fri 6 March 2026
    d["calendar"]["warmup_days"] = 0
    d["arrivals"]["volume_scale"] = 1.0
    d["arrivals"]["forecast"] = {"file": "fc/forecast.csv"}
    from ska_sim import scenario_from_dict
    from ska_sim.scenario.forecast import UNCERTAINTY_LINE
    from ska_sim.scenario.timeline import build_timeline

    s = scenario_from_dict(d, folder=tmp_path)
    tl = build_timeline(s)
    per_day = [tl.iv_expected[tl.iv_day == k].sum() for k in range(tl.n_days) if (tl.iv_day == k).any()]
    want = fc[(fc["closed"] == 0) & (fc["date"] <= "2026-03-06")]["calls_mean"].to_numpy()
    assert len(per_day) == 5 and per_day == pytest.approx(list(want), rel=1e-9)
    import tomlkit

    (tmp_path / "s.toml").write_text(tomlkit.dumps(d), encoding="utf-8")
    res = _cli("run", tmp_path / "s.toml", "-r", 4)
    assert res.exit_code == 0, res.output
    assert UNCERTAINTY_LINE in res.output


def test_a_backtest_of_a_history_under_a_year_says_the_yearly_baseline_has_no_days(tmp_path):
    h = ska_history(first=D(2025, 3, 3), last=D(2025, 12, 19), types={"x": 900.0})
    h[["date", "calls"]].to_csv(tmp_path / "short.csv", index=False)
    res = _cli("forecast", tmp_path / "short.csv", "--horizon-days", 28, "--backtest", "--out", tmp_path / "o")
    assert res.exit_code == 0, res.output
    assert "(no history a year before these days)" in res.output and "nan" not in res.output
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    yearly = [r for r in man["backtest"]["summary"] if r["method"] == "naive_year"][0]
    assert yearly["days"] == 0 and yearly["mase"] is None
