"""The forecast's predictive distribution: the cv fitted to a row's intervals reproduces them,
and the draws have the mean and spread the fit promises."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import nbinom, norm

from ska_sim.maths.predictive import LEVELS, count_quantiles, draw_factors, fit_cv


@pytest.mark.parametrize("mean,cv", [(1000.0, 0.1), (1000.0, 0.25), (120.0, 0.15), (60.0, 0.3), (5000.0, 0.05)])
def test_fit_recovers_the_cv_of_negative_binomial_quantiles(mean, cv):
    """Intervals of an exact negative binomial (Poisson-gamma) count: the fitted cv is the
    generating one within 3%, and its quantiles reproduce the file's within 1.5% of the mean."""
    k = 1 / cv**2
    q = nbinom.ppf(LEVELS, k, k / (k + mean))
    got, err = fit_cv(mean, q)
    assert abs(got - cv) < 0.03 * cv + 0.005
    assert err < 0.015
    assert np.max(np.abs(count_quantiles(mean, got) - q)) / mean < 0.015


def test_symmetric_normal_intervals_are_reproduced_within_the_tolerance():
    """A forecast with normal intervals (mean +- z sd, sd 8% of the mean): the gamma's
    quantiles lie within 5% of the mean of them (the warning threshold)."""
    mean, sd = 1000.0, 80.0
    q = mean + norm.ppf(LEVELS) * sd
    cv, err = fit_cv(mean, q)
    assert 0.06 < cv < 0.08  # sd^2 = mean + cv^2 mean^2 -> cv = 0.0735
    assert err < 0.05


def test_an_interval_narrower_than_poisson_noise_gives_no_factor():
    mean = 1000.0
    q = mean + norm.ppf(LEVELS) * 5.0  # Poisson alone has sd 31.6
    cv, err = fit_cv(mean, q)
    assert cv == 0.0
    assert err > 0.03


def test_a_zero_mean_is_a_closed_day():
    assert fit_cv(0.0, [0, 0, 0, 0]) == (0.0, 0.0)
    np.testing.assert_array_equal(count_quantiles(0.0, 0.3), np.zeros(4))


def test_draws_have_mean_1_and_the_cv():
    rng = np.random.default_rng(5)
    x = np.concatenate([draw_factors(rng, np.array([0.2, 0.0])) for _ in range(20000)]).reshape(-1, 2)
    assert (x[:, 1] == 1).all()
    assert abs(x[:, 0].mean() - 1) < 0.006 and abs(x[:, 0].std() - 0.2) < 0.005


def test_simulated_counts_fall_in_the_files_intervals_as_often_as_promised():
    """Poisson(mean x factor) counts with the fitted cv: 80% and 95% of them inside the
    intervals the fit was made from (20,000 draws: standard errors 0.3% and 0.15%)."""
    mean, cv = 800.0, 0.12
    k = 1 / cv**2
    q = nbinom.ppf(LEVELS, k, k / (k + mean))
    fitted, _ = fit_cv(mean, q)
    rng = np.random.default_rng(11)
    counts = rng.poisson(mean * draw_factors(rng, np.full(20000, fitted)))
    inside80 = np.mean((counts >= q[1]) & (counts <= q[2]))
    inside95 = np.mean((counts >= q[0]) & (counts <= q[3]))
    assert abs(inside80 - 0.80) < 0.015 and abs(inside95 - 0.95) < 0.01
