"""A call-log file read into typed columns: the header and the table (CSV or Parquet, text kept
in Arrow buffers), text columns trimmed, and timestamps parsed and localized. Local times
inside a DST transition take the offset in force before it (:func:`localize`). Errors never
quote a row of the file (it could hold a caller id)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_TZ = "Europe/Tallinn"
TIME_COLUMNS = ("arrival", "answer", "end", "abandon")


class LogError(Exception):
    """Bad call-log input: every problem, each "FILE row N: column: what is wrong". Messages
    name rows and columns, never a caller id (nor any other value of a row)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))



def localize(naive: pd.DatetimeIndex, tz: str) -> tuple[pd.DatetimeIndex, int, int]:
    """Naive local wall-clock times -> tz-aware, by one rule: a time inside a DST transition
    takes the offset in force BEFORE the transition. So an ambiguous time (autumn, 03:00-04:00
    happens twice) is the first occurrence (summer time), and a nonexistent one (spring,
    03:00-04:00 is skipped) is read as standard time, i.e. moved forward by the gap
    (03:30 -> 04:30 summer time): what a clock not yet put forward shows. Returns (times, number
    ambiguous, number nonexistent)."""
    if len(naive) == 0:
        return naive.tz_localize(tz), 0, 0
    amb = pd.DatetimeIndex(naive).tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    missing = amb.isna() & ~pd.isna(naive)
    out = naive.tz_localize(tz, ambiguous=np.ones(len(naive), bool), nonexistent=pd.Timedelta(hours=1))
    n_amb = n_non = 0
    if missing.any():
        # which of the missing were ambiguous: localizing them as standard time works
        std = naive[missing].tz_localize(tz, ambiguous=np.zeros(int(missing.sum()), bool), nonexistent="NaT")
        n_non = int(std.isna().sum())
        n_amb = int(missing.sum()) - n_non
    return out, n_amb, n_non


def local_times(seconds: np.ndarray, day0: dt.date, tz: str) -> pd.DatetimeIndex:
    """Seconds since midnight of ``day0`` (local wall clock) as tz-aware times to the millisecond."""
    ms = np.round(np.asarray(seconds, float) * 1000.0)
    naive = pd.DatetimeIndex(pd.Timestamp(day0) + pd.to_timedelta(ms, unit="ms")).as_unit("ms")
    return localize(naive, tz)[0]


def read_header(path: Path) -> list[str]:
    """The column names of a CSV file (its first row)."""
    import csv

    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        return next(csv.reader(f), [])


def read_table(path: Path, src: str, wanted: list[str], times: tuple[str, ...] = (),
               multiline: bool = False) -> tuple[pd.DataFrame, list[tuple[int, int, int]]]:
    """The wanted columns of a CSV (all as text) or Parquet file, and the CSV rows with the
    wrong number of fields, left out: (data row number, fields, fields in the header). Errors
    never quote a row. The CSV columns in ``times`` are first read as timestamps with a UTC
    offset (8 bytes a value instead of ~33 as text: ~100 MB less for 10^6 calls); if any value
    is not one (no offset, blanks around it, not a timestamp), the file is read again all as
    text and parse_times reads it value by value, naming the bad rows."""

    import pyarrow as pa

    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path, columns=wanted)
        except (pa.ArrowException, OSError) as exc:
            raise LogError([f"{src}: not a readable Parquet file ({exc.__class__.__name__})"]) from None
        return table.to_pandas(types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_string(t) or
                               pa.types.is_large_string(t) else None), []  # text stays in Arrow (no copy)
    import pyarrow.csv as pcsv

    ragged: list[tuple[int, int, int]] = []

    def bad_row(row) -> str:  # row.text holds the row (a caller id): only its number and sizes are kept
        ragged.append((row.number - 1 if row.number is not None else -1, row.actual_columns, row.expected_columns))
        return "skip"

    def read(threads: bool, typed: bool):
        types = {c: pa.timestamp("ns", tz="UTC") if typed and c in times else pa.string() for c in wanted}
        return pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(encoding="utf8", use_threads=threads),
            parse_options=pcsv.ParseOptions(invalid_row_handler=bad_row, newlines_in_values=multiline),
            convert_options=pcsv.ConvertOptions(include_columns=wanted, column_types=types,
                                                strings_can_be_null=True, quoted_strings_can_be_null=True),
        )

    try:
        typed = bool(times)
        try:
            table = read(True, typed)
        except pa.ArrowInvalid:  # some time is not ISO 8601 with an offset (its message quotes it: dropped)
            if not typed:
                raise
            ragged.clear()
            typed = False
            table = read(True, typed)
        if ragged:  # read again on one thread: only then does pyarrow know the rows' numbers
            ragged.clear()
            table = read(False, typed)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        m = re.search(r"Row #(\d+)", str(exc))  # pyarrow quotes the row itself: only its number is kept
        where = f" row {int(m.group(1)) - 1}" if m else ""
        raise LogError([f"{src}{where}: not readable as CSV (bad quoting or not UTF-8)"]) from None
    return table.to_pandas(types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_string(t) else None,
                           self_destruct=True), ragged  # zero-copy: the text stays in Arrow buffers


def _b(x: pd.Series) -> np.ndarray:
    """A (nullable) boolean Series as numpy bools, NA as False."""
    return x.astype("boolean").fillna(False).to_numpy(bool)


