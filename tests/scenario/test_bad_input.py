"""The gallery of bad inputs: each defect gives a message naming the file, the key path and
what is wrong, exit status 2 and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ska_sim import ScenarioError, load_scenario
from ska_sim.cli import main
from helpers import assert_refused, error_lines
from conftest import ROOT

MINIMAL = (ROOT / "tests" / "data" / "minimal.toml").read_text()

STAFFING = "[staffing.agents]\ndefault = [4, 5, 4]"  # replaced by one agent group (GROUP) and its keys
GROUP = '[[groups]]\nname = "desk"\nagents = { default = [4, 5, 4] }'
TARGETS = "[targets]\nservice_level = {{ threshold_s = 20, threshold_s_by_type = {{ {} }} }}\n\n[simulation]"

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
    # non-finite numbers: refused by one rule for every float of every block
    "infinite_daily_calls": ("daily_calls = 120", "daily_calls = inf", ["arrivals.daily_calls", "must be a finite number", "(got inf)"]),
    "nan_daily_calls": ("daily_calls = 120", "daily_calls = nan", ["arrivals.daily_calls", "finite number", "(got nan)"]),
    "infinite_volume_scale": ("daily_calls = 120", "daily_calls = 120\nvolume_scale = inf", ["arrivals.volume_scale", "finite number"]),
    "nan_in_profile": ("[0.3, 0.4, 0.3]", "[0.3, nan, 0.3]", ["arrivals.profile.default[1]", "finite number", "(got nan)"]),
    "infinite_weekday_factor": ("daily_calls = 120", "daily_calls = 120\nweekday_factor = { mon = inf }", ["arrivals.weekday_factor.mon", "finite number"]),
    "infinite_date_factor": ("daily_calls = 120", "daily_calls = 120\ndate_factor = { 2026-03-02 = inf }", ["arrivals.date_factor.2026-03-02", "finite number"]),
    "infinite_talk_mean": ("mean_s = 300", "mean_s = inf", ["call_types[0].talk.mean_s", "finite number", "(got inf)"]),
    "infinite_cv": ("cv = 1.0", "cv = inf", ["call_types[0].talk.cv", "finite number"]),
    "infinite_patience": ("mean_s = 200", "mean_s = inf", ["patience.mean_s", "finite number", "(got inf)"]),
    "infinite_staffing_scale": ("[staffing.agents]", "[staffing]\nscale = inf\n\n[staffing.agents]", ["staffing.scale", "finite number"]),
    "infinite_threshold": ("[simulation]", "[targets]\nservice_level = { threshold_s = inf, share = 0.8 }\n\n[simulation]",
                           ["targets.service_level.threshold_s", "finite number", "(got inf)"]),
    "negative_date_factor": ("daily_calls = 120", "daily_calls = 120\ndate_factor = { 2026-03-02 = -1.0 }",
                             ["arrivals.date_factor", "must be >= 0", "(got 2026-03-02 = -1)"]),
    # a measured window without an open day
    "every_date_closed": ("interval_min = 60", "interval_min = 60\nclosed = [2026-03-02, 2026-03-03]",
                          ["calendar:", "no open day falls in the measured window 2026-03-02 to 2026-03-03"]),
    "saturday_only_window": ("start = 2026-03-02\ndays = 2", "start = 2026-03-07\ndays = 1",
                             ["calendar:", "no open day falls in the measured window 2026-03-07 ", "no hours"]),
    # windows whose dates (warm-up included) would overflow the calendar or leave 1900-2199
    "start_at_the_end_of_the_calendar": ("start = 2026-03-02", "start = 9999-12-31",
                                         ["calendar:", "start 9999-12-31", "between 1900-01-01 and 2199-12-31"]),
    "start_at_the_beginning_of_the_calendar": ("start = 2026-03-02", "start = 0001-01-01",
                                               ["calendar:", "start 0001-01-01", "between 1900-01-01 and 2199-12-31"]),
    "warm_up_before_1900": ("start = 2026-03-02\ndays = 2\nwarmup_days = 0", "start = 1900-01-03\ndays = 2\nwarmup_days = 7",
                            ["calendar:", "7 warm-up day(s)", "between 1900-01-01"]),
    "window_beyond_2199": ("start = 2026-03-02\ndays = 2", "start = 2199-12-01\ndays = 3660",
                           ["calendar:", "3660 day(s)", "and 2199-12-31"]),
    # sizes beyond the documented limits
    "calls_beyond_limit": ("daily_calls = 120", "daily_calls = 1e12", ["arrivals:", "1e+12 first calls", "at most 1,000,000 per day"]),
    "agents_beyond_limit": ("[staffing.agents]", "[staffing]\nscale = 1e9\n\n[staffing.agents]",
                            ["staffing:", "5,000,000,000 agents in an interval", "at most 100,000"]),
    "replications_beyond_limit": ("replications = 2", "replications = 1000000000",
                                  ["simulation.replications", "less than or equal to 100000", "(got 1000000000)"]),
    # per-call-type keys of routing and service level
    "handle_factor_for_unknown_type": (STAFFING, GROUP + "\nhandle_factor_by_type = { nope = 0.5 }",
                                       ["groups[0].handle_factor_by_type.nope", "unknown call type 'nope'",
                                        "(call types: general)"]),
    "negative_type_handle_factor": (STAFFING, GROUP + "\nhandle_factor_by_type = { general = -1 }",
                                    ["groups[0].handle_factor_by_type.general", "greater than 0", "(got -1)"]),
    "nan_type_handle_factor": (STAFFING, GROUP + "\nhandle_factor_by_type = { general = nan }",
                               ["groups[0].handle_factor_by_type.general", "finite number", "(got nan)"]),
    "unknown_type_policy": (STAFFING, GROUP + '\n\n[routing]\npolicy_by_type = { general = "fastest" }',
                            ["routing.policy_by_type.general", "'group_order', 'random' or 'longest_idle'",
                             "(got 'fastest')"]),
    "policy_for_unknown_type": (STAFFING, GROUP + '\n\n[routing]\npolicy_by_type = { pensions = "random" }',
                                ["routing.policy_by_type.pensions", "unknown call type 'pensions'"]),
    "overflow_for_unknown_type": (STAFFING, GROUP + "\n\n[routing]\noverflow_after_s_by_type = { pensions = 30 }",
                                  ["routing.overflow_after_s_by_type.pensions", "unknown call type 'pensions'"]),
    "negative_type_overflow": (STAFFING, GROUP + "\n\n[routing]\noverflow_after_s_by_type = { general = -2 }",
                               ["routing.overflow_after_s_by_type.general", "greater than or equal to 0", "(got -2)"]),
    "infinite_type_overflow": (STAFFING, GROUP + "\n\n[routing]\noverflow_after_s_by_type = { general = inf }",
                               ["routing.overflow_after_s_by_type.general", "finite number", "(got inf)"]),
    "type_overflow_without_groups": ("[simulation]", "[routing]\noverflow_after_s_by_type = { general = 3 }\n\n[simulation]",
                                     ["routing.overflow_after_s_by_type", "needs [[groups]] to route to"]),
    "threshold_for_unknown_type": ("[simulation]", TARGETS.format("pensions = 60"),
                                   ["targets.service_level.threshold_s_by_type.pensions", "unknown call type 'pensions'",
                                    "(call types: general)"]),
    "negative_type_threshold": ("[simulation]", TARGETS.format("general = -1"),
                                ["targets.service_level.threshold_s_by_type.general", "greater than or equal to 0",
                                 "(got -1)"]),
    "infinite_type_threshold": ("[simulation]", TARGETS.format("general = inf"),
                                ["targets.service_level.threshold_s_by_type.general", "finite number", "(got inf)"]),
    # arrival profiles per call type (call_types[].profile) and in calls per hour (arrivals.profile_unit)
    **{f"type_profile_{name}": ('profile = [0.3, 0.4, 0.3]\n\n[[call_types]]\nname = "general"\n',
                                f'\n[[call_types]]\nname = "general"\n{line}\n', parts) for name, line, parts in (
        ("negative", "profile = [0.5, -0.1, 0.6]", ["call_types[0].profile", "default: values must be >= 0"]),
        ("nan", "profile = [0.5, nan, 0.5]", ["call_types[0].profile.default[1]", "finite number", "(got nan)"]),
        ("infinite", "profile = [0.5, inf, 0.5]", ["call_types[0].profile.default[1]", "finite number", "(got inf)"]),
        ("not_summing_to_1", "profile = [0.3, 0.4, 0.2]", ["call_types[0].profile.default", "sum to 1", "0.900000"]),
        ("wrong_length", "profile = [0.5, 0.5]", ["call_types[0].profile.default", "has 2 shares", "3 intervals"]),
        ("unknown_weekday", "profile = { mun = [0.3, 0.4, 0.3] }", ["call_types[0].profile.mun", "must be 'default'"]),
        ("weekday_missing", "profile = { mon = [0.3, 0.4, 0.3] }", ["call_types[0].profile", "no vector for tue"]),
        ("given_twice", "profile = [0.3, 0.4, 0.3]\nprofile = [0.3, 0.4, 0.3]", ["malformed TOML", "line"]),
        ("not_a_list", 'profile = "morning"', ["call_types[0].profile", "valid dictionary"]),
    )},
    "type_without_profile_nor_arrivals_profile": ("profile = [0.3, 0.4, 0.3]", "",
                                                  ["arrivals.profile", "missing (required"]),
    "share_missing": ("share = 1.0", "", ["call_types[0].share", "missing (required"]),
    "daily_calls_missing": ("daily_calls = 120", "", ["arrivals.daily_calls", "missing (required"]),
    "unknown_profile_unit": ("daily_calls = 120", 'daily_calls = 120\nprofile_unit = "calls_per_minute"',
                             ["arrivals.profile_unit", "'shares' or 'calls_per_hour'"]),
    **{f"rates_{name}": ("daily_calls = 120\nprofile = [0.3, 0.4, 0.3]", f'profile_unit = "calls_per_hour"\n{line}',
                         parts) for name, line, parts in (
        ("with_daily_calls", "daily_calls = 120\nprofile = [30, 40, 50]", ["arrivals.daily_calls", "leave it out",
                                                                           "calls per hour give the day's volume"]),
        ("negative", "profile = [30, -40, 50]", ["arrivals.profile", "default: calls per hour must be >= 0"]),
        ("infinite", "profile = [30, inf, 50]", ["arrivals.profile.default[1]", "finite number", "(got inf)"]),
        ("nan", "profile = [30, nan, 50]", ["arrivals.profile.default[1]", "finite number", "(got nan)"]),
        ("wrong_length", "profile = [30, 40, 50, 60]", ["arrivals.profile.default", "has 4 calls per hour",
                                                        "3 intervals"]),
        ("unknown_weekday", "profile = { mon = [30, 40, 50], wen = [1, 2, 3] }", ["arrivals.profile.wen"]),
        ("weekday_missing", "profile = { mon = [30, 40, 50] }", ["arrivals.profile", "no vector for tue"]),
        ("profile_missing", "", ["arrivals.profile", "missing (required"]),
    )},
    "rates_per_type_with_share": ("daily_calls = 120\nprofile = [0.3, 0.4, 0.3]\n\n[[call_types]]\nname = \"general\"\n",
                                  'profile_unit = "calls_per_hour"\n\n[[call_types]]\nname = "general"\n'
                                  'profile = [30, 40, 50]\n',
                                  ["call_types[0].share", "its own calls per hour give its volume: leave share out"]),
    "rates_for_some_types_only": ("daily_calls = 120\nprofile = [0.3, 0.4, 0.3]\n\n[[call_types]]\n",
                                  'profile_unit = "calls_per_hour"\nprofile = [30, 40, 50]\n\n[[call_types]]\n'
                                  'name = "other"\nprofile = [10, 10, 10]\ntalk = { dist = "exponential", mean_s = 100 }\n'
                                  'resolved = 0.7\n\n[[call_types]]\n',
                                  ["call_types:", "either every call type has its own profile", "or none does",
                                   "without one: general"]),
    # display names for the planning page: a language it knows (et, en), a name that is not empty
    "display_name_unknown_language": ('name = "general"', 'name = "general"\ndisplay_name = { fi = "Yleinen" }',
                                      ["call_types[0].display_name.fi", "must be 'et' or 'en'", "(got 'fi')"]),
    "display_name_empty": ('name = "general"', 'name = "general"\ndisplay_name = { et = "" }',
                           ["call_types[0].display_name.et", "must not be empty"]),
    "display_name_blank": ('name = "general"', 'name = "general"\ndisplay_name = { en = "   " }',
                           ["call_types[0].display_name.en", "must not be empty"]),
    "display_name_not_a_table": ('name = "general"', 'name = "general"\ndisplay_name = "General"',
                                 ["call_types[0].display_name", "valid dictionary"]),
    "group_display_name_unknown_language": (STAFFING, GROUP + '\ndisplay_name = { ru = "Стол" }',
                                            ["groups[0].display_name.ru", "must be 'et' or 'en'"]),
    "group_display_name_empty": (STAFFING, GROUP + '\ndisplay_name = { et = "" }',
                                 ["groups[0].display_name.et", "must not be empty"]),
}

BASE = "scenarios/baseline.toml"
NO_COSTS = "tests/data/minimal.toml"  # a scenario without [costs]: a --set of costs creates the block


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("defect", sorted(GALLERY))
def test_each_defect_is_named_with_file_key_and_reason(tmp_path, defect):
    old, new, parts = GALLERY[defect]
    assert old in MINIMAL
    assert_refused(write(tmp_path, defect, MINIMAL.replace(old, new, 1)), parts)


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


def test_no_message_of_the_gallery_shows_a_python_repr(tmp_path):
    """Dates print as written (2026-03-02), never as datetime.date(2026, 3, 2)."""
    for defect, (old, new, _) in GALLERY.items():
        path = write(tmp_path, defect, MINIMAL.replace(old, new, 1))
        res = CliRunner().invoke(main, ["validate", str(path)])
        assert "datetime." not in res.output and "Traceback" not in res.output, res.output


BAD_COMMANDS = {
    # command line for a scenario file and an output path: every command that writes
    "run": lambda f, out: ["run", f, "-r", "2", "--workers", "1", "--out", out],
    "staff": lambda f, out: ["staff", f, "-r", "2", "--workers", "1", "--out", out],
    "marginal": lambda f, out: ["marginal", f, "--agents", "0..1", "-r", "2", "--workers", "1", "--out", out],
    "report": lambda f, out: ["report", f, "--agents", "0..1", "-r", "2", "--workers", "1", "-o", out],
    "sweep": lambda f, out: ["sweep", f, "--vary", "staffing.scale=1:1.1:0.1", "-r", "2", "--workers", "1", "--out", out],
    "compare": lambda f, out: ["compare", f, f, "-r", "2", "--workers", "1", "--out", out],
}


@pytest.mark.parametrize("defect", ["every_date_closed", "saturday_only_window", "infinite_threshold", "nan_in_profile",
                                    "calls_beyond_limit"])
@pytest.mark.parametrize("command", sorted(BAD_COMMANDS))
def test_bad_scenario_fails_every_command_before_writing(tmp_path, command, defect):
    old, new, parts = GALLERY[defect]
    path = write(tmp_path, defect, MINIMAL.replace(old, new, 1))
    out = tmp_path / ("r.html" if command == "report" else "out")
    res = CliRunner().invoke(main, BAD_COMMANDS[command](str(path), str(out)))
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and isinstance(res.exception, SystemExit)
    for part in parts:
        assert part in res.output, f"{part!r} not in {res.output!r}"
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_set_into_an_unknown_block_blames_the_set(tmp_path):
    path = write(tmp_path, "ok", MINIMAL)
    res = CliRunner().invoke(main, ["validate", str(path), "--set", "foo.bar=1"])
    assert res.exit_code == 2
    assert "error: --set foo.bar=1: foo: unknown key" in res.output
    assert str(path) + ":" not in res.output.replace(f"{path}: ok", "")


def test_set_non_finite_values_are_named(tmp_path):
    path = write(tmp_path, "ok", MINIMAL)
    for key in ("arrivals.daily_calls", "arrivals.volume_scale", "staffing.scale", "call_types[0].talk.mean_s",
                "call_types.general.talk.cv", "patience.mean_s", "targets.service_level.threshold_s"):
        for value in ("inf", "nan", "-inf"):
            res = CliRunner().invoke(main, ["validate", str(path), "--set", f"{key}={value}"])
            assert res.exit_code == 2, (key, value, res.output)
            assert f"--set {key}={value}:" in res.output and "must be a finite number" in res.output, res.output


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_scenario(path).name == "minimal"
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 0 and ": ok" in res.output


def test_text_that_is_not_utf8_is_one_line(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(MINIMAL.replace('"minimal"', '"m\xe4\xe4r"').encode("latin-1"))
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2 and "not UTF-8 text" in res.output and "Traceback" not in res.output


# --set that creates a block (here [costs])
@pytest.mark.parametrize("setting, words", [
    ("costs.manager_eur_per_hour=inf", "costs.manager_eur_per_hour: must be a finite number"),
    ("costs.foo=1", "costs.foo: unknown key"),
])
def test_a_wrong_set_that_creates_a_block_reports_only_its_own_mistake(setting, words, tmp_path):
    out = tmp_path / "cal.csv"
    r = CliRunner().invoke(main, ["calendar", NO_COSTS, "--set", setting, "-o", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    (line,) = error_lines(r)
    assert line.startswith(f"error: --set {setting}: {words}")
    assert "eur_per_paid_hour" not in r.output and not out.exists()


def test_a_right_set_that_leaves_its_new_block_incomplete_names_the_missing_key_and_the_set():
    r = CliRunner().invoke(main, ["validate", NO_COSTS, "--set", "costs.manager_eur_per_hour=50"])
    assert r.exit_code == 2
    assert error_lines(r) == ["error: --set costs.manager_eur_per_hour=50: costs.eur_per_paid_hour: missing (required)"]
    load_scenario(NO_COSTS, ["costs.manager_eur_per_hour=50", "costs.eur_per_paid_hour=30"])  # complete: fine
