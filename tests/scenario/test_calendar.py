"""The Estonian working calendar, §53 shortened days, the last-Friday rule, demand
events expanded to dates, overrides, `ska-sim calendar`, and bad input.

Expected dates are hard-coded from the law and SKA's notices (ISSUE-NOTES), never taken from
the holidays package itself."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from ska_sim.scenario.calendar import WorkingCalendar, calendar_table, month_norm_h, shortened_working_days, working_days
from ska_sim.cli import main
from ska_sim.base.errors import ScenarioError
from ska_sim.scenario.load import load_scenario
from ska_sim.plan.people import working_time_norm_h
from ska_sim.scenario.timeline import build_timeline
import pandas as pd
from helpers import error_lines

BASE = "scenarios/baseline.toml"
# the baseline's hand-typed calendar removed, so that only the rules speak
CLEAN = ["calendar.closed=[]", "calendar.shortened=[]", "calendar.date_hours={}", "arrivals.date_factor={}",
         "calendar.warmup_days=0"]
PENSION = ('arrivals.events=[{name="pension", rule="monthly", day=5, factor=1.3, if_closed="previous_open_day", '
           'valid_to=2024-12-31}, {name="pension", rule="monthly", day=5, factor=1.3, spread_days=2, '
           'valid_from=2025-01-01}]')
D = dt.date

YEAR = "scenarios/year-2026.toml"


def year(y: int, *extra: str):
    days = (D(y + 1, 1, 1) - D(y, 1, 1)).days
    return load_scenario(BASE, [*CLEAN, f"calendar.start={y}-01-01", f"calendar.days={days}",
                                'calendar.country="EE"', *extra])


def test_2026_has_252_working_days_and_the_four_shortened_days_of_section_53():
    s = year(2026)
    assert len(working_days(s)) == 252
    assert shortened_working_days(s) == [D(2026, 2, 23), D(2026, 6, 22), D(2026, 12, 23), D(2026, 12, 31)]
    # 252 x 8 - 4 x 3 = 2,004 h (ISSUE-NOTES); a month is 167 h
    assert working_time_norm_h(s) == pytest.approx(2004.0)
    assert month_norm_h(s) == pytest.approx(167.0)


def test_2025_shortens_only_23_and_31_december():
    # 23 Feb and 22 Jun 2025 are Sundays: the package lists them, the law shortens no working day
    assert shortened_working_days(year(2025)) == [D(2025, 12, 23), D(2025, 12, 31)]


def test_without_a_country_the_old_norm_holds():
    s = load_scenario(BASE, [*CLEAN, "calendar.start=2026-01-01", "calendar.days=365"])
    assert len(working_days(s)) == 261  # every Monday-Friday
    assert working_time_norm_h(s) == pytest.approx(261 * 8)


def test_holidays_close_the_line_and_shortened_days_close_three_hours_earlier():
    s = year(2026)
    tl = build_timeline(s)
    by_date = {d: (int(o), int(c)) for d, o, c in zip(tl.dates, tl.open_s, tl.close_s)}
    assert by_date[D(2026, 2, 24)] == (-1, -1)  # Independence Day
    assert by_date[D(2026, 6, 24)] == (-1, -1)  # Midsummer Day
    assert by_date[D(2026, 2, 23)] == (9 * 3600, 14 * 3600)  # 17:00 - 3 h
    assert by_date[D(2026, 3, 2)] == (9 * 3600, 17 * 3600)
    assert len(set(tl.iv_day.tolist())) == 252  # open days: every working day (the line is open Mon-Fri)


def test_the_last_friday_of_a_month_closes_at_13_and_a_holiday_friday_moves_nothing():
    s = year(2026, 'calendar.last_friday_close="13:00"')
    wc = WorkingCalendar(s)
    assert wc.hours(D(2026, 1, 30))[:2] == (9 * 3600, 13 * 3600)
    assert wc.hours(D(2026, 1, 23))[:2] == (9 * 3600, 17 * 3600)  # not the last Friday
    assert wc.hours(D(2026, 4, 24))[:2] == (9 * 3600, 13 * 3600)
    # December 2026: the last Friday is Christmas Day, closed; no other day closes at 13:00
    assert not wc.is_open(D(2026, 12, 25))
    december = [d for d in calendar_table(s).to_dict(orient="records") if d["date"].startswith("2026-12")]
    assert [d["date"] for d in december if d["close_time"] == "13:00"] == []
    assert {d["date"]: d["close_time"] for d in december if d["shortened"]} == {"2026-12-23": "14:00",
                                                                                "2026-12-31": "14:00"}
    # the rule changes the line's hours, not the staff's norm
    assert working_time_norm_h(s) == pytest.approx(2004.0)


def test_last_friday_and_a_shortened_day_the_earlier_closing_wins():
    # 31 December 2027 is a Friday, the last of the month and shortened (§53)
    s = year(2027, 'calendar.last_friday_close="13:00"')
    assert WorkingCalendar(s).hours(D(2027, 12, 31))[:2] == (9 * 3600, 13 * 3600)


def _factors(s) -> dict[str, float]:
    t = calendar_table(s)
    return {r["date"]: r["volume_factor"] for r in t.to_dict(orient="records") if r["open"] and r["volume_factor"] != 1}


def test_pension_day_april_2025_moves_to_monday_7_and_tuesday_8_split_over_both():
    s = load_scenario(BASE, [*CLEAN, "calendar.start=2025-04-01", "calendar.days=30", 'calendar.country="EE"', PENSION])
    f = _factors(s)
    assert {d: v for d, v in f.items() if d <= "2025-04-10"} == {"2025-04-07": pytest.approx(1.15),
                                                                 "2025-04-08": pytest.approx(1.15)}
    assert "the 2025-04-05 is closed" in calendar_table(s).set_index("date").loc["2025-04-07", "factor_rules"]


def test_pension_day_october_2024_moves_to_the_friday_before():
    s = load_scenario(BASE, [*CLEAN, "calendar.start=2024-10-01", "calendar.days=31", 'calendar.country="EE"', PENSION])
    assert _factors(s) == {"2024-10-04": pytest.approx(1.3)}


def test_a_pension_day_on_a_weekday_stays_and_a_moved_day_just_outside_the_window_is_found():
    # 5 March 2026 is a Thursday
    s = load_scenario(BASE, [*CLEAN, "calendar.start=2026-03-02", "calendar.days=5", PENSION])
    assert _factors(s) == {"2026-03-05": pytest.approx(1.3)}
    # the window ends on Friday 4 October 2024: the Saturday 5th is paid that Friday
    s = load_scenario(BASE, [*CLEAN, "calendar.start=2024-09-30", "calendar.days=5", PENSION])
    assert _factors(s) == {"2024-10-04": pytest.approx(1.3)}


def test_after_holiday_and_range_rules_and_several_rules_multiply():
    events = ('arrivals.events=[{name="after holiday", rule="after_holiday", factor=1.25}, '
              '{name="indexation", rule="range", start=2026-04-01, open_days=5, factor=1.6}, '
              '{name="pension", rule="monthly", day=5, factor=1.3, spread_days=2}]')
    s = load_scenario(BASE, [*CLEAN, "calendar.start=2026-04-01", "calendar.days=14", 'calendar.country="EE"', events])
    # Good Friday 3 April closed, Easter Sunday 5 April: the first 5 open days are 1, 2, 6, 7, 8 April;
    # Monday 6 April is after a holiday AND a moved pension day AND indexation: 1.25 x 1.15 x 1.6
    assert _factors(s) == {"2026-04-01": pytest.approx(1.6), "2026-04-02": pytest.approx(1.6),
                           "2026-04-06": pytest.approx(1.25 * 1.15 * 1.6), "2026-04-07": pytest.approx(1.15 * 1.6),
                           "2026-04-08": pytest.approx(1.6)}
    tl = build_timeline(s)
    plain = build_timeline(load_scenario(BASE, [*CLEAN, "calendar.start=2026-04-01", "calendar.days=14",
                                                'calendar.country="EE"']))
    day = [i for i, d in enumerate(tl.dates) if d == D(2026, 4, 6)][0]
    assert tl.iv_expected[tl.iv_day == day].sum() == pytest.approx(
        plain.iv_expected[plain.iv_day == day].sum() * 1.25 * 1.15 * 1.6)


def test_explicit_closed_date_hours_and_date_factor_override_the_rules():
    s = year(2026, "calendar.closed=[2026-03-03]", 'calendar.date_hours={2026-02-24 = ["10:00", "12:00"], '
                   '2026-02-23 = ["09:00", "16:00"]}', "arrivals.date_factor={2026-02-25 = 2.0}",
             'arrivals.events=[{name="after holiday", rule="after_holiday", factor=1.25}]')
    wc = WorkingCalendar(s)
    assert not wc.is_open(D(2026, 3, 3))  # an ordinary Tuesday closed by hand
    assert wc.hours(D(2026, 2, 24))[:2] == (10 * 3600, 12 * 3600)  # a holiday opened by hand
    assert wc.hours(D(2026, 2, 23))[:2] == (9 * 3600, 16 * 3600)  # own hours beat §53's 14:00
    assert wc.factor(D(2026, 3, 4))[0] == pytest.approx(1.25)  # after the closed Tuesday
    assert wc.factor(D(2026, 2, 25))[0] == pytest.approx(2.0)  # date_factor wins (after-holiday would not apply anyway)
    # explicit closed also leaves the norm; a holiday opened by hand is still no working day
    assert len(working_days(s)) == 251


def test_a_scenario_without_calendar_rules_events_activities_or_costs_keeps_its_shape():
    s = load_scenario(BASE)
    d = s.to_dict()
    assert "events" not in d["arrivals"] and "country" not in d["calendar"] and "activities" not in d
    assert "last_friday_close" not in d["calendar"]
    assert "costs" not in load_scenario("tests/data/minimal.toml").to_dict()  # the baseline has [costs] (ASSUMED)


def test_cli_lists_each_date_with_its_rule(tmp_path):
    r = CliRunner().invoke(main, ["calendar", BASE, *sum((["--set", x] for x in CLEAN[:-1]), []),
                                  "--set", "calendar.start=2026-02-23", "--set", 'calendar.country="EE"',
                                  "--set", 'calendar.last_friday_close="13:00"'])
    assert r.exit_code == 0, r.output
    lines = {ln.split()[0]: ln for ln in r.output.splitlines() if ln[:4] == "2026"}
    assert "closed" in lines["2026-02-24"] and "Independence Day" in lines["2026-02-24"]
    assert "09:00-14:00" in lines["2026-02-23"] and "shortened" in lines["2026-02-23"]
    assert "09:00-13:00" in lines["2026-02-27"] and "last Friday" in lines["2026-02-27"]
    out = tmp_path / "cal.json"
    r = CliRunner().invoke(main, ["calendar", BASE, "--format", "json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["working_days"] == 5 and doc["working_time_norm_hours"] == 40
    assert [x["volume_factor"] for x in doc["dates"]] == [1.0, 1.0, 1.0, 1.3, 1.0]
    r = CliRunner().invoke(main, ["calendar", BASE, "--format", "csv"])
    assert r.output.splitlines()[0].startswith("date,weekday,open,")
    assert "2026-03-05,thu,True,09:00,17:00,8.0,True,False,,1.3,thu hours,arrivals.date_factor" in r.output


@pytest.mark.parametrize("setting, key, words", [
    ('calendar.country="XX"', "calendar.country", "unknown country code 'XX'"),
    ('calendar.last_friday_close="25:00"', "calendar.last_friday_close", "within 00:00-24:00"),
    ('arrivals.events=[{name="p", rule="monthly", factor=1.3}]', "arrivals.events[0]", "needs day"),
    ('arrivals.events=[{name="p", rule="weekly", factor=1.3}]', "arrivals.events[0].rule", "monthly"),
    ('arrivals.events=[{name="p", rule="range", start=2026-03-05, end=2026-03-01, factor=1.3}]', "arrivals.events[0]",
     "before start"),
    ('arrivals.events=[{name="p", rule="after_holiday", day=3, factor=1.3}]', "arrivals.events[0]", "for rule"),
    ("calendar.shortened_by_h=2.75", "calendar.shortened_by_h", "interval boundary"),
    ('calendar.last_friday_close="13:15"', "calendar.last_friday_close", "interval boundary"),
    ("calendar.shortened_by_h=8", "calendar.shortened_by_h", "not after it opens"),
])
def test_bad_calendar_input_exits_2_naming_the_key(setting, key, words, tmp_path):
    out = tmp_path / "x.csv"
    extra = ["--set", 'calendar.country="EE"', "--set", "calendar.start=2026-06-22"] if "shortened_by_h" in setting or "13:15" in setting else []
    r = CliRunner().invoke(main, ["calendar", BASE, *extra, "--set", setting, "-o", str(out)])
    assert r.exit_code == 2, r.output
    assert f"{key}:" in r.output and words in r.output and "Traceback" not in r.output
    assert not out.exists()
    with pytest.raises(ScenarioError):
        load_scenario(BASE, [*extra[1::2], setting])


def test_a_date_vector_on_a_shortened_day_has_the_shortened_days_intervals():
    week = [*CLEAN, 'calendar.country="EE"', "calendar.start=2026-06-22", "calendar.days=5"]
    s = load_scenario(BASE, [*week, "staffing.dates={2026-06-22 = [20, 20, 20, 20, 20, 20, 20, 20, 20, 20]}"])
    tl = build_timeline(s)
    assert tl.iv_agents[tl.iv_day == 0].tolist() == [20] * 10  # 09:00-14:00
    with pytest.raises(ScenarioError, match=r"staffing.dates.2026-06-22: has 16 agents but 2026-06-22 opens 10"):
        load_scenario(BASE, [*week, f"staffing.dates={{2026-06-22 = {[20] * 16}}}"])


def test_a_week_with_holidays_and_a_shortened_day_simulates_and_compares_by_its_open_days():
    from ska_sim.sim.runner import simulate
    from ska_sim.plan.compare import measured_window, window_differences

    week = [*CLEAN, 'calendar.country="EE"', "calendar.start=2026-06-22", "calendar.days=5", "calendar.warmup_days=0"]
    s = load_scenario(BASE, week)
    r = simulate(s, replications=2, seed=3)
    assert r.days["date"].tolist() == ["2026-06-22", "2026-06-25", "2026-06-26"]  # 23 and 24 June are holidays
    assert measured_window(s)["open_days"][0] == ("2026-06-22", "09:00", "14:00")
    plain = load_scenario(BASE, [x for x in week if "country" not in x])
    assert window_differences(s, plain)  # the holidays make it another window


@pytest.mark.parametrize("path", ["scenarios/baseline.toml", "scenarios/skills-languages.toml"])
def test_without_country_or_events_every_date_resolves_as_the_hand_typed_calendar(path):
    # the hand-typed calendar's rule: closed dates and weekdays without hours closed, else date_hours or the
    # weekday's hours; the factor is date_factor or 1 (so the same numbers for the same seed)
    from ska_sim.scenario.calendar import simulated_days
    from ska_sim.scenario.clock import WEEKDAYS

    s = load_scenario(path)
    cal = s.calendar
    for day in simulated_days(s):
        usual = cal.hours.get(WEEKDAYS[day.date.weekday()])
        if usual is None or day.date in cal.closed:
            assert not day.is_open
            continue
        h = cal.date_hours.get(day.date, usual)
        assert (day.open_s, day.close_s) == (h.open_s, h.close_s)
        assert day.volume_factor == s.arrivals.date_factor.get(day.date, 1.0)


def test_a_range_counts_its_open_days_from_its_own_start():
    # 45 open days from 1 January 2026 (EE): January 21 (1 Jan a holiday), February 19 (24 Feb), so the
    # 41st-45th are 2-6 March; a window from 2 March sees those five, though the rule starts two months earlier
    rule = 'arrivals.events=[{name="winter", rule="range", start=2026-01-01, open_days=45, factor=1.3}]'
    s = load_scenario(BASE, [*CLEAN, 'calendar.country="EE"', "calendar.start=2026-03-02", "calendar.days=12", rule])
    assert _factors(s) == {f"2026-03-0{d}": pytest.approx(1.3) for d in range(2, 7)}


def test_an_event_factor_that_looks_like_a_percentage_is_warned_about():
    r = CliRunner().invoke(main, ["calendar", BASE, "--set",
                                  'arrivals.events=[{name="p", rule="monthly", day=5, factor=30}]'])
    assert r.exit_code == 0 and "warning: arrivals.events[0].factor = 30" in r.output and "did you mean 1.3" in r.output


def test_a_range_event_with_end_and_open_days_is_refused_naming_the_event_and_both_keys(tmp_path):
    rule = ('arrivals.events=[{name="indexation", rule="range", start=2026-03-03, end=2026-03-05, open_days=2, '
            'factor=1.3}]')
    out = tmp_path / "cal.csv"
    r = CliRunner().invoke(main, ["calendar", BASE, "--set", rule, "-o", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output and not out.exists()
    (line,) = error_lines(r)
    assert "arrivals.events[0]" in line and "'indexation'" in line and "end" in line and "open_days" in line
    with pytest.raises(ScenarioError):
        load_scenario(BASE, [rule])


def test_the_calendar_header_keeps_the_measured_windows_counts_and_norm_together():
    r = CliRunner().invoke(main, ["calendar", BASE, "--with-warmup", "--set", "calendar.days=3"])
    assert r.exit_code == 0, r.output
    header = r.output.splitlines()[1]
    # measured window 2-4 March 2026: 3 working days, 24 h; the warm-up week (23 Feb-1 Mar) adds 4
    # open working days, one of them (23 Feb) shortened; 24 Feb closed
    assert "Measured window 2026-03-02 to 2026-03-04: 3 dates, 3 open, 3 working days (0 shortened" in header
    assert "norm is 24 h per FTE" in header
    assert "With the warm-up (7 days from 2026-02-23, listed too): 10 dates, 7 open, 7 working days (1 shortened" \
        in header
    r = CliRunner().invoke(main, ["calendar", BASE])
    assert "With the warm-up" not in r.output and "5 working days" in r.output and "40 h per FTE" in r.output


def test_calendar_outputs_round_products_of_factors():
    r = CliRunner().invoke(main, ["calendar", YEAR, "--format", "csv"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(pd.io.common.StringIO(r.output)).set_index("date")
    # 6 April 2026: pension 1.15 x after Easter 1.25 x indexation 1.6 = 2.3 (float: 2.3000000000000003)
    assert "2026-04-06,mon,True,09:00,17:00,8.0,True,False,,2.3," in r.output
    assert "2026-04-07,tue,True,09:00,17:00,8.0,True,False,,1.84," in r.output
    assert all(len(repr(float(v)).replace("-", "").replace(".", "").lstrip("0")) <= 7 for v in df["volume_factor"])
    doc = json.loads(CliRunner().invoke(main, ["calendar", YEAR, "--format", "json"]).output)
    assert {d["date"]: d["volume_factor"] for d in doc["dates"]}["2026-04-06"] == 2.3
