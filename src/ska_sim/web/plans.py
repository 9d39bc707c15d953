"""Plans the page sends (a scenario's name, the week, the edits as ``--set`` pairs), checked
and turned into exactly the ``--set KEY=VALUE`` options the command line would get; the work
folder's files, named and never given as paths (:class:`Workspace`); problems as JSON."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.files import write_with
from ska_sim.scenario.load import read_toml
from ska_sim.scenario.model import Scenario
from ska_sim.web.messages import problem_code
from ska_sim.web.weeks import WeekRefused, week_of
from ska_sim.web.weeks import week_sets as week_sets_of

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.toml$")
STEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_VEC = r"(agents\.(?:default|mon|tue|wed|thu|fri|sat|sun)|dates\.\d{4}-\d{2}-\d{2})"
EDITABLE = re.compile(
    r"^(arrivals\.volume_scale|staffing\.scale|patience\.mean_s"
    r"|call_types\[\d{1,3}\]\.(?:talk\.mean_s|resolved)"
    rf"|staffing\.{_VEC}|groups\[\d{{1,3}}\]\.{_VEC}"
    r"|arrivals\.forecast\.override\.\d{4}-\d{2}-\d{2})$"  # a manager's volume for a day, over the forecast
)
MAX_TEXT = 64  # characters of one field or grid cell
MAX_CELLS = 24 * 60  # cells in one grid row (1-minute intervals around the clock at most)
MAX_REPLICATIONS_PAGE = 200
MAX_SEED_PAGE = 2**53 - 1  # the largest whole number a browser's JavaScript keeps exactly
MAX_DEPTH = 8  # nesting of a request's JSON (the page's deepest: body -> plan -> edits -> a grid row)
MAX_INT_DIGITS = 18  # digits of a whole number in a request (any larger: refused, naming the field)
CACHE_SIZE = 12  # simulated plans kept (each a few hundred kB: a skills week of 20 replications 0.8 MB)
MAX_CLIENTS = 256  # pages whose generation counter is remembered
KPIS_SHOWN = ("service_level", "answer_rate", "fcr", "abandon_rate", "asa_s", "offered", "answered", "abandoned",
              "occupancy", "repeat_calls", "redials", "waiting_hours")


class BadRequest(Exception):
    """A malformed request: 4xx with a JSON error (never a traceback)."""

    def __init__(self, message: str, status: int = 400, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


@contextlib.contextmanager
def week_refused():
    """A week the page cannot show (web/weeks.py) as a 4xx JSON error naming its field."""
    try:
        yield
    except WeekRefused as exc:
        raise BadRequest(exc.message, exc.status, field=exc.field, code=exc.code, params=exc.params) from None


# --------------------------------------------------------------------------- files
class Workspace:
    """The work folder: scenarios are named (``baseline.toml``), never given as paths."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def path(self, name: Any, must_exist: bool = True, field: str = "scenario") -> Path:
        """The work folder's file ``name``; ``field``: the request's field that named it (in messages)."""
        if not isinstance(name, str) or not NAME_RE.fullmatch(name) or ".." in name:
            raise BadRequest(f"{field}: {str(name)[:80]!r} is not a scenario name: a file name ending in .toml "
                             "(letters, digits, '.', '_', '-'), no folders", 400, field=field, code="bad_name")
        p = self.root / name
        if p.resolve().parent != self.root:  # a symbolic link out of the work folder
            raise BadRequest(f"{field}: {name}: not a file of the work folder", 400, field=field)
        if must_exist and not p.is_file():
            raise BadRequest(f"{field}: {name}: no such scenario in the work folder", 404, field=field,
                             code="no_such_scenario", params={"name": name})
        return p

    def export_folder(self, stem: str) -> Path:
        """``exports/<stem>`` of the work folder, refused when ``exports`` or ``exports/<stem>`` is a
        symbolic link (the page writes inside the work folder only) or not a folder."""
        for p in (self.root / "exports", self.root / "exports" / stem):
            shown = p.relative_to(self.root).as_posix()
            if p.is_symlink():
                raise BadRequest(f"{shown}: is a symbolic link (to {os.readlink(p)}); the page writes its exports "
                                 f"only into a real folder {shown}/ of the work folder: remove the link or move "
                                 "the folder there", 409, field=shown)
            if p.exists() and not p.is_dir():
                raise BadRequest(f"{shown}: is not a folder; the page writes its exports into the folder "
                                 f"{shown}/ of the work folder", 409, field=shown)
        return self.root / "exports" / stem

    def scenarios(self) -> list[dict]:
        out = []
        for p in sorted(self.root.glob("*.toml")):
            if not NAME_RE.fullmatch(p.name) or p.resolve().parent != self.root:
                continue
            try:
                data = read_toml(p)
            except ScenarioError as exc:
                out.append({"name": p.name, "title": "", "error": str(exc.problems[0])})
                continue
            if "calendar" not in data:  # a shifts file or another TOML file: not a scenario
                continue
            meta = data.get("scenario", {}) if isinstance(data.get("scenario"), dict) else {}
            out.append({"name": p.name, "title": str(meta.get("name", p.stem))})
        return out


