"""The working calendar: which dates the line is open and for how long, which are working days
for the staff (the FTE norm), and each date's volume factor from demand-event rules.

The rules, in the order they apply to a date (README, "Working calendar"):

1. A weekday without ``calendar.hours`` is closed.
2. ``calendar.closed`` closes the date (an explicit entry always wins).
3. ``calendar.date_hours`` gives the date its own hours (an explicit entry wins over rules 4-6,
   and opens a public holiday if one is given for it).
4. ``calendar.country`` (the ``holidays`` package): a public holiday closes the date.
5. A shortened day closes ``calendar.shortened_by_h`` earlier. Shortened days are
   ``calendar.shortened`` plus, with a country, the package's pre-holiday days (Estonia:
   Employment Contracts Act §53, the working day before New Year, Independence Day, Victory
   Day and Christmas Eve), kept only when they are working days (weekend dates are dropped).
6. ``calendar.last_friday_close``: the last Friday of a month closes at that time (the earlier
   of it and rule 5). When that Friday is closed (a holiday), nothing moves.

Working days (the FTE norm, ``staffing.working_time_norm_h``): Monday to Friday, not a public
holiday of the country, not in ``calendar.closed``. A shortened working day counts
``shortened_by_h`` less.

Volume factors: every ``[[arrivals.events]]`` rule that hits an open date multiplies its
factor in (several rules on one date multiply); ``arrivals.date_factor`` replaces the product
on its dates. Without country, events and last-Friday rule, every date resolves exactly as
the timeline did before (the same numbers for the same seed).
"""

from __future__ import annotations

import calendar as _pycal
import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ska_sim.scenario.clock import WEEKDAYS, format_clock, parse_clock

if TYPE_CHECKING:
    from ska_sim.scenario.model import Scenario

# the scan beyond the simulated days, so that a rule's date moved into the window is found
_MARGIN_DAYS = 45


@dataclass(frozen=True)
class CalendarDay:
    """One date as the calendar resolves it."""

    date: dt.date
    open_s: int | None  # seconds since midnight; None when closed
    close_s: int | None
    working_day: bool  # for the FTE norm
    shortened: bool  # a shortened working day (norm less shortened_by_h)
    holiday: str | None  # the public holiday's name (with calendar.country)
    hours_rule: str  # what set the hours (or closed the date)
    volume_factor: float
    factor_rules: tuple[str, ...]  # the rules that set the factor ("" entries never)

    @property
    def is_open(self) -> bool:
        return self.open_s is not None

    @property
    def hours_h(self) -> float:
        return (self.close_s - self.open_s) / 3600 if self.open_s is not None else 0.0


@functools.lru_cache(maxsize=64)
def _country_days(country: str, years: tuple[int, ...]) -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    """(public holidays by date with their names, the package's pre-holiday 'half days')."""
    import holidays

    public = dict(holidays.country_holidays(country, years=list(years)))
    try:
        half = frozenset(holidays.country_holidays(country, years=list(years), categories=("half_day",)))
    except (NotImplementedError, ValueError, KeyError):  # a country without that category
        half = frozenset()
    return public, half


