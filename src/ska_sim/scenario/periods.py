"""Talk time and patience that depend on the period: a call type's talk time or patience
multiplied by a factor that depends on the time of day (and optionally the weekday) of the
call's arrival.

``PeriodFactor`` (block.py) is one period of a ``*_factor_by_period`` list (``hours = ["HH:MM", "HH:MM"]``,
``factor``, optional ``days``); :func:`period_checks` refuses lists whose periods overlap or
leave open hours of a day they apply to uncovered; :class:`PeriodTable` holds the factors over
the simulated window per call type (the engine looks a call's factors up at its arrival time);
:func:`interval_talk_factors` and :func:`interval_handle_s` give the plans and the Erlang
cross-check each interval's mean talk factor and mean handle time per call type.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ska_sim.scenario.block import PeriodFactor
from ska_sim.scenario.clock import DAY_S, WEEKDAYS, format_clock

if TYPE_CHECKING:
    from ska_sim.scenario.intervals import Timeline
    from ska_sim.scenario.model import Scenario




def period_lists(s: Scenario) -> list[tuple[str, list[PeriodFactor]]]:
    """Every ``*_factor_by_period`` list of the scenario with its key path."""
    out = []
    if s.patience_factor_by_period is not None:
        out.append(("patience_factor_by_period", s.patience_factor_by_period))
    for i, ct in enumerate(s.call_types):
        for key in ("talk_factor_by_period", "patience_factor_by_period"):
            periods = getattr(ct, key)
            if periods is not None:
                out.append((f"call_types[{i}].{key}", periods))
    return out


def uses_periods(s: Scenario) -> bool:
    return bool(period_lists(s))


def _open_spans(s: Scenario, weekday: str) -> list[tuple[int, int]]:
    """The opening hours a weekday can have: its usual hours and those of dates with their own."""
    spans = set()
    usual = s.calendar.hours.get(weekday)
    if usual is not None:
        spans.add((usual.open_s, usual.close_s))
    for date, h in s.calendar.date_hours.items():
        if WEEKDAYS[date.weekday()] == weekday:
            spans.add((h.open_s, h.close_s))
    return sorted(spans)


def _first_gap(periods: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """The first part of [start, end) that no period (sorted, not overlapping) covers."""
    t = start
    for a, b in periods:
        if b <= t:
            continue
        if a > t:
            return t, min(a, end)
        t = b
        if t >= end:
            return None
    return (t, end) if t < end else None


def _cover_checks(s: Scenario, path: str, periods: list[PeriodFactor]) -> list[tuple[str, str]]:
    """Overlaps and uncovered open hours of one list, each problem once with the weekdays it has."""
    found: dict[tuple, list[str]] = {}  # (kind, clock times) -> weekdays
    named = {d for p in periods for d in (p.days or WEEKDAYS)}
    for wd in WEEKDAYS:
        if wd not in named:
            continue
        mine = sorted((p.hours.open_s, p.hours.close_s) for p in periods if p.applies(wd))
        overlap = [(a, b) for a, b in zip(mine, mine[1:]) if b[0] < a[1]]
        for a, b in overlap:
            found.setdefault(("overlap", *a, *b), []).append(wd)
        if overlap:
            continue
        for o, c in _open_spans(s, wd):
            gap = _first_gap(mine, o, c)
            if gap is not None:
                found.setdefault(("gap", o, c, *gap), []).append(wd)
    out = []
    for (kind, *x), days in found.items():
        x = [format_clock(v) for v in x]
        if kind == "overlap":
            out.append((path, f"periods {x[0]}-{x[1]} and {x[2]}-{x[3]} overlap on {', '.join(days)}"))
        else:
            out.append((path, f"{', '.join(days)} {'is' if len(days) == 1 else 'are'} open {x[0]}-{x[1]} but no "
                              f"period covers {x[2]}-{x[3]} (periods must cover the open hours of every weekday "
                              "they name)"))
    return out


def period_checks(s: Scenario) -> list[tuple[str, str]]:
    """Periods cover the open hours of the weekdays they apply to without overlapping; patience
    factors apply to call types that have a patience."""
    out = []
    for path, periods in period_lists(s):
        out += _cover_checks(s, path, periods)
    has_patience = [ct.patience is not None or s.patience is not None for ct in s.call_types]
    for i, ct in enumerate(s.call_types):
        if ct.patience_factor_by_period is not None and not has_patience[i]:
            out.append((f"call_types[{i}].patience_factor_by_period",
                        f"{ct.name} has no patience to scale (give call_types[{i}].patience or [patience])"))
    if s.patience_factor_by_period is not None:
        takers = [h for ct, h in zip(s.call_types, has_patience) if ct.patience_factor_by_period is None]
        if not takers:
            out.append(("patience_factor_by_period", "every call type has its own patience_factor_by_period: "
                                                     "this one applies to none"))
        elif not any(takers):
            out.append(("patience_factor_by_period", "no call type it applies to has a patience "
                                                     "(give [patience] or call_types[].patience)"))
    return out


def _factor(periods: list[PeriodFactor] | None, weekday: str, tod: float) -> float:
    if periods is None:
        return 1.0
    for p in periods:
        if p.applies(weekday) and p.hours.open_s <= tod < p.hours.close_s:
            return float(p.factor)
    return 1.0


@dataclass(frozen=True)
class PeriodTable:
    """Factors over the simulated window (time in seconds since the first simulated day's
    midnight): segment j starts at ``edges[j]``; ``talk[k][j]`` and ``patience[k][j]`` are call
    type k's factors there (1 outside every period)."""

    edges: np.ndarray
    talk: np.ndarray  # (types, segments)
    patience: np.ndarray  # (types, segments)
    has_talk: bool
    has_patience: bool
    edge_list: tuple[float, ...]  # ``edges`` as floats, for one lookup at a time

    def segments(self, times: np.ndarray) -> np.ndarray:
        """The segment of each time (an array)."""
        return np.searchsorted(self.edges, times, side="right") - 1

    def segment(self, t: float) -> int:
        """The segment of one time."""
        return bisect_right(self.edge_list, t) - 1


