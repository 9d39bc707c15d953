"""The load test's closed-loop line (benchmarks/loadtest.py): the CPU an edit may cost for the
target's p95, checked by hand, and its --target option's bad values."""

from __future__ import annotations

import argparse
import sys

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def loadtest():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import loadtest
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
        for name in ("loadtest", "run"):  # benchmarks' modules: not left under names others may use
            sys.modules.pop(name, None)
    return loadtest


def test_the_cpu_an_edit_may_cost_by_hand(loadtest):
    # 10 edits answered in 5 s, each in 3.0 s (p95 = mean = 3.0 s), 6 CPU s used: 0.6 s an edit.
    # A 4 s p95 at that spread needs a mean of 4.0 s; the pause is 2 + 0.3 x 0.3 = 2.09 s, so an
    # edit may cost 0.6 x (4.0 + 2.09) / (3.0 + 2.09) = 0.718 s: 20% more than the run's.
    # The law: 20 clients / 2 edits a second - 2.09 s = 7.91 s.
    a = argparse.Namespace(scenario="skills-languages.toml", target=None, clients=20)
    line = loadtest.closed_loop(a, [3.0] * 10, 5.0, 6.0)
    assert loadtest.PAUSE_S == pytest.approx(2.09)
    assert "2.00 edits/s answered, mean answer 3.00 s measured, 7.91 s by the law" in line
    assert "needs a mean of 4.00 s, i.e. at most 0.72 s of CPU per edit" in line
    assert "this run's was 0.60 s (met: +20% of the run's CPU per edit)" in line
    # the baseline's target is 2 s: a mean of 2.0 s, 0.6 x 4.09 / 5.09 = 0.482 s, 20% less
    a.scenario = "baseline.toml"
    line = loadtest.closed_loop(a, [3.0] * 10, 5.0, 6.0)
    assert "at most 0.48 s" in line and "(not met: -20% of the run's CPU per edit)" in line
    assert loadtest.closed_loop(a, [], 5.0, 6.0) == "Closed loop: no edit answered."
    assert loadtest.closed_loop(a, [0.0] * 3, 5.0, 6.0) == "Closed loop: the answers took no measurable time."


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "1e400", "abc", ""])
def test_a_target_that_is_not_positive_finite_seconds_is_refused(loadtest, text):
    with pytest.raises(argparse.ArgumentTypeError, match="finite number of seconds greater than 0"):
        loadtest.positive_seconds(text)
    assert loadtest.positive_seconds("3.5") == 3.5
