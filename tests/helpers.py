"""Small scenarios built in code for the tests."""

from __future__ import annotations

import copy
import math
import json
import shutil
from typing import Any

import numpy as np
from click.testing import CliRunner
from scipy.stats import t as student_t
from conftest import ROOT

from ska_sim import scenario_from_dict
from ska_sim.base.files import write_csv
from ska_sim.cli import main
from ska_sim.plan.roster import solve_roster
from ska_sim.scenario.load import read_toml
from ska_sim.scenario.roster import roster_table
from ska_sim.scenario.shifts import ShiftsFile
from ska_sim.scenario.timeline import build_timeline
from ska_sim.sim.kpi import COUNT_FIELDS

ALL_DAY = {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def mmc_dict(
    agents: int = 10,
    calls_per_hour: float = 96.0,
    aht_s: float = 300.0,
    days: int = 10,
    warmup_days: int = 1,
    patience_s: float | None = None,
    replications: int = 5,
    seed: int = 7,
    **extra: Any,
) -> dict[str, Any]:
    """M/M/c (+M with ``patience_s``): open around the clock, constant rate and staffing."""
    d: dict[str, Any] = {
        "scenario": {"name": f"M/M/{agents}"},
        "calendar": {
            "start": "2026-03-02",
            "days": days,
            "warmup_days": warmup_days,
            "interval_min": 60,
            "hours": ALL_DAY,
        },
        "arrivals": {"daily_calls": calls_per_hour * 24, "profile": [1 / 24] * 24},
        "call_types": [{"name": "all", "share": 1.0, "talk": {"dist": "exponential", "mean_s": aht_s}, "resolved": 1.0}],
        "staffing": {"agents": {"default": [agents] * 24}},
        "targets": {"service_level": {"threshold_s": 20, "share": 0.8}},
        "simulation": {"replications": replications, "seed": seed},
    }
    if patience_s is not None:
        d["patience"] = {"dist": "exponential", "mean_s": patience_s}
    for key, value in extra.items():
        d[key] = value
    return d


def two_mmc_groups(days: int = 20, replications: int = 10) -> dict:
    """Two independent M/M/c groups, open around the clock: type a (2/3 of 108 calls/h,
    exponential 300 s) to ga (8 agents, 6 Erlang), type b (1/3, exponential 400 s) to gb
    (6 agents, 4 Erlang)."""
    d = mmc_dict(agents=14, calls_per_hour=108, days=days, replications=replications)
    d["call_types"] = [{"name": "a", "share": 2 / 3, "talk": {"dist": "exponential", "mean_s": 300.0}, "resolved": 1.0},
                       {"name": "b", "share": 1 / 3, "talk": {"dist": "exponential", "mean_s": 400.0}, "resolved": 1.0}]
    del d["staffing"]
    d["groups"] = [{"name": "ga", "call_types": ["a"], "agents": {"default": [8] * 24}},
                   {"name": "gb", "call_types": ["b"], "agents": {"default": [6] * 24}}]
    return d


def mmc(**kw: Any):
    return scenario_from_dict(mmc_dict(**kw))


def with_changes(d: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(d)
    out.update(changes)
    return out


def error_lines(result) -> list[str]:
    """The ``error:`` lines a command printed (CliRunner's result)."""
    return [ln for ln in result.output.splitlines() if ln.startswith("error:")]


BASELINE = ROOT / "scenarios" / "baseline.toml"


EXP = {"dist": "exponential", "mean_s": 300}


WEEK = {d: ["09:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


TOKEN = "test-token"


def seed(i: int = 0) -> np.random.SeedSequence:
    return np.random.SeedSequence(2026, spawn_key=(i,))


def assert_counts_equal(a, b, duty_exact: bool = True, fields=None) -> None:
    """Two replications' counts (``fields``: these only, without the busy and duty times), equal;
    the total wait to rounding."""
    if fields is None:
        assert a.counts.keys() == b.counts.keys()
    for k in COUNT_FIELDS if fields is None else fields:
        if k == "wait_total_s":
            np.testing.assert_allclose(a.counts[k], b.counts[k], rtol=1e-12, atol=1e-9, err_msg=k)
        else:
            np.testing.assert_array_equal(a.counts[k], b.counts[k], err_msg=k)
    np.testing.assert_array_equal(a.hist, b.hist)
    np.testing.assert_array_equal(a.type_hist, b.type_hist)
    if fields is not None:
        return
    np.testing.assert_array_equal(a.iv_busy_s, b.iv_busy_s)
    if duty_exact:
        np.testing.assert_array_equal(a.iv_on_duty_s, b.iv_on_duty_s)
        np.testing.assert_array_equal(a.day_on_duty_s, b.day_on_duty_s)
    else:
        np.testing.assert_allclose(a.iv_on_duty_s, b.iv_on_duty_s, rtol=1e-12)


def baseline_dict(days: int = 3, **changes) -> dict:
    d = read_toml(BASELINE)
    d["calendar"]["days"] = days
    d["calendar"]["warmup_days"] = 2
    d["arrivals"]["volume_scale"] = 1.25  # queues, hang-ups and cut-offs at closing
    d.update(changes)
    return d


def as_one_group(d: dict, **group) -> dict:
    """``d`` with its [staffing.agents] given as one group that has every skill."""
    d = copy.deepcopy(d)
    st = d["staffing"]
    d["groups"] = [{"name": "everyone", "agents": st.pop("agents"), "dates": st.pop("dates", {}), **group}]
    for w in d.get("written", []):  # the written work's agents are that group's
        (w.get("blend") or w.get("dedicated"))["group"] = "everyone"
    return d


def two_groups(front: int = 10, back: int = 6, rate_h: float = 96, share: float = 0.5, **kw) -> dict:
    """One call type, M/M/front at rate_h (no patience, no ACW); ``share`` transferred to 'back'."""
    d = mmc_dict(agents=front, calls_per_hour=rate_h, **kw)
    del d["staffing"]
    d["groups"] = [
        {"name": "front", "agents": {"default": [front] * 24}},
        {"name": "back", "call_types": [], "agents": {"default": [back] * 24}},
    ]
    d["call_types"][0]["transfer"] = {"share": share, "to": "back", "talk": dict(EXP), "resolved": 1.0}
    return d


def callback_dicts(**cb) -> tuple[dict, dict]:
    """The baseline as one group (no repeat calls), and the same with callbacks placed by a
    separate callback team that takes no inbound calls."""
    d = baseline_dict(days=3)
    d["calendar"]["warmup_days"] = 0  # the callbacks' busy time then all falls in the window
    d["repeat"]["probability"] = 0.0
    base = as_one_group(d)
    with_cb = copy.deepcopy(base)
    with_cb["groups"].append({"name": "callback_team", "call_types": [], "agents": {"default": [3] * 16}})
    for ct in with_cb["call_types"]:
        ct["callback_share"] = 0.4
    with_cb["callbacks"] = {"group": "callback_team", "delay": {"dist": "exponential", "mean_s": 3600},
                            "due_within_s": 7200, **cb}
    return base, with_cb


def vh_dict(offer_after_s: float = 60, accept: float = 0.5, lines: int | None = 25) -> dict:
    d = baseline_dict(days=3)
    g = as_one_group(d)
    g["callbacks"] = {"group": "everyone", "virtual_hold": {"offer_after_s": offer_after_s, "accept": accept}}
    if lines is not None:
        g["lines"] = {"count": lines}
    return g


def small_roster(people: list[dict], weeks: int = 1, absence: float = 0.0, **roster) -> dict:
    """Open Monday-Friday 09:00-17:00 in hourly intervals; a roster of ``people`` lines."""
    return {
        "scenario": {"name": "roster test"},
        "calendar": {"start": "2026-03-02", "days": 7 * weeks, "warmup_days": 1, "interval_min": 60, "hours": WEEK},
        "arrivals": {"daily_calls": 240, "day_cv": 0.0, "profile": [1 / 8] * 8},
        "call_types": [{"name": "all", "share": 1.0, "talk": {"dist": "exponential", "mean_s": 240}, "resolved": 1.0}],
        "patience": {"dist": "exponential", "mean_s": 120},
        "staffing": {"agents": {"default": [2] * 8}},
        "shrinkage": {"breaks": 0.0, "absence": 0.0},
        "simulation": {"replications": 3, "seed": 11},
        "roster": {"weeks": weeks, "people": people, "absence_probability": absence, **roster},
    }


def roster_shifts(*extra: dict) -> ShiftsFile:
    base = [
        {"name": "long", "starts": ["09:00"], "length_h": 8.5,
         "unpaid_break": {"length_min": 30, "earliest": "12:00", "latest": "12:00"}},
        {"name": "short", "starts": ["13:00"], "length_h": 4},
    ]
    return ShiftsFile.model_validate({"shifts": base + list(extra)})


def solved_roster(absence: float = 0.0, needs=None, extra_shift=None, quiet_last_hour: bool = False):
    s = scenario_from_dict(small_roster([{"name": "p", "count": 6}], absence=absence))
    tl = build_timeline(s)
    required = np.where(tl.iv_measured(), 3.0, 0.0)
    if quiet_last_hour:
        required[tl.iv_slot == 16] = 0.0
    sh = roster_shifts(extra_shift) if extra_shift else roster_shifts()
    plan = solve_roster(s, sh, tl, required, 1, needs)
    return s, tl, plan


def saved_roster(tmp_path, absence: float = 0.1) -> dict:
    """A scenario file s.toml with roster.file = roster.csv (a solved roster of 6 people)."""
    import tomlkit

    s, tl, plan = solved_roster()
    write_csv(tmp_path / "roster.csv", roster_table(plan))
    d = small_roster([{"name": "p", "count": 6}], absence=absence, shifts="shifts.toml", file="roster.csv")
    (tmp_path / "s.toml").write_text(tomlkit.dumps(d))
    (tmp_path / "shifts.toml").write_text(tomlkit.dumps(roster_shifts().model_dump(exclude_none=True)))
    return d


def run_cli(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, r.stdout if r.exit_code == 0 else r.output


def toml_of(d: dict) -> str:
    """A small TOML writer for the dicts above: tables of scalars, arrays and inline tables, with
    `hours` and `agents` as sub-tables, and `call_types` as an array of tables."""

    def value(v) -> str:
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    lines: list[str] = []
    for name, t in d.items():
        if name == "call_types":
            for ct in t:
                lines.append("[[call_types]]")
                lines += [f"{k} = {value(v)}" for k, v in ct.items()]
            continue
        subs = {k: v for k, v in t.items() if k in ("hours", "agents")}
        lines.append(f"[{name}]")
        lines += [f"{k} = {value(v)}" for k, v in t.items() if k not in subs]
        for k, v in subs.items():
            lines.append(f"[{name}.{k}]")
            lines += [f"{kk} = {value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


def office_day(agents, calls=300, aht_s=300.0, patience=None, redial=0.0, repeat=0.0, drop=False, days=3, cv=1.0):
    """A 09:00-11:00 line with 30-min intervals (four per day)."""
    d = {
        "calendar": {"start": "2026-03-02", "days": days, "warmup_days": 0, "interval_min": 30,
                     "hours": {w: ["09:00", "11:00"] for w in ("mon", "tue", "wed", "thu", "fri")}},
        "arrivals": {"daily_calls": calls, "profile": [0.2, 0.3, 0.3, 0.2]},
        "call_types": [
            {"name": "a", "share": 0.6, "talk": {"dist": "lognormal", "mean_s": aht_s, "cv": cv}, "resolved": 0.7},
            {"name": "b", "share": 0.4, "talk": {"dist": "gamma", "mean_s": aht_s * 1.5, "cv": 0.5},
             "after_call_work": {"dist": "deterministic", "mean_s": 30}, "resolved": 0.5},
        ],
        "redial": {"probability": redial},
        "repeat": {"probability": repeat, "delay": {"dist": "exponential", "mean_s": 7200}},
        "staffing": {"agents": {"default": list(agents)}},
        "simulation": {"replications": 1, "seed": 3, "queued_at_close": "drop" if drop else "serve"},
    }
    if patience:
        d["patience"] = {"dist": "lognormal", "mean_s": patience, "cv": 1.0}
    return scenario_from_dict(d)


def skills_dict() -> dict:
    d = mmc_dict(agents=6, days=2)
    d["call_types"] = [
        {"name": "general", "share": 0.7, "talk": {"dist": "exponential", "mean_s": 300}, "resolved": 0.7},
        {"name": "family", "share": 0.3, "talk": {"dist": "exponential", "mean_s": 360}, "resolved": 0.7,
         "language_shares": {"et": 0.9, "ru": 0.1}},
    ]
    d["languages"] = {"et": {"share": 0.7}, "ru": {"share": 0.3, "talk_factor": 1.05}}
    del d["staffing"]
    d["groups"] = [
        {"name": "et_general", "languages": ["et"], "agents": {"default": [4] * 24}},
        {"name": "ru_general", "languages": ["ru", "et"], "agents": {"default": [2] * 24}, "overflow_after_s": 30},
        {"name": "family", "call_types": ["family"], "agents": {"default": [1] * 24}, "handle_factor": 0.9,
         "priority": {"family": 2}},
    ]
    d["routing"] = {"order": {"family": ["family", "et_general", "ru_general"]}}
    d["lines"] = {"count": 30}
    return d


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "Chromium is missing: `make test` installs Debian's chromium package (see the Makefile)"
    return exe


def ci(values, level: float = 0.999) -> tuple[float, float]:
    """Mean of replication values and the half-width of its Student-t interval at ``level``."""
    v = np.asarray(values, dtype=float)
    half = student_t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
    return float(v.mean()), float(half)


def recorded_log(d: dict, seed: int, folder) -> Any:
    """The calls of one simulation of scenario dict ``d`` written as ``folder``/calls.csv (its path)."""
    from ska_sim.calibration.log_writer import record_calls, write_log

    _, log = record_calls(scenario_from_dict(d), seed)
    write_log(log, folder / "calls.csv")
    return folder / "calls.csv"


FORECAST_COLUMNS = "date,call_type,calls_mean,calls_low_80,calls_high_80,calls_low_95,calls_high_95,closed"


def forecast_rows(start: str, days: int, mean: float, cv: float, types: dict[str, float] | None = None,
                  closed: tuple[str, ...] = (), extra: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Lines of a forecast.csv: ``days`` dates from ``start``, each with ``mean`` first calls whose
    80% and 95% intervals are the negative-binomial count's with gamma factor ``cv``
    (maths/predictive.count_quantiles); ``types`` (name -> share) gives a row per type."""
    import datetime as dt

    from ska_sim.maths.predictive import count_quantiles

    first = dt.date.fromisoformat(start)
    names = list((extra or {}).get("columns", {}))
    lines = [FORECAST_COLUMNS + "".join(f",{c}" for c in names)]
    for i in range(days):
        date = (first + dt.timedelta(days=i)).isoformat()
        shut = date in closed
        for name, share in (types or {"": 1.0}).items():
            m = 0.0 if shut else mean * share
            lo95, lo80, hi80, hi95 = count_quantiles(m, cv)
            cells = [(extra or {}).get(date, {}).get(c, "") for c in names]
            lines.append(",".join([date, name, f"{m:.4f}", f"{lo80:.4f}", f"{hi80:.4f}", f"{lo95:.4f}", f"{hi95:.4f}",
                                   "1" if shut else "0", *cells]))
    return lines


def write_forecast(folder, lines: list[str], name: str = "forecast.csv"):
    """Write forecast lines to ``folder/name``; the path."""
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def assert_refused(path, parts, commands=("validate", "run")) -> None:
    """Each command on scenario file ``path`` exits 2 with no traceback, naming the file and
    every one of ``parts`` (the bad-input galleries)."""
    for command in commands:
        res = CliRunner().invoke(main, [command, str(path)])
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output
        assert f"{path}:" in res.output
        for part in parts:
            assert part in res.output, f"{part!r} not in {res.output!r}"


def minimal_with(block: str) -> str:
    """tests/data/minimal.toml with ``block`` (TOML) inserted before its [simulation] table."""
    return (ROOT / "tests" / "data" / "minimal.toml").read_text().replace("[simulation]", block + "\n[simulation]", 1)


def assert_block_refused(tmp_path, name: str, block: str, parts) -> None:
    """A gallery case: minimal.toml with ``block`` is refused by ``validate`` naming ``parts``."""
    path = tmp_path / f"{name}.toml"
    path.write_text(minimal_with(block))
    assert_refused(path, parts, ("validate",))


def start_page_server(workdir, default: str, token: str = "browser-token"):
    """The planning page on a free loopback port in a thread: (its address, a function that
    stops it). Waits until the server has started."""
    import socket
    import threading
    import time

    import uvicorn

    from ska_sim.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(workdir, default=default, workers=1, token=token, hosts={f"127.0.0.1:{port}"})
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(600):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "the server did not start"

    def stop() -> None:
        srv.should_exit = True
        t.join(15)

    return f"http://127.0.0.1:{port}", stop


def poll_until(page, cond, what: str, timeout_s: float = 60, step_ms: int = 50) -> None:
    """Poll ``cond()`` from the test until it holds (the page's CSP forbids eval'd predicates)."""
    import time

    t0 = time.monotonic()
    while not cond():
        assert time.monotonic() - t0 < timeout_s, f"timed out waiting for {what}"
        page.wait_for_timeout(step_ms)


def api_client(workdir, token: str):
    """A test client of the page's app on ``workdir`` (no worker pool), sending ``token``."""
    from starlette.testclient import TestClient

    from ska_sim.web.app import create_app

    app = create_app(workdir, workers=0, token=token, hosts={"testserver"}, start_pool=False)
    with TestClient(app, headers={"X-Ska-Token": token}, raise_server_exceptions=False) as c:
        yield c
