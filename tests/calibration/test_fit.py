"""The estimators of `ska-sim fit` (calibrate.py) on logs with known parameters.

Tolerances are 4 standard errors of the estimate, the SE computed from the sample sizes
(binomial for probabilities, observed information for fitted means, Poisson + gamma day
factor for volumes): a correct estimator fails with probability below 1e-4, a wrong formula
(e.g. counting follow-ups as first calls, patience from abandoned calls alone) is off by
many SE. Seeds are fixed.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib

import numpy as np
import pytest
from click.testing import CliRunner

from ska_sim.calibration.estimators import fit_censored, fit_duration, mean_se
from ska_sim.calibration.fit import FitError, FitOptions, fit_log, to_toml
from ska_sim.cli import main
from ska_sim.scenario.load import scenario_from_dict
from synthetic_log import Truth, make_log
from helpers import error_lines

TRUTH = Truth(days=42)


@pytest.fixture(scope="module")
def log():
    return make_log(TRUTH, seed=11)


@pytest.fixture(scope="module")
def fitted(log):
    return fit_log(log, FitOptions(repeat_probability=TRUTH.repeat_probability))


def _binomial_se(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


# --------------------------------------------------------------------------- follow-ups first
def test_volume_is_first_calls_not_offered_calls(log, fitted):
    e = fitted.estimates
    days = e["days_used"]
    # SE of the mean of `days` daily counts: Var N = m + cv^2 m^2
    m = TRUTH.daily_calls
    se = math.sqrt(m + TRUTH.day_cv**2 * m**2) / math.sqrt(days)
    assert abs(e["daily_calls"] - m) < 4 * se
    # the log holds many more calls than first calls: counting them all would be far off
    offered_per_day = len(log) / fitted.daily.open.sum()
    assert offered_per_day - m > 10 * se
    assert e["redials"] > 0 and e["repeats"] > 0


def test_weekday_factors_and_profile(fitted):
    wf = fitted.estimates["weekday_factor"]
    m = TRUTH.daily_calls
    for w, true in zip(("mon", "tue", "wed", "thu", "fri"), TRUTH.weekday_factor):
        n_w = int(((fitted.daily.weekday == w) & fitted.daily.used).sum())
        se = math.sqrt(m * true + (TRUTH.day_cv * m * true) ** 2) / math.sqrt(n_w) / m  # plus the mean's own error
        assert abs(wf[w] - true) < 4 * se * 1.5, (w, wf[w], true)
    prof = fitted.scenario["arrivals"]["profile"]["mon"]
    n_calls = fitted.profile[fitted.profile.weekday == "mon"].first_calls.sum()
    truth = TRUTH.profile / TRUTH.profile.sum()
    se = np.sqrt(truth * (1 - truth) / n_calls)
    assert np.all(np.abs(np.array(prof) - truth) < 4 * se)
    assert abs(sum(prof) - 1) < 1e-9


def test_redial_and_repeat_probabilities_and_fcr(fitted):
    e = fitted.estimates
    assert abs(e["redial_probability"] - TRUTH.redial_probability) < 4 * e["redial_se"]
    for k, name in enumerate(TRUTH.types):
        true = (1 - TRUTH.resolved[k]) * TRUTH.repeat_probability
        n = e["repeat_n"][name]
        assert abs(e["repeat_product"][name] - true) < 4 * _binomial_se(true, n)
        # with repeat.probability fixed at its true value, resolved itself is recovered
        ct = next(c for c in fitted.scenario["call_types"] if c["name"] == name)
        assert abs(ct["resolved"] - TRUTH.resolved[k]) < 4 * _binomial_se(true, n) / TRUTH.repeat_probability


def test_only_the_product_is_identified(log):
    """Fixing repeat.probability at 1 or at 0.7 gives the same product (1 - resolved) x probability."""
    a = fit_log(log, FitOptions(repeat_probability=1.0, max_fit_sample=5_000)).scenario
    b = fit_log(log, FitOptions(repeat_probability=0.7, max_fit_sample=5_000)).scenario
    for ca, cb in zip(a["call_types"], b["call_types"]):
        assert (1 - ca["resolved"]) * 1.0 == pytest.approx((1 - cb["resolved"]) * 0.7, abs=2e-4)


# --------------------------------------------------------------------------- handle times
def test_talk_and_wrap_up_fitted_separately(fitted):
    for k, name in enumerate(TRUTH.types):
        f = fitted.talk[name]
        assert f.family == "lognormal"
        x = fitted.talk_samples[name]
        assert abs(f.mean_s - TRUTH.talk_mean_s[k]) < 4 * mean_se(f, x)
        assert abs(f.cv - TRUTH.talk_cv) < 0.05  # cv 1 from n > 10,000: its SE is about 0.01-0.02
        a = fitted.acw[name]
        assert abs(a.mean_s - TRUTH.acw_mean_s) < 2.0  # SE of a mean 60 s cv 0.6 from > 10,000 calls: ~0.35 s
        ct = next(c for c in fitted.scenario["call_types"] if c["name"] == name)
        assert ct["talk"]["mean_s"] == pytest.approx(f.mean_s, abs=0.1)  # talk alone, not talk + ACW


@pytest.mark.parametrize("family,draw", [
    ("gamma", lambda r: r.gamma(2.0, 150.0, 8000)),
    ("weibull", lambda r: r.weibull(1.5, 8000) * 300.0),
    ("exponential", lambda r: r.exponential(300.0, 8000)),
    ("lognormal", lambda r: r.lognormal(5.5, 0.7, 8000)),
])
def test_family_chosen_by_aic(family, draw):
    x = draw(np.random.default_rng(5))
    f = fit_duration(x)
    # exponential is the gamma/weibull with shape 1: two-parameter families may tie, never win by much
    assert f.family == family or (family == "exponential" and f.aic[family] - f.aic[f.family] < 4)
    assert abs(f.mean_s - x.mean()) < 4 * x.std() / math.sqrt(len(x))
    assert 0 <= f.ks[f.family] < 0.03


def test_no_wrap_up_column_needs_acw(log):
    no_wrap = log.assign(wrap_up_s=np.nan)
    with pytest.raises(FitError, match="--acw-s"):
        fit_log(no_wrap)
    s = fit_log(no_wrap, FitOptions(acw_s=45, max_fit_sample=5_000)).scenario
    assert all(ct["after_call_work"] == {"dist": "deterministic", "mean_s": 45.0} for ct in s["call_types"])


# --------------------------------------------------------------------------- patience
def test_patience_from_censored_waits_not_from_abandoned_calls():
    """Abandoned waits alone are biased low (patient callers were answered); the censored fit is not."""
    rng = np.random.default_rng(21)
    n, mean, cv = 20_000, 240.0, 1.0
    s2 = math.log1p(cv**2)
    patience = rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), n)
    wait = rng.exponential(60.0, n)
    abandoned = patience < wait
    events, censored = patience[abandoned], wait[~abandoned]
    f, km = fit_censored(events, censored)
    se = mean_se(f, events, censored)
    assert 0.05 < abandoned.mean() < 0.3
    assert abs(f.mean_s - mean) < 4 * se
    assert f.family == "lognormal"
    naive = events.mean()
    assert mean - naive > 20 * se  # the known pitfall: about a third of the truth
    # Kaplan-Meier agrees with the truth where it is well determined
    from scipy import stats

    true = stats.lognorm(math.sqrt(s2), scale=math.exp(math.log(mean) - s2 / 2))
    assert abs(km.at(60.0) - true.sf(60.0)) < 0.02


def test_patience_in_the_fitted_scenario(fitted):
    p = fitted.scenario["patience"]
    assert p["dist"] == "lognormal"
    assert abs(fitted.patience.mean_s - TRUTH.patience_mean_s) < 4 * 12.0  # SE ~6 s at ~5,000 events (see above)
    assert fitted.naive_patience_mean_s < 0.5 * TRUTH.patience_mean_s


# --------------------------------------------------------------------------- volume details
def test_day_cv_and_unusual_days():
    t = Truth(days=112, day_cv=0.10, redial_probability=0.0, repeat_probability=0.0)
    log = make_log(t, seed=3)
    # a day with twice its volume: copies of that day's calls as new callers
    day = log[log.arrival.dt.date == log.arrival.dt.date.iloc[0].replace(day=18)]
    extra = day.assign(caller=day.caller + np.uint64(1), call_id=day.call_id + 10**7)
    import pandas as pd

    f = fit_log(pd.concat([log, extra], ignore_index=True), FitOptions(max_fit_sample=10_000))
    e = f.estimates
    assert e["unusual_days"] == ["2026-03-18"]
    factor = f.scenario["arrivals"]["date_factor"]
    assert list(factor) == [dt.date(2026, 3, 18)] and 1.7 < factor[dt.date(2026, 3, 18)] < 2.3  # twice the volume
    scenario_from_dict(tomllib.loads(to_toml(f)), "fitted.toml")  # written and valid
    # SE of c^2 by the method of moments: ~ sqrt(2 / (n - 5)) (1/m + c^2), delta method to c
    assert abs(e["day_cv"] - t.day_cv) < 4 * e["day_cv_se"]
    no_od = fit_log(make_log(Truth(days=112, day_cv=0.0, redial_probability=0.0, repeat_probability=0.0), seed=4),
                    FitOptions(max_fit_sample=10_000))
    assert no_od.estimates["day_cv"] < 4 * e["day_cv_se"]


def test_smoothing_options(log):
    quick = dict(max_fit_sample=5_000)
    pooled = fit_log(log, FitOptions(smooth="pool", **quick)).scenario["arrivals"]["profile"]
    assert list(pooled) == ["default"]
    k3 = fit_log(log, FitOptions(smooth="3", **quick)).scenario["arrivals"]["profile"]["mon"]
    raw = fit_log(log, FitOptions(**quick)).scenario["arrivals"]["profile"]["mon"]
    assert abs(sum(k3) - 1) < 1e-9
    assert np.abs(np.diff(k3)).sum() < np.abs(np.diff(raw)).sum()  # smoother


# --------------------------------------------------------------------------- the scenario written
def test_fitted_scenario_loads_and_runs(fitted):
    text = to_toml(fitted)
    assert "# " in text and "n = " in text  # sample sizes and diagnostics as comments
    assert "NOT FROM THE LOG" in text  # no agent ids, no staffing file: said so
    s = scenario_from_dict(tomllib.loads(text), "fitted.toml")
    assert s.arrivals.daily_calls == pytest.approx(fitted.estimates["daily_calls"], abs=0.1)
    from ska_sim.sim.runner import simulate

    small = scenario_from_dict({**tomllib.loads(text), "calendar": {**tomllib.loads(text)["calendar"], "days": 2,
                                                                     "warmup_days": 0}}, "fitted.toml")
    r = simulate(small, replications=1, seed=1)
    assert r is not None


def test_fit_report_is_self_contained(fitted):
    from ska_sim.report.fit import build_fit_report

    html = build_fit_report(fitted, "log.csv")
    assert html.count("data:image/png;base64,") == 4
    assert "http://" not in html and "https://" not in html and "<script" not in html


# --------------------------------------------------------------------------- bad options: exit 2, the key named
@pytest.mark.parametrize("args,names", [
    (["--interval", "45"], "--interval"),
    (["--smooth", "4"], "--smooth"),
    (["--smooth", "gauss"], "--smooth"),
    (["--tz", "Mars/Olympus"], "--tz"),
    (["--redial-window-min", "0"], "--redial-window-min"),
    (["--repeat-probability", "1.5"], "--repeat-probability"),
    (["--acw-s", "-3"], "--acw-s"),
    (["--report", "fit.pdf"], "--report"),
])
def test_bad_options_exit_2_naming_the_option(tmp_path, args, names):
    logf = tmp_path / "log.csv"
    logf.write_text("call_id\n1\n")
    out = tmp_path / "fitted.toml"
    r = CliRunner().invoke(main, ["fit", str(logf), "--out", str(out), *args])
    assert r.exit_code == 2, r.output
    assert names in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


@pytest.mark.parametrize("mapping,key", [
    ('[columns]\nstart_time = "Start"\n', "start_time"),
    ('[columns]\narrival = 3\n', "arrival"),
    ('arrival = "Start"\n[extra]\nx = 1\n', "extra"),
    ('[columns\n', "TOML"),
])
def test_bad_mapping_file_names_the_key(tmp_path, mapping, key):
    logf = tmp_path / "log.csv"
    logf.write_text("call_id\n1\n")
    mf = tmp_path / "mapping.toml"
    mf.write_text(mapping)
    out = tmp_path / "fitted.toml"
    r = CliRunner().invoke(main, ["fit", str(logf), "--out", str(out), "--columns", str(mf)])
    assert r.exit_code == 2, r.output
    assert f"mapping.toml: {key}" in r.output or (key == "TOML" and "mapping.toml" in r.output and key in r.output)
    assert "Traceback" not in r.output
    assert not out.exists()


def test_languages_shares_and_talk_factors(log):
    """ru calls talk 1.2x longer: the fit gives ru talk_factor 1.2 (et 1.0) and the types' talk net of it."""
    rng = np.random.default_rng(8)
    ru = rng.random(len(log)) < 0.3
    talk = (log.end - log.answer).where(log.answer.notna())
    end = (log.answer + talk * np.where(ru, 1.2, 1.0)).where(log.answer.notna(), log.end)
    f = fit_log(log.assign(language=np.where(ru, "ru", "et"), end=end), FitOptions(max_fit_sample=20_000))
    langs = f.scenario["languages"]
    n_ru = int(ru[log.answer.notna().to_numpy()].sum())
    # SE of a ratio of mean talks (cv 1): ~ 1.2 * sqrt(1/n_ru + 1/n_et)
    assert abs(langs["ru"]["talk_factor"] - 1.2) < 4 * 1.2 * math.sqrt(1 / n_ru + 1 / (len(log) - n_ru))
    assert langs["et"]["talk_factor"] == 1.0
    assert abs(langs["ru"]["share"] - 0.3) < 4 * math.sqrt(0.21 / f.estimates["first_calls"])
    for k, name in enumerate(TRUTH.types):  # talk net of the language factor
        assert abs(f.talk[name].mean_s - TRUTH.talk_mean_s[k]) < 4 * mean_se(f.talk[name], f.talk_samples[name])
    s = scenario_from_dict(tomllib.loads(to_toml(f)), "fitted.toml")
    assert set(s.languages) == {"et", "ru"} and s.call_types[0].language_shares is not None


