"""Erlang B, C and A against published values, exact arithmetic and each other."""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ska_sim.cli import main
from ska_sim.erlang import Requirement, erlang_a_result, erlang_b, erlang_c, erlang_c_result, required_agents


# --- published values -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "lines, traffic",
    # The Erlang B table (grade of service 1%): the offered traffic each number of lines carries
    # at 1% blocking, as printed in every traffic table, e.g. ITU-T "Teletraffic Engineering
    # Handbook" (2005), Table of the Erlang B formula: 10 -> 4.461, 20 -> 12.031, 50 -> 37.901,
    # 100 -> 84.064 Erlang.
    [(10, 4.461), (20, 12.031), (50, 37.901), (100, 84.064)],
)
def test_erlang_b_matches_the_one_percent_table(lines, traffic):
    assert erlang_b(lines, traffic) == pytest.approx(0.01, abs=2e-5)


def test_erlang_c_matches_the_callcentrehelper_worked_example():
    # callcentrehelper.com "Erlang C formula - made simple" worked example, as reproduced in
    # pyworkforce's README: 100 calls in 30 min, AHT 180 s, 80% in 20 s -> 14 agents,
    # P(wait) 0.1741319335950498, service level 0.8883500191794669, occupancy 0.7142857142857143.
    r = erlang_c_result(14, 100 / 1800, 180, 20)
    assert r.p_wait == pytest.approx(0.1741319335950498, rel=1e-12)
    assert r.service_level == pytest.approx(0.8883500191794669, rel=1e-12)
    assert r.occupancy == pytest.approx(0.7142857142857143, rel=1e-12)
    assert required_agents(100 / 1800, 180, Requirement(20, 0.8)) == 14
    # 13 agents fall just short (79.6%)
    assert erlang_c_result(13, 100 / 1800, 180, 20).service_level < 0.8


def test_erlang_a_matches_pyworkforce_published_example():
    # pyworkforce README, ErlangA example: 100 calls in 30 min, AHT 3 min, patience 5 min,
    # 13 positions -> service level 0.858..., occupancy 0.750..., abandonment 0.025...,
    # waiting probability 0.226..., average speed of answer 0.125... min. Service level and
    # occupancy agree to the three digits printed; abandonment, P(wait) and their ASA (the mean
    # wait of *all* callers, E[Q]/lambda = abandon rate x mean patience by Little's law) agree
    # to two: ska-sim gives 0.02496, 0.2258 and 0.1248 min, which the brute-force chain below
    # confirms to 1e-7 (pyworkforce's values sit a few 1e-4 higher).
    r = erlang_a_result(13, 100 / 1800, 180, 300, 20)
    assert int(r.service_level * 1000) == 858
    assert int(r.occupancy * 1000) == 750
    assert abs(r.abandon_rate - 0.025) < 1e-3
    assert abs(r.p_wait - 0.226) < 1e-3
    assert abs(r.abandon_rate * 300 / 60 - 0.125) < 1e-3
    abandon, sl = exact_erlang_a(13, 100 / 1800, 1 / 180, 1 / 300, 20)
    assert r.abandon_rate == pytest.approx(abandon, rel=1e-7)


# --- exact arithmetic for thousands of agents ---------------------------------------------------
def exact_erlang_c(c: int, a: float) -> float:
    """Erlang C from its textbook definition with 60-digit arithmetic (factorials and all)."""
    mpmath.mp.dps = 60
    a = mpmath.mpf(a)
    top = a**c / mpmath.factorial(c) * c / (c - a)
    bottom = mpmath.fsum(a**k / mpmath.factorial(k) for k in range(c)) + top
    return float(top / bottom)


@pytest.mark.parametrize("agents, load", [(1200, 1150.0), (2500, 2440.5), (5000, 4930.0), (30, 25.0)])
def test_erlang_c_is_exact_for_thousands_of_agents(agents, load):
    assert erlang_c(agents, load) == pytest.approx(exact_erlang_c(agents, load), rel=1e-9)


def exact_erlang_a(c: int, lam: float, mu: float, theta: float, t: float) -> tuple[float, float]:
    """(abandon rate, service level) of M/M/c+M by brute force: the birth-death chain with
    60-digit arithmetic, and the tagged caller's wait by uniformisation (independent of the
    incomplete-beta form the library uses)."""
    mpmath.mp.dps = 60
    n_max = c + 4000
    p = [mpmath.mpf(1)]
    for n in range(1, n_max + 1):
        p.append(p[-1] * lam / (min(n, c) * mu + max(n - c, 0) * theta))
    z = mpmath.fsum(p)
    p = np.array([float(x / z) for x in p])
    pq = p[c:]
    j1 = np.arange(1, len(pq) + 1)
    abandon = float((pq * j1 * theta / (c * mu + j1 * theta)).sum())
    rates = c * mu + j1 * theta
    big = rates.max()
    lt = big * t
    from scipy.stats import poisson

    n_terms = int(lt + 12 * math.sqrt(lt) + 30)
    w = poisson.pmf(np.arange(n_terms + 1), lt)
    step = rates / big
    v = np.zeros(len(rates) + 1)
    v[0] = 1.0
    cdf = w[0] * v[1:]
    for n in range(1, n_terms + 1):
        v[1:] = step * v[:-1] + (1 - step) * v[1:]
        cdf = cdf + w[n] * v[1:]
    served = c * mu / rates
    sl = float(p[:c].sum() + (pq * served * cdf).sum())
    return abandon, sl