class WorkingCalendar:
    """The calendar rules of a scenario, for any date (not only the simulated ones)."""

    def __init__(self, s: Scenario):
        self.s = s
        cal = s.calendar
        self.cal = cal
        self.closed = set(cal.closed)
        self.listed_short = set(cal.shortened)
        self.first = cal.start - dt.timedelta(days=cal.warmup_days)
        self.last = cal.start + dt.timedelta(days=cal.days - 1)
        years = tuple(range(self.first.year - 1, self.last.year + 2))
        if cal.country:
            self.public, half = _country_days(cal.country, years)
        else:
            self.public, half = {}, frozenset()
        self.half = half
        self.last_friday_s = parse_clock(cal.last_friday_close) if cal.last_friday_close else None
        self._factors: dict[dt.date, tuple[float, tuple[str, ...]]] | None = None

    # ---------------------------------------------------------------- days
    def holiday(self, date: dt.date) -> str | None:
        return self.public.get(date)

    def working_day(self, date: dt.date) -> bool:
        return date.weekday() < 5 and date not in self.public and date not in self.closed

    def shortened(self, date: dt.date) -> bool:
        """A shortened working day: listed in calendar.shortened, or a pre-holiday day of the country."""
        return self.working_day(date) and (date in self.half or date in self.listed_short)

    def hours(self, date: dt.date) -> tuple[int | None, int | None, str]:
        """(open_s, close_s, the rule that set them); None, None when closed."""
        cal = self.cal
        wd = WEEKDAYS[date.weekday()]
        usual = cal.hours.get(wd)
        if usual is None:
            return None, None, f"closed: no hours for {wd}"
        if date in self.closed:
            return None, None, "closed: calendar.closed"
        if date in cal.date_hours:
            h = cal.date_hours[date]
            return h.open_s, h.close_s, "calendar.date_hours"
        name = self.holiday(date)
        if name is not None:
            return None, None, f"closed: public holiday ({name})"
        close, rules = usual.close_s, []
        if self.shortened(date) and cal.shortened_by_h > 0:
            close -= round(cal.shortened_by_h * 3600)
            rules.append(f"shortened day: {cal.shortened_by_h:g} h shorter")
        if self.last_friday_s is not None and _last_friday(date) and self.last_friday_s < close:
            close = self.last_friday_s
            rules.append(f"last Friday of the month: closes {cal.last_friday_close}")
        return usual.open_s, close, "; ".join(rules) or f"{wd} hours"

    def is_open(self, date: dt.date) -> bool:
        o, c, _ = self.hours(date)
        return o is not None and c is not None and c > o

    def closes_an_open_weekday(self, date: dt.date) -> bool:
        """A holiday in the sense of the after-holiday rule: the calendar closes a date whose
        weekday has hours (a public holiday, or calendar.closed)."""
        return WEEKDAYS[date.weekday()] in self.cal.hours and not self.is_open(date)

    # ---------------------------------------------------------------- volume factors
    def factors(self) -> dict[dt.date, tuple[float, tuple[str, ...]]]:
        """Volume factor and the rules that set it, for every simulated date the rules touch."""
        if self._factors is None:
            self._factors = self._expand()
        return self._factors

    def factor(self, date: dt.date) -> tuple[float, tuple[str, ...]]:
        return self.factors().get(date, (1.0, ()))

    def _expand(self) -> dict[dt.date, tuple[float, tuple[str, ...]]]:
        arr = self.s.arrivals
        lo = self.first - dt.timedelta(days=_MARGIN_DAYS)
        hi = self.last + dt.timedelta(days=_MARGIN_DAYS)
        span = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
        open_days = [d for d in span if self.is_open(d)]
        parts: dict[dt.date, list[tuple[float, str]]] = {}
        for ev in arr.events:
            for date, f, why in _expand_rule(ev, self, span, open_days):
                if self.first <= date <= self.last:
                    parts.setdefault(date, []).append((f, why))
        out: dict[dt.date, tuple[float, tuple[str, ...]]] = {}
        for date, items in parts.items():
            product = 1.0
            for f, _ in items:
                product *= f
            out[date] = (product, tuple(why for _, why in items))
        for date, f in arr.date_factor.items():
            over = out.get(date, (1.0, ()))[1]
            why = "arrivals.date_factor" + (f" (instead of: {'; '.join(over)})" if over else "")
            out[date] = (f, (why,))
        return out

    def day(self, date: dt.date) -> CalendarDay:
        o, c, rule = self.hours(date)
        if o is not None and c is not None and c <= o:  # a derived closing at or before opening (refused by the checks)
            o = c = None
        f, why = self.factor(date)
        return CalendarDay(date, o, c, self.working_day(date), self.shortened(date), self.holiday(date), rule, f, why)


def _last_friday(date: dt.date) -> bool:
    return date.weekday() == 4 and (date + dt.timedelta(days=7)).month != date.month


def _valid(ev, date: dt.date) -> bool:
    return (ev.valid_from is None or date >= ev.valid_from) and (ev.valid_to is None or date <= ev.valid_to)


def _expand_rule(ev, wc: WorkingCalendar, span: list[dt.date], open_days: list[dt.date]):
    """(date, factor, why) contributions of one rule over the scanned span."""
    import bisect

    label = f"{ev.name} x{ev.factor:g}"
    if ev.rule == "monthly":
        months = sorted({(d.year, d.month) for d in span})
        for y, m in months:
            if ev.day > _pycal.monthrange(y, m)[1]:
                continue  # a month without that day (the 31st in April)
            nominal = dt.date(y, m, ev.day)
            if not _valid(ev, nominal):
                continue
            if wc.is_open(nominal):
                yield nominal, ev.factor, label
                continue
            n = ev.spread_days
            if ev.if_closed == "skip":
                continue
            if ev.if_closed == "next_open_day":
                i = bisect.bisect_right(open_days, nominal)
                moved = open_days[i:i + n]
            else:
                i = bisect.bisect_left(open_days, nominal)
                moved = open_days[max(i - n, 0):i]
            share = 1 + (ev.factor - 1) / n
            where = "next" if ev.if_closed == "next_open_day" else "previous"
            for d in moved:
                yield d, share, (f"{ev.name} x{share:g} (the {nominal.isoformat()} is closed: the {where} "
                                 f"{'open day' if n == 1 else f'{n} open days'})")
    elif ev.rule == "after_holiday":
        hit: dict[dt.date, dt.date] = {}
        for d in span:
            if _valid(ev, d) and wc.closes_an_open_weekday(d):
                i = bisect.bisect_right(open_days, d)
                if i < len(open_days):
                    hit.setdefault(open_days[i], d)
        for d, after in hit.items():
            yield d, ev.factor, f"{label} (the first open day after {after.isoformat()})"
    else:  # range: its open days counted from its start (which may lie before the scanned span)
        d, counted, stop = ev.start, 0, min(ev.end or span[-1], span[-1])
        while d <= stop and (ev.open_days is None or counted < ev.open_days):
            if wc.is_open(d):
                counted += 1
                if _valid(ev, d):
                    yield d, ev.factor, label
            d += dt.timedelta(days=1)


