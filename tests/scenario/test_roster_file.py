"""A saved roster (roster.file) is part of the model: the scenario's digest covers the file's
bytes, and a run's manifest records the roster file with its sha256 (like a shifts file)."""

from __future__ import annotations

import hashlib
import json

import pytest

from ska_sim.scenario.load import load_scenario
from ska_sim.scenario.roster import detach

from helpers import run_cli, saved_roster


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
    # one private field on the roster block, none on any other block of the scenario
    assert set(Roster.__private_attributes__) == {"_loaded"}
    assert {b.__name__ for b in blocks_of(Scenario) if b.__private_attributes__} == {"Roster"}
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
