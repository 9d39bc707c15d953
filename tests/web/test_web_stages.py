"""An edit answered in stages (web/stages.py, Service.run_stages): the estimate first and marked
as one, every stage the figures of the replications it used (those of `run -r k`), a newer edit
cancelling the running one with no replication started after it, identical plans from the cache."""

from __future__ import annotations

import threading
import time

from ska_sim.web.api import Service
from ska_sim.web.stages import ESTIMATE, FIRST, stage_counts, stage_name
import test_web_api
from test_web_api import cli_json

workdir = test_web_api.workdir  # the work folder of the API's tests (its fixture)

MON = [33, 36, 38, 38, 36, 33, 28, 27, 30, 31, 29, 27, 24, 22, 20, 19]


def monday(cell: int, add: int) -> dict:
    mon = list(MON)
    mon[cell] += add
    return {"staffing.agents.mon": [str(x) for x in mon]}


def test_the_stages_of_n_replications():
    assert stage_counts(20) == [ESTIMATE, FIRST, 20]
    assert stage_counts(60) == [ESTIMATE, FIRST, 20, 50, 60]
    assert stage_counts(5) == [ESTIMATE, FIRST, 5]
    assert stage_counts(3) == [ESTIMATE, 3] and stage_counts(1) == [1]
    assert [stage_name(k, 60) for k in stage_counts(60)] == ["estimate", "simulated", "narrowing", "narrowing", "complete"]
    assert stage_name(3, 3) == "complete"  # a run of few replications is answered whole


def test_the_estimate_comes_first_marked_and_every_stage_is_runs_figures(workdir):
    svc = Service(workdir, workers=0)
    edits = {"arrivals.volume_scale": "1.2"}
    docs = list(svc.run_stages({"scenario": "minimal.toml", "replications": 5, "seed": 9, "client": "a",
                                "edits": edits}))
    assert [d["stage"] for d in docs] == ["estimate", "simulated", "complete"]
    assert [d["replications"] for d in docs] == [ESTIMATE, FIRST, 5]
    assert all(d["replications_target"] == 5 for d in docs)
    for d in docs:  # the interval shown is the one of the replications used: `run -r k` prints the same
        ref = cli_json([str(workdir / "minimal.toml"), "-r", str(d["replications"]), "--seed", "9",
                        "--set", "arrivals.volume_scale=1.2"])
        for k in ("service_level", "answer_rate", "asa_s"):
            assert {c: d["kpis"][k][c] for c in ("mean", "ci_low", "ci_high")} == \
                {c: ref["kpis"][k][c] for c in ("mean", "ci_low", "ci_high")}, (d["stage"], k)
    est, last = docs[0]["kpis"]["service_level"], docs[-1]["kpis"]["service_level"]
    assert est["ci_high"] - est["ci_low"] > last["ci_high"] - last["ci_low"]  # the estimate's interval is wider
    # the last stage is what /api/run answers
    whole = Service(workdir, workers=0).run({"scenario": "minimal.toml", "replications": 5, "seed": 9,
                                             "client": "b", "edits": edits})
    assert whole["kpis"] == docs[-1]["kpis"] and whole["diff"] == docs[-1]["diff"]


def test_a_newer_edit_cancels_the_running_one_with_nothing_started_after(workdir):
    svc = Service(workdir, workers=1)
    svc.pool.start()
    batches = []
    submit = svc.pool.submit

    def recording(*a, **k):
        batches.append(submit(*a, **k))
        return batches[-1]

    svc.pool.submit = recording
    try:
        plan = {"scenario": "baseline.toml", "replications": 20, "seed": 3, "client": "page"}
        svc.run(plan)  # the saved plan, simulated once and kept
        first = svc.run_stages({**plan, "edits": monday(3, 2)})
        assert next(first)["stage"] in ("estimate", "simulated")  # (no estimate while other edits wait)
        a = batches[-1]
        started = a.started  # the estimate's replications and the one in flight
        second = list(svc.run_stages({**plan, "edits": monday(5, 4)}))  # the page's next keystroke
        assert next(first) == {"superseded": True}
        # no replication of the first edit started after the second came (one may have been on its way)
        assert a.started <= started + 1 and a.started < 20
        assert a.started - a.done() <= svc.pool.workers
        assert second[-1]["stage"] == "complete" and second[-1]["replications"] == 20
        ref = cli_json([str(workdir / "baseline.toml"), "-r", "20", "--seed", "3", "--set",
                        f"staffing.agents.mon={[x + (4 if i == 5 else 0) for i, x in enumerate(MON)]}"])
        assert second[-1]["kpis"]["service_level"]["mean"] == ref["kpis"]["service_level"]["mean"]
    finally:
        svc.pool.shutdown()


