"""Writing call logs (``ska-sim run --record-calls FILE``): the calls of one replication, from the
engine's recorder (engine.record_replication), as CSV or Parquet, in the columns of
:mod:`ska_sim.calibration.calllog`. Timestamps are ISO 8601 with the UTC offset, in local time
(Europe/Tallinn by default): the scenario's day d, second x is the wall clock x s after midnight
on start + d. Only the measured window is written (warm-up days are not)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ska_sim.base.files import write_with
from ska_sim.calibration.logfile import DEFAULT_TZ, TIME_COLUMNS, local_times
from ska_sim.scenario.clock import DAY_S
from ska_sim.sim.engine import KIND_NAMES, OUTCOME_NAMES, Model, record_replication

LOG_COLUMNS = ("call_id", "caller_id", "call_type", "language", "arrival", "answer", "end", "abandon",
               "wrap_up_s", "agent_group", "kind", "outcome")


def records_frame(records, model, scenario, tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """The call log of one replication's records (engine.CallRecords), measured window only."""
    tl = model.timeline
    arrival = np.asarray(records.arrival, float)
    day = (arrival // DAY_S).astype(np.int64)
    keep = tl.measured[np.clip(day, 0, tl.n_days - 1)] if len(arrival) else np.zeros(0, bool)
    idx = np.flatnonzero(keep)
    # rows in arrival order (call_id 1.. as calllog.py defines it): the recorder adds a placed
    # callback when the replay notices it, after calls that arrived later (stable: ties keep their order)
    idx = idx[np.argsort(arrival[idx], kind="stable")]
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
        "arrival": local_times(arrival[idx], day0, tz),
        "answer": local_times(answer, day0, tz),
        "end": local_times(end, day0, tz),
        "abandon": local_times(abandon, day0, tz),
        "wrap_up_s": np.round(col(records.acw), 3),
        "agent_group": np.where(group >= 0, groups[np.clip(group, 0, None)], ""),
        "kind": np.array(KIND_NAMES, dtype=object)[col(records.kind, np.int64)],
        "outcome": np.array(OUTCOME_NAMES, dtype=object)[outcome],
    })
    return frame


def record_calls(scenario, seed: int, index: int = 0, tz: str = DEFAULT_TZ):
    """Replication ``index`` of ``scenario`` with ``seed`` (as ``run`` numbers them), recorded:
    (its ReplicationCounts, its call log as a DataFrame)."""
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

