"""A saved roster (roster.file) is part of the model: the scenario's digest covers the file's
bytes, and a run's manifest records the roster file with its sha256 (like a shifts file)."""

from __future__ import annotations

import hashlib
import json

from ska_sim.scenario.load import load_scenario
from ska_sim.scenario.roster import detach

from helpers import run_cli, saved_roster


def test_the_digest_follows_the_roster_files_bytes(tmp_path):
    saved_roster(tmp_path)
    f = tmp_path / "s.toml"
    before = load_scenario(f)
    rec = before.roster._file_record
    assert rec["sha256"] == hashlib.sha256((tmp_path / "roster.csv").read_bytes()).hexdigest()
    # the same file name, other agents: another model, another digest
    text = (tmp_path / "roster.csv").read_text().splitlines()
    (tmp_path / "roster.csv").write_text("\n".join([text[0]] + text[1:-1]) + "\n")  # one person-day fewer
    after = load_scenario(f)
    assert after.to_dict() == before.to_dict() and after.digest() != before.digest()
    # with the roster detached (its agents not simulated) the file's bytes do not count
    off = detach(before)
    assert off.roster._plan is None and off.roster._file_record is None
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
