"""The call log: one row per call that reached the line. Reading it: :func:`read_log`; the
agents on the phones per interval: :func:`agents_per_interval`. Writing a simulated one
(``ska-sim run --record-calls FILE``): :mod:`ska_sim.calibration.log_writer`. Columns (README "Call logs"):

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
outcome         answered / abandoned / blocked / unanswered_at_close / virtual_hold / message
==============  ==============================================================================

Timestamps are ISO 8601 with the UTC offset, in local time (Europe/Tallinn by default): the
scenario's day d, second x is the wall clock x s after midnight on start + d (the simulation
has no DST; calls are in opening hours, far from the 03:00-04:00 transitions). Parquet holds
them as timestamp[ms, tz]. Only the measured window is written (warm-up days are not).

Read, timestamps with an offset are converted to the log's time zone; caller ids are hashed;
outcome and kind are ska-sim's names (log_values: any case, or an export's words mapped); a
CSV's lines are accounted for (log_lines).
"""

from __future__ import annotations

import secrets
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ska_sim.calibration.log_lines import check_count, check_lines, lf_lines
from ska_sim.calibration.log_checks import bad_of, bad_rows, ragged_rows, rows_message
from ska_sim.calibration.log_values import VOCABULARIES, canonical_values, load_values, table_key
from ska_sim.calibration.logfile import (DEFAULT_TZ, TIME_COLUMNS, LogError, all_midnight, arrow_text, parse_times,
                                         read_header, read_table, without_time_of_day)

REQUIRED = ("call_id", "caller_id", "arrival", "answer", "end")
MAX_WRAP_UP_S = 86400.0  # a wrap-up longer than a day is a broken value, not after-call work
OPTIONAL = ("call_type", "language", "abandon", "wrap_up_s", "agent_group", "agent_id", "kind", "outcome")
CANONICAL = REQUIRED + OPTIONAL
# The salt of the caller-id hashes: drawn once per process, kept in memory only, never written
# (a salted hash of a personal code could be brute-forced, ~10^8 codes, if the salt persisted).
_SALT = secrets.token_urlsafe(12)  # 16 characters: the SipHash key of pandas' hash_array



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


class ColumnMapping(dict):
    """A mapping file read: canonical column name -> the file's column (the dict), and
    ``value_maps``: per enumerated column (outcome, kind), the file's value -> ska-sim's name."""

    def __init__(self, columns: dict[str, str], value_maps: dict[str, dict[str, str]] | None = None):
        super().__init__(columns)
        self.value_maps = dict(value_maps or {})


def load_columns(path: str | Path) -> ColumnMapping:
    """A mapping file (TOML): canonical name = "the file's column", at the top level or under
    [columns]; and the values of the enumerated columns, [outcome_values] and [kind_values]
    (log_values)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LogError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LogError([f"{path}: not a readable TOML file ({exc.__class__.__name__})"]) from None
    value_maps, problems = load_values(data, str(path))
    tables = {table_key(c) for c in VOCABULARIES}
    out = {}
    if "columns" in data:
        problems += [f"{path}: {key}: not a table of a mapping file (columns, {', '.join(sorted(tables))})"
                     for key in data if key != "columns" and key not in tables]
        table = data["columns"] if isinstance(data["columns"], dict) else {}
        if not isinstance(data["columns"], dict):
            problems.append(f"{path}: columns: must be a table (canonical name = \"the file's column\")")
    else:
        table = {k: v for k, v in data.items() if k not in tables}
    for key, value in table.items():
        if key not in CANONICAL:
            problems.append(f"{path}: {key}: not a call-log column (one of {', '.join(CANONICAL)})")
        elif not isinstance(value, str) or not value:
            problems.append(f"{path}: {key}: must be the file's column name (a string)")
        else:
            out[key] = value
    if problems:
        raise LogError(problems)
    return ColumnMapping(out, value_maps)


def _check_path(p: Path, src: str, tz: str) -> None:
    """A known time zone and a .csv or .parquet file that exists."""
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise LogError([f"--tz {tz}: not a known time zone (e.g. Europe/Tallinn)"]) from None
    if not p.is_file():
        raise LogError([f"{src}: file not found" if not p.exists() else f"{src}: not a regular file"])
    if p.suffix.lower() not in (".csv", ".parquet"):
        raise LogError([f"{src}: a call log is .csv or .parquet"])


def _columns(p: Path, src: str, columns: dict[str, str] | None) -> dict[str, str]:
    """Canonical name -> the file's column, for the columns the file has; the required ones checked."""
    mapping = {k: k for k in CANONICAL}
    mapping.update(columns or {})
    if p.suffix.lower() == ".csv":
        if p.stat().st_size == 0:
            raise LogError([f"{src}: empty file (no header, no calls)"])
        header = read_header(p)
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
    return present


