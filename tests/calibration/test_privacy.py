"""Privacy: caller ids that are Estonian personal identification codes never leave
memory: not in any written file, not on stdout/stderr, not in error messages, not in tracebacks.

A log with recognisable, checksum-valid personal codes as caller ids is run through `fit`,
`backtest` (with --out and plots), their bad-input paths (a bad row names the row, not the
id), --skip-bad-rows, a mapping that points a timestamp at the caller column (the codes then
fail to parse: the message must not quote them) and a forced internal error raised while the
raw ids are in memory with a message quoting one (a library that quotes values); then every
file written and everything printed is searched for every id, also with separators between
its digits and as a float. The salt of the hashes is searched for too.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ska_sim import scenario_from_dict
from ska_sim.cli import main
from helpers import baseline_dict

WEIGHTS1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 1)
WEIGHTS2 = (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)


def personal_code(first10: str) -> str:
    """An Estonian personal code: 10 digits + the checksum of the standard (two weight rounds)."""
    d = [int(c) for c in first10]
    c = sum(a * w for a, w in zip(d, WEIGHTS1)) % 11
    if c == 10:
        c = sum(a * w for a, w in zip(d, WEIGHTS2)) % 11
        c = 0 if c == 10 else c
    return first10 + str(c)


def test_the_checksum_of_the_example():
    assert personal_code("3800108571") == "38001085718"


def codes(n: int, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    out = set()
    while len(out) < n:
        g = rng.choice([3, 4, 5, 6])
        y, m, day, s = rng.integers(0, 100), rng.integers(1, 13), rng.integers(1, 29), rng.integers(0, 1000)
        out.add(personal_code(f"{g}{y:02d}{m:02d}{day:02d}{s:03d}"))
    return sorted(out)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from ska_sim.calibration.log_writer import record_calls, write_log

    d = baseline_dict(days=3)
    _, log = record_calls(scenario_from_dict(d), 4)
    ids = sorted(log["caller_id"].unique())
    pc = codes(len(ids))
    pc[0] = "38001085718"
    log["caller_id"] = log["caller_id"].map(dict(zip(ids, pc)))
    log["agent_id"] = "agent-" + (log.index % 20).astype(str)
    root = tmp_path_factory.mktemp("privacy")
    inputs = root / "inputs"
    inputs.mkdir()
    write_log(log, inputs / "calls.csv")
    write_log(log, inputs / "calls.parquet")
    import json

    import tomlkit

    (inputs / "s.toml").write_text(tomlkit.dumps(json.loads(json.dumps(d, default=str))), encoding="utf-8")
    # a bad row: the first caller's call ends before it arrives
    lines = (inputs / "calls.csv").read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if ",38001085718," in line)
    parts = lines[row].split(",")
    parts[6] = parts[4].replace("T09:", "T08:").replace("T1", "T0", 1) if "T09:" in parts[4] else "2020-01-01T00:00:00"
    lines[row] = ",".join(parts)
    (inputs / "bad.csv").write_text("\n".join(lines) + "\n")
    (inputs / "arrival_is_caller.toml").write_text('arrival = "caller_id"\n')
    swapped = pd.read_csv(inputs / "calls.csv", dtype=str)  # an export whose arrival column holds the codes
    swapped["arrival"] = swapped["caller_id"]
    swapped.to_csv(inputs / "swapped.csv", index=False)
    return root, inputs, pc


def _patterns(ids: list[str]) -> list[re.Pattern]:
    out = []
    for i in ids:
        out.append(re.compile(r"\D?".join(i)))  # the digits, also with one separator between them
    return out


def _scan(texts: dict[str, str], blobs: dict[str, bytes], ids: list[str]) -> list[str]:
    from ska_sim.calibration import calllog

    found = []
    pats = _patterns(ids)
    floats = [f"{float(i):.6e}" for i in ids] + [repr(float(i)) for i in ids]
    for where, text in texts.items():
        for i, p in zip(ids, pats):
            if p.search(text):
                found.append(f"{where}: {i}")
        for f in floats:
            if f in text:
                found.append(f"{where}: float {f}")
        if calllog._SALT in text:
            found.append(f"{where}: the salt")
    for where, blob in blobs.items():
        for i in ids:
            if i.encode() in blob:
                found.append(f"{where}: {i}")
        if calllog._SALT.encode() in blob:
            found.append(f"{where}: the salt")
    return found


def _invoke(args: list[str]):
    res = CliRunner().invoke(main, args, catch_exceptions=True)
    text = res.output
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        import traceback

        text += "".join(traceback.format_exception(res.exception))
    return res, text


def test_no_caller_id_reaches_any_output(world, monkeypatch):
    root, inputs, ids = world
    out = root / "out"
    out.mkdir()
    outputs: dict[str, str] = {}
    runs = {
        "fit csv": ["fit", str(inputs / "calls.csv"), "--out", str(out / "fit.toml"), "--report", str(out / "fit.html")],
        "fit parquet": ["fit", str(inputs / "calls.parquet"), "--out", str(out / "fit2.toml")],
        "backtest": ["backtest", str(inputs / "s.toml"), str(inputs / "calls.csv"), "-r", "2", "--workers", "1",
                     "--out", str(out / "bt")],
        "backtest parquet json": ["backtest", str(inputs / "s.toml"), str(inputs / "calls.parquet"), "-r", "1",
                                  "--workers", "1", "--format", "json"],
        "backtest bad row": ["backtest", str(inputs / "s.toml"), str(inputs / "bad.csv"), "-r", "1",
                             "--out", str(out / "never")],
        "backtest skip bad row": ["backtest", str(inputs / "s.toml"), str(inputs / "bad.csv"), "-r", "1",
                                  "--workers", "1", "--skip-bad-rows", "--out", str(out / "bt_skip")],
        "fit bad row": ["fit", str(inputs / "bad.csv"), "--out", str(out / "never.toml")],
        "fit skip bad row": ["fit", str(inputs / "bad.csv"), "--out", str(out / "fit3.toml"), "--skip-bad-rows"],
        "backtest ids as times": ["backtest", str(inputs / "s.toml"), str(inputs / "swapped.csv"), "-r", "1"],
        "backtest caller mapped twice": ["backtest", str(inputs / "s.toml"), str(inputs / "calls.csv"), "-r", "1",
                                         "--columns", str(inputs / "arrival_is_caller.toml")],
        "fit ids as times": ["fit", str(inputs / "calls.csv"), "--out", str(out / "never2.toml"),
                             "--columns", str(inputs / "arrival_is_caller.toml")],
    }
    codes_seen = {}
    for name, args in runs.items():
        res, text = _invoke(args)
        outputs[name] = text
        codes_seen[name] = res.exit_code
    assert codes_seen["backtest"] == 0 and codes_seen["fit csv"] == 0, outputs
    assert codes_seen["backtest bad row"] == 2 and codes_seen["fit bad row"] == 2
    assert codes_seen["backtest skip bad row"] == 0
    assert re.search(r"bad\.csv row \d+: end: before arrival", outputs["backtest bad row"]), outputs["backtest bad row"]
    assert codes_seen["backtest ids as times"] == 2 and "arrival: not a timestamp" in outputs["backtest ids as times"]
    assert codes_seen["backtest caller mapped twice"] == 2 and "one column, one meaning" in outputs[
        "backtest caller mapped twice"]
    # a forced internal error while the raw ids are in memory, its message quoting one
    import pandas.util

    real = pandas.util.hash_array

    def leaky(values, *a, **k):
        raise ValueError(f"cannot hash {values[0]!r}")

    monkeypatch.setattr(pandas.util, "hash_array", leaky)
    for name, args in (("backtest forced error", runs["backtest"][:-2] + ["--out", str(out / "never3")]),
                       ("fit forced error", ["fit", str(inputs / "calls.csv"), "--out", str(out / "never4.toml")])):
        res, text = _invoke(args)
        outputs[name] = text
        assert res.exit_code != 0
        assert "ValueError" in text  # the error is reported, its type and place...
    monkeypatch.setattr(pandas.util, "hash_array", real)
    for never in ("never", "never.toml", "never2.toml", "never3", "never4.toml"):
        assert not (out / never).exists(), never
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"fit.toml", "fit.html", "backtest_intervals.csv", "backtest.png",
                                       "manifest.json"}
    texts = dict(outputs)
    blobs = {}
    for p in files:
        data = p.read_bytes()
        blobs[str(p)] = data
        try:
            texts[str(p)] = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    found = _scan(texts, blobs, ids)
    assert found == [], found[:10]


def test_the_scan_would_find_an_id():
    """The search above can fail: it finds an id written plainly, with separators, as a float."""
    ids = ["38001085718"]
    assert _scan({"a": "x 38001085718 y"}, {}, ids)
    assert _scan({"a": "3 800 108 5718"}, {}, ids)
    assert _scan({"a": "3.800109e+10"}, {}, ids)
    assert _scan({}, {"b": b"\x0038001085718\x00"}, ids)
    assert not _scan({"a": "C0000001 3800108571 8"[:-2]}, {}, ids)


def test_a_caller_column_is_never_kept(world):
    from ska_sim.calibration.calllog import read_log

    _, inputs, ids = world
    log = read_log(inputs / "calls.csv")
    f = log.frame
    assert "caller_id" not in f and f["caller"].dtype == np.uint64
    for c in f.columns:
        if f[c].dtype == object or pd.api.types.is_string_dtype(f[c]):
            assert not f[c].astype(str).isin(ids).any(), c
    assert Path(inputs / "calls.csv").read_text().count("38001085718") > 0  # (the input does hold them)