def period_table(s: Scenario, dates) -> PeriodTable | None:
    """The factors of ``s`` over ``dates`` (the simulated days); None without period lists."""
    if not uses_periods(s):
        return None
    talk_lists = [ct.talk_factor_by_period for ct in s.call_types]
    pat_lists = [ct.patience_factor_by_period if ct.patience_factor_by_period is not None
                 else s.patience_factor_by_period for ct in s.call_types]
    cuts = set()
    for d, date in enumerate(dates):
        wd = WEEKDAYS[date.weekday()]
        cuts.add(float(d * DAY_S))
        for periods in talk_lists + pat_lists:
            for p in periods or ():
                if p.applies(wd):
                    cuts.update((float(d * DAY_S + p.hours.open_s), float(d * DAY_S + p.hours.close_s)))
    edges = np.array(sorted(cuts))
    talk = np.ones((len(s.call_types), len(edges)))
    pat = np.ones((len(s.call_types), len(edges)))
    for j, e in enumerate(edges.tolist()):
        d = int(e // DAY_S)
        if d >= len(dates):
            continue
        wd, tod = WEEKDAYS[dates[d].weekday()], e - d * DAY_S
        for k in range(len(s.call_types)):
            talk[k, j] = _factor(talk_lists[k], wd, tod)
            pat[k, j] = _factor(pat_lists[k], wd, tod)
    return PeriodTable(edges, talk, pat, any(x is not None for x in talk_lists),
                       any(x is not None for x in pat_lists), tuple(edges.tolist()))


def interval_talk_factors(table: PeriodTable, tl: Timeline) -> np.ndarray:
    """(intervals, types): each open interval's mean talk factor per call type, weighted by time
    (arrivals are spread evenly over an interval)."""
    starts = tl.iv_start_s
    out = np.zeros((len(starts), table.talk.shape[0]))
    ends = starts + tl.interval_s
    edges = table.edges
    for i, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
        j0, j1 = table.segment(a), table.segment(b - 1e-9)
        for j in range(j0, j1 + 1):
            lo = max(a, edges[j])
            hi = min(b, edges[j + 1]) if j + 1 < len(edges) else b
            out[i] += table.talk[:, j] * (hi - lo)
    return out / tl.interval_s


def interval_handle_s(s: Scenario, tl: Timeline) -> np.ndarray | None:
    """(intervals, types): mean handle time of a call of each type arriving in each open interval
    (talk x the interval's mean talk factor + identity check + after-call work); None when no
    call type's talk depends on the period (then each type's ``mean_handle_s`` holds everywhere)."""
    table = period_table(s, tl.dates)
    if table is None or not table.has_talk:
        return None
    f = interval_talk_factors(table, tl)
    talk = np.array([ct.talk.build().mean for ct in s.call_types])
    rest = np.array([ct.mean_handle_s() for ct in s.call_types]) - talk
    return f * talk[None, :] + rest[None, :]
