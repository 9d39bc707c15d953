"""Bad values of ``[[written]]`` (written work) and its target, in the gallery's style
(test_bad_input.py): the file, the key path and what is wrong; exit status 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import ROOT
from helpers import assert_block_refused
from ska_sim.cli import main

MINIMAL = (ROOT / "tests" / "data" / "minimal.toml").read_text()
ANCHOR = "[simulation]"
GOOD = {"name": '"letters"', "daily_items": "40", "handling": '{ dist = "exponential", mean_s = 900 }',
        "deadline_days": "3", "dedicated": '{ agents = 2, hours = ["10:00", "12:00"] }'}


def written(**changes) -> str:
    keys = {**GOOD, **changes}
    return "[[written]]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items() if v is not None)


def blended(**changes) -> str:
    return written(dedicated=None, blend="{ reserve = 1 }", **changes)


IDENTITY = ('[call_types.identity_check]\nprobability = 1.0\nextra = { dist = "deterministic", mean_s = 30 }\n'
            'fails = 0.2\n\n')

# name of the defect: (TOML inserted before [simulation], expected message parts)
GALLERY = {
    "negative_volume": (written(daily_items="-5"), ["written[0].daily_items", "greater than or equal to 0", "(got -5)"]),
    "infinite_volume": (written(daily_items="inf"), ["written[0].daily_items", "finite number"]),
    "nan_volume": (written(daily_items="nan"), ["written[0].daily_items", "finite number"]),
    "negative_weekday_factor": (written(weekday_factor="{ mon = -1.0 }"), ["written[0].weekday_factor", "must be >= 0"]),
    "negative_handling": (written(handling='{ dist = "exponential", mean_s = -60 }'),
                          ["written[0].handling.mean_s", "greater than or equal to 0"]),
    "infinite_handling": (written(handling='{ dist = "exponential", mean_s = inf }'),
                          ["written[0].handling.mean_s", "finite number"]),
    "zero_handling": (written(handling='{ dist = "deterministic", mean_s = 0 }'),
                      ["written[0].handling", "above 0"]),
    "deadline_zero": (written(deadline_days="0"), ["written[0].deadline_days", "greater than or equal to 1"]),
    "deadline_beyond_a_year": (written(deadline_days="400"), ["written[0].deadline_days", "less than or equal to 366"]),
    "unknown_deadline_kind": (written(deadline_kind='"weeks"'), ["written[0].deadline_kind", "'working' or 'calendar'"]),
    "negative_backlog": (written(backlog_at_start="-3"), ["written[0].backlog_at_start", "greater than or equal to 0"]),
    "no_dedicated_agents": (written(dedicated='{ agents = 0, hours = ["10:00", "12:00"] }'),
                            ["written[0].dedicated.agents", "greater than or equal to 1"]),
    "unknown_group": (written(dedicated='{ group = "letters_desk", agents = 2, hours = ["10:00", "12:00"] }'),
                      ["written[0].dedicated.group", "unknown group 'letters_desk'"]),
    "hours_off_the_intervals": (written(dedicated='{ agents = 2, hours = ["10:30", "12:00"] }'),
                                ["written[0].dedicated.hours", "interval boundaries"]),
    "hours_backwards": (written(dedicated='{ agents = 2, hours = ["12:00", "10:00"] }'),
                        ["written[0].dedicated.hours", "not after opening"]),
    "same_name_twice": (written() + "\n" + written(), ["written[1].name", "'letters' is named twice"]),
    "identity_without_failures": (written(from_identity_failures="true"),
                                  ["written[0].from_identity_failures", "no call type's identity check fails"]),
    "missing_deadline": (written(deadline_days=None), ["written[0].deadline_days", "missing"]),
    "unknown_key": (written(reserve="2"), ["written[0].reserve", "unknown key"]),
    "reserve_larger_than_the_pool": (written(dedicated=None, blend="{ reserve = 6 }"),
                                     ["written[0].blend.reserve", "6 is larger than the group", "at most 5 agents"]),
    "negative_reserve": (written(dedicated=None, blend="{ reserve = -1 }"),
                         ["written[0].blend.reserve", "greater than or equal to 0"]),
    "blend_unknown_group": (written(dedicated=None, blend='{ group = "desk", reserve = 1 }'),
                            ["written[0].blend.group", "unknown group 'desk'"]),
    "both_policies": (written(blend="{ reserve = 1 }"), ["written[0]:", "needs one of dedicated"]),
    "no_policy": (written(dedicated=None), ["written[0]:", "needs one of dedicated"]),
    "identity_failures_twice": (IDENTITY + written(from_identity_failures="true") + "\n"
                                + written(name='"forms"', from_identity_failures="true"),
                                ["written[1].from_identity_failures", "at most one"]),
    "urgent_days_negative": (blended(urgent="{ days = -1, agents = 1 }"),
                             ["written[0].urgent.days", "greater than or equal to 0"]),
    "urgent_days_beyond_a_year": (blended(urgent="{ days = 367, agents = 1 }"),
                                  ["written[0].urgent.days", "less than or equal to 366"]),
    "urgent_days_not_whole": (blended(urgent="{ days = 1.5, agents = 1 }"), ["written[0].urgent.days", "integer"]),
    "urgent_no_agents": (blended(urgent="{ days = 1, agents = 0 }"),
                         ["written[0].urgent.agents", "greater than or equal to 1"]),
    "urgent_more_agents_than_the_pool": (blended(urgent="{ days = 1, agents = 6 }"),
                                         ["written[0].urgent.agents", "6 is larger than the group", "at most 5 agents"]),
    "urgent_with_dedicated": (written(urgent="{ days = 1, agents = 1 }"), ["written[0].urgent", "needs blend"]),
    "urgent_without_agents": (blended(urgent="{ days = 1 }"), ["written[0].urgent.agents", "missing"]),
    "target_without_written": ("[targets]\nwritten_on_time = 0.95\n", ["targets.written_on_time", "no [[written]]"]),
    "target_above_1": (written() + "\n[targets]\nwritten_on_time = 1.5\n",
                       ["targets.written_on_time", "less than or equal to 1"]),
}


@pytest.mark.parametrize("defect", sorted(GALLERY))
def test_each_defect_is_named_with_file_key_and_reason(tmp_path, defect):
    block, parts = GALLERY[defect]
    assert_block_refused(tmp_path, defect, block, parts)


def test_the_good_block_is_valid(tmp_path):
    path = tmp_path / "good.toml"
    path.write_text(MINIMAL.replace(ANCHOR, written() + "\n[targets]\nwritten_on_time = 0.95\n\n" + ANCHOR, 1))
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 0, res.output


def test_urgent_on_a_blended_kind_is_valid(tmp_path):
    path = tmp_path / "urgent.toml"
    path.write_text(MINIMAL.replace(ANCHOR, blended(urgent="{ days = 0, agents = 5 }") + "\n" + ANCHOR, 1))
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 0, res.output
