"""`ska-sim run --out` stopped by SIGTERM or Ctrl-C while its folder is written: exit 143 / 130,
and the folder still holds the earlier run (seed 1) byte for byte, with nothing beside it.
The signal is sent from inside the write (as the last file, manifest.json, or the plot is
written), not after a delay."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from ska_sim.cli import main

MINIMAL = ROOT / "tests" / "data" / "minimal.toml"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def run(out: Path, seed: int):
    return CliRunner().invoke(main, ["run", str(MINIMAL), "-r", "2", "--seed", str(seed), "--out", str(out)])


@pytest.mark.parametrize("signum, where, status", [(signal.SIGTERM, "write_json", 143),
                                                   (signal.SIGINT, "service_level_by_interval", 130)],
                         ids=["sigterm-at-manifest", "ctrl-c-at-plot"])
def test_a_signal_while_the_folder_is_written_leaves_the_earlier_run(tmp_path, monkeypatch, signum, where, status):
    import ska_sim.report.output as output

    out = tmp_path / "out"
    assert run(out, 1).exit_code == 0
    before = snapshot(out)
    assert b'"seed": 1' in before["manifest.json"]
    real = getattr(output, where)

    def signalled(*args, **kwargs):
        os.kill(os.getpid(), signum)
        return real(*args, **kwargs)

    monkeypatch.setattr(output, where, signalled)
    res = run(out, 2)
    assert res.exit_code == status, res.output
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    monkeypatch.setattr(output, where, real)
    assert run(out, 2).exit_code == 0
    after = snapshot(out)
    assert sorted(after) == sorted(before) and b'"seed": 2' in after["manifest.json"]
    assert after["summary.csv"] != before["summary.csv"]
