"""Writing files: every file is written atomically (a temporary file in the same
folder, then renamed), so an interrupted run never leaves a half-written file, and a result
folder is written whole (:func:`whole_folder`: a temporary sibling swapped in with a rename),
so an interrupted run leaves the folder as it was or the complete new one. Temporary files
and folders are named before they are created and removed in ``finally``, so none survives
SIGINT or SIGTERM, whatever the moment.

Before a command simulates, :func:`check_writable_dir` / :func:`check_writable_file` check
that its output can be written (bad paths are bad input: exit 2 before any work), and
:func:`reuse_warning` notices an ``--out`` folder holding another command's files. Every
table goes through :func:`write_csv`, which neutralises text cells a spreadsheet would run
as a formula."""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import secrets
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.interrupts import uninterrupted
from ska_sim.base.version import __version__


def temporary_name(path: Path, kind: str = "tmp") -> Path:
    """A hidden name beside ``path`` for a temporary file or folder: ``.NAME.RANDOM.KIND``."""
    return path.parent / f".{path.name}.{secrets.token_hex(6)}.{kind}"


def remove_temporary(path: Path) -> None:
    """Remove a temporary file or folder if it exists; SIGINT / SIGTERM wait until it is gone."""
    def remove() -> None:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.unlink(path)

    uninterrupted(remove)


def create_new_file(path: Path, mode: int = 0o666) -> None:
    """Create ``path`` as an empty file (``mode`` less the umask); FileExistsError if it exists."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only if the block succeeds.
    The name is chosen, and its removal promised, before the file exists."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        create_new_file(tmp)  # mode 0666 less the umask, as an ordinary new file would be
        yield tmp
        os.replace(tmp, path)
    finally:
        remove_temporary(tmp)


# --------------------------------------------------------------------------- whole folders
OPEN_FOLDERS: dict[Path, Path] = {}  # a folder being written whole -> the temporary folder written for it
RENAME_EXCHANGE = 2  # renameat2 flag (linux/fs.h): swap two paths in one step


def folder_of(out_dir: str | Path) -> Path:
    """The folder ``out_dir`` names, as an absolute path (a symlink to a folder: the folder)."""
    p = Path(out_dir)
    return Path(os.path.realpath(p)) if p.is_symlink() else Path(os.path.abspath(p))


def link_or_copy(src: str, dst: str) -> None:
    """``dst`` as a hard link to ``src`` (no copy of the bytes), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def exchange(a: Path, b: Path) -> bool:
    """Swap the paths ``a`` and ``b`` in one step (Linux renameat2); False where that is not possible."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd = -100  # AT_FDCWD
    return renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), RENAME_EXCHANGE) == 0


def inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def in_place(final: Path) -> bool:
    """Whether the existing folder ``final`` must take the new files in place rather than be
    swapped: it is (or holds) the current folder, which stays where it is, or its parent
    folder cannot take a sibling."""
    if not final.is_dir():
        return False
    try:
        here = Path(os.getcwd())
    except OSError:  # the current folder was removed
        here = None
    return (here is not None and inside(here, final)) or not os.access(final.parent, os.W_OK | os.X_OK)


def swap_in(new: Path, final: Path, old: Path, into: bool) -> None:
    """Put the folder ``new`` in place of ``final`` (the folder ``final`` was ends at ``old``,
    or at ``new``, for the caller to remove); with ``into``, rename the files of ``new`` into
    ``final`` instead. Call it with SIGINT / SIGTERM waiting."""
    if into:
        for entry in os.scandir(new):
            os.replace(entry.path, final / entry.name)
    elif not os.path.lexists(final):
        os.rename(new, final)
    elif not exchange(new, final):
        os.rename(final, old)
        os.rename(new, final)


def make_parents(folder: Path, created: list[Path]) -> None:
    """Create ``folder`` and its missing ancestors, each added to ``created`` before it exists."""
    missing = []
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for p in reversed(missing):
        created.append(p)
        os.mkdir(p)


def remove_created(created: list[Path]) -> None:
    """Remove the folders of ``created`` (from :func:`make_parents`) again, deepest first, while empty."""
    for p in reversed(created):
        try:
            os.rmdir(p)
        except FileNotFoundError:
            continue
        except OSError:
            break


@contextmanager
def whole_folder(out_dir: str | Path) -> Iterator[Path]:
    """Write the folder ``out_dir`` whole: yield a temporary folder beside it holding what it
    holds now (hard links: files written are added beside the others and replace those of the
    same name), and swap that folder in with a rename when the block ends without an exception.
    Whenever SIGINT, SIGTERM or an error stops the block, ``out_dir`` is as it was and no
    temporary file or folder is left. Inside the block, write to the yielded folder; a
    ``whole_folder`` of the same ``out_dir`` inside the block yields the same folder. When
    ``out_dir`` is (or holds) the current folder, or its parent cannot take a sibling, the
    temporary folder is made inside it and its files renamed in, with the signals waiting."""
    final = folder_of(out_dir)
    if final in OPEN_FOLDERS:
        yield OPEN_FOLDERS[final]
        return
    into = in_place(final)
    new, old = temporary_name(final / "ska-sim" if into else final, "new"), temporary_name(final, "old")
    created: list[Path] = []
    swapped = [False]

    def clean() -> None:  # safe to run twice
        OPEN_FOLDERS.pop(final, None)
        for p in (new, old):
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
        if not swapped[0]:
            remove_created(created)

    def swap_and_clean() -> None:  # the swap and the removal of the old folder, in one stretch
        if not swapped[0]:
            swap_in(new, final, old, into)
            swapped[0] = True
        clean()

    try:
        make_parents(final.parent, created)
        os.mkdir(new)
        if final.is_dir() and not into:
            shutil.copytree(final, new, symlinks=True, copy_function=link_or_copy, dirs_exist_ok=True)
        OPEN_FOLDERS[final] = new
        yield new
        uninterrupted(swap_and_clean)
    finally:
        uninterrupted(clean)


def writes_whole_folder(writer: Callable[..., list[Path]]) -> Callable[..., list[Path]]:
    """A writer of a result folder (an ``out_dir`` argument, returning the paths it wrote) made
    to write that folder whole (:func:`whole_folder`); the paths returned are in ``out_dir``."""
    signature = inspect.signature(writer)

    @functools.wraps(writer)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        out = Path(bound.arguments["out_dir"])
        with whole_folder(out) as folder:
            bound.arguments["out_dir"] = folder
            written = writer(*bound.args, **bound.kwargs)
        return [out / Path(p).relative_to(folder) for p in written]

    return wrapper


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
    """The one way tables are written: formula-safe text, 10 significant digits (euros a year to the euro), no index."""
    write_with(path, lambda p: csv_safe_frame(df).to_csv(p, index=False, float_format="%.10g"))


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
    tmp = folder / f".ska-sim-probe-{secrets.token_hex(6)}"

    def create_and_remove() -> None:
        try:
            create_new_file(tmp, 0o600)
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)

    try:
        uninterrupted(create_and_remove)  # with SIGINT / SIGTERM waiting: never left behind
    except OSError as exc:
        return exc.strerror or str(exc)
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