def test_callback_rows_are_left_out(log):
    """Rows with kind = callback are placed by agents: not calls that reached the line."""
    import pandas as pd

    cb = log.head(500).assign(kind="callback", caller=log.head(500).caller + np.uint64(7), call_id=lambda d: d.call_id + 10**8)
    base = fit_log(log.assign(kind="first"), FitOptions(max_fit_sample=5_000))
    with_cb = fit_log(pd.concat([log.assign(kind="first"), cb], ignore_index=True), FitOptions(max_fit_sample=5_000))
    assert with_cb.estimates["calls"] == base.estimates["calls"]
    assert "500 callback rows" in with_cb.notes["calendar"]


def test_staffing_from_agents_per_interval(log, fitted):
    """Agents per (date, interval) from calllog.agents_per_interval become the weekday medians."""
    import pandas as pd

    dates = sorted(set(fitted.daily.date[fitted.daily.open]))
    rows = [(d, slot, 10 + slot % 3 + (5 if d.weekday() == 0 else 0)) for d in dates for slot in range(18, 34)]
    agents = pd.DataFrame(rows, columns=["date", "slot", "agents"])
    s = fit_log(log, FitOptions(max_fit_sample=5_000), agents=agents, agents_source="staffing file staff.csv").scenario
    assert s["staffing"]["agents"]["mon"] == [15 + slot % 3 for slot in range(18, 34)]
    assert s["staffing"]["agents"]["tue"] == [10 + slot % 3 for slot in range(18, 34)]
    text = to_toml(fit_log(log, FitOptions(max_fit_sample=5_000), agents=agents, agents_source="staffing file staff.csv"))
    assert "staffing file staff.csv" in text and "NOT FROM THE LOG" not in text


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A small synthetic export as a centre might have it: its own column names, no wrap-up column."""
    import pandas as pd

    from ska_sim.calibration.log_writer import write_log

    f = make_log(Truth(days=21), seed=2)
    f = f.assign(caller_id=pd.Series(f["caller"]).map("C{:07d}".format)).drop(columns=["caller", "wrap_up_s"])
    d = tmp_path_factory.mktemp("export")
    write_log(f, d / "plain.csv")
    head, rest = (d / "plain.csv").read_text().split("\n", 1)
    cols = ["QueueStart" if c == "arrival" else "ANI" if c == "caller_id" else c for c in head.split(",")]
    (d / "export.csv").write_text(",".join(cols) + "\n" + rest)
    (d / "mapping.toml").write_text('[columns]\narrival = "QueueStart"\ncaller_id = "ANI"\n')
    return d


def test_cli_without_wrap_up_asks_for_acw(export):
    out = export / "fitted.toml"
    r = CliRunner().invoke(main, ["fit", str(export / "plain.csv"), "--out", str(out)])
    assert r.exit_code == 2 and "--acw-s" in r.output and "never fitted as talk" in r.output
    assert not out.exists()


def test_cli_with_a_mapping_file_and_acw(export):
    out, rep = export / "mapped.toml", export / "fit.html"
    r = CliRunner().invoke(main, ["fit", str(export / "export.csv"), "--out", str(out), "--columns",
                                  str(export / "mapping.toml"), "--acw-s", "50", "--report", str(rep)])
    assert r.exit_code == 0, r.output
    s = scenario_from_dict(tomllib.loads(out.read_text()), "mapped.toml")
    assert all(ct.after_call_work.dist == "deterministic" and ct.after_call_work.mean_s == 50 for ct in s.call_types)
    assert "NOT estimated" in out.read_text()
    assert rep.read_text().startswith("<!doctype html>")


def test_fit_refuses_an_out_that_is_not_toml(tmp_path):
    log = tmp_path / "calls.csv"
    log.write_text("call_id,arrival\n", encoding="utf-8")
    out = tmp_path / "f9.txt"
    r = CliRunner().invoke(main, ["fit", str(log), "--out", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    (line,) = error_lines(r)
    assert f"--out {out}" in line and ".toml" in line
    assert not out.exists()