def _has_offset(s: pd.Series) -> np.ndarray:
    """ISO 8601 texts that end in a UTC offset (Z, +02:00, +0200)."""
    z = _b(s.str.endswith("Z")) | _b(s.str.endswith("z"))
    ext = _b(s.str[-6].isin(["+", "-"])) & _b(s.str[-3] == ":") & ~_b(s.str[-8] == "-")
    basic = _b(s.str[-5].isin(["+", "-"])) & _b(s.str[-4:].str.isdigit()) & _b(s.str[-8] == ":")
    return z | ext | basic


def arrow_raw(s: pd.Series):
    """A text column as a pyarrow string array, as read (untrimmed)."""
    import pyarrow as pa

    arr = pa.array(s.astype("string[pyarrow]")) if not isinstance(s.dtype, pd.StringDtype) or \
        s.dtype.storage != "pyarrow" else pa.array(s)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


def arrow_text(s: pd.Series):
    """A text column as a pyarrow string array, trimmed, empty -> null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.utf8_trim_whitespace(arrow_raw(s))
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _parse_times_fast(arr, tz: str) -> tuple[pd.Series, int, int] | None:
    """ISO 8601 texts -> tz-aware times with pyarrow's parser; None if any value does not parse."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arr)
    aware = pc.fill_null(pc.match_substring_regex(arr, r"(?:[Zz]|[+-]\d\d:?\d\d)$"), False)
    naive = pc.and_(pc.is_valid(arr), pc.invert(aware))
    ns = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)  # NaT
    n_amb = n_non = 0
    try:
        if pc.any(aware).as_py():
            t = pc.cast(pc.filter(arr, aware), pa.timestamp("ns", tz="UTC"))
            ns[aware.to_numpy(zero_copy_only=False)] = t.cast(pa.int64()).to_numpy(zero_copy_only=False)
        if pc.any(naive).as_py():
            t = pc.cast(pc.filter(arr, naive), pa.timestamp("ns")).to_numpy(zero_copy_only=False)
            loc, n_amb, n_non = localize(pd.DatetimeIndex(t), tz)
            ns[naive.to_numpy(zero_copy_only=False)] = loc.tz_convert("UTC").as_unit("ns").asi8
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    idx = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz).as_unit("ms")
    return pd.Series(idx), n_amb, n_non


def parse_times(s: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray, int, int]:
    """A column of timestamps -> tz-aware (in ``tz``), bad-value mask, (ambiguous, nonexistent) counts."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert(tz).dt.as_unit("ms"), np.zeros(len(s), bool), 0, 0
    if pd.api.types.is_datetime64_dtype(s.dtype):
        loc, a, n = localize(pd.DatetimeIndex(s), tz)
        return pd.Series(loc, index=s.index).dt.as_unit("ms"), np.zeros(len(s), bool), a, n
    arr = arrow_text(s)
    fast = _parse_times_fast(arr, tz)
    if fast is not None:
        return fast[0], np.zeros(len(s), bool), fast[1], fast[2]
    # some value does not parse: pandas, value by value where needed, to find the rows
    text = pd.Series(arr.to_pandas(types_mapper=pd.ArrowDtype), index=s.index).astype("string")
    present = text.notna().to_numpy(bool)
    aware = _has_offset(text)
    out = pd.Series(pd.NaT, index=s.index, dtype=f"datetime64[ms, {tz}]")
    n_amb = n_non = 0
    if aware.any():
        t = pd.to_datetime(text[aware], utc=True, format="ISO8601", errors="coerce")
        out[aware] = t.dt.tz_convert(tz).dt.as_unit("ms")
    naive = present & ~aware
    if naive.any():
        t = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        loc, n_amb, n_non = localize(pd.DatetimeIndex(t), tz)
        out[naive] = pd.Series(loc, index=t.index).dt.as_unit("ms")
    bad = present & out.isna().to_numpy(bool)
    return out, bad, n_amb, n_non


def without_time_of_day(s: pd.Series) -> tuple[np.ndarray, list[str]]:
    """The values of a timestamp column that carry no time of day (no "T" or space followed by a
    digit: a date only, a year only), and the first few of them that look like a date or a year
    (YYYY, YYYY-MM, YYYY-MM-DD: safe to quote; anything else could be a caller id). Columns
    already read as timestamps carry one."""
    if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s.dtype):
        return np.zeros(len(s), bool), []
    import pyarrow.compute as pc

    arr = arrow_text(s)
    timed = pc.fill_null(pc.match_substring_regex(arr, r"[Tt ]\d"), True)
    lacking = pc.invert(timed).to_numpy(zero_copy_only=False)
    if not lacking.any():
        return lacking, []
    first = arr.take(np.flatnonzero(lacking)[:5]).to_pylist()
    return lacking, [v for v in first if re.fullmatch(r"\d{4}(-\d\d){0,2}", v)]


def all_midnight(t: pd.Series, sample: int = 1000) -> str | None:
    """The first value as text when every value of tz-aware times (two or more) is at local
    midnight (dates stored as timestamps), else None; the first ``sample`` values looked at first."""
    for part in (t.iloc[:sample].dropna(), t.dropna()):  # a time of day among the first values: done
        local = part.dt.tz_localize(None)
        if (local != local.dt.normalize()).any():
            return None
    return part.iloc[0].isoformat() if len(part) >= 2 else None
