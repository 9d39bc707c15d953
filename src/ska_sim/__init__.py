"""ska-sim: discrete-event simulation of call-centre staffing, with Erlang C/A cross-checks.

Python API for notebooks::

    import ska_sim
    scenario = ska_sim.load_scenario("scenarios/baseline.toml")
    result = ska_sim.simulate(scenario, replications=10, seed=1)
    result.summary          # KPIs over the measured window, with 95% intervals
    result.targets          # PASS / FAIL / UNCERTAIN per target
    result.intervals        # per interval, beside Erlang C
"""

__version__ = "0.1.0"

from .scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict  # noqa: E402
from .runner import simulate  # noqa: E402

__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_from_dict", "simulate", "__version__"]