def test_an_identical_plan_comes_from_the_cache_and_more_accuracy_runs_only_whats_missing(workdir):
    svc = Service(workdir, workers=1)
    svc.pool.start()
    try:
        plan = {"scenario": "minimal.toml", "replications": 5, "seed": 4, "client": "c",
                "edits": {"staffing.scale": "1.1"}}
        svc.run({**plan, "edits": {}})
        sent = svc.pool.sent
        one = svc.run(plan)
        assert svc.pool.sent - sent == 5
        again = list(svc.run_stages(plan))
        assert svc.pool.sent - sent == 5  # nothing simulated again
        assert again[-1]["kpis"] == one["kpis"] and again[-1]["stage"] == "complete"
        svc.run({**plan, "edits": {}, "replications": 12})
        sent = svc.pool.sent
        more = svc.run({**plan, "replications": 12})
        assert svc.pool.sent - sent == 7  # replications 5..11 only
        ref = Service(workdir, workers=0).run({**plan, "replications": 12})
        assert more["kpis"] == ref["kpis"]
    finally:
        svc.pool.shutdown()


def test_a_stream_stops_when_the_page_goes_away(workdir):
    svc = Service(workdir, workers=0)
    stop = threading.Event()
    it = svc.run_stages({"scenario": "minimal.toml", "replications": 5, "seed": 9, "client": "d",
                         "edits": {"staffing.scale": "1.3"}}, stop=stop)
    assert next(it)["stage"] == "estimate"
    stop.set()
    assert next(it) == {"superseded": True}


def test_no_estimate_is_built_while_other_edits_wait_for_their_first_figures(workdir):
    from ska_sim.sim.engine import Model
    from ska_sim.sim.replication import Groups

    svc = Service(workdir, workers=1)
    svc.pool.start()
    try:
        plan = {"scenario": "baseline.toml", "replications": 20, "seed": 3, "client": "page"}
        svc.run(plan)
        it = svc.run_stages({**plan, "edits": monday(2, 3)})
        sent, out = svc.pool.sent, {}
        t = threading.Thread(target=lambda: out.update(first=next(it)))
        t.start()
        deadline = time.monotonic() + 60
        while svc.pool.sent == sent and time.monotonic() < deadline:  # this edit's first replication is on the worker
            time.sleep(0.001)
        other = svc.load("baseline.toml", ["staffing.scale=1.2"])
        m = Model.from_scenario(other)
        busy = svc.pool.submit(m, Groups.of(m), 3, list(range(6)), urgent=6)  # another page's edit
        t.join(120)
        assert out["first"]["stage"] == "simulated" and out["first"]["replications"] == FIRST
        busy.wait()
        assert next(it)["stage"] == "complete"
    finally:
        svc.pool.shutdown()


def test_a_scenario_file_changed_on_disk_is_read_again(workdir):
    """The service keeps each file's parsed TOML by its mtime and size: a file saved anew (by the
    page or an editor) is read again, and an override on one load does not reach the next."""
    svc = Service(workdir, workers=0)
    path = workdir / "minimal.toml"
    before = svc.load("minimal.toml", [])
    text = path.read_text()
    assert "replications = 2\n" in text
    path.write_text(text.replace("replications = 2\n", "replications = 12\n"))
    assert before.simulation.replications == 2 and svc.load("minimal.toml", []).simulation.replications == 12
    assert svc.load("minimal.toml", ["arrivals.volume_scale=2"]).arrivals.volume_scale == 2
    assert svc.load("minimal.toml", []).arrivals.volume_scale == before.arrivals.volume_scale


