"""Atomic files and whole folders (ska_sim.base.files): what a folder written whole keeps, where
it goes, and that SIGTERM at any line of writing a file leaves the old file or the new one and
no temporary file. Signals are sent from inside the write path, at every line in turn."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from ska_sim.base import files as files_module
from ska_sim.base import interrupts as interrupts_module
from ska_sim.base.files import check_writable_dir, whole_folder, write_text, writes_whole_folder
from ska_sim.base.interrupts import Terminated, deferred, sigterm_raises

WRITING = {str(Path(m.__file__).resolve()) for m in (files_module, interrupts_module)}


def send_at(k: int | None, signum: int = signal.SIGTERM):
    """A trace function sending ``signum`` to this process at the k-th line run in
    ska_sim.base.files / interrupts; its ``count`` is the lines run."""

    def trace(frame, event, arg):
        if frame.f_code.co_filename not in WRITING:
            return None
        if event == "line":
            trace.count += 1
            if trace.count == k:
                os.kill(os.getpid(), signum)
        return trace

    trace.count = 0
    return trace


def traced(trace, write) -> None:
    sys.settrace(trace)
    try:
        write()
    finally:
        sys.settrace(None)


@writes_whole_folder
def two_files(text: str, out_dir) -> list[Path]:
    write_text(Path(out_dir) / "a.txt", text)
    write_text(Path(out_dir) / "b.txt", text)
    return [Path(out_dir) / "a.txt", Path(out_dir) / "b.txt"]


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())} if folder.exists() else {}


def test_sigterm_at_any_line_of_writing_a_file_leaves_the_old_file_or_the_new_one(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    counter = send_at(None)
    traced(counter, lambda: write_text(target, "new"))
    assert counter.count > 5
    stopped = 0
    for k in range(1, counter.count + 1):
        target.write_text("old")
        try:
            with sigterm_raises():
                traced(send_at(k), lambda: write_text(target, "new"))
        except Terminated:
            stopped += 1
        assert target.read_text() in ("old", "new"), k
        assert [p.name for p in tmp_path.iterdir()] == ["out.txt"], f"signal at line {k}: {list(tmp_path.iterdir())}"
    assert stopped >= counter.count - 3


def test_sigterm_at_any_line_of_a_whole_folder_into_missing_folders_leaves_nothing(tmp_path):
    out = tmp_path / "a" / "b" / "out"
    counter = send_at(None)
    traced(counter, lambda: two_files("new", out))
    assert contents(out) == {"a.txt": "new", "b.txt": "new"}
    for k in range(1, counter.count + 1):
        files_module.remove_temporary(tmp_path / "a")
        try:
            with sigterm_raises():
                traced(send_at(k), lambda: two_files("new", out))
        except Terminated:
            pass
        if out.exists():
            assert contents(out) == {"a.txt": "new", "b.txt": "new"}, k
            assert [p.name for p in out.parent.iterdir()] == ["out"], k
        else:  # the folders made for it are gone too
            assert list(tmp_path.iterdir()) == [], f"signal at line {k}: {list(tmp_path.rglob('*'))}"


def test_a_whole_folder_keeps_the_files_it_does_not_write_and_its_mode(tmp_path):
    out = tmp_path / "out"
    out.mkdir(mode=0o750)
    os.chmod(out, 0o750)
    (out / "notes.txt").write_text("mine")
    (out / "sub").mkdir()
    (out / "sub" / "deep.txt").write_text("deep")
    (out / "a.txt").write_text("old")
    assert two_files("new", out) == [out / "a.txt", out / "b.txt"]
    assert (out / "notes.txt").read_text() == "mine" and (out / "sub" / "deep.txt").read_text() == "deep"
    assert (out / "a.txt").read_text() == "new" and (out / "b.txt").read_text() == "new"
    assert os.stat(out).st_mode & 0o777 == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_error_inside_a_whole_folder_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with whole_folder(out) as folder:
            write_text(folder / "a.txt", "new")
            write_text(folder / "c.txt", "new")
            raise RuntimeError("stop")
    assert contents(out) == {"a.txt": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_whole_folders_nest_into_one_swap(tmp_path):
    out = tmp_path / "out"
    with whole_folder(out) as folder:
        two_files("new", out)  # writes into the enclosing block's folder
        assert not out.exists()
        write_text(folder / "c.txt", "new")
    assert contents(out) == {"a.txt": "new", "b.txt": "new", "c.txt": "new"}


def test_a_symlinked_out_folder_stays_a_symlink_and_its_folder_gets_the_files(tmp_path):
    real = tmp_path / "elsewhere"
    real.mkdir()
    (real / "a.txt").write_text("old")
    link = tmp_path / "out"
    link.symlink_to(real, target_is_directory=True)
    two_files("new", link)
    assert link.is_symlink() and contents(real) == {"a.txt": "new", "b.txt": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "out"]


def test_the_current_folder_as_out_folder_stays_the_current_folder(tmp_path, monkeypatch):
    out = tmp_path / "here"
    out.mkdir()
    (out / "a.txt").write_text("old")
    (out / "notes.txt").write_text("mine")
    monkeypatch.chdir(out)
    before = os.stat(".").st_ino
    two_files("new", ".")
    assert os.stat(".").st_ino == before == os.stat(out).st_ino
    assert contents(out) == {"a.txt": "new", "b.txt": "new", "notes.txt": "mine"}
    assert [p.name for p in tmp_path.iterdir()] == ["here"]


def test_the_swap_without_renameat2_renames_twice_and_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old")
    monkeypatch.setattr(files_module, "exchange", lambda a, b: False)
    two_files("new", out)
    assert contents(out) == {"a.txt": "new", "b.txt": "new"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_deferred_signal_is_raised_when_the_block_ends(tmp_path):
    done = []
    with pytest.raises(Terminated):
        with sigterm_raises():
            with deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("after the signal")
    assert done == ["after the signal"]


def test_the_writability_probe_leaves_nothing_whatever_line_a_signal_lands_on(tmp_path):
    counter = send_at(None)
    traced(counter, lambda: check_writable_dir(tmp_path / "out"))
    for k in range(1, counter.count + 1):
        try:
            with sigterm_raises():
                traced(send_at(k), lambda: check_writable_dir(tmp_path / "out"))
        except Terminated:
            pass
        assert list(tmp_path.iterdir()) == [], f"signal at line {k}: {list(tmp_path.iterdir())}"


def test_an_out_folder_whose_parent_takes_no_sibling_gets_the_files_in_place(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old")
    (out / "notes.txt").write_text("mine")
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path else real(p, mode))
    inode = os.stat(out).st_ino
    two_files("new", out)
    assert os.stat(out).st_ino == inode
    assert contents(out) == {"a.txt": "new", "b.txt": "new", "notes.txt": "mine"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_sigterm_at_any_line_of_writing_into_the_current_folder_leaves_old_or_new_files(tmp_path, monkeypatch):
    out = tmp_path / "here"
    out.mkdir()
    monkeypatch.chdir(out)
    old = {"a.txt": "old", "b.txt": "old", "notes.txt": "mine"}
    new = {"a.txt": "new", "b.txt": "new", "notes.txt": "mine"}

    def reset():
        for p in out.iterdir():
            files_module.remove_temporary(p)
        for name, text in old.items():
            (out / name).write_text(text)

    reset()
    counter = send_at(None)
    traced(counter, lambda: two_files("new", out))
    assert contents(out) == new
    for k in range(1, counter.count + 1):
        reset()
        try:
            with sigterm_raises():
                traced(send_at(k), lambda: two_files("new", out))
        except Terminated:
            pass
        assert contents(out) in (old, new), f"signal at line {k}: {contents(out)}"
        assert [p.name for p in tmp_path.iterdir()] == ["here"]


def test_csv_tables_keep_euros_a_year_to_the_euro(tmp_path):
    """write_csv: 10 significant digits, so 1,354,704.3 EUR a year is written as it is (6 digits
    would give 1.3547e+06, 4 EUR off), and a float's rounding noise is not written."""
    import pandas as pd

    from ska_sim.base.files import write_csv

    write_csv(tmp_path / "t.csv", pd.DataFrame({"eur_per_year": [1354704.3], "x": [1.15 * 1.25 * 1.6]}))
    assert (tmp_path / "t.csv").read_text().splitlines() == ["eur_per_year,x", "1354704.3,2.3"]
