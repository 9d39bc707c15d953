"""The page's written requests card: the API answers the window's written figures (share on time
with its interval, backlog at the window's end, items past deadline) equal to ``run``'s for the
same seed, the on-time target's bound and verdict; a scenario without [[written]] has none."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from ska_sim.cli import main
from ska_sim.web.app import create_app
from conftest import ROOT

TOKEN = "test-token"
WRITTEN = """
[targets]
written_on_time = 0.95

[[written]]
name = "letters"
daily_items = 30
handling = { dist = "exponential", mean_s = 600 }
deadline_days = 1
blend = { reserve = 1 }

[[written]]
name = "applications"
daily_items = 10
handling = { dist = "exponential", mean_s = 900 }
deadline_days = 2
backlog_at_start = 5
dedicated = { agents = 1, hours = ["10:00", "12:00"] }
"""


@pytest.fixture()
def client(tmp_path):
    wd = tmp_path / "plans"
    wd.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "minimal.toml", wd / "minimal.toml")
    (wd / "letters.toml").write_text((ROOT / "tests" / "data" / "minimal.toml").read_text() + WRITTEN)
    app = create_app(wd, workers=0, token=TOKEN, hosts={"testserver"}, start_pool=False)
    with TestClient(app, headers={"X-Ska-Token": TOKEN}, raise_server_exceptions=False) as c:
        c.workdir = wd
        yield c


def run_page(client, name: str) -> dict:
    r = client.post("/api/run", json={"plan": {"scenario": name, "replications": 3, "seed": 9, "client": "t"}})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_api_answers_the_written_figures_of_run(client):
    doc = run_page(client, "letters.toml")
    r = CliRunner().invoke(main, ["run", str(client.workdir / "letters.toml"), "-r", "3", "--seed", "9",
                                  "--format", "json", "--workers", "1"])
    assert r.exit_code == 0, r.output
    ref = json.loads(r.stdout)["kpis"]
    w = doc["written"]
    for name in ("on_time", "backlog", "past_deadline"):
        for k in ("mean", "ci_low", "ci_high"):
            assert w[name][k] == ref[f"written_{name}"][k], (name, k)
    assert w["backlog"]["mean"] > 0  # the backlog at the start and a day's letters are not all done
    assert w["target"] == 0.95 and w["kinds"] == ["letters", "applications"]
    v = next(v for v in doc["verdicts"] if v["kpi"] == "written_on_time")
    assert v["unit"] == "share" and v["low"] == 0.95 and v["status"] in ("PASS", "FAIL", "UNCERTAIN")
    assert v["mean"] == ref["written_on_time"]["mean"]


def test_a_scenario_without_written_work_has_no_written_card(client):
    doc = run_page(client, "minimal.toml")
    assert doc["written"] is None
    assert all(v["kpi"] != "written_on_time" for v in doc["verdicts"])
