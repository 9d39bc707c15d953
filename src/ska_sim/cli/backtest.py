"""`ska-sim backtest`: a scenario against the days a call log lived."""

from __future__ import annotations

import click

from ska_sim.cli.common import private_errors, check_out, emit, executor_options, format_option, handles_bad_input, replications_option
from ska_sim.cli.common import seed_option, set_option, warn_about


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.argument("log_file", metavar="LOG", type=click.Path(dir_okay=False))
@replications_option("Replications (default: the scenario's); the band is the 2.5-97.5% of their values.")
@seed_option("Root seed (default: the scenario's; nothing in the log sets it).")
@set_option
@click.option("--columns", "columns_file", type=click.Path(dir_okay=False),
              help="Mapping file (TOML), as fit's: [columns] arrival = \"StartTime\", ...; [outcome_values] and "
                   "[kind_values] for the log's own outcome and kind words (README: Call logs).")
@click.option("--tz", default="Europe/Tallinn", show_default=True,
              help="Time zone of timestamps without an offset.")
@click.option("--staffing", "staffing_file", type=click.Path(dir_okay=False),
              help="Agents on the phones per interval (CSV: date,interval,agents); else the log's agent ids, "
                   "else the scenario's staffing.")
@click.option("--skip-bad-rows", is_flag=True, help="Leave out bad rows (counted and listed) instead of stopping.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write backtest_{intervals,days,summary}.csv, backtest.png and manifest.json here.")
@format_option
@executor_options
@handles_bad_input
def backtest(scenario_file, log_file, replications, seed, overrides, columns_file, tz, staffing_file,
             skip_bad_rows, out_dir, fmt, executor) -> None:
    """Simulate the days of call log LOG with SCENARIO and the log's staffing; compare service
    level, answer rate and ASA per interval and per day with the simulation's 95% band."""

    private_errors(_backtest)(scenario_file, log_file, replications, seed, overrides, columns_file, tz,
                              staffing_file, skip_bad_rows, out_dir, fmt, executor)


def _backtest(scenario_file, log_file, replications, seed, overrides, columns_file, tz, staffing_file,
              skip_bad_rows, out_dir, fmt, executor) -> None:
    from ska_sim.calibration.backtest import backtest as run_backtest
    from ska_sim.report.backtest import backtest_text, write_backtest
    from ska_sim.calibration.calllog import load_columns, read_log
    from ska_sim.scenario.load import anchored, read_toml, scenario_from_dict

    from pathlib import Path

    from ska_sim.cli.common import fail

    for option, path in (("--columns", columns_file), ("--staffing", staffing_file)):
        if path is not None and not Path(path).is_file():
            fail([f"{option} {path}: " + ("not a file" if Path(path).exists() else "file not found")])
    data = anchored(read_toml(scenario_file), Path(scenario_file).parent)  # its files, wherever the command runs
    warn_about(scenario_from_dict(data, source=scenario_file, overrides=overrides))
    check_out(out_dir, "backtest")
    log = read_log(log_file, load_columns(columns_file) if columns_file else None, tz=tz, skip_bad_rows=skip_bad_rows)
    if len(log.skipped):
        click.echo(f"warning: {len(log.skipped)} bad rows of {log.source} skipped (--skip-bad-rows):", err=True)
        for row in log.skipped.head(10).itertuples():
            click.echo(f"  row {row.row}: {row.reason}", err=True)
        if len(log.skipped) > 10:
            click.echo(f"  and {len(log.skipped) - 10} more", err=True)
    result = run_backtest(data, log, replications, seed, staffing_file, source=scenario_file,
                          overrides=tuple(overrides), executor=executor)
    result.notes[:0] = log.notes
    if out_dir:
        write_backtest(result, out_dir, source=scenario_file, overrides=overrides, log_path=log_file,
                       skipped=len(log.skipped), staffing_file=staffing_file)
    emit(result, fmt, lambda: backtest_text(result), out_dir, "Backtest tables, plot and manifest")
