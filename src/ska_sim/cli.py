"""The ``ska-sim`` command line: parse, call the library, print or write. No model logic here.

Bad input (scenario files, ``--set`` options, command options) prints one line per problem
on stderr and exits with status 2, without a traceback.
"""

from __future__ import annotations

import functools
import importlib
import json
import math
import sys
import time

import click

from .limits import MAX_AGENTS_PER_INTERVAL, MAX_ERLANG_CALLS, MAX_ERLANG_LOAD



class _Lazy:
    """The scenario module, imported on first use (pydantic and numpy are slow to import)."""

    def __getattr__(self, name):
        from . import scenario

        return getattr(scenario, name)


_scenario = _Lazy()


def load_scenario(*args, **kwargs):
    """The scenario, validated; values that look like typing mistakes are warned about on stderr."""
    overrides = args[1] if len(args) > 1 else kwargs.get("overrides", ())
    return warn_about(_scenario.load_scenario(*args, **kwargs), overrides)


def warn_about(s, overrides=()):
    """Print the scenario's warnings (values that look like typing mistakes) on stderr."""
    for w in _scenario.scenario_warnings(s, overrides):
        click.echo(f"warning: {w}", err=True)
    return s


def check_out(out_dir: str | None, command: str, option: str = "--out") -> None:
    """Before simulating: the output folder can be written (else exit 2), and a warning when it
    holds another command's output. Nothing to do without ``--out``."""
    if out_dir:
        from .output import check_writable_dir, reuse_warning

        check_writable_dir(out_dir, option)
        w = reuse_warning(out_dir, command)
        if w:
            click.echo(f"warning: {w}", err=True)


def check_out_file(path: str, option: str = "-o") -> None:
    """Before simulating: the output file can be written (else exit 2)."""
    from .output import check_writable_file

    check_writable_file(path, option)


def _fail(problems: list[str]) -> None:
    for p in problems:
        click.echo(f"error: {p}", err=True)
    sys.exit(2)


