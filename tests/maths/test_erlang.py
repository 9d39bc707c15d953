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
from ska_sim.maths.erlang import Requirement, erlang_a_result, erlang_b, erlang_c, erlang_c_result, required_agents
from conftest import ROOT


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
        from ska_sim.maths.erlang import erlang_result

        assert req.met_by(erlang_result(n, 82 / 1800, 423, 20, patience))
        assert not req.met_by(erlang_result(n - 1, 82 / 1800, 423, 20, patience))


# --- the calculator -----------------------------------------------------------------------------
def test_erlang_command_json_has_the_documented_shape():
    res = CliRunner().invoke(main, ["erlang", "--calls", "100", "--interval", "30min", "--aht", "180", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["model"] == "erlang_c" and doc["required_agents"] == 14
    rows = {r["agents"]: r for r in doc["rows"]}
    assert set(rows[14]) >= {"agents", "p_wait", "service_level", "asa_s", "occupancy"}
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


# --- the fast computation against the straightforward one -------------------------------------
def reference_erlang_a(c: int, lam: float, aht: float, patience: float, t: float) -> tuple[float, ...]:
    """Erlang A from the whole birth-death chain (the straightforward computation the fast one is
    checked against): the chain from p_0, normalised, and the tagged caller's wait by the
    incomplete beta function, term by term.
    (p_wait, service level, ASA, abandon rate, occupancy)."""
    from scipy.special import betainc

    mu, theta = 1 / aht, 1 / patience
    load = lam / mu
    n = np.arange(c + 1)
    logp = n * math.log(load) - np.array([math.lgamma(k + 1) for k in n])
    jmax = int(max(0.0, (lam - c * mu) / theta) + 12 * math.sqrt(lam / theta + 1) + 50)
    k = np.arange(1, jmax + 1)
    logp = np.concatenate([logp, logp[-1] + np.cumsum(math.log(lam) - np.log(c * mu + k * theta))])
    p = np.exp(logp - logp.max())
    p /= p.sum()
    pq = p[c:]
    j1 = np.arange(1, len(pq) + 1)
    rates = c * mu + j1 * theta
    served = c * mu / rates
    within = betainc(j1, c * mu / theta + 1.0, -math.expm1(-theta * t)) if t > 0 else np.zeros(len(pq))
    p_answer = p[:c].sum() + (pq * served).sum()
    sl = p[:c].sum() + (pq * served * within).sum()
    asa = (pq * served * np.cumsum(1.0 / rates)).sum() / p_answer
    return pq.sum(), sl, asa, 1 - p_answer, load * p_answer / c


def _cases(n: int, seed: int, max_load: float = 5000.0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        load = float(np.exp(rng.uniform(math.log(0.3), math.log(max_load))))
        c = int(max(1, load + rng.normal(0.3, 2.0) * math.sqrt(load)))
        yield c, load, float(rng.uniform(60, 900)), float(np.exp(rng.uniform(math.log(15), math.log(3000)))), \
            float(rng.choice([0.0, 10.0, 20.0, 60.0, 180.0]))


def test_fast_erlang_a_equals_the_straightforward_chain_up_to_5000_agents():
    for c, load, aht, patience, t in _cases(150, seed=11):
        r = erlang_a_result(c, load / aht, aht, patience, t)
        ref = reference_erlang_a(c, load / aht, aht, patience, t)
        got = (r.p_wait, r.service_level, r.asa_s, r.abandon_rate, r.occupancy)
        for name, a, b in zip(("p_wait", "service_level", "asa_s", "abandon_rate", "occupancy"), got, ref):
            # the reference itself is good to ~1e-11 at thousands of agents, and to ~1e-16 absolute
            assert a == pytest.approx(b, rel=1e-9, abs=1e-14), (name, c, load, aht, patience, t)


def exact_p_wait(c: int, lam: float, mu: float, theta: float) -> float:
    mpmath.mp.dps = 50
    p = [mpmath.mpf(1)]
    for n in range(1, c + 4000):
        p.append(p[-1] * lam / (min(n, c) * mu + max(n - c, 0) * theta))
    return float(mpmath.fsum(p[c:]) / mpmath.fsum(p))


@pytest.mark.parametrize("c, load, aht, patience", [(4646, 4595.660677332694, 202.9731865629892, 331.439232081033),
                                                     (5000, 4950.0, 445.0, 240.0)])
def test_erlang_a_is_exact_to_1e_12_for_thousands_of_agents(c, load, aht, patience):
    # factorials through lgamma lose ~5e-12 here (reference_erlang_a gives 0.25455232991358695
    # against 0.25455232991228294 in the first case); log1p sums and Stirling's series do not
    r = erlang_a_result(c, load / aht, aht, patience, 20)
    assert r.p_wait == pytest.approx(exact_p_wait(c, load / aht, 1 / aht, 1 / patience), rel=1e-12)
    abandon, sl = exact_erlang_a(c, load / aht, 1 / aht, 1 / patience, 20)
    assert r.abandon_rate == pytest.approx(abandon, rel=1e-9)
    assert r.service_level == pytest.approx(sl, rel=1e-9)


def test_vectorised_rows_equal_one_row_at_a_time_and_erlang_c():
    from ska_sim.maths.erlang import erlang_arrays, erlang_result

    cases = list(_cases(40, seed=5, max_load=800.0))
    c = np.array([x[0] for x in cases])
    rate = np.array([x[1] / x[2] for x in cases])
    aht = np.array([x[2] for x in cases])
    for patience in (240.0, None):
        many = erlang_arrays(c, rate, aht, 20.0, patience)
        abandon_only = erlang_arrays(c, rate, aht, 20.0, patience, service=False)
        req = Requirement(20, service_level=0.8, answer_rate=0.9, asa_max_s=30, occupancy_max=0.9)
        met = req.met(many)
        for i in range(len(c)):
            one = erlang_result(int(c[i]), rate[i], aht[i], 20.0, patience)
            assert bool(many["stable"][i]) == one.stable
            assert met[i] == req.met_by(one)
            if not one.stable:
                continue
            exact = patience is not None  # Erlang A rows do not depend on the other rows
            for f in ("p_wait", "service_level", "asa_s", "abandon_rate", "occupancy"):
                if exact:
                    assert many[f][i] == getattr(one, f), f
                else:  # Erlang C: Erlang B from log sums here, by recursion in erlang_c_result
                    assert many[f][i] == pytest.approx(getattr(one, f), rel=1e-12, abs=1e-15), f
            assert abandon_only["abandon_rate"][i] == pytest.approx(one.abandon_rate, rel=1e-9, abs=1e-16)


def _staff_ref():
    import importlib.util

    path = ROOT / "benchmarks" / "staff_ref.py"
    spec = importlib.util.spec_from_file_location("staff_ref", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("patience", [True, False])
def test_staffing_plans_equal_the_code_before_the_speed_up(patience):
    # the fast search (gallop + bisection over all intervals, cached and vectorised Erlang) must
    # give the same agents as stepping one agent at a time from a hint, in every scope

    from ska_sim import load_scenario, scenario_from_dict
    from ska_sim.plan.load import LoadModel
    from ska_sim.plan.requirement import erlang_plan

    from helpers import mmc_dict

    ref = _staff_ref()
    if patience:
        s = load_scenario(ROOT / "scenarios" / "baseline.toml",
                          ["calendar.days=2", "calendar.warmup_days=1"])
    else:  # Erlang C, a profile that moves, no patience
        d = mmc_dict(calls_per_hour=300, aht_s=240, days=2, warmup_days=0)
        d["arrivals"]["profile"] = (np.linspace(1, 3, 24) / np.linspace(1, 3, 24).sum()).tolist()
        d["targets"]["asa_max_s"] = 25
        s = scenario_from_dict(d)
    lm, rl = LoadModel(s), ref.RefLoadModel(s)
    for scope in ("interval", "day", "window"):
        new, old = erlang_plan(s, scope, lm=lm), ref.ref_erlang_plan(s, scope, lm=rl)
        assert np.array_equal(new.agents, old.agents), scope
        assert new.iterations == old.iterations
        np.testing.assert_allclose(new.offered, old.offered, rtol=1e-10)
        np.testing.assert_allclose(new.service_level, old.service_level, rtol=1e-9, atol=1e-12)


def test_erlang_c_table_has_no_abandon_column_and_erlang_a_shows_its_rate():
    c = CliRunner().invoke(main, ["erlang", "--calls", "100", "--aht", "180"])
    assert c.exit_code == 0, c.output
    header = next(line for line in c.output.splitlines() if line.startswith("agents"))
    assert "abandon" not in header and "0.0%" not in c.output
    doc = json.loads(CliRunner().invoke(main, ["erlang", "--calls", "100", "--aht", "180", "--format", "json"]).output)
    assert all("abandon_rate" not in r for r in doc["rows"])
    a = CliRunner().invoke(main, ["erlang", "--calls", "100", "--aht", "180", "--patience", "120"])
    assert a.exit_code == 0, a.output
    lines = a.output.splitlines()
    header = next(line for line in lines if line.startswith("agents"))
    assert header.split()[-3:] == ["abandon", "occupancy", "note"]
    row10 = next(line for line in lines if line.split()[:1] == ["10"])
    expected = erlang_a_result(10, 100 / 1800, 180, 120, 20).abandon_rate  # the Erlang A rate of 10 agents
    assert row10.split()[-2] == f"{expected:.1%}" and expected > 0.05
