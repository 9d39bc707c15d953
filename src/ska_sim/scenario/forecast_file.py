"""The ``[arrivals.forecast]`` block (its keys: scenario/forecast.py says what they do) and reading a forecast table (``forecast.csv``, what ``ska-sim forecast`` writes) for
``[arrivals.forecast]``: one row per date (``call_type`` empty or ``all``: every call type
together) or per date and call type, with the expected first calls and their 80% and 95%
prediction intervals.

Columns, by name: ``date`` (ISO), ``call_type``, ``calls_mean``, ``calls_low_80``,
``calls_high_80``, ``calls_low_95``, ``calls_high_95``, ``closed`` (0 or 1); any further
columns are the calendar effects that apply to the date, kept as text for the report and the
page. Every value the reader does not recognise stops the read with the file, the line and the
column: a missing column, an unknown call type, a number that is not finite or is negative,
quantiles out of order (low 95 <= low 80 <= mean <= high 80 <= high 95), a closed flag other
than 0 or 1, a (date, call type) given twice, rows for every type together mixed with rows per
type, a date missing some of the scenario's call types.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field, PrivateAttr, StrictBool, field_validator

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.limits import MAX_SCENARIO_BYTES
from ska_sim.scenario.block import Block, non_negative_values

COLUMNS = ("date", "call_type", "calls_mean", "calls_low_80", "calls_high_80", "calls_low_95", "calls_high_95", "closed")
NUMBERS = COLUMNS[2:7]
ALL_TYPES = ("", "all")  # call_type values meaning every call type together
MAX_FORECAST_BYTES = 50 * MAX_SCENARIO_BYTES


@dataclass(frozen=True)
class ForecastRow:
    line: int  # the line of the file (1 = the header)
    date: dt.date
    call_type: str | None  # None: every call type together
    mean: float
    low_80: float
    high_80: float
    low_95: float
    high_95: float
    closed: bool
    effects: tuple[tuple[str, str], ...]  # the further columns that apply (cell not empty, not 0)

    def quantiles(self) -> tuple[float, float, float, float]:
        """(2.5%, 10%, 90%, 97.5%) points, the order of maths.predictive.LEVELS."""
        return self.low_95, self.low_80, self.high_80, self.high_95


@dataclass(frozen=True)
class ForecastTable:
    path: str
    sha256: str
    rows: tuple[ForecastRow, ...]
    typed: bool  # rows per call type (else one row per date for every type together)

    def by_date(self) -> dict[dt.date, list[ForecastRow]]:
        out: dict[dt.date, list[ForecastRow]] = {}
        for r in self.rows:
            out.setdefault(r.date, []).append(r)
        return out


@dataclass
class LoadedForecast:
    """What loading attaches to the block: the table read and the scenario file's folder."""

    table: ForecastTable | None = None
    base_dir: str = "."
    fits: dict[int, tuple[float, float]] = field(default_factory=dict)  # row line -> (cv, error)


class ArrivalsForecast(Block):
    """[arrivals.forecast]: ``file`` (relative to the scenario file), ``uncertainty``, ``override``."""

    file: str = Field(min_length=1)
    uncertainty: StrictBool = True
    override: dict[dt.date, float] = {}  # date -> the day's first calls, set by a manager
    _loaded: LoadedForecast = PrivateAttr(default_factory=LoadedForecast)

    @field_validator("override")
    @classmethod
    def _non_negative(cls, v: dict) -> dict:
        return non_negative_values(v, "first calls")

    @property
    def table(self) -> ForecastTable | None:
        return self._loaded.table

    @property
    def fits(self) -> dict[int, tuple[float, float]]:
        """The rows' predictive fits (line -> (cv, error)), filled as they are first needed."""
        return self._loaded.fits

    def attach(self, loaded: LoadedForecast) -> None:
        """What loading read (scenario/forecast.attach_forecast is the one caller)."""
        self._loaded = loaded

    def path(self) -> Path:
        p = Path(self.file)
        return p if p.is_absolute() else Path(self._loaded.base_dir) / p


