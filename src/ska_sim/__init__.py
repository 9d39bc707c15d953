"""ska-sim: discrete-event simulation of call-centre staffing, with Erlang C/A cross-checks.

Python API for notebooks::

    import ska_sim
    scenario = ska_sim.load_scenario("scenarios/baseline.toml")
    result = ska_sim.simulate(scenario, replications=10, seed=1)
    result.summary          # KPIs over the measured window, with 95% intervals
    result.targets          # PASS / FAIL / UNCERTAIN per target
    result.intervals        # per interval, beside Erlang C

The names are imported on first use, so that `ska-sim --help` starts fast.
"""

__version__ = "0.1.0"

_API = {
    "Scenario": "scenario",
    "ScenarioError": "scenario",
    "load_scenario": "scenario",
    "scenario_from_dict": "scenario",
    "simulate": "runner",
}
__all__ = [*_API, "__version__"]


def __getattr__(name: str):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module 'ska_sim' has no attribute {name!r}")
