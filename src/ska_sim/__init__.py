"""ska-sim: discrete-event simulation of call-centre staffing, with Erlang C/A cross-checks.

Python API for notebooks::

    import ska_sim
    scenario = ska_sim.load_scenario("scenarios/baseline.toml")
    result = ska_sim.simulate(scenario, replications=10, seed=1)
    result.summary          # KPIs over the measured window, with 95% intervals
    result.targets          # PASS / FAIL / UNCERTAIN per target
    result.intervals        # per interval, beside Erlang C

The library's verbs: load a scenario (``load_scenario``, ``scenario_from_dict``), ``simulate``,
``staff`` (requirements per interval), ``compare``, ``sweep``, ``marginal`` (what-ifs), ``fit``
(a scenario from a call log) and ``backtest``. The names are imported on first use, so that
``ska-sim --help`` starts fast. docs/architecture.md maps the packages behind them.
"""

from ska_sim.base.version import __version__

_API = {
    "Scenario": "ska_sim.scenario.model",
    "ScenarioError": "ska_sim.base.errors",
    "load_scenario": "ska_sim.scenario.load",
    "scenario_from_dict": "ska_sim.scenario.load",
    "simulate": "ska_sim.sim.runner",
    "staff": ("ska_sim.plan.staffing", "plan_staffing"),
    "compare": "ska_sim.plan.compare",
    "sweep": "ska_sim.plan.sweep",
    "marginal": "ska_sim.plan.marginal",
    "fit": ("ska_sim.calibration.fit", "fit_log"),
    "read_log": "ska_sim.calibration.calllog",
    "backtest": "ska_sim.calibration.backtest",
}
__all__ = [*_API, "__version__"]


def __getattr__(name: str):
    if name in _API:
        import importlib

        module, attr = _API[name] if isinstance(_API[name], tuple) else (_API[name], name)
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'ska_sim' has no attribute {name!r}")
