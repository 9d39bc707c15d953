"""Ctrl-C during a parallel run: workers stop, nothing half-written, no traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT


def test_ctrl_c_stops_workers_and_writes_nothing(tmp_path):
    out = tmp_path / "interrupted-run"
    exe = Path(sys.executable).parent / "ska-sim"
    proc = subprocess.Popen(
        [str(exe), "run", str(ROOT / "scenarios" / "baseline.toml"), "-r", "200", "--workers", "2", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(4)  # well into the replications
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the run did not stop within 30 s of Ctrl-C") from None
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
    time.sleep(1)
    left = subprocess.run(["pgrep", "-f", str(out)], capture_output=True, text=True).stdout.split()
    assert left == [], f"worker processes still running: {left}"
