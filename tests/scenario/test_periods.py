"""Patience per call type and factors by period as scenario data: which patience a type has, the
mean patience Erlang A uses, the factors over the window, and the scenario's round trip."""

from __future__ import annotations

import copy

import numpy as np

from helpers import mmc_dict
from ska_sim import scenario_from_dict
from ska_sim.scenario.periods import period_table
from ska_sim.scenario.timeline import build_timeline


def two_types(**first) -> dict:
    d = mmc_dict(days=7, warmup_days=0, patience_s=100)
    d["call_types"] = [{"name": "a", "share": 0.25, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 1.0,
                        **first},
                       {"name": "b", "share": 0.75, "talk": {"dist": "exponential", "mean_s": 200}, "resolved": 1.0}]
    return d


def test_a_types_patience_is_its_own_else_the_global_one():
    s = scenario_from_dict(two_types(patience={"dist": "exponential", "mean_s": 300}))
    assert [s.type_patience(ct).mean_s for ct in s.call_types] == [300, 100]
    assert s.mean_patience_s() == 0.25 * 300 + 0.75 * 100
    d = two_types(patience={"dist": "exponential", "mean_s": 300})
    del d["patience"]
    s = scenario_from_dict(d)  # b never hangs up: Erlang A on a's patience alone
    assert s.type_patience(s.call_types[1]) is None and s.has_patience() and s.mean_patience_s() == 300
    plain = scenario_from_dict(two_types())
    assert not plain.uses_type_patience() and plain.mean_patience_s() == 100


def test_factors_over_the_window_follow_weekday_and_time_of_day():
    d = two_types(talk_factor_by_period=[{"hours": ["00:00", "10:00"], "factor": 2.0, "days": ["mon"]},
                                         {"hours": ["10:00", "24:00"], "factor": 3.0, "days": ["mon"]}])
    d["patience_factor_by_period"] = [{"hours": ["00:00", "24:00"], "factor": 0.5, "days": ["sat", "sun"]}]
    s = scenario_from_dict(d)  # 2026-03-02 is a Monday
    table = period_table(s, build_timeline(s).dates)
    at = np.array([9 * 3600, 10 * 3600, 86400 + 9 * 3600, 5 * 86400 + 100, 6 * 86400 + 86399])
    seg = table.segments(at)
    np.testing.assert_array_equal(table.talk[0, seg], [2, 3, 1, 1, 1])
    np.testing.assert_array_equal(table.talk[1, seg], [1, 1, 1, 1, 1])
    np.testing.assert_array_equal(table.patience[:, seg], [[1, 1, 1, 0.5, 0.5]] * 2)
    assert [table.segment(float(t)) for t in at] == seg.tolist()


def test_the_scenario_round_trips_with_hours_as_written():
    d = two_types(patience={"dist": "uniform", "min_s": 10, "max_s": 50},
                  talk_factor_by_period=[{"hours": ["00:00", "12:30"], "factor": 1.5},
                                         {"hours": ["12:30", "24:00"], "factor": 0.5}])
    s = scenario_from_dict(copy.deepcopy(d))
    out = s.to_dict()
    assert out["call_types"][0]["talk_factor_by_period"][0]["hours"] == ["00:00", "12:30"]
    assert "talk_factor_by_period" not in out["call_types"][1] and "patience" not in out["call_types"][1]
    again = scenario_from_dict(out)
    assert again.digest() == s.digest()
    assert scenario_from_dict(two_types()).digest() != s.digest()
