"""Known answers of the forecast, and its rolling-origin backtest on a synthetic SKA history
against the targets (MASE at most 0.75 of the weekly seasonal naive's, 80% intervals covering
70-90%, closed days exactly 0, no negative forecast)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ska_sim.forecast.backtest import backtest
from ska_sim.forecast.effects import UserEvent
from ska_sim.forecast.history import build_history
from ska_sim.forecast.predict import COLUMNS, make_forecast
from ska_sim.forecast.synthetic import CAMPAIGN, WEEKDAY_FACTOR, ska_history

D = dt.date
TODAY = D(2026, 12, 1)


def _history(**kw):
    return build_history(ska_history(**kw), "synthetic", TODAY)


@pytest.fixture(scope="module")
def weekly():
    """Eight weeks of a pure weekday pattern, no noise, no calendar effect on the volume."""
    return _history(first=D(2025, 9, 1), last=D(2025, 10, 26), day_cv=0.0, weekly_only=True)


def test_a_pure_weekday_pattern_without_noise_is_forecast_exactly(weekly):
    fc = make_forecast(weekly, 21)
    tf = fc.types[0]
    assert "exact" in tf.method
    for d, m, lo, hi in zip(tf.dates, tf.mean, tf.low95, tf.high95):
        want = 1500.0 * WEEKDAY_FACTOR[d.weekday()] if d.weekday() < 5 else 0.0
        assert m == pytest.approx(want, rel=1e-9, abs=1e-9)
        assert lo == pytest.approx(want, rel=1e-9, abs=1e-9) and hi == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert any("less than a year" in n for n in fc.notes)


def test_a_holiday_is_forecast_zero_and_marked_closed():
    h = _history(first=D(2025, 10, 6), last=D(2026, 1, 30))
    fc = make_forecast(h, 30)  # 31 Jan to 1 Mar 2026: Independence Day on Tue 24 Feb
    t = fc.table()
    row = t[t["date"] == "2026-02-24"].iloc[0]
    assert bool(row["closed"]) and row["effects"] == "Independence Day"
    assert (row[["calls_mean", "calls_low_80", "calls_high_80", "calls_low_95", "calls_high_95"]] == 0).all()
    assert list(t.columns) == COLUMNS


def test_a_given_event_factor_is_applied_as_given(weekly):
    ev = UserEvent("letters", D(2025, 10, 29), D(2025, 11, 4), 1.4)
    plain = make_forecast(weekly, 21).types[0]
    with_ev = make_forecast(weekly, 21, events=[ev]).types[0]
    hit = np.array([ev.start <= d <= ev.end and d.weekday() < 5 for d in plain.dates])
    assert hit.sum() == 5
    for a, b in ((plain.mean, with_ev.mean), (plain.low80, with_ev.low80), (plain.high95, with_ev.high95)):
        np.testing.assert_allclose(b[hit], 1.4 * a[hit], rtol=1e-12)
        np.testing.assert_array_equal(b[~hit], a[~hit])
    eff = next(e for e in with_ev.effects if e.name == "letters")
    assert (eff.factor, eff.source) == (1.4, "given")


def test_estimated_effects_recover_the_synthetic_factors_within_their_standard_errors():
    h = _history(first=D(2023, 1, 2), last=D(2025, 12, 31), types={"info": 1500.0})
    fc = make_forecast(h, 10, events=[UserEvent(CAMPAIGN.name, CAMPAIGN.start, CAMPAIGN.end)])
    got = {e.column: e for e in fc.types[0].effects}
    truth = {"payment": 1.3, "month_start": 1.15, "after_holiday": 1.2, "shortened": 0.8,
             CAMPAIGN.column: CAMPAIGN.factor}
    for col, f in truth.items():
        e = got[col]
        assert e.source == "estimated" and e.se > 0
        assert abs(e.factor - f) < 4 * e.se, (col, e.factor, e.se)


@pytest.fixture(scope="module")
def long_backtest():
    """Three years of the synthetic line (seed 7), six origins over the last year, 28 days ahead;
    the campaign's factor is given (a forecaster knows a letter campaign is coming)."""
    h = _history(first=D(2023, 1, 2), last=D(2025, 12, 31), seed=7)
    return backtest(h, 28, [CAMPAIGN])


