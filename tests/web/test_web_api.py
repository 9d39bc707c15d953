"""The planning page's API through an HTTP client: same numbers and messages as the
CLI, plans saved as TOML with comments kept, names only, 4xx JSON errors, a server that survives."""

from __future__ import annotations

import json
import shutil
import threading
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from ska_sim.cli import main
from ska_sim.web.documents import render_toml
from ska_sim.web.app import create_app
from conftest import ROOT

ROOT = ROOT
DATA = ROOT / "tests" / "data"
TOKEN = "test-token"


@pytest.fixture()
def workdir(tmp_path):
    wd = tmp_path / "plans"
    wd.mkdir()
    shutil.copy(DATA / "minimal.toml", wd / "minimal.toml")
    shutil.copy(ROOT / "scenarios" / "baseline.toml", wd / "baseline.toml")
    shutil.copy(ROOT / "scenarios" / "skills-languages.toml", wd / "skills.toml")
    shutil.copy(ROOT / "scenarios" / "shifts-example.toml", wd / "shifts.toml")
    return wd


@pytest.fixture()
def client(workdir):
    app = create_app(workdir, workers=0, token=TOKEN, hosts={"testserver"}, start_pool=False)
    with TestClient(app, headers={"X-Ska-Token": TOKEN}, raise_server_exceptions=False) as c:
        c.service = app.state.service
        yield c


def plan(**kw):
    p = {"scenario": "minimal.toml", "replications": 3, "seed": 9, "client": "t"}
    p.update(kw)
    return p


