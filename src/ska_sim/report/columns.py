"""Plain-text columns: the one table layout every terminal renderer uses."""

from __future__ import annotations

import math


def text_columns(rows: list[tuple], align: str) -> list[str]:
    """Rows as aligned columns (``align``: one "l" or "r" per column), a rule under the header row."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    out = []
    for j, r in enumerate(rows):
        cells = [str(c).rjust(w) if a == "r" else str(c).ljust(w) for c, w, a in zip(r, widths, align)]
        out.append("  ".join(cells).rstrip())
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def fmt(value: float, unit: str, signed: bool = False) -> str:
    """A number for people: shares as percentages (differences of shares in points), units shown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    sign = "+" if signed else ""
    if unit == "share":
        return f"{value * 100:+.1f} pts" if signed else f"{value:.1%}"
    if unit == "s":
        return f"{value:{sign}.1f} s"
    if unit == "h":
        return f"{value:{sign},.1f} h"
    if unit == "per caller":
        return f"{value:{sign}.2f}"
    return f"{value:{sign},.0f}" if abs(value) >= 100 else f"{value:{sign}.1f}"
