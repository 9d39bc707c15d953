"""Staffing large centres: sparse follow-up kernels and the damped fixed point."""

from __future__ import annotations


import numpy as np
import pytest

from ska_sim import load_scenario
from ska_sim.plan.load import LoadModel
from ska_sim.plan.requirement import interval_requirement, settle_load, swing_damping, trim_to_scope, erlang_plan
from conftest import ROOT

BASELINE = ROOT / "scenarios" / "baseline.toml"


def _bincount_follow_ups(lm: LoadModel, offered: np.ndarray, abandon: np.ndarray) -> np.ndarray:
    """The follow-ups by one bincount per kernel and type, without the sparse kernels: the
    benchmark's copy of that code (benchmarks/staff.py, the reference it times), so there is one
    reference, not two."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("staff_bench", BASELINE.parents[1] / "benchmarks" / "staff.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench.bincount_follow_ups(lm, offered, abandon)


def test_sparse_follow_ups_equal_the_bincount_kernels():
    s = load_scenario(BASELINE, [])
    lm = LoadModel(s)
    assert lm.redial_k is not None and lm.repeat_k is not None
    rng = np.random.default_rng(1)
    for _ in range(3):
        offered = lm.first * rng.uniform(0.5, 2.0, size=lm.first.shape)
        abandon = rng.uniform(0, 0.6, size=len(offered))
        want = _bincount_follow_ups(lm, offered, abandon)
        got = lm.follow_ups(offered, abandon)
        assert want.sum() > 0
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_no_damping_for_contracting_or_small_swings():
    # agent-hours of the baseline and of 30k calls a day (the sizes run in practice): never damped
    assert swing_damping([1278, 1612, 1510, 1526, 1520, 1526]) is None
    assert swing_damping([31623, 45020, 37576, 38877, 38025, 38521, 38200, 38396]) is None
    assert swing_damping([38311, 38318, 38316, 38318, 38316]) is None  # integer noise, below 1%
    # a swing that shrinks by 0.9 a step: damped with 1 / (1 + 0.9)
    assert swing_damping([100.0, 200.0, 110.0, 191.0]) == pytest.approx(1 / 1.9)


@pytest.mark.parametrize("scope", ["interval", "day"])
def test_large_centre_converges_and_meets_the_targets_at_its_own_load(scope):
    # 300k calls a day, about 5,000 agents: undamped the load/agents iteration swung until max_iter
    s = load_scenario(BASELINE, ["calendar.days=2", "calendar.warmup_days=1",
                                 "arrivals.daily_calls=300000", "staffing.scale=300"])
    lm = LoadModel(s)
    p = erlang_plan(s, scope, lm=lm)
    assert p.converged
    assert p.iterations < 20
    assert any("damping" in h for h in p.history)
    offered, change = settle_load(lm, lm.first.copy(), p.agents)
    assert change < 1e-3
    np.testing.assert_allclose(offered.sum(axis=1), p.offered, rtol=1e-5)
    need = interval_requirement(lm, offered, None)
    if scope == "day":
        need = trim_to_scope(lm, offered, lm.tl.iv_day, need)
    assert np.all(p.agents >= need)
    # ...and not far above it: the monotone rule only mops up integer noise
    assert p.agents.sum() <= need.sum() * 1.001