@pytest.mark.parametrize(
    "c, calls_per_hour, aht, patience",
    [(13, 200, 180, 300), (50, 1500, 120, 60), (1200, 36000, 120, 90)],
)
def test_erlang_a_agrees_with_brute_force(c, calls_per_hour, aht, patience):
    lam, mu, theta = calls_per_hour / 3600, 1 / aht, 1 / patience
    r = erlang_a_result(c, lam, aht, patience, 20)
    abandon, sl = exact_erlang_a(c, lam, mu, theta, 20)
    assert r.abandon_rate == pytest.approx(abandon, rel=1e-7, abs=1e-12)
    assert r.service_level == pytest.approx(sl, rel=1e-7)


# --- metamorphic relations ----------------------------------------------------------------------
def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    c_ = erlang_c_result(12, 100 / 1800, 180, 20)
    a_ = erlang_a_result(12, 100 / 1800, 180, 1e9, 20)
    assert a_.service_level == pytest.approx(c_.service_level, rel=1e-5)
    assert a_.p_wait == pytest.approx(c_.p_wait, rel=1e-5)
    assert a_.asa_s == pytest.approx(c_.asa_s, rel=1e-4)
    assert a_.abandon_rate < 1e-6


@given(
    load=st.floats(0.5, 300),
    aht=st.floats(30, 900),
    patience=st.floats(10, 2000),
    threshold=st.floats(0, 120),
)
def test_erlang_a_probabilities_are_bounded_and_monotone_in_agents(load, aht, patience, threshold):
    rate = load / aht
    c0 = max(1, int(load * 0.7))
    prev = None
    for c in range(c0, c0 + 4):
        r = erlang_a_result(c, rate, aht, patience, threshold)
        for v in (r.p_wait, r.service_level, r.abandon_rate, r.occupancy):
            assert -1e-12 <= v <= 1 + 1e-12
        # Little's law: abandonment = theta E[Q] / lambda, and answered load = busy agents
        assert r.occupancy * c == pytest.approx(load * (1 - r.abandon_rate), rel=1e-9)
        if prev is not None:
            assert r.service_level >= prev.service_level - 1e-12
            assert r.abandon_rate <= prev.abandon_rate + 1e-12
        prev = r


@given(load=st.floats(0.1, 2000), extra=st.integers(1, 40), threshold=st.floats(0, 60))
def test_erlang_c_service_level_is_a_probability_and_grows_with_agents(load, extra, threshold):
    c = int(load) + extra
    a, b = erlang_c_result(c, load / 300, 300, threshold), erlang_c_result(c + 1, load / 300, 300, threshold)
    assert 0 <= a.service_level <= b.service_level <= 1
    assert a.asa_s >= b.asa_s >= 0


def test_required_agents_meet_every_criterion_and_one_fewer_does_not():
    req = Requirement(20, service_level=0.8, answer_rate=0.95, asa_max_s=15, occupancy_max=0.85)
    for patience in (None, 240.0):
        n = required_agents(82 / 1800, 423, req, patience)
        from ska_sim.erlang import erlang_result

        assert req.met_by(erlang_result(n, 82 / 1800, 423, 20, patience))
        assert not req.met_by(erlang_result(n - 1, 82 / 1800, 423, 20, patience))


# --- the calculator -----------------------------------------------------------------------------
def test_erlang_command_json_has_the_documented_shape():
    res = CliRunner().invoke(main, ["erlang", "--calls", "100", "--interval", "30min", "--aht", "180", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["model"] == "erlang_c" and doc["required_agents"] == 14
    rows = {r["agents"]: r for r in doc["rows"]}
    assert set(rows[14]) >= {"agents", "p_wait", "service_level", "asa_s", "abandon_rate", "occupancy"}
    assert rows[14]["service_level"] == pytest.approx(0.88835, abs=1e-5)
    assert min(rows) <= 10 and max(rows) >= 18
    assert rows[10]["stable"] is False and rows[10]["service_level"] is None  # load 10 = agents


def test_erlang_command_table_marks_requirement_and_unstable_rows():
    res = CliRunner().invoke(main, ["erlang", "--calls", "100", "--aht", "180"])
    assert res.exit_code == 0
    assert "<- required" in res.output and "unstable" in res.output
    res = CliRunner().invoke(main, ["erlang", "--calls", "100", "--aht", "180", "--patience", "300", "--agents", "11",
                                    "--interval", "1800"])
    assert res.exit_code == 0 and "Erlang A" in res.output and "<- given" in res.output


@pytest.mark.parametrize("interval, seconds", [("30min", 1800), ("15min", 900), ("1h", 3600), ("600", 600)])
def test_erlang_interval_units(interval, seconds):
    res = CliRunner().invoke(main, ["erlang", "--calls", "50", "--aht", "200", "--interval", interval, "--format", "json"])
    assert json.loads(res.output)["interval_s"] == seconds


def test_erlang_bad_options_exit_2():
    for args in (["--calls", "100", "--aht", "0"], ["--calls", "100", "--aht", "180", "--interval", "soon"],
                 ["--calls", "-1", "--aht", "180"], ["--aht", "180"]):
        res = CliRunner().invoke(main, ["erlang", *args])
        assert res.exit_code == 2, args
        assert "Traceback" not in res.output
