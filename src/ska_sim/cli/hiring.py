"""`ska-sim plan-hiring`: hires needed by a date for a month to meet its targets;
`ska-sim workforce`: heads, training, FTE (and simulated KPIs) per month."""

from __future__ import annotations

import datetime as dt
import json

import click

from ska_sim.cli.common import (
    Progress,
    fail,
    FiniteRange,
    executor_options,
    handles_bad_input,
    load_scenario,
    replications_option,
    seed_option,
    set_option,
)


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        fail([f"{option}: must be a date YYYY-MM-DD (got {text!r})"])


def _warn_hires(scenario) -> None:
    """Hires of [[workforce.hires]] a roster's dates leave uncounted, on stderr."""
    from ska_sim.scenario.workforce import roster_hires_warning

    for w in roster_hires_warning(scenario):
        click.echo(f"warning: {w}", err=True)


@click.command("plan-hiring")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("--month", required=True, metavar="YYYY-MM", help="The month that must meet the targets.")
@click.option("--start-by", "start_by", required=True, metavar="YYYY-MM-DD",
              help="The date the new hires start (training, then ramp-up, from this day).")
@click.option("--confidence", type=FiniteRange(0.0, 1.0, min_open=True), default=None,
              help="Also require this chance of meeting each target (share of replications whose month meets it).")
@click.option("--max-hires", type=click.IntRange(min=1, max=100_000), default=None,
              help="Largest number of hires tried [default: 4 x (heads + 1), at least 50].")
@replications_option("Replications per simulated month (default: the scenario's).")
@seed_option("Root seed (default: the scenario's); every count of hires sees the same callers.")
@set_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@executor_options
@handles_bad_input
def plan_hiring_cmd(scenario_file, month, start_by, confidence, max_hires, replications, seed, overrides, fmt,
                    executor) -> None:
    """How many must start by --start-by so that --month meets SCENARIO's targets ([workforce])."""
    from ska_sim.plan.workforce import plan_hiring
    from ska_sim.report.workforce import hiring_text

    day = _date(start_by, "--start-by")
    scenario = load_scenario(scenario_file, overrides)
    _warn_hires(scenario)
    progress = Progress("months simulated")
    try:
        plan = plan_hiring(scenario, month, day, confidence, replications, seed, executor=executor,
                           progress=progress, max_hires=max_hires, source=scenario_file)
    finally:
        progress.close()
    if fmt == "json":
        click.echo(json.dumps(plan.to_json(), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(hiring_text(plan))
    if plan.hires is None:
        raise SystemExit(1)


@click.command("workforce")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("--simulate", is_flag=True, help="Also simulate each month: service level and answer rate (95% intervals).")
@replications_option("Replications per simulated month (default: the scenario's).")
@seed_option("Root seed (default: the scenario's).")
@set_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@executor_options
@handles_bad_input
def workforce_cmd(scenario_file, simulate, replications, seed, overrides, fmt, executor) -> None:
    """Heads per month of SCENARIO's calendar: start, hires, leavers, end, in training, on the phones, FTE."""
    from ska_sim.base.errors import Problem, ScenarioError
    from ska_sim.plan.workforce import monthly_table, rounded_months
    from ska_sim.report.workforce import months_text

    scenario = load_scenario(scenario_file, overrides)
    if scenario.workforce is None:
        raise ScenarioError([Problem(scenario_file, "workforce", "missing: this command needs [workforce]")])
    _warn_hires(scenario)
    progress = Progress("months")
    try:
        df = monthly_table(scenario, simulate, replications, seed, executor, progress)
    finally:
        progress.close()
    click.echo(rounded_months(df).to_csv(index=False) if fmt == "csv" else months_text(df), nl=fmt != "csv")
