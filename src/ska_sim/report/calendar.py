"""`ska-sim calendar` as text: each date's hours, working status and volume factor, with the
rule that set them (the table is ``scenario.calendar.calendar_table``'s)."""

from __future__ import annotations

from ska_sim.report.columns import text_columns


def calendar_text(s, table, norm_h: float) -> str:
    """The calendar listing for the terminal: the measured window's counts and norm, then a row per date."""
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