def handles_bad_input(f):
    """Turn ScenarioError into one line per problem and exit status 2."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except _scenario.ScenarioError as exc:
            _fail([str(p) for p in exc.problems])

    return wrapper


def emit(doc, fmt: str, text, out_dir: str | None = None, what: str = "Tables") -> None:
    """Print a result as JSON (its ``to_json()``) or as text, and say where files went."""
    if fmt == "json":
        click.echo(json.dumps(doc.to_json(), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        click.echo(text())
        if out_dir:
            click.echo(f"{what} written to {out_dir}/")


class Progress:
    """A progress bar on stderr, shown once a run has taken more than a second, and only when
    stderr is a terminal (in a log or a pipe a bar is noise: click would print its bare label)."""

    def __init__(self, label: str, enabled: bool | None = None, after_s: float = 1.0):
        if enabled is None:
            enabled = self.is_terminal(sys.stderr)
        self.label, self.enabled, self.after_s = label, enabled, after_s
        self.t0 = time.monotonic()
        self.bar = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None and time.monotonic() - self.t0 > self.after_s and done < total:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_eta=True)
            self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(done - self.shown)
            self.shown = done
            if done >= total:
                self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    @staticmethod
    def is_terminal(stream) -> bool:
        try:
            return stream.isatty()
        except (AttributeError, ValueError):  # no isatty, or a closed stream
            return False


def replications_option(what: str = "Replications (default: the scenario's)."):
    from .limits import MAX_REPLICATIONS

    return click.option("--replications", "-r", type=click.IntRange(min=1, max=MAX_REPLICATIONS), help=what)


def seed_option(what: str = "Root seed (default: the scenario's)."):
    return click.option("--seed", type=click.IntRange(min=0), help=what)


def agents_option(default: str, what: str):
    return click.option("--agents", "agent_range", default=default, show_default=True, metavar="FROM..TO", help=what)


spread_option = click.option(
    "--spread", type=click.Choice(["proportional", "best"]), default="proportional", show_default=True,
    help="proportional: like the current staffing; best: where Erlang says they buy the most.",
)

format_option = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)

set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY.PATH=VALUE",
    help="Override a scenario value, e.g. --set staffing.scale=1.1 or --set call_types.pensions.resolved=0.8 "
    "(repeatable; validated like the file).",
)


def executor_options(f):
    """--workers and --scheduler, turned into an ``executor`` argument."""

    @click.option("--workers", type=click.IntRange(min=1), default=None,
                  help="Local processes running replications [default: the machine's cores]. Results do not depend on it.")
    @click.option("--scheduler", metavar="tcp://HOST:PORT", default=None, envvar="SKA_SIM_DASK_SCHEDULER",
                  help="Run replications on this Dask cluster instead (or set SKA_SIM_DASK_SCHEDULER). "
                       "Checked before anything runs; the connection is given 5 s.")
    @functools.wraps(f)
    def wrapper(*args, workers=None, scheduler=None, **kwargs):
        from click.core import ParameterSource

        from .runner import SCHEDULER_ENV, Executor

        ctx = click.get_current_context()
        source = SCHEDULER_ENV if ctx.get_parameter_source("scheduler") is ParameterSource.ENVIRONMENT else "--scheduler"
        try:  # a bad address fails here, before the scenario is read or simulated
            executor = Executor(workers, scheduler, source)
        except _scenario.ScenarioError as exc:
            _fail([str(p) for p in exc.problems])
        return f(*args, executor=executor, **kwargs)

    return wrapper


def _fresh_line() -> str:
    """A newline first on a terminal (the progress bar or ^C may be on the line), none in a log."""
    return "\n" if Progress.is_terminal(sys.stderr) else ""


class _Main(click.Group):
    """Ctrl-C and SIGTERM stop a command cleanly (workers stopped, no traceback, no half-written
    file) with exit status 130 and 143, as a shell reports a process killed by SIGINT / SIGTERM."""

    def invoke(self, ctx):
        from .interrupts import Terminated, sigterm_raises

        try:
            with sigterm_raises():
                return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo(_fresh_line() + "interrupted (Ctrl-C): stopped", err=True)
            ctx.exit(130)
        except Terminated:
            click.echo(_fresh_line() + "terminated (SIGTERM): stopped", err=True)
            ctx.exit(143)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ska-sim")
def main() -> None:
    """ska-sim: simulate a call centre's staffing plan and check it against its targets.

    Start with `ska-sim run scenarios/baseline.toml`.
    """


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@set_option
def validate(files: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario (or shifts) FILES without running them (every problem, one line each)."""
    from .scenario import read_toml
    from .shifts import load_shifts

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
        except _scenario.ScenarioError as exc:
            problems += [str(p) for p in exc.problems]
    if problems:
        _fail(problems)


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@replications_option("Replications (default: the scenario's).")
@seed_option("Root seed (default: the scenario's).")
@set_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write CSV tables, manifest.json and a PNG here.")
@click.option("--record-calls", "record_file", type=click.Path(dir_okay=False),
              help="Also write the calls of the FIRST replication (replication 0, the same seed) as a call "
                   "log: FILE.csv or FILE.parquet (README: Call logs).")
