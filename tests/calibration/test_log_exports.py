"""Reading a telephony system's export: its own outcome and kind words mapped once
([outcome_values], [kind_values]; ska-sim's own names in any case), every physical line
accounted for (a stray quote that swallows rows is refused by line range; a row broken over
two lines or copied twice is one skipped row, not two), and timestamp columns without a time
of day refused. Each bad input: one message naming the file and the column or lines, exit 2
from the command, nothing written, no traceback, no caller id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from helpers import baseline_dict, recorded_log
from ska_sim.calibration.calllog import LogError, load_columns, read_log
from ska_sim.cli import main

SEED = 7


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A recorded week of the baseline (7 open days: over 1 MB as CSV)."""
    return recorded_log(baseline_dict(days=7), SEED, tmp_path_factory.mktemp("clean"))


def _lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


# --------------------------------------------------------------------------- vocabularies
EXPORT_COLUMNS = {"call_id": "CallID", "caller_id": "ANI", "call_type": "Queue", "arrival": "Start",
                  "answer": "Connected", "end": "Finished", "wrap_up_s": "ACW", "agent_group": "Team",
                  "kind": "Type", "outcome": "Result"}
EXPORT_WORDS = {"answered": "ANSWERED", "abandoned": "Lost", "blocked": "BUSY", "unanswered_at_close": "Closed",
                "virtual_hold": "VH"}
MAPPING = "\n".join(["[columns]"] + [f'{k} = "{v}"' for k, v in EXPORT_COLUMNS.items()]) + """
[outcome_values]
answered = ["ANSWERED", "Answered"]
abandoned = ["ABANDONED", "ABAN", "Lost"]
blocked = "BUSY"
unanswered_at_close = ["Closed"]
virtual_hold = ["VH"]
"""


