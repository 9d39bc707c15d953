"""The page on scenarios with patience per call type and talk by period: it says what its
talk and handle-time figures mean, and refuses (4xx, the key named) an edit of a [patience]
that applies to no call."""

from __future__ import annotations

import shutil

import pytest
from starlette.testclient import TestClient

from ska_sim.web.app import create_app
from conftest import ROOT

TOKEN = "t" * 32
JSON = {"Content-Type": "application/json"}
TYPE = "resolved = 0.7\n"  # the end of call_types[0] in minimal.toml
TALK = ('talk_factor_by_period = [{ hours = ["09:00", "10:30"], factor = 1.2 }, '
        '{ hours = ["10:30", "12:00"], factor = 0.8, days = ["mon", "tue"] }]\n')
OWN = 'patience = { dist = "exponential", mean_s = 90 }\n'


@pytest.fixture()
def client(tmp_path):
    minimal = (ROOT / "tests" / "data" / "minimal.toml").read_text()
    (tmp_path / "talk.toml").write_text(minimal.replace(TYPE, TYPE + TALK, 1))
    (tmp_path / "own.toml").write_text(minimal.replace(TYPE, TYPE + OWN, 1))
    shutil.copy(ROOT / "tests" / "data" / "minimal.toml", tmp_path / "minimal.toml")
    app = create_app(tmp_path, workers=0, token=TOKEN, hosts={"testserver"}, start_pool=False)
    with TestClient(app, headers={"X-Ska-Token": TOKEN}, raise_server_exceptions=False) as c:
        yield c


def test_talk_by_period_is_said_on_the_page(client):
    doc = client.get("/api/scenario", params={"name": "talk.toml"}).json()
    note = doc["call_types"][0]["note"]
    assert "09:00-10:30 x1.2" in note and "10:30-12:00 x0.8 (mon tue)" in note and "at factor 1" in note
    plain = client.get("/api/scenario", params={"name": "minimal.toml"}).json()
    assert "note" not in plain["call_types"][0]


def test_an_edit_of_the_talk_mean_with_periods_runs(client):
    plan = {"scenario": "talk.toml", "client": "t", "replications": 2, "seed": 9,
            "edits": {"call_types[0].talk.mean_s": "250"}}
    r = client.post("/api/run", json={"plan": plan})
    assert r.status_code == 200 and not r.json().get("problems"), r.text


def test_patience_that_applies_to_no_call_is_neither_shown_nor_edited(client):
    doc = client.get("/api/scenario", params={"name": "own.toml"}).json()
    assert "patience.mean_s" not in [f["key"] for f in doc["fields"]]
    plan = {"scenario": "own.toml", "client": "t", "replications": 2, "seed": 9, "edits": {"patience.mean_s": "100"}}
    for endpoint, extra in (("run", {}), ("fill", {"method": "erlang"}), ("save", {"name": "copy.toml"})):
        r = client.post(f"/api/{endpoint}", json={"plan": plan, **extra})
        assert r.status_code == 409, (endpoint, r.status_code, r.text)
        assert r.json()["error"].startswith("patience.mean_s: every call type has its own patience"), r.text
    ok = client.post("/api/run", json={"plan": {**plan, "edits": {}}})
    assert ok.status_code == 200, ok.text
