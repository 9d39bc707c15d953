"""Bad input to `ska-sim forecast`: one line naming the file, the column or key and the line,
exit status 2, no traceback, nothing written. And what is kept with a note: less than a year,
gaps (a closed day is not a gap)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from click.testing import CliRunner

from ska_sim.cli.root import main
from ska_sim.forecast.synthetic import ska_history

D = dt.date


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _bad(res, *words):
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, res.output
    for w in words:
        assert w in errors[0], (w, res.output)


@pytest.fixture(scope="module")
def daily(tmp_path_factory):
    """Eight weeks of daily counts (two call types) as a CSV."""
    folder = tmp_path_factory.mktemp("daily")
    h = ska_history(first=D(2025, 9, 1), last=D(2025, 10, 26), types={"info": 1500.0, "pension": 400.0})
    path = folder / "daily.csv"
    h.to_csv(path, index=False)
    return path


def _edit(daily, tmp_path, change):
    text = daily.read_text(encoding="utf-8").splitlines()
    change(text)
    out = tmp_path / "edited.csv"
    out.write_text("\n".join(text) + "\n", encoding="utf-8")
    return out


GALLERY = {
    # name: (edit of the CSV's lines, words the error must say)
    "duplicate date": (lambda t: t.insert(5, t[3]), ["edited.csv: line 6", "column date", "2025-09-03 (info) given twice",
                                                    "line 4"]),
    "negative count": (lambda t: t.__setitem__(4, "2025-09-04,info,-3"), ["line 5, column calls", "'-3': negative"]),
    "fractional count": (lambda t: t.__setitem__(4, "2025-09-04,info,3.5"), ["line 5, column calls",
                                                                             "not a whole number"]),
    "bad date": (lambda t: t.__setitem__(2, "2025-13-01,info,3"), ["line 3, column date", "'2025-13-01' is not a date"]),
    "future date": (lambda t: t.append("2099-01-05,info,10"), ["column date", "2099-01-05 is in the future"]),
    "unknown column": (lambda t: t.__setitem__(0, "date,call_type,volume"), ["line 1", "unknown column 'volume'"]),
    "empty call type": (lambda t: t.__setitem__(3, "2025-09-03,,10"), ["line 4, column call_type", "empty call type"]),
    "short row": (lambda t: t.__setitem__(3, "2025-09-03,info"), ["line 4", "2 fields, the header has 3"]),
}


@pytest.mark.parametrize("name", list(GALLERY))
def test_bad_daily_counts_are_refused_with_file_column_and_line(daily, tmp_path, name):
    change, words = GALLERY[name]
    out = tmp_path / "out"
    res = _cli("forecast", _edit(daily, tmp_path, change), "--horizon-days", 7, "--out", out)
    _bad(res, *words)
    assert not out.exists()


def test_less_than_two_weeks_is_refused(daily, tmp_path):
    df = pd.read_csv(daily)
    short = tmp_path / "short.csv"
    df[df["date"] < "2025-09-14"].to_csv(short, index=False)
    _bad(_cli("forecast", short, "--horizon-days", 7, "--out", tmp_path / "o"), "13 days of history",
         "at least 14 days")


@pytest.mark.parametrize("args,words", [
    (("--horizon-days", 731), ["--horizon-days", "731", "two years"]),
    (("--horizon-days", 0), ["--horizon-days"]),
    (("--horizon-days", 7, "--start", "2025-10-01"), ["--start", "not after the history's last date 2025-10-26"]),
    (("--horizon-days", 7, "--start", "1.1.2026"), ["--start", "not a date"]),
    (("--horizon-days", 7, "--call-type", "taxes"), ["--call-type", "unknown call type 'taxes'", "info, pension"]),
    (("--horizon-days", 7, "--tz", "Mars/Olympus"), ["--tz Mars/Olympus", "not a known time zone"]),
])
def test_bad_options_are_refused(daily, tmp_path, args, words):
    out = tmp_path / "o"
    _bad(_cli("forecast", daily, "--out", out, *args), *words)
    assert not out.exists()


EVENTS = {
    "unknown key": ('[[events]]\nname = "x"\nstart = 2025-09-10\nfactr = 1.2\n', ["events[0].factr", "unknown key"]),
    "end before start": ('[[events]]\nname = "x"\nstart = 2025-09-10\nend = 2025-09-01\nfactor = 1.2\n',
                         ["events[0].end", "before start"]),
    "factor 0": ('[[events]]\nname = "x"\nstart = 2025-09-10\nfactor = 0\n', ["events[0].factor", "> 0"]),
    "no name": ('[[events]]\nstart = 2025-09-10\n', ["events[0].name", "a name is needed"]),
    "not a date": ('[[events]]\nname = "x"\nstart = "soon"\n', ["events[0].start", "a date"]),
    "future event without factor": ('[[events]]\nname = "x"\nstart = 2025-11-03\nend = 2025-11-05\n',
                                    ["events.toml", "event 'x'", "cannot be estimated: give factor"]),
}


@pytest.mark.parametrize("name", list(EVENTS))
def test_bad_events_files_are_refused_with_the_key(daily, tmp_path, name):
    text, words = EVENTS[name]
    ev = tmp_path / "events.toml"
    ev.write_text(text, encoding="utf-8")
    out = tmp_path / "o"
    _bad(_cli("forecast", daily, "--horizon-days", 14, "--out", out, "--events", ev), *words)
    assert not out.exists()


def test_missing_files_are_named(daily, tmp_path):
    _bad(_cli("forecast", tmp_path / "nosuch.csv", "--horizon-days", 7, "--out", tmp_path / "o"),
         "nosuch.csv: file not found")
    _bad(_cli("forecast", daily, "--horizon-days", 7, "--out", tmp_path / "o", "--events", tmp_path / "e.toml"),
         "--events", "e.toml: file not found")


def test_gaps_are_reported_and_stepped_over_and_closed_days_are_not_gaps(daily, tmp_path):
    """A missing week of open days is a gap (noted, forecast still made); weekends left out of
    the file are closed days, not gaps."""
    df = pd.read_csv(daily)
    df["date"] = pd.to_datetime(df["date"]).dt.date
    df = df[df["date"].map(lambda d: d.weekday() < 5)]  # no weekend rows at all
    df = df[~df["date"].between(D(2025, 9, 22), D(2025, 9, 26))]  # a missing week
    path = tmp_path / "gappy.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "o"
    res = _cli("forecast", path, "--horizon-days", 14, "--out", out)
    assert res.exit_code == 0, res.output
    assert "gaps: 5 open days without a count (2025-09-22 to 2025-09-26)" in res.output
    assert "less than a year" in res.output
    fc = pd.read_csv(out / "forecast.csv")
    assert (fc["calls_mean"] >= 0).all() and fc.loc[fc["closed"] == 1, "calls_mean"].eq(0).all()
    assert fc.loc[fc["closed"] == 0, "calls_mean"].gt(100).all() and (fc["closed"] == 1).any()


def test_the_horizon_reaches_two_years_past_the_history_and_no_further():
    from types import SimpleNamespace

    from ska_sim.base.errors import ScenarioError
    from ska_sim.forecast.predict import MAX_HORIZON_DAYS, forecast_horizon

    h = SimpleNamespace(last=D(2025, 12, 31))
    dates = forecast_horizon(h, MAX_HORIZON_DAYS)
    assert dates[0] == D(2026, 1, 1) and (dates[-1] - h.last).days == MAX_HORIZON_DAYS
    assert forecast_horizon(h, 10, D(2027, 12, 22))[-1] == D(2027, 12, 31)
    with pytest.raises(ScenarioError, match="--start"):
        forecast_horizon(h, 10, D(2027, 12, 23))


def test_a_call_types_missing_rows_where_others_are_counted_are_said_to_be_taken_as_0(tmp_path):
    h = ska_history(first=D(2025, 1, 6), last=D(2025, 10, 31), types={"info": 900.0, "pension": 300.0})
    gap = (h["call_type"] == "pension") & h["date"].map(lambda d: D(2025, 5, 12) <= pd.Timestamp(d).date() <= D(2025, 5, 16))
    h[~gap].to_csv(tmp_path / "daily.csv", index=False)
    res = _cli("forecast", tmp_path / "daily.csv", "--horizon-days", 7, "--out", tmp_path / "o")
    assert res.exit_code == 0, res.output
    assert ("no pension row on 5 open days where other call types have theirs (2025-05-12, 2025-05-13"
            in res.output) and "taken as 0 pension calls" in res.output
    assert "no info row" not in res.output