def _text(path: Path) -> tuple[str, bytes]:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FORECAST_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem(str(path), "", "forecast file not found")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(str(path), "", f"cannot read: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FORECAST_BYTES:
        raise ScenarioError([Problem(str(path), "", f"larger than {MAX_FORECAST_BYTES / 1e6:g} MB")])
    try:
        return raw.decode("utf-8-sig"), raw
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(str(path), "", f"cannot read: not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None


def read_forecast(path: str | Path, type_names: list[str]) -> ForecastTable:
    """The forecast table at ``path`` for a scenario with call types ``type_names``; every
    problem found raises :class:`ScenarioError` naming the file, line and column."""
    path = Path(path)
    text, raw = _text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    src = str(path)
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise ScenarioError([Problem(src, "line 1", "empty file: a header with the columns "
                                     f"{', '.join(COLUMNS)} is needed")])
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ScenarioError([Problem(src, "line 1", f"missing column(s) {', '.join(missing)} (needed: {', '.join(COLUMNS)})")])
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise ScenarioError([Problem(src, "line 1", f"column(s) {', '.join(twice)} given more than once")])
    at = {c: header.index(c) for c in header}
    extra = [c for c in header if c not in COLUMNS]
    rows, problems, seen = [], [], {}
    for fields in reader:
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            problems.append(Problem(src, f"line {line}", f"{len(fields)} fields, the header has {len(header)}"))
            continue
        row = _row(src, line, fields, at, extra, type_names, problems)
        if row is None:
            continue
        key = (row.date, row.call_type)
        if key in seen:
            what = f"call type {row.call_type}" if row.call_type else "every call type"
            problems.append(Problem(src, f"line {line}", f"{row.date.isoformat()} ({what}) is given twice "
                                    f"(also on line {seen[key]})"))
            continue
        seen[key] = line
        rows.append(row)
    if not rows and not problems:
        problems.append(Problem(src, "line 2", "no rows: the forecast has no dates"))
    problems += _shape_problems(src, rows, type_names)
    if problems:
        raise ScenarioError(problems[:20])
    typed = bool(rows) and rows[0].call_type is not None
    return ForecastTable(src, hashlib.sha256(raw).hexdigest(), tuple(rows), typed)


def _row(src: str, line: int, fields: list[str], at: dict[str, int], extra: list[str], type_names: list[str],
         problems: list[Problem]) -> ForecastRow | None:
    """One line read, or None with its problems added."""
    before = len(problems)

    def where(col: str) -> str:
        return f"line {line}, column {col}"

    cell = {c: fields[at[c]].strip() for c in at}
    try:
        date = dt.date.fromisoformat(cell["date"])
    except ValueError:
        problems.append(Problem(src, where("date"), f"not a date (YYYY-MM-DD): {cell['date']!r}"))
        date = None
    ctype = cell["call_type"]
    if ctype in ALL_TYPES:
        ctype = None
    elif ctype not in type_names:
        problems.append(Problem(src, where("call_type"), f"unknown call type {ctype!r} (the scenario's: "
                                f"{', '.join(type_names)}; empty or 'all' for every type together)"))
    nums = {}
    for c in NUMBERS:
        try:
            x = float(cell[c])
        except ValueError:
            problems.append(Problem(src, where(c), f"not a number: {cell[c]!r}"))
            continue
        if not math.isfinite(x) or x < 0:
            problems.append(Problem(src, where(c), f"must be a finite number >= 0 (got {cell[c]})"))
            continue
        nums[c] = x
    if len(nums) == len(NUMBERS):
        order = ("calls_low_95", "calls_low_80", "calls_mean", "calls_high_80", "calls_high_95")
        for a, b in zip(order, order[1:]):
            if nums[a] > nums[b] + 1e-9 * max(1.0, nums[b]):
                problems.append(Problem(src, where(b), f"{b} {nums[b]:g} is below {a} {nums[a]:g} (the order is "
                                        "low_95 <= low_80 <= mean <= high_80 <= high_95)"))
                break
    if cell["closed"] not in ("0", "1"):
        problems.append(Problem(src, where("closed"), f"must be 0 or 1 (got {cell['closed']!r})"))
    if len(problems) > before:
        return None
    effects = tuple((c, cell[c]) for c in extra if cell[c] and not _zero(cell[c]))
    return ForecastRow(line, date, ctype, nums["calls_mean"], nums["calls_low_80"], nums["calls_high_80"],
                       nums["calls_low_95"], nums["calls_high_95"], cell["closed"] == "1", effects)


def _zero(text: str) -> bool:
    try:
        return float(text) == 0
    except ValueError:
        return text.lower() in ("false", "no")


def _shape_problems(src: str, rows: list[ForecastRow], type_names: list[str]) -> list[Problem]:
    """Rows for every type together mixed with rows per type; dates missing a call type."""
    if not rows:
        return []
    together = [r for r in rows if r.call_type is None]
    per_type = [r for r in rows if r.call_type is not None]
    if together and per_type:
        return [Problem(src, f"line {per_type[0].line if rows[0].call_type is None else together[0].line}, column "
                        "call_type", "rows for every call type together (call_type empty or 'all') and rows per call "
                        "type in one file: give one or the other")]
    if not per_type:
        return []
    have: dict[dt.date, set[str]] = {}
    first: dict[dt.date, int] = {}
    for r in per_type:
        have.setdefault(r.date, set()).add(r.call_type)
        first.setdefault(r.date, r.line)
    out = []
    for date, names in have.items():
        lacking = [n for n in type_names if n not in names]
        if lacking:
            out.append(Problem(src, f"line {first[date]}, column call_type", f"{date.isoformat()} has no row for call "
                               f"type(s) {', '.join(lacking)} (a file per type gives every call type of the scenario)"))
    return out
