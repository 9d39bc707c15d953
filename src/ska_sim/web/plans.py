"""Plans the page sends (a scenario's name, the week, the edits as ``--set`` pairs), checked
and turned into exactly the ``--set KEY=VALUE`` options the command line would get; the work
folder's files, named and never given as paths (:class:`Workspace`); problems as JSON."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.scenario.load import read_toml
from ska_sim.scenario.model import Scenario

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.toml$")
STEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_VEC = r"(agents\.(?:default|mon|tue|wed|thu|fri|sat|sun)|dates\.\d{4}-\d{2}-\d{2})"
EDITABLE = re.compile(
    r"^(arrivals\.volume_scale|staffing\.scale|patience\.mean_s"
    r"|call_types\[\d{1,3}\]\.(?:talk\.mean_s|resolved)"
    rf"|staffing\.{_VEC}|groups\[\d{{1,3}}\]\.{_VEC})$"
)
MAX_TEXT = 64  # characters of one field or grid cell
MAX_CELLS = 24 * 60  # cells in one grid row (1-minute intervals around the clock at most)
MAX_REPLICATIONS_PAGE = 200
CACHE_SIZE = 24  # simulated plans kept (each a few hundred kB)
MAX_CLIENTS = 256  # pages whose generation counter is remembered
KPIS_SHOWN = ("service_level", "answer_rate", "fcr", "abandon_rate", "asa_s", "offered", "answered", "abandoned",
              "occupancy", "repeat_calls", "redials", "waiting_hours")


class BadRequest(Exception):
    """A malformed request: 4xx with a JSON error (never a traceback)."""

    def __init__(self, message: str, status: int = 400, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


# --------------------------------------------------------------------------- files
class Workspace:
    """The work folder: scenarios are named (``baseline.toml``), never given as paths."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def path(self, name: Any, must_exist: bool = True) -> Path:
        if not isinstance(name, str) or not NAME_RE.fullmatch(name) or ".." in name:
            raise BadRequest(f"{str(name)[:80]!r} is not a scenario name: a file name ending in .toml "
                             "(letters, digits, '.', '_', '-'), no folders", 400)
        p = self.root / name
        if p.resolve().parent != self.root:  # a symbolic link out of the work folder
            raise BadRequest(f"{name}: not a file of the work folder", 400)
        if must_exist and not p.is_file():
            raise BadRequest(f"{name}: no such scenario in the work folder", 404)
        return p

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
        raise BadRequest("the plan must be a JSON object", 400)
    name = plan.get("scenario")
    week = plan.get("week")
    week_sets: list[str] = []
    if week not in (None, ""):
        if not isinstance(week, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", week):
            raise BadRequest("week: must be a date YYYY-MM-DD (its Monday) or null", 400)
        try:
            dt.date.fromisoformat(week)
        except ValueError:
            raise BadRequest(f"week: {week} is not a date", 400) from None
        week_sets = [f"calendar.start={week}", "calendar.days=7"]
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


def replications_seed(plan: dict, s: Scenario) -> tuple[int, int]:
    reps, seed = plan.get("replications"), plan.get("seed")
    if reps in (None, ""):
        reps = s.simulation.replications
    if seed in (None, ""):
        seed = s.simulation.seed
    try:
        reps, seed = int(reps), int(seed)
    except (TypeError, ValueError):
        raise BadRequest("replications and seed must be whole numbers", 400) from None
    if not 1 <= reps <= MAX_REPLICATIONS_PAGE:
        raise BadRequest(f"replications: from 1 to {MAX_REPLICATIONS_PAGE} on the page", 400)
    if seed < 0:
        raise BadRequest("seed: must be >= 0", 400)
    return reps, seed


def problems_json(problems: list[Problem]) -> list[dict]:
    """Each problem as the CLI prints it (without 'error: ') and the edited key it belongs to."""
    out = []
    for p in problems:
        field = None
        if p.source.startswith("--set "):
            field = p.source[len("--set "):].split("=", 1)[0].strip()
        out.append({"field": field, "path": p.path, "message": str(p)})
    return out