# --------------------------------------------------------------------------- what others use
def simulated_days(s: Scenario) -> list[CalendarDay]:
    """Every simulated date (warm-up days first), resolved."""
    wc = WorkingCalendar(s)
    n = s.calendar.warmup_days + s.calendar.days
    return [wc.day(wc.first + dt.timedelta(days=i)) for i in range(n)]


def window_days(s: Scenario) -> list[CalendarDay]:
    """The measured dates, resolved."""
    return simulated_days(s)[s.calendar.warmup_days:]


def working_days(s: Scenario) -> list[dt.date]:
    """The working days of the measured window (Monday-Friday, not a public holiday, not closed)."""
    return [d.date for d in window_days(s) if d.working_day]


def shortened_working_days(s: Scenario) -> list[dt.date]:
    return [d.date for d in window_days(s) if d.working_day and d.shortened]


def year_norm_h(s: Scenario, year: int | None = None) -> float:
    """The working-time norm of one FTE over a calendar year under the scenario's calendar rules:
    fte_hours_per_week / 5 per working day, less shortened_by_h per shortened working day
    (EE 2026: 252 x 8 - 4 x 3 = 2,004 h). ``year``: calendar.start's year by default."""
    year = year or s.calendar.start.year
    sub = s.model_copy(update={"calendar": s.calendar.model_copy(update={
        "start": dt.date(year, 1, 1), "days": (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days, "warmup_days": 0})})
    wc = WorkingCalendar(sub)
    days = [dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(sub.calendar.days)]
    work = [d for d in days if wc.working_day(d)]
    short = [d for d in work if wc.shortened(d)]
    return len(work) * s.shrinkage.fte_hours_per_week / 5 - len(short) * s.calendar.shortened_by_h


def month_norm_h(s: Scenario) -> float:
    """One FTE's paid hours in an average month: :func:`year_norm_h` / 12 (EE 2026: 167 h)."""
    return year_norm_h(s) / 12


def calendar_checks(s: Scenario) -> list[tuple[str, str]]:
    """Hours the rules derive must fall on interval boundaries and leave the day open."""
    out: list[tuple[str, str]] = []
    cal = s.calendar
    if not (cal.country or cal.last_friday_close or cal.shortened or s.arrivals.events):
        return out
    wc = WorkingCalendar(s)
    iv = cal.interval_s
    seen: set[str] = set()
    for i in range(cal.warmup_days + cal.days):
        date = wc.first + dt.timedelta(days=i)
        o, c, rule = wc.hours(date)
        if o is None or c is None or rule.startswith("calendar.") or rule.endswith(" hours"):
            continue
        key = "calendar.last_friday_close" if rule.startswith("last Friday") or "; last Friday" in rule \
            else "calendar.shortened_by_h"
        if key in seen:
            continue
        if c <= o:
            out.append((key, f"{date.isoformat()} ({rule}) would close at {format_clock(c)}, not after it opens "
                             f"({format_clock(o)})"))
            seen.add(key)
        elif c % iv:
            out.append((key, f"{date.isoformat()} ({rule}) would close at {format_clock(c)}, not on a "
                             f"{cal.interval_min}-minute interval boundary"))
            seen.add(key)
    return out


def calendar_table(s: Scenario, measured_only: bool = True):
    """Each date: open or closed, hours, working day, shortened, volume factor and the rules
    that set them (the `ska-sim calendar` listing), as a DataFrame."""
    import pandas as pd

    days = window_days(s) if measured_only else simulated_days(s)
    rows = []
    for d in days:
        rows.append({
            "date": d.date.isoformat(),
            "weekday": WEEKDAYS[d.date.weekday()],
            "open": d.is_open,
            "open_time": format_clock(d.open_s) if d.is_open else "",
            "close_time": format_clock(d.close_s) if d.is_open else "",
            "open_hours": d.hours_h,
            "working_day": d.working_day,
            "shortened": d.shortened,
            "holiday": d.holiday or "",
            "volume_factor": d.volume_factor if d.is_open else 0.0,
            "hours_rule": d.hours_rule,
            "factor_rules": "; ".join(d.factor_rules) if d.is_open else "",
        })
    return pd.DataFrame(rows)


def country_holidays(country: str, years: tuple[int, ...]) -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    """A country's public holidays by date with their names, and its shortened working days (the
    package's pre-holiday days that fall on Monday-Friday and are not holidays themselves)."""
    public, half = _country_days(country, tuple(years))
    return public, frozenset(d for d in half if d.weekday() < 5 and d not in public)
