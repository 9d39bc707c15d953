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


def calendar_text(s, table, norm_h: float) -> str:
    from ska_sim.report.columns import text_columns

    cal = s.calendar

    def counts(t) -> str:
        return (f"{len(t)} dates, {int(t['open'].sum())} open, {int(t['working_day'].sum())} working days "
                f"({int((t['working_day'] & t['shortened']).sum())} shortened by {cal.shortened_by_h:g} h)")

    # the counts and the norm always refer to the measured window; with the warm-up listed too,
    # the whole listing's counts follow, named as such
    measured = table[table["date"] >= cal.start.isoformat()]
    summary = (f"Measured window {measured['date'].iloc[0]} to {measured['date'].iloc[-1]}: {counts(measured)}; "
               f"its working-time norm is {norm_h:g} h per FTE.")
    if len(measured) < len(table):
        summary += (f" With the warm-up ({len(table) - len(measured)} days from {table['date'].iloc[0]}, "
                    f"listed too): {counts(table)}.")
    lines = [
        f"Calendar: {s.name}" + (f" (country {cal.country}, the holidays package)" if cal.country else ""),
        summary + " Volume factors multiply daily_calls x weekday factor; "
        "several rules on one date multiply; arrivals.date_factor replaces them on its dates.",
        "",
    ]
    rows = [("date", "day", "hours", "working", "factor", "hours set by", "factor set by")]
    for r in table.to_dict(orient="records"):
        hours = f"{r['open_time']}-{r['close_time']}" if r["open"] else "closed"
        working = ("yes, shortened" if r["shortened"] else "yes") if r["working_day"] else "no"
        rows.append((r["date"], r["weekday"], hours, working, f"{r['volume_factor']:.3g}" if r["open"] else "",
                     r["hours_rule"], r["factor_rules"]))
    lines += text_columns(rows, align="lllllll")
    return "\n".join(lines) + "\n"
