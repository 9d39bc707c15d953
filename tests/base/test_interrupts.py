"""Ctrl-C or SIGTERM during a run: workers stop, nothing half-written, no traceback, and the
exit status a shell expects (130 for SIGINT, 143 for SIGTERM)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped has stopped: it holds no memory and runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _children(pid: int) -> list[int]:
    return [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]


# replications enough that the signal lands while they run (200 of the baseline week take about
# 4 s on 2 workers); a signal while the output folder is written is tested in
# tests/report/test_output_folder_signals.py and tests/cli/test_out_folder_signals.py
REPLICATIONS = "2000"


def _start(out: Path, workers: int) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "ska-sim"
    return subprocess.Popen(
        [str(exe), "run", str(ROOT / "scenarios" / "baseline.toml"), "-r", REPLICATIONS, "--workers", str(workers),
         "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _stop(proc: subprocess.Popen, signum: int) -> str:
    proc.send_signal(signum)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"the run did not stop within 30 s of {signal.Signals(signum).name}") from None
    return err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_the_workers_and_writes_nothing(tmp_path, signum):
    out = tmp_path / "interrupted-run"
    proc = _start(out, workers=2)
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    workers = _children(proc.pid)
    assert len(workers) == 2 and proc.poll() is None, proc.communicate()
    time.sleep(1)  # into the replications (2,000 take far longer)
    err = _stop(proc, signum)
    assert proc.returncode == EXIT_STATUS[signum], err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [w for w in workers if _alive(w)] == [], "worker processes still running"


def test_sigterm_stops_a_single_process_run_cleanly(tmp_path):
    out = tmp_path / "terminated-run"
    proc = _start(out, workers=1)
    time.sleep(4)  # well into the replications
    assert proc.poll() is None, proc.communicate()
    err = _stop(proc, signal.SIGTERM)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "terminated" in err
    assert not out.exists() or not any(out.iterdir())


def test_ctrl_c_leaves_no_process_running(tmp_path):
    out = tmp_path / "interrupted-run"
    proc = _start(out, workers=2)
    time.sleep(4)  # well into the replications
    assert proc.poll() is None, proc.communicate()
    err = _stop(proc, signal.SIGINT)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
    time.sleep(1)
    left = subprocess.run(["pgrep", "-f", str(out)], capture_output=True, text=True).stdout.split()
    assert left == [], f"worker processes still running: {left}"
