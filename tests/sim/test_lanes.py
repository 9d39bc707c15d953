"""Lanes of the warm pool (sim/lanes.py): a worker renewed after its replications runs the same
replications to the same numbers, a dead worker is replaced, and the server's memory settings."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool

import pytest

from conftest import ROOT
from ska_sim.base.memory import SERVER_ARENAS, server_memory
from ska_sim.scenario.load import load_scenario
from ska_sim.sim.engine import Model
from ska_sim.sim.executors import WarmPool, start_warm_worker
from ska_sim.sim.lanes import Lane, worker_context
from ska_sim.sim.replication import Groups, replication_kpis


@pytest.fixture(scope="module")
def model():
    m = Model.from_scenario(load_scenario(ROOT / "scenarios" / "baseline.toml"))
    return m, Groups.of(m)


def pid_after(lane: Lane) -> int:
    ex, fut = lane.submit(os.getpid)
    pid = fut.result(timeout=120)
    lane.finished(ex)
    return pid


def test_a_lane_renews_its_worker_after_its_replications():
    ctx, _ = worker_context()
    lane = Lane(ctx, functools.partial(start_warm_worker, os.getpid()), renew_after=3)
    try:
        pids = [pid_after(lane) for _ in range(7)]
    finally:
        lane.shutdown()
    assert len(set(pids[:3])) == 1 and len(set(pids[3:6])) == 1 and pids[6] not in pids[:6]
    assert pids[0] != pids[3] and lane.renewed == 2


def test_a_dead_worker_is_replaced():
    ctx, _ = worker_context()
    lane = Lane(ctx, functools.partial(start_warm_worker, os.getpid()), renew_after=100)
    try:
        first = pid_after(lane)
        ex, fut = lane.submit(os._exit, 1)
        with pytest.raises(BrokenProcessPool):
            fut.result(timeout=120)
        lane.broken(ex)
        assert not lane.busy and pid_after(lane) != first
    finally:
        lane.shutdown()


def test_renewed_workers_give_the_numbers_of_this_process(model):
    m, g = model
    pool = WarmPool(2, renew_after=2)
    try:
        got = pool.submit(m, g, 7, list(range(9)), urgent=9).wait()
        assert pool.renewed() >= 3  # 9 replications on 2 lanes renewed every 2
    finally:
        pool.shutdown()
    for i in (0, 4, 8):
        want = replication_kpis(m, g, 7, i)
        assert got[i]["window"]["service_level"].tolist() == want["window"]["service_level"].tolist()
        assert got[i]["window"]["answered"].tolist() == want["window"]["answered"].tolist()


def test_the_server_limits_its_malloc_arenas_for_itself_and_its_workers(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)  # (server_memory sets it: undone after)
    server_memory()
    assert os.environ["MALLOC_ARENA_MAX"] == str(SERVER_ARENAS)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # a setting of the user's is kept
    server_memory()
    assert os.environ["MALLOC_ARENA_MAX"] == "4"


def test_the_servers_arrow_allocations_come_from_malloc_which_gives_back_what_it_frees():
    """pandas' string columns (every result the page builds) are Arrow's: with its default
    mimalloc pool the freed pages stay with the server; ``server_memory`` puts them on malloc."""
    code = ("import os; os.environ.pop('ARROW_DEFAULT_MEMORY_POOL', None)\n"
            "from ska_sim.base.memory import server_memory; server_memory()\n"
            "import pandas as pd, pyarrow as pa\n"
            "pd.Series(['a', 'b'], dtype='string[pyarrow]')\n"
            "print(pa.default_memory_pool().backend_name)")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "system"
    plain = subprocess.run([sys.executable, "-c", code.replace("server_memory()", "pass")], capture_output=True,
                           text=True, env=env, check=True)
    import pyarrow as pa

    if set(pa.supported_memory_backends()) - {"system"}:  # a pyarrow with its own allocator defaults to it
        assert plain.stdout.strip() != "system"  # (what it would be without: the test can fail)


def test_the_forkserver_imports_the_module_of_the_ska_sim_script_once():
    """A fresh worker runs the server's main module again (multiprocessing): for the ``ska-sim``
    script, the module its entry point names; the forkserver imports it once, so a renewal costs a
    fork, not that import."""
    import tomllib

    from ska_sim.sim.lanes import PRELOAD

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["ska-sim"].split(":")[0] in PRELOAD
