"""The ``ska-sim`` command: one group, each command group's module added with ``add_command``.

Ctrl-C and SIGTERM stop a command cleanly (workers stopped, no traceback, no half-written
file) with exit status 130 and 143. Heavy imports stay inside the commands, so that
``ska-sim --help`` starts fast.
"""

from __future__ import annotations

import sys

import click

from ska_sim.cli import backtest, calendar, fit, forecast, hiring, serve, simulate, staff
from ska_sim.cli.common import Progress


def _fresh_line() -> str:
    """A newline first on a terminal (the progress bar or ^C may be on the line), none in a log."""
    return "\n" if Progress.is_terminal(sys.stderr) else ""


class _Main(click.Group):
    """Ctrl-C and SIGTERM stop a command cleanly (workers stopped, no traceback, no half-written
    file) with exit status 130 and 143, as a shell reports a process killed by SIGINT / SIGTERM."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """As click's, but a usage error (a bad option value, a missing argument) is one line on
        stderr, like every other bad input: ``error: <what is wrong> (see ska-sim <command> --help)``, exit 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            words = list(sys.argv[1:] if args is None else args)
            named = next((w for w in words if w in self.commands), None)  # the command, when the context has none
            where = exc.ctx.command_path if exc.ctx is not None and exc.ctx.parent is not None else (
                f"ska-sim {named}" if named else "ska-sim")
            click.echo(f"error: {exc.format_message()} (see {where} --help)", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx):
        from ska_sim.base.interrupts import Terminated, sigterm_raises

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




for _command in (simulate.validate, simulate.run, staff.staff, simulate.compare, simulate.sweep, simulate.marginal,
                 simulate.report, staff.erlang, calendar.calendar, hiring.plan_hiring_cmd, hiring.workforce_cmd, fit.fit,
                 backtest.backtest, forecast.forecast, serve.serve):
    main.add_command(_command)