def cli_json(args):
    r = CliRunner().invoke(main, ["run", *args, "--format", "json", "--workers", "1"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_every_api_request_needs_the_token_the_host_and_same_origin(workdir):
    app = create_app(workdir, workers=0, token=TOKEN, hosts={"testserver"}, start_pool=False)
    with TestClient(app) as c:
        r = c.get("/api/scenarios")
        assert r.status_code == 403 and "token" in r.json()["error"]
        assert c.get("/api/scenarios", headers={"X-Ska-Token": "wrong"}).status_code == 403
        ok = {"X-Ska-Token": TOKEN}
        assert c.get("/api/scenarios", headers=ok).status_code == 200
        # DNS rebinding: a page served under another name reaching this port
        r = c.get("/api/scenarios", headers={**ok, "Host": "evil.example:8050"})
        assert r.status_code == 421 and "Host" in r.json()["error"]
        # a cross-site request (another page in the same browser)
        r = c.post("/api/run", json={"plan": plan()}, headers={**ok, "Origin": "http://evil.example"})
        assert r.status_code == 403 and "cross-site" in r.json()["error"]
        assert c.get("/", headers={"Host": "evil.example"}).status_code == 421
        page = c.get("/")
        assert page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]


def test_lists_scenarios_of_the_work_folder_only(client):
    names = [s["name"] for s in client.get("/api/scenarios").json()["scenarios"]]
    assert names == ["baseline.toml", "minimal.toml", "skills.toml"]  # the shifts file is not a scenario


def test_an_edit_gives_the_numbers_of_run_with_the_same_set_and_seed(client, workdir):
    edits = {"staffing.agents.mon": ["6", "7", "5"], "arrivals.volume_scale": "1.1"}
    r = client.post("/api/run", json={"plan": plan(edits=edits)})
    assert r.status_code == 200, r.text
    doc = r.json()
    ref = cli_json([str(workdir / "minimal.toml"), "-r", "3", "--seed", "9",
                    "--set", "staffing.agents.mon=[6, 7, 5]", "--set", "arrivals.volume_scale=1.1"])
    for k in ("service_level", "answer_rate", "abandon_rate", "offered"):
        assert doc["kpis"][k]["mean"] == ref["kpis"][k]["mean"], k
        assert doc["kpis"][k]["ci_low"] == ref["kpis"][k]["ci_low"], k
    assert [t["status"] for t in doc["targets"]] == [t["status"] for t in ref["targets"]]
    assert doc["intervals"]["erlang_c_service_level"] == [i["erlang_c_service_level"] for i in ref["intervals"]]
    # the difference against the saved plan is paired: the saved plan's numbers are run's without the --set
    saved = cli_json([str(workdir / "minimal.toml"), "-r", "3", "--seed", "9"])
    sl = next(d for d in doc["diff"] if d["kpi"] == "service_level")
    assert sl["saved"] == saved["kpis"]["service_level"]["mean"]
    assert sl["diff"] == pytest.approx(ref["kpis"]["service_level"]["mean"] - sl["saved"], abs=1e-12)
    # paid time: the Monday gets 18 agent-hours instead of 13 (one-hour intervals), no shrinkage in the file
    assert doc["cost"]["phone_hours"] == 18 + 13 and doc["saved_cost"]["phone_hours"] == 26
    assert doc["cost"]["fte"] == pytest.approx(doc["cost"]["paid_hours"] / (2 * 8))


def test_an_invalid_field_gets_the_message_the_cli_prints(client, workdir):
    r = client.post("/api/run", json={"plan": plan(edits={"arrivals.volume_scale": "-1", "staffing.agents.mon": ["4", "-3", "4"]})})
    assert r.status_code == 200 and r.json()["invalid"]  # a well-formed edit with invalid values
    problems = {p["field"]: p["message"] for p in r.json()["problems"]}
    cli = CliRunner().invoke(main, ["run", str(workdir / "minimal.toml"), "--set", "arrivals.volume_scale=-1",
                                    "--set", "staffing.agents.mon=[4, -3, 4]"])
    assert cli.exit_code == 2
    lines = [ln.removeprefix("error: ") for ln in cli.stderr.splitlines()]
    assert problems["arrivals.volume_scale"] in lines
    assert problems["staffing.agents.mon"] in lines
    assert "got -3" in problems["staffing.agents.mon"]
    assert "Traceback" not in r.text
    r = client.post("/api/fill", json={"plan": plan(edits={"arrivals.volume_scale": "-1"}), "method": "erlang"})
    assert r.status_code == 422 and r.json()["problems"][0]["message"] in lines


def test_malformed_requests_get_4xx_json(client):
    cases = [
        (client.post("/api/run", content=b"{not json", headers={"Content-Type": "application/json"}), 400),
        (client.post("/api/run", content=b"[1]", headers={"Content-Type": "application/json"}), 400),
        (client.post("/api/run", content=b"plan=1", headers={"Content-Type": "text/plain"}), 415),
        (client.post("/api/run", json={"plan": plan(edits={"calendar.start": "2026-01-01"})}), 400),
        (client.post("/api/run", json={"plan": plan(edits={"arrivals.volume_scale": {"x": 1}})}), 400),
        (client.post("/api/run", json={"plan": plan(scenario="../minimal.toml")}), 400),
        (client.post("/api/run", json={"plan": plan(scenario="/etc/passwd")}), 400),
        (client.post("/api/run", json={"plan": plan(scenario="nothere.toml")}), 404),
        (client.post("/api/run", json={"plan": plan(replications="lots")}), 400),
        (client.post("/api/run", json={"plan": "minimal.toml"}), 400),
        (client.get("/api/run"), 405),
        (client.get("/api/nothing"), 404),
        (client.post("/api/run", content=b"x" * 1_100_000, headers={"Content-Type": "application/json"}), 413),
    ]
    for r, status in cases:
        assert r.status_code == status, (r.status_code, r.text)
        assert "error" in r.json() and "Traceback" not in r.text


def test_a_simulation_error_does_not_kill_the_server(client, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("boom in a worker")

    monkeypatch.setattr(client.service.pool, "submit", broken)
    r = client.post("/api/run", json={"plan": plan()})
    assert r.status_code == 500 and r.json()["error"].startswith("internal error (RuntimeError)")
    assert "Traceback" not in r.text and "boom" not in r.text
    monkeypatch.undo()
    assert client.post("/api/run", json={"plan": plan()}).status_code == 200


def test_save_shows_the_diff_keeps_comments_and_asks_before_overwriting(client, workdir):
    before = (workdir / "baseline.toml").read_text()
    edits = {"staffing.agents.mon": [str(x) for x in [34, 36, 38, 38, 36, 33, 28, 27, 30, 31, 29, 27, 24, 22, 20, 19]],
             "arrivals.volume_scale": "1.05"}
    p = plan(scenario="baseline.toml", edits=edits)
    pv = client.post("/api/preview", json={"plan": p}).json()
    assert pv["exists"] and "-volume_scale = 1.0" in pv["diff"] and "+volume_scale = 1.05" in pv["diff"]
    r = client.post("/api/save", json={"plan": p, "name": "baseline.toml"})
    assert r.status_code == 409 and r.json()["diff"] == pv["diff"]
    assert (workdir / "baseline.toml").read_text() == before  # nothing written without confirmation
    r = client.post("/api/save", json={"plan": p, "name": "baseline.toml", "overwrite": True})
    assert r.status_code == 200 and r.json()["written"]
    after = (workdir / "baseline.toml").read_text()
    assert "SOURCED" in after and "ASSUMED" in after and "# what-if knob: 1.15 = 15% more first calls" in after
    data = tomllib.loads(after)
    assert data["arrivals"]["volume_scale"] == 1.05 and data["staffing"]["agents"]["mon"][0] == 34
    assert CliRunner().invoke(main, ["validate", str(workdir / "baseline.toml")]).exit_code == 0
    # reloaded, the saved plan is the edited one: no difference left
    desc = client.get("/api/scenario", params={"name": "baseline.toml"}).json()
    assert desc["fields"][0]["value"] == 1.05
    mon = next(r for r in desc["grids"][0]["rows"] if r["weekday"] == "mon")
    assert mon["values"][0] == 34
    # save as and duplicate write new files of the work folder only
    assert client.post("/api/save", json={"plan": plan(), "name": "copy.toml", "duplicate": True}).status_code == 200
    assert (workdir / "copy.toml").read_text() == (workdir / "minimal.toml").read_text()
    for bad in ("../escape.toml", "sub/x.toml", "x.txt", ".hidden.toml", "/tmp/x.toml"):
        r = client.post("/api/save", json={"plan": plan(), "name": bad, "overwrite": True})
        assert r.status_code == 400, bad
    assert not (workdir.parent / "escape.toml").exists()


def test_an_invalid_plan_is_never_saved(client, workdir):
    before = (workdir / "minimal.toml").read_text()
    r = client.post("/api/save", json={"plan": plan(edits={"arrivals.volume_scale": "0"}), "name": "minimal.toml",
                                       "overwrite": True})
    assert r.status_code == 422
    assert (workdir / "minimal.toml").read_text() == before


def test_a_single_date_edit_writes_staffing_dates(client, workdir):
    p = plan(edits={"staffing.dates.2026-03-03": ["9", "9", "9"]})
    r = client.post("/api/save", json={"plan": p, "name": "dated.toml"})
    assert r.status_code == 200
    data = tomllib.loads((workdir / "dated.toml").read_text())
    assert data["staffing"]["dates"] == {"2026-03-03": [9, 9, 9]} or str(list(data["staffing"]["dates"])[0]) == "2026-03-03"
    desc = client.get("/api/scenario", params={"name": "dated.toml"}).json()
    tue = desc["grids"][0]["rows"][1]
    assert tue["key"] == "staffing.dates.2026-03-03" and tue["values"] == [9, 9, 9]


def test_render_toml_keeps_comments_and_layout():
    text = '# top comment\n[a]\nx = 1  # why x\ny = [1, 2]\n\n[[t]]\nname = "p"\ntalk = { mean_s = 3, cv = 1.0 }\n'
    out = render_toml(text, ["a.x=2", "t[0].talk.mean_s=4", "b.dates.2026-03-03=[1, 2]"])
    assert "# top comment" in out and "# why x" in out and "x = 2" in out
    assert tomllib.loads(out)["t"][0]["talk"] == {"mean_s": 4, "cv": 1.0}


def test_staffing_help_fills_the_grid_with_its_cost(client):
    r = client.post("/api/fill", json={"plan": plan(), "method": "erlang"}).json()
    assert set(r["dates"]) == {"2026-03-02", "2026-03-03"} and all(len(v) == 3 for v in r["dates"].values())
    assert r["cost"]["paid_hours_change"] == pytest.approx(r["cost"]["paid_hours_after"] - r["cost"]["paid_hours_before"])
    from ska_sim.scenario.load import load_scenario
    from ska_sim.plan.requirement import erlang_plan

    p = erlang_plan(load_scenario(DATA / "minimal.toml"))
    assert sum(r["dates"]["2026-03-02"] + r["dates"]["2026-03-03"]) == int(p.agents.sum())
    best = client.post("/api/add_best", json={"plan": plan(replications=2), "k": 1}).json()
    assert sum(best["dates"]["2026-03-02"]) == 13 + 3  # one agent more in each of the day's 3 intervals
    assert best["cost"]["paid_hours_change"] == pytest.approx(6.0)  # 2 days x 3 one-hour intervals
    assert "service_level_change" in best["buys"]
    assert "simulated mean" in best["verdict"] and best["verdict"].startswith("+1 agents in every open interval")
    assert client.post("/api/fill", json={"plan": plan(), "method": "magic"}).status_code == 400
    assert client.post("/api/add_best", json={"plan": plan(), "k": "x"}).status_code == 400


def test_fill_shows_the_simulated_verdict_in_staffs_words(client):
    """The fill answer reads the filled plan's simulation with plan_reading, the words of
    staff's recommendation line: the same plan simulated the same way gives the same sentence."""
    from ska_sim.plan.by_simulation import with_agents
    from ska_sim.plan.requirement import erlang_plan
    from ska_sim.plan.staffing_result import plan_reading, targets_row
    from ska_sim.scenario.load import load_scenario
    from ska_sim.scenario.timeline import build_timeline

    r = client.post("/api/fill", json={"plan": plan(replications=3, seed=7), "method": "erlang"}).json()
    s = load_scenario(DATA / "minimal.toml")
    p = erlang_plan(s)
    from ska_sim.sim.runner import simulate

    alone = simulate(with_agents(s, build_timeline(s), p.agents), replications=3, seed=7)
    assert r["verdict"] == plan_reading(s, "erlang requirement", targets_row(alone))
    assert r["verdict"].startswith("erlang requirement m") and "by the simulated mean" in r["verdict"]


def test_compare_and_export(client, workdir):
    (workdir / "more.toml").write_text((workdir / "minimal.toml").read_text().replace("default = [4, 5, 4]",
                                                                                       "default = [5, 6, 5]"))
    r = client.post("/api/compare", json={"plan": plan(), "other": "more.toml"}).json()
    sl = next(x for x in r["rows"] if x["kpi"] == "service_level")
    assert sl["1:diff"] > 0 and len(r["labels"]) == 2
    r = client.post("/api/export", json={"plan": plan(edits={"arrivals.volume_scale": "1.2"})}).json()
    assert r["folder"] == "exports/minimal-edited"
    out = workdir / "exports" / "minimal-edited"
    assert {"report.html", "summary.csv", "intervals.csv", "manifest.json"} <= set(r["files"])
    assert "arrivals.volume_scale=1.2" in (out / "manifest.json").read_text()
    got = client.get("/exports/minimal-edited/report.html")
    assert got.status_code == 200 and "<html" in got.text.lower()
    assert "script-src" not in got.headers["content-security-policy"]  # the report runs no script
    assert client.get("/exports/minimal-edited/..%2F..%2Fminimal.toml").status_code == 404
    assert client.post("/api/export", json={"plan": plan(export_name="../x")}).status_code == 400


def test_agent_groups_get_a_grid_each(client):
    d = client.get("/api/scenario", params={"name": "skills.toml"}).json()
    assert [g["group"] for g in d["grids"]][:2] == ["et_general", "ru_general"]
    assert d["grids"][1]["rows"][0]["weekday_key"] == "groups[1].agents.mon"


def test_a_newer_edit_supersedes_the_running_one(client):
    out = {}

    def slow():
        out["first"] = client.post("/api/run", json={"plan": plan(scenario="baseline.toml", replications=40)}).json()

    t = threading.Thread(target=slow)
    t0 = time.perf_counter()
    t.start()
    time.sleep(0.5)
    second = client.post("/api/run", json={"plan": plan(replications=2)})
    t.join(60)
    assert out["first"] == {"superseded": True}
    assert second.status_code == 200 and second.json()["replications"] == 2
    assert time.perf_counter() - t0 < 20  # the 40 replications did not all run


def test_agent_groups_edit_runs_and_matches_run(client, workdir):
    mon = [12, 10, 11, 11, 10, 10, 8, 8, 9, 9, 8, 8, 7, 6, 6, 6]
    edits = {"groups[1].agents.mon": [str(x) for x in mon]}
    doc = client.post("/api/run", json={"plan": plan(scenario="skills.toml", edits=edits, replications=1)}).json()
    ref = cli_json([str(workdir / "skills.toml"), "-r", "1", "--seed", "9", "--set", f"groups[1].agents.mon={mon}"])
    assert doc["kpis"]["service_level"]["mean"] == ref["kpis"]["service_level"]["mean"]


def test_a_week_of_a_longer_window_and_the_progress_of_a_run(client, workdir):
    text = (workdir / "minimal.toml").read_text().replace("days = 2", "days = 14")
    (workdir / "fortnight.toml").write_text(text)
    d = client.get("/api/scenario", params={"name": "fortnight.toml"}).json()
    assert d["window"]["weeks"] == ["2026-03-02", "2026-03-09"]
    w = client.get("/api/scenario", params={"name": "fortnight.toml", "week": "2026-03-09"}).json()
    assert [r["date"] for r in w["grids"][0]["rows"]] == ["2026-03-09", "2026-03-10"]
    doc = client.post("/api/run", json={"plan": plan(scenario="fortnight.toml", week="2026-03-09",
                                                     edits={"arrivals.volume_scale": "1.1"})}).json()
    assert set(doc["intervals"]["date"]) == {"2026-03-09", "2026-03-10"}
    p = client.get("/api/progress", params={"client": "t"}).json()
    assert p["total"] == 6 and p["done"] == 6  # the edit's 3 replications and the saved plan's 3
    assert client.post("/api/run", json={"plan": plan(week="2026-13-01")}).status_code == 400


def test_serve_refuses_bad_options_in_one_line(tmp_path, workdir):
    r = CliRunner().invoke(main, ["serve", "--workdir", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "no such folder" in r.stderr
    r = CliRunner().invoke(main, ["serve", str(DATA / "minimal.toml"), "--workdir", str(workdir)])
    assert r.exit_code == 2 and "not in the work folder" in r.stderr
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        r = CliRunner().invoke(main, ["serve", "--workdir", str(workdir), "--port", str(s.getsockname()[1])])
    assert r.exit_code == 2 and "cannot listen there" in r.stderr and "Traceback" not in r.output


def test_serve_starts_on_loopback_and_prints_the_address_with_its_token(workdir):
    import subprocess
    import sys
    import urllib.request

    exe = Path(sys.executable).parent / "ska-sim"
    proc = subprocess.Popen([str(exe), "serve", str(workdir / "minimal.toml"), "--port", "0", "--workers", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("ska-sim planning page: http://127.0.0.1:") and "token=" in line, line
        url = line.split()[-1]
        token = url.split("token=")[1].split("&")[0]
        base = url.split("/?")[0]
        for _ in range(200):
            try:
                req = urllib.request.Request(base + "/api/scenarios", headers={"X-Ska-Token": token})
                body = json.loads(urllib.request.urlopen(req, timeout=5).read())
                break
            except OSError:
                time.sleep(0.1)
        assert body["default"] == "minimal.toml"
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(base + "/api/scenarios", timeout=5)
        assert e.value.code == 403
    finally:
        proc.terminate()
        proc.wait(20)


def test_filling_one_groups_grid_costs_that_groups_change_only(client):
    r = client.post("/api/fill", json={"plan": plan(scenario="skills.toml", replications=1), "method": "erlang",
                                       "group": "ru_general"}).json()
    from ska_sim.scenario.load import load_scenario
    from ska_sim.plan.people import paid_hours_of
    from ska_sim.plan.staffing_groups import erlang_group_plan
    from ska_sim.scenario.timeline import build_timeline

    s = load_scenario(ROOT / "scenarios" / "skills-languages.toml")
    tl = build_timeline(s)
    p = erlang_group_plan(s)
    full = tl.iv_group_agents.copy()
    full[:, 1] = p.agents[:, 1]
    expected = paid_hours_of(s, tl, full.sum(axis=1), tl.iv_measured())
    assert r["group"] == "ru_general"
    assert r["cost"]["paid_hours_after"] == pytest.approx(expected)
    assert client.post("/api/fill", json={"plan": plan(scenario="skills.toml"), "method": "erlang",
                                          "group": "nobody"}).status_code == 400


def test_the_warm_pool_cancels_the_replications_of_a_superseded_run():
    from ska_sim.sim.engine import Model
    from ska_sim.sim.replication import Groups
    from ska_sim.scenario.load import load_scenario
    from ska_sim.sim.executors import Cancelled, WarmPool

    s = load_scenario(ROOT / "scenarios" / "baseline.toml")
    model = Model.from_scenario(s)
    pool = WarmPool(1)
    pool.start()
    try:
        done = []
        with pytest.raises(Cancelled):
            pool.map(model, Groups.of(model), 1, list(range(8)), progress=lambda d, n: done.append(d),
                     cancelled=lambda: len(done) >= 1)
        assert done == [1]  # cancelled after the first replication: those not started never start
        # the pool is still warm and answers the next run, in replication order
        out = pool.map(model, Groups.of(model), 1, [3, 4])
        from ska_sim.sim.replication import replication_kpis

        ref = replication_kpis(model, Groups.of(model), 1, 4)
        assert (out[1]["window"]["service_level"] == ref["window"]["service_level"]).all()
    finally:
        pool.shutdown()


def test_an_export_that_fails_half_way_leaves_no_folder(client, workdir, monkeypatch):
    """The tables and the report are swapped in together: when the report cannot be written
    after the tables, the export folder is not there at all (not the tables without the report)."""
    import ska_sim.web.api as api

    def broken(path, text):
        raise OSError("disk full")

    monkeypatch.setattr(api, "write_text", broken)
    try:
        client.post("/api/export", json={"plan": plan(export_name="half")})
    except OSError:
        pass  # the test client may re-raise the server's error
    exports = workdir / "exports"
    assert not (exports / "half").exists()
    assert not exports.exists() or not [p.name for p in exports.iterdir() if "half" in p.name]  # no temporary folder
