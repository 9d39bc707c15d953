"""Click's usage errors (a bad option value, a missing argument, an unknown command) are one
line on stderr like every other bad input, exit status 2; help, version and Ctrl-C keep theirs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def ska(*args: str) -> subprocess.CompletedProcess:
    """The installed console script (its name is the one the messages show)."""
    return subprocess.run([str(Path(sys.executable).parent / "ska-sim"), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("args, line", [
    (["run", "scenarios/baseline.toml", "-r", "0"],
     "error: Invalid value for '--replications' / '-r': 0 is not in the range 1<=x<=100000. (see ska-sim run --help)"),
    (["run", "scenarios"], "error: Invalid value for 'SCENARIO': File 'scenarios' is a directory. (see ska-sim run --help)"),
    (["erlang", "--calls", "abc"],
     "error: Invalid value for '--calls': 'abc' is not a valid float range. (see ska-sim erlang --help)"),
    (["nosuch"], "error: No such command 'nosuch'. (see ska-sim --help)"),
    (["run"], "error: Missing argument 'SCENARIO'. (see ska-sim run --help)"),
    (["staff", "scenarios/baseline.toml", "-r"], "error: Option '-r' requires an argument. (see ska-sim staff --help)"),
])
def test_a_usage_error_is_one_line_and_exit_2(args, line):
    r = ska(*args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [line], r.stderr


def test_help_and_version_exit_0():
    assert ska("--version").returncode == 0
    r = ska("run", "--help")
    assert r.returncode == 0 and "SCENARIO" in r.stdout
