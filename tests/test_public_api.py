"""`import ska_sim` exposes the library's verbs, each the same function the commands call."""

import subprocess
import sys

import pytest

import ska_sim

VERBS = ("load_scenario", "scenario_from_dict", "simulate", "staff", "compare", "sweep", "marginal", "fit", "backtest")


def test_every_verb_is_in_all_and_resolves():
    assert set(VERBS) <= set(ska_sim.__all__)
    for name in ska_sim.__all__:
        assert getattr(ska_sim, name) is not None, name


@pytest.mark.parametrize("name, module, attr", [
    ("simulate", "ska_sim.sim.runner", "simulate"),
    ("staff", "ska_sim.plan.staffing", "plan_staffing"),
    ("marginal", "ska_sim.plan.marginal", "marginal"),
    ("fit", "ska_sim.calibration.fit", "fit_log"),
])
def test_a_verb_is_the_library_function(name, module, attr):
    import importlib

    assert getattr(ska_sim, name) is getattr(importlib.import_module(module), attr)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'simulat'"):
        ska_sim.simulat  # noqa: B018


def test_importing_the_package_loads_no_layer():
    """`import ska_sim` stays light (the CLI's --help starts fast): the verbs load on first use."""
    code = "import sys, ska_sim; print(sorted(m for m in sys.modules if m.startswith('ska_sim.') and not m.startswith('ska_sim.base')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", out