def test_backtest_meets_the_targets_on_the_synthetic_line(long_backtest):
    s = long_backtest.summary.set_index("method")
    assert list(s.index) == ["model", "naive_week", "naive_year"]
    assert s.at["model", "mase"] <= 0.75 * s.at["naive_week", "mase"], s
    assert 0.70 <= s.at["model", "cover80"] <= 0.90, s
    assert 0.85 <= s.at["model", "cover95"] <= 1.0, s
    assert s.at["model", "days"] >= 100 and len(long_backtest.origins) == 6


def test_interval_coverage_on_a_long_history_lies_in_its_band():
    """One forecast a year ahead of a four-year history (fixed seed): the share of open days
    inside the 80% interval lies in 70-90%, inside the 95% one in 88-100%; closed days are
    exactly 0 and nothing is negative."""
    full = ska_history(first=D(2021, 1, 4), last=D(2025, 12, 31), seed=11)
    past = full[full["date"] <= D(2024, 12, 31)]
    h = build_history(past, "synthetic", TODAY)
    fc = make_forecast(h, 365, events=[CAMPAIGN])
    tf = fc.types[0]
    actual = full.set_index("date")["calls"].loc[tf.dates].to_numpy()
    op = ~tf.closed
    inside80 = np.mean((actual[op] >= tf.low80[op]) & (actual[op] <= tf.high80[op]))
    inside95 = np.mean((actual[op] >= tf.low95[op]) & (actual[op] <= tf.high95[op]))
    assert 0.70 <= inside80 <= 0.90, inside80
    assert 0.88 <= inside95 <= 1.0, inside95
    assert (tf.mean[~op] == 0).all() and (tf.high95[~op] == 0).all() and (actual[~op] == 0).all()
    assert min(tf.mean.min(), tf.low95.min()) >= 0


def _weekday_and_payment(first, last, factor=1.3):
    """A noiseless history: the weekday pattern times ``factor`` on payment days (split days get
    ``factor`` to the power of their share), nothing else."""
    import pandas as pd

    from ska_sim.forecast.effects import build_calendar

    cal = build_calendar(first, last, set(range(5))).frame
    calls = [0.0 if c else 1500.0 * WEEKDAY_FACTOR[d.weekday()] * factor ** p
             for d, c, p in zip(cal.index, cal["closed"], cal["payment"])]
    return build_history(pd.DataFrame({"date": list(cal.index), "call_type": "info", "calls": calls}), "s", TODAY)


@pytest.mark.parametrize("first,last,moved,plain", [
    # 2024 rule: Sat 5 Oct 2024 -> Fri 4 Oct (a week later, Fri 11 Oct, is plain); Mon 7 Oct plain
    (D(2024, 6, 3), D(2024, 9, 30), {D(2024, 10, 4): 1.3}, [D(2024, 10, 7), D(2024, 10, 8)]),
    # 2025 rule: Sat 5 Apr 2025 -> Mon 7 and Tue 8 Apr, half the effect each; Fri 4 Apr plain
    (D(2025, 1, 6), D(2025, 3, 31), {D(2025, 4, 7): 1.3 ** 0.5, D(2025, 4, 8): 1.3 ** 0.5}, [D(2025, 4, 4)]),
])
def test_a_payment_day_moved_by_a_weekend_lands_on_the_days_of_its_rule(first, last, moved, plain):
    fc = make_forecast(_weekday_and_payment(first, last), 21)
    tf = fc.types[0]
    mean = dict(zip(tf.dates, tf.mean))
    pay = next(e for e in tf.effects if e.column == "payment")
    assert pay.factor == pytest.approx(1.3, rel=1e-3)
    for d, f in moved.items():
        assert mean[d] / mean[d + dt.timedelta(days=7)] == pytest.approx(f, rel=1e-3), d
    for d in plain:
        assert mean[d] / mean[d + dt.timedelta(days=7)] == pytest.approx(1.0, rel=1e-3), d
    effects = dict(zip(fc.table()["date"], fc.table()["effects"]))
    assert all("payment day" in effects[d.isoformat()] for d in moved)
