"""The call log (issue 10): one row per call that reached the line.

Writing (``ska-sim run --record-calls FILE``): the calls of one replication, from the engine's
recorder (engine.record_replication), as CSV or Parquet. Columns (README "Call logs"):

==============  ==============================================================================
call_id         integer, 1.. in arrival order
caller_id       synthetic ("C0000001"): a new one for each first call; its redials, repeat
                calls and callbacks keep it
call_type       the scenario's call type name
language        the language name, empty when the scenario models none
arrival         when the call reached the line
answer          when an agent answered; empty if not answered
end             when the caller left: talk end if answered, hang-up if abandoned, arrival if
                blocked, closing time if cut off at close, arrival if they took virtual hold
abandon         the hang-up time, empty unless abandoned while waiting
wrap_up_s       after-call work after the talk (s), answered calls; empty otherwise
agent_group     the answering agent group ("all" without [[groups]]); empty if not answered
kind            first / redial / repeat / callback (a callback is placed by an agent: answer
                = when placed; readers of inbound KPIs drop these rows)
outcome         answered / abandoned / blocked / unanswered_at_close / virtual_hold
==============  ==============================================================================

Timestamps are ISO 8601 with the UTC offset, in local time (Europe/Tallinn by default): the
scenario's day d, second x is the wall clock x s after midnight on start + d (the simulation
has no DST; calls are in opening hours, far from the 03:00-04:00 transitions). Parquet holds
them as timestamp[ms, tz]. Only the measured window is written (warm-up days are not).

Reading: :func:`read_log` (below).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_TZ = "Europe/Tallinn"
LOG_COLUMNS = ("call_id", "caller_id", "call_type", "language", "arrival", "answer", "end", "abandon",
               "wrap_up_s", "agent_group", "kind", "outcome")
TIME_COLUMNS = ("arrival", "answer", "end", "abandon")


# --------------------------------------------------------------------------- writing
def _localize(naive: pd.DatetimeIndex, tz: str) -> tuple[pd.DatetimeIndex, int, int]:
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


def _times(seconds: np.ndarray, day0: dt.date, tz: str) -> pd.DatetimeIndex:
    ms = np.round(np.asarray(seconds, float) * 1000.0)
    naive = pd.DatetimeIndex(pd.Timestamp(day0) + pd.to_timedelta(ms, unit="ms")).as_unit("ms")
    return _localize(naive, tz)[0]


def records_frame(records, model, scenario, tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """The call log of one replication's records (engine.CallRecords), measured window only."""
    from ska_sim.sim.engine import KIND_NAMES, OUTCOME_NAMES
    from ska_sim.scenario.timeline import DAY_S

    tl = model.timeline
    arrival = np.asarray(records.arrival, float)
    day = (arrival // DAY_S).astype(np.int64)
    keep = tl.measured[np.clip(day, 0, tl.n_days - 1)] if len(arrival) else np.zeros(0, bool)
    idx = np.flatnonzero(keep)
    col = lambda a, dtype=float: np.asarray(a, dtype)[idx]  # noqa: E731
    caller = col(records.caller, np.int64)
    codes, _ = pd.factorize(caller)  # callers numbered by first appearance in the window
    types = np.array([ct.name for ct in scenario.call_types], dtype=object)
    langs = np.array(list(model.languages) or [""], dtype=object)
    r = model.routing
    groups = np.array(list(r.group_names) if r is not None else ["all"], dtype=object)
    outcome = col(records.outcome, np.int64)
    group = col(records.group, np.int64)
    answer, end = col(records.answer), col(records.end)
    abandon = np.where(outcome == 2, end, np.nan)
    day0 = tl.dates[0]
    frame = pd.DataFrame({
        "call_id": np.arange(1, len(idx) + 1, dtype=np.int64),
        "caller_id": pd.Series(codes + 1).map("C{:07d}".format).to_numpy(object),
        "call_type": types[col(records.type, np.int64)],
        "language": langs[col(records.lang, np.int64)] if model.languages else np.full(len(idx), "", object),
        "arrival": _times(arrival[idx], day0, tz),
        "answer": _times(answer, day0, tz),
        "end": _times(end, day0, tz),
        "abandon": _times(abandon, day0, tz),
        "wrap_up_s": np.round(col(records.acw), 3),
        "agent_group": np.where(group >= 0, groups[np.clip(group, 0, None)], ""),
        "kind": np.array(KIND_NAMES, dtype=object)[col(records.kind, np.int64)],
        "outcome": np.array(OUTCOME_NAMES, dtype=object)[outcome],
    })
    return frame


def record_calls(scenario, seed: int, index: int = 0, tz: str = DEFAULT_TZ):
    """Replication ``index`` of ``scenario`` with ``seed`` (as ``run`` numbers them), recorded:
    (its ReplicationCounts, its call log as a DataFrame)."""
    from ska_sim.sim.engine import Model, record_replication

    model = Model.from_scenario(scenario)
    counts, records = record_replication(model, np.random.SeedSequence(seed, spawn_key=(index,)))
    return counts, records_frame(records, model, scenario, tz)


def _iso(ts: pd.Series) -> np.ndarray:
    """ISO 8601 strings with the UTC offset ("2026-03-02T09:00:01.234+02:00"), empty for NaT; vectorised."""
    idx = pd.DatetimeIndex(ts).as_unit("ms")
    local = idx.tz_localize(None).to_numpy()
    utc = idx.tz_convert("UTC").tz_localize(None).to_numpy()
    with np.errstate(invalid="ignore"):  # NaT
        off_min = ((local - utc) // np.timedelta64(1, "m")).astype(np.int64)
    text = np.datetime_as_string(local, unit="ms").astype(object)
    out = np.full(len(idx), "", dtype=object)
    ok = ~pd.isna(idx)
    for m in np.unique(off_min[ok]):
        sign = "+" if m >= 0 else "-"
        h, mm = divmod(abs(int(m)), 60)
        sel = ok & (off_min == m)
        out[sel] = text[sel] + f"{sign}{h:02d}:{mm:02d}"
    return out


def write_log(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a call log as CSV (ISO 8601 timestamps with offset) or Parquet (by the suffix), atomically."""
    from ska_sim.base.files import write_with

    path = Path(path)
    if path.suffix.lower() == ".parquet":
        write_with(path, lambda tmp: frame.to_parquet(tmp, index=False))
        return
    import pyarrow as pa
    import pyarrow.csv as pcsv

    cols = {}
    for c in frame.columns:
        v = frame[c]
        if c in TIME_COLUMNS:
            text = _iso(v)
            cols[c] = pa.array(text, type=pa.string(), mask=text == "")
        elif pd.api.types.is_numeric_dtype(v.dtype):
            cols[c] = pa.array(v.to_numpy(), from_pandas=True)  # NaN -> empty
        else:
            cols[c] = pa.array(v.astype(object).to_numpy(), type=pa.string(), from_pandas=True)
    table = pa.table(cols)
    import pyarrow.compute as pc

    special = any(pc.any(pc.match_substring_regex(a, r'[,"\r\n]')).as_py() for a in cols.values()
                  if pa.types.is_string(a.type)) or any(set(c) & set(',"\r\n') for c in frame.columns)
    style = "needed" if special else "none"  # quotes only when a text needs them
    options = pcsv.WriteOptions(quoting_style=style, quoting_header=style)
    write_with(path, lambda tmp: pcsv.write_csv(table, tmp, write_options=options))


# --------------------------------------------------------------------------- reading
REQUIRED = ("call_id", "caller_id", "arrival", "answer", "end")
MAX_WRAP_UP_S = 86400.0  # a wrap-up longer than a day is a broken value, not after-call work
OPTIONAL = ("call_type", "language", "abandon", "wrap_up_s", "agent_group", "agent_id", "kind", "outcome")
CANONICAL = REQUIRED + OPTIONAL
MAX_ROWS_LISTED = 10
# The salt of the caller-id hashes: drawn once per process, kept in memory only, never written
# (a salted hash of a personal code could be brute-forced, ~10^8 codes, if the salt persisted).
_SALT = secrets.token_urlsafe(12)  # 16 characters: the SipHash key of pandas' hash_array


class LogError(Exception):
    """Bad call-log input: every problem, each "FILE row N: column: what is wrong". Messages
    name rows and columns, never a caller id (nor any other value of a row)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass
class CallLog:
    """A call log as read: ``frame`` has the canonical columns (README "Call logs"); ``caller``
    is a salted hash (uint64), the raw caller id is never kept. ``skipped``: the rows left out
    with --skip-bad-rows (row number, reasons). ``notes``: what reading decided (DST rule,
    derived columns)."""

    frame: pd.DataFrame
    skipped: pd.DataFrame
    source: str
    tz: str
    notes: list[str] = field(default_factory=list)


def hash_callers(values: Any) -> np.ndarray:
    """Salted 64-bit hashes (SipHash keyed by this process's salt) of caller ids, vectorised."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(pd.Series(values).astype("string[pyarrow]").fillna(""))
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = pc.dictionary_encode(arr.cast(pa.string()))  # each distinct id hashed once
    del arr
    # the distinct ids become Python strings (hash_array needs them) a slice at a time: a million
    # of them at once would cost ~130 MB more at the peak; the hashes are the same either way
    hashes = np.empty(len(enc.dictionary), dtype=np.uint64)
    for i in range(0, len(hashes), _HASH_CHUNK):
        part = enc.dictionary.slice(i, _HASH_CHUNK).to_numpy(zero_copy_only=False).astype(object)
        hashes[i:i + len(part)] = pd.util.hash_array(part, hash_key=_SALT, categorize=False)
    return hashes[enc.indices.to_numpy(zero_copy_only=False)]


_HASH_CHUNK = 65_536  # distinct caller ids per slice in hash_callers


def load_columns(path: str | Path) -> dict[str, str]:
    """A column mapping file (TOML): canonical name = "the file's column", at the top level or
    under [columns]."""
    import tomllib

    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LogError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LogError([f"{path}: not a readable TOML file ({exc.__class__.__name__})"]) from None
    table = data.get("columns", data)
    problems, out = [], {}
    for key, value in table.items():
        if key not in CANONICAL:
            problems.append(f"{path}: {key}: not a call-log column (one of {', '.join(CANONICAL)})")
        elif not isinstance(value, str) or not value:
            problems.append(f"{path}: {key}: must be the file's column name (a string)")
        else:
            out[key] = value
    if problems:
        raise LogError(problems)
    return out


def _rows(src: str, mask: np.ndarray, column: str, what: str, row_no: np.ndarray | None = None) -> str:
    """One message for every row in ``mask`` (data rows numbered from 1, the header is not a row;
    ``row_no``: the file's row number of each row read, when some rows could not be read)."""
    rows = np.flatnonzero(mask) + 1 if row_no is None else row_no[np.flatnonzero(mask)]
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_LISTED])
    more = f" and {len(rows) - MAX_ROWS_LISTED} more" if len(rows) > MAX_ROWS_LISTED else ""
    word = "row" if len(rows) == 1 else "rows"
    return f"{src} {word} {shown}{more}: {column}: {what}"


def _header(path: Path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        return next(csv.reader(f), [])


def _read_table(path: Path, src: str, wanted: list[str],
                times: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[tuple[int, int, int]]]:
    """The wanted columns of a CSV (all as text) or Parquet file, and the CSV rows with the
    wrong number of fields, left out: (data row number, fields, fields in the header). Errors
    never quote a row. The CSV columns in ``times`` are first read as timestamps with a UTC
    offset (8 bytes a value instead of ~33 as text: ~100 MB less for 10^6 calls); if any value
    is not one (no offset, blanks around it, not a timestamp), the file is read again all as
    text and read_log parses it as before, naming the bad rows."""
    import re

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
            parse_options=pcsv.ParseOptions(invalid_row_handler=bad_row),
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


def _arrow_text(s: pd.Series):
    """A text column as a pyarrow string array, trimmed, empty -> null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s.astype("string[pyarrow]")) if not isinstance(s.dtype, pd.StringDtype) or \
        s.dtype.storage != "pyarrow" else pa.array(s)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.utf8_trim_whitespace(arr.cast(pa.string()))
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
            loc, n_amb, n_non = _localize(pd.DatetimeIndex(t), tz)
            ns[naive.to_numpy(zero_copy_only=False)] = loc.tz_convert("UTC").as_unit("ns").asi8
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    idx = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz).as_unit("ms")
    return pd.Series(idx), n_amb, n_non


def _parse_times(s: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray, int, int]:
    """A column of timestamps -> tz-aware (in ``tz``), bad-value mask, (ambiguous, nonexistent) counts."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert(tz).dt.as_unit("ms"), np.zeros(len(s), bool), 0, 0
    if pd.api.types.is_datetime64_dtype(s.dtype):
        loc, a, n = _localize(pd.DatetimeIndex(s), tz)
        return pd.Series(loc, index=s.index).dt.as_unit("ms"), np.zeros(len(s), bool), a, n
    arr = _arrow_text(s)
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
        loc, n_amb, n_non = _localize(pd.DatetimeIndex(t), tz)
        out[naive] = pd.Series(loc, index=t.index).dt.as_unit("ms")
    bad = present & out.isna().to_numpy(bool)
    return out, bad, n_amb, n_non


def read_log(path: str | Path, columns: dict[str, str] | None = None, tz: str = DEFAULT_TZ,
             skip_bad_rows: bool = False) -> CallLog:
    """Read a call log (CSV or Parquet) into canonical columns, checked; see the module docs.

    ``columns`` maps canonical names to the file's (the rest keep their canonical names).
    Timestamps with an offset are converted to ``tz``; naive ones are local times in ``tz``
    (a time inside a DST transition takes the offset in force before it: see _localize).
    Caller ids are hashed with this process's salt as they are read, and the raw column is
    dropped. Bad rows raise LogError (every problem, with row numbers) unless
    ``skip_bad_rows``, which leaves them out and lists them in ``CallLog.skipped``.
    """
    import zoneinfo

    p = Path(path)
    src = p.name
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise LogError([f"--tz {tz}: not a known time zone (e.g. Europe/Tallinn)"]) from None
    if not p.is_file():
        raise LogError([f"{src}: file not found" if not p.exists() else f"{src}: not a regular file"])
    if p.suffix.lower() not in (".csv", ".parquet"):
        raise LogError([f"{src}: a call log is .csv or .parquet"])
    mapping = {k: k for k in CANONICAL}
    mapping.update(columns or {})
    if p.suffix.lower() == ".csv":
        if p.stat().st_size == 0:
            raise LogError([f"{src}: empty file (no header, no calls)"])
        header = _header(p)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            header = list(pq.read_schema(p).names)
        except (pa.ArrowException, OSError) as exc:
            raise LogError([f"{src}: not a readable Parquet file ({exc.__class__.__name__})"]) from None
    present = {k: v for k, v in mapping.items() if v in header}
    twice = [f"{src}: column {v!r} is mapped to {', '.join(k for k in present if present[k] == v)}: one column, one meaning"
             for v in dict.fromkeys(present.values()) if list(present.values()).count(v) > 1]
    if twice:
        raise LogError(twice)
    missing = [k for k in REQUIRED if k not in present]
    if missing:
        raise LogError([f"{src}: column {mapping[k]!r}" + (f" (for {k})" if mapping[k] != k else "") + " missing"
                        for k in missing])
    raw, ragged = _read_table(p, src, list(dict.fromkeys(present.values())),
                              tuple(present[k] for k in TIME_COLUMNS if k in present))
    n = len(raw)
    row_no = None  # the file's data-row number of each row read, when rows were left out
    ragged_msgs: list[tuple[int, str]] = []
    ragged_errors: list[str] = []
    if ragged:
        lost = np.array(sorted(r for r, _, _ in ragged), dtype=np.int64)
        every = np.arange(1, n + len(lost) + 1)
        row_no = every[~np.isin(every, lost)]
        for r, got, want in sorted(ragged):
            ragged_msgs.append((r, f"{got} instead of the header's {want}"))
        if not skip_bad_rows:
            by_what: dict[str, list[int]] = {}
            for r, what in ragged_msgs:
                by_what.setdefault(what, []).append(r)
            ragged_errors = [_rows(src, np.ones(len(rs), bool), "fields", what, np.array(rs))
                             for what, rs in by_what.items()]
    if n == 0 and ragged:
        raise LogError(ragged_errors or [f"{src}: every row is bad ({len(ragged)} rows), nothing left to read"])
    if n == 0:
        raise LogError([f"{src}: no calls (a header and no rows)"])
    # the caller ids first: hashed, and the raw column gone before anything else happens
    caller_col = present["caller_id"]
    caller_raw = raw[caller_col]
    no_caller = caller_raw.isna().to_numpy(bool) | (caller_raw.astype("string").str.strip() == "").fillna(True).to_numpy(bool)
    caller = hash_callers(caller_raw)
    del caller_raw
    raw = raw.drop(columns=[caller_col])
    problems: list[tuple[str, np.ndarray, str]] = []  # (column, bad rows, what)
    notes: list[str] = []
    if no_caller.any():
        problems.append(("caller_id", no_caller, "empty"))
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    # call ids: integers when they all are, else kept as text
    import pyarrow as pa
    import pyarrow.compute as pc

    cid_arr = _arrow_text(raw.pop(present["call_id"]))
    no_id = pc.is_null(cid_arr).to_numpy(zero_copy_only=False)
    cid = pd.Series(cid_arr.to_pandas(types_mapper=pd.ArrowDtype)).astype("string")
    if no_id.any():
        problems.append(("call_id", no_id, "empty"))
    try:  # integers when they all are, else kept as text
        ids = pc.cast(cid_arr, pa.int64()).to_numpy(zero_copy_only=False) if not no_id.any() else None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        ids = None
    frame["call_id"] = ids if ids is not None else cid
    dup = pd.Series(ids if ids is not None else cid).duplicated(keep=False).to_numpy(bool) & ~no_id
    if dup.any():
        problems.append(("call_id", dup, "the same call id on more than one row"))
    frame["caller"] = caller
    for name, default in (("call_type", "all"), ("language", "")):
        frame[name] = (raw[present[name]].astype("string").fillna(default) if name in present
                       else pd.Series(default, index=frame.index, dtype="string"))
    n_amb = n_non = 0
    for name in TIME_COLUMNS:
        if name not in present:
            continue
        t, bad, a, b = _parse_times(raw.pop(present[name]), tz)  # each text column freed once parsed
        n_amb, n_non = n_amb + a, n_non + b
        frame[name] = t
        if bad.any():
            problems.append((name, bad, "not a timestamp (ISO 8601 expected, e.g. 2026-03-02T09:00:05+02:00)"))
    if n_amb or n_non:
        notes.append(f"{n_amb} ambiguous and {n_non} nonexistent local times (DST changes) read with the "
                     "offset in force before the change")
    for name in ("arrival", "end"):
        empty = frame[name].isna().to_numpy(bool) & ~np.isin(np.arange(n), np.flatnonzero(_bad_of(problems, name)))
        if empty.any():
            problems.append((name, empty, "empty (every call has one)"))
    arr, ans, end = frame["arrival"], frame["answer"], frame["end"]
    for mask, column, what in (
        ((end < arr).to_numpy(bool), "end", "before arrival"),
        ((ans < arr).to_numpy(bool), "answer", "before arrival"),
        ((ans > end).to_numpy(bool), "answer", "after end"),
    ):
        if mask.any():
            problems.append((column, mask, what))
    if "abandon" in present:
        ab = frame["abandon"]
        for mask, what in (((ab < arr).to_numpy(bool), "before arrival"), ((ab > end).to_numpy(bool), "after end")):
            if mask.any():
                problems.append(("abandon", mask, what))
    else:  # the hang-up of an unanswered call is its end (blocked callers leave at arrival: no wait)
        gone = ans.isna() & (end > arr)
        if "outcome" in present:
            gone &= raw[present["outcome"]].astype("string").isin(["abandoned"]).fillna(False) | raw[
                present["outcome"]].isna()
        frame["abandon"] = end.where(gone)
        notes.append("no abandon column: an unanswered call that lasted is abandoned at its end")
    if "wrap_up_s" in present:
        col = raw.pop(present["wrap_up_s"])
        if pd.api.types.is_numeric_dtype(col.dtype):
            w = col.astype(float)
            given = col.notna().to_numpy(bool)
        else:
            w_arr = _arrow_text(col)
            given = pc.is_valid(w_arr).to_numpy(zero_copy_only=False)
            try:
                w = pd.Series(pc.cast(w_arr, pa.float64()).to_numpy(zero_copy_only=False))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                w = pd.to_numeric(pd.Series(w_arr.to_pandas(types_mapper=pd.ArrowDtype)).astype("string"),
                                  errors="coerce").astype(float)
        wv = w.to_numpy(float, na_value=np.nan)
        with np.errstate(invalid="ignore"):  # nan, inf, negative or beyond a day: not an after-call work
            bad = given & ~((wv >= 0) & (wv <= MAX_WRAP_UP_S))
        if bad.any():
            problems.append(("wrap_up_s", bad, f"not a number of seconds from 0 to {MAX_WRAP_UP_S:g}"))
        frame["wrap_up_s"] = w.astype(float).to_numpy()
    else:
        frame["wrap_up_s"] = np.nan
    frame["agent_group"] = (raw[present["agent_group"]].astype("string").fillna("") if "agent_group" in present
                            else pd.Series("", index=frame.index, dtype="string"))
    for name in ("agent_id", "kind", "outcome"):
        if name in present:
            frame[name] = raw[present[name]].astype("string")
    del raw
    skipped = pd.DataFrame({"row": pd.Series(dtype=np.int64), "reason": pd.Series(dtype="string")})
    if ragged_msgs:
        skipped = pd.DataFrame({"row": [r for r, _ in ragged_msgs], "reason": [f"fields: {w}" for _, w in ragged_msgs]})
    if ragged_errors and not problems:
        raise LogError(ragged_errors)
    if problems:
        if not skip_bad_rows:
            raise LogError(ragged_errors + [_rows(src, mask, col, what, row_no) for col, mask, what in problems])
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
    if len(skipped):
        notes.append(f"{len(skipped)} bad rows skipped (--skip-bad-rows)")
    import pyarrow as pa

    pa.default_memory_pool().release_unused()  # Arrow's allocator keeps what reading freed (~200 MB for 10^6 calls)
    return CallLog(frame=frame, skipped=skipped, source=src, tz=tz, notes=notes)


def _bad_of(problems, column: str) -> np.ndarray:
    masks = [m for c, m, _ in problems if c == column]
    return np.logical_or.reduce(masks) if masks else np.zeros(0, bool)


# --------------------------------------------------------------------------- agents per interval
def local_slots(ts: pd.Series, interval_min: int) -> tuple[np.ndarray, np.ndarray]:
    """(local date as datetime64[D], clock slot of the day) of tz-aware times."""
    local = ts.dt.tz_localize(None).to_numpy().astype("datetime64[ms]")
    day = local.astype("datetime64[D]")
    sec = (local - day.astype("datetime64[ms]")) // np.timedelta64(1, "s")
    return day, (sec // (interval_min * 60)).astype(np.int64)


def read_staffing(path: str | Path, interval_min: int) -> pd.DataFrame:
    """A staffing file: CSV with columns date (YYYY-MM-DD), interval (HH:MM, the local start of
    the interval) and agents (on the phones, >= 0). Returns (date, slot, agents)."""
    p = Path(path)
    src = p.name
    if not p.is_file():
        raise LogError([f"{src}: file not found"])
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        raise LogError([f"{src}: not readable as CSV (date,interval,agents)"]) from None
    missing = [c for c in ("date", "interval", "agents") if c not in df.columns]
    if missing:
        raise LogError([f"{src}: column {c!r} missing (a staffing file has date,interval,agents)" for c in missing])
    if df.empty:
        raise LogError([f"{src}: no rows"])
    date = pd.to_datetime(df["date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    hm = df["interval"].str.strip().str.extract(r"^(\d{1,2}):(\d{2})$").astype(float)
    minutes = hm[0] * 60 + hm[1]
    agents = pd.to_numeric(df["agents"].str.strip(), errors="coerce")
    problems = []
    for mask, col, what in (
        (date.isna().to_numpy(bool), "date", "not a date (YYYY-MM-DD)"),
        ((minutes.isna() | (minutes >= 1440) | (minutes % interval_min != 0)).to_numpy(bool), "interval",
         f"not the HH:MM start of a {interval_min}-minute interval"),
        ((agents.isna() | (agents < 0)).to_numpy(bool), "agents", "not a number >= 0"),
    ):
        if mask.any():
            problems.append(_rows(src, mask, col, what))
    key = pd.Series(list(zip(df["date"], df["interval"])))
    dup = key.duplicated(keep=False).to_numpy(bool)
    if dup.any():
        problems.append(_rows(src, dup, "date,interval", "the same interval on more than one row"))
    if problems:
        raise LogError(problems)
    return pd.DataFrame({"date": date.to_numpy().astype("datetime64[D]"),
                         "slot": (minutes // interval_min).astype(np.int64).to_numpy(),
                         "agents": agents.to_numpy(float)})


def agents_per_interval(log: CallLog, interval_min: int, staffing_file: str | Path | None = None) -> pd.DataFrame | None:
    """Agents on the phones per (local date, interval): from ``staffing_file`` when given, else
    the distinct agent ids busy with a call (answer to end + wrap-up) in the interval, when the
    log has agent ids; None when neither. Distinct ids UNDERCOUNT: an idle agent takes no call
    and is not seen. Columns: date, slot (clock interval of the day), interval_start (HH:MM),
    agents; ``.attrs["source"]`` says which was used."""
    if staffing_file is not None:
        out = read_staffing(staffing_file, interval_min)
        out.attrs["source"] = f"staffing file {Path(staffing_file).name}"
    else:
        f = log.frame
        if "agent_id" not in f:
            return None
        ok = f["answer"].notna() & f["agent_id"].notna()
        f = f[ok]
        if f.empty:
            return None
        wrap = pd.to_timedelta(f["wrap_up_s"].fillna(0.0).to_numpy(), unit="s")
        d0, s0 = local_slots(f["answer"], interval_min)
        d1, s1 = local_slots(f["end"] + wrap, interval_min)
        per_day = 1440 // interval_min
        a = d0.astype(np.int64) * per_day + s0
        b = np.maximum(d1.astype(np.int64) * per_day + s1, a)
        span = (b - a + 1).astype(np.int64)
        first = np.repeat(a, span)
        step = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
        cell = first + step
        agent = np.repeat(pd.factorize(f["agent_id"])[0], span)
        pairs = pd.DataFrame({"cell": cell, "agent": agent}).drop_duplicates()
        counts = pairs.groupby("cell").size()
        day, slot = np.divmod(counts.index.to_numpy(), per_day)
        out = pd.DataFrame({"date": day.astype("datetime64[D]"), "slot": slot, "agents": counts.to_numpy(float)})
        out.attrs["source"] = "distinct agent ids per interval (undercounts: idle agents take no calls)"
    m = out["slot"] * interval_min
    out["interval_start"] = [f"{h:02d}:{mm:02d}" for h, mm in zip(m // 60, m % 60)]
    out["date"] = pd.to_datetime(out["date"]).dt.date
    return out[["date", "slot", "interval_start", "agents"]]


# --------------------------------------------------------------------------- commands that read logs
def private_errors(f):
    """For commands that read a call log: LogError -> one line per problem, exit 2; any other
    unexpected exception -> its type and where it happened (file, line, function, source line),
    exit 1, but never its message or the values in play: those could quote a row of the log
    (a caller id). Apply inside cli.handles_bad_input."""
    import functools
    import sys
    import traceback

    import click

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except LogError as exc:
            for p in exc.problems:
                click.echo(f"error: {p}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - reported without its message (privacy)
            from ska_sim.scenario.model import ScenarioError

            if isinstance(exc, ScenarioError):
                raise
            frames = traceback.extract_tb(exc.__traceback__)
            click.echo(f"internal error: {exc.__class__.__name__} (message withheld: it could quote the call log)",
                       err=True)
            for fr in frames[-6:]:
                click.echo(f"  {Path(fr.filename).name}:{fr.lineno} in {fr.name}: {(fr.line or '').strip()}", err=True)
            sys.exit(1)

    return wrapper
