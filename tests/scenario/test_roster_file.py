"""A saved roster (roster.file) is part of the model: the scenario's digest covers the file's
bytes, and a run's manifest records the roster file with its sha256 (like a shifts file)."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from ska_sim.cli import main
from ska_sim.scenario.load import load_scenario
from ska_sim.scenario.roster import detach

from helpers import error_lines, run_cli, saved_roster


def test_the_digest_follows_the_roster_files_bytes(tmp_path):
    saved_roster(tmp_path)
    f = tmp_path / "s.toml"
    before = load_scenario(f)
    rec = before.roster.file_record
    assert rec["sha256"] == hashlib.sha256((tmp_path / "roster.csv").read_bytes()).hexdigest()
    # the same file name, other agents: another model, another digest
    text = (tmp_path / "roster.csv").read_text().splitlines()
    (tmp_path / "roster.csv").write_text("\n".join([text[0]] + text[1:-1]) + "\n")  # one person-day fewer
    after = load_scenario(f)
    assert after.to_dict() == before.to_dict() and after.digest() != before.digest()
    # with the roster detached (its agents not simulated) the file's bytes do not count
    off = detach(before)
    assert off.roster.plan is None and off.roster.file_record is None
    assert off.digest() == detach(after).digest()


def test_a_runs_manifest_records_the_roster_file(tmp_path):
    saved_roster(tmp_path)
    out = tmp_path / "out"
    code, text = run_cli("run", tmp_path / "s.toml", "-r", "1", "--workers", "1", "--out", out)
    assert code == 0, text
    m = json.loads((out / "manifest.json").read_text())
    assert m["roster_file"]["sha256"] == hashlib.sha256((tmp_path / "roster.csv").read_bytes()).hexdigest()
    assert m["roster_file"]["path"].endswith("roster.csv")
    assert m["scenario_sha256"] == load_scenario(tmp_path / "s.toml").digest()


def blocks_of(model) -> set:
    """Every pydantic block class reachable from ``model``'s fields."""
    import typing

    from pydantic import BaseModel

    seen, todo = set(), [model]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        for f in m.model_fields.values():
            stack = [f.annotation]
            while stack:
                t = stack.pop()
                if isinstance(t, type) and issubclass(t, BaseModel):
                    todo.append(t)
                stack.extend(typing.get_args(t))
    return seen


def test_loading_attaches_the_roster_through_public_names_only(tmp_path):
    import numpy as np
    import pytest

    from ska_sim.base.errors import ScenarioError
    from ska_sim.scenario.load import scenario_from_dict
    from ska_sim.scenario.model import Scenario
    from ska_sim.scenario.people import Roster
    from ska_sim.scenario.roster import read_roster_csv
    from ska_sim.scenario.roster_agents import with_extra

    d = saved_roster(tmp_path)
    csv = tmp_path / "roster.csv"
    s = load_scenario(tmp_path / "s.toml")
    # loading read roster.file: the plan, the folder, the file's record, no agents on top
    assert s.roster.plan == read_roster_csv(csv) and len(s.roster.plan.people) == 6
    assert s.roster.base_dir == str(tmp_path)
    assert s.roster.file_record == {"path": str(csv), "sha256": hashlib.sha256(csv.read_bytes()).hexdigest()}
    assert s.roster.extra is None
    # validating a dict reads no file: that is loading's step
    assert scenario_from_dict(d).roster.plan is None
    # one private field (what loading read) on the blocks that name a file, none on any other block
    from ska_sim.scenario.forecast_file import ArrivalsForecast

    assert set(Roster.__private_attributes__) == set(ArrivalsForecast.__private_attributes__) == {"_loaded"}
    assert {b.__name__ for b in blocks_of(Scenario) if b.__private_attributes__} == {"Roster", "ArrivalsForecast"}
    # read-only, not keys of the file: not in to_dict(), not settable, not a --set key
    assert not {"plan", "base_dir", "file_record", "extra"} & set(s.to_dict()["roster"])
    with pytest.raises(AttributeError):
        s.roster.plan = None
    with pytest.raises(ScenarioError, match="roster.plan"):
        load_scenario(tmp_path / "s.toml", ["roster.plan=1"])
    # agents on top: a new scenario (this one unchanged), a read-only copy of the caller's array
    extra = np.ones(3, dtype=np.int64)
    more = with_extra(s, extra)
    assert s.roster.extra is None and more.roster.plan is s.roster.plan
    assert more.roster.extra.tolist() == [1, 1, 1] and not more.roster.extra.flags.writeable
    extra[0] = 5
    assert more.roster.extra[0] == 1


