"""Any week on the planning page (web/weeks.py): the coming weeks from a given today, each with
what is special in it under the scenario's calendar rules; a typed date as its week (its
Monday); the week a long scenario opens on; weeks the scenario cannot show refused in words
(4xx JSON naming ``week``); the year scenario opens on one week, not the year; a plan saved
from a week of the year keeps the year's window. Holiday facts are Estonian law (ISSUE-NOTES:
2026's shortened days are 23 Feb, 22 Jun, 23 Dec, 31 Dec), not read back from the package."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from ska_sim.base.errors import ScenarioError
from ska_sim.scenario.load import load_scenario
from ska_sim.web import weeks
from conftest import ROOT
from helpers import api_client

TOKEN = "test-token"
YEAR = ROOT / "scenarios" / "year-2026.toml"
D = dt.date


@pytest.fixture(scope="module")
def year():
    return load_scenario(YEAR)


@pytest.fixture()
def workdir(tmp_path):
    wd = tmp_path / "plans"
    wd.mkdir()
    for f in ("baseline.toml", "year-2026.toml", "year-2026-roster.csv", "shifts-example.toml", "forecast-week.csv"):
        shutil.copy(ROOT / "scenarios" / f, wd / f)
    text = (ROOT / "scenarios" / "baseline.toml").read_text()
    block = '[arrivals.forecast]\nfile = "forecast-week.csv"\n'  # forecasts 2 to 6 March 2026 only
    (wd / "forecast.toml").write_text(text.replace("[[call_types]]", block + "\n[[call_types]]", 1))
    return wd


@pytest.fixture()
def client(workdir):
    yield from api_client(workdir, TOKEN)


def special(week: dict) -> dict[str, dict]:
    return {d["date"]: d for d in week["special"]}


# --------------------------------------------------------------------------- weeks.py
def test_the_coming_weeks_start_with_todays_and_follow_monday_after_monday(year):
    got = weeks.coming_weeks(year, D(2026, 12, 9))  # a Wednesday
    assert [w["monday"] for w in got] == [(D(2026, 12, 7) + dt.timedelta(weeks=k)).isoformat() for k in range(12)]
    assert all(D.fromisoformat(w["sunday"]) - D.fromisoformat(w["monday"]) == dt.timedelta(days=6) for w in got)
    assert len(weeks.coming_weeks(year, D(2026, 12, 9), n=3)) == 3


def test_the_christmas_week_names_its_holidays_and_its_shortened_day(year):
    w = next(w for w in weeks.coming_weeks(year, D(2026, 12, 7)) if w["monday"] == "2026-12-21")
    days = special(w)
    assert days["2026-12-24"]["holiday"] == {"et": "jõululaupäev", "en": "Christmas Eve"}
    assert days["2026-12-25"]["holiday"]["en"] == "Christmas Day" and not days["2026-12-25"]["open"]
    assert days["2026-12-23"]["shortened"] and days["2026-12-23"]["hours_h"] == 5  # 09:00-14:00
    assert w["open_days"] == 3 and w["problem"] is None and w["note"] is None  # the roster covers it


def test_independence_day_2027_beyond_the_year_keeps_the_rules_and_says_the_roster_ends(year):
    w = weeks.week_facts(year, D(2027, 2, 22))
    days = special(w)
    assert days["2027-02-24"]["holiday"]["et"] == "iseseisvuspäev" and not days["2027-02-24"]["open"]
    assert days["2027-02-23"]["shortened"]  # a Tuesday before Independence Day: 3 h shorter
    events = [e["name"] for e in days["2027-02-25"]["events"]]
    assert events == ["day after a public holiday"] and days["2027-02-25"]["volume_factor"] == 1.25
    assert w["note"]["code"] == "week_outside_roster" and w["note"]["params"]["file"] == "year-2026-roster.csv"


def test_a_payment_day_on_a_weekend_moves_to_monday_and_tuesday(year):
    # 5 December 2026 is a Saturday: pensions are paid on Monday 7 and Tuesday 8 (since 2025)
    days = special(weeks.week_facts(year, D(2026, 12, 7)))
    assert [e["name"] for e in days["2026-12-07"]["events"]] == ["pension payment day"]
    assert "pension payment day" in [e["name"] for e in days["2026-12-08"]["events"]]
    assert days["2026-12-07"]["events"][0]["display_name"] == {"et": "pensionipäev", "en": "pension payment day"}


@pytest.mark.parametrize("typed, monday", [("2027-02-24", D(2027, 2, 22)), ("2027-02-22", D(2027, 2, 22)),
                                           ("2027-02-28", D(2027, 2, 22)), ("2027-03-01", D(2027, 3, 1))])
def test_a_typed_date_is_its_weeks_monday(typed, monday):
    assert weeks.week_of(typed) == monday


@pytest.mark.parametrize("typed, code", [("2200-01-01", "week_range"), ("1899-12-31", "week_range"),
                                         ("2199-12-30", "week_range"), ("2027-02-30", "week_not_a_date"),
                                         ("24.02.2027", "week_not_a_date"), (20270224, "week_not_a_date")])
def test_a_date_outside_the_calendar_or_no_date_is_refused(typed, code):
    with pytest.raises(weeks.WeekRefused) as exc:
        weeks.week_of(typed)
    assert exc.value.code == code and exc.value.field == "week" and exc.value.status == 400


@pytest.mark.parametrize("today, monday", [
    (D(2026, 12, 7), D(2026, 12, 7)),    # a Monday: this week
    (D(2026, 12, 11), D(2026, 12, 7)),   # Friday: still open today
    (D(2026, 12, 12), D(2026, 12, 14)),  # Saturday: nothing left this week, the next one
    (D(2027, 3, 1), D(2026, 1, 5)),      # after the year: its first Monday
])
def test_the_year_opens_on_the_current_or_next_week(year, today, monday):
    assert weeks.opening_week(D(2026, 1, 1), 365, today, year) == monday


def test_a_week_long_window_opens_as_saved(year):
    assert weeks.opening_week(D(2026, 3, 2), 5, D(2026, 12, 7), year) is None


# --------------------------------------------------------------------------- the API
def test_the_year_opens_on_a_week_and_runs_a_week_not_the_year(client):
    d = client.get("/api/scenario", params={"name": "year-2026.toml", "today": "2026-12-09"}).json()
    assert d["week"] == "2026-12-07"
    assert [r["date"] for r in d["grids"][0]["rows"]] == [f"2026-12-{k:02d}" for k in range(7, 12)]
    assert d["window"] == {"start": "2026-01-01", "days": 365, "weeks": d["window"]["weeks"]}
    assert len(d["window"]["weeks"]) == 52  # the year's weeks stay on offer
    assert d["weeks"]["today"] == "2026-12-09" and d["weeks"]["shown"]["monday"] == "2026-12-07"
    assert d["weeks"]["coming"][0]["monday"] == "2026-12-07"
    doc = client.post("/api/run", json={"plan": {"scenario": "year-2026.toml", "week": d["week"],
                                                 "replications": 1, "client": "t"}}).json()
    dates = sorted(set(doc["intervals"]["date"]))
    assert dates == [f"2026-12-{k:02d}" for k in range(7, 12)]


def test_any_day_of_a_week_shows_that_week(client):
    d = client.get("/api/scenario", params={"name": "baseline.toml", "week": "2026-12-24"}).json()
    assert d["week"] == "2026-12-21"
    assert [r["date"] for r in d["grids"][0]["rows"]][0] == "2026-12-21"
    saved = client.get("/api/scenario", params={"name": "baseline.toml"}).json()
    assert saved["week"] is None and saved["grids"][0]["rows"][0]["date"] == "2026-03-02"  # a week's file: as saved


@pytest.mark.parametrize("field, value", [("week", "2200-01-01"), ("week", "1899-12-25"), ("today", "2200-02-30"),
                                          ("today", "tomorrow")])
def test_a_week_or_today_out_of_range_is_a_4xx_json_error_naming_it(client, field, value):
    r = client.get("/api/scenario", params={"name": "year-2026.toml", field: value})
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["field"] == field and body["code"] in ("week_range", "week_not_a_date") and "Traceback" not in r.text


def test_a_week_the_forecast_does_not_cover_is_refused_in_words(client):
    r = client.get("/api/scenario", params={"name": "forecast.toml", "week": "2026-12-07"})
    assert r.status_code == 422 and r.json()["field"] == "week" and r.json()["code"] == "week_no_forecast"
    assert r.json()["params"] == {"week": "2026-12-07", "file": "forecast-week.csv", "first": "2026-03-02",
                                  "last": "2026-03-06"}
    d = client.get("/api/scenario", params={"name": "forecast.toml", "today": "2026-12-07"}).json()
    assert d["week"] is None  # the forecast's own week, as saved
    assert all(w["problem"]["code"] == "week_no_forecast" for w in d["weeks"]["coming"])
    run = client.post("/api/run", json={"plan": {"scenario": "forecast.toml", "week": "2026-12-07", "client": "t"}})
    assert run.status_code == 200 and run.json()["invalid"]  # an edit's answer: the file's problem, not a traceback


def test_a_longer_window_whose_current_week_the_forecast_misses_opens_as_saved(client, workdir):
    # a forecast for Wed 4 to Thu 12 March 2026 (the second week's rows: the first week's, 7 days on)
    head, *rows = (workdir / "forecast-week.csv").read_text().splitlines()
    later = [(D.fromisoformat(r[:10]) + dt.timedelta(days=7)).isoformat() + r[10:] for r in rows]
    kept = [r for r in rows + later if "2026-03-04" <= r[:10] <= "2026-03-12"]
    (workdir / "nine-days.csv").write_text("\n".join([head, *kept]) + "\n")
    text = (workdir / "forecast.toml").read_text().replace("forecast-week.csv", "nine-days.csv")
    text = text.replace("start = 2026-03-02", "start = 2026-03-04", 1).replace("days = 5 ", "days = 9 ", 1)
    (workdir / "nine.toml").write_text(text)
    d = client.get("/api/scenario", params={"name": "nine.toml", "today": "2026-03-04"}).json()
    assert d.get("week", "absent") is None and d["window"]["days"] == 9, d  # Mon 2, Tue 3: no forecast
    r = client.get("/api/scenario", params={"name": "nine.toml", "week": "2026-03-04"})
    assert r.status_code == 422 and r.json()["code"] == "week_no_forecast"


def test_an_events_display_name_is_checked_as_a_call_types(tmp_path):
    text = YEAR.read_text().replace('display_name = { et = "pensionipäev"', 'display_name = { fi = "eläkepäivä"', 1)
    (tmp_path / "y.toml").write_text(text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(tmp_path / "y.toml")
    assert "arrivals.events[0].display_name.fi" in str(exc.value.problems[0])


def test_a_plan_saved_from_a_week_of_the_year_keeps_the_years_window(client, workdir):
    edits = {"arrivals.volume_scale": "1.1"}
    year = client.post("/api/preview", json={"plan": {"scenario": "year-2026.toml", "week": "2026-12-07",
                                                      "edits": edits}}).json()
    assert "+volume_scale = 1.1" in year["diff"]
    assert "calendar" not in year["diff"] and "start = 2026-12-07" not in year["diff"]
    week = client.post("/api/preview", json={"plan": {"scenario": "baseline.toml", "week": "2026-12-07",
                                                      "edits": edits}}).json()
    assert "+start = 2026-12-07" in week["diff"] and "+volume_scale = 1.1" in week["diff"]  # a week's file: its week


def test_the_saved_window_when_asked(client):
    d = client.get("/api/scenario", params={"name": "year-2026.toml", "week": "saved", "today": "2026-12-07"}).json()
    assert d["week"] is None and d["weeks"]["shown"] is None
    assert d["grids"][0]["rows"][0]["date"] == "2026-01-02" and len(d["grids"][0]["rows"]) == 252  # 2026's working days