@format_option
@executor_options
@handles_bad_input
def run(scenario_file, replications, seed, overrides, out_dir, fmt, executor, record_file=None) -> None:
    """Simulate SCENARIO and report its KPIs against the targets, beside Erlang C."""
    from .output import write_result
    from .report.text import result_text
    from .runner import simulate

    scenario = load_scenario(scenario_file, overrides)
    check_out(out_dir, "run")
    if record_file is not None:
        if not record_file.strip():
            _fail(["--record-calls: empty file name (give FILE.csv or FILE.parquet)"])
        if not record_file.lower().endswith((".csv", ".parquet")):
            _fail([f"--record-calls {record_file}: the file name must end in .csv or .parquet"])
        check_out_file(record_file, "--record-calls")
    progress = Progress("replications")
    try:
        result = simulate(scenario, replications=replications, seed=seed, progress=progress, executor=executor)
    finally:
        progress.close()
    if out_dir:
        write_result(result, out_dir, source=scenario_file, overrides=overrides)
    if record_file:  # replication 0 again, recording (the runs above do no per-call work)
        from .calllog import record_calls, write_log

        write_log(record_calls(scenario, result.seed, 0)[1], record_file)
    emit(result, fmt, lambda: result_text(result), out_dir, "Tables, plot and manifest")
    if record_file and fmt != "json":
        click.echo(f"Call log of replication 0 written to {record_file}")


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("--shifts", "shifts_file", type=click.Path(dir_okay=False), help="Shifts file (TOML): also find a shift plan.")
@click.option("--roster", "roster", is_flag=True,
              help="Also find a weekly roster of [roster]'s people (shifts from --shifts or roster.shifts): roster.csv.")
@click.option("--weeks", type=click.IntRange(1, 6), help="With --roster: the horizon in weeks (default roster.weeks).")
@click.option("--method", type=click.Choice(["erlang", "simulation"]), default="erlang", show_default=True,
              help="erlang: Erlang C/A per interval; simulation: iterate with the simulator from the Erlang plan.")
@click.option("--scope", type=click.Choice(["interval", "day", "window"]), default="interval", show_default=True,
              help="Where the targets must hold: every interval, each day as a whole, or the whole window.")
@replications_option("Replications per simulation.")
@seed_option("Root seed (default: the scenario's).")
@set_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write CSV tables, a coverage plot and manifest.json here.")
@format_option
@executor_options
@handles_bad_input
def staff(scenario_file, shifts_file, roster, weeks, method, scope, replications, seed, overrides, out_dir, fmt,
          executor) -> None:
    """How many agents SCENARIO needs per interval, in paid FTE, and in which shifts."""
    from .output import write_staffing
    from .report.text import staffing_text
    from .shifts import load_shifts
    from .staffing import plan_staffing

    if weeks is not None and not roster:
        _fail(["--weeks: only with --roster (the roster's horizon)"])
    if weeks is not None:  # the horizon in use is --weeks: leave weeks are checked against it, named so
        try:
            scenario = load_scenario(scenario_file, [*overrides, f"roster.weeks={weeks}"])
        except _scenario.ScenarioError as exc:
            raise _scenario.ScenarioError([_scenario.Problem(
                f"--weeks {weeks}" if p.source == f"--set roster.weeks={weeks}" else p.source, p.path,
                p.message.replace(f"(roster.weeks = {weeks})", f"(--weeks {weeks})")
                .replace(f"the horizon 1..{weeks}", f"the horizon 1..{weeks} (--weeks {weeks})"))
                for p in exc.problems]) from None
    else:
        scenario = load_scenario(scenario_file, overrides)
    check_out(out_dir, "staff")
    if shifts_file is not None:
        from pathlib import Path

        if not Path(shifts_file).is_file():
            _fail([f"--shifts {shifts_file}: " + ("not a file" if Path(shifts_file).exists() else "file not found")])
    if roster:
        from .roster import plan_roster, roster_text, shifts_of, write_roster

        shifts, shifts_file = shifts_of(scenario, shifts_file)
        progress = Progress("simulation iterations")
        quiet = fmt == "json" or not sys.stderr.isatty()
        try:
            rr = plan_roster(scenario, shifts, weeks, method, scope, replications, seed, progress=progress,
                             say=None if quiet else (lambda m: click.echo(f"... {m}", err=True)), executor=executor)
        finally:
            progress.close()
        if out_dir:
            write_staffing(rr.staffing, out_dir, source=scenario_file, overrides=overrides, shifts_file=shifts_file)
            write_roster(rr, out_dir)
        emit(rr, fmt, lambda: roster_text(rr), out_dir, "Tables, roster.csv and manifest")
        return
    shifts = load_shifts(shifts_file) if shifts_file else None
    progress = Progress("simulation iterations")
    quiet = fmt == "json" or not sys.stderr.isatty()
    try:
        result = plan_staffing(scenario, method, scope, shifts, replications, seed, progress=progress,
                               say=None if quiet else (lambda m: click.echo(f"... {m}", err=True)), executor=executor)
    finally:
        progress.close()
    if out_dir:
        write_staffing(result, out_dir, source=scenario_file, overrides=overrides, shifts_file=shifts_file)
    emit(result, fmt, lambda: staffing_text(result), out_dir, "Tables, coverage plot and manifest")


