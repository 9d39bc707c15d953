"""Duration families: built from mean and cv, their samples have that mean and cv."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ska_sim.maths.distributions import Duration, Stream, weibull_shape

N = 200_000


@pytest.mark.parametrize(
    "family, mean, cv",
    [("exponential", 300, 1.0), ("lognormal", 330, 1.0), ("lognormal", 60, 0.6), ("gamma", 420, 0.5),
     ("gamma", 90, 1.8), ("weibull", 240, 0.7), ("weibull", 100, 1.5)],
)
def test_samples_have_the_mean_and_cv_asked_for(family, mean, cv):
    d = Duration(family, mean, cv)
    x = d.sample(np.random.default_rng(11), N)
    assert x.min() >= 0
    # 5 standard errors of the mean; the cv's tolerance is looser (heavy tails for cv > 1)
    assert abs(x.mean() - mean) <= 5 * d.cv * mean / math.sqrt(N)
    assert x.std() / x.mean() == pytest.approx(d.cv, rel=0.05)
    assert d.mean == mean and d.variance == pytest.approx((d.cv * mean) ** 2)


def test_deterministic_and_zero_cv_are_constant():
    for d in (Duration("deterministic", 45, 0.0), Duration("lognormal", 45, 0.0), Duration("gamma", 45, 0.0)):
        assert (d.sample(np.random.default_rng(1), 10) == 45).all()
        assert d.is_deterministic


def test_empirical_resamples_its_values():
    d = Duration("empirical", 0, 0, (10.0, 20.0, 60.0))
    assert d.mean == pytest.approx(30.0)
    x = d.sample(np.random.default_rng(2), 30_000)
    assert set(np.unique(x)) == {10.0, 20.0, 60.0}
    assert x.mean() == pytest.approx(30.0, rel=0.02)


def test_weibull_shape_gives_the_cv():
    for cv in (0.3, 1.0, 2.5):
        k = weibull_shape(cv)
        g1, g2 = math.gamma(1 + 1 / k), math.gamma(1 + 2 / k)
        assert math.sqrt(g2 / g1**2 - 1) == pytest.approx(cv, rel=1e-9)
    assert weibull_shape(1.0) == pytest.approx(1.0, rel=1e-9)  # the exponential


def test_unknown_family_and_negative_values_are_refused():
    with pytest.raises(ValueError, match="unknown distribution family"):
        Duration("poisson", 10, 1)
    with pytest.raises(ValueError):
        Duration("gamma", -1, 1)


def test_stream_gives_the_batched_values_in_order():
    d = Duration("exponential", 100)
    s = Stream(d, np.random.default_rng(5), batch=7)
    got = [s.next() for _ in range(20)]
    rng = np.random.default_rng(5)
    want = np.concatenate([d.sample(rng, 7) for _ in range(3)])[:20]
    np.testing.assert_allclose(got, want)
