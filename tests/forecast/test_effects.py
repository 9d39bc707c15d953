"""The calendar the forecast regresses on: closed days, shortened days, payment days moved by
their rules, first working days, days after a holiday, user events. Dates checked by hand."""

from __future__ import annotations

import datetime as dt

from ska_sim.forecast.effects import UserEvent, build_calendar

D = dt.date
WEEKDAYS = set(range(5))


def _days(cal, column):
    f = cal.frame
    return {d: float(v) for d, v in zip(f.index, f[column]) if v > 0}


def test_payment_day_moved_by_a_weekend_follows_the_rule_of_its_date():
    cal = build_calendar(D(2024, 9, 1), D(2025, 6, 30), WEEKDAYS)
    pay = _days(cal, "payment")
    # before 2025: a 5th on a weekend moves to the Friday before
    assert pay[D(2024, 10, 4)] == 1.0 and D(2024, 10, 7) not in pay  # Sat 5 Oct 2024 -> Fri 4 Oct
    # from 2025: the two working days after the weekend, half each
    assert pay[D(2025, 4, 7)] == 0.5 and pay[D(2025, 4, 8)] == 0.5  # Sat 5 Apr 2025 -> Mon 7, Tue 8
    assert D(2025, 4, 4) not in pay
    assert pay[D(2025, 1, 6)] == 0.5 and pay[D(2025, 1, 7)] == 0.5  # Sun 5 Jan 2025
    assert pay[D(2025, 2, 5)] == 1.0 and pay[D(2025, 3, 5)] == 1.0  # open 5ths stay
    assert pay[D(2024, 11, 5)] == 1.0
    assert sum(pay.values()) == 10  # one payment per month, Sep 2024 to Jun 2025


def test_closed_days_holidays_and_shortened_days():
    cal = build_calendar(D(2025, 1, 1), D(2026, 12, 31), WEEKDAYS)
    f = cal.frame
    assert f.at[D(2026, 2, 24), "closed"] and f.at[D(2026, 2, 24), "holiday"] == "Independence Day"
    assert f.at[D(2026, 1, 3), "closed"] and not f.at[D(2026, 1, 2), "closed"]  # a Saturday; a Friday
    short = sorted(_days(cal, "shortened"))
    assert short == [D(2025, 12, 23), D(2025, 12, 31), D(2026, 2, 23), D(2026, 6, 22), D(2026, 12, 23),
                     D(2026, 12, 31)]


def test_month_start_and_day_after_a_holiday():
    cal = build_calendar(D(2026, 1, 1), D(2026, 4, 30), WEEKDAYS)
    assert sorted(_days(cal, "month_start")) == [D(2026, 1, 2), D(2026, 2, 2), D(2026, 3, 2), D(2026, 4, 1)]
    # New Year (Thu) -> Fri 2 Jan; Independence Day (Tue) -> Wed 25 Feb; Good Friday -> Mon 6 Apr
    # (Easter Sunday closes no open weekday)
    assert sorted(_days(cal, "after_holiday")) == [D(2026, 1, 2), D(2026, 2, 25), D(2026, 4, 6)]


def test_a_user_event_covers_its_open_days_and_says_so():
    ev = UserEvent("letters", D(2026, 2, 20), D(2026, 2, 25), 1.4)
    cal = build_calendar(D(2026, 2, 1), D(2026, 2, 28), WEEKDAYS, [ev])
    assert sorted(_days(cal, "event:letters")) == [D(2026, 2, 20), D(2026, 2, 23), D(2026, 2, 25)]
    text = dict(zip(cal.frame.index, cal.effects_text()))
    assert text[D(2026, 2, 23)] == "shortened day;letters"
    assert text[D(2026, 2, 24)] == "Independence Day"
    assert text[D(2026, 2, 25)] == "day after a holiday;letters"
