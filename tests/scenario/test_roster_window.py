"""The warning about a saved roster that misses open days of the window it is simulated on."""

from __future__ import annotations

import datetime as dt

import tomlkit
from click.testing import CliRunner

from ska_sim import scenario_from_dict
from ska_sim.cli import main
from ska_sim.scenario.roster import attach, window_warning
from helpers import saved_roster, small_roster, solved_roster


def _warnings(res) -> list[str]:
    return [ln for ln in res.output.splitlines() if ln.startswith("warning: roster.file")]


def test_only_open_days_outside_the_roster_are_counted():
    _, _, plan = solved_roster()  # Monday 2 March to Sunday 8 March 2026
    four = scenario_from_dict(small_roster([{"name": "p", "count": 6}], weeks=4))  # 2 to 29 March, open Mon-Fri
    (w,) = window_warning(attach(four, plan))
    assert "15 open day(s) of the measured window (2026-03-02 + 28 days)" in w and "first 2026-03-09" in w
    one = scenario_from_dict(small_roster([{"name": "p", "count": 6}], weeks=1))
    assert window_warning(attach(one, plan)) == []
    # a window that starts a weekend before the roster: its closed days need no agents
    nine = one.model_copy(update={"calendar": one.calendar.model_copy(update={"start": dt.date(2026, 2, 28), "days": 9})})
    assert window_warning(attach(nine, plan)) == []
    ten = one.model_copy(update={"calendar": one.calendar.model_copy(update={"start": dt.date(2026, 2, 27), "days": 10})})
    (w,) = window_warning(attach(ten, plan))  # Friday 27 February is open
    assert "1 open day(s)" in w and "first 2026-02-27" in w


def test_staff_roster_warns_on_its_horizon_not_the_scenario_window(tmp_path):
    d = saved_roster(tmp_path)  # a 1-week roster.csv; the scenario measures 4 weeks
    d["calendar"]["days"] = 28
    (tmp_path / "s.toml").write_text(tomlkit.dumps(d))
    s = str(tmp_path / "s.toml")
    (w,) = _warnings(CliRunner().invoke(main, ["validate", s]))
    assert "15 open day(s)" in w
    res = CliRunner().invoke(main, ["staff", s, "--roster", "--weeks", "1", "-r", "2"])
    assert res.exit_code == 0, res.output
    assert _warnings(res) == []  # the 1-week horizon is the roster's week
    res = CliRunner().invoke(main, ["staff", s, "--roster", "--weeks", "2", "-r", "2"])
    assert res.exit_code == 0, res.output
    (w,) = _warnings(res)
    assert "5 open day(s) of the measured window (2026-03-02 + 14 days)" in w and "first 2026-03-09" in w