def test_the_saved_plans_model_is_built_once(workdir):
    from ska_sim.web.stages import Models

    svc = Service(workdir, workers=0)
    models = Models(limit=2)
    s = svc.load("minimal.toml", [])
    m1, _ = models.of(s, s.digest())
    assert models.of(s, s.digest())[0] is m1  # the same plan: its model kept
    for scale in ("1.5", "1.7"):
        other = svc.load("minimal.toml", [f"arrivals.volume_scale={scale}"])
        assert models.of(other, other.digest())[0] is not m1
    assert models.of(s, s.digest())[0] is not m1  # dropped (at most 2 kept), built again


def test_at_most_builders_stages_are_built_at_once(workdir, monkeypatch):
    """Six pages editing at once: their results are built BUILDERS at a time (the GIL runs one
    anyway; more at once only raise the memory's peak), and every page gets its answer."""
    import ska_sim.web.api as api

    real, now, most, lock = api.SimulationResult.build, [0], [0], threading.Lock()

    def counted(*args, **kwargs):
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        try:
            time.sleep(0.05)  # long enough for the others to arrive
            return real(*args, **kwargs)
        finally:
            with lock:
                now[0] -= 1

    monkeypatch.setattr(api.SimulationResult, "build", counted)
    svc = Service(workdir, workers=0)
    got: dict = {}

    def page(i: int) -> None:
        plan = {"scenario": "minimal.toml", "replications": 2, "client": f"p{i}",
                "edits": {"arrivals.volume_scale": str(1 + i / 10)}}
        got[i] = [d["stage"] for d in svc.run_stages(plan)]

    threads = [threading.Thread(target=page, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert most[0] == api.BUILDERS
    assert sorted(got) == list(range(6)) and all(stages[-1] == "complete" for stages in got.values())


def test_a_stage_is_built_for_the_page_and_an_export_after_it_simulates_nothing_again(workdir, monkeypatch):
    """Each stage's result has the tables the page draws only (SimulationResult.build's ``page``);
    an export of the plan after its complete run builds the whole result from the replications
    the stages kept, with `run`'s numbers, without simulating them again."""
    import ska_sim.web.api as api

    built = []
    real = api.SimulationResult.build

    def build(cls, *args, **kw):
        result = real(*args, **kw)
        built.append((kw.get("page", False), result))
        return result

    monkeypatch.setattr(api.SimulationResult, "build", classmethod(build))
    svc = Service(workdir, workers=1)
    svc.pool.start()
    try:
        plan = {"scenario": "minimal.toml", "replications": 5, "seed": 6, "client": "e",
                "edits": {"staffing.scale": "1.2"}}
        docs = list(svc.run_stages(plan))
        assert docs[-1]["stage"] == "complete"
        assert len(built) >= len(docs) and all(page for page, _ in built)
        assert all(r.times_of_day is None and r.per_replication_calls is None for _, r in built)
        sent = svc.pool.sent
        out = svc.export({**plan, "export_name": "after-stages"})
        assert svc.pool.sent == sent  # nothing simulated again
        assert not built[-1][0] and built[-1][1].times_of_day is not None  # the whole result
        exported = (workdir / out["folder"] / "times_of_day.csv").read_text()
        ref = Service(workdir, workers=0)
        ref.export({**plan, "client": "f", "export_name": "simulated"})  # simulated from scratch
        assert exported == (workdir / "exports" / "simulated" / "times_of_day.csv").read_text()
        assert (workdir / out["folder"] / "summary.csv").read_text() == \
            (workdir / "exports" / "simulated" / "summary.csv").read_text()
    finally:
        svc.pool.shutdown()


def test_the_pages_result_is_the_whole_results_page():
    """SimulationResult.build(page=True) on the skills scenario (groups, languages, written work):
    the tables it builds equal the whole result's, the ones the page does not draw are left out,
    and the page's document is the same from either."""
    from pathlib import Path

    import pandas as pd

    from ska_sim.scenario.load import load_scenario
    from ska_sim.sim.engine import Model
    from ska_sim.sim.replication import Groups, replication_kpis
    from ska_sim.sim.results import SimulationResult
    from ska_sim.web.documents import Simulated, page_result

    s = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "skills-languages.toml")
    model = Model.from_scenario(s)
    groups = Groups.of(model)
    results = [replication_kpis(model, groups, 3, i) for i in range(3)]
    whole = SimulationResult.build(s, model, groups, results, 3)
    page = SimulationResult.build(s, model, groups, results, 3, page=True)
    left_out = ("times_of_day", "languages", "language_per_replication", "per_replication_calls", "written_days")
    assert all(getattr(whole, f) is not None and getattr(page, f) is None for f in left_out)
    for f in ("summary", "targets", "intervals", "days", "call_types", "per_replication", "groups",
              "group_intervals", "written"):
        pd.testing.assert_frame_equal(getattr(page, f), getattr(whole, f), check_exact=True, obj=f)
    assert page.erlang.keys() == whole.erlang.keys()
    saved = Simulated(s, whole, whole.timeline)
    assert page_result(Simulated(s, page, page.timeline), saved) == page_result(Simulated(s, whole, whole.timeline), saved)


def test_a_newer_edit_ends_the_waiting_one_at_once(workdir, monkeypatch):
    """A newer edit from the same page (Service.run_stages -> Service.wake) ends the older edit
    waiting for its replications at once, not at its next poll (60 s here) nor when its
    replications come up behind another run's twelve."""
    import ska_sim.sim.executors as executors
    from ska_sim.scenario.load import load_scenario
    from ska_sim.sim.engine import Model
    from ska_sim.sim.replication import Groups

    monkeypatch.setattr(executors, "CANCEL_POLL_S", 60.0)
    svc = Service(workdir, workers=1)
    svc.pool.start()
    try:
        plan = {"scenario": "baseline.toml", "replications": 20, "seed": 3, "client": "page"}
        svc.run(plan)  # the saved plan, simulated once and kept
        m = Model.from_scenario(load_scenario(workdir / "baseline.toml"))
        gate = svc.pool.submit(m, Groups.of(m), 11, list(range(12)), urgent=12)  # another page's edit, in front
        older = svc.run_stages({**plan, "edits": monday(3, 2)})
        got = []
        t = threading.Thread(target=lambda: got.extend([next(older), gate.done()]))
        t.start()
        gate.wait(2)
        newer = svc.run_stages({**plan, "edits": monday(5, 4)})  # the page's next keystroke
        t.join(timeout=30)
        assert not t.is_alive() and got[0] == {"superseded": True}
        assert got[1] < 9, got  # ended at once, not when its turn came after the other run's 12
        newer.close()
        gate.cancel()
    finally:
        svc.pool.shutdown()


def test_a_page_gone_mid_stream_stops_its_replications(workdir):
    """The page goes away (its connection closed) while its edit waits for the next stage: the
    edit's run is cancelled then, its queued replications never start (before, the server kept
    simulating until that stage was complete)."""
    import http.client
    import json
    import socket

    import uvicorn

    from ska_sim.web.app import create_app

    app = create_app(workdir, workers=2, token="tok", hosts={"127.0.0.1"})
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        pool = app.state.service.pool
        body = json.dumps({"plan": {"scenario": "skills.toml", "replications": 100, "seed": 5, "client": "gone"}})
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        c.request("POST", "/api/stages", body, {"x-ska-token": "tok", "content-type": "application/json",
                                                "host": "127.0.0.1"})
        r = c.getresponse()
        assert r.status == 200
        stage = None
        while stage != "simulated":  # the first figures; the stream now waits for 20 replications
            stage = json.loads(r.readline()).get("stage")
        c.sock.shutdown(socket.SHUT_RDWR)
        c.close()
        time.sleep(0.5)  # (the replications on the workers then finish; no other starts)
        sent = pool.sent
        time.sleep(1.5)
        assert pool.sent == sent  # nothing sent for the gone page (16 more were on their way before)
        assert pool.waiting(pool.LATER) == 0
    finally:
        server.should_exit = True
        th.join(30)
