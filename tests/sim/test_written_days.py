"""SimulationResult.written_days: items received, done and the backlog at each measured day's end
per kind; the kinds add up to the days table's figures (every kind together), day by day."""

from __future__ import annotations

import tomllib

import numpy as np

from ska_sim import scenario_from_dict, simulate
from conftest import ROOT

WRITTEN = [
    {"name": "letters", "daily_items": 30, "handling": {"dist": "exponential", "mean_s": 600},
     "deadline_days": 1, "blend": {"reserve": 1}},
    {"name": "applications", "daily_items": 10, "handling": {"dist": "exponential", "mean_s": 900},
     "deadline_days": 2, "backlog_at_start": 5, "dedicated": {"agents": 1, "hours": ["10:00", "12:00"]}},
]


def test_kinds_per_day_add_up_to_the_days_table():
    d = tomllib.loads((ROOT / "tests" / "data" / "minimal.toml").read_text())
    d["simulation"] = {"replications": 3, "seed": 4}
    d["written"] = WRITTEN
    res = simulate(scenario_from_dict(d))
    wd = res.written_days
    assert list(wd["kind"]) == ["letters"] * 2 + ["applications"] * 2
    assert list(wd["date"]) == list(res.days["date"]) * 2
    for col in ("written_received", "written_done", "written_backlog"):
        per_day = wd.groupby("date", sort=False)[col].sum().to_numpy()
        np.testing.assert_allclose(per_day, res.days[col].to_numpy(), rtol=1e-12)
    # the last day's backlog per kind is the written table's backlog at the window's end
    last = wd[wd["date"] == res.days["date"].iloc[-1]].set_index("kind")["written_backlog"]
    w = res.written.set_index("kind")["written_backlog"]
    assert last["letters"] == w["letters"] and last["applications"] == w["applications"]
    assert wd["written_backlog"].gt(0).any()


def test_a_scenario_without_written_work_has_no_written_days():
    d = tomllib.loads((ROOT / "tests" / "data" / "minimal.toml").read_text())
    assert simulate(scenario_from_dict(d)).written_days is None
