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


@pytest.mark.parametrize("d, mean, sd, lo, hi", [
    (Duration("uniform", 0, 0, low=60, high=600), 330.0, 540 / math.sqrt(12), 60, 600),
    # triangular 20..900 peaking at 120: mean (20 + 120 + 900) / 3, variance (a^2 + b^2 + c^2 - ab - ac - bc) / 18
    (Duration("triangular", 0, 0, low=20, high=900, mode=120), 1040 / 3,
     math.sqrt((20**2 + 900**2 + 120**2 - 20 * 900 - 20 * 120 - 900 * 120) / 18), 20, 900),
    # a lognormal never under 20 s: the whole duration has the mean and cv asked for
    (Duration("lognormal", 300, 1.0, low=20), 300.0, 300.0, 20, math.inf),
    # an exponential X above 20 s: sd = X's mean = 280, so the whole duration's cv is 280 / 300
    (Duration("exponential", 300, 1.0, low=20), 300.0, 280.0, 20, math.inf),
])
def test_bounded_and_shifted_durations_have_their_mean_sd_and_bounds(d, mean, sd, lo, hi):
    x = d.sample(np.random.default_rng(5), N)
    assert d.mean == pytest.approx(mean) and d.cv * d.mean == pytest.approx(sd)
    assert abs(x.mean() - mean) <= 5 * sd / math.sqrt(N)
    # the sample sd's standard error (delta method): sd x sqrt((kurtosis - 1) / 4N), kurtosis from the sample
    kurtosis = float(np.mean((x - x.mean()) ** 4) / x.var() ** 2)
    assert abs(x.std() - sd) <= 5 * sd * math.sqrt((kurtosis - 1) / (4 * N))
    assert x.min() >= lo and x.max() <= hi


@pytest.mark.parametrize("kw, words", [
    (dict(family="uniform", mean=0, cv=0, low=600, high=60), "0 <= min < max"),
    (dict(family="triangular", mean=0, cv=0, low=20, high=900, mode=1000), "min <= mode <= max"),
    (dict(family="lognormal", mean=300, cv=1.0, low=300), "below the mean"),
    (dict(family="deterministic", mean=300, cv=0.0, low=20), "a minimum is for"),
])
def test_bad_bounds_are_refused(kw, words):
    with pytest.raises(ValueError, match=words):
        Duration(**kw)


def test_existing_families_draw_what_they_drew():
    """The new fields change no draw of a family without them (the same numbers for the same seed)."""
    for family, mean, cv in (("lognormal", 330, 1.0), ("gamma", 90, 1.8), ("weibull", 240, 0.7), ("exponential", 60, 1)):
        rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
        s2 = math.log1p(cv**2)
        direct = {"lognormal": lambda r: r.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), 50),
                  "gamma": lambda r: r.gamma(1 / cv**2, mean * cv**2, 50),
                  "weibull": lambda r: r.weibull(weibull_shape(cv), 50) * (mean / math.gamma(1 + 1 / weibull_shape(cv))),
                  "exponential": lambda r: r.exponential(mean, 50)}[family]
        assert np.array_equal(Duration(family, mean, cv).sample(rng_a, 50), direct(rng_b))
