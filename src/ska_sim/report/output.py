"""Result folders of run, staff, compare, sweep and marginal: tables, plots and manifest.json,
each folder written whole (ska_sim.base.files.whole_folder: the folder as it was, or every
file of the new result, whenever a signal stops the write)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ska_sim.base.files import file_record, manifest, write_csv, write_json, write_with, writes_whole_folder
from ska_sim.base.version import __version__
from ska_sim.report.plots import coverage_plot, service_level_by_interval, SWEEP_KPIS, sweep_plot


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """One table as FILE.csv (``write_csv``: formula-safe, 10 significant digits) or FILE.parquet
    (by the suffix), atomically."""
    if str(path).lower().endswith(".parquet"):
        write_with(path, lambda tmp: df.to_parquet(tmp, index=False))
    else:
        write_csv(path, df)


@writes_whole_folder
def write_result(result, out_dir: str | Path, plots: bool = True, *, source: str | None = None,
                 overrides: list[str] | tuple[str, ...] | None = None, command: str = "run",
                 people: dict | None = None) -> list[Path]:
    """summary.csv, targets.csv, intervals.csv, times_of_day.csv, days.csv, call_types.csv,
    people.csv (the plan's people and money, plan.plan_people, one row; when given), manifest.json
    and service_level.png in ``out_dir``. Returns the paths written."""
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
                                              ("group_intervals", result.group_intervals),
                                              ("written", getattr(result, "written", None))) if df is not None},
    }
    if people is not None:
        tables["people.csv"] = pd.DataFrame([people])
    for name, df in tables.items():
        write_csv(out / name, df)
        written.append(out / name)
    if plots:
        write_with(out / "service_level.png", lambda p: service_level_by_interval(result, p))
        written.append(out / "service_level.png")
    write_json(out / "manifest.json", manifest(result.scenario, result.seed, result.replications, command=command,
                                               source=source, overrides=overrides))
    written.append(out / "manifest.json")
    return written


@writes_whole_folder
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
        # with [[groups]]: hours, FTE and heads per group of the scenario's and the recommended plan
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
        write_with(out / "coverage.png", lambda p: coverage_plot(st, p))
        written.append(out / "coverage.png")
    write_json(
        out / "manifest.json",
        manifest(st.scenario, st.plan_result.seed, st.plan_result.replications, command="staff", source=source,
                 overrides=overrides, method=st.method, scope=st.scope, fte=st.fte,
                 **({"shifts": file_record(shifts_file)} if shifts_file else {})),
    )
    written.append(out / "manifest.json")
    return written


def _tables(out: Path, tables: dict) -> list[Path]:
    written = []
    for name, df in tables.items():
        write_csv(out / name, df)
        written.append(out / name)
    return written


@writes_whole_folder
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


@writes_whole_folder
def write_sweep(sw, out_dir: str | Path, *, base_scenario=None, source: str | None = None,
                overrides: list[str] | tuple[str, ...] | None = None) -> list[Path]:
    """sweep.csv, sweep-KPI.png for the main KPIs, manifest.json. The manifest holds
    ``base_scenario`` (the file with the common --set, before any --vary value) when given;
    without it, the first grid point's scenario, said so in ``scenario_is``."""
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


@writes_whole_folder
def write_marginal(mg, scenario, out_dir: str | Path, *, source: str | None = None,
                   overrides: list[str] | tuple[str, ...] | None = None) -> list[Path]:
    out = Path(out_dir)
    written = _tables(out, {"marginal.csv": mg.table})
    r0 = mg.results[0]
    write_json(out / "manifest.json", manifest(scenario, r0.seed, r0.replications, command="marginal", source=source,
                                               overrides=overrides, spread=mg.mode, window=getattr(mg, "window", None),
                                               **{k: v for k, v in (("group", getattr(mg, "group", None)),
                                                                    ("hours", getattr(mg, "hours", None))) if v}))
    return written + [out / "manifest.json"]
