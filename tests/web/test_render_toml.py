"""Saving a plan as a scenario file (render_toml): every comment stays with the key or table
it belongs to, on every scenario file in scenarios/, with and without an edit of the staffing grid."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import Counter

import pytest

from ska_sim.web.documents import render_toml
from conftest import ROOT

SCENARIOS = [p for p in sorted((ROOT / "scenarios").glob("*.toml")) if "scenario" in tomllib.loads(p.read_text())]


def _code_and_comment(line: str) -> tuple[str, str]:
    """(the line's TOML, its comment from '#'), '#' inside strings left alone."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i], line[i:].strip()
    return line, ""


def comment_owners(text: str) -> Counter:
    """Each comment with the line it belongs to: its own line's key, or for a comment line the
    next key or table header below it (keys named with their table and [[array]] number)."""
    owners: Counter = Counter()
    pending: list[str] = []
    header, aot, depth, key = "", 0, 0, None
    for raw in text.splitlines():
        code, comment = _code_and_comment(raw)
        code = code.strip()
        if depth > 0:  # inside a multi-line array: its comments belong to its key
            depth += code.count("[") - code.count("]")
            if comment:
                owners[(comment, key)] += 1
            continue
        if not code:
            if comment:
                pending.append(comment)
            continue
        if code.startswith("["):
            aot += code.startswith("[[")
            header = code
            key = (aot, header, "")
        else:
            key = (aot, header, code.split("=", 1)[0].strip())
            depth = code.count("[") - code.count("]")
        owners.update((c, key) for c in pending)
        pending = []
        if comment:
            owners[(comment, key)] += 1
    owners.update((c, "end of file") for c in pending)
    return owners


def grid_edit(text: str) -> list[str]:
    """The --set options of the page's "Save as" after an edit of the staffing grid: the week,
    weekday rows replaced and added, dated rows added (per group with [[groups]])."""
    data = tomllib.loads(text)
    start = data["calendar"]["start"]
    day = (start + dt.timedelta(days=1)).isoformat()
    n = len(data["arrivals"]["profile"])
    row = "[" + ", ".join(str(3 + i % 4) for i in range(n)) + "]"
    sets = [f"calendar.start={start.isoformat()}", "calendar.days=7"]
    if data.get("groups"):
        last = len(data["groups"]) - 1
        return sets + [f"groups[0].agents.mon={row}", f"groups[0].agents.sat={row}", f"groups[0].dates.{day}={row}",
                       f"groups[{last}].dates.{start.isoformat()}={row}", f"groups[{last}].agents.tue={row}"]
    return sets + [f"staffing.agents.mon={row}", f"staffing.agents.sat={row}", f"staffing.dates.{day}={row}",
                   f"staffing.dates.{start.isoformat()}={row}"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_saving_without_an_edit_gives_the_file_back(path):
    text = path.read_text(encoding="utf-8")
    assert render_toml(text, []) == text


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_saving_a_grid_edit_keeps_every_comment_with_its_key(path):
    text = path.read_text(encoding="utf-8")
    sets = grid_edit(text)
    out = render_toml(text, sets)
    assert comment_owners(out) == comment_owners(text)
    data = tomllib.loads(out)  # and the edits are there
    for s in sets[2:]:
        key, value = s.split("=", 1)
        node = data
        for part in key.replace("[", ".").replace("]", "").split("."):
            node = node[int(part)] if part.isdigit() else node[part]
        assert node == [int(x) for x in value.strip("[]").split(", ")], key


def test_a_new_table_goes_above_the_comment_of_the_next_table():
    text = ("[staffing]\nscale = 1.0\n[staffing.agents]\ndefault = [1, 2]\n\n# the targets: SOURCED\n"
            "[targets]\nanswer_rate = 0.9\n")
    out = render_toml(text, ["staffing.dates.2026-03-02=[3, 4]"])
    assert out.index("[staffing.dates]") < out.index("# the targets") and "# the targets: SOURCED\n[targets]" in out
    out = render_toml(text, ["staffing.agents.mon=[5, 6]"])
    assert out.index("mon = [5, 6]") < out.index("# the targets")
