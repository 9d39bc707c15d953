"""`ska-sim fit` on logs of any span and with unusual days: gaps, fits that do not converge,
the robust rule for unusual days, and no numerical warnings on the terminal.

- A log of two stretches a year apart fits; no follow-up is recognised across the gap (the
  counts are those of the two stretches fitted apart), the calendar is the last stretch and the
  file and the terminal say so.
- A duration family that does not converge is left out and named in the note; when only the
  exponential is left, the fit falls back to it (the sample mean) and says so.
- A pension-payment Monday at 1.5x in six weeks is flagged (each day against the median and the
  mean of its weekday's other days) and gets its date factor; the Monday factor is that of the
  ordinary Mondays.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ska_sim.calibration import estimators
from ska_sim.calibration.estimators import fit_censored, fit_duration
from ska_sim.calibration.fit import FitOptions, fit_log, to_toml
from ska_sim.calibration.spans import date_stretches, stretches
from ska_sim.cli import main
from ska_sim.scenario.load import scenario_from_dict
from synthetic_log import Truth, make_log

QUICK = FitOptions(max_fit_sample=5_000)
A_START, B_START = dt.date(2026, 3, 2), dt.date(2027, 3, 1)


# --------------------------------------------------------------------------- stretches
@pytest.mark.parametrize("days, expected", [
    ([], []),
    ([5], [(5, 5)]),
    ([1, 2, 5, 6, 7], [(1, 7)]),  # a weekend inside a stretch
    ([1, 16], [(1, 16)]),  # 14 days without a call: still one stretch
    ([1, 17], [(1, 1), (17, 17)]),  # 15: a gap
    ([40, 3, 3, 2], [(2, 3), (40, 40)]),  # any order, repeats
])
def test_stretches_split_at_more_than_14_days_without_a_call(days, expected):
    assert stretches(days) == expected


def test_date_stretches():
    d = [dt.date(2016, 3, 1), dt.date(2016, 3, 2), dt.date(2026, 3, 3)]
    assert date_stretches(d) == [(d[0], d[1]), (d[2], d[2])]


# --------------------------------------------------------------------------- a log with a gap
def _gap_log() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stretches A (26 days from A_START) and B (26 days from B_START), the same caller ids in both.
    Five calls of A's last day that were not answered are moved to 16:50 (hung up a minute later),
    and B's first five callers take their ids: opening time does not run in a gap, so without the
    gap they would be redials."""
    a = make_log(Truth(days=26, daily_calls=200, start=A_START), seed=1)
    b = make_log(Truth(days=26, daily_calls=200, start=B_START), seed=2)
    last = a.arrival.dt.date.max()
    rows = a.index[(a.arrival.dt.date == last) & a.answer.isna()][:5]
    late = pd.Timestamp(f"{last} 16:50", tz=a.arrival.dt.tz) + pd.to_timedelta(np.arange(5), unit="s")
    a.loc[rows, "arrival"] = late
    a.loc[rows, "abandon"] = late + pd.Timedelta(seconds=60)
    a.loc[rows, "end"] = late + pd.Timedelta(seconds=60)
    a = a.sort_values("arrival", kind="stable").reset_index(drop=True)
    first_callers = b.caller.iloc[:5].to_numpy()
    b = b.assign(caller=b.caller.replace(dict(zip(first_callers, a.loc[a.arrival.isin(late), "caller"]))),
                 call_id=b.call_id + 10**6)
    return pd.concat([a, b], ignore_index=True), a, b


@pytest.fixture(scope="module")
def gap():
    log, a, b = _gap_log()
    return fit_log(log, QUICK), fit_log(a, QUICK), fit_log(b, QUICK)


def test_a_log_with_a_year_long_gap_fits_without_follow_ups_across_the_gap(gap):
    both, a, b = gap
    e = both.estimates
    for k in ("calls", "redials", "repeats"):
        assert e[k] == a.estimates[k] + b.estimates[k], k
    assert e["stretches"] == [(A_START, A_START + dt.timedelta(days=25)), (B_START, B_START + dt.timedelta(days=25))]
    # each stretch's first days are a lead-in, as in the stretches fitted apart
    def lead_in(f):
        d = f.daily
        return set(d.date[d.open & ~d.used & ~d.unusual])

    assert lead_in(both) == lead_in(a) | lead_in(b) and len(lead_in(b)) >= 2
    assert e["unusual_days"] == []


