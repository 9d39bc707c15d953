"""`ska-sim run` and `validate` end to end: table, JSON, output folder, reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import ROOT
from ska_sim import load_scenario
from ska_sim.cli import main

MINIMAL = ROOT / "tests" / "data" / "minimal.toml"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_every_shipped_scenario_validates(path):
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 0, res.output
    assert ": ok" in res.output


def test_run_json_has_the_documented_shape():
    res = CliRunner().invoke(main, ["run", str(MINIMAL), "--format", "json", "-r", "3", "--seed", "4"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["scenario"] == "minimal" and doc["seed"] == 4 and doc["replications"] == 3
    for k in ("service_level", "answer_rate", "abandon_rate", "asa_s", "fcr", "offered", "occupancy",
              "wait_p90_s", "repeat_contact_share", "redial_share", "unanswered_at_close"):
        assert set(doc["kpis"][k]) >= {"mean", "ci_low", "ci_high"}, k
    kpis = {t["kpi"]: t for t in doc["targets"]}
    assert set(kpis) == {"service_level", "answer_rate"}
    for t in doc["targets"]:
        assert t["status"] in ("PASS", "FAIL", "UNCERTAIN")
        assert 0 <= t["days_met_share"] <= 1
    assert len(doc["intervals"]) == 6  # 2 days x 3 hourly intervals
    iv = doc["intervals"][0]
    assert {"date", "time", "agents", "service_level", "erlang_c_service_level", "erlang_c_differs"} <= set(iv)
    # minimal.toml has (exponential) patience: Erlang A sits beside Erlang C, and is never below it
    assert iv["erlang_a_service_level"] >= iv["erlang_c_service_level"] - 1e-12
    assert 0 < doc["erlang_c"]["erlang_a_abandon_rate"] < 1


def test_run_table_shows_targets_and_erlang():
    res = CliRunner().invoke(main, ["run", str(MINIMAL), "-r", "2"])
    assert res.exit_code == 0, res.output
    assert "service level (20 s)" in res.output
    assert "Erlang C cross-check" in res.output
    assert any(s in res.output for s in ("PASS", "FAIL", "UNCERTAIN"))


def test_out_folder_has_all_files_and_matches_json(tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["run", str(MINIMAL), "-r", "3", "--out", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    assert {"summary.csv", "intervals.csv", "days.csv", "manifest.json", "service_level.png"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    doc = json.loads(res.output)
    summary = pd.read_csv(out / "summary.csv").set_index("kpi")
    assert summary.loc["service_level", "mean"] == pytest.approx(doc["kpis"]["service_level"]["mean"], rel=1e-5)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 1 and manifest["replications"] == 3
    assert manifest["scenario_sha256"] == load_scenario(MINIMAL).digest()
    assert manifest["scenario"]["calendar"]["hours"]["mon"] == ["09:00", "12:00"]
    assert (out / "service_level.png").read_bytes()[:4] == b"\x89PNG"


def test_same_seed_gives_identical_output_files(tmp_path):
    for name in ("a", "b"):
        res = CliRunner().invoke(main, ["run", str(MINIMAL), "-r", "2", "--out", str(tmp_path / name)])
        assert res.exit_code == 0
    for f in ("summary.csv", "intervals.csv", "days.csv", "manifest.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_interrupted_write_leaves_no_half_written_file(tmp_path, monkeypatch):
    import ska_sim.report.output as plots  # where write_result finds the plot

    def boom(result, path):
        Path(path).write_bytes(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "service_level_by_interval", boom)
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["run", str(MINIMAL), "-r", "2", "--out", str(out)])
    assert res.exit_code != 0
    assert not out.exists()  # the folder is written whole: a fresh one is not there at all
    assert list(tmp_path.iterdir()) == []  # nor any temporary file or folder


def test_console_script_runs_without_traceback(tmp_path):
    exe = Path(sys.executable).parent / "ska-sim"
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL.read_text().replace("days = 2", "days = 0"))
    res = subprocess.run([str(exe), "run", str(bad)], capture_output=True, text=True)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and "calendar.days" in res.stderr
    ok = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and "run" in ok.stdout
