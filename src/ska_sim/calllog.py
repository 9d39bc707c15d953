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
import math
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
    from .engine import KIND_NAMES, OUTCOME_NAMES
    from .timeline import DAY_S

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
    from .engine import Model, record_replication

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
    from .output import write_with

    path = Path(path)
    if path.suffix.lower() == ".parquet":
        write_with(path, lambda tmp: frame.to_parquet(tmp, index=False))
        return
    out = frame.copy()
    for c in TIME_COLUMNS:
        if c in out:
            out[c] = _iso(out[c])
    write_with(path, lambda tmp: out.to_csv(tmp, index=False, lineterminator="\n"))
