"""Scenarios: the pydantic blocks, loading TOML, ``--set`` overrides, every input check, the
working calendar, the timeline of open intervals, off-phone activities, and the input half of
shifts and rosters. Simulates nothing.

The names most callers need are here: ``from ska_sim.scenario import load_scenario, Scenario``.
"""

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.scenario.model import (
    WEEKDAYS,
    Scenario,
    load_scenario,
    parse_set_option,
    parse_value,
    read_toml,
    scenario_from_dict,
    scenario_warnings,
    split_key,
)

__all__ = [
    "WEEKDAYS", "Problem", "Scenario", "ScenarioError", "load_scenario", "parse_set_option", "parse_value",
    "read_toml", "scenario_from_dict", "scenario_warnings", "split_key",
]
