"""The enumerated columns of a call log (``outcome``, ``kind``): their values read into
ska-sim's own names. ska-sim's names match whatever their case (``Abandoned``, ``ABANDONED``);
a mapping file (``--columns``) maps an export's own words with ``[outcome_values]`` and
``[kind_values]`` tables (``abandoned = ["ABAN", "Lost"]``), matched exactly (after trimming).
A value neither matches stops the read: the message names the file, the column, each unknown
value with its count (values of these columns are not personal data; a column with many
distinct unknown values, or values holding long numbers, is likely the wrong column: those
are not quoted) and the table to map them in."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ska_sim.calibration.logfile import LogError, arrow_raw

# The names the log writer writes (sim.engine's OUTCOME_NAMES and KIND_NAMES; a test keeps them
# equal): spelled here so that reading a log does not load the engine.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "outcome": ("answered", "abandoned", "blocked", "unanswered_at_close", "virtual_hold", "message"),
    "kind": ("first", "redial", "repeat", "callback"),
}
MAX_VALUES_QUOTED = 20  # more distinct unknown values than this: not a vocabulary, none is quoted
MAX_VALUE_CHARS = 40


def table_key(column: str) -> str:
    """The mapping file's table of a column's values: ``outcome`` -> ``outcome_values``."""
    return f"{column}_values"


def load_values(data: dict, path: str) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The ``[<column>_values]`` tables of a mapping file: column -> {the file's value: ska-sim's
    name}, and the problems found (unknown names, values that are not strings, one value mapped
    to two names)."""
    out: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for column, names in VOCABULARIES.items():
        key = table_key(column)
        if key not in data:
            continue
        table = data[key]
        if not isinstance(table, dict):
            problems.append(f"{path}: {key}: must be a table ({names[0]} = [\"...\"], ...)")
            continue
        values: dict[str, str] = {}
        for name, given in table.items():
            if name not in names:
                problems.append(f"{path}: {key}.{name}: not one of ska-sim's {column}s ({', '.join(names)})")
                continue
            given = [given] if isinstance(given, str) else given
            if not isinstance(given, list) or not given or not all(isinstance(v, str) and v.strip() for v in given):
                problems.append(f"{path}: {key}.{name}: must be a list of the file's values (non-empty strings)")
                continue
            for v in given:
                v = v.strip()
                if values.get(v, name) != name:
                    problems.append(f"{path}: {key}: {v!r} is mapped to both {values[v]} and {name}")
                values[v] = name
        out[column] = values
    return out, problems


def _quoted(values: pd.Series) -> str:
    """'value' (count), ... for a message; long values cut."""
    parts = []
    for v, k in values.items():
        v = str(v)
        v = v if len(v) <= MAX_VALUE_CHARS else v[:MAX_VALUE_CHARS] + "..."
        parts.append(f"{v!r} ({k:,})")
    return ", ".join(parts)


def canonical_values(col: pd.Series, column: str, file_column: str, mapped: dict[str, str] | None,
                     src: str) -> pd.Series:
    """An enumerated column read into ska-sim's names (text, empty -> missing). Raises LogError
    naming every unknown value with its count and how to map them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = VOCABULARIES[column]
    arr = pa.array(col) if isinstance(col.dtype, (pd.ArrowDtype, pd.StringDtype)) else arrow_raw(col)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = pc.dictionary_encode(arr)  # trimmed below, on the distinct values only
    words = [w.strip() for w in enc.dictionary.to_pylist()]  # a handful in a real log
    lookup = {n.lower(): n for n in names}
    target: list[str | None] = []
    unknown: list[int] = []
    for i, w in enumerate(words):
        if not w:  # empty: no value
            target.append(None)
            continue
        name = (mapped or {}).get(w) or lookup.get(w.lower())
        target.append(name)
        if name is None:
            unknown.append(i)
    if unknown:
        per = {c["values"]: c["counts"] for c in pc.value_counts(enc.indices).to_pylist()}
        tally: dict[str, int] = {}
        for i in unknown:  # values that differ only in blanks around them counted together
            tally[words[i]] = tally.get(words[i], 0) + per.get(i, 0)
        bad = pd.Series(tally).sort_values(ascending=False, kind="stable")
        label = f"column {file_column!r}" + (f" ({column})" if file_column != column else "")
        n_rows = int(bad.sum())
        numbers = np.array([re.search(r"\d{5}", str(v)) is not None for v in bad.index])  # ids, phone numbers
        if len(bad) > MAX_VALUES_QUOTED or numbers.all():
            what = (f"{len(bad):,} distinct values ska-sim does not know on {n_rows:,} rows (none quoted: is this "
                    f"the {column} column?)")
        else:
            what = f"values ska-sim does not know: {_quoted(bad[~numbers])}" + (
                f" and {int(numbers.sum()):,} holding long numbers (not quoted)" if numbers.any() else "")
        raise LogError([f"{src}: {label}: {what}; map them in the --columns file, e.g. [{table_key(column)}] "
                        f"{names[1] if column == 'outcome' else names[0]} = [\"...\"] (ska-sim's {column}s: "
                        f"{', '.join(names)}, any case)"])
    out = pc.take(pa.array(target, pa.large_string()), enc.indices)  # large: pandas' string dtype, no copy
    return pd.Series(out.to_pandas(types_mapper=pd.ArrowDtype), index=col.index).astype("string")
