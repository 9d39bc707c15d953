"""The stretches a call log covers: runs of days with calls, split where the log has a gap.

Two days with calls belong to the same stretch when at most ``GAP_DAYS`` days without a call lie
between them (a weekend, a public holiday, a closed week stay inside their stretch; the log is
taken to have seen them closed). A longer run of days without calls is a *gap*: the log says
nothing about it, so ``fit`` recognises no follow-up across it and ``backtest`` does not simulate it
(each stretch is simulated on its own, with its own warm-up)."""

from __future__ import annotations

import datetime as dt

import numpy as np

GAP_DAYS = 14  # more days than this without a call in a row: a gap


def stretches(days, gap_days: int = GAP_DAYS) -> list[tuple[int, int]]:
    """(first, last) of each stretch of ``days`` (day numbers with calls, any order, repeats allowed)."""
    d = np.unique(np.asarray(days, dtype=np.int64))
    if len(d) == 0:
        return []
    cut = np.flatnonzero(np.diff(d) - 1 > gap_days)
    starts = np.concatenate([[0], cut + 1])
    ends = np.concatenate([cut, [len(d) - 1]])
    return [(int(d[a]), int(d[b])) for a, b in zip(starts, ends)]


def date_stretches(dates, gap_days: int = GAP_DAYS) -> list[tuple[dt.date, dt.date]]:
    """:func:`stretches` of dates."""
    return [(dt.date.fromordinal(a), dt.date.fromordinal(b))
            for a, b in stretches([d.toordinal() for d in dates], gap_days)]


def stretch_of(days, bounds: list[tuple[int, int]]) -> np.ndarray:
    """The stretch index of each day number (-1 for a day in no stretch)."""
    d = np.asarray(days, dtype=np.int64)
    firsts = np.array([a for a, _ in bounds], dtype=np.int64)
    lasts = np.array([b for _, b in bounds], dtype=np.int64)
    i = np.searchsorted(firsts, d, side="right") - 1
    ok = (i >= 0) & (d <= lasts[np.clip(i, 0, None)])
    return np.where(ok, i, -1)


def describe(bounds: list[tuple[dt.date, dt.date]]) -> str:
    """'2016-03-01 to 2016-03-02 (2 days), 2026-03-04 (1 day)'."""
    return ", ".join(f"{a} to {b} ({(b - a).days + 1} days)" if b != a else f"{a} (1 day)" for a, b in bounds)


__all__ = ["GAP_DAYS", "date_stretches", "describe", "stretch_of", "stretches"]