def write_keeping_mode(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically; an existing file keeps its permission bits (a 0600
    scenario stays 0600), set on the temporary file before the text is written."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None

    def writer(tmp: Path) -> None:
        if mode is not None:  # writable by its owner while written (a read-only file stays read-only)
            os.chmod(tmp, mode | stat.S_IWUSR)
        tmp.write_text(text, encoding="utf-8")
        if mode is not None:
            os.chmod(tmp, mode)

    write_with(path, writer)


# --------------------------------------------------------------------------- request bodies
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


class _NotANumber:
    """A number in a request that has no finite value (NaN, Infinity, 1e400) or too many digits."""

    def __init__(self, text: str):
        self.text = text


def _field_path(frames: list[list]) -> str:
    out = ""
    for kind, at in frames:
        if kind == "[":
            out += f"[{at}]"
        elif at is not None:
            out += f".{at}" if out else str(at)
    return out or "the request body"


def nested_too_deep(text: str, limit: int = MAX_DEPTH) -> str | None:
    """The field (``plan.edits.KEY[0]``) where JSON ``text`` nests deeper than ``limit`` objects
    and lists, or None. Scanned without parsing (no recursion), strings skipped."""
    if text.count("[") + text.count("{") <= limit:
        return None
    frames: list[list] = []  # per open object or list: ["{", its current key] or ["[", the index]
    last = None  # the last string: a key when a ':' follows
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok[0] == '"':
            last = tok
        elif tok in "[{":
            if len(frames) >= limit:
                return _field_path(frames)
            frames.append([tok, 0 if tok == "[" else None])
        elif tok in "]}" and frames:
            frames.pop()
        elif tok == ":" and frames and frames[-1][0] == "{" and last is not None:
            try:
                frames[-1][1] = json.loads(last)
            except ValueError:
                frames[-1][1] = last
        elif tok == "," and frames and frames[-1][0] == "[":
            frames[-1][1] += 1
    return None


def _whole(text: str):
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else _NotANumber(text)


def _finite(text: str):
    x = float(text)
    return x if math.isfinite(x) else _NotANumber(text)


def _not_a_number(value: Any, path: str) -> tuple[str, str] | None:
    """(field, text) of the first number in ``value`` that is not finite, depth-first."""
    if isinstance(value, _NotANumber):
        return path or "the request body", value.text
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        found = _not_a_number(v, f"{path}[{k}]" if isinstance(k, int) else (f"{path}.{k}" if path else str(k)))
        if found:
            return found
    return None


def parse_body(raw: bytes) -> dict:
    """A request's JSON body: an object whose numbers are finite and of at most
    :data:`MAX_INT_DIGITS` digits, nested at most :data:`MAX_DEPTH` deep; else BadRequest naming the field."""
    try:
        text = raw.decode("utf-8-sig") if raw else "null"
    except UnicodeDecodeError as exc:
        raise BadRequest(f"malformed JSON: not UTF-8 ({exc.reason} at byte {exc.start})", 400) from None
    deep = nested_too_deep(text)
    if deep is not None:
        raise BadRequest(f"{deep}: nested deeper than {MAX_DEPTH} levels of objects and lists", 400, field=deep)
    try:
        data = json.loads(text, parse_int=_whole, parse_float=_finite, parse_constant=_NotANumber)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"malformed JSON: {exc}", 400) from None
    bad = _not_a_number(data, "")
    if bad is not None:
        field, number = bad
        raise BadRequest(f"{field}: {number[:40]}{'...' if len(number) > 40 else ''} is not a finite number of at most "
                         f"{MAX_INT_DIGITS} digits", 400, field=field)
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object", 400)
    return data


