"""Plain-text columns: the one table layout every terminal renderer uses."""

from __future__ import annotations


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
