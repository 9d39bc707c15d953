"""`ska-sim validate`, `run`, `compare`, `sweep`, `marginal` and `report`: simulate scenarios and what-ifs."""

from __future__ import annotations


from pathlib import Path

import click

from ska_sim.base.errors import ScenarioError

from ska_sim.cli.common import (
    Progress,
    agents_option,
    check_out,
    check_out_file,
    emit,
    executor_options,
    fail,
    format_option,
    handles_bad_input,
    load_scenario,
    replications_option,
    seed_option,
    set_option,
    spread_option,
    warn_about,
)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@set_option
def validate(files: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario (or shifts) FILES without running them (every problem, one line each)."""
    from ska_sim.scenario.load import read_toml
    from ska_sim.scenario.shifts import load_shifts

    problems: list[str] = []
    for f in files:
        try:
            data = read_toml(f)
            if "shifts" in data and "calendar" not in data:
                sh = load_shifts(f)
                click.echo(f"{f}: ok (shifts file; {len(sh.shifts)} shift types)")
                continue
            s = load_scenario(f, overrides)
            click.echo(f"{f}: ok ({s.name}; {s.calendar.days} days, {len(s.call_types)} call types)")
        except ScenarioError as exc:
            problems += [str(p) for p in exc.problems]
    if problems:
        fail(problems)


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@replications_option("Replications (default: the scenario's).")
@seed_option("Root seed (default: the scenario's).")
@set_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write CSV tables, manifest.json and a PNG here.")
@click.option("--record-calls", "record_file", type=click.Path(dir_okay=False),
              help="Also write the calls of the FIRST replication (replication 0, the same seed) as a call "
                   "log: FILE.csv or FILE.parquet (README: Call logs).")
@click.option("--per-replication", "per_rep_file", type=click.Path(dir_okay=False),
              help="Also write every count and time of every replication, one row per replication x call type "
                   "x answering group: FILE.csv or FILE.parquet (README: Per-replication tables).")
@format_option
@executor_options
@handles_bad_input
def run(scenario_file, replications, seed, overrides, out_dir, fmt, executor, record_file=None,
        per_rep_file=None) -> None:
    """Simulate SCENARIO and report its KPIs against the targets, beside Erlang C."""
    from ska_sim.plan.plan import run_with_people
    from ska_sim.report.costs import people_text
    from ska_sim.report.output import write_result
    from ska_sim.report.text import result_text
    from ska_sim.sim.runner import simulate

    scenario = load_scenario(scenario_file, overrides)
    check_out(out_dir, "run")
    for option, path in (("--record-calls", record_file), ("--per-replication", per_rep_file)):
        if path is not None:
            if not path.strip():
                fail([f"{option}: empty file name (give FILE.csv or FILE.parquet)"])
            if not path.lower().endswith((".csv", ".parquet")):
                fail([f"{option} {path}: the file name must end in .csv or .parquet"])
            check_out_file(path, option)
    if record_file is not None and per_rep_file is not None and Path(record_file).resolve() == Path(per_rep_file).resolve():
        fail([f"--per-replication {per_rep_file}: the same file as --record-calls"])
    progress = Progress("replications")
    try:
        result = simulate(scenario, replications=replications, seed=seed, progress=progress, executor=executor)
    finally:
        progress.close()
    done = run_with_people(result)  # the plan's people and money (plan/plan.py)
    if out_dir:
        write_result(result, out_dir, source=scenario_file, overrides=overrides, people=done.people)
    if record_file:  # replication 0 again, recording (the runs above do no per-call work)
        from ska_sim.calibration.log_writer import record_calls, write_log

        write_log(record_calls(scenario, result.seed, 0)[1], record_file)
    if per_rep_file:
        from ska_sim.report.output import write_table

        write_table(result.per_replication_calls, per_rep_file)
    emit(done, fmt, lambda: result_text(result) + "\n\n" + people_text(scenario, done.people), out_dir,
         "Tables, plot and manifest")
    if record_file and fmt != "json":
        click.echo(f"Call log of replication 0 written to {record_file}")
    if per_rep_file and fmt != "json":
        click.echo(f"Counts and times of all {result.replications} replications, per call type and group, "
                   f"written to {per_rep_file}")



@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("tokens", nargs=-1, required=True, type=click.UNPROCESSED, metavar="A.toml [--set K=V] B.toml ...")
@replications_option("Replications (default: the first scenario's).")
@seed_option("Root seed, shared by all (default: the first scenario's).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write comparison.csv, each scenario's tables and manifest.json here.")
@click.option("--allow-different-calendars", "allow_calendars", is_flag=True,
              help="Compare scenarios whose measured windows differ (start, days, interval, open days): "
                   "counts and hours then become rates per open day.")
@format_option
@executor_options
@handles_bad_input
def compare(tokens, replications, seed, out_dir, allow_calendars, fmt, executor) -> None:
    """Run scenarios with common random numbers; KPIs side by side with paired differences.

    A --set after a file applies to that file only (so one file can appear twice with
    different overrides); a --set before the first file applies to all. Scenarios must
    measure the same calendar window unless --allow-different-calendars is given.
    """
    from ska_sim.report.output import write_comparison
    from ska_sim.report.text import compare_text
    from ska_sim.plan.compare import compare as run_compare
    from ska_sim.plan.compare import parse_variants

    variants, common = parse_variants(list(tokens))
    if not variants:
        fail(["compare needs at least one scenario file"])
    problems, loaded = [], []
    for v in variants:
        try:
            s = warn_about(v.load(common))
            loaded.append((v.label_for(s, common), s))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    from ska_sim.plan.compare import check_windows

    check_windows(loaded, allow_calendars)  # before anything is simulated
    check_out(out_dir, "compare")
    progress = Progress("scenarios")
    try:
        cmp = run_compare(loaded, replications, seed, executor=executor, progress=progress,
                          allow_different_calendars=allow_calendars)
    finally:
        progress.close()
    if out_dir:
        write_comparison(cmp, out_dir, sources=[(v.path, [*common, *v.overrides]) for v in variants])
    emit(cmp, fmt, lambda: compare_text(cmp), out_dir)


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("--vary", "vary", multiple=True, required=True, metavar="KEY=START:STOP:STEP",
              help="A numeric scenario key and its values (STOP included), e.g. staffing.scale=0.8:1.3:0.05. Repeatable: a grid.")
@replications_option("Replications per point.")
@seed_option("Root seed, shared by every point.")
@set_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write sweep.csv, a plot per KPI and manifest.json here.")
@format_option
@executor_options
@handles_bad_input
def sweep(scenario_file, vary, replications, seed, overrides, out_dir, fmt, executor) -> None:
    """Vary scenario keys over a range: KPIs with intervals, and where every target is met."""
    from ska_sim.report.output import write_sweep
    from ska_sim.report.sweep import sweep_text
    from ska_sim.plan.sweep import parse_vary
    from ska_sim.plan.sweep import sweep as run_sweep

    problems, grid = [], []
    for v in vary:
        try:
            grid.append(parse_vary(v))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    base = load_scenario(scenario_file, overrides)  # the file with the common --set, before any --vary value
    check_out(out_dir, "sweep")
    progress = Progress("points")
    try:
        sw = run_sweep(scenario_file, grid, overrides, replications, seed, executor=executor, progress=progress)
    finally:
        progress.close()
    if out_dir:
        write_sweep(sw, out_dir, base_scenario=base, source=scenario_file, overrides=overrides)
    emit(sw, fmt, lambda: sweep_text(sw), out_dir, "Table and plots")


def _steps(agent_range: str, fte_range: str | None) -> tuple[str, list[int]]:
    """The marginal-value steps of `marginal` and `report`: ("agents", steps) from --agents, or
    ("fte", steps) from --fte; both given (--agents not left at its default) exits 2."""
    from click.core import ParameterSource

    from ska_sim.plan.marginal import parse_agent_range

    if fte_range is not None and click.get_current_context().get_parameter_source("agent_range") is not ParameterSource.DEFAULT:
        fail(["--agents and --fte: give one of them (steps in agents on the phones, or in FTE)"])
    if fte_range is not None:
        return "fte", parse_agent_range(fte_range, "--fte")
    return "agents", parse_agent_range(agent_range)


def fte_option(example: str):
    return click.option("--fte", "fte_range", default=None, metavar="FROM..TO",
                        help=f"Instead of --agents: full-time equivalents of paid time to add or remove, e.g. {example}.")


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@agents_option("-2..+4", "Agents on the phones to add or remove for every open hour.")
@fte_option("-1..+3")
@spread_option
@replications_option("Replications per step.")
@seed_option("Root seed, shared by every step.")
@set_option
@click.option("--group", "group", default=None, metavar="NAME",
              help="With [[groups]]: the agent group whose agents change (required then), e.g. ru_general.")
@click.option("--hours", "hours", default=None, metavar="HH:MM-HH:MM",
              help="Change the agents in these clock hours only, e.g. 10:00-14:00.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write marginal.csv and manifest.json here.")
@format_option
@executor_options
@handles_bad_input
def marginal(scenario_file, agent_range, fte_range, spread, replications, seed, group, hours, overrides, out_dir, fmt,
             executor) -> None:
    """What each agent (or FTE) more or fewer buys: service level, callers answered and lost, waiting hours, cost."""
    from ska_sim.report.output import write_marginal
    from ska_sim.report.text import marginal_text
    from ska_sim.plan.marginal import marginal as run_marginal
    from ska_sim.plan.marginal import marginal_target, parse_hours

    unit, steps = _steps(agent_range, fte_range)
    scenario = load_scenario(scenario_file, overrides)
    marginal_target(scenario, group)  # a bad --group or --hours: exit 2 before anything runs
    if hours is not None:
        parse_hours(hours)
    check_out(out_dir, "marginal")
    progress = Progress("steps")
    try:
        mg = run_marginal(scenario, steps, spread, replications, seed, executor=executor, progress=progress, unit=unit,
                          group=group, hours=hours)
    finally:
        progress.close()
    if out_dir:
        write_marginal(mg, scenario, out_dir, source=scenario_file, overrides=overrides)
    emit(mg, fmt, lambda: marginal_text(mg, scenario), out_dir)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("tokens", nargs=-1, required=True, type=click.UNPROCESSED,
                metavar="SCENARIO [--set K=V]... [--compare OTHER.toml [--set K=V]...]...")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="The HTML file to write.")
@agents_option("-2..+2", "Steps of the marginal-value table.")
@fte_option("-1..+1")
@spread_option
@replications_option("Replications (default: the scenario's).")
@seed_option("Root seed (default: the scenario's).")
@click.option("--allow-different-calendars", "allow_calendars", is_flag=True,
              help="Compare with scenarios whose measured windows differ: counts and hours as rates per open day.")
@executor_options
@handles_bad_input
def report(tokens, output, agent_range, fte_range, spread, replications, seed, allow_calendars, executor) -> None:
    """A self-contained HTML report of SCENARIO for a manager: verdicts, tables, plots, assumptions.

    --compare OTHER.toml shows another scenario side by side (repeatable). Each --set K=V
    applies to the file it follows: after SCENARIO to SCENARIO only, after --compare OTHER
    to OTHER only; a --set before SCENARIO applies to every file.
    """
    from ska_sim.base.files import write_text
    from ska_sim.report.html import build_report
    from ska_sim.sim.runner import simulate
    from ska_sim.plan.compare import compare, parse_report_tokens
    from ska_sim.plan.marginal import marginal

    main_variant, others, common = parse_report_tokens(list(tokens))
    unit, steps = _steps(agent_range, fte_range)
    problems, variants = [], []
    for v in (main_variant, *others):
        try:
            s = warn_about(v.load(common))
            variants.append((v.label_for(s, common), s))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    scenario = variants[0][1]
    if others:
        from ska_sim.plan.compare import check_windows

        check_windows(variants, allow_calendars)  # before anything is simulated
    check_out_file(output, "-o")
    if not output.lower().endswith((".html", ".htm")):  # the report is HTML: rep.pdf would be HTML misnamed
        fail([f"-o {output}: the report is an HTML file: give a name ending in .html (or .htm)"])
    if scenario.groups:  # marginal changes one group's agents: which one is the user's to say
        click.echo("note: no marginal-value table in the report: with [[groups]] a step changes one group's agents; "
                   f"ska-sim marginal {main_variant.path} --group NAME shows it per group", err=True)
    progress = Progress("marginal-value steps")
    try:
        result = simulate(scenario, replications=replications, seed=seed, executor=executor)
        mg = None if scenario.groups else marginal(scenario, steps, spread, replications, seed, executor=executor,
                                                    progress=progress, unit=unit)
        cmp = compare(variants, replications, seed, executor=executor,
                      allow_different_calendars=allow_calendars) if others else None
    finally:
        progress.close()
    write_text(output, build_report(result, mg, cmp, label=variants[0][0]))
    click.echo(f"Report written to {output}")
