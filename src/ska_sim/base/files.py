"""Writing files: every file is written atomically (a temporary file in the same
folder, then renamed), so an interrupted run never leaves a half-written file.

Before a command simulates, :func:`check_writable_dir` / :func:`check_writable_file` check
that its output can be written (bad paths are bad input: exit 2 before any work), and
:func:`reuse_warning` notices an ``--out`` folder holding another command's files. Every
table goes through :func:`write_csv`, which neutralises text cells a spreadsheet would run
as a formula."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.version import __version__


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file would be, not mkstemp's 0600
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def write_with(path: str | Path, writer: Callable[[Path], None]) -> None:
    """Let ``writer`` write a temporary file (a DataFrame's to_csv, a figure's savefig), then rename it."""
    with atomic_path(path) as tmp:
        writer(tmp)


def manifest(scenario, seed: int, replications: int, *, command: str | None = None, source: str | None = None,
             overrides: list[str] | tuple[str, ...] | None = None, **extra: Any) -> dict[str, Any]:
    """What reproduces a result: the command, the scenario file and every ``--set`` applied
    (when given), the scenario as loaded, its hash, the seed, the version."""
    head: dict[str, Any] = {"ska_sim_version": __version__}
    if command is not None:
        head["command"] = command
    if source is not None:
        head["source"] = str(source)
    if overrides is not None or source is not None:
        head["overrides"] = list(overrides or ())
    roster = getattr(scenario, "roster", None)
    if roster is not None and roster.plan is not None and roster.file_record is not None:
        extra = {"roster_file": roster.file_record, **extra}  # the saved roster simulated (a copy)
    return {
        **head,
        "scenario_name": scenario.name,
        "scenario_sha256": scenario.digest(),
        "seed": seed,
        "replications": replications,
        **extra,
        "scenario": scenario.to_dict(),
    }


# --------------------------------------------------------------------------- tables
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (``=1+1``, ``@SUM(...)``, ``-2+3``)
    gets a leading single quote (OWASP CSV injection); numbers, and text that is a plain
    number (``-2``), stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def csv_safe_frame(df):
    """``df`` with every text cell and column name passed through :func:`csv_safe` (a copy
    only when something changes)."""
    import pandas as pd

    text_cols = [c for c in df.columns if pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c])]
    names = [csv_safe(c) for c in df.columns]
    changed = {c: df[c].map(csv_safe) for c in text_cols}
    changed = {c: v for c, v in changed.items() if not v.equals(df[c])}
    if not changed and names == list(df.columns):
        return df
    out = df.copy()
    for c, v in changed.items():
        out[c] = v
    out.columns = names
    return out


def write_csv(path: str | Path, df) -> None:
    """The one way tables are written: formula-safe text, 6 significant digits, no index."""
    write_with(path, lambda p: csv_safe_frame(df).to_csv(p, index=False, float_format="%.6g"))


# --------------------------------------------------------------------------- output paths
def _bad_path(option: str, path: str | Path, reason: str):
    return ScenarioError([Problem(option, str(path), reason)])


def _nearest_existing(p: Path) -> Path:
    p = Path(os.path.abspath(p))
    while not (p.exists() or p.is_symlink()) and p != p.parent:
        p = p.parent
    return p


def _probe(folder: Path) -> str | None:
    """Create and remove a temporary file in ``folder``: None if that works, else why not."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ska-sim-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    os.unlink(tmp)
    return None


def _kind(p: Path) -> str:
    import stat

    mode = os.stat(p).st_mode
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a file"


def _check_parent(p: Path, option: str, shown: str | Path, what: str) -> None:
    """The folder ``p`` will be written in (created if missing): its nearest existing ancestor
    must be a folder in which files can be created. Creates nothing that stays."""
    base = _nearest_existing(p)
    if not base.is_dir():
        raise _bad_path(option, shown, f"cannot create {what}: {base} is {_kind(base)}, not a folder")
    why = _probe(base)
    if why is not None:
        raise _bad_path(option, shown, f"cannot write {what} in {base} ({why})")


def check_writable_dir(path: str | Path, option: str = "--out") -> None:
    """Raise ScenarioError (exit 2) unless ``path`` is, or can be created as, a folder files
    can be written in. Checked before simulating; leaves nothing behind."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise _bad_path(option, path, f"is {_kind(p)}, not a folder")
    _check_parent(p, option, path, "files")


def check_writable_file(path: str | Path, option: str = "-o") -> None:
    """Raise ScenarioError (exit 2) unless ``path`` can be written as a regular file (it is
    written beside and renamed over, so its folder must be writable too)."""
    p = Path(path)
    if p.exists():
        if p.is_dir():
            raise _bad_path(option, path, "is a folder, not a file")
        if not p.is_file():
            raise _bad_path(option, path, f"is {_kind(p)}, not a regular file")
    _check_parent(p.parent, option, path, "the file")


# which command's output a folder holds, for folders written before manifests named it
_MARKERS = {"summary.csv": "run", "requirements.csv": "staff", "comparison.csv": "compare", "sweep.csv": "sweep",
            "marginal.csv": "marginal"}


def previous_command(out_dir: str | Path) -> str | None:
    """The command whose output ``out_dir`` holds (its manifest's ``command``), or None."""
    p = Path(out_dir)
    if not p.is_dir():
        return None
    try:
        cmd = json.loads((p / "manifest.json").read_text(encoding="utf-8")).get("command")
        if isinstance(cmd, str):
            return cmd
    except (OSError, ValueError, AttributeError):
        pass
    for name, cmd in _MARKERS.items():
        if (p / name).exists():
            return cmd
    return None


def reuse_warning(out_dir: str | Path, command: str) -> str | None:
    """A warning when ``out_dir`` already holds another command's output (files are added beside)."""
    prev = previous_command(out_dir)
    if prev is None or prev == command:
        return None
    return (f"{out_dir} already holds output of `ska-sim {prev}`; the files of this `ska-sim {command}` are added beside "
            "them and manifest.json is replaced")


def file_record(path: str) -> dict:
    """An input file as a manifest records it: its path and the sha256 of its bytes."""

    return {"path": str(path), "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}
