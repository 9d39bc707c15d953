"""Every line of a CSV call log accounted for: the file's physical lines against the records
read. A line is ended by LF, CRLF or CR; empty lines are no record. When the records read and
the lines differ, some quoted field spans lines: the file is scanned record by record
(:func:`spanning_records`), and a field that spans lines where a call log has none (any column
but the free texts call_type, language, agent_group), or that swallows lines looking like rows
of their own, is a stray quote: the read stops naming the line range. Messages never quote a
value of a row."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ska_sim.calibration.logfile import LogError

CHUNK = 1 << 24  # bytes read at a time when counting lines
TEXT_COLUMNS = ("call_type", "language", "agent_group")  # free texts: a line break in them can be real


@dataclass(frozen=True)
class Lines:
    """The physical lines of a file and the empty ones among them."""

    total: int
    empty: int


def _empty_lines(b: np.ndarray, prev: int) -> int:
    """Empty lines in a chunk ``b`` (uint8) whose preceding byte was ``prev`` (-1 at the start of
    the file): a line ending that starts right where the previous line ending ended."""
    lf, cr = b == 10, b == 13
    before = np.empty(len(b), np.int16)
    before[0] = prev
    before[1:] = b[:-1]
    starts = (lf & (before != 13)) | cr  # an ending starts here (the LF of a CRLF does not start one)
    ended = (before == 10) | ((before == 13) & ~lf)  # an ending ended just before this byte
    return int(np.count_nonzero(starts & ended))


def count_lines(path: Path) -> Lines:
    """The file's physical lines (a last line without an ending counts) and empty lines. Files
    with LF or CRLF endings only take the fast way (counting bytes); mixed endings, numpy's."""
    total = empty = 0
    prev = -1
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            lf, cr = chunk.count(b"\n"), chunk.count(b"\r")
            crlf = chunk.count(b"\r\n") if cr else 0
            joined = prev == 13 and chunk[0] == 10  # the CRLF of the previous chunk's last byte
            total += lf + cr - crlf - joined
            if cr == 0 and prev != 13:  # LF only
                empty += sum(1 for _ in _EMPTY_LF.finditer(chunk)) + (prev == 10 and chunk[0] == 10)
            elif cr == crlf and lf == crlf + joined and chunk[-1] != 13:  # CRLF only
                empty += sum(1 for _ in _EMPTY_CRLF.finditer(chunk)) + (prev in (10, 13) and chunk[:2] == b"\r\n")
            else:
                empty += _empty_lines(np.frombuffer(chunk, np.uint8), prev)
            prev = chunk[-1]
    if prev not in (-1, 10, 13):
        total += 1
    return Lines(total, empty)


def lf_lines(path: Path) -> int | None:
    """The physical lines of a file with LF endings only (the quick count, empty lines
    included), None when it has a CR."""
    total, last = 0, b""
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            if b"\r" in chunk:
                return None
            total += chunk.count(b"\n")
            last = chunk[-1:]
    return total + (last not in (b"", b"\n"))


_EMPTY_LF = re.compile(rb"\n(?=\n)")  # an ending followed at once by another: an empty line
_EMPTY_CRLF = re.compile(rb"\n(?=\r\n)")


@dataclass(frozen=True)
class Span:
    """A record over more than one line: its first and last line (1-based, the header is line
    1), the column of the field that holds the line break, and whether a line inside it looks
    like a row of its own (at least as many commas as the header)."""

    first: int
    last: int
    column: str
    row_like: bool
    extra: int  # lines it takes beyond its first, not counting empty lines inside its fields


def spanning_records(path: Path, header: list[str]) -> list[Span]:
    """The records of a CSV file that span lines (the slow way: Python's csv, record by record)."""
    out = []
    commas = len(header) - 1
    limit = csv.field_size_limit(2**31 - 1)  # a stray quote makes one field of the rest of the file
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
            _scan(csv.reader(f), header, commas, out)
    finally:
        csv.field_size_limit(limit)
    return out


def _scan(reader, header: list[str], commas: int, out: list[Span]) -> None:
    """The records of ``reader`` that span lines, appended to ``out``."""
    last = 0
    for fields in reader:
        first, last = last + 1, reader.line_num
        if last == first or not fields:
            continue
        where = next((i for i, v in enumerate(fields) if "\n" in v or "\r" in v), len(fields) - 1)
        column = header[where] if where < len(header) else f"field {where + 1}"
        text = fields[where]
        inner = [line for v in fields for line in v.splitlines()[1:]]
        row_like = any(line.count(",") >= commas for line in text.splitlines()[1:])
        out.append(Span(first, last, column, row_like, last - first - sum(1 for line in inner if not line)))


def check_lines(path: Path, src: str, header: list[str], records: int, canonical_of: dict[str, str],
                quick: int | None = None) -> int | None:
    """Refuses a CSV log whose lines and records read do not add up, or whose records span lines
    where a call log has no multi-line fields; ``records``: rows read plus rows of the wrong
    number of fields; ``canonical_of``: the file's column -> ska-sim's name; ``quick``: lf_lines
    of the file when already counted. Returns None when every line is one record, else the
    number of records the file holds with its real multi-line text fields (it is then read
    again with line breaks in values, and :func:`check_count` checks that reading)."""
    if (quick if quick is not None else lf_lines(path)) == records + 1:  # the usual file: a line a record
        return None
    lines = count_lines(path)
    expected = lines.total - 1 - lines.empty  # one line a record, the header apart
    if records == expected:
        return None
    spans = spanning_records(path, header) if records < expected else []
    for s in spans:
        name = canonical_of.get(s.column, s.column)
        if name not in TEXT_COLUMNS or s.row_like:
            label = f"column {s.column!r}" + (f" ({name})" if name != s.column else "")
            raise LogError([f"{src} lines {s.first}-{s.last}: a quoted field ({label}) runs over {s.last - s.first + 1:,} "
                            "lines" + (", swallowing lines that look like rows of their own" if s.row_like else "")
                            + ": a stray '\"' at the start of a field? Fix or remove the quote"
                            + (f" ({name} never holds a line break)" if name not in TEXT_COLUMNS else "")])
    if not spans:
        check_count(src, records, expected, lines)
    return expected - sum(s.extra for s in spans)


def check_count(src: str, records: int, expected: int, lines: Lines | None = None) -> None:
    """The records read are the records the file's lines hold, or the read stops."""
    if records != expected:
        where = f"{lines.total:,} lines ({lines.empty:,} empty) hold {expected:,} records" if lines else \
            f"its lines hold {expected:,} records"
        raise LogError([f"{src}: {where} but {records:,} were read: the counts do not add up (a damaged file?)"])
