"""The bad-input gallery of patience per call type and factors by period: each defect gives a
message naming the file, the key path and what is wrong, exit status 2 and no traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from helpers import assert_refused
from ska_sim import load_scenario
from ska_sim.cli import main
from conftest import ROOT

MINIMAL = (ROOT / "tests" / "data" / "minimal.toml").read_text()
TYPE = "resolved = 0.7\n"  # the end of call_types[0] in minimal.toml (open Mon and Tue 09:00-12:00)
GLOBAL = "[patience]"


def periods(*rows: str, key: str = "talk_factor_by_period") -> str:
    return f"{key} = [{', '.join(rows)}]\n"


MORNING = '{ hours = ["09:00", "10:30"], factor = 1.2 }'
LATE = '{ hours = ["10:30", "12:00"], factor = 0.8 }'

# name of the defect: (text replaced in minimal.toml, replacement, expected message parts)
GALLERY = {
    "negative_type_patience": (TYPE, TYPE + 'patience = { dist = "exponential", mean_s = -5 }\n',
                               ["call_types[0].patience.mean_s", "greater than or equal to 0"]),
    "infinite_type_patience": (TYPE, TYPE + 'patience = { dist = "exponential", mean_s = inf }\n',
                               ["call_types[0].patience.mean_s", "finite number", "(got inf)"]),
    "unknown_type_patience_family": (TYPE, TYPE + 'patience = { dist = "expo", mean_s = 60 }\n',
                                     ["call_types[0].patience.dist", "unknown distribution family 'expo'"]),
    "negative_factor": (TYPE, TYPE + periods(MORNING, '{ hours = ["10:30", "12:00"], factor = -1 }'),
                        ["call_types[0].talk_factor_by_period[1].factor", "greater than 0"]),
    "zero_factor": (TYPE, TYPE + periods(MORNING, '{ hours = ["10:30", "12:00"], factor = 0 }'),
                    ["call_types[0].talk_factor_by_period[1].factor", "greater than 0"]),
    "nan_factor": (TYPE, TYPE + periods('{ hours = ["09:00", "10:30"], factor = nan }', LATE),
                   ["call_types[0].talk_factor_by_period[0].factor", "finite number", "(got nan)"]),
    "infinite_factor": (TYPE, TYPE + periods(MORNING, '{ hours = ["10:30", "12:00"], factor = inf }'),
                        ["call_types[0].talk_factor_by_period[1].factor", "finite number"]),
    "bad_clock": (TYPE, TYPE + periods('{ hours = ["9:75", "10:30"], factor = 1.2 }', LATE),
                  ["call_types[0].talk_factor_by_period[0].hours", "HH:MM", "'9:75'"]),
    "clock_past_midnight": (TYPE, TYPE + periods(MORNING, '{ hours = ["10:30", "25:00"], factor = 1 }'),
                            ["call_types[0].talk_factor_by_period[1].hours", "00:00-24:00"]),
    "period_ends_before_it_starts": (TYPE, TYPE + periods('{ hours = ["10:30", "09:00"], factor = 1.2 }', LATE),
                                     ["call_types[0].talk_factor_by_period[0].hours", "not after opening"]),
    "unknown_weekday": (TYPE, TYPE + periods('{ hours = ["09:00", "12:00"], factor = 1.2, days = ["mon", "mond"] }'),
                        ["call_types[0].talk_factor_by_period[0].days[1]", "'mond'"]),
    "weekday_twice": (TYPE, TYPE + periods('{ hours = ["09:00", "12:00"], factor = 1.2, days = ["mon", "mon"] }'),
                      ["call_types[0].talk_factor_by_period[0].days", "named twice"]),
    "no_days": (TYPE, TYPE + periods('{ hours = ["09:00", "12:00"], factor = 1.2, days = [] }'),
                ["call_types[0].talk_factor_by_period[0].days", "at least 1 item"]),
    "unknown_period_key": (TYPE, TYPE + periods('{ from = "09:00", to = "12:00", factor = 1.2 }'),
                           ["call_types[0].talk_factor_by_period[0].from", "unknown key"]),
    "empty_list": (TYPE, TYPE + "talk_factor_by_period = []\n",
                   ["call_types[0].talk_factor_by_period", "at least 1 item"]),
    "gap_between_periods": (TYPE, TYPE + periods(MORNING, '{ hours = ["11:00", "12:00"], factor = 0.8 }'),
                            ["call_types[0].talk_factor_by_period", "mon, tue are open 09:00-12:00",
                             "no period covers 10:30-11:00"]),
    "periods_end_before_closing": (TYPE, TYPE + periods(MORNING),
                                   ["call_types[0].talk_factor_by_period", "no period covers 10:30-12:00"]),
    "periods_start_after_opening": (TYPE, TYPE + periods(LATE, key="patience_factor_by_period"),
                                    ["call_types[0].patience_factor_by_period", "no period covers 09:00-10:30"]),
    "weekday_not_covered": (TYPE, TYPE + periods('{ hours = ["09:00", "12:00"], factor = 1.2, days = ["mon"] }',
                                                 '{ hours = ["09:00", "11:00"], factor = 0.9, days = ["tue"] }'),
                            ["call_types[0].talk_factor_by_period", "tue is open 09:00-12:00",
                             "no period covers 11:00-12:00"]),
    "overlapping_periods": (TYPE, TYPE + periods('{ hours = ["09:00", "11:00"], factor = 1.2 }', LATE),
                            ["call_types[0].talk_factor_by_period", "periods 09:00-11:00 and 10:30-12:00 overlap on mon, tue, wed, thu, fri, sat, sun"]),
    "overlap_on_one_weekday": (TYPE, TYPE + periods('{ hours = ["09:00", "12:00"], factor = 1.2 }',
                                                    '{ hours = ["09:00", "10:00"], factor = 2, days = ["tue"] }'),
                               ["call_types[0].talk_factor_by_period", "overlap on tue"]),
    "global_periods_gap": (GLOBAL, periods(MORNING, key="patience_factor_by_period") + "\n" + GLOBAL,
                           ["patience_factor_by_period:", "no period covers 10:30-12:00"]),
    "global_periods_unused": (TYPE, TYPE + periods('{ hours = ["00:00", "24:00"], factor = 2 }',
                                                   key="patience_factor_by_period"),
                              ["patience_factor_by_period:", "every call type has its own", "applies to none"]),
    "global_negative_factor": (GLOBAL, periods(MORNING, '{ hours = ["10:30", "12:00"], factor = -2 }',
                                               key="patience_factor_by_period") + "\n" + GLOBAL,
                               ["patience_factor_by_period[1].factor", "greater than 0"]),
}
# periods for a patience that does not exist: [patience] removed (text_of adds the periods)
GALLERY["patience_factor_without_patience"] = (
    '[patience]\ndist = "exponential"\nmean_s = 200\n',
    periods('{ hours = ["00:00", "24:00"], factor = 2 }', key="patience_factor_by_period"),
    ["patience_factor_by_period:", "no call type it applies to has a patience"])
GALLERY["type_patience_factor_without_patience"] = (
    '[patience]\ndist = "exponential"\nmean_s = 200\n',
    "", ["call_types[0].patience_factor_by_period", "general has no patience"])


def text_of(defect: str) -> str:
    old, new, _ = GALLERY[defect]
    assert old in MINIMAL
    text = MINIMAL.replace(old, new, 1)
    if defect == "type_patience_factor_without_patience":
        text = text.replace(TYPE, TYPE + periods('{ hours = ["00:00", "24:00"], factor = 2 }',
                                                 key="patience_factor_by_period"), 1)
    if defect == "patience_factor_without_patience":  # a top-level key: before the first table
        text = text.replace("[scenario]", new + "\n[scenario]", 1).replace(new + "\n[staffing", "[staffing", 1)
    if defect == "global_periods_unused":
        text = text.replace("[scenario]", periods('{ hours = ["00:00", "24:00"], factor = 3 }',
                                                  key="patience_factor_by_period") + "\n[scenario]", 1)
    if defect in ("global_periods_gap", "global_negative_factor"):
        text = text.replace(new, GLOBAL, 1).replace("[scenario]", new.replace(GLOBAL, "") + "[scenario]", 1)
    return text


@pytest.mark.parametrize("defect", sorted(GALLERY))
def test_each_defect_is_named_with_file_key_and_reason(tmp_path, defect):
    _, _, parts = GALLERY[defect]
    path = tmp_path / f"{defect}.toml"
    path.write_text(text_of(defect))
    assert_refused(path, parts)


def test_valid_periods_and_type_patience_load(tmp_path):
    """The gallery's base with valid keys of each kind loads (the defects above are the only problem)."""
    text = MINIMAL.replace(TYPE, TYPE + 'patience = { dist = "uniform", min_s = 10, max_s = 90 }\n'
                           + periods(MORNING, LATE), 1)
    text = text.replace("[scenario]", periods('{ hours = ["00:00", "24:00"], factor = 1.5, days = ["tue"] }',
                                              key="patience_factor_by_period") + "\n[scenario]", 1)
    path = tmp_path / "ok.toml"
    path.write_text(text)
    s = load_scenario(path)
    assert s.call_types[0].patience.dist == "uniform" and s.patience_factor_by_period[0].days == ["tue"]
    assert [p.factor for p in s.call_types[0].talk_factor_by_period] == [1.2, 0.8]
    assert CliRunner().invoke(main, ["validate", str(path)]).exit_code == 0
