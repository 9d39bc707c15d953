"""Writing result folders: every file is written atomically (a temporary file in the same
folder, then renamed), so an interrupted run never leaves a half-written file.

Before a command simulates, :func:`check_writable_dir` / :func:`check_writable_file` check
that its output can be written (bad paths are bad input: exit 2 before any work), and
:func:`reuse_warning` notices an ``--out`` folder holding another command's files. Every
table goes through :func:`write_csv`, which neutralises text cells a spreadsheet would run
as a formula."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from . import __version__


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
    if roster is not None and roster._plan is not None and roster._file_record is not None:
        extra = {"roster_file": dict(roster._file_record), **extra}  # the saved roster simulated
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
    from .scenario import Problem, ScenarioError

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


def write_result(result, out_dir: str | Path, plots: bool = True, *, source: str | None = None,
                 overrides: list[str] | tuple[str, ...] | None = None, command: str = "run") -> list[Path]:
    """summary.csv, targets.csv, intervals.csv, times_of_day.csv, days.csv, call_types.csv,
    manifest.json and service_level.png in ``out_dir``. Returns the paths written."""
    out = Path(out_dir)
    written = []
    tables = {
        "summary.csv": result.summary,
        "targets.csv": result.targets,
        "intervals.csv": result.intervals,
        "times_of_day.csv": result.times_of_day,
        "days.csv": result.days,
        "call_types.csv": result.call_types,
        **{f"{name}.csv": df for name, df in (("languages", result.languages), ("groups", result.groups),
                                              ("group_intervals", result.group_intervals)) if df is not None},
    }
    for name, df in tables.items():
        write_csv(out / name, df)
        written.append(out / name)
    if plots:
        from .report.plots import service_level_by_interval

        write_with(out / "service_level.png", lambda p: service_level_by_interval(result, p))
        written.append(out / "service_level.png")
    write_json(out / "manifest.json", manifest(result.scenario, result.seed, result.replications, command=command,
                                               source=source, overrides=overrides))
    written.append(out / "manifest.json")
    return written


def _file_record(path: str) -> dict:
    """An input file as a manifest records it: its path and the sha256 of its bytes."""
    import hashlib

    return {"path": str(path), "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}


def write_staffing(st, out_dir: str | Path, *, source: str | None = None,
                   overrides: list[str] | tuple[str, ...] | None = None, shifts_file: str | None = None) -> list[Path]:
    """requirements.csv (with [[groups]]: a row per interval and group, and groups.csv), scopes.csv,
    shift_plan.csv and coverage.csv (with shifts), the plan's
    simulated plan_summary.csv / plan_targets.csv / plan_intervals.csv, coverage.png, manifest.json."""
    out = Path(out_dir)
    tables = {
        "requirements.csv": st.requirements,
        "scopes.csv": st.scopes,
        "plan_summary.csv": st.plan_result.summary,
        "plan_targets.csv": st.plan_result.targets,
        "plan_intervals.csv": st.plan_result.intervals,
        **({"plans.csv": st.comparison} if st.comparison is not None else {}),
        # with [[groups]]: hours, FTE and heads per group of today's and the recommended plan
        **({"groups.csv": st.group_fte} if getattr(st, "group_fte", None) is not None else {}),
    }
    if st.shift_plan is not None:
        tables["shift_plan.csv"] = st.shift_plan
        tables["coverage.csv"] = st.coverage
    written = []
    for name, df in tables.items():
        write_csv(out / name, df)
        written.append(out / name)
    if st.coverage is not None:
        from .report.plots import coverage_plot

        write_with(out / "coverage.png", lambda p: coverage_plot(st, p))
        written.append(out / "coverage.png")
    write_json(
        out / "manifest.json",
        manifest(st.scenario, st.plan_result.seed, st.plan_result.replications, command="staff", source=source,
                 overrides=overrides, method=st.method, scope=st.scope, fte=st.fte,
                 **({"shifts": _file_record(shifts_file)} if shifts_file else {})),
    )
    written.append(out / "manifest.json")
    return written


def _tables(out: Path, tables: dict) -> list[Path]:
    written = []
    for name, df in tables.items():
        write_csv(out / name, df)
        written.append(out / name)
    return written


def write_comparison(cmp, out_dir: str | Path, *, sources: list[tuple[str, list[str]]] | None = None) -> list[Path]:
    """comparison.csv, then summary/targets/intervals of each scenario as N-*.csv, manifest.json.
    ``sources``: per scenario, (file, every --set applied to it, the common ones first)."""
    out = Path(out_dir)
    tables = {"comparison.csv": cmp.table}
    for i, r in enumerate(cmp.results):
        tables[f"{i}-summary.csv"] = r.summary
        tables[f"{i}-targets.csv"] = r.targets
        tables[f"{i}-intervals.csv"] = r.intervals
    written = _tables(out, tables)
    first = cmp.results[0]
    write_json(out / "manifest.json", {
        "ska_sim_version": __version__,
        "command": "compare",
        "seed": first.seed,
        "replications": first.replications,
        "scenarios": [
            manifest(r.scenario, r.seed, r.replications, label=label,
                     **(dict(source=sources[i][0], overrides=sources[i][1]) if sources else {}))
            for i, (label, r) in enumerate(zip(cmp.labels, cmp.results))
        ],
    })
    return written + [out / "manifest.json"]


def write_sweep(sw, out_dir: str | Path, *, base_scenario=None, source: str | None = None,
                overrides: list[str] | tuple[str, ...] | None = None) -> list[Path]:
    """sweep.csv, sweep-KPI.png for the main KPIs, manifest.json. The manifest holds
    ``base_scenario`` (the file with the common --set, before any --vary value) when given;
    without it, the first grid point's scenario, said so in ``scenario_is``."""
    from .report.plots import SWEEP_KPIS, sweep_plot

    out = Path(out_dir)
    written = _tables(out, {"sweep.csv": sw.table})
    for kpi in SWEEP_KPIS:
        write_with(out / f"sweep-{kpi}.png", lambda p, kpi=kpi: sweep_plot(sw, kpi, p))
        written.append(out / f"sweep-{kpi}.png")
    first = sw.results[0]
    base = base_scenario if base_scenario is not None else first.scenario
    is_what = "base (before --vary)" if base_scenario is not None else "first grid point"
    values = {k: [x.item() if hasattr(x, "item") else x for x in sw.table[k]] for k in sw.keys}  # per point
    write_json(out / "manifest.json", manifest(base, first.seed, first.replications, command="sweep", source=source,
                                               overrides=overrides, scenario_is=is_what, vary=sw.keys,
                                               vary_values=values, points=len(sw.results),
                                               meets_every_target=sw.bounds))
    return written + [out / "manifest.json"]


def write_marginal(mg, scenario, out_dir: str | Path, *, source: str | None = None,
                   overrides: list[str] | tuple[str, ...] | None = None) -> list[Path]:
    out = Path(out_dir)
    written = _tables(out, {"marginal.csv": mg.table})
    r0 = mg.results[0]
    write_json(out / "manifest.json", manifest(scenario, r0.seed, r0.replications, command="marginal", source=source,
                                               overrides=overrides, spread=mg.mode,
                                               **{k: v for k, v in (("group", getattr(mg, "group", None)),
                                                                    ("hours", getattr(mg, "hours", None))) if v}))
    return written + [out / "manifest.json"]