def read_log(path: str | Path, columns: dict[str, str] | None = None, tz: str = DEFAULT_TZ,
             skip_bad_rows: bool = False) -> CallLog:
    """Read a call log (CSV or Parquet) into canonical columns, checked; see the module docs.

    ``columns`` maps canonical names to the file's (the rest keep their canonical names); a
    :class:`ColumnMapping` (load_columns) also maps the file's outcome and kind words.
    Timestamps with an offset are converted to ``tz``; naive ones are local times in ``tz``
    (a time inside a DST transition takes the offset in force before it: see logfile.localize).
    Caller ids are hashed with this process's salt as they are read, and the raw column is
    dropped. Bad rows raise LogError (every problem, with row numbers) unless
    ``skip_bad_rows``, which leaves them out and lists them in ``CallLog.skipped``.
    """
    p = Path(path)
    src = p.name
    _check_path(p, src, tz)
    present = _columns(p, src, columns)
    raw, ragged = _read_counted(p, src, present)
    n = len(raw)
    bad_fields = ragged_rows(ragged, n, src, skip_bad_rows)
    problems: list[tuple[str, np.ndarray, str]] = []  # (column, bad rows, what)
    notes: list[str] = []
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    raw = _ids(raw, present, frame, problems)  # the caller ids hashed, the raw column gone, first
    value_maps = getattr(columns, "value_maps", {})
    for name in VOCABULARIES:  # ska-sim's names, or the read stops naming the unknown values
        if name in present:
            frame[name] = canonical_values(raw.pop(present[name]), name, present[name], value_maps.get(name), src)
    for name, default in (("call_type", "all"), ("language", "")):
        frame[name] = (raw[present[name]].astype("string").fillna(default) if name in present
                       else pd.Series(default, index=frame.index, dtype="string"))
    _times(raw, present, tz, frame, problems, notes, src)
    _order(raw, present, frame, problems, notes)
    _wrap_up(raw, present, frame, problems)
    frame["agent_group"] = (raw[present["agent_group"]].astype("string").fillna("") if "agent_group" in present
                            else pd.Series("", index=frame.index, dtype="string"))
    if "agent_id" in present:
        frame["agent_id"] = raw[present["agent_id"]].astype("string")
    del raw
    _duplicates(frame, problems)
    frame, skipped = bad_rows(frame, problems, bad_fields, src, skip_bad_rows)
    if len(skipped):
        notes.append(f"{len(skipped)} bad rows skipped (--skip-bad-rows)")
    import pyarrow as pa

    pa.default_memory_pool().release_unused()  # Arrow's allocator keeps what reading freed (~200 MB for 10^6 calls)
    return CallLog(frame=frame, skipped=skipped, source=src, tz=tz, notes=notes)


def _read_counted(p: Path, src: str, present: dict[str, str]) -> tuple[pd.DataFrame, list[tuple[int, int, int]]]:
    """The table and its rows of the wrong number of fields; a CSV's lines accounted for (every
    line one record, or real multi-line text fields read again as such), else LogError."""
    wanted = list(dict.fromkeys(present.values()))
    times = tuple(present[k] for k in TIME_COLUMNS if k in present)
    if p.suffix.lower() != ".csv":
        return read_table(p, src, wanted, times)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:  # the lines counted while pyarrow reads (it lets go of the GIL)
        quick = pool.submit(lf_lines, p)
        raw, ragged = read_table(p, src, wanted, times)
        n_lines = quick.result()
    canonical_of = {v: k for k, v in present.items()}
    expected = check_lines(p, src, read_header(p), len(raw) + len(ragged), canonical_of, n_lines)
    if expected is not None:  # quoted text fields with line breaks: read again knowing they are there
        raw, ragged = read_table(p, src, wanted, times, multiline=True)
        check_count(src, len(raw) + len(ragged), expected)
    return raw, ragged


def _ids(raw: pd.DataFrame, present: dict[str, str], frame: pd.DataFrame, problems: list) -> pd.DataFrame:
    """frame's caller (salted hashes) and call_id (integers when they all are, else text); returns
    raw without the caller and call-id columns."""
    caller_col = present["caller_id"]
    caller_raw = raw[caller_col]
    no_caller = caller_raw.isna().to_numpy(bool) | (caller_raw.astype("string").str.strip() == "").fillna(True).to_numpy(bool)
    caller = hash_callers(caller_raw)
    del caller_raw
    raw = raw.drop(columns=[caller_col])
    if no_caller.any():
        problems.append(("caller_id", no_caller, "empty"))
    import pyarrow as pa
    import pyarrow.compute as pc

    cid_arr = arrow_text(raw.pop(present["call_id"]))
    no_id = pc.is_null(cid_arr).to_numpy(zero_copy_only=False)
    cid = pd.Series(cid_arr.to_pandas(types_mapper=pd.ArrowDtype)).astype("string")
    if no_id.any():
        problems.append(("call_id", no_id, "empty"))
    try:  # integers when they all are, else kept as text
        ids = pc.cast(cid_arr, pa.int64()).to_numpy(zero_copy_only=False) if not no_id.any() else None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        ids = None
    frame["call_id"] = ids if ids is not None else cid
    frame["caller"] = caller
    return raw


