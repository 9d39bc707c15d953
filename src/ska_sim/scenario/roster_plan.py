"""A roster as data: each person on each date of a horizon (status, shift, breaks, activities)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class RosterDay:
    """One person on one date of the horizon."""

    person: str
    line: str
    date: dt.date
    status: str = "off"  # "work", "off", "leave" or "not_employed"
    shift: str = ""
    start_s: int = 0  # seconds since the date's midnight
    end_s: int = 0
    break_s: int | None = None  # unpaid break start
    break_min: float = 0.0
    paid_h: float = 0.0
    activities: list[tuple[str, int, int]] = field(default_factory=list)  # (name, start_s, end_s)
    group: str = ""  # the agent group the person answers for ([[groups]]; "" = the single pool)

    @property
    def work_h(self) -> float:
        return (self.end_s - self.start_s) / 3600 - self.break_min / 60


@dataclass
class RosterPlan:
    dates: list[dt.date]
    people: list[str]
    lines: dict[str, str]  # person -> line
    days: list[RosterDay]  # people x dates, person-major
    info: dict = field(default_factory=dict)  # solver: variables, time, status, gap, unplaced activities

    def day(self, person: str, date: dt.date) -> RosterDay:
        return self._index()[(person, date)]

    def _index(self) -> dict:
        if getattr(self, "_by", None) is None or len(self._by) != len(self.days):
            self._by = {(d.person, d.date): d for d in self.days}
        return self._by

    def worked(self) -> list[RosterDay]:
        return [d for d in self.days if d.status == "work"]