@main.command(context_settings={"ignore_unknown_options": True})
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
    from .output import write_comparison
    from .report.text import compare_text
    from .whatif import compare as run_compare
    from .whatif import parse_variants

    variants, common = parse_variants(list(tokens))
    if not variants:
        _fail(["compare needs at least one scenario file"])
    problems, loaded = [], []
    for v in variants:
        try:
            s = warn_about(v.load(common))
            loaded.append((v.label_for(s, common), s))
        except _scenario.ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise _scenario.ScenarioError(problems)
    from .whatif import check_windows

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


@main.command()
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
    from .output import write_sweep
    from .report.text import sweep_text
    from .whatif import parse_vary
    from .whatif import sweep as run_sweep

    problems, grid = [], []
    for v in vary:
        try:
            grid.append(parse_vary(v))
        except _scenario.ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise _scenario.ScenarioError(problems)
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


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@agents_option("-2..+4", "Agents on the phones to add or remove for every open hour.")
@click.option("--fte", "fte_range", default=None, metavar="FROM..TO",
              help="Instead of --agents: full-time equivalents of paid time to add or remove, e.g. -1..+3.")
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
    from click.core import ParameterSource

    from .output import write_marginal
    from .report.text import marginal_text
    from .whatif import marginal as run_marginal
    from .whatif import marginal_target, parse_agent_range, parse_hours

    if fte_range is not None and click.get_current_context().get_parameter_source("agent_range") is not ParameterSource.DEFAULT:
        _fail(["--agents and --fte: give one of them (steps in agents on the phones, or in FTE)"])
    unit = "fte" if fte_range is not None else "agents"
    steps = parse_agent_range(fte_range, "--fte") if fte_range is not None else parse_agent_range(agent_range)
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


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("tokens", nargs=-1, required=True, type=click.UNPROCESSED,
                metavar="SCENARIO [--set K=V]... [--compare OTHER.toml [--set K=V]...]...")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="The HTML file to write.")
@agents_option("-2..+2", "Steps of the marginal-value table.")
@spread_option
@replications_option("Replications (default: the scenario's).")
@seed_option("Root seed (default: the scenario's).")
@click.option("--allow-different-calendars", "allow_calendars", is_flag=True,
              help="Compare with scenarios whose measured windows differ: counts and hours as rates per open day.")