def _export(clean_path, folder):
    """The clean log as an export: its own column names, no abandon column, its own outcome
    words, upper-case kinds."""
    df = pd.read_csv(clean_path, dtype=str, keep_default_na=False)
    df = df.drop(columns=["abandon", "language"])
    df["outcome"] = df["outcome"].map(EXPORT_WORDS)
    df["kind"] = df["kind"].str.upper()
    df = df.rename(columns=EXPORT_COLUMNS)
    folder.mkdir(exist_ok=True)
    df.to_csv(folder / "calls.csv", index=False)
    (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    return folder / "calls.csv", folder / "mapping.toml"


def test_an_export_mapped_once_reads_to_the_same_calls(clean, tmp_path):
    path, mapping = _export(clean, tmp_path / "export")
    want, got = read_log(clean), read_log(path, load_columns(mapping))
    assert set(want.frame["outcome"]) >= {"answered", "abandoned"}  # the test has abandoned calls to lose
    assert list(got.frame["outcome"].unique()) != []
    pd.testing.assert_frame_equal(got.frame[list(want.frame.columns)], want.frame)
    # without the mapping of the values: refused, naming the column, the words and their counts
    columns_only = tmp_path / "columns.toml"
    columns_only.write_text(MAPPING.split("[outcome_values]")[0], encoding="utf-8")
    with pytest.raises(LogError) as exc:
        read_log(path, load_columns(columns_only))
    (msg,) = exc.value.problems
    counts = pd.read_csv(path, dtype=str)["Result"].value_counts()
    assert msg.startswith("calls.csv: column 'Result' (outcome): values ska-sim does not know: ")
    for word in ("Lost", "BUSY"):
        if word in counts:
            assert f"'{word}' ({counts[word]:,})" in msg
    assert "'ANSWERED'" not in msg  # ska-sim's own names in another case are known
    assert "[outcome_values]" in msg and "C000" not in msg


def test_the_export_fits_to_the_same_scenario(clean, tmp_path):
    import tomllib

    path, mapping = _export(clean, tmp_path / "export")
    own = tmp_path / "own"
    own.mkdir()
    (own / "calls.csv").write_bytes(clean.read_bytes())  # the same file name: the same scenario text
    runs = {}
    for name, args in (("clean", [own / "calls.csv"]), ("export", [path, "--columns", mapping])):
        out = tmp_path / f"{name}.toml"
        res = CliRunner().invoke(main, ["fit", *map(str, args), "--out", str(out)])
        assert res.exit_code == 0, res.output
        runs[name] = tomllib.loads(out.read_text(encoding="utf-8"))
    assert "patience" in runs["export"]
    assert runs["export"] == runs["clean"]


def test_the_reader_knows_every_name_the_writer_writes():
    from ska_sim.calibration.log_values import VOCABULARIES
    from ska_sim.sim.engine import KIND_NAMES, OUTCOME_NAMES

    assert VOCABULARIES == {"outcome": tuple(n for n in OUTCOME_NAMES if n), "kind": tuple(KIND_NAMES)}


def test_own_names_in_any_case_need_no_mapping(tmp_path):
    p = tmp_path / "log.csv"
    p.write_text("call_id,caller_id,arrival,answer,end,kind,outcome\n"
                 "1,A,2026-03-02T09:00:00,2026-03-02T09:00:10,2026-03-02T09:05:00,FIRST,Answered\n"
                 "2,B,2026-03-02T09:01:00,,2026-03-02T09:02:00,Redial,ABANDONED\n"
                 "3,C,2026-03-02T09:03:00,,2026-03-02T09:03:00,first,\n", encoding="utf-8")
    f = read_log(p).frame
    assert f["outcome"].tolist()[:2] == ["answered", "abandoned"] and pd.isna(f["outcome"].iloc[2])
    assert f["kind"].tolist() == ["first", "redial", "first"]
    assert f["abandon"].notna().tolist() == [False, True, False]  # derived from the outcome: no abandon column


# --------------------------------------------------------------------------- every row accounted for
def test_a_stray_quote_in_a_log_over_a_megabyte_is_refused_by_its_lines(clean, tmp_path):
    lines = _lines(clean)
    assert clean.stat().st_size > 1_000_000
    lines[20] = lines[20].replace(",C", ',"C', 1)  # sed '21s/,C/,"C/'
    p = tmp_path / "calls.csv"
    p.write_text("".join(lines), encoding="utf-8")
    for skip in (False, True):
        with pytest.raises(LogError) as exc:
            read_log(p, skip_bad_rows=skip)
        (msg,) = exc.value.problems
        assert msg.startswith(f"calls.csv lines 21-{len(lines)}: a quoted field (column 'caller_id') runs over")
        assert "stray" in msg and "C00" not in msg
    assert len(read_log(clean).frame) == len(lines) - 1  # the file without the quote: every line a call


def test_a_stray_quote_closed_by_another_is_refused_too(clean, tmp_path):
    lines = _lines(clean)
    lines[20] = lines[20].replace(",C", ',"C', 1)
    lines[400] = lines[400].replace(",first,", ',first",', 1)  # the field closes 380 lines later
    p = tmp_path / "calls.csv"
    p.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(LogError) as exc:
        read_log(p)
    assert exc.value.problems[0].startswith("calls.csv lines 21-401: a quoted field (column 'caller_id')")


def test_text_fields_with_line_breaks_in_a_large_log_are_read_whole(clean, tmp_path):
    df = pd.read_csv(clean, dtype=str, keep_default_na=False)
    df.loc[::50, "call_type"] = "pensions\nand benefits, old"  # over every block boundary of the reader
    from ska_sim.calibration.log_writer import write_log

    write_log(df, tmp_path / "multi.csv")
    got = read_log(tmp_path / "multi.csv").frame
    assert len(got) == len(df)
    assert (got["call_type"] == "pensions\nand benefits, old").sum() == len(df.loc[::50])


def test_lines_and_records_that_do_not_add_up_are_refused(clean, tmp_path, monkeypatch):
    """A reader that loses a row without a word (injected): the line count says so."""
    from ska_sim.calibration import calllog

    real = calllog.read_table

    def loses_a_row(*args, **kwargs):
        table, ragged = real(*args, **kwargs)
        return table.iloc[1:].reset_index(drop=True), ragged

    monkeypatch.setattr(calllog, "read_table", loses_a_row)
    with pytest.raises(LogError) as exc:
        read_log(clean, skip_bad_rows=True)
    n = len(_lines(clean))
    assert exc.value.problems == [f"calls.csv: {n:,} lines (0 empty) hold {n - 1:,} records but {n - 2:,} were read: "
                                  "the counts do not add up (a damaged file?)"]


def test_empty_lines_and_any_line_ending_are_counted(tmp_path):
    from ska_sim.calibration.log_lines import count_lines

    body = ["call_id,caller_id,arrival,answer,end", "1,A,2026-03-02T09:00:00,,2026-03-02T09:01:00",
            "2,B,2026-03-02T09:02:00,,2026-03-02T09:03:00"]
    for eol in ("\n", "\r\n", "\r"):
        p = tmp_path / "log.csv"
        p.write_bytes((eol.join([body[0], body[1], "", "", body[2]]) + eol + eol).encode())
        assert count_lines(p).total == 6 and count_lines(p).empty == 3, repr(eol)
        assert read_log(p).frame["call_id"].tolist() == [1, 2]
        p.write_bytes(eol.join(body).encode())  # no ending after the last line
        assert count_lines(p).total == 3 and count_lines(p).empty == 0


def test_line_counts_agree_with_a_plain_split_at_any_chunk_size(tmp_path, monkeypatch):
    """LF, CR and CRLF mixed at random, the file read in chunks of 1 to 7 bytes: the fast ways
    (LF only, CRLF only) and numpy's agree with splitting the whole text."""
    import random

    from ska_sim.calibration import log_lines

    rng = random.Random(3)
    p = tmp_path / "x.csv"
    for _ in range(600):
        data = b"".join(rng.choice([b"a", b"b", b"\n", b"\r", b"\r\n"]) for _ in range(rng.randint(1, 40)))
        monkeypatch.setattr(log_lines, "CHUNK", rng.randint(1, 7))
        p.write_bytes(data)
        lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        lines = lines[:-1] if lines[-1] == b"" else lines
        want = (len(lines), sum(1 for line in lines[1:] if line == b""))
        got = log_lines.count_lines(p)
        assert (got.total, got.empty) == want, data


def _three_broken(clean, tmp_path, third: str):
    """Three broken rows: 10 lacks a field, 30 has a 13th month, and ``third``: row 50 broken by a
    line break inside a field, or copied twice."""
    lines = _lines(clean)
    lines[10] = lines[10].rsplit(",", 1)[0] + "\n"
    lines[30] = lines[30].replace("2026-03-", "2026-13-", 1)
    if third == "line break":
        lines[50] = lines[50][:40] + "\n" + lines[50][40:]
    else:
        lines.insert(51, lines[50])
    p = tmp_path / "calls.csv"
    p.write_text("".join(lines), encoding="utf-8")
    return p, len(lines) - 1


@pytest.mark.parametrize("third", ["line break", "copy"])
def test_three_broken_rows_are_three_skipped_rows(clean, tmp_path, third):
    p, rows = _three_broken(clean, tmp_path, third)
    log = read_log(p, skip_bad_rows=True)
    assert len(log.skipped) == 3, log.skipped
    assert log.skipped["row"].tolist() == [10, 30, 50 if third == "line break" else 51]
    assert len(log.frame) == rows - 3  # the broken row's two lines are one row
    assert any("3 bad rows skipped" in n for n in log.notes)
    res = CliRunner().invoke(main, ["fit", str(p), "--out", str(tmp_path / "f.toml"), "--skip-bad-rows"])
    assert res.exit_code == 0, res.output
    assert "skipped 3 bad rows" in res.output


def test_a_copied_row_keeps_the_call_once(clean, tmp_path):
    p, _ = _three_broken(clean, tmp_path, "copy")
    log = read_log(p, skip_bad_rows=True)
    ids = log.frame["call_id"]
    assert ids.is_unique and 50 in set(ids)


# --------------------------------------------------------------------------- gallery
HEAD = "call_id,caller_id,arrival,answer,end"
ROW = "1,38001085718,2026-03-02T09:00:00,2026-03-02T09:00:10,2026-03-02T09:05:00"
ROW2 = "2,38001085719,2026-03-02T09:01:00,,2026-03-02T09:02:00"
ROW3 = "3,38001085720,2026-03-02T09:04:00,,2026-03-02T09:04:30"


def _outcomes(*words: str) -> str:
    return "\n".join([HEAD + ",outcome"] + [f"{r},{w}" for r, w in zip((ROW, ROW2, ROW3), words)]) + "\n"


def _dates(column: str, cut) -> str:
    rows = [HEAD] + [",".join(cut(v) if i == HEAD.split(",").index(column) and v else v
                              for i, v in enumerate(r.split(","))) for r in (ROW, ROW2, ROW3)]
    return "\n".join(rows) + "\n"


GALLERY = {
    # name: (log text, mapping file text or None, the message expected)
    "unknown outcome words": (_outcomes("ANSWERED", "Lost", "Lost"), None,
                              "log.csv: column 'outcome': values ska-sim does not know: 'Lost' (2); map them in the "
                              "--columns file, e.g. [outcome_values]"),
    "unknown kind": ("\n".join([HEAD + ",kind", ROW + ",Inbound", ROW2 + ",first"]) + "\n", None,
                     "log.csv: column 'kind': values ska-sim does not know: 'Inbound' (1); map them in the --columns "
                     "file, e.g. [kind_values]"),
    "caller ids mapped as outcome": (_outcomes("38001085718", "38001085719", "38001085720"),
                                     '[columns]\noutcome = "caller_id"\ncaller_id = "outcome"\n', None),
    "a value mapped to two outcomes": (_outcomes("A", "B", "A"),
                                       '[outcome_values]\nanswered = ["A"]\nabandoned = ["A", "B"]\n',
                                       "map.toml: outcome_values: 'A' is mapped to both answered and abandoned"),
    "not an outcome of ska-sim": (_outcomes("A", "B", "A"), '[outcome_values]\nlost = ["B"]\n',
                                  "map.toml: outcome_values.lost: not one of ska-sim's outcomes"),
    "columns not a table": (_outcomes("answered", "abandoned", "answered"), 'columns = "Phone"\n',
                            "map.toml: columns: must be a table"),
    "an unknown table in the mapping file": (_outcomes("answered", "abandoned", "answered"),
                                             '[columns]\narrival = "arrival"\n[result_values]\nlost = ["x"]\n',
                                             "map.toml: result_values: not a table of a mapping file"),
    "stray quote": ("\n".join([HEAD, ROW.replace(",38", ',"38', 1), ROW2, ROW3]) + "\n", None,
                    "log.csv lines 2-4: a quoted field (column 'caller_id') runs over 3 lines"),
    "stray quote in a text column": ("\n".join([HEAD + ",call_type", ROW + ',"pensions', ROW2 + ",other", ROW3 + ",x"])
                                     + "\n", None,
                                     "log.csv lines 2-4: a quoted field (column 'call_type') runs over 3 lines, "
                                     "swallowing lines that look like rows of their own"),
    "arrival a date only": (_dates("arrival", lambda v: v[:10]), None,
                            "log.csv: column 'arrival': its values carry no time of day (e.g. '2026-03-02')"),
    "arrival a year only": (_dates("arrival", lambda v: v[:4]), None,
                            "log.csv: column 'arrival': its values carry no time of day (e.g. '2026')"),
    "end at midnight only": (_dates("end", lambda v: v[:10] + "T00:00:00+02:00"), None,
                             "log.csv: column 'end': its values carry no time of day (e.g. '2026-03-02T00:00:00+02:00')"),
    "answer a date only, mapped": (_dates("answer", lambda v: v[:10]).replace("answer", "Date", 1),
                                   '[columns]\nanswer = "Date"\n',
                                   "log.csv: column 'Date' (answer): its values carry no time of day (e.g. '2026-03-02')"),
}


def _gallery_files(tmp_path, name):
    text, mapping, _ = GALLERY[name]
    p = tmp_path / "log.csv"
    p.write_text(text, encoding="utf-8")
    m = None
    if mapping is not None:
        m = tmp_path / "map.toml"
        m.write_text(mapping, encoding="utf-8")
    return p, m


@pytest.mark.parametrize("name", list(GALLERY))
def test_bad_export_gallery(tmp_path, name):
    p, m = _gallery_files(tmp_path, name)
    expected = GALLERY[name][2]
    with pytest.raises(LogError) as exc:
        read_log(p, load_columns(m) if m else None)
    (msg,) = exc.value.problems
    if expected is None:  # a column of caller ids read as outcomes: no value quoted
        assert "(none quoted: is this the outcome column?)" in msg
    else:
        assert msg.replace(f"{tmp_path}/", "").startswith(expected), msg
    assert "3800108571" not in msg


@pytest.mark.parametrize("name", list(GALLERY))
def test_the_command_refuses_each_with_one_line(tmp_path, name):
    p, m = _gallery_files(tmp_path, name)
    out = tmp_path / "fitted.toml"
    res = CliRunner().invoke(main, ["fit", str(p), "--out", str(out)] + (["--columns", str(m)] if m else []))
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    assert "Traceback" not in res.output and "3800108571" not in res.output
    assert not out.exists() and sorted(x.name for x in tmp_path.iterdir()) == sorted(
        ["log.csv"] + (["map.toml"] if m else []))


def test_a_date_on_one_row_is_a_bad_row(tmp_path):
    text = _dates("arrival", lambda v: v)
    lines = text.splitlines()
    lines[1] = lines[1].replace("2026-03-02T09:00:00", "2026-03-02", 1)
    p = tmp_path / "log.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(LogError) as exc:
        read_log(p)
    assert exc.value.problems == ["log.csv row 1: arrival: no time of day (a date without a time)"]
    log = read_log(p, skip_bad_rows=True)
    assert log.skipped["row"].tolist() == [1] and np.array_equal(log.frame["call_id"], [2, 3])
