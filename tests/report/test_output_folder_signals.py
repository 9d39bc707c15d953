"""A result folder written whole: SIGTERM (or Ctrl-C) at any moment of writing it leaves the
folder as it was (a fresh --out: no folder; an earlier run's folder: that run, byte for byte)
or the complete new result, and no temporary file or folder beside it.

The signal is sent from inside the write path: a trace function sends it at the k-th line run
in the writing modules, for every k, so every point is reached without relying on timing."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from helpers import mmc_dict

from ska_sim import scenario_from_dict
from ska_sim.base import files as files_module
from ska_sim.base import interrupts as interrupts_module
from ska_sim.base.interrupts import Terminated, sigterm_raises
from ska_sim.report import output as output_module
from ska_sim.report.output import write_result
from ska_sim.sim.runner import simulate

WRITING = {Path(m.__file__).resolve() for m in (files_module, interrupts_module, output_module)}
PURE = {"csv_safe", "csv_safe_frame"}  # text cells made safe, cell by cell: no file is touched there


class SignalAt:
    """A trace function sending ``signum`` to this process at the k-th line run in the writing
    modules (``count`` says how many lines the whole write ran, when no k is given)."""

    def __init__(self, k: int | None, signum: int = signal.SIGTERM):
        self.k, self.signum, self.count = k, signum, 0
        self.files = {str(p) for p in WRITING}

    def __call__(self, frame, event, arg):
        if frame.f_code.co_filename not in self.files or frame.f_code.co_name in PURE:
            return None
        if event == "line":
            self.count += 1
            if self.count == self.k:
                os.kill(os.getpid(), self.signum)
        return self

    def run(self, write):
        sys.settrace(self)
        try:
            write()
        finally:
            sys.settrace(None)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


@pytest.fixture(scope="module")
def results():
    s = scenario_from_dict(mmc_dict(days=2, replications=2))
    return simulate(s, seed=1), simulate(s, seed=2)


def complete(result, where: Path, plots: bool) -> dict[str, bytes]:
    """The folder a write of ``result`` makes, from nothing."""
    write_result(result, where, plots=plots)
    return snapshot(where)


def lines_run(write) -> int:
    counter = SignalAt(None)
    counter.run(write)
    return counter.count


def sweep(tmp_path: Path, result, before: dict[str, bytes] | None, plots: bool, every: int = 1) -> tuple[int, int]:
    """Send SIGTERM at every k-th line of writing ``result`` into ``out`` (holding ``before``,
    else missing); check each time that ``out`` is ``before`` or the complete new result and
    that nothing else is left. Returns (points tried, points where the write was stopped)."""
    new = complete(result, tmp_path / "reference", plots)
    old = tmp_path / "old"
    if before is not None:
        old.mkdir()
        for name, data in before.items():
            (old / name).write_bytes(data)
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"

    def fresh_start():
        for p in list(work.iterdir()):
            files_module.remove_temporary(p)
        if before is not None:
            out.mkdir()
            for name, data in before.items():
                (out / name).write_bytes(data)

    fresh_start()
    n = lines_run(lambda: write_result(result, out, plots=plots))
    assert n > 50, n
    print(f"{n} lines")
    stopped = 0
    for k in range(1, n + 1, every):
        fresh_start()
        try:
            with sigterm_raises():
                SignalAt(k).run(lambda: write_result(result, out, plots=plots))
        except Terminated:
            stopped += 1
        got = snapshot(out)
        assert got in ({} if before is None else before, new), (
            f"signal at line {k} of {n}: the folder holds {sorted(got)}, neither the old folder nor the new one")
        assert [p.name for p in work.iterdir()] in ([], ["out"]), f"signal at line {k}: left {list(work.iterdir())}"
    return len(range(1, n + 1, every)), stopped


def test_sigterm_anywhere_in_writing_a_fresh_folder_leaves_no_folder_or_the_whole_result(tmp_path, results):
    tried, stopped = sweep(tmp_path, results[1], None, plots=False)
    assert stopped >= tried - 5  # a signal at the very end lands after the swap: the new folder, exit by signal


def test_sigterm_anywhere_in_rewriting_a_folder_leaves_the_earlier_run_or_the_whole_new_one(tmp_path, results):
    first = tmp_path / "seed1"
    before = complete(results[0], first, plots=False)
    assert b'"seed": 1' in before["manifest.json"]
    tried, stopped = sweep(tmp_path, results[1], before, plots=False)
    assert stopped >= tried - 5


def test_sigterm_while_plots_are_written_leaves_the_earlier_run_or_the_whole_new_one(tmp_path, results):
    first = tmp_path / "seed1"
    before = complete(results[0], first, plots=True)
    assert "service_level.png" in before
    sweep(tmp_path, results[1], before, plots=True, every=7)


def test_ctrl_c_while_a_folder_is_swapped_in_waits_for_the_swap(tmp_path, results):
    """SIGINT sent inside the swap is delivered when the swap is done: the new folder is whole."""
    before = complete(results[0], tmp_path / "out", plots=False)
    new = complete(results[1], tmp_path / "reference", plots=False)
    assert before != new

    real = files_module.exchange

    def exchange_then_signal(a, b):
        os.kill(os.getpid(), signal.SIGINT)
        return real(a, b)

    files_module.exchange = exchange_then_signal
    try:
        with pytest.raises(KeyboardInterrupt):
            write_result(results[1], tmp_path / "out", plots=False)
    finally:
        files_module.exchange = real
    assert snapshot(tmp_path / "out") == new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "reference"]
