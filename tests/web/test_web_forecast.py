"""The planning page with [arrivals.forecast]: the forecast behind the week (band, effects),
a day's volume overridden and saved as arrivals.forecast.override (comments kept), the page's
line saying the intervals include the forecast's uncertainty, 4xx JSON errors."""

from __future__ import annotations

import shutil
import tomllib

import pytest
from click.testing import CliRunner

from conftest import ROOT
from helpers import api_client
from ska_sim.cli import main

TOKEN = "test-token"
BLOCK = '[arrivals.forecast]   # the week from forecast-week.csv\nfile = "forecast-week.csv"\n'


@pytest.fixture()
def workdir(tmp_path):
    wd = tmp_path / "plans"
    wd.mkdir()
    text = (ROOT / "scenarios" / "baseline.toml").read_text()
    (wd / "week.toml").write_text(text.replace("[[call_types]]", BLOCK + "\n[[call_types]]", 1))
    shutil.copy(ROOT / "scenarios" / "forecast-week.csv", wd / "forecast-week.csv")
    return wd


@pytest.fixture()
def client(workdir):
    yield from api_client(workdir, TOKEN)


def plan(**kw):
    p = {"scenario": "week.toml", "replications": 2, "seed": 9, "client": "t"}
    p.update(kw)
    return p


KEY = "arrivals.forecast.override.2026-03-05"


def test_the_page_shows_the_forecast_behind_the_week(client):
    d = client.get("/api/scenario", params={"name": "week.toml"}).json()
    fc = d["forecast"]
    assert "intervals include the forecast's uncertainty" in fc["note"]
    days = {x["date"]: x for x in fc["days"]}
    assert list(days) == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]
    thu = days["2026-03-05"]
    assert thu["forecast"] == 1209 and thu["low_80"] == 1022 and thu["high_95"] == 1518
    assert thu["effects"] == ["payment_day: 1.3", "event: pension payment day"] and not thu["override"]
    assert thu["override_key"] == KEY
    r = client.post("/api/run", json={"plan": plan()}).json()
    assert "intervals include the forecast's uncertainty" in r["forecast_note"]
    assert client.get("/api/scenario", params={"name": "week.toml"}).json()["fields"]  # nothing else moved


def test_an_override_is_simulated_marked_and_saved_with_comments_kept(client, workdir):
    base = client.post("/api/run", json={"plan": plan()}).json()
    r = client.post("/api/run", json={"plan": plan(edits={KEY: "1600"})}).json()
    assert "(1 overridden)" in r["forecast_note"]
    assert r["kpis"]["offered"]["mean"] > base["kpis"]["offered"]["mean"] + 300
    s = client.post("/api/save", json={"plan": plan(edits={KEY: "1600"}), "name": "week.toml", "overwrite": True})
    assert s.status_code == 200
    text = (workdir / "week.toml").read_text()
    assert "# the week from forecast-week.csv" in text and "ASSUMED" in text
    assert tomllib.loads(text)["arrivals"]["forecast"]["override"]["2026-03-05"] == 1600
    assert CliRunner().invoke(main, ["validate", str(workdir / "week.toml")]).exit_code == 0
    thu = next(x for x in client.get("/api/scenario", params={"name": "week.toml"}).json()["forecast"]["days"]
               if x["date"] == "2026-03-05")
    assert thu["override"] and thu["calls"] == 1600 and thu["forecast"] == 1209


@pytest.mark.parametrize("value,part", [("-5", "first calls must be >= 0"), ("lots", "valid number"),
                                        ("nan", "finite number")])
def test_a_bad_override_gets_the_clis_message_on_its_field_and_is_never_saved(client, workdir, value, part):
    before = (workdir / "week.toml").read_text()
    r = client.post("/api/run", json={"plan": plan(edits={KEY: value})})
    assert r.status_code == 200 and r.json()["invalid"]  # a well-formed edit with an invalid value
    (problem,) = r.json()["problems"]
    assert problem["field"] == KEY and part in problem["message"], problem
    r = client.post("/api/save", json={"plan": plan(edits={KEY: value}), "name": "week.toml", "overwrite": True})
    assert r.status_code == 422 and (workdir / "week.toml").read_text() == before


def test_an_override_for_a_date_outside_the_window_is_refused(client):
    r = client.post("/api/run", json={"plan": plan(edits={"arrivals.forecast.override.2027-01-05": "10"})})
    assert r.json()["invalid"] and "not a simulated date" in str(r.json()["problems"])
    r = client.post("/api/run", json={"plan": plan(edits={"arrivals.forecast.file": "x.csv"})})
    assert r.status_code == 400 and "not a key the page edits" in r.json()["error"]


def test_a_forecast_file_outside_the_work_folder_is_refused_before_it_is_read(client, workdir, tmp_path):
    shutil.copy(ROOT / "scenarios" / "forecast-week.csv", tmp_path / "outside.csv")
    text = (workdir / "week.toml").read_text().replace('file = "forecast-week.csv"', 'file = "../outside.csv"')
    (workdir / "away.toml").write_text(text)
    r = client.get("/api/scenario", params={"name": "away.toml"})
    assert r.status_code == 400 and "outside the work folder" in r.json()["error"]


def test_the_page_fills_the_plan_for_a_chance_of_meeting_every_target(client):
    r = client.post("/api/fill", json={"plan": plan(replications=4), "method": "confidence", "confidence": "0.75"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["chance"]["met"] and out["chance"]["filled"] >= 0.75 > out["chance"]["plan"]
    assert out["what"].startswith("a 75% chance of meeting every target (agents x ")
    assert "intervals include the forecast's uncertainty" in out["verdict"]
    assert out["cost"]["paid_hours_after"] > out["cost"]["paid_hours_before"]
    assert set(out["dates"]) == {"2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"}


@pytest.mark.parametrize("value", ["1.5", "0.2", "lots", None, True])
def test_a_bad_confidence_is_a_400_naming_the_field(client, value):
    r = client.post("/api/fill", json={"plan": plan(), "method": "confidence", "confidence": value})
    assert r.status_code == 400 and r.json()["field"] == "confidence", r.text
