"""Scenarios: the pydantic blocks, loading TOML, ``--set`` overrides, every input check, the
working calendar, the timeline of open intervals, off-phone activities, and the input half of
shifts and rosters. Simulates nothing.

The names most callers need are here: ``from ska_sim.scenario import load_scenario, Scenario``.

Modules, bottom up: ``clock`` (weekdays, ``"HH:MM"``, ``DAY_S``), ``block`` (the base block,
durations, opening hours), ``calls`` and ``people`` (the blocks), ``model`` (:class:`Scenario`,
its dictionary and digest), ``calendar`` (the working calendar), ``activities`` (off-phone
activities from rules), ``roster`` (a roster of people: roster.csv, rest rules, warnings),
``roster_agents`` (the agents a roster puts on the phones, absences), ``workforce`` and
``checks`` (checks across blocks, warnings), ``overrides`` (``--set``), ``load`` (TOML to a
validated scenario, with its saved roster), ``shifts`` (shifts files), ``timeline`` (open
intervals, expected calls and agents per interval; a rostered scenario's ``roster_model``).
"""

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.scenario.checks import scenario_warnings
from ska_sim.scenario.clock import WEEKDAYS
from ska_sim.scenario.load import load_scenario, read_toml, scenario_from_dict
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.overrides import parse_set_option, parse_value, split_key

__all__ = [
    "WEEKDAYS", "Problem", "Scenario", "ScenarioError", "load_scenario", "parse_set_option", "parse_value",
    "read_toml", "scenario_from_dict", "scenario_warnings", "split_key",
]
