"""A scenario with a saved roster (roster.file) gives the same numbers in every command:
staffing.scale multiplies the roster's agents, a date's staffing.dates vector replaces the
roster on that date, `staff --roster`'s today row is the roster `run` simulates, the planning
page's unedited week is `run` on that week, and --weeks names the horizon in use."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from starlette.testclient import TestClient

from ska_sim.scenario.roster import attach
from ska_sim.scenario.roster_agents import roster_timeline
from ska_sim.scenario.timeline import roster_model
from ska_sim.sim.runner import simulate
from ska_sim.scenario.checks import scenario_warnings
from ska_sim.plan.by_simulation import with_agents
from ska_sim.scenario.timeline import build_timeline
from ska_sim.base.files import write_csv
from ska_sim.web.app import create_app

from helpers import TOKEN, solved_roster
from helpers import run_cli, saved_roster



def _with(s, **staffing):
    return s.model_copy(update={"staffing": s.staffing.model_copy(update=staffing)})


def test_staffing_scale_multiplies_the_roster_agents_as_it_multiplies_staffing():
    s, tl, plan = solved_roster(extra_shift={"name": "mid", "starts": ["10:30"], "length_h": 4})
    base = roster_timeline(attach(s, plan), tl).iv_agents
    scaled_s = attach(_with(s, scale=1.5), plan)
    scaled = build_timeline(scaled_s).iv_agents
    expect = np.array([math.floor(a * 1.5 + 0.5) for a in base])  # timeline.py's rounding
    np.testing.assert_array_equal(scaled, expect)
    assert scaled.sum() > base.sum()
    # the engine's per-replication agents (absence drawn) are scaled the same way
    rm = roster_model(scaled_s)
    np.testing.assert_array_equal(rm.agents_given(np.ones(len(rm.p_absent), bool)), expect)
    # and the scaled roster simulates exactly as those agents given per date
    plain = with_agents(s, tl, expect)
    a = simulate(scaled_s, replications=2, seed=5, workers=1)
    b = simulate(plain, replications=2, seed=5, workers=1)
    pd.testing.assert_frame_equal(a.summary, b.summary)


def test_a_dates_own_vector_replaces_the_roster_on_that_date_only():
    s, tl, plan = solved_roster()
    base = roster_timeline(attach(s, plan), tl).iv_agents
    day = s.calendar.start  # a Monday the roster covers
    own = attach(_with(s, dates={day: [7] * 8}, scale=2.0), plan)
    agents = build_timeline(own).iv_agents
    on_day = np.array([tl.dates[d] == day for d in tl.iv_day])
    assert (agents[on_day] == 14).all()  # the date's vector x scale
    np.testing.assert_array_equal(agents[~on_day], np.floor(base[~on_day] * 2.0 + 0.5))


def test_a_set_of_weekday_vectors_on_a_rostered_scenario_is_warned_about():
    s, tl, plan = solved_roster()
    rs = attach(s, plan)
    assert scenario_warnings(rs, ["staffing.scale=1.2"]) == []
    (w,) = scenario_warnings(rs, ["staffing.agents.default=[3, 3, 3, 3, 3, 3, 3, 3]"])
    assert w.startswith("staffing.agents.default: not used on the 7 simulated date(s) the roster")






def _sl(doc):
    return doc["kpis"]["service_level"]["mean"]


def test_run_and_compare_follow_staffing_scale_on_a_roster(tmp_path):
    saved_roster(tmp_path)
    f = tmp_path / "s.toml"
    runs = {}
    for sc in ("1.0", "0.5"):
        code, out = run_cli("run", f, "-r", "2", "--workers", "1", "--format", "json", "--set", f"staffing.scale={sc}")
        assert code == 0, out
        runs[sc] = json.loads(out)
    assert _sl(runs["0.5"]) < _sl(runs["1.0"])


def test_staff_roster_today_is_the_saved_roster_that_run_simulates(tmp_path):
    saved_roster(tmp_path)
    f = tmp_path / "s.toml"
    code, out = run_cli("run", f, "-r", "2", "--workers", "1", "--format", "json")
    assert code == 0, out
    ran = json.loads(out)
    code, out = run_cli("staff", f, "--roster", "-r", "2", "--workers", "1", "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    rows = {r["plan"]: r for r in doc["plans"]}
    assert "today" not in rows
    assert rows["today (roster.file)"]["service_level"] == pytest.approx(_sl(ran), abs=1e-12)


def test_weeks_names_the_horizon_in_use(tmp_path):
    d = saved_roster(tmp_path)
    d["roster"]["weeks"] = 4
    d["roster"]["people"][0]["leave"] = [{"week": 3, "people": 1}]
    import tomlkit

    (tmp_path / "s.toml").write_text(tomlkit.dumps(d))
    code, out = run_cli("staff", tmp_path / "s.toml", "--roster", "--weeks", "1", "-r", "1", "--workers", "1")
    assert code == 2, out
    assert "week 3 is after the horizon (--weeks 1)" in out and "Traceback" not in out


@pytest.fixture()
def page(tmp_path):
    saved_roster(tmp_path)
    app = create_app(tmp_path, workers=0, token=TOKEN, hosts={"testserver"}, start_pool=False)
    with TestClient(app, headers={"X-Ska-Token": TOKEN}, raise_server_exceptions=False) as c:
        yield c


def _page_run(page, **kw):
    p = {"scenario": "s.toml", "week": "2026-03-02", "replications": 2, "seed": 4, "client": "t", **kw}
    r = page.post("/api/run", json={"plan": p})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_page_simulates_the_roster_as_run_does(page, tmp_path):
    f = tmp_path / "s.toml"
    week = ["--set", "calendar.start=2026-03-02", "--set", "calendar.days=7"]
    for edits, sets in (({}, []), ({"staffing.scale": "2"}, ["--set", "staffing.scale=2"])):
        doc = _page_run(page, edits=edits)
        code, out = run_cli("run", f, *week, *sets, "-r", "2", "--seed", "4", "--workers", "1", "--format", "json")
        assert code == 0, out
        ref = json.loads(out)
        for k in ("service_level", "answer_rate", "offered"):
            assert doc["kpis"][k]["mean"] == ref["kpis"][k]["mean"], (edits, k)
    # the grid shows the roster's agents as each date's vector; an edit of one replaces the roster there
    desc = page.get("/api/scenario", params={"name": "s.toml", "week": "2026-03-02"}).json()
    tl = build_timeline(attach(*solved_roster()[::2]))
    mon = desc["grids"][0]["rows"][0]
    assert mon["key"] == "staffing.dates.2026-03-02" and mon["roster"]
    assert mon["values"] == [int(a) for a, d in zip(tl.iv_agents, tl.iv_day) if tl.dates[d].isoformat() == "2026-03-02"]
    edited = _page_run(page, edits={"staffing.dates.2026-03-02": [0] * 8})
    code, out = run_cli("run", f, *week, "--set", "staffing.dates.2026-03-02=[0,0,0,0,0,0,0,0]",
                     "-r", "2", "--seed", "4", "--workers", "1", "--format", "json")
    ref = json.loads(out)
    assert edited["kpis"]["service_level"]["mean"] == ref["kpis"]["service_level"]["mean"]
    assert _sl(edited) < _sl(_page_run(page))


def test_the_page_follows_a_roster_file_edited_in_place(page, tmp_path):
    """The saved roster's bytes are part of the model on the page as when loading: a roster.csv
    changed under the same name gives new results, not the cached ones."""
    before = _page_run(page)
    table = pd.read_csv(tmp_path / "roster.csv")
    table.loc[table["status"] == "work", "status"] = "off"  # nobody works any more
    table.loc[table["status"] == "off", ["shift", "start", "end", "break", "activities"]] = None
    table.loc[table["status"] == "off", "paid_hours"] = 0.0
    write_csv(tmp_path / "roster.csv", table)
    after = _page_run(page)
    assert _sl(after) < _sl(before)
    assert after["kpis"]["answered"]["mean"] == 0


def test_staff_roster_says_when_its_horizon_is_not_the_scenarios_window(tmp_path):
    """--roster plans roster.weeks x 7 days (or --weeks): when calendar.days differs, a note on
    stderr says which window is planned; none when they agree."""
    import tomlkit
    from click.testing import CliRunner

    from ska_sim.cli import main

    d = saved_roster(tmp_path)
    f = tmp_path / "s.toml"
    weeks = d["roster"].get("weeks", 1)
    for days, noted in ((7 * weeks, False), (7 * weeks + 3, True)):
        d["calendar"]["days"] = days
        f.write_text(tomlkit.dumps(d))
        r = CliRunner().invoke(main, ["staff", str(f), "--roster", "-r", "1", "--workers", "1", "--format", "json"])
        assert r.exit_code == 0, r.output
        note = (f"note: --roster plans and simulates the roster's horizon, {weeks} week{'s' if weeks > 1 else ''} "
                f"({7 * weeks} days) from calendar.start")
        assert (note in r.stderr) == noted, r.stderr
        if noted:
            assert f"(roster.weeks), not calendar.days = {days}" in r.stderr
        json.loads(r.stdout)


def test_the_pages_erlang_fill_is_priced_as_staff_prices_the_erlang_plan(page, tmp_path):
    """The fill's agents are simulated alone (the roster is not kept beside them): the page prices
    them as staff's 'erlang interval' row does (the same paid hours, FTE and heads)."""
    p = {"scenario": "s.toml", "week": "2026-03-02", "replications": 2, "seed": 4, "client": "t"}
    r = page.post("/api/fill", json={"plan": p, "method": "erlang"})
    assert r.status_code == 200, r.text
    cost = r.json()["cost"]
    code, out = run_cli("staff", tmp_path / "s.toml", "--set", "calendar.start=2026-03-02", "--set", "calendar.days=7",
                        "-r", "2", "--seed", "4", "--workers", "1", "--format", "json")
    assert code == 0, out
    row = {x["plan"]: x for x in json.loads(out)["plans"]}["erlang interval"]
    assert cost["paid_hours_after"] == pytest.approx(row["paid_hours"])
    assert cost["fte_after"] == pytest.approx(row["fte"]) and cost["heads_after"] == row["heads"]
    assert cost["paid_basis"] == row["paid_basis"]
