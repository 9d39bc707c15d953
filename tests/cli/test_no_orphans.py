"""Worker processes die with their parent however it dies: `run --workers 2` and `serve --workers 2`
killed with SIGKILL (as the out-of-memory killer does) leave no process of theirs within 5 s.

The test waits until the workers exist and work (polling their pids, and for `serve` until the
page answers, which it does once its warm pool has started), then kills the parent."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import ska_sim
from conftest import ROOT
from ska_sim.base.interrupts import running as alive  # running: a zombie does not

SRC = str(Path(ska_sim.__file__).resolve().parents[1])
GONE_WITHIN_S = 5.0


def children(pid: int) -> list[int]:
    """The children of every thread of ``pid`` (warm workers are started by a server's threads)."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return sorted(out)


def descendants(pid: int) -> list[int]:
    """Children, their children and so on (a server's warm workers are its forkserver's children)."""
    out = children(pid)
    for c in list(out):
        out += descendants(c)
    return sorted(out)


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def ska_sim_process(*args: str, stderr: bool = False) -> subprocess.Popen:
    """``ska-sim ARGS`` from this tree, its stdout (and with ``stderr``, its stderr) piped."""
    return subprocess.Popen([sys.executable, "-c", "from ska_sim.cli.root import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE if stderr else subprocess.DEVNULL,
                            text=True, env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"})


def wait_for(condition, what: str, proc: subprocess.Popen, timeout_s: float = 180.0) -> None:
    """Poll ``condition`` until true (a limit only against a hang; it proves nothing)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert proc.poll() is None, f"the command ended (status {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} within {timeout_s:g} s"
        time.sleep(0.1)


def kill_parent_and_check(proc: subprocess.Popen, workers: list[int]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    check_gone(workers)


def check_gone(workers: list[int]) -> None:
    """Every one of ``workers`` ends within GONE_WITHIN_S (polled); those left are killed and named."""
    deadline = time.monotonic() + GONE_WITHIN_S
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [w for w in workers if alive(w)]
    for w in left:  # not to leave them running after a failure
        subprocess.run(["kill", "-9", str(w)], check=False)
    assert left == [], f"worker processes still running {GONE_WITHIN_S:g} s after the parent was killed: {left}"


def test_sigkill_of_run_leaves_no_worker():
    proc = ska_sim_process("run", str(ROOT / "scenarios" / "baseline.toml"), "-r", "5000", "--workers", "2")
    try:
        wait_for(lambda: len(children(proc.pid)) >= 2 and all(cpu_ticks(w) > 0 for w in children(proc.pid)),
                 "2 working worker processes", proc)
        workers = children(proc.pid)
        assert len(workers) == 2 and all(alive(w) for w in workers)
        kill_parent_and_check(proc, workers)
    finally:
        proc.kill()
        proc.wait()


def page_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_sigkill_of_serve_leaves_no_worker(tmp_path):
    proc = ska_sim_process("serve", "--workdir", str(tmp_path), "--port", "0", "--workers", "2")
    try:
        line = proc.stdout.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        # the page answers once the warm pool's workers have started (and each answered a ping)
        wait_for(lambda: page_answers(port), "answer from the page", proc)
        # the forkserver, its 2 workers and multiprocessing's resource tracker
        wait_for(lambda: len(descendants(proc.pid)) >= 4, "the forkserver's 2 workers", proc)
        workers = descendants(proc.pid)
        assert len(workers) >= 4 and all(alive(w) for w in workers), workers
        kill_parent_and_check(proc, workers)
    finally:
        proc.kill()
        proc.wait()