def test_a_log_with_gaps_says_so_and_its_calendar_is_the_last_stretch(gap):
    both = gap[0]
    (note,) = both.estimates["notes_shown"]
    assert "2 stretches" in note and "more than a year" in note and "2027-03-01 to 2027-03-26 (26 days)" in note
    cal = both.scenario["calendar"]
    assert cal["start"] == B_START and cal["days"] == 26 and "closed" not in cal
    text = to_toml(both)
    assert "# NOTE: the log spans 390 days" in text and "the calendar is its last stretch" in text
    s = scenario_from_dict(tomllib.loads(text), "fitted.toml")
    assert s.calendar.days == 26


def test_a_log_without_gaps_has_no_gap_note():
    f = fit_log(make_log(Truth(days=21, daily_calls=200), seed=3), QUICK)
    assert f.estimates["notes_shown"] == [] and "NOTE" not in to_toml(f)
    assert len(f.estimates["stretches"]) == 1


def test_fit_command_on_a_year_long_gap_exits_0_with_the_note(tmp_path):
    from ska_sim.calibration.log_writer import write_log

    log, _, _ = _gap_log()
    path = tmp_path / "calls.csv"
    write_log(log.rename(columns={"caller": "caller_id"}).assign(caller_id=lambda f: f.caller_id.astype(str)), path)
    out = tmp_path / "fitted.toml"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # one escaping would fail the command
        res = CliRunner().invoke(main, ["fit", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "note: the log spans 390 days" in res.output and out.exists()


# --------------------------------------------------------------------------- fits that do not converge
@pytest.mark.parametrize("values", [[300.0] * 5, [5.0, 5.0000001], [1e7, 1e7 + 1], [3e7, 3.1e7, 3.2e7], [1.0, 1e12]])
def test_duration_fits_of_degenerate_values_do_not_crash_and_name_what_failed(values):
    f = fit_duration(np.array(values))
    assert f.family not in f.failed and np.isfinite(f.mean_s)
    assert abs(f.mean_s - np.mean(values)) <= 0.5 * np.mean(values)
    if f.constant:
        assert "all alike" in f.note() and f.spec()["dist"] == "deterministic"
    for fam in () if f.constant else f.failed:
        assert fam in f.note() and "did not converge" in f.note()


def test_equal_values_leave_gamma_and_weibull_out_and_are_deterministic():
    f = fit_duration(np.full(5, 300.0))
    assert set(f.failed) == {"gamma", "weibull"}
    assert f.mean_s == pytest.approx(300.0)
    assert f.spec() == {"dist": "deterministic", "mean_s": 300.0} and "all alike" in f.note()
    assert fit_duration(np.array([290.0, 310.0, 300.0])).spec()["dist"] != "deterministic"


@pytest.fixture
def only_exponential_converges(monkeypatch):
    """Every two-parameter fit fails, as from inside the optimiser."""
    from scipy import stats

    def fail(*a, **k):
        raise RuntimeError("no convergence")

    monkeypatch.setattr(stats.lognorm, "fit", fail)
    monkeypatch.setattr(stats.gamma, "fit", fail)
    monkeypatch.setattr(estimators, "_weibull_mle", fail)
    real = estimators._censored_mle
    monkeypatch.setattr(estimators, "_censored_mle", lambda fam, ev, ce: real(fam, ev, ce) if fam == "exponential"
                        else fail())


def test_a_fit_that_cannot_converge_falls_back_to_the_exponential_and_says_so(only_exponential_converges):
    rng = np.random.default_rng(1)
    x = rng.lognormal(5, 1, 500)
    f = fit_duration(x)
    assert f.family == "exponential" and f.mean_s == pytest.approx(x.mean())
    assert "FELL BACK to the exponential" in f.note()
    c, _ = fit_censored(x[:300], x[300:])
    assert c.family == "exponential" and "FELL BACK" in c.note()


def test_fit_log_names_each_fallback(only_exponential_converges):
    f = fit_log(make_log(Truth(days=14, daily_calls=200), seed=5), QUICK)
    shown = f.estimates["notes_shown"]
    assert any(n.startswith("talk pensions: lognormal, gamma, weibull did not converge; exponential (the simpler "
                            "estimate: the sample mean)") for n in shown), shown
    assert any(n.startswith("repeat delay: ") for n in shown) and any(n.startswith("patience: ") for n in shown)
    assert f.scenario["call_types"][0]["talk"]["dist"] == "exponential"
    assert "FELL BACK" in to_toml(f)


# --------------------------------------------------------------------------- no warnings on the terminal
def test_the_numerics_are_quiet_only_inside_the_fit():
    before = (list(warnings.filters), np.geterr())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_duration(np.array([1.0, 1e12]))  # scipy's gamma fit divides by zero here
        fit_duration(np.full(5, 300.0))
        np.log(np.zeros(1))  # outside the fit: still warns
    assert [w.category for w in caught] == [RuntimeWarning]
    assert (list(warnings.filters), np.geterr()) == before


def _fixed_wrap_up_log(tmp_path):
    """A log whose wrap-up is 30 s for every answered call (a system's fixed after-call time)."""
    from ska_sim.calibration.log_writer import write_log

    log = make_log(Truth(days=14, daily_calls=100), seed=7)
    log["wrap_up_s"] = log["wrap_up_s"].where(log["wrap_up_s"].isna(), 30.0)
    path = tmp_path / "calls.csv"
    write_log(log.rename(columns={"caller": "caller_id"}).assign(caller_id=lambda f: f.caller_id.astype(str)), path)
    return path


def test_a_fixed_wrap_up_fits_as_deterministic_with_a_note(tmp_path):
    path = _fixed_wrap_up_log(tmp_path)
    out = tmp_path / "f.toml"
    res = CliRunner().invoke(main, ["fit", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "note: after-call work pensions: the values are all alike: deterministic 30.0 s" in res.output
    fitted = tomllib.loads(out.read_text(encoding="utf-8"))
    for ct in fitted["call_types"]:
        assert ct["after_call_work"] == {"dist": "deterministic", "mean_s": 30.0}


def test_fit_prints_no_runtime_warning(tmp_path):
    # a degenerate log (gamma and Weibull fail on its wrap-up): stderr stays empty of warnings with
    # Python's default filters (the estimator-level test above shows scipy warning where it does)
    path = _fixed_wrap_up_log(tmp_path)
    import ska_sim

    env = {**os.environ, "PYTHONPATH": str(Path(ska_sim.__file__).parents[1])}  # this tree's code
    res = subprocess.run([sys.executable, "-W", "default", "-c", "from ska_sim.cli.root import main; main()", "fit",
                          str(path), "--out", str(tmp_path / "f.toml")], capture_output=True, text=True, timeout=120,
                         env=env)
    assert res.returncode == 0, res.stderr
    assert "Warning" not in res.stderr, res.stderr


# --------------------------------------------------------------------------- unusual days
def test_a_pension_monday_is_flagged_with_its_date_factor_and_leaves_the_monday_factor_alone():
    # day_cv 0.10: the old rule (mean and variance with the day in them) kept this Monday in the means
    t = Truth(days=42, redial_probability=0.0, repeat_probability=0.0)
    log = make_log(t, seed=31)
    pension = dt.date(2026, 3, 23)  # the fourth Monday
    day = log[log.arrival.dt.date == pension]
    extra = day.sample(frac=0.5, random_state=1)
    extra = extra.assign(caller=extra.caller + np.uint64(1), call_id=extra.call_id + 10**7)
    f = fit_log(pd.concat([log, extra], ignore_index=True), QUICK)
    assert f.estimates["unusual_days"] == [str(pension)]
    factor = f.scenario["arrivals"]["date_factor"]
    assert list(factor) == [pension] and 1.35 < factor[pension] < 1.65  # half the day's calls again
    d = f.daily
    mondays = d[(d.weekday == "mon") & d.used]
    assert pension not in set(mondays.date) and len(mondays) >= 4
    x = mondays.first_calls.to_numpy(float)
    fitted_monday = f.estimates["daily_calls"] * f.estimates["weekday_factor"]["mon"]
    assert abs(fitted_monday - x.mean()) < 2 * x.std(ddof=1) / np.sqrt(len(x))  # within the ordinary Mondays' CI
    text = to_toml(f)
    assert f"{pension} (" in text and "date_factor" in text
