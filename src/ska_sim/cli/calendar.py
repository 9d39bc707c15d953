"""`ska-sim calendar`: each date's hours and volume factor, with the rule that set it."""

from __future__ import annotations

import click

from ska_sim.cli.common import check_out_file, handles_bad_input, load_scenario, set_option


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False))
@set_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              help="Write the listing to this file instead of the terminal.")
@click.option("--with-warmup", is_flag=True, help="List the warm-up days too.")
@handles_bad_input
def calendar(scenario_file, overrides, fmt, output, with_warmup) -> None:
    """List each date of SCENARIO's measured window: open or closed, hours, working day,
    shortened, volume factor and the rule(s) that set them."""
    import json

    from ska_sim.report.calendar import calendar_text
    from ska_sim.scenario.calendar import calendar_table, working_days
    from ska_sim.plan.people import working_time_norm_h

    s = load_scenario(scenario_file, overrides)
    if output:
        check_out_file(output, "-o")
    table = calendar_table(s, measured_only=not with_warmup)
    # products of factors carry float noise (1.15 x 2 = 2.3000000000000003): 6 significant digits out
    table["volume_factor"] = [float(f"{v:.6g}") for v in table["volume_factor"]]
    table["open_hours"] = [round(float(v), 6) for v in table["open_hours"]]
    if fmt == "csv":
        text = table.to_csv(index=False)
    elif fmt == "json":
        text = json.dumps({"scenario": s.name, "country": s.calendar.country,
                           "working_days": len(working_days(s)),  # of the measured window
                           "working_time_norm_hours": working_time_norm_h(s),
                           "dates": table.to_dict(orient="records")}, indent=2, ensure_ascii=False) + "\n"
    else:
        text = calendar_text(s, table, working_time_norm_h(s))
    if output:
        from ska_sim.base.files import write_text

        write_text(output, text)
        click.echo(f"Calendar written to {output}")
    else:
        click.echo(text, nl=False)
