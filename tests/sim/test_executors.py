"""Executors: the same results in this process, on two local workers and on a Dask cluster."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from helpers import mmc
from ska_sim import simulate
from ska_sim.cli import main
from ska_sim.sim.executors import Executor

from conftest import ROOT


def small():
    return mmc(agents=8, calls_per_hour=80, aht_s=300, patience_s=200, days=2, replications=4,
               redial={"probability": 0.5}, repeat={"probability": 0.3, "delay": {"dist": "exponential", "mean_s": 3600}},
               call_types=[{"name": "a", "share": 0.7, "talk": {"dist": "lognormal", "mean_s": 300, "cv": 1.2}, "resolved": 0.7},
                           {"name": "b", "share": 0.3, "talk": {"dist": "gamma", "mean_s": 200, "cv": 0.5}, "resolved": 0.9}])


def test_one_and_two_local_workers_give_identical_results():
    s = small()
    one = simulate(s, seed=3, executor=Executor(workers=1))
    two = simulate(s, seed=3, executor=Executor(workers=2))
    assert one.to_json() == two.to_json()


@pytest.fixture(scope="module")
def cluster():
    import distributed  # a dev dependency: always there under make test (a missing one fails, never skips)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as c:
        yield c


def test_dask_cluster_gives_the_local_results(cluster):
    s = small()
    local = simulate(s, seed=3, executor=Executor(workers=1))
    dask = simulate(s, seed=3, executor=Executor(scheduler=cluster.scheduler_address))
    assert dask.to_json() == local.to_json()


def test_cli_runs_on_the_cluster_named_by_option_or_environment(cluster, monkeypatch):
    scenario = str(ROOT / "tests" / "data" / "minimal.toml")
    local = CliRunner().invoke(main, ["run", scenario, "--format", "json", "--workers", "1"])
    by_option = CliRunner().invoke(main, ["run", scenario, "--format", "json", "--scheduler", cluster.scheduler_address])
    monkeypatch.setenv("SKA_SIM_DASK_SCHEDULER", cluster.scheduler_address)
    by_env = CliRunner().invoke(main, ["run", scenario, "--format", "json"])
    assert local.exit_code == by_option.exit_code == by_env.exit_code == 0, by_option.output
    assert json.loads(local.output)["kpis"] == json.loads(by_option.output)["kpis"] == json.loads(by_env.output)["kpis"]


def test_runs_simulated_together_give_each_runs_own_results():
    """runner.simulate_many on two local workers: each scenario's result is the one simulate gives it alone."""
    from ska_sim.sim.runner import simulate_many

    s = small()
    busier = s.model_copy(update={"arrivals": s.arrivals.model_copy(update={"volume_scale": 1.3})})
    together = simulate_many([s, busier], replications=3, seed=3, executor=Executor(workers=2))
    alone = [simulate(x, replications=3, seed=3, executor=Executor(workers=1)) for x in (s, busier)]
    assert [r.to_json() for r in together] == [r.to_json() for r in alone]
    assert together[0].to_json() != together[1].to_json()
