"""The executor's options and the command line's cost: a bad or absent Dask scheduler is one
line and exit 2, the t quantile needs no scipy.stats, and no progress bar litters a log."""

from __future__ import annotations

import functools
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

from ska_sim.cli import common as cli
from ska_sim.cli import simulate as cli_simulate
from ska_sim.cli import main
from ska_sim.sim.kpi import summarise

from conftest import ROOT

MINIMAL = str(ROOT / "tests" / "data" / "minimal.toml")


@pytest.mark.parametrize("address, why", [
    ("nonsense", "no port"),
    ("http://x", "'http://' is not a protocol"),
    ("tcp://host", "no port"),
    ("tcp://host:99999", "not a number from 1 to 65535"),
    ("tcp://:8786", "no HOST"),
    ("tcp://host:8786/path", "only HOST:PORT"),
    ("", "no HOST"),
])
def test_a_scheduler_that_is_not_an_address_is_refused_before_anything_runs(tmp_path, address, why):
    out = tmp_path / "out"
    # the scenario does not exist: the scheduler is checked first, before any file is read
    r = CliRunner().invoke(main, ["run", str(tmp_path / "missing.toml"), "--scheduler", address, "--out", str(out)])
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --scheduler: ") and why in lines[0], r.stderr
    assert "use tcp://HOST:PORT" in lines[0]
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert not out.exists()


def test_the_environment_variable_gets_the_same_check_and_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("SKA_SIM_DASK_SCHEDULER", "http://x")
    r = CliRunner().invoke(main, ["run", str(tmp_path / "missing.toml")])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        "error: SKA_SIM_DASK_SCHEDULER: 'http://x' is not a Dask scheduler address: "
        "'http://' is not a protocol Dask speaks (tcp, tls, ws, wss, ucx); use tcp://HOST:PORT"]


def test_host_and_port_alone_mean_tcp():
    from ska_sim.sim.executors import Executor

    assert Executor(scheduler="127.0.0.1:8786").scheduler == "tcp://127.0.0.1:8786"
    assert Executor(scheduler="tls://[::1]:8786").scheduler == "tls://[::1]:8786"


@pytest.mark.parametrize("via_env", [False, True], ids=["option", "environment"])
def test_a_scheduler_that_is_not_there_fails_within_the_stated_timeout(monkeypatch, via_env):
    import distributed  # noqa: F401  (a dev dependency: the test must run, not skip)
    address = "tcp://127.0.0.1:1"  # loopback, a port nothing listens on
    args = ["run", MINIMAL, "-r", "2"]
    if via_env:
        monkeypatch.setenv("SKA_SIM_DASK_SCHEDULER", address)
    else:
        args += ["--scheduler", address]
    t0 = time.monotonic()
    r = CliRunner().invoke(main, args)
    elapsed_s = time.monotonic() - t0
    source = "SKA_SIM_DASK_SCHEDULER" if via_env else "--scheduler"
    assert r.exit_code == 2, (r.output, r.exception)
    assert r.stderr.strip().splitlines() == [
        f"error: {source}: could not reach the Dask scheduler at tcp://127.0.0.1:1 within 5 s"]
    assert "Traceback" not in r.output
    assert elapsed_s < 25  # the 5 s timeout is honoured (distributed's default is 30 s); generous for a busy machine


def test_t_quantile_without_scipy_stats_is_scipy_stats_quantile():
    from scipy.special import stdtrit
    from scipy.stats import t

    df = np.array([1, 2, 3, 4, 5, 9, 19, 29, 99, 999])
    assert np.array_equal(stdtrit(df, 0.975), t.ppf(0.975, df))
    # and summarise uses it: mean +- t(n-1) s / sqrt(n), NaN-aware per column
    values = np.array([[1.0, 2.0], [2.0, np.nan], [4.0, 6.0], [5.0, 7.0]])
    mean, lo, hi = summarise(values)
    for col in range(2):
        v = values[:, col][~np.isnan(values[:, col])]
        half = t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
        assert mean[col] == pytest.approx(v.mean(), rel=1e-15)
        assert hi[col] - mean[col] == pytest.approx(half, rel=1e-12)
        assert mean[col] - lo[col] == pytest.approx(half, rel=1e-12)


def test_run_does_not_import_scipy_stats_or_matplotlib():
    code = (
        "import sys\n"
        "from ska_sim.cli import main\n"
        f"main(['run', {MINIMAL!r}, '-r', '2', '--workers', '1', '--format', 'json'], standalone_mode=False)\n"
        "heavy = [m for m in ('scipy.stats', 'matplotlib', 'distributed') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "HEAVY []" in r.stderr, r.stderr


def test_no_progress_bar_words_when_stderr_is_not_a_terminal(monkeypatch):
    # show the bar at once (as in a run longer than a second); CliRunner's stderr is not a terminal
    monkeypatch.setattr(cli_simulate, "Progress", functools.partial(cli.Progress, after_s=0))
    r = CliRunner().invoke(main, ["run", MINIMAL, "-r", "3", "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "replications" not in r.stderr, r.stderr


def test_the_progress_bar_still_shows_on_a_terminal(monkeypatch):
    class Terminal:
        def __init__(self):
            self.text = []

        def isatty(self):
            return True

        def write(self, s):
            self.text.append(s)

        def flush(self):
            pass

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    p = cli.Progress("replications", after_s=0)
    assert p.enabled
    for done in range(1, 4):
        p(done, 3)
    p.close()
    assert "replications" in "".join(term.text)


def _loopback_server(reply: bytes | None):
    """A TCP server on loopback that accepts connections and answers ``reply`` (then closes),
    or never answers (``reply=None``): not a Dask scheduler."""
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    stop = threading.Event()
    held = []

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            if reply is None:
                held.append(conn)  # keep it open, say nothing
            else:
                try:
                    conn.recv(65536)
                    conn.sendall(reply)
                finally:
                    conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv, stop, held


@pytest.mark.parametrize("reply", [None, b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n"],
                         ids=["silent listener", "http server"])
def test_something_that_is_not_a_dask_scheduler_fails_in_one_line(reply):
    import distributed  # noqa: F401  (a dev dependency: the test must run, not skip)
    srv, stop, held = _loopback_server(reply)
    address = f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    try:
        t0 = time.monotonic()
        r = CliRunner().invoke(main, ["run", MINIMAL, "-r", "2", "--scheduler", address])
        elapsed_s = time.monotonic() - t0
    finally:
        stop.set()
        for c in held:
            c.close()
        srv.close()
    assert r.exit_code == 2, (r.output, r.exception)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --scheduler: ") and address in lines[0], lines
    assert "Traceback" not in r.output
    assert elapsed_s < 40  # the connection and its handshake get 2 x 5 s; generous for a busy machine
