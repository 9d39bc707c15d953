"""The report's assumptions name each call type's own patience and factors by period."""

from __future__ import annotations

from helpers import baseline_dict
from ska_sim import scenario_from_dict
from ska_sim.report.html import assumptions


def test_the_assumptions_name_per_type_patience_and_period_factors():
    d = baseline_dict(days=1)
    plain = assumptions(scenario_from_dict(d))
    assert "lognormal" in plain and "except" not in plain and "factor by period" not in plain
    d["call_types"][0]["patience"] = {"dist": "exponential", "mean_s": 90}
    d["patience_factor_by_period"] = [{"hours": ["09:00", "17:00"], "factor": 0.8}]
    text = assumptions(scenario_from_dict(d))
    assert "(pensions: exponential mean 90 s)" in text and "x a factor by period of arrival" in text
    del d["patience"]
    alone = assumptions(scenario_from_dict(d))
    assert "callers never hang up, except pensions: exponential mean 90 s" in alone
