"""Duration specs in a scenario file: uniform, triangular and a minimum (shifted) form, and
their bad inputs (one line naming the key)."""

from __future__ import annotations

import pytest

from helpers import mmc_dict
from ska_sim import scenario_from_dict
from ska_sim.base.errors import ScenarioError
from ska_sim.sim.runner import simulate


def with_talk(talk: dict) -> dict:
    d = mmc_dict(agents=40, days=2)
    d["call_types"][0]["talk"] = talk
    return d


@pytest.mark.parametrize("talk, mean", [
    ({"dist": "uniform", "min_s": 60, "max_s": 600}, 330.0),
    ({"dist": "triangular", "min_s": 20, "mode_s": 120, "max_s": 900}, 1040 / 3),
    ({"dist": "lognormal", "mean_s": 300, "cv": 1.0, "min_s": 20}, 300.0),
])
def test_a_talk_time_of_each_form_has_its_mean(talk, mean):
    s = scenario_from_dict(with_talk(talk))
    assert s.call_types[0].talk.build().mean == pytest.approx(mean)
    assert s.call_types[0].mean_handle_s() == pytest.approx(mean)


@pytest.mark.parametrize("talk, words", [
    ({"dist": "uniform", "min_s": 60}, "uniform needs min_s and max_s (missing: max_s)"),
    ({"dist": "uniform", "min_s": 60, "max_s": 600, "mean_s": 300}, "uniform takes min_s, max_s only, not mean_s"),
    ({"dist": "uniform", "min_s": 600, "max_s": 60}, "min_s must be below max_s"),
    ({"dist": "triangular", "min_s": 20, "max_s": 900}, "triangular needs min_s and mode_s and max_s (missing: mode_s)"),
    ({"dist": "triangular", "min_s": 20, "mode_s": 1000, "max_s": 900}, "mode_s must be within min_s..max_s"),
    ({"dist": "lognormal", "mean_s": 300, "cv": 1, "min_s": 400}, "min_s must be above 0 and below mean_s"),
    ({"dist": "deterministic", "mean_s": 300, "min_s": 20}, "min_s (a minimum duration) is for"),
    ({"dist": "lognormal", "mean_s": 300, "cv": 1, "max_s": 900}, "max_s and mode_s are for uniform and triangular"),
    ({"dist": "beta", "mean_s": 300}, "unknown distribution family 'beta'"),
])
def test_bad_duration_specs_name_the_key(talk, words):
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(with_talk(talk))
    text = str(exc.value)
    assert "call_types[0].talk" in text and words in text, text


def test_a_uniform_talk_time_is_simulated_with_its_mean():
    """Ample agents, no patience: the simulated handle time per answered call is the uniform's
    mean (330 s) within 5 standard errors of the calls' mean (sd 540 / sqrt(12))."""
    s = scenario_from_dict(with_talk({"dist": "uniform", "min_s": 60, "max_s": 600}))
    r = simulate(s, replications=2, seed=4)
    iv = r.intervals
    aht = (iv["aht_s"] * iv["answered"]).sum() / iv["answered"].sum()
    n = iv["answered"].sum() * 2
    assert abs(aht - 330.0) <= 5 * (540 / 12**0.5) / n**0.5, aht

