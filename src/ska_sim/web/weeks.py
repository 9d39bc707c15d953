"""Any week on the planning page: the weeks a manager picks from (the coming weeks from today,
each with what is special in it under the scenario's calendar rules), a typed date as its week
(its Monday), the week a scenario opens on, and whether the scenario can show a week at all.

A week is shown as ``run --set calendar.start=MONDAY --set calendar.days=7`` would simulate it:
the scenario's calendar rules (public holidays, shortened days, the last-Friday rule, demand
events such as payment days) expanded for those dates (``scenario/calendar.py``), its staffing
for each weekday and its volume for each date. A scenario whose saved window is longer than a
week (the year) opens on one week: the current one when it lies in the saved window (the next
one when no open day of it is left), else the window's first week; the whole window stays one
choice of the picker (simulated when asked, with progress) and ``ska-sim run``'s.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from ska_sim.scenario.calendar import WorkingCalendar
from ska_sim.scenario.calls import FIRST_DATE, LAST_DATE
from ska_sim.scenario.model import Scenario

COMING_WEEKS = 12  # the coming weeks the picker lists (about a quarter)
LANGUAGES = {"et": "et", "en": "en_US"}  # the page's languages -> the holidays package's
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class WeekRefused(Exception):
    """A week (or today) the page cannot show: its message, HTTP status, the request's field, and a
    machine key with parameters the page puts in words (web/plans.py turns it into a 4xx JSON error)."""

    def __init__(self, message: str, status: int = 400, field: str = "week", code: str = "week_range",
                 params: dict | None = None):
        super().__init__(message)
        self.message, self.status, self.field, self.code, self.params = message, status, field, code, params or {}


# --------------------------------------------------------------------------- dates typed
def monday_of(date: dt.date) -> dt.date:
    return date - dt.timedelta(days=date.weekday())


def typed_date(value: Any, field: str = "week") -> dt.date:
    """A date sent by the page (YYYY-MM-DD: the picker's value or a date typed); WeekRefused naming
    ``field`` otherwise."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise WeekRefused(f"{field}: must be a date YYYY-MM-DD (any day of the week) or null", 400, field,
                         "week_not_a_date", params={"got": str(value)[:40]})
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise WeekRefused(f"{field}: {value} is not a date", 400, field=field, code="week_not_a_date",
                         params={"got": value}) from None


