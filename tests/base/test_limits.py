"""Limits, output paths that cannot be written, CSV formulas, manifests. Every refusal is exit status 2 with one line naming the option or file, before
any simulation, and leaves nothing behind."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ska_sim import ScenarioError, load_scenario
from ska_sim.cli import main
from ska_sim.base.limits import MAX_AGENTS_PER_INTERVAL, MAX_CALLS_PER_DAY, MAX_REPLICATIONS, MAX_SCENARIO_BYTES
from ska_sim.report.output import write_sweep
from ska_sim.base.files import check_writable_dir, check_writable_file, csv_safe, manifest, previous_command, reuse_warning
from ska_sim.scenario.checks import scenario_warnings
from conftest import ROOT

MINIMAL_PATH = ROOT / "tests" / "data" / "minimal.toml"
MINIMAL = MINIMAL_PATH.read_text()
FAST = ["-r", "2", "--workers", "1"]


def invoke(args):
    return CliRunner().invoke(main, [str(a) for a in args])


def no_simulation(monkeypatch):
    """Make any simulation fail loudly: a check 'before simulating' must not get there."""
    import ska_sim.sim.runner

    def boom(*a, **k):
        raise AssertionError("simulated although the input is bad")

    monkeypatch.setattr(ska_sim.sim.runner, "simulate", boom)
    import ska_sim.plan.compare
    import ska_sim.plan.marginal
    import ska_sim.plan.sweep

    monkeypatch.setattr(ska_sim.plan.marginal, "marginal", boom)
    monkeypatch.setattr(ska_sim.plan.sweep, "sweep", boom)
    monkeypatch.setattr(ska_sim.plan.compare, "compare", boom)
    import ska_sim.plan.staffing

    monkeypatch.setattr(ska_sim.plan.staffing, "plan_staffing", boom)


# --------------------------------------------------------------------------- output paths
def bad_dirs(tmp_path: Path) -> dict[str, tuple[str, list[str]]]:
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("x")
    return {
        "under_a_file": (str(a_file / "out"), [f"{a_file}", "is a file, not a folder"]),
        "deep_under_a_file": (str(a_file / "x" / "y"), [f"{a_file}", "is a file, not a folder"]),
        "dev_null": ("/dev/null", ["/dev/null: is a device, not a folder"]),
        "proc": ("/proc/ska-sim-test/out", ["/proc/ska-sim-test/out", "cannot write files in /proc"]),
        "sys": ("/sys/ska-sim-test", ["/sys/ska-sim-test", "cannot write files in /sys"]),
    }


@pytest.mark.parametrize("case", ["under_a_file", "deep_under_a_file", "dev_null", "proc", "sys"])
@pytest.mark.parametrize("command", ["run", "staff", "marginal", "sweep", "compare"])
def test_unwritable_out_fails_before_simulating(tmp_path, monkeypatch, command, case):
    no_simulation(monkeypatch)
    out, parts = bad_dirs(tmp_path)[case]
    args = {
        "run": ["run", MINIMAL_PATH],
        "staff": ["staff", MINIMAL_PATH],
        "marginal": ["marginal", MINIMAL_PATH, "--agents", "0..1"],
        "sweep": ["sweep", MINIMAL_PATH, "--vary", "staffing.scale=1:1.1:0.1"],
        "compare": ["compare", MINIMAL_PATH, MINIMAL_PATH],
    }[command]
    before = sorted(os.listdir(tmp_path))
    res = invoke([*args, *FAST, "--out", out])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and isinstance(res.exception, SystemExit)
    line = [x for x in res.output.splitlines() if x.startswith("error:")]
    assert len(line) == 1 and line[0].startswith("error: --out: "), res.output
    for part in parts:
        assert part in res.output, f"{part!r} not in {res.output!r}"
    assert sorted(os.listdir(tmp_path)) == before


def test_existing_file_as_out_is_refused(tmp_path, monkeypatch):
    no_simulation(monkeypatch)
    f = tmp_path / "results.csv"
    f.write_text("keep me")
    res = invoke(["run", MINIMAL_PATH, *FAST, "--out", f])
    assert res.exit_code == 2 and "--out" in res.output and str(f) in res.output and "is a file" in res.output
    assert f.read_text() == "keep me"
    with pytest.raises(ScenarioError, match="is a file, not a folder"):
        check_writable_dir(f)


@pytest.mark.parametrize("case", ["dev_null", "proc", "under_a_file", "a_folder", "proc_file"])
def test_unwritable_report_file_fails_before_simulating(tmp_path, monkeypatch, case):
    no_simulation(monkeypatch)
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("x")
    target, part = {
        "dev_null": ("/dev/null", "/dev/null: is a device, not a regular file"),
        "proc": ("/proc/ska-sim-test.html", "cannot write the file in /proc"),
        "proc_file": ("/proc/version", "cannot write the file in /proc"),
        "under_a_file": (str(a_file / "r.html"), "is a file, not a folder"),
        "a_folder": (str(tmp_path), "is a directory"),  # click's own check (dir_okay=False)
    }[case]
    res = invoke(["report", MINIMAL_PATH, "--agents", "0..1", *FAST, "-o", target])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert part in res.output, res.output
    assert target in res.output
    assert os.path.exists("/dev/null") and not Path("/dev/null").is_file()  # never replaced by a file
    assert sorted(os.listdir(tmp_path)) == ["a-file.txt"]


def test_checks_create_nothing(tmp_path):
    deep = tmp_path / "a" / "b" / "c"
    check_writable_dir(deep)
    check_writable_file(deep / "r.html")
    check_writable_dir(tmp_path)
    check_writable_file(tmp_path / "r.html")
    assert os.listdir(tmp_path) == []


def test_read_only_filesystem_is_refused_before_simulating(tmp_path, monkeypatch):
    """A read-only file system: tests run as root, where chmod would not stop a write, so the
    operating system's answer on a read-only mount (EROFS, when the probe file is created) is
    given to the check directly; the run must stop with exit 2 naming the folder and the reason."""
    import errno

    import ska_sim.base.files as files

    no_simulation(monkeypatch)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(files, "create_new_file", read_only)
    out = tmp_path / "out"
    with pytest.raises(ScenarioError, match="cannot write files in .*Read-only file system"):
        check_writable_dir(out)
    res = invoke(["run", MINIMAL_PATH, *FAST, "--out", str(out)])
    assert res.exit_code == 2 and "Read-only file system" in res.output and str(out) in res.output
    assert "Traceback" not in res.output and not out.exists()


# --------------------------------------------------------------------------- limits
def test_replications_limit_on_the_command_line(monkeypatch):
    no_simulation(monkeypatch)
    for command in (["run", MINIMAL_PATH], ["staff", MINIMAL_PATH], ["marginal", MINIMAL_PATH]):
        res = invoke([*command, "-r", "1000000000"])
        assert res.exit_code == 2, res.output
        assert "--replications" in res.output and f"{MAX_REPLICATIONS}" in res.output
    assert invoke(["validate", MINIMAL_PATH, "--set", f"simulation.replications={MAX_REPLICATIONS}"]).exit_code == 0


def test_calls_and_agents_limits_are_inclusive(tmp_path):
    # minimal: 120 calls a day, at most 5 agents an interval
    ok = load_scenario(MINIMAL_PATH, [f"arrivals.daily_calls={MAX_CALLS_PER_DAY}",
                                      f"staffing.scale={MAX_AGENTS_PER_INTERVAL // 5}"])
    assert ok.arrivals.daily_calls == MAX_CALLS_PER_DAY
    with pytest.raises(ScenarioError, match="at most 1,000,000 per day") as exc:
        load_scenario(MINIMAL_PATH, [f"arrivals.volume_scale={MAX_CALLS_PER_DAY / 120 * 1.01}"])
    assert str(exc.value).startswith("--set arrivals.volume_scale=")
    with pytest.raises(ScenarioError, match="at most 100,000 per interval"):
        load_scenario(MINIMAL_PATH, [f"staffing.scale={MAX_AGENTS_PER_INTERVAL // 5 + 1}"])
    # a date factor counts on its own date
    with pytest.raises(ScenarioError, match="expected on 2026-03-03"):
        load_scenario(MINIMAL_PATH, ["arrivals.daily_calls=900000", "arrivals.date_factor={2026-03-03 = 2.0}"])


def test_dev_zero_as_a_scenario_is_refused_quickly():
    t0 = time.monotonic()
    res = invoke(["run", "/dev/zero"])
    assert res.exit_code == 2
    assert "/dev/zero: larger than 10 MB" in res.output
    assert time.monotonic() - t0 < 30  # it reads at most 10 MB, not forever


def test_file_size_limit(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text(MINIMAL + "#" * (MAX_SCENARIO_BYTES - len(MINIMAL.encode())))
    assert big.stat().st_size == MAX_SCENARIO_BYTES + 1 - 1
    assert load_scenario(big).name == "minimal"  # exactly the limit is read
    with big.open("a") as f:
        f.write("#")
    with pytest.raises(ScenarioError, match="larger than 10 MB"):
        load_scenario(big)


def test_suspicious_scales_warn_but_run(tmp_path):
    s = load_scenario(MINIMAL_PATH, ["arrivals.volume_scale=115"])
    assert scenario_warnings(s) == ["arrivals.volume_scale = 115 multiplies by 115: did you mean 1.15?"]
    assert scenario_warnings(load_scenario(MINIMAL_PATH, ["arrivals.volume_scale=1.15"])) == []
    # a scale of 30 is more likely "+30%" than "0.3"
    assert scenario_warnings(load_scenario(MINIMAL_PATH, ["staffing.scale=30"])) == [
        "staffing.scale = 30 multiplies by 30: did you mean 1.3 (+30%)?"]
    res = invoke(["validate", MINIMAL_PATH, "--set", "staffing.scale=110"])
    assert res.exit_code == 0
    assert "warning: staffing.scale = 110 multiplies by 110: did you mean 1.1?" in res.stderr
    assert "warning" not in res.stdout


# --------------------------------------------------------------------------- erlang options
@pytest.mark.parametrize("args, parts", [
    (["--calls", "nan"], ["--calls", "'nan' is not a finite number"]),
    (["--calls", "inf"], ["--calls", "inf"]),
    (["--calls", "1e9"], ["--calls", "1000000"]),
    (["--aht", "nan"], ["--aht", "not a finite number"]),
    (["--threshold", "inf"], ["--threshold", "not a finite number"]),
    (["--target", "nan"], ["--target", "not a finite number"]),
    (["--patience", "inf"], ["--patience", "not a finite number"]),
    (["--agents", "1000000000"], ["--agents", "100000"]),
    (["--interval", "30"], ["--interval", "'30'", "30min", "30s"]),
    (["--interval", "0.001s"], ["--interval", "from 1 s to 24 h"]),
    (["--interval", "2days"], ["--interval", "use e.g. 30min"]),
    (["--calls", "1000000", "--aht", "1800", "--interval", "60"], ["--calls", "Erlang: at most 100,000"]),
])
def test_erlang_bad_options_name_the_option(args, parts):
    base = {"--calls": "100", "--aht": "180"}
    for k in list(base):
        if k in args:
            del base[k]
    res = invoke(["erlang", *[x for kv in base.items() for x in kv], *args])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    for part in parts:
        assert part in res.output, f"{part!r} not in {res.output!r}"


def test_erlang_interval_units():
    from ska_sim.cli.staff import _interval_seconds

    assert _interval_seconds("30min") == 1800 and _interval_seconds("30s") == 30
    assert _interval_seconds("1800") == 1800 and _interval_seconds("60") == 60 and _interval_seconds("1h") == 3600
    res = invoke(["erlang", "--calls", "100", "--aht", "180", "--interval", "900", "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.output)["interval_s"] == 900


# --------------------------------------------------------------------------- CSV formulas
def test_csv_safe_rule():
    assert csv_safe("=1+1") == "'=1+1" and csv_safe("@SUM(A1)") == "'@SUM(A1)"
    assert csv_safe("+call") == "'+call" and csv_safe("-2+3") == "'-2+3" and csv_safe("\t=x") == "'\t=x"
    assert csv_safe("-2") == "-2" and csv_safe("+1.5") == "+1.5" and csv_safe("pensions") == "pensions"
    assert csv_safe(-2.0) == -2.0 and csv_safe(None) is None


def test_formula_call_type_is_neutralised_in_csv_only(tmp_path):
    path = tmp_path / "formula.toml"
    path.write_text(MINIMAL.replace('name = "general"', 'name = "=1+1"'))
    out = tmp_path / "out"
    res = invoke(["run", path, *FAST, "--out", out, "--format", "json"])
    assert res.exit_code == 0, res.output
    text = (out / "call_types.csv").read_text()
    assert "'=1+1" in text and "\n=1+1" not in text
    doc = json.loads(res.stdout)
    assert [r["call_type"] for r in doc["call_types"]] == ["=1+1"]
    assert json.loads((out / "manifest.json").read_text())["scenario"]["call_types"][0]["name"] == "=1+1"
    table = invoke(["run", path, *FAST])
    assert table.exit_code == 0 and "'=1+1" not in table.output


# --------------------------------------------------------------------------- manifests
def test_manifest_records_command_source_and_every_set(tmp_path):
    out = tmp_path / "out"
    res = invoke(["run", MINIMAL_PATH, *FAST, "--set", "staffing.scale=1.2", "--set", "calendar.days=1", "--out", out])
    assert res.exit_code == 0, res.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["command"] == "run"
    assert m["source"] == str(MINIMAL_PATH)
    assert m["overrides"] == ["staffing.scale=1.2", "calendar.days=1"]
    assert m["scenario_sha256"] == load_scenario(MINIMAL_PATH, m["overrides"]).digest()
    assert previous_command(out) == "run"


def test_manifest_without_provenance_keeps_its_shape():
    s = load_scenario(MINIMAL_PATH)
    m = manifest(s, 1, 2)
    assert "command" not in m and "source" not in m and "overrides" not in m
    assert manifest(s, 1, 2, source="x.toml")["overrides"] == []


def test_reusing_an_out_folder_of_another_command_warns(tmp_path):
    out = tmp_path / "out"
    assert invoke(["run", MINIMAL_PATH, *FAST, "--out", out]).exit_code == 0
    again = invoke(["run", MINIMAL_PATH, *FAST, "--out", out])
    assert again.exit_code == 0 and "warning" not in again.stderr
    res = invoke(["marginal", MINIMAL_PATH, "--agents", "0..1", *FAST, "--out", out])
    assert res.exit_code == 0, res.output
    assert f"warning: {out} already holds output of `ska-sim run`; the files of this `ska-sim marginal` are added beside" in res.stderr
    assert (out / "summary.csv").exists() and (out / "marginal.csv").exists()
    assert json.loads((out / "manifest.json").read_text())["command"] == "marginal"


def test_reuse_warning_reads_old_folders_by_their_files(tmp_path):
    (tmp_path / "requirements.csv").write_text("x\n")
    (tmp_path / "manifest.json").write_text(json.dumps({"seed": 1}))  # a manifest from before `command`
    assert previous_command(tmp_path) == "staff"
    assert "`ska-sim staff`" in reuse_warning(tmp_path, "run")
    assert reuse_warning(tmp_path, "staff") is None
    assert reuse_warning(tmp_path / "missing", "run") is None


def test_sweep_manifest_holds_the_base_scenario(tmp_path):
    from ska_sim.plan.sweep import sweep

    base = load_scenario(MINIMAL_PATH, ["staffing.scale=1.0"])
    sw = sweep(str(MINIMAL_PATH), [("staffing.scale", [1.2, 1.4])], ("staffing.scale=1.0",), replications=2)
    write_sweep(sw, tmp_path / "with", base_scenario=base, source=str(MINIMAL_PATH), overrides=["staffing.scale=1.0"])
    m = json.loads((tmp_path / "with" / "manifest.json").read_text())
    assert m["command"] == "sweep" and m["scenario_is"] == "base (before --vary)"
    assert m["scenario_sha256"] == base.digest() != sw.results[0].scenario.digest()
    assert m["scenario"]["staffing"]["scale"] == 1.0 and m["vary_values"] == {"staffing.scale": [1.2, 1.4]}
    write_sweep(sw, tmp_path / "without")
    m = json.loads((tmp_path / "without" / "manifest.json").read_text())
    assert m["scenario_is"] == "first grid point" and m["scenario"]["staffing"]["scale"] == 1.2


def test_json_output_is_strict_json(tmp_path):
    """No NaN / Infinity in --format json, even when KPIs are undefined (nobody answered)."""
    path = tmp_path / "nobody.toml"
    path.write_text(MINIMAL.replace("default = [4, 5, 4]", "default = [0, 0, 0]"))

    def strict(text):
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))

    res = invoke(["run", path, *FAST, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = strict(res.stdout)
    assert doc["kpis"]["asa_s"]["mean"] is None
    res = invoke(["erlang", "--calls", "100", "--aht", "180", "--agents", "2", "--format", "json"])
    assert res.exit_code == 0
    strict(res.stdout)