def share_of(value: Any, field: str, lo: float, hi: float) -> float:
    """``value`` (a JSON number or the text typed) as a number from ``lo`` to ``hi``."""
    x = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        x = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?(\d{1,6}(\.\d{0,6})?|\.\d{1,6})\s*", value):
        x = float(value)
    if x is None or not math.isfinite(x):
        raise BadRequest(f"{field}: {str(value)[:40]!r} is not a number", 400, field=field, code="not_a_number",
                         params={"got": str(value)[:40]})
    if not lo <= x <= hi:
        raise BadRequest(f"{field}: from {lo:g} to {hi:g} (got {x:g})", 400, field=field, code="range",
                         params={"lo": lo, "hi": hi, "got": x})
    return x


def whole_number(value: Any, field: str, lo: int, hi: int) -> int:
    """``value`` (a JSON number or the text typed) as a whole number from ``lo`` to ``hi``."""
    n = None
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        n = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,%d}\s*" % MAX_INT_DIGITS, value):
        n = int(value)
    if n is None:
        raise BadRequest(f"{field}: {str(value)[:40]!r} is not a whole number", 400, field=field, code="not_whole",
                         params={"got": str(value)[:40]})
    if not lo <= n <= hi:
        raise BadRequest(f"{field}: from {lo:,} to {hi:,} on the page (got {n:,})", 400, field=field, code="range",
                         params={"lo": lo, "hi": hi, "got": n})
    return n


# --------------------------------------------------------------------------- plans
def _text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise BadRequest(f"{where}: must be text or a number", 400)
    text = str(value).strip()
    if len(text) > MAX_TEXT or "\n" in text or "\r" in text:
        raise BadRequest(f"{where}: at most {MAX_TEXT} characters on one line", 400)
    return text


def plan_overrides(plan: Any) -> tuple[str, list[str], list[str]]:
    """(scenario name, the week's --set options, the edits' --set options) of a plan."""
    if not isinstance(plan, dict):
        raise BadRequest("plan: must be a JSON object", 400, field="plan")
    name = plan.get("scenario")
    week = plan.get("week")
    week_sets: list[str] = []
    if week not in (None, ""):  # any day of the week: its Monday (web/weeks.py)
        with week_refused():
            week_sets = week_sets_of(week_of(week))
    edits = plan.get("edits") or {}
    if not isinstance(edits, dict):
        raise BadRequest("edits: must be an object of KEY -> value", 400)
    sets = []
    for key, value in edits.items():
        if not isinstance(key, str) or not EDITABLE.fullmatch(key):
            raise BadRequest(f"edits: {str(key)[:80]!r} is not a key the page edits", 400)
        if isinstance(value, list):
            if len(value) > MAX_CELLS:
                raise BadRequest(f"{key}: at most {MAX_CELLS} cells", 400)
            text = "[" + ", ".join(_text(c, key) for c in value) + "]"
        else:
            text = _text(value, key)
        sets.append(f"{key}={text}")
    return name, week_sets, sets


def refuse_edits_of_nothing(s: Scenario, sets: list[str]) -> None:
    """An edit the scenario would not use: ``patience.mean_s`` when every call type has its own
    patience (call_types[].patience), so [patience] applies to no call (409, the key named)."""
    for opt in sets:
        if opt.split("=", 1)[0] == "patience.mean_s" and all(ct.patience is not None for ct in s.call_types):
            raise BadRequest("patience.mean_s: every call type has its own patience (call_types[].patience), so "
                             "[patience] applies to no call; the page does not edit a call type's patience: "
                             "edit the scenario file", 409, field="patience.mean_s")


def replications_seed(plan: dict, s: Scenario) -> tuple[int, int]:
    reps, seed = plan.get("replications"), plan.get("seed")
    if reps in (None, ""):
        reps = s.simulation.replications
    if seed in (None, ""):
        seed = s.simulation.seed
    return (whole_number(reps, "replications", 1, MAX_REPLICATIONS_PAGE),
            whole_number(seed, "seed", 0, MAX_SEED_PAGE))


def problems_json(problems: list[Problem]) -> list[dict]:
    """Each problem as the CLI prints it (without 'error: '), the edited key it belongs to, and
    what is wrong as a machine key and its parameters (web/messages.py) the page puts in words."""
    out = []
    for p in problems:
        field = None
        if p.source.startswith("--set "):
            field = p.source[len("--set "):].split("=", 1)[0].strip()
        out.append({"field": field, "path": p.path, "message": str(p), **problem_code(p.message)})
    return out
