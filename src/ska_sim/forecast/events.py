"""The user's events file (TOML): one ``[[events]]`` table per event.

    [[events]]
    name = "letter campaign"     # shown in forecast.csv's effects and the plot
    start = 2026-03-09
    end = 2026-03-20             # inclusive; its open days get the factor
    factor = 1.4                 # optional: applied as given; without it, estimated from the history

An event without a factor must lie in the history (it is estimated there).
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from pathlib import Path

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.forecast.effects import UserEvent

KEYS = {"name", "start", "end", "factor"}
MAX_FACTOR = 100.0


def read_events(path: str | Path) -> list[UserEvent]:
    p, src = Path(path), str(path)
    if not p.is_file():
        raise ScenarioError([Problem(src, "", "not a file" if p.exists() else "file not found")])
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(src, "", f"not a TOML file: {exc}")]) from None
    problems: list[Problem] = []
    extra = sorted(set(data) - {"events"})
    if extra:
        problems.append(Problem(src, extra[0], "unknown key (the file holds [[events]] tables)"))
    items = data.get("events", [])
    if not isinstance(items, list) or not all(isinstance(e, dict) for e in items):
        raise ScenarioError(problems + [Problem(src, "events", "must be [[events]] tables")])
    out: list[UserEvent] = []
    names: set[str] = set()
    for i, e in enumerate(items):
        key = f"events[{i}]"
        for k in sorted(set(e) - KEYS):
            problems.append(Problem(src, f"{key}.{k}", f"unknown key (expected {', '.join(sorted(KEYS))})"))
        name = e.get("name")
        if not isinstance(name, str) or not name.strip() or ";" in name:
            problems.append(Problem(src, f"{key}.name", "a name is needed (text without ';')"))
            continue
        if name in names:
            problems.append(Problem(src, f"{key}.name", f"{name!r} given twice"))
        names.add(name)
        start, end = e.get("start"), e.get("end", e.get("start"))
        for k, v in (("start", start), ("end", end)) if "end" in e else (("start", start),):
            if not isinstance(v, dt.date) or isinstance(v, dt.datetime):
                problems.append(Problem(src, f"{key}.{k}", f"{v!r}: a date (YYYY-MM-DD) is needed"))
        factor = e.get("factor")
        if factor is not None and (isinstance(factor, bool) or not isinstance(factor, (int, float))
                                   or not math.isfinite(factor) or not 0 < factor <= MAX_FACTOR):
            problems.append(Problem(src, f"{key}.factor", f"{factor!r}: a number > 0 and <= {MAX_FACTOR:g}"))
            continue
        if isinstance(start, dt.date) and isinstance(end, dt.date) and not problems:
            if end < start:
                problems.append(Problem(src, f"{key}.end", f"{end.isoformat()} is before start {start.isoformat()}"))
                continue
            out.append(UserEvent(name, start, end, None if factor is None else float(factor)))
    if problems:
        raise ScenarioError(problems)
    return out