def week_of(value: Any) -> dt.date:
    """The Monday of the week of a date sent (any day of it), refused (naming ``week``) when the
    week does not lie within the dates a scenario can simulate."""
    date = typed_date(value)
    monday = monday_of(date)
    if not FIRST_DATE <= monday <= LAST_DATE - dt.timedelta(days=6):
        raise WeekRefused(f"week: {value}: the page shows weeks from {FIRST_DATE.isoformat()} to "
                         f"{LAST_DATE.isoformat()}", 400, field="week", code="week_range",
                         params={"got": value, "first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()})
    return monday


def week_sets(monday: dt.date) -> list[str]:
    """The ``--set`` options that make a scenario simulate the week of ``monday``."""
    return [f"calendar.start={monday.isoformat()}", "calendar.days=7"]


def today_of(value: Any) -> dt.date:
    """The page's today (the browser's date, so the coming weeks are the user's), else the server's."""
    if value in (None, ""):
        return dt.date.today()
    date = typed_date(value, "today")
    if not FIRST_DATE <= date <= LAST_DATE:
        raise WeekRefused(f"today: {value}: not a date from {FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}",
                         400, field="today", code="week_range",
                         params={"got": value, "first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()})
    return date


# --------------------------------------------------------------------------- which week
def saved_window(data: dict) -> tuple[dt.date, int] | None:
    """(calendar.start, calendar.days) of a scenario file's TOML, or None when they are not a
    date and a whole number (the scenario's own checks then say what is wrong)."""
    cal = data.get("calendar") if isinstance(data, dict) else None
    start, days = (cal.get("start"), cal.get("days")) if isinstance(cal, dict) else (None, None)
    if isinstance(start, dt.date) and not isinstance(start, dt.datetime) and isinstance(days, int) \
            and not isinstance(days, bool) and 0 < days <= 366 * 200:
        return start, days
    return None


def saved_weeks(start: dt.date, days: int) -> list[str]:
    """The Mondays of a saved window longer than a week (none for a week or less)."""
    if days <= 7:
        return []
    return [(start + dt.timedelta(days=i)).isoformat() for i in range(days)
            if (start + dt.timedelta(days=i)).weekday() == 0]


def opening_week(start: dt.date, days: int, today: dt.date, rules: Scenario) -> dt.date | None:
    """The week a scenario saved with window (``start``, ``days``) opens on: None (its saved window)
    for a window of at most a week; else today's week when today lies in the window (the next week
    when today's has no open day left, by the calendar rules of ``rules``: any window of the same
    file), else the window's first Monday (its first day's week when it has none)."""
    if days <= 7:
        return None
    last = start + dt.timedelta(days=days - 1)
    if not start <= today <= last:
        mondays = saved_weeks(start, days)
        return dt.date.fromisoformat(mondays[0]) if mondays else monday_of(start)
    monday = monday_of(today)
    wc = WorkingCalendar(_window(rules, monday, 7))
    left = [today + dt.timedelta(days=i) for i in range(7 - today.weekday())]
    if not any(wc.is_open(d) for d in left) and monday + dt.timedelta(days=7) <= last:
        return monday + dt.timedelta(days=7)
    return monday


def written_week(data: dict, week: list[str]) -> list[str]:
    """The week's ``--set`` options a saved plan keeps: a file whose window is at most a week is
    that week's plan (the week picked is written); a longer window (the year) keeps its own, the
    week being only the view it was edited in."""
    window = saved_window(data)
    return week if window is None or window[1] <= 7 else []


# --------------------------------------------------------------------------- what a week holds
def _window(s: Scenario, start: dt.date, days: int) -> Scenario:
    """The scenario's calendar over other dates (for its rules only: nothing is validated or simulated)."""
    return s.model_copy(update={"calendar": s.calendar.model_copy(update={"start": start, "days": days})})


@functools.lru_cache(maxsize=32)
def _holiday_names(country: str, years: tuple[int, ...], language: str) -> dict[dt.date, str]:
    import holidays

    try:
        return dict(holidays.country_holidays(country, years=list(years), language=language))
    except (NotImplementedError, ValueError, KeyError):  # a country without that language
        return dict(holidays.country_holidays(country, years=list(years)))


def _names(s: Scenario, date: dt.date, fallback: str) -> dict[str, str]:
    country = s.calendar.country
    out = {}
    for lang, code in LANGUAGES.items():
        out[lang] = _holiday_names(country, (date.year,), code).get(date, fallback) if country else fallback
    return out


def _events(s: Scenario, rules: tuple[str, ...]) -> list[dict]:
    """The demand events behind a date's volume factor: each rule's name (and display names), as
    the calendar reports them ("pension payment day x1.3 ...")."""
    out = []
    for why in rules:
        ev = next((e for e in s.arrivals.events if why.startswith(e.name + " x")), None)
        if ev is not None:
            out.append({"name": ev.name, "display_name": ev.display_name or {}, "rule": ev.rule})
        elif why.startswith("arrivals.date_factor"):
            out.append({"name": "", "display_name": {}, "rule": "date_factor"})
    return out


def days_of(s: Scenario, monday: dt.date, weeks: int = 1) -> list[dict]:
    """Each date of ``weeks`` weeks from ``monday`` as the scenario's calendar resolves it: open or
    closed, its hours, a public holiday (named in each language), a shortened working day, the
    demand events on it and its volume factor."""
    wc = WorkingCalendar(_window(s, monday, 7 * weeks))
    out = []
    for i in range(7 * weeks):
        d = wc.day(monday + dt.timedelta(days=i))
        out.append({"date": d.date.isoformat(), "open": d.is_open, "hours_h": d.hours_h,
                    "holiday": _names(s, d.date, d.holiday) if d.holiday else None,
                    "shortened": bool(d.shortened and d.is_open), "volume_factor": d.volume_factor if d.is_open else 0.0,
                    "events": _events(s, d.factor_rules) if d.is_open else []})
    return out


def _fact(code: str, **params: str) -> dict:
    """A fact about a week as a machine key (``code=`` for an error: error.<code>) and its parameters."""
    return {"code": code, "params": params}


def week_facts(s: Scenario, monday: dt.date, days: list[dict] | None = None) -> dict:
    """A week for the picker: its dates, its special days (a holiday, a shortened day, an event),
    and whether the scenario can show it (``problem``: a machine key and its parameters the page
    puts in words) or shows it with a note (``note``: a roster file that does not cover it)."""
    days = days if days is not None else days_of(s, monday)
    special = [d for d in days if d["holiday"] or d["shortened"] or d["events"]]
    open_dates = [dt.date.fromisoformat(d["date"]) for d in days if d["open"]]
    doc = {"monday": monday.isoformat(), "sunday": (monday + dt.timedelta(days=6)).isoformat(),
           "open_days": len(open_dates), "special": special, "problem": None, "note": None}
    fc = s.arrivals.forecast
    if fc is not None and fc.table is not None and open_dates:
        given = set(fc.table.by_date()) | set(fc.override)
        if any(d not in given for d in open_dates):
            first, last = min(fc.table.by_date()), max(fc.table.by_date())
            doc["problem"] = _fact(code="week_no_forecast", file=str(fc.file), first=first.isoformat(),
                                   last=last.isoformat())
    roster = s.roster
    if roster is not None and roster.plan is not None and not roster.repeat and open_dates:
        covered = set(roster.plan.dates)
        if any(d not in covered for d in open_dates) and roster.plan.dates:
            doc["note"] = _fact("week_outside_roster", file=str(roster.file), first=min(covered).isoformat(),
                                last=max(covered).isoformat())
    return doc


def coming_weeks(s: Scenario, today: dt.date, n: int = COMING_WEEKS) -> list[dict]:
    """The ``n`` weeks from today's (its Monday first), each as :func:`week_facts`."""
    first = monday_of(today)
    n = max(0, min(n, (LAST_DATE - dt.timedelta(days=6) - first).days // 7 + 1))
    days = days_of(s, first, n) if n else []
    return [week_facts(s, first + dt.timedelta(days=7 * k), days[7 * k:7 * k + 7]) for k in range(n)]


def refuse_unshown(s: Scenario, monday: dt.date) -> dict:
    """A week's facts; WeekRefused (422, naming ``week``) when the scenario cannot show it."""
    facts = week_facts(s, monday)
    p = facts["problem"]
    if p is not None:
        raise WeekRefused(f"week: {monday.isoformat()}: {p['params']['file']} forecasts {p['params']['first']} to "
                         f"{p['params']['last']} only: this scenario cannot show that week", 422, field="week",
                         code=p["code"], params={"week": monday.isoformat(), **p["params"]})
    return facts
