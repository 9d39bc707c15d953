"""Backtest's actual counts with service-level thresholds per call type: each logged call
answered within its own type's threshold (by its call_type), a hand count."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from ska_sim.calibration.backtest import actual_counts


def test_each_logged_call_counts_within_its_own_types_threshold():
    t0 = pd.Timestamp("2026-03-02 09:00", tz="Europe/Tallinn")
    waits = [10, 30, 50, 70, 10, 30, 50, 70]
    types = ["pensions"] * 4 + ["family"] * 4
    frame = pd.DataFrame({
        "arrival": [t0 + pd.Timedelta(minutes=i) for i in range(8)],
        "answer": [t0 + pd.Timedelta(minutes=i, seconds=w) for i, w in enumerate(waits)],
        "abandon": pd.Series([pd.NaT] * 8, dtype="datetime64[ns, Europe/Tallinn]"),
        "call_type": types,
    })
    log = SimpleNamespace(frame=frame)
    line = actual_counts(log, 60, 20.0)
    assert line["answered_within_t"].sum() == 2  # 10 s twice
    per_type = actual_counts(log, 60, 20.0, {"pensions": 60.0})
    assert per_type["answered_within_t"].sum() == 3 + 1  # pensions within 60 s: 10, 30, 50; family within 20 s: 10
    assert per_type["answered"].sum() == 8