@pytest.mark.parametrize("setting, words", [
    ("hours_per_week=0", "roster.people[1].hours_per_week: must be greater than 0"),
    ("hours_per_week=-5", "roster.people[1].hours_per_week: must be greater than 0"),
    ("hours_per_week=inf", "roster.people[1].hours_per_week: must be a finite number"),
    ("hours_per_week=200", "roster.people[1].hours_per_week: must be less than or equal to 60"),
    ("fte=nan", "roster.people[1].fte: must be a finite number"),
    ("fte=0.5", "roster.people[1]: give the contract as hours_per_week or as fte, not both"),
])
def test_a_roster_lines_contract_is_refused_when_it_is_not_a_contract(setting, words):
    """Bad contracts on a roster line (year-2026's part-timers state hours_per_week = 20): exit 2,
    one line naming the key, no traceback."""
    from click.testing import CliRunner

    from ska_sim.cli import main

    r = CliRunner().invoke(main, ["validate", "scenarios/year-2026.toml", "--set", f"roster.people[1].{setting}"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and words in lines[0], r.output


def _rows_named(path, person: str) -> list[int]:
    """The row numbers (the header is row 1) of ``person``'s rows in a roster.csv."""
    lines = path.read_text().splitlines()
    return [i for i, ln in enumerate(lines, start=1) if ln.split(",")[0] == person]


def _rename(path, person: str, new: str) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join(f"{new},{ln.split(',', 1)[1]}" if ln.split(",")[0] == person else ln
                              for ln in lines) + "\n")


def _relabel_line(path, person: str, line: str) -> None:
    """Give ``person``'s first row the roster line ``line``."""
    lines = path.read_text().splitlines()
    i = next(i for i, ln in enumerate(lines) if ln.split(",")[0] == person)
    parts = lines[i].split(",")
    parts[1] = line
    lines[i] = ",".join(parts)
    path.write_text("\n".join(lines) + "\n")


UNKNOWN_ROWS = {  # a defect of a roster.csv row -> the words of the one error line (row numbers filled in)
    "a_person_of_no_line": (lambda f: _rename(f, "p-03", "q-03"), "p-03",
                            "row {row}: person 'q-03' is not one of [roster.people] (the people of its lines: p (p-01 "
                            "to p-06), q) (and 6 more row(s) naming it)"),
    "a_line_not_in_the_scenario": (lambda f: _relabel_line(f, "p-02", "night"), "p-02",
                                   "row {row}: line 'night' is not a line of [roster.people] (p, q)"),
    "two_people_of_no_line": (lambda f: (_rename(f, "p-03", "q-03"), _rename(f, "p-04", "r-04")), "p-03",
                              "row {row}: 2 people are not in [roster.people]: person 'q-03' (row {row}), person "
                              "'r-04' (row {row2}) (14 rows; the people of its lines: p (p-01 to p-06), q)"),
    "a_person_on_another_line": (lambda f: _relabel_line(f, "p-05", "q"), "p-05",
                                 "row {row}: line 'q' of p-05 is not its line in [roster.people] (p)"),
}


@pytest.mark.parametrize("case", sorted(UNKNOWN_ROWS))
def test_a_roster_row_not_in_roster_people_is_refused_in_one_line(tmp_path, case):
    """A saved roster's rows name people and lines of [roster.people] (their contracts, absence and
    groups come from there): another name stops `run` with exit 2, one line naming the file, the
    row and the name, nothing written."""
    import tomlkit

    d = saved_roster(tmp_path)
    d["roster"]["people"].append({"name": "q", "count": 1})  # a second line (no rows in the file)
    (tmp_path / "s.toml").write_text(tomlkit.dumps(d))
    csv = tmp_path / "roster.csv"
    change, person, words = UNKNOWN_ROWS[case]
    row = _rows_named(csv, person)[0]
    row2 = _rows_named(csv, "p-04")[0]
    change(csv)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", str(tmp_path / "s.toml"), "-r", "1", "--workers", "1", "--out", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert error_lines(r) == [f"error: {csv}: {words.format(row=row, row2=row2)}"], r.output
    assert not out.exists()


def test_a_roster_file_without_the_line_column_gets_each_persons_line(tmp_path):
    saved_roster(tmp_path)
    csv = tmp_path / "roster.csv"
    table = pd.read_csv(csv, keep_default_na=False).drop(columns=["line"])
    table.to_csv(csv, index=False)
    s = load_scenario(tmp_path / "s.toml")
    assert set(s.roster.plan.lines.values()) == {"p"} and len(s.roster.plan.lines) == 6


def test_without_roster_people_the_file_names_the_people(tmp_path):
    """roster.file alone (no [[roster.people]] lines): the file's people are simulated as it names
    them (each paid full time, roster.absence_probability), as the README documents."""
    import tomlkit

    d = saved_roster(tmp_path)
    d["roster"]["people"] = []
    d["roster"].pop("shifts")
    (tmp_path / "s.toml").write_text(tomlkit.dumps(d))
    s = load_scenario(tmp_path / "s.toml")
    assert s.roster.plan.people == [f"p-0{i}" for i in range(1, 7)]
    assert CliRunner().invoke(main, ["run", str(tmp_path / "s.toml"), "-r", "1", "--workers", "1"]).exit_code == 0
