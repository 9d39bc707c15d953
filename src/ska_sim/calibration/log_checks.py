"""The rows of a call log that are bad, and the messages naming them: "FILE row N: column: what is
wrong", never a value of the row (it could be a caller id). Every problem is raised at once as a
LogError, or with --skip-bad-rows the bad rows are left out and listed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ska_sim.calibration.logfile import LogError

MAX_ROWS_LISTED = 10


def rows_message(src: str, mask: np.ndarray, column: str, what: str, row_no: np.ndarray | None = None) -> str:
    """One message for every row in ``mask`` (data rows numbered from 1, the header is not a row;
    ``row_no``: the file's row number of each row read, when some rows could not be read)."""
    rows = np.flatnonzero(mask) + 1 if row_no is None else row_no[np.flatnonzero(mask)]
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_LISTED])
    more = f" and {len(rows) - MAX_ROWS_LISTED} more" if len(rows) > MAX_ROWS_LISTED else ""
    word = "row" if len(rows) == 1 else "rows"
    return f"{src} {word} {shown}{more}: {column}: {what}"


@dataclass
class Ragged:
    """The CSV rows with the wrong number of fields, left out when the table was read."""

    row_no: np.ndarray | None  # the file's data-row number of each row read, when rows were left out
    skipped: list[tuple[int, str]]  # (row, why) of each
    errors: list[str]  # their messages, unless --skip-bad-rows


def ragged_rows(ragged: list[tuple[int, int, int]], n: int, src: str, skip_bad_rows: bool) -> Ragged:
    """The rows read_table left out (row, fields, fields in the header) as numbers and messages; a
    file with no row left raises LogError."""
    out = Ragged(None, [], [])
    if ragged:
        lost = np.array(sorted(r for r, _, _ in ragged), dtype=np.int64)
        every = np.arange(1, n + len(lost) + 1)
        out.row_no = every[~np.isin(every, lost)]
        out.skipped = _split_rows(sorted(ragged))
        if not skip_bad_rows:
            by_what: dict[str, list[int]] = {}
            for r, what in out.skipped:
                by_what.setdefault(what, []).append(r)
            out.errors = [rows_message(src, np.ones(len(rs), bool), "fields", what, np.array(rs))
                          for what, rs in by_what.items()]
    if n == 0 and ragged:
        raise LogError(out.errors or [f"{src}: every row is bad ({len(ragged)} rows), nothing left to read"])
    if n == 0:
        raise LogError([f"{src}: no calls (a header and no rows)"])
    return out


def _split_rows(ragged: list[tuple[int, int, int]]) -> list[tuple[int, str]]:
    """(row, why) of each row of the wrong number of fields, where two consecutive rows whose
    fields add up to the header's plus one are one row broken by a line break inside a field
    (its two parts joined make a whole row): one row, not two."""
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(ragged):
        r, got, want = ragged[i]
        if i + 1 < len(ragged) and ragged[i + 1][0] == r + 1 and got + ragged[i + 1][1] == want + 1:
            out.append((r, f"a line break inside the row: its {want} fields are on rows {r} and {r + 1} "
                           f"({got} + {ragged[i + 1][1]} with the broken field in both)"))
            i += 2
            continue
        out.append((r, f"{got} instead of the header's {want}"))
        i += 1
    return out


def bad_rows(frame: pd.DataFrame, problems: list, bad_fields: Ragged, src: str,
              skip_bad_rows: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every problem raised as one LogError, or with --skip-bad-rows the bad rows left out and
    listed: (frame, skipped rows with their reasons)."""
    n = len(frame)
    row_no = bad_fields.row_no
    skipped = pd.DataFrame({"row": pd.Series(dtype=np.int64), "reason": pd.Series(dtype="string")})
    if bad_fields.skipped:
        skipped = pd.DataFrame({"row": [r for r, _ in bad_fields.skipped],
                                "reason": [f"fields: {w}" for _, w in bad_fields.skipped]})
    if bad_fields.errors and not problems:
        raise LogError(bad_fields.errors)
    if problems:
        if not skip_bad_rows:
            raise LogError(bad_fields.errors + [rows_message(src, mask, col, what, row_no) for col, mask, what in problems])
        reasons = pd.Series("", index=frame.index, dtype=object)
        bad_any = np.zeros(n, bool)
        for col, mask, what in problems:
            bad_any |= mask
            reasons[mask] = reasons[mask] + f"{col}: {what}; "
        rows = np.flatnonzero(bad_any) + 1 if row_no is None else row_no[bad_any]
        skipped = pd.concat([skipped, pd.DataFrame({"row": rows, "reason": reasons[bad_any].str.rstrip("; ").to_numpy()})],
                            ignore_index=True).sort_values("row", ignore_index=True)
        frame = frame[~bad_any].reset_index(drop=True)
        if frame.empty:
            raise LogError([f"{src}: every row is bad ({len(skipped)} rows), nothing left to read"])
    return frame, skipped


def bad_of(problems, column: str) -> np.ndarray:
    """The rows already found bad in ``column``."""
    masks = [m for c, m, _ in problems if c == column]
    return np.logical_or.reduce(masks) if masks else np.zeros(0, bool)
