"""`marginal` on a rostered scenario prices the roster as `run` simulates it (its people and
their absence draws), and adds k agents on top: its "now" row is `run`'s, to the last digit
(not the roster's everyone-present agents, which would drop absence and make "now" optimistic
in a resource request)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ska_sim.sim.engine import Model
from ska_sim.scenario.roster_agents import with_extra
from ska_sim.scenario.load import load_scenario

from helpers import run_cli, saved_roster


def test_marginal_now_is_run_on_a_roster_with_absence(tmp_path):
    saved_roster(tmp_path, absence=0.2)
    f = tmp_path / "s.toml"
    code, out = run_cli("run", f, "-r", "3", "--workers", "1", "--seed", "4", "--format", "json")
    assert code == 0, out
    ran = json.loads(out)["kpis"]["service_level"]["mean"]
    code, out = run_cli("marginal", f, "-r", "3", "--workers", "1", "--seed", "4", "--agents", "0..2", "--format", "json")
    assert code == 0, out
    rows = {r["step"]: r for r in json.loads(out)["rows"]}
    assert rows[0]["service_level"] == pytest.approx(ran, abs=1e-12)
    assert rows[2]["service_level"] >= rows[1]["service_level"] >= rows[0]["service_level"]


def test_extra_agents_are_added_after_absence_and_once():
    """The engine's agents with an extra array are the roster's (this replication's absences)
    plus the extra, on rostered and unrostered intervals alike."""
    import tempfile
    from pathlib import Path

    d = Path(tempfile.mkdtemp())
    saved_roster(d, absence=0.2)
    s = load_scenario(d / "s.toml")
    m0 = Model.from_scenario(s)
    extra = np.arange(len(m0.timeline.iv_day)) % 3
    m1 = Model.from_scenario(with_extra(s, extra))
    u = np.random.default_rng(7).random(len(m0.roster.p_absent))  # the same absence draws for both
    np.testing.assert_array_equal(m1.roster.agents(u), m0.roster.agents(u) + extra)
    np.testing.assert_array_equal(m1.timeline.iv_agents, m0.timeline.iv_agents + extra)
    assert with_extra(s, extra).digest() != s.digest()


def test_the_pages_add_best_on_a_roster_adds_k_agents_to_the_rosters_grid(tmp_path):
    from starlette.testclient import TestClient

    from ska_sim.web.app import create_app
    from helpers import TOKEN

    saved_roster(tmp_path, absence=0.2)
    app = create_app(tmp_path, workers=0, token=TOKEN, hosts={"testserver"}, start_pool=False)
    plan = {"scenario": "s.toml", "week": "2026-03-02", "replications": 2, "seed": 4, "client": "t"}
    with TestClient(app, headers={"X-Ska-Token": TOKEN}, raise_server_exceptions=False) as page:
        desc = page.get("/api/scenario", params={"name": "s.toml", "week": "2026-03-02"}).json()
        grid = {r["key"].rsplit(".", 1)[1]: r["values"] for r in desc["grids"][0]["rows"]}
        best = page.post("/api/add_best", json={"plan": plan, "k": 1})
        assert best.status_code == 200, best.text
        doc = best.json()
    rows = doc["dates"]
    assert set(rows) == {"2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"}
    # the roster's grid plus the step's agents (where Erlang says they buy most: never fewer, some more each day)
    for date, values in rows.items():
        diff = [b - a for a, b in zip(grid[date], values)]
        assert min(diff) >= 0 and sum(diff) >= len(diff), (date, diff)
    assert doc["cost"]["paid_hours_change"] > 0
