"""Marginal's written-work columns: with [[written]], each step's share of written items on time
and the backlog at the window's end, with their paired changes, beside the calls' columns."""

from __future__ import annotations

WRITTEN_COLUMNS = (("written_on_time", "written on time", "share"), ("written_backlog", "written backlog", "calls"))


def written_columns(rows: list[tuple], table, fmt, change) -> list[tuple]:
    """``rows`` (a header, then one row per step of ``table``) with the written columns added when
    the table has them; ``fmt(value, unit)`` a value's cell, ``change(value, lo, hi, unit)`` a
    change's with its interval."""
    if "written_on_time" not in table:
        return rows
    out = [rows[0] + tuple(label for _, label, _ in WRITTEN_COLUMNS)]
    for row, r in zip(rows[1:], table.to_dict(orient="records")):
        cells = []
        for key, _, unit in WRITTEN_COLUMNS:
            value = fmt(r[key], "share") if unit == "share" else f"{r[key]:,.0f}"
            if r["step"] != 0:
                value += " " + change(r[f"{key}_change"], r[f"{key}_change_ci_low"], r[f"{key}_change_ci_high"], unit)
            cells.append(value)
        out.append(row + tuple(cells))
    return out