@executor_options
@handles_bad_input
def report(tokens, output, agent_range, spread, replications, seed, allow_calendars, executor) -> None:
    """A self-contained HTML report of SCENARIO for a manager: verdicts, tables, plots, assumptions.

    --compare OTHER.toml shows another scenario side by side (repeatable). Each --set K=V
    applies to the file it follows: after SCENARIO to SCENARIO only, after --compare OTHER
    to OTHER only; a --set before SCENARIO applies to every file.
    """
    from .output import write_text
    from .report.html import build_report
    from .runner import simulate
    from .whatif import compare, marginal, parse_agent_range, parse_report_tokens

    main_variant, others, common = parse_report_tokens(list(tokens))
    steps = parse_agent_range(agent_range)
    problems, variants = [], []
    for v in (main_variant, *others):
        try:
            s = warn_about(v.load(common))
            variants.append((v.label_for(s, common), s))
        except _scenario.ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise _scenario.ScenarioError(problems)
    scenario = variants[0][1]
    if others:
        from .whatif import check_windows

        check_windows(variants, allow_calendars)  # before anything is simulated
    check_out_file(output, "-o")
    if not output.lower().endswith((".html", ".htm")):  # the report is HTML: rep.pdf would be HTML misnamed
        _fail([f"-o {output}: the report is an HTML file: give a name ending in .html (or .htm)"])
    progress = Progress("marginal-value steps")
    try:
        result = simulate(scenario, replications=replications, seed=seed, executor=executor)
        mg = None if scenario.groups else marginal(scenario, steps, spread, replications, seed, executor=executor,
                                                    progress=progress)
        cmp = compare(variants, replications, seed, executor=executor,
                      allow_different_calendars=allow_calendars) if others else None
    finally:
        progress.close()
    write_text(output, build_report(result, mg, cmp, label=variants[0][0]))
    click.echo(f"Report written to {output}")


def _interval_seconds(text: str) -> float:
    """'30min', '15min', '1h', '90s' or plain seconds (60 or more) -> seconds.

    A bare number under 60 is refused: ``--interval 30`` is far more likely to mean 30 minutes
    than 30 seconds, so it needs its unit (30min or 30s). Intervals run from 1 s to 24 h."""
    import re

    from .limits import ERLANG_INTERVAL_S

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


class _FiniteRange(click.FloatRange):
    """A FloatRange that also refuses nan and inf (click's ranges let nan through)."""

    def convert(self, value, param, ctx):
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


@main.command()
@click.option("--calls", type=_FiniteRange(min=0, max=MAX_ERLANG_CALLS), required=True,
              help=f"Calls offered per interval (at most {MAX_ERLANG_CALLS:,}).")
@click.option("--interval", "interval", default="30min", show_default=True,
              help="Interval length: 30min, 15min, 1h, 90s, or seconds (a bare number under 60 needs its unit).")
@click.option("--aht", type=_FiniteRange(min=0, min_open=True), required=True, help="Mean handle time, seconds.")
@click.option("--agents", type=click.IntRange(min=0, max=MAX_AGENTS_PER_INTERVAL), help="Agents on the phones (without it: find the requirement).")
@click.option("--threshold", type=_FiniteRange(min=0), default=20, show_default=True, help="Service-level threshold T, seconds.")
@click.option("--target", type=_FiniteRange(0, 1), default=0.8, show_default=True, help="Service-level target (share within T).")
@click.option("--patience", type=_FiniteRange(min=0, min_open=True), help="Mean patience, seconds: switches to Erlang A.")
@format_option
def erlang(calls, interval, aht, agents, threshold, target, patience, fmt) -> None:
    """Erlang C (or A, with --patience) table around the staffing requirement."""
    from .report.text import erlang_table
    from .erlang import erlang_rows

    interval_s = _interval_seconds(interval)
    load = calls * aht / interval_s
    if load > MAX_ERLANG_LOAD:
        _fail([f"--calls {calls:g} x --aht {aht:g} s / --interval {interval_s:g} s = {load:,.0f} Erlang: at most "
               f"{MAX_ERLANG_LOAD:,} (README, Limits)"])
    try:
        table = erlang_rows(calls, interval_s, aht, threshold, target, patience, agents)
    except ValueError as exc:
        _fail([str(exc)])
    if fmt == "json":
        click.echo(json.dumps(table, indent=2, allow_nan=False))
    else:
        click.echo(erlang_table(table, calls, interval_s, aht, threshold, target, patience))


# Commands that live in modules of their own register themselves on ``main`` when imported
# (keep their heavy imports inside the command functions: `ska-sim --help` stays fast).
for _module in ("cli_calendar", "cli_hiring", "cli_fit", "cli_backtest", "cli_serve"):
    importlib.import_module(f"{__package__}.{_module}")


if __name__ == "__main__":  # pragma: no cover
    main()
