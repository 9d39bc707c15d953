"""`ska-sim staff` (requirements, shift plans, rosters) and `erlang` (the calculator table)."""

from __future__ import annotations

import json
import sys

import click

from ska_sim.base.errors import Problem, ScenarioError

from ska_sim.base.limits import MAX_AGENTS_PER_INTERVAL, MAX_ERLANG_CALLS, MAX_ERLANG_LOAD

from ska_sim.cli.common import (
    FiniteRange,
    Progress,
    check_out,
    emit,
    executor_options,
    fail,
    format_option,
    handles_bad_input,
    load_scenario,
    replications_option,
    seed_option,
    set_option,
    warn_about,
)


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("--shifts", "shifts_file", type=click.Path(dir_okay=False), help="Shifts file (TOML): also find a shift plan.")
@click.option("--roster", "roster", is_flag=True,
              help="Also find a weekly roster of [roster]'s people (shifts from --shifts or roster.shifts): roster.csv.")
@click.option("--weeks", type=click.IntRange(1, 6), help="With --roster: the horizon in weeks (default roster.weeks).")
@click.option("--method", type=click.Choice(["erlang", "simulation"]), default="erlang", show_default=True,
              help="erlang: Erlang C/A per interval; simulation: iterate with the simulator from the Erlang plan.")
@click.option("--scope", type=click.Choice(["interval", "day", "window"]), default="interval", show_default=True,
              help="Where the targets must hold: every interval, each day as a whole, or the whole window.")
@click.option("--confidence", type=FiniteRange(0.0, 1.0, min_open=True, max_open=True),
              help="Also the cheapest plan whose chance of meeting every target over the window is at least this "
                   "(0-1, e.g. 0.9), against the scenario's forecast and its uncertainty. Not with --shifts or --roster.")
@replications_option("Replications per simulation.")
@seed_option("Root seed (default: the scenario's).")
@set_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write CSV tables, a coverage plot and manifest.json here.")
@format_option
@executor_options
@handles_bad_input
def staff(scenario_file, shifts_file, roster, weeks, method, scope, confidence, replications, seed, overrides, out_dir,
          fmt, executor) -> None:
    """How many agents SCENARIO needs per interval, in paid FTE, and in which shifts."""
    from ska_sim.report.output import write_staffing
    from ska_sim.report.text import staffing_text
    from ska_sim.scenario.shifts import load_shifts
    from ska_sim.plan.staffing import plan_staffing

    if weeks is not None and not roster:
        fail(["--weeks: only with --roster (the roster's horizon)"])
    if confidence is not None and (roster or shifts_file is not None):
        fail(["--confidence: not with --shifts or --roster (plan for the confidence first, then its shifts)"])
    if roster:  # warnings about the window are about the roster's horizon, the window planned
        from ska_sim.scenario import load_scenario as load_quietly
    else:
        load_quietly = load_scenario
    if weeks is not None:  # the horizon in use is --weeks: leave weeks are checked against it, named so
        try:
            scenario = load_quietly(scenario_file, [*overrides, f"roster.weeks={weeks}"])
        except ScenarioError as exc:
            raise ScenarioError([Problem(
                f"--weeks {weeks}" if p.source == f"--set roster.weeks={weeks}" else p.source, p.path,
                p.message.replace(f"(roster.weeks = {weeks})", f"(--weeks {weeks})")
                .replace(f"the horizon 1..{weeks}", f"the horizon 1..{weeks} (--weeks {weeks})"))
                for p in exc.problems]) from None
    else:
        scenario = load_quietly(scenario_file, overrides)
    if roster and scenario.roster is not None and scenario.roster.people:
        from ska_sim.plan.roster import horizon

        warn_about(horizon(scenario, weeks), overrides)
        w = weeks or scenario.roster.weeks
        if 7 * w != scenario.calendar.days:  # the roster's horizon is the window planned and simulated
            click.echo(f"note: --roster plans and simulates the roster's horizon, {w} week{'s' if w > 1 else ''} "
                       f"({7 * w} days) from calendar.start {scenario.calendar.start} "
                       f"({'--weeks' if weeks else 'roster.weeks'}), not calendar.days = {scenario.calendar.days}",
                       err=True)
    elif roster:
        warn_about(scenario, overrides)
    check_out(out_dir, "staff")
    if shifts_file is not None:
        from pathlib import Path

        if not Path(shifts_file).is_file():
            fail([f"--shifts {shifts_file}: " + ("not a file" if Path(shifts_file).exists() else "file not found")])
    if roster:
        from ska_sim.plan.roster import plan_roster, shifts_of
        from ska_sim.report.roster import roster_text
        from ska_sim.report.roster_output import write_roster

        shifts, shifts_file = shifts_of(scenario, shifts_file)
        progress = Progress("simulation iterations")
        quiet = fmt == "json" or not sys.stderr.isatty()
        try:
            rr = plan_roster(scenario, shifts, weeks, method, scope, replications, seed, progress=progress,
                             say=None if quiet else (lambda m: click.echo(f"... {m}", err=True)), executor=executor)
        finally:
            progress.close()
        if out_dir:
            from ska_sim.base.files import whole_folder

            with whole_folder(out_dir):  # both writers' files swapped in together
                write_staffing(rr.staffing, out_dir, source=scenario_file, overrides=overrides, shifts_file=shifts_file)
                write_roster(rr, out_dir)
        emit(rr, fmt, lambda: roster_text(rr), out_dir, "Tables, roster.csv and manifest")
        return
    shifts = load_shifts(shifts_file) if shifts_file else None
    progress = Progress("simulation iterations")
    quiet = fmt == "json" or not sys.stderr.isatty()
    try:
        result = plan_staffing(scenario, method, scope, shifts, replications, seed, progress=progress,
                               say=None if quiet else (lambda m: click.echo(f"... {m}", err=True)), executor=executor,
                               confidence=confidence)
    finally:
        progress.close()
    if out_dir:
        write_staffing(result, out_dir, source=scenario_file, overrides=overrides, shifts_file=shifts_file)
    emit(result, fmt, lambda: staffing_text(result), out_dir, "Tables, coverage plot and manifest")



