"""Arrival profile shares: a rounding of up to 1e-3 is normalised with a warning, more is refused."""

from __future__ import annotations

import pytest

from ska_sim import scenario_from_dict
from ska_sim.base.errors import ScenarioError
from ska_sim.scenario.timeline import build_timeline


def test_profile_shares_rounded_within_a_thousandth_are_normalised_with_a_warning():
    """Shares summing to 0.9995 are divided by their sum (a warning says so); 0.998 is refused
    naming the key; shares summing to 1 within 1e-6 are kept as written (no warning)."""
    from helpers import office_day
    from ska_sim.scenario.checks import scenario_warnings

    base = office_day([3, 3, 3, 3], calls=100, days=1).model_dump(exclude_none=True)

    def with_profile(shares):
        d = {**base, "arrivals": {**base["arrivals"], "profile": shares}}
        return scenario_from_dict(d)

    s = with_profile([0.2, 0.3, 0.3, 0.1995])
    assert s.arrivals.profile["default"] == [0.2, 0.3, 0.3, 0.1995]  # the file keeps what was written
    assert s.arrivals.shares("default") == pytest.approx([x / 0.9995 for x in (0.2, 0.3, 0.3, 0.1995)])
    tl = build_timeline(s)
    day = tl.iv_expected[tl.iv_measured()]
    assert day.sum() == pytest.approx(100.0) and day[0] == pytest.approx(100 * 0.2 / 0.9995)  # by hand
    assert scenario_warnings(s) == ["arrivals.profile.default: shares sum to 0.999500, not 1: divided by their sum "
                                    "(a rounding)"]
    exact = with_profile([0.2, 0.3, 0.3, 0.2])
    assert exact.arrivals.shares("default") == [0.2, 0.3, 0.3, 0.2] and scenario_warnings(exact) == []
    with pytest.raises(ScenarioError, match=r"arrivals.profile.*default: shares must sum to 1 \(got 0.998000"):
        with_profile([0.2, 0.3, 0.3, 0.198])