def _duplicates(frame: pd.DataFrame, problems: list) -> None:
    """Rows with the same call id: a row equal in every column to an earlier one is a copy (only
    the copy is bad: the call is kept once); rows that share an id but differ are all bad."""
    ids = frame["call_id"]
    dup = ids.duplicated(keep=False).to_numpy(bool) & ids.notna().to_numpy(bool)
    if not dup.any():
        return
    copy = np.zeros(len(frame), bool)
    copy[np.flatnonzero(dup)] = frame[dup].duplicated(keep="first").to_numpy(bool)
    if copy.any():
        problems.append(("call_id", copy, "a copy of an earlier row (the same call twice, every column equal)"))
    rest = dup & ~copy
    clash = np.zeros(len(frame), bool)
    clash[np.flatnonzero(rest)] = ids[rest].duplicated(keep=False).to_numpy(bool)
    if clash.any():
        problems.append(("call_id", clash, "the same call id on more than one row"))


def _times(raw: pd.DataFrame, present: dict[str, str], tz: str, frame: pd.DataFrame, problems: list,
           notes: list[str], src: str) -> None:
    """The timestamp columns parsed (each text column freed once parsed); arrival and end required."""
    n_amb = n_non = 0
    for name in TIME_COLUMNS:
        if name not in present:
            continue
        col = raw.pop(present[name])
        dateless, examples = without_time_of_day(col)
        t, bad, a, b = parse_times(col, tz)
        del col
        dateless &= ~bad  # read as timestamps (at midnight), though they carry no time of day
        given = int((t.notna().to_numpy(bool) | bad).sum())
        example = (examples[0] if examples else "") if dateless.any() and dateless.sum() == given else all_midnight(t)
        if example is not None:  # a date or a year where a time is expected: no row has a time of day
            label = f"column {present[name]!r}" + (f" ({name})" if present[name] != name else "")
            raise LogError([f"{src}: {label}: its values carry no time of day" + (f" (e.g. {example!r})" if example else "")
                            + f": a date or a year, not when the call happened; map {name} to a column with date and time"])
        if dateless.any():  # some rows: bad rows, their value not compared with the other times
            problems.append((name, dateless, "no time of day (a date without a time)"))
            t = t.mask(dateless)
        n_amb, n_non = n_amb + a, n_non + b
        frame[name] = t
        if bad.any():
            problems.append((name, bad, "not a timestamp (ISO 8601 expected, e.g. 2026-03-02T09:00:05+02:00)"))
    if n_amb or n_non:
        notes.append(f"{n_amb} ambiguous and {n_non} nonexistent local times (DST changes) read with the "
                     "offset in force before the change")
    n = len(frame)
    for name in ("arrival", "end"):
        empty = frame[name].isna().to_numpy(bool) & ~np.isin(np.arange(n), np.flatnonzero(bad_of(problems, name)))
        if empty.any():
            problems.append((name, empty, "empty (every call has one)"))


def _order(raw: pd.DataFrame, present: dict[str, str], frame: pd.DataFrame, problems: list,
           notes: list[str]) -> None:
    """Arrival <= answer <= end and arrival <= abandon <= end; without an abandon column, an
    unanswered call that lasted is abandoned at its end."""
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
        if "outcome" in frame:
            gone &= (frame["outcome"] == "abandoned").fillna(False) | frame["outcome"].isna()
        frame["abandon"] = end.where(gone)
        notes.append("no abandon column: an unanswered call that lasted is abandoned at its end")


def _wrap_up(raw: pd.DataFrame, present: dict[str, str], frame: pd.DataFrame, problems: list) -> None:
    """wrap_up_s as float seconds from 0 to MAX_WRAP_UP_S (nan when the log has none)."""
    if "wrap_up_s" not in present:
        frame["wrap_up_s"] = np.nan
        return
    import pyarrow as pa
    import pyarrow.compute as pc

    col = raw.pop(present["wrap_up_s"])
    if pd.api.types.is_numeric_dtype(col.dtype):
        w = col.astype(float)
        given = col.notna().to_numpy(bool)
    else:
        w_arr = arrow_text(col)
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
            problems.append(rows_message(src, mask, col, what))
    key = pd.Series(list(zip(df["date"], df["interval"])))
    dup = key.duplicated(keep=False).to_numpy(bool)
    if dup.any():
        problems.append(rows_message(src, dup, "date,interval", "the same interval on more than one row"))
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