def _interval_seconds(text: str) -> float:
    """'30min', '15min', '1h', '90s' or plain seconds (60 or more) -> seconds.

    A bare number under 60 is refused: ``--interval 30`` is far more likely to mean 30 minutes
    than 30 seconds, so it needs its unit (30min or 30s). Intervals run from 1 s to 24 h."""
    import re

    from ska_sim.base.limits import ERLANG_INTERVAL_S

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(h|hr|hour|hours|min|m|minutes|s|sec|seconds)?\s*", text)
    if not m:
        raise click.BadParameter(f"{text!r}: use e.g. 30min, 15min, 1h or seconds", param_hint="--interval")
    value, unit = float(m.group(1)), m.group(2)
    if unit is None and value < 60:
        hint = f"{m.group(1)}min (minutes) or {m.group(1)}s (seconds)" if value >= 1 else f"{m.group(1)}min (minutes)"
        raise click.BadParameter(f"{text!r}: a bare number is seconds; under 60 give the unit: {hint}",
                                 param_hint="--interval")
    seconds = value * {"h": 3600, "hr": 3600, "hour": 3600, "hours": 3600, "min": 60, "m": 60, "minutes": 60}.get(unit or "s", 1)
    lo, hi = ERLANG_INTERVAL_S
    if not lo <= seconds <= hi:
        raise click.BadParameter(f"{text!r}: must be from {lo:g} s to {hi / 3600:g} h (got {seconds:g} s)",
                                 param_hint="--interval")
    return seconds



@click.command()
@click.option("--calls", type=FiniteRange(min=0, max=MAX_ERLANG_CALLS), required=True,
              help=f"Calls offered per interval (at most {MAX_ERLANG_CALLS:,}).")
@click.option("--interval", "interval", default="30min", show_default=True,
              help="Interval length: 30min, 15min, 1h, 90s, or seconds (a bare number under 60 needs its unit).")
@click.option("--aht", type=FiniteRange(min=0, min_open=True), required=True, help="Mean handle time, seconds.")
@click.option("--agents", type=click.IntRange(min=0, max=MAX_AGENTS_PER_INTERVAL), help="Agents on the phones (without it: find the requirement).")
@click.option("--threshold", type=FiniteRange(min=0), default=20, show_default=True, help="Service-level threshold T, seconds.")
@click.option("--target", type=FiniteRange(0, 1), default=0.8, show_default=True, help="Service-level target (share within T).")
@click.option("--patience", type=FiniteRange(min=0, min_open=True), help="Mean patience, seconds: switches to Erlang A.")
@format_option
def erlang(calls, interval, aht, agents, threshold, target, patience, fmt) -> None:
    """Erlang C (or A, with --patience) table around the staffing requirement."""
    from ska_sim.report.erlang_text import erlang_table
    from ska_sim.maths.erlang import erlang_rows

    interval_s = _interval_seconds(interval)
    load = calls * aht / interval_s
    if load > MAX_ERLANG_LOAD:
        fail([f"--calls {calls:g} x --aht {aht:g} s / --interval {interval_s:g} s = {load:,.0f} Erlang: at most "
               f"{MAX_ERLANG_LOAD:,} (README, Limits)"])
    try:
        table = erlang_rows(calls, interval_s, aht, threshold, target, patience, agents)
    except ValueError as exc:
        fail([str(exc)])
    if fmt == "json":
        click.echo(json.dumps(table, indent=2, allow_nan=False))
    else:
        click.echo(erlang_table(table, calls, interval_s, aht, threshold, target, patience))
