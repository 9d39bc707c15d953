"""The gallery of bad inputs: each defect gives a message naming the file, the key path and
what is wrong, exit status 2 and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ska_sim import ScenarioError, load_scenario
from ska_sim.cli import main

MINIMAL = (Path(__file__).parent / "data" / "minimal.toml").read_text()

# name of the defect: (text replaced in minimal.toml, replacement, expected message parts)
GALLERY = {
    "unknown_key": ("interval_min = 60", "interval_min = 60\nintervals = 3", ["calendar.intervals", "unknown key"]),
    "wrong_type": ("days = 2", 'days = "two"', ["calendar.days", "valid integer", "'two'"]),
    "zero_rate": ("daily_calls = 120", "daily_calls = 0", ["arrivals.daily_calls", "greater than 0", "(got 0)"]),
    "negative_rate": ("daily_calls = 120", "daily_calls = -5", ["arrivals.daily_calls", "greater than 0"]),
    "profile_not_summing_to_1": ("[0.3, 0.4, 0.3]", "[0.3, 0.4, 0.2]", ["arrivals.profile", "sum to 1", "0.900000"]),
    "staffing_wrong_length": ("default = [4, 5, 4]", "default = [4, 5]", ["staffing.agents.default", "has 2 agents", "3 intervals"]),
    "hours_outside_day": ('mon = ["09:00", "12:00"]', 'mon = ["09:00", "25:00"]', ["calendar.hours.mon", "00:00-24:00"]),
    "closing_before_opening": ('tue = ["09:00", "12:00"]', 'tue = ["12:00", "09:00"]', ["calendar.hours.tue", "not after opening"]),
    "unknown_distribution": ('dist = "lognormal"', 'dist = "lognormol"', ["call_types[0].talk.dist", "unknown distribution family 'lognormol'"]),
    "negative_cv": ("cv = 1.0", "cv = -0.5", ["call_types[0].talk.cv", "greater than or equal to 0", "(got -0.5)"]),
    "interval_length": ("interval_min = 60", "interval_min = 20", ["calendar.interval_min", "15, 30 or 60", "(got 20)"]),
    "probability_above_1": ("resolved = 0.7", "resolved = 1.7", ["call_types[0].resolved", "less than or equal to 1"]),
    "unknown_weekday": ('tue = ["09:00", "12:00"]', 'tus = ["09:00", "12:00"]', ["calendar.hours.tus"]),
    "malformed_toml": ("days = 2", "days = = 2", ["malformed TOML", "line 7"]),
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("defect", sorted(GALLERY))
def test_each_defect_is_named_with_file_key_and_reason(tmp_path, defect):
    old, new, parts = GALLERY[defect]
    assert old in MINIMAL
    path = write(tmp_path, defect, MINIMAL.replace(old, new, 1))
    for command in (["validate", str(path)], ["run", str(path)]):
        res = CliRunner().invoke(main, command)
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output
        assert f"{path}:" in res.output
        for part in parts:
            assert part in res.output, f"{part!r} not in {res.output!r}"


def test_every_problem_is_reported_at_once(tmp_path):
    text = MINIMAL.replace("days = 2", "days = 0").replace("cv = 1.0", "cv = -1").replace("mean_s = 200", "mean_s = -3")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(write(tmp_path, "three", text))
    paths = [p.path for p in exc.value.problems]
    assert paths == ["calendar.days", "call_types[0].talk.cv", "patience.mean_s"]
    assert len(str(exc.value).splitlines()) == 3


def test_set_overrides_are_validated_and_named(tmp_path):
    path = write(tmp_path, "ok", MINIMAL)
    res = CliRunner().invoke(main, ["validate", str(path), "--set", "calendar.days=-1", "--set", "staffing.scale=1.2"])
    assert res.exit_code == 2
    assert "--set calendar.days=-1: calendar.days" in res.output
    assert "staffing.scale" not in res.output
    res = CliRunner().invoke(main, ["validate", str(path), "--set", "calendar.nope=3"])
    assert res.exit_code == 2 and "--set calendar.nope=3: calendar.nope: unknown key" in res.output
    res = CliRunner().invoke(main, ["validate", str(path), "--set", "call_types.missing.share=1"])
    assert res.exit_code == 2 and "no item named 'missing'" in res.output
    res = CliRunner().invoke(main, ["validate", str(path), "--set", "novalue"])
    assert res.exit_code == 2 and "must be key.path=value" in res.output


def test_set_overrides_change_the_scenario(tmp_path):
    path = write(tmp_path, "ok", MINIMAL)
    s = load_scenario(path, ["staffing.scale=1.5", "call_types.general.resolved=0.9", "calendar.start=2026-04-06"])
    assert s.staffing.scale == 1.5
    assert s.call_types[0].resolved == 0.9
    assert str(s.calendar.start) == "2026-04-06"
    s = load_scenario(path, ["call_types[0].talk.mean_s=200"])
    assert s.call_types[0].talk.mean_s == 200


def test_missing_file_and_bad_options_exit_2(tmp_path):
    res = CliRunner().invoke(main, ["run", str(tmp_path / "nope.toml")])
    assert res.exit_code == 2 and "file not found" in res.output
    path = write(tmp_path, "ok", MINIMAL)
    res = CliRunner().invoke(main, ["run", str(path), "--replications", "0"])
    assert res.exit_code == 2 and "--replications" in res.output
    res = CliRunner().invoke(main, ["run", str(path), "--format", "xml"])
    assert res.exit_code == 2


def test_bad_input_leaves_no_output_folder(tmp_path):
    bad = write(tmp_path, "bad", MINIMAL.replace("days = 2", "days = 0"))
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", str(bad), "--out", str(out)])
    assert res.exit_code == 2
    assert not out.exists()
