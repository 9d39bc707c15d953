"""Writing result folders: every file is written atomically (a temporary file in the same
folder, then renamed), so an interrupted run never leaves a half-written file."""

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


def manifest(scenario, seed: int, replications: int, **extra: Any) -> dict[str, Any]:
    """What reproduces a result: the scenario as loaded, its hash, the seed, the version."""
    return {
        "ska_sim_version": __version__,
        "scenario_name": scenario.name,
        "scenario_sha256": scenario.digest(),
        "seed": seed,
        "replications": replications,
        **extra,
        "scenario": scenario.to_dict(),
    }


def write_result(result, out_dir: str | Path, plots: bool = True) -> list[Path]:
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
    }
    for name, df in tables.items():
        write_with(out / name, lambda p, df=df: df.to_csv(p, index=False, float_format="%.6g"))
        written.append(out / name)
    if plots:
        from .report.plots import service_level_by_interval

        write_with(out / "service_level.png", lambda p: service_level_by_interval(result, p))
        written.append(out / "service_level.png")
    write_json(out / "manifest.json", manifest(result.scenario, result.seed, result.replications))
    written.append(out / "manifest.json")
    return written


def write_staffing(st, out_dir: str | Path) -> list[Path]:
    """requirements.csv, scopes.csv, shift_plan.csv and coverage.csv (with shifts), the plan's
    simulated plan_summary.csv / plan_targets.csv / plan_intervals.csv, coverage.png, manifest.json."""
    out = Path(out_dir)
    tables = {
        "requirements.csv": st.requirements,
        "scopes.csv": st.scopes,
        "plan_summary.csv": st.plan_result.summary,
        "plan_targets.csv": st.plan_result.targets,
        "plan_intervals.csv": st.plan_result.intervals,
    }
    if st.shift_plan is not None:
        tables["shift_plan.csv"] = st.shift_plan
        tables["coverage.csv"] = st.coverage
    written = []
    for name, df in tables.items():
        write_with(out / name, lambda p, df=df: df.to_csv(p, index=False, float_format="%.6g"))
        written.append(out / name)
    if st.coverage is not None:
        from .report.plots import coverage_plot

        write_with(out / "coverage.png", lambda p: coverage_plot(st, p))
        written.append(out / "coverage.png")
    write_json(
        out / "manifest.json",
        manifest(st.scenario, st.plan_result.seed, st.plan_result.replications, method=st.method, scope=st.scope,
                 fte=st.fte),
    )
    written.append(out / "manifest.json")
    return written


def _tables(out: Path, tables: dict) -> list[Path]:
    written = []
    for name, df in tables.items():
        write_with(out / name, lambda p, df=df: df.to_csv(p, index=False, float_format="%.6g"))
        written.append(out / name)
    return written


def write_comparison(cmp, out_dir: str | Path) -> list[Path]:
    """comparison.csv, then summary/targets/intervals of each scenario as N-*.csv, manifest.json."""
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
        "seed": first.seed,
        "replications": first.replications,
        "scenarios": [manifest(r.scenario, r.seed, r.replications, label=label) for label, r in zip(cmp.labels, cmp.results)],
    })
    return written + [out / "manifest.json"]


def write_sweep(sw, out_dir: str | Path) -> list[Path]:
    """sweep.csv, sweep-KPI.png for the main KPIs, manifest.json."""
    from .report.plots import SWEEP_KPIS, sweep_plot

    out = Path(out_dir)
    written = _tables(out, {"sweep.csv": sw.table})
    for kpi in SWEEP_KPIS:
        write_with(out / f"sweep-{kpi}.png", lambda p, kpi=kpi: sweep_plot(sw, kpi, p))
        written.append(out / f"sweep-{kpi}.png")
    first = sw.results[0]
    write_json(out / "manifest.json", manifest(first.scenario, first.seed, first.replications, vary=sw.keys,
                                               points=len(sw.results), meets_every_target=sw.bounds))
    return written + [out / "manifest.json"]


def write_marginal(mg, scenario, out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    written = _tables(out, {"marginal.csv": mg.table})
    r0 = mg.results[0]
    write_json(out / "manifest.json", manifest(scenario, r0.seed, r0.replications, spread=mg.mode))
    return written + [out / "manifest.json"]
