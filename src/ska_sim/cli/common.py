"""What every ``ska-sim`` command shares: options, bad input to exit status 2, progress, output checks.

Bad input (scenario files, ``--set`` options, command options) prints one line per problem
on stderr and exits with status 2, without a traceback.
"""

from __future__ import annotations

import functools
import json
import math
import sys
import time
import traceback
from pathlib import Path

import click

from ska_sim.base.errors import ScenarioError






def load_scenario(*args, **kwargs):
    """The scenario, validated; values that look like typing mistakes are warned about on stderr."""
    overrides = args[1] if len(args) > 1 else kwargs.get("overrides", ())
    from ska_sim.scenario import load_scenario as load

    return warn_about(load(*args, **kwargs), overrides)


def warn_about(s, overrides=()):
    """Print the scenario's warnings (values that look like typing mistakes) on stderr."""
    from ska_sim.scenario import scenario_warnings

    for w in scenario_warnings(s, overrides):
        click.echo(f"warning: {w}", err=True)
    return s


def check_out(out_dir: str | None, command: str, option: str = "--out") -> None:
    """Before simulating: the output folder can be written (else exit 2), and a warning when it
    holds another command's output. Nothing to do without ``--out``."""
    if out_dir:
        from ska_sim.base.files import check_writable_dir, reuse_warning

        check_writable_dir(out_dir, option)
        w = reuse_warning(out_dir, command)
        if w:
            click.echo(f"warning: {w}", err=True)


def check_out_file(path: str, option: str = "-o") -> None:
    """Before simulating: the output file can be written (else exit 2)."""
    from ska_sim.base.files import check_writable_file

    check_writable_file(path, option)


def fail(problems: list[str]) -> None:
    for p in problems:
        click.echo(f"error: {p}", err=True)
    sys.exit(2)


def handles_bad_input(f):
    """Turn ScenarioError into one line per problem and exit status 2."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except ScenarioError as exc:
            fail([str(p) for p in exc.problems])

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
    from ska_sim.base.limits import MAX_REPLICATIONS

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

        from ska_sim.sim.executors import SCHEDULER_ENV, Executor

        ctx = click.get_current_context()
        source = SCHEDULER_ENV if ctx.get_parameter_source("scheduler") is ParameterSource.ENVIRONMENT else "--scheduler"
        try:  # a bad address fails here, before the scenario is read or simulated
            executor = Executor(workers, scheduler, source)
        except ScenarioError as exc:
            fail([str(p) for p in exc.problems])
        return f(*args, executor=executor, **kwargs)

    return wrapper


class FiniteRange(click.FloatRange):
    """A FloatRange that also refuses nan and inf (click's ranges let nan through)."""

    def convert(self, value, param, ctx):
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


def private_errors(f):
    """For commands that read a call log: LogError -> one line per problem, exit 2; any other
    unexpected exception -> its type and where it happened (file, line, function, source line),
    exit 1, but never its message or the values in play: those could quote a row of the log
    (a caller id). Apply inside handles_bad_input."""
    from ska_sim.calibration.logfile import LogError  # pandas and pyarrow: loaded with the command, not for --help

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except LogError as exc:
            for p in exc.problems:
                click.echo(f"error: {p}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - reported without its message (privacy)
            if isinstance(exc, ScenarioError):
                raise
            frames = traceback.extract_tb(exc.__traceback__)
            click.echo(f"internal error: {exc.__class__.__name__} (message withheld: it could quote the call log)",
                       err=True)
            for fr in frames[-6:]:
                click.echo(f"  {Path(fr.filename).name}:{fr.lineno} in {fr.name}: {(fr.line or '').strip()}", err=True)
            sys.exit(1)

    return wrapper
