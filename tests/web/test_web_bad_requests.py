"""The gallery of malformed requests to the planning page: every endpoint that takes input
answers 4xx (never 500) with a JSON error naming the field, for numbers that are not finite or
too long, dates whose week or window would overflow, JSON nested too deep and values of the
wrong type; the server then still answers a good request. And what the page writes: a saved
scenario keeps its permission bits, exports/ is never followed out of the work folder."""

from __future__ import annotations

import os
import shutil
import stat

import pytest
from starlette.testclient import TestClient

from ska_sim.web.app import create_app
from conftest import ROOT

TOKEN = "test-token"
JSON = {"Content-Type": "application/json"}
PLAN = '{"scenario": "minimal.toml", "client": "t", "replications": 2, "seed": 9%s}'
# the POST endpoints and the fields each takes beside the plan (a good request's)
POSTS = {
    "run": "",
    "fill": ', "method": "erlang"',
    "add_best": ', "k": 1',
    "preview": ', "name": "minimal.toml"',
    "save": ', "name": "copy.toml"',
    "compare": ', "other": "minimal.toml"',
    "export": "",
}
# endpoints that simulate: they read replications and seed
SIMULATING = ["run", "fill", "add_best", "compare", "export"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    wd = tmp_path_factory.mktemp("plans")
    shutil.copy(ROOT / "tests" / "data" / "minimal.toml", wd / "minimal.toml")
    return wd


@pytest.fixture(scope="module")
def client(workdir):
    """One server for the whole gallery: each case also shows it survived the ones before."""
    app = create_app(workdir, workers=0, token=TOKEN, hosts={"testserver"}, start_pool=False)
    with TestClient(app, headers={"X-Ska-Token": TOKEN}, raise_server_exceptions=False) as c:
        yield c


def body(endpoint: str, plan_extra: str = "", extra: str | None = None) -> bytes:
    """The raw JSON of a request to ``endpoint``: a good one with ``plan_extra`` added to the plan
    (a later key replaces an earlier one) and ``extra`` to the body (replacing the endpoint's own)."""
    return ('{"plan": ' + PLAN % plan_extra + (POSTS[endpoint] if extra is None else extra) + "}").encode()


def still_serves(client) -> None:
    """A good request after the bad one: the page's scenario and a plan's TOML, answered."""
    assert client.get("/api/scenario", params={"name": "minimal.toml"}).status_code == 200
    r = client.post("/api/preview", content=body("preview"), headers=JSON)
    assert r.status_code == 200 and r.json()["name"] == "minimal.toml", r.text


def refused(r, field: str, status: int = 400) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    doc = r.json()
    assert field in doc["error"], doc
    assert "Traceback" not in r.text and "internal error" not in r.text


NOT_FINITE = ["1e400", "-1e400", "Infinity", "-Infinity", "NaN", "1" + "0" * 40, "-" + "9" * 5000]


@pytest.mark.parametrize("number", NOT_FINITE)
@pytest.mark.parametrize("where", ["replications", "seed", "edits"])
@pytest.mark.parametrize("endpoint", sorted(POSTS))
def test_a_number_without_a_finite_value_is_refused_naming_the_field(client, workdir, endpoint, where, number):
    """Parsed as JSON these are inf, nan or a 5000-digit integer (int() of inf: OverflowError): each
    is refused before any handler sees it, in any field of any endpoint."""
    if where == "edits":
        plan_extra, field = ', "edits": {"arrivals.volume_scale": %s}' % number, "plan.edits.arrivals.volume_scale"
    else:
        plan_extra, field = f', "{where}": {number}', f"plan.{where}"
    r = client.post(f"/api/{endpoint}", content=body(endpoint, plan_extra), headers=JSON)
    refused(r, field)
    assert r.json()["field"] == field
    assert not (workdir / "copy.toml").exists()  # save wrote nothing
    still_serves(client)


@pytest.mark.parametrize("number", NOT_FINITE)
def test_k_without_a_finite_value_is_refused(client, number):
    r = client.post("/api/add_best", content=body("add_best", extra=f', "k": {number}'), headers=JSON)
    refused(r, "k")
    assert r.json()["field"] == "k"
    still_serves(client)


WRONG = {  # a JSON value of the wrong type or out of range -> the words of the message
    "text": ('"lots"', "is not a whole number"),
    "text_of_a_huge_number": ('"1e400"', "is not a whole number"),
    "a_list": ("[1]", "is not a whole number"),
    "an_object": ('{"n": 1}', "is not a whole number"),
    "true": ("true", "is not a whole number"),
    "a_fraction": ("2.5", "is not a whole number"),
    "null_word": ('"null"', "is not a whole number"),
    "too_large": ("100000000000000000", "on the page"),
}


@pytest.mark.parametrize("case", sorted(WRONG))
@pytest.mark.parametrize("where", ["replications", "seed"])
@pytest.mark.parametrize("endpoint", SIMULATING)
def test_replications_and_seed_of_the_wrong_type_are_refused(client, endpoint, where, case):
    value, words = WRONG[case]
    r = client.post(f"/api/{endpoint}", content=body(endpoint, f', "{where}": {value}'), headers=JSON)
    refused(r, where)
    assert words in r.json()["error"] and r.json()["field"] == where
    still_serves(client)


@pytest.mark.parametrize("value", ['"x"', "[1]", "{}", "true", "2.5", "0", "21", "-21", "100000000000000000"])
def test_k_of_the_wrong_type_or_range_is_refused(client, value):
    r = client.post("/api/add_best", content=body("add_best", extra=f', "k": {value}'), headers=JSON)
    refused(r, "k")
    still_serves(client)


BAD_WEEKS = {  # the week sent -> words of the message
    "end_of_the_calendar": ('"9999-12-31"', "1900-01-01 to 2199-12-31"),
    "last_monday_of_the_calendar": ('"9999-12-27"', "1900-01-01 to 2199-12-31"),
    "first_day_of_the_calendar": ('"0001-01-01"', "1900-01-01 to 2199-12-31"),
    "a_week_running_past_2199": ('"2199-12-30"', "1900-01-01 to 2199-12-31"),
    "before_1900": ('"1899-12-25"', "1900-01-01 to 2199-12-31"),
    "no_such_day": ('"2026-02-30"', "is not a date"),
    "a_number": ("20260302", "must be a date"),
    "a_list": ('["2026-03-02"]', "must be a date"),
    "an_object": ('{"y": 2026}', "must be a date"),
}


@pytest.mark.parametrize("case", sorted(BAD_WEEKS))
@pytest.mark.parametrize("endpoint", sorted(POSTS))
def test_a_week_that_would_overflow_or_is_no_date_is_refused(client, endpoint, case):
    week, words = BAD_WEEKS[case]
    r = client.post(f"/api/{endpoint}", content=body(endpoint, f', "week": {week}'), headers=JSON)
    refused(r, "week")
    assert words in r.json()["error"] and r.json()["field"] == "week"
    still_serves(client)


@pytest.mark.parametrize("case", sorted(k for k in BAD_WEEKS if BAD_WEEKS[k][0].startswith('"')))
def test_the_scenario_query_refuses_the_same_weeks(client, case):
    week = BAD_WEEKS[case][0].strip('"')
    r = client.get("/api/scenario", params={"name": "minimal.toml", "week": week})
    refused(r, "week")
    still_serves(client)


DEEP = {  # raw JSON nested too deep (100,000 levels: RecursionError in the JSON parser) -> the field named
    "a_body_of_brackets": ("[" * 100_000, "[0][0][0]"),
    "a_plan_of_brackets": ('{"plan": ' + "[" * 100_000 + "]" * 100_000 + "}", "plan[0][0]"),
    "nested_objects": ('{"plan": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}", "plan.a.a.a"),
    "an_edit_row_of_rows": ('{"plan": {"scenario": "minimal.toml", "edits": {"staffing.agents.mon": '
                            + "[" * 50 + "]" * 50 + "}}}", "plan.edits.staffing.agents.mon[0]"),
}


@pytest.mark.parametrize("case", sorted(DEEP))
@pytest.mark.parametrize("endpoint", sorted(POSTS))
def test_json_nested_too_deep_is_refused_naming_where(client, endpoint, case):
    raw, field = DEEP[case]
    r = client.post(f"/api/{endpoint}", content=raw.encode(), headers=JSON)
    refused(r, field)
    assert "nested deeper than 8 levels" in r.json()["error"]
    still_serves(client)


SHAPES = {  # a value of the wrong shape where the page sends an object or text -> the field named
    "plan_a_list": ('{"plan": [1, 2]}', "plan"),
    "plan_text": ('{"plan": "minimal.toml"}', "plan"),
    "plan_missing": ('{"planned": 1}', "plan"),
    "edits_a_list": ('{"plan": ' + PLAN % ', "edits": [1]' + "}", "edits"),
    "edit_an_object": ('{"plan": ' + PLAN % ', "edits": {"arrivals.volume_scale": {"x": 1}}' + "}",
                       "arrivals.volume_scale"),
    "scenario_a_list": ('{"plan": {"scenario": ["minimal.toml"], "client": "t"}}', "scenario"),
    "client_a_number": ('{"plan": ' + PLAN % ', "client": 5' + "}", "client"),
}


@pytest.mark.parametrize("endpoint, case", [
    (e, c) for e in sorted(POSTS) for c in sorted(SHAPES)
    if not (c == "client_a_number" and e in ("preview", "save"))  # they keep no page's session: no client read
])
def test_values_of_the_wrong_shape_are_refused_naming_the_field(client, endpoint, case):
    raw, field = SHAPES[case]
    r = client.post(f"/api/{endpoint}", content=raw[:-1].encode() + POSTS[endpoint].encode() + b"}", headers=JSON)
    refused(r, field)
    still_serves(client)


@pytest.mark.parametrize("endpoint, extra, field", [
    ("fill", ', "method": ["erlang"]', "method"),
    ("compare", ', "other": ["minimal.toml"]', "other"),
    ("compare", ', "other": "../minimal.toml"', "other"),
    ("save", ', "name": ["copy.toml"]', "name"),
    ("preview", ', "name": "../copy.toml"', "name"),
])
def test_the_other_fields_of_the_wrong_type_are_refused(client, endpoint, extra, field):
    r = client.post(f"/api/{endpoint}", content=body(endpoint, extra=extra), headers=JSON)
    refused(r, field)
    still_serves(client)


@pytest.mark.parametrize("endpoint", sorted(POSTS))
def test_an_edit_of_a_group_the_scenario_lacks_is_an_invalid_plan(client, endpoint):
    """groups[0].agents.mon on a scenario without [[groups]]: the problem the CLI names (run: 200 with
    the problems, as for any invalid field; the others 422), never a 500 from writing the TOML."""
    r = client.post(f"/api/{endpoint}", content=body(endpoint, ', "edits": {"groups[0].agents.mon": ["1", "1", "1"]}'),
                    headers=JSON)
    assert r.status_code == (200 if endpoint == "run" else 422), r.text
    problems = r.json()["problems"]
    assert problems[0]["field"] == "groups[0].agents.mon" and "groups" in problems[0]["message"]
    still_serves(client)


def test_a_good_run_after_the_gallery(client):
    """After every malformed request above, the same server still simulates."""
    r = client.post("/api/run", content=body("run"), headers=JSON)
    assert r.status_code == 200 and r.json()["replications"] == 2, r.text


@pytest.fixture()
def fresh(tmp_path):
    """A server of its own (the tests below change the work folder)."""
    wd = tmp_path / "plans"
    wd.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "minimal.toml", wd / "minimal.toml")
    app = create_app(wd, workers=0, token=TOKEN, hosts={"testserver"}, start_pool=False)
    with TestClient(app, headers={"X-Ska-Token": TOKEN}, raise_server_exceptions=False) as c:
        c.workdir = wd
        yield c


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_saving_over_a_scenario_keeps_its_permission_bits(fresh, mode):
    f = fresh.workdir / "minimal.toml"
    before = f.read_text()
    os.chmod(f, mode)
    r = fresh.post("/api/save", json={"plan": {"scenario": "minimal.toml", "edits": {"arrivals.volume_scale": "1.2"}},
                                      "name": "minimal.toml", "overwrite": True})
    assert r.status_code == 200 and r.json()["written"], r.text
    assert f.read_text() != before and "volume_scale = 1.2" in f.read_text()
    assert stat.S_IMODE(os.stat(f).st_mode) == mode
    assert [p.name for p in fresh.workdir.iterdir()] == ["minimal.toml"]  # no temporary file left


def test_a_new_scenario_gets_the_mode_of_a_new_file(fresh):
    os.chmod(fresh.workdir / "minimal.toml", 0o600)
    r = fresh.post("/api/save", json={"plan": {"scenario": "minimal.toml"}, "name": "copy.toml", "duplicate": True})
    assert r.status_code == 200, r.text
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(fresh.workdir / "copy.toml").st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("linked", ["exports", "exports/minimal"])
def test_exports_as_a_symbolic_link_is_refused_not_followed(fresh, tmp_path, linked):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (fresh.workdir / "exports").mkdir(exist_ok=linked != "exports")
    if linked == "exports":
        (fresh.workdir / "exports").rmdir()
    (fresh.workdir / linked).symlink_to(elsewhere, target_is_directory=True)
    r = fresh.post("/api/export", json={"plan": {"scenario": "minimal.toml", "replications": 2, "client": "t"}})
    assert r.status_code == 409, r.text
    assert r.json()["error"].startswith(f"{linked}: is a symbolic link (to {elsewhere})")
    assert list(elsewhere.iterdir()) == []  # nothing written through the link
    (fresh.workdir / linked).unlink()  # a real folder: the export is written
    r = fresh.post("/api/export", json={"plan": {"scenario": "minimal.toml", "replications": 2, "client": "t"}})
    assert r.status_code == 200 and "report.html" in r.json()["files"], r.text
    assert (fresh.workdir / "exports" / "minimal" / "report.html").is_file()


def test_exports_that_is_a_file_is_refused(fresh):
    (fresh.workdir / "exports").write_text("not a folder")
    r = fresh.post("/api/export", json={"plan": {"scenario": "minimal.toml", "replications": 2, "client": "t"}})
    assert r.status_code == 409 and r.json()["error"].startswith("exports: is not a folder"), r.text
    still_serves(fresh)


@pytest.mark.parametrize("endpoint", ["fill", "add_best"])
def test_a_zero_patience_is_a_4xx_naming_the_key_not_a_500(client, endpoint):
    """Erlang's plans (a fill, people placed where Erlang says they buy most) need a mean patience
    above 0: the page says so (4xx, the key named)."""
    extra = ', "edits": {"patience.mean_s": "0"}'
    path = {"fill": "/api/fill", "add_best": "/api/add_best"}[endpoint]
    r = client.post(path, content=body(endpoint, extra, ', "k": 1, "unit": "people"' if endpoint == "add_best" else None),
                    headers=JSON)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert "patience.mean_s" in r.text
    still_serves(client)
