"""People and euros on the planning page, from the one place that computes them: a plan's paid
hours, FTE, heads and euros as `run` prints them; a help's before and after; k people added
where they buy most (k FTE, as `marginal --fte`) and where they went; each target's verdict
with the days that met it; the scenario's display names; problems and errors as machine keys."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from ska_sim.cli import main
from ska_sim.plan.plan import plan_people
from ska_sim.scenario.load import load_scenario
from ska_sim.sim.runner import simulate
from ska_sim.web.app import create_app
from conftest import ROOT

TOKEN = "t"
PEOPLE = ("paid_hours", "paid_hours_per_month", "fte", "heads", "eur_per_week", "eur_per_month", "eur_per_year")
MON = [40, 36, 38, 38, 36, 33, 28, 27, 30, 31, 29, 27, 24, 22, 20, 19]


@pytest.fixture()
def workdir(tmp_path):
    for f in ("baseline.toml", "skills-languages.toml"):
        shutil.copy(ROOT / "scenarios" / f, tmp_path / f)
    shutil.copy(ROOT / "tests" / "data" / "minimal.toml", tmp_path / "minimal.toml")
    return tmp_path


@pytest.fixture()
def client(workdir):
    app = create_app(workdir, workers=0, token=TOKEN, hosts={"testserver"}, start_pool=False)
    with TestClient(app, headers={"X-Ska-Token": TOKEN}, raise_server_exceptions=False) as c:
        yield c


def plan(scenario="baseline.toml", **kw):
    return {"scenario": scenario, "replications": 2, "seed": 5, "client": "p", **kw}


def test_the_pages_people_and_euros_are_the_clis_for_the_same_plan(client, workdir):
    doc = client.post("/api/run", json={"plan": plan(edits={"staffing.agents.mon": MON})}).json()
    r = CliRunner().invoke(main, ["run", str(workdir / "baseline.toml"), "-r", "2", "--seed", "5", "--workers", "1",
                                  "--set", f"staffing.agents.mon={MON}", "--format", "json"])
    assert r.exit_code == 0, r.output
    cli = json.loads(r.stdout)["people"]
    saved = plan_people(load_scenario(workdir / "baseline.toml"))
    for k in PEOPLE:
        assert doc["cost"][k] == pytest.approx(cli[k], rel=1e-12), k
        assert doc["saved_cost"][k] == pytest.approx(saved[k], rel=1e-12), k
    assert doc["cost"]["eur_per_week"] == pytest.approx(doc["cost"]["fte"] * 40 * 13)  # the baseline's assumed 13 EUR/h
    assert doc["cost"]["fte"] > doc["saved_cost"]["fte"]


def test_a_scenario_without_costs_says_so_and_has_no_euros(client):
    assert client.get("/api/scenario", params={"name": "minimal.toml"}).json()["costs"] is False
    assert client.get("/api/scenario", params={"name": "baseline.toml"}).json()["costs"] is True
    doc = client.post("/api/run", json={"plan": plan("minimal.toml")}).json()
    assert doc["cost"]["eur_per_month"] is None and doc["cost"]["eur_per_week"] is None
    assert doc["cost"]["paid_hours_per_month"] > 0


def test_a_fill_shows_the_people_and_euros_before_and_after(client, workdir):
    r = client.post("/api/fill", json={"plan": plan(), "method": "erlang"}).json()
    before, after = r["cost"]["before"], r["cost"]["after"]
    saved = plan_people(load_scenario(workdir / "baseline.toml"))
    for k in PEOPLE:
        assert before[k] == pytest.approx(saved[k], rel=1e-12), k
    assert after["paid_hours"] == pytest.approx(r["cost"]["paid_hours_after"])
    assert after["eur_per_month"] == pytest.approx(after["fte"] * saved["eur_per_month"] / saved["fte"])


def test_adding_k_people_adds_k_fte_where_they_buy_most_and_says_where(client):
    r = client.post("/api/add_best", json={"plan": plan(), "k": 2, "unit": "people"}).json()
    assert r["unit"] == "people" and r["k"] == 2
    assert r["cost"]["fte_change"] == pytest.approx(2.0, abs=0.1)  # k FTE of paid time, rounded to agent-intervals
    assert r["cost"]["after"]["heads"] - r["cost"]["before"]["heads"] == 2
    s = load_scenario(ROOT / "scenarios" / "baseline.toml")
    before = {d: s.staffing.agents[d] for d in s.staffing.agents}
    added = 0
    for day in r["where"]:  # each changed half hour: the grid's new value less the plan's
        wd = ["mon", "tue", "wed", "thu", "fri"][np.datetime64(day["date"]).astype(object).weekday()]
        old = before.get(wd, before["default"])
        for slot in day["slots"]:
            i = (int(slot["time"][:2]) * 60 + int(slot["time"][3:]) - 9 * 60) // 30
            assert r["dates"][day["date"]][i] - old[i] == slot["change"] > 0
            added += slot["change"]
    assert added * 0.5 == pytest.approx(r["cost"]["after"]["phone_hours"] - r["cost"]["before"]["phone_hours"])
    agents = client.post("/api/add_best", json={"plan": plan(), "k": 1, "unit": "agents"}).json()
    assert all(len(d["slots"]) == 16 and {x["change"] for x in d["slots"]} == {1} for d in agents["where"])
    assert client.post("/api/add_best", json={"plan": plan(), "k": 1, "unit": "heads"}).status_code == 400


def test_adding_people_to_a_group_names_the_group(client):
    r = client.post("/api/add_best", json={"plan": plan("skills-languages.toml"), "k": 1, "unit": "people",
                                           "group": "ru_general"}).json()
    assert r["group"] == "ru_general" and r["where"]


def test_each_target_says_whether_its_mean_meets_it_and_on_how_many_days(client, workdir):
    doc = client.post("/api/run", json={"plan": plan(edits={"staffing.scale": "0.8"})}).json()
    s = load_scenario(workdir / "baseline.toml", ["staffing.scale=0.8"])
    res = simulate(s, 2, 5)
    sl = next(v for v in doc["verdicts"] if v["kpi"] == "service_level")
    assert sl["met"] is False and sl["mean"] < 0.8 and sl["low"] == 0.8
    days = res.days["service_level"].to_numpy()
    assert (sl["days_met"], sl["days"]) == (int((days >= 0.8).sum()), 5)
    assert sl["status"] == res.targets.set_index("kpi").loc["service_level", "status"]
    fill = client.post("/api/fill", json={"plan": plan(), "method": "erlang"}).json()
    # the baseline's targets, the written work's among them (its letters, [[written]])
    assert {v["kpi"] for v in fill["verdicts"]} == {"service_level", "answer_rate", "fcr", "written_on_time"}


def test_the_scenario_gives_the_display_names_of_its_types_and_groups(client):
    d = client.get("/api/scenario", params={"name": "skills-languages.toml"}).json()
    names = {c["name"]: c["display_name"] for c in d["call_types"]}
    assert names["pensions"] == {"et": "Pensionid", "en": "Pensions"}
    assert names["disability_work_ability"]["et"] == "Puue ja töövõime"
    assert {g["group"]: g["display_name"]["et"] for g in d["grids"]}["eu_unit"] == "ELi üksus"
    m = client.get("/api/scenario", params={"name": "minimal.toml"}).json()
    assert m["call_types"][0]["display_name"] == {}  # none given: the page shows the id


def test_an_invalid_value_and_a_bad_number_carry_a_key_the_page_translates(client):
    doc = client.post("/api/run", json={"plan": plan(edits={"arrivals.volume_scale": "-1"})}).json()
    (p,) = doc["problems"]
    assert (p["field"], p["code"], p["params"]) == ("arrivals.volume_scale", "gt", {"limit": "0", "got": "-1"})
    assert p["message"].endswith("arrivals.volume_scale: must be greater than 0 (got -1)")  # the CLI's line, kept
    r = client.post("/api/add_best", json={"plan": plan(), "k": 50})
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["field"], r.json()["params"]) == ("range", "k", {"lo": -20, "hi": 20, "got": 50})
    assert "error" in r.json()  # the 4xx contract: the line in words is still there
    r = client.get("/api/scenario", params={"name": "nope.toml"})
    assert r.status_code == 404 and r.json()["code"] == "no_such_scenario"
