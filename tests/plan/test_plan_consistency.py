"""The same plan over the same window gives the same KPIs, paid hours, FTE, heads and euros in
every command: `run`, `staff`'s "today" row, `marginal`'s 0 row, `report` (its people and its
key figures' KPIs), `compare` (a scenario against itself: the same figures, no difference), the
page's API, `workforce` (the roster's people employed) and `plan-hiring`'s months, for every scenario in scenarios/ and the year-2026
roster on the weeks of 23 February and 7 December 2026. The figures come from one place
(plan/plan.py); the hand-checked values of the roster weeks are below."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from ska_sim.cli import main
from ska_sim.plan.plan import plan_people
from ska_sim.scenario.load import load_scenario
from ska_sim.web.app import create_app

from helpers import TOKEN, run_cli

ROOT = Path(__file__).resolve().parents[2]
SCEN = ROOT / "scenarios"
REPS, SEED = ("-r", "2"), ("--seed", "7")
FIGURES = ("paid_hours", "fte", "heads", "eur_per_month", "eur_per_year")

CASES = [("baseline.toml", None), ("skills-languages.toml", None),
         ("year-2026.toml", "2026-02-23"), ("year-2026.toml", "2026-12-07")]


def test_every_scenario_file_is_a_case():
    files = {p.name for p in SCEN.glob("*.toml") if "[scenario]" in p.read_text()}
    assert files == {name for name, _ in CASES}


def ref_window_months(week: str) -> list[str]:
    """The months (YYYY-MM) a 7-day window from ``week`` touches."""
    first = dt.date.fromisoformat(week)
    return sorted({(first + dt.timedelta(days=i)).strftime("%Y-%m") for i in range(7)})


def _sets(week: str | None) -> list[str]:
    return [] if week is None else ["--set", f"calendar.start={week}", "--set", "calendar.days=7"]


def _json(*args) -> dict:
    code, out = run_cli(*args, "--workers", "1", "--format", "json")
    assert code == 0, out
    return json.loads(out)


def _same(a: dict, b: dict, keys=FIGURES, where: str = "") -> None:
    for k in keys:
        x, y = (None if v != v else v for v in (a.get(k), b.get(k)))  # NaN (no [costs]) as JSON's null
        if x is None or y is None:  # no [costs]: no euros anywhere
            assert x is None and y is None, (where, k, x, y)
        else:
            assert x == pytest.approx(y, rel=1e-12, abs=1e-9), (where, k, x, y)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    for p in SCEN.iterdir():
        if p.is_file():
            shutil.copy(p, work / p.name)
    app = create_app(work, workers=0, token=TOKEN, hosts={"testserver"}, start_pool=False)
    with TestClient(app, headers={"X-Ska-Token": TOKEN}, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("name,week", CASES)
def test_one_plan_gives_one_set_of_numbers_in_every_command(name, week, page, tmp_path):
    f = SCEN / name
    sets = _sets(week)
    ref = plan_people(load_scenario(f, [s for s in sets if s != "--set"]))
    run = _json("run", f, *sets, *REPS, *SEED)
    _same(run["people"], ref, where="run")
    kpis = {k: run["kpis"][k]["mean"] for k in ("service_level", "answer_rate")}

    staff = _json("staff", f, *sets, *REPS, *SEED)
    today = next(r for r in staff["plans"] if r["plan"] == "today")
    _same(today, ref, where="staff today")
    for k, v in kpis.items():
        assert today[k] == v, ("staff", k)

    if not load_scenario(f).groups:  # marginal and report's marginal table are for a single pool
        mg = _json("marginal", f, *sets, "--agents=-1..1", *REPS, *SEED)
        zero = next(r for r in mg["rows"] if r["step"] == 0)
        _same(zero, ref, where="marginal 0")
        for k, v in kpis.items():
            assert zero[k] == v, ("marginal", k)

    out = tmp_path / "r.html"
    code, text = run_cli("report", f, *sets, "-o", out, "--agents=0..0", *REPS, *SEED, "--workers", "1")
    assert code == 0, text
    doc = html.unescape(out.read_text())
    assert f"{ref['paid_hours']:,.0f} h paid" in doc and f"{ref['fte']:.2f} FTE" in doc
    if ref["eur_per_month"] == ref["eur_per_month"]:
        assert f"{ref['eur_per_month']:,.0f} EUR a month" in doc
    for k, v in kpis.items():  # the key figures' table: each mean with its raw value (10 digits)
        shown = re.search(rf'data-value="([^"]*)" data-kpi="{k}" data-stat="mean"', doc)
        assert shown and float(shown.group(1)) == pytest.approx(v, rel=1e-9), ("report", k)

    cmp = _json("compare", *REPS, *SEED, *sets, f, f)  # a scenario against itself
    rows = {r["kpi"]: r for r in cmp["kpis"]}
    for k, v in kpis.items():
        assert rows[k]["0:mean"] == rows[k]["1:mean"] == v, ("compare", k)
    assert all(r["1:diff"] in (0, None) and not r["1:significant"] for r in cmp["kpis"])
    for label, people in cmp["people"].items():
        _same(people, ref, where=f"compare {label}")

    if load_scenario(f).workforce is not None:  # plan-hiring's months: the workforce's rows
        last = ref_window_months(week)[-1]
        r = CliRunner().invoke(main, ["plan-hiring", str(f), *sets, "--month", last, "--start-by", week,
                                      "--max-hires", "1", *REPS, *SEED, "--workers", "1", "--format", "json"])
        assert r.exit_code in (0, 1), r.output  # 1: one hire is not enough (the months are still shown)
        hire = json.loads(r.stdout)
        assert [m["roster_employed"] for m in hire["months"]] == [ref["heads"]] * len(hire["months"])
        assert sum(m["roster_paid_hours"] for m in hire["months"]) == pytest.approx(ref["paid_hours"])

    plan = {"scenario": name, "week": week, "replications": 2, "seed": 7, "client": "t"}
    r = page.post("/api/run", json={"plan": plan})
    assert r.status_code == 200, r.text
    doc = r.json()
    _same(doc["cost"], ref, where="page")
    for k, v in kpis.items():
        assert doc["kpis"][k]["mean"] == v, ("page", k)

    if load_scenario(f).workforce is not None:
        code, text = run_cli("workforce", f, *sets, "--format", "csv")
        assert code == 0, text
        months = pd.read_csv(io.StringIO(text))
        # the window's months (23 Feb - 1 Mar: February's days and March's Sunday): the same people
        # employed in each, their contracts adding up to the window's paid hours
        assert (months["roster_employed"] == ref["heads"]).all()
        assert months["roster_paid_hours"].sum() == pytest.approx(ref["paid_hours"])
        assert (months["heads_start"] == ref["heads"]).all()  # the roster's people: its hires are not in the window
        # a head's FTE is the roster's mean contract: the plan's FTE is the roster's contract FTE
        # (a month of the window without a working day has no FTE)
        worked = months[months["roster_fte"].notna()]
        assert len(worked) and worked["plan_fte"].tolist() == pytest.approx(worked["roster_fte"].tolist())
        # on the phones: the people employed less those rostered on no day of the month
        on = worked["roster_employed"] - worked["roster_not_rostered"]
        assert worked["heads_on_phones"].tolist() == pytest.approx(on.tolist())
        hired = pd.DataFrame(hire["months"])  # with its hires (from the window's first day): the roster's the same
        for col in ("month", "plan_fte", "roster_employed", "roster_paid_hours", "roster_fte"):
            pd.testing.assert_series_equal(hired[col], months[col], check_dtype=False, obj=f"plan-hiring {col}")
        assert hired["heads_start"][0] == months["heads_start"][0] == ref["heads"]


def test_the_roster_weeks_by_hand():
    """year-2026's roster: 48 full-timers (40 h) and 8 part-timers (20 h, ASSUMED), all employed
    all year; the part-timers rostered on no day; 4 full-timers on leave each week."""
    dec = plan_people(load_scenario(SCEN / "year-2026.toml", ["calendar.start=2026-12-07", "calendar.days=7"]))
    assert dec["paid_hours"] == 48 * 40 + 8 * 20 == 2080  # at least 1,920 h plus the part-timers' contracts
    assert dec["fte"] == 52 and dec["heads"] == 56
    assert dec["roster_worked_hours"] == 44 * 5 * 8  # the file's paid_hours column
    assert dec["leave_hours"] == 4 * 40 and dec["people_on_leave"] == 4
    assert dec["contracted_hours_not_rostered"] == 8 * 20 and dec["people_not_rostered"] == 8
    assert dec["eur_per_month"] == pytest.approx(52 * 2004 / 12 * 13)
    # 23 February: 24 Feb is a holiday, 23 Feb shortened by 3 h: the norm is 4 x 8 - 3 = 29 h
    feb = plan_people(load_scenario(SCEN / "year-2026.toml", ["calendar.start=2026-02-23", "calendar.days=7"]))
    assert feb["working_time_norm_hours"] == 29
    assert feb["paid_hours"] == 48 * 29 + 8 * 29 / 2 == 1508
    assert feb["fte"] == 52 and feb["heads"] == 56
    # the file rosters 8 h on the shortened day: 44 people x 3 h beyond their contracts
    assert feb["rostered_hours_beyond_contract"] == 44 * 3


def test_the_reports_roster_section_shows_the_measured_weeks_and_their_shift_hours():
    """year-2026, week of 7 December: the roster section shows that week (week 50), not the
    roster's first, and the shifts' hours in the window: 44 people x 5 days x 8 h = 1,760 h (the
    roster file's paid_hours column), named as shift hours beside the contracts."""
    from ska_sim.report.roster import roster_html

    s = load_scenario(SCEN / "year-2026.toml", ["calendar.start=2026-12-07", "calendar.days=7"])
    html = roster_html(s)
    assert "<h3>week 50 (2026-12-07 to 2026-12-13)</h3>" in html and "week 1 (" not in html
    assert "1,760.0 h of them in the measured window (2026-12-07 to 2026-12-13)" in html
    assert "people are paid their contracts" in html
