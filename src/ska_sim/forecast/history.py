"""The history a forecast starts from: first calls per date and call type, read from a
daily-counts CSV (``date,calls`` or ``date,call_type,calls``) or given as a table (a call
log's first calls per day, counted by ``calibration/daily.py``), and checked.

Refused (ScenarioError, naming the file, the column and the line): a missing or unknown
column, an empty or unreadable date, a count that is not a whole number >= 0, a date (and
type) given twice, a date after today, less than two weeks of history. Kept with a note: less
than a year (no annual season), gaps (open days without a count: the filter steps over them;
a closed day is not a gap), calls on days the calendar closes (left out of the fit).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.scenario.calendar import country_holidays
from ska_sim.scenario.clock import WEEKDAYS

MIN_DAYS = 14
YEAR_DAYS = 365
DEFAULT_TYPE = "all"  # a history without call types: every type together, as [arrivals.forecast] reads "all"


@dataclass
class History:
    """Calls per date (rows: every date from the first to the last; NaN: no count) and type (columns)."""

    counts: pd.DataFrame
    source: str
    open_weekdays: set[int]
    notes: list[str] = field(default_factory=list)
    gaps: list[tuple[dt.date, dt.date]] = field(default_factory=list)

    @property
    def first(self) -> dt.date:
        return self.counts.index[0]

    @property
    def last(self) -> dt.date:
        return self.counts.index[-1]

    @property
    def types(self) -> list[str]:
        return list(self.counts.columns)

    @property
    def annual(self) -> bool:
        """A year or more of history: the annual season and the trend are estimated."""
        return (self.last - self.first).days + 1 >= YEAR_DAYS


def _bad(source: str, where: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(source, where, message)])


def read_daily_counts(path: str | Path) -> pd.DataFrame:
    """The rows of a daily-counts CSV as (date, call_type, calls, source, line)."""
    p = Path(path)
    src = str(path)
    if not p.is_file():
        raise _bad(src, "", "not a file" if p.exists() else "file not found")
    with p.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise _bad(src, "", "empty file: expected the columns date,calls or date,call_type,calls")
    header = [h.strip() for h in rows[0]]
    allowed = {"date", "call_type", "calls"}
    unknown = [h for h in header if h not in allowed]
    if unknown or "date" not in header or "calls" not in header or len(set(header)) != len(header):
        raise _bad(src, "line 1", f"columns {','.join(header)}: expected date,calls or date,call_type,calls"
                                  + (f" (unknown column {unknown[0]!r})" if unknown else ""))
    col = {h: i for i, h in enumerate(header)}
    out, problems = [], []
    for n, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(src, f"line {n}", f"{len(row)} fields, the header has {len(header)}"))
            continue
        text = row[col["date"]].strip()
        try:
            date = dt.date.fromisoformat(text)
        except ValueError:
            problems.append(Problem(src, f"line {n}, column date", f"{text!r} is not a date (YYYY-MM-DD)"))
            continue
        ctype = row[col["call_type"]].strip() if "call_type" in col else DEFAULT_TYPE
        if not ctype:
            problems.append(Problem(src, f"line {n}, column call_type", "empty call type"))
            continue
        raw = row[col["calls"]].strip()
        try:
            calls = float(raw)
        except ValueError:
            calls = float("nan")
        if not np.isfinite(calls) or calls < 0 or calls != int(calls):
            what = "negative" if np.isfinite(calls) and calls < 0 else "not a whole number of calls"
            problems.append(Problem(src, f"line {n}, column calls", f"{raw!r}: {what} (a count >= 0)"))
            continue
        out.append((date, ctype, int(calls), src, n))
        if len(problems) >= 20:
            break
    if problems:
        raise ScenarioError(problems)
    return pd.DataFrame(out, columns=["date", "call_type", "calls", "source", "line"])


def build_history(rows: pd.DataFrame, source: str, today: dt.date, country: str = "EE",
                  call_types: list[str] | None = None) -> History:
    """The checked history of rows (date, call_type, calls[, source, line]) from one or more sources."""
    rows = rows.copy()
    if "source" not in rows:
        rows["source"], rows["line"] = source, 0
    if rows.empty:
        raise _bad(source, "", "no counts")
    where = rows["source"] + rows["line"].map(lambda n: f": line {n}" if n else "")
    dup = rows.duplicated(["date", "call_type"], keep=False)
    if dup.any():
        i = np.flatnonzero(dup.to_numpy())[:2]
        d, t = rows["date"].iat[i[0]], rows["call_type"].iat[i[0]]
        raise _bad(where.iat[i[1]], "column date", f"{d.isoformat()} ({t}) given twice (also at {where.iat[i[0]]})")
    future = rows["date"] > today
    if future.any():
        i = int(np.flatnonzero(future.to_numpy())[0])
        raise _bad(where.iat[i], "column date", f"{rows['date'].iat[i].isoformat()} is in the future (today is "
                                               f"{today.isoformat()}): a history holds past days only")
    if call_types:
        known = sorted(set(rows["call_type"]))
        unknown = [t for t in call_types if t not in known]
        if unknown:
            raise _bad(source, "--call-type", f"unknown call type {unknown[0]!r} (the history has {', '.join(known)})")
        rows = rows[rows["call_type"].isin(call_types)]
    counts = rows.pivot(index="date", columns="call_type", values="calls").sort_index()
    first, last = counts.index[0], counts.index[-1]
    days = (last - first).days + 1
    if days < MIN_DAYS:
        raise _bad(source, "", f"{days} days of history ({first.isoformat()} to {last.isoformat()}): at least "
                               f"{MIN_DAYS} days are needed for a forecast")
    full = pd.Index(pd.date_range(first, last, freq="D").date, name="date")
    counts = counts.reindex(full).astype(float)
    counts.columns = [str(c) for c in counts.columns]
    filled = {}
    for t in counts.columns:  # a type without a count on a date another type has: no calls of it that day
        have = counts.notna().any(axis=1)
        filled[t] = have & counts[t].isna()
        counts.loc[filled[t], t] = 0.0
    public, _ = country_holidays(country, tuple(range(first.year, last.year + 1)))
    h = History(counts, source, _open_weekdays(counts, public))
    _check_gaps(h, public, filled)
    if not h.annual:
        h.notes.append(f"{days} days of history (less than a year): no annual season and no trend are estimated")
    return h


def _open_weekdays(counts: pd.DataFrame, public: dict) -> set[int]:
    """Weekdays with calls on at least half of their dates with a count (holidays left out)."""
    total = counts.sum(axis=1, min_count=1)
    out = set()
    for w in range(7):
        sel = [d for d in counts.index if d.weekday() == w and d not in public and not np.isnan(total.at[d])]
        if sel and (total.loc[sel] > 0).mean() >= 0.5:
            out.add(w)
    return out


def _check_gaps(h: History, public: dict, filled: dict | None = None) -> None:
    """Open days without a count (gaps, the filter steps over them), a call type's open days
    without its row where other types have theirs (``filled``: taken as 0 calls, as an export
    that leaves out zero rows means) and calls on closed days (left out of the fit): noted. Rows
    of 0 on closed days are what they should be."""
    total = h.counts.sum(axis=1, min_count=1)
    dates = list(h.counts.index)
    closed = np.array([d.weekday() not in h.open_weekdays or d in public for d in dates])
    missing = total.isna().to_numpy() & ~closed
    start = prev = None
    for d, m in zip(dates + [None], list(missing) + [False]):
        if m and start is None:
            start = d
        elif not m and start is not None:
            h.gaps.append((start, prev))
            start = None
        prev = d
    if h.gaps:
        n = int(missing.sum())
        shown = ", ".join(a.isoformat() if a == b else f"{a.isoformat()} to {b.isoformat()}" for a, b in h.gaps[:5])
        more = f" and {len(h.gaps) - 5} more" if len(h.gaps) > 5 else ""
        h.notes.append(f"gaps: {n} open day{'s' if n != 1 else ''} without a count ({shown}{more}): left out of the "
                       "fit, the model steps over them")
    for name, rows in (filled or {}).items():  # a type's row missing where other types have theirs
        own = rows.to_numpy() & ~closed
        if own.any():
            days = [d for d, m in zip(dates, own) if m]
            shown = ", ".join(d.isoformat() for d in days[:5]) + (f" and {len(days) - 5} more" if len(days) > 5 else "")
            h.notes.append(f"no {name} row on {len(days)} open day{'s' if len(days) != 1 else ''} where other call "
                           f"types have theirs ({shown}): taken as 0 {name} calls (a row of 0 says so; leave the "
                           "day out of every type for a gap)")
    busy = (total.fillna(0).to_numpy() > 0) & closed
    if busy.any():
        names = sorted({WEEKDAYS[d.weekday()] if d not in public else public[d] for d, b in zip(dates, busy) if b})
        h.notes.append(f"{int(busy.sum())} closed day(s) with calls ({', '.join(names[:4])}): left out of the fit; "
                       "closed days are forecast 0")


def is_daily_counts(path: str | Path) -> bool:
    """A CSV whose header has a date column and no arrival column (else: a call log)."""
    p = Path(path)
    if p.suffix.lower() not in (".csv", ".txt") or not p.is_file():
        return False
    with p.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), [])
    names = {h.strip() for h in header}
    return "date" in names and "arrival" not in names
