"""What the planning page asks for, answered by the library (never the CLI).

A *plan* is what the browser sends: the scenario's name in the work folder, the week, and
the page's edits as ``--set`` pairs (key -> the text typed, or the list of a grid row's
cells). The edits become exactly the ``--set KEY=VALUE`` options the command line would
get, so the scenario is validated by the same models and an invalid field gets the message
``ska-sim run FILE --set KEY=VALUE`` prints. Only the keys in :data:`EDITABLE` can be sent;
files are named, never given as paths (:class:`Workspace`).

Replications run on a warm pool of processes started once (:class:`~ska_sim.sim.executors.WarmPool`): a newer edit from the same
page supersedes the running one, whose remaining replications are cancelled (a generation
counter checked between replications). Results are cached (bounded LRU), so the saved plan
the page compares against (same seed: common random numbers) is simulated once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ska_sim.sim.executors import Cancelled, Executor, WarmPool
from ska_sim.sim.runner import simulate
from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.scenario.clock import WEEKDAYS, format_clock
from ska_sim.scenario.load import read_toml, scenario_from_dict
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


# --------------------------------------------------------------------------- the service
@dataclass
class Simulated:
    scenario: Scenario
    result: Any  # SimulationResult
    timeline: Any
    cost: dict | None = None  # paid hours and FTE, computed once (the saved plan's at every edit)


class Service:
    """Everything the page asks for; thread-safe (each request runs in a worker thread)."""

    def __init__(self, workdir: str | Path, workers: int = 2, default: str | None = None):
        self.ws = Workspace(workdir)
        self.pool = WarmPool(workers)
        self.default = default
        self._cache: OrderedDict = OrderedDict()
        self._gen: OrderedDict = OrderedDict()
        self._progress: dict[str, dict] = {}
        self._rosters: dict = {}  # (roster file, mtime, size) -> its RosterPlan
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- sessions
    def _client(self, plan: dict) -> str:
        c = plan.get("client", "")
        if not isinstance(c, str) or not re.fullmatch(r"[A-Za-z0-9_-]{0,64}", c):
            raise BadRequest("client: letters, digits, '_' and '-' only", 400)
        return c or "anonymous"

    def _bump(self, client: str) -> Callable[[], bool]:
        with self._lock:
            gen = self._gen.pop(client, 0) + 1
            self._gen[client] = gen
            while len(self._gen) > MAX_CLIENTS:
                old, _ = self._gen.popitem(last=False)
                self._progress.pop(old, None)
        return lambda: self._gen.get(client) != gen

    def progress(self, client: str) -> dict:
        with self._lock:
            return dict(self._progress.get(client, {"done": 0, "total": 0, "phase": ""}))

    def _set_progress(self, client: str, phase: str, done: int, total: int) -> None:
        with self._lock:
            if client in self._gen:
                self._progress[client] = {"done": done, "total": total, "phase": phase}

    # ---------------------------------------------------------------- scenarios
    def load(self, name: str, overrides: list[str]) -> Scenario:
        path = self.ws.path(name)
        s = scenario_from_dict(read_toml(path), source=name, overrides=tuple(overrides))
        if s.roster is not None:  # roster.file: the saved roster `run` simulates (rules checked once per file)
            s.roster._base_dir = str(path.parent)
            if s.roster.file:
                s = self._with_roster(s, name)
        return s

    def _with_roster(self, s: Scenario, name: str) -> Scenario:
        from ska_sim.plan.roster import attach, read_roster_csv, resolve, rest_violations

        f = resolve(s, s.roster.file).resolve()
        if self.ws.root.resolve() not in f.parents:
            raise BadRequest(f"{name}: roster.file: {s.roster.file} is outside the work folder", 400)
        try:
            st = f.stat()
        except OSError:
            raise ScenarioError([Problem(name, "roster.file", f"{s.roster.file}: no such file")]) from None
        key = (str(f), st.st_mtime_ns, st.st_size)
        with self._lock:
            plan = self._rosters.get(key)
        if plan is None:
            plan = read_roster_csv(f)
            problems = [Problem(str(f.name), "", v) for v in rest_violations(plan)]
            if problems:
                raise ScenarioError(problems)
            with self._lock:
                self._rosters = {key: plan}  # the last file read (a year's roster loads in ~3.5 s)
        return attach(s, plan)

    def scenarios(self) -> dict:
        return {"workdir": self.ws.root.name, "scenarios": self.ws.scenarios(), "default": self.default}

    def describe(self, name: str, week: str | None = None) -> dict:
        """What the page needs to draw a scenario's fields and grid (for ``week``: its Monday)."""
        _, week_sets, _ = plan_overrides({"scenario": name, "week": week})
        s = self.load(name, week_sets)
        doc = describe_scenario(name, s)
        if week_sets:  # the weeks to pick from are the saved window's
            doc["window"] = describe_scenario(name, self.load(name, []))["window"]
        return doc

    def _simulate(self, s: Scenario, reps: int, seed: int, executor: Executor) -> Simulated:
        key = (s.digest(), reps, seed)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        result = simulate(s, reps, seed, executor=executor)
        sim = Simulated(s, result, result.timeline)
        with self._lock:
            self._cache[key] = sim
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return sim

    def _cached(self, s: Scenario, reps: int, seed: int) -> bool:
        with self._lock:
            return (s.digest(), reps, seed) in self._cache

    def _prepare(self, plan: Any):
        name, week, sets = plan_overrides(plan)
        client = self._client(plan)
        s = self.load(name, week + sets)
        saved = self.load(name, week) if sets else s
        reps, seed = replications_seed(plan, s)
        return name, week, sets, client, s, saved, reps, seed

    # ---------------------------------------------------------------- one edit
    def run(self, plan: Any) -> dict:
        """Simulate the plan (and the saved plan, once) and return what the page shows."""
        t0 = time.perf_counter()
        name, week, sets, client, s, saved, reps, seed = self._prepare(plan)
        cancelled = self._bump(client)
        todo = [x for x in (s, saved) if not self._cached(x, reps, seed)]
        total = reps * len({x.digest() for x in todo})
        state = {"done": 0}

        def progress(done: int, n: int) -> None:
            self._set_progress(client, "replications", state["done"] + done, total)

        self._set_progress(client, "replications", 0, total)
        ex = Executor(pool=self.pool, cancelled=cancelled, progress=progress)
        try:
            cur = self._simulate(s, reps, seed, ex)
            state["done"] = 0 if self._cached(saved, reps, seed) else reps
            base = self._simulate(saved, reps, seed, ex)
        except Cancelled:
            return {"superseded": True}
        doc = page_result(cur, base)
        doc.update(scenario=name, edits=len(sets), elapsed_s=time.perf_counter() - t0)
        return doc

    # ---------------------------------------------------------------- staffing help
    def fill(self, plan: Any, method: str, group: Any = None) -> dict:
        """The Erlang (or simulation) requirement per interval, as grid rows, and its cost."""
        from ska_sim.plan.by_simulation import simulation_plan
        from ska_sim.plan.requirement import erlang_plan

        if method not in ("erlang", "simulation"):
            raise BadRequest("method: erlang or simulation", 400)
        name, week, sets, client, s, saved, reps, seed = self._prepare(plan)
        gi = self._group_index(s, group)
        cancelled = self._bump(client)
        ex = Executor(pool=self.pool, cancelled=cancelled, progress=lambda d, n: self._set_progress(client, "simulation iterations", d, n))
        try:
            if s.groups:
                from ska_sim.plan.staffing_groups import erlang_group_plan, simulation_group_plan

                p = erlang_group_plan(s) if method == "erlang" else simulation_group_plan(
                    s, replications=min(reps, 10), seed=seed, executor=ex)
            else:
                p = erlang_plan(s) if method == "erlang" else simulation_plan(
                    s, replications=min(reps, 10), seed=seed, executor=ex)
        except Cancelled:
            return {"superseded": True}
        return self._as_rows(s, p.agents, gi, f"{method} requirement")

    def add_best(self, plan: Any, k: Any, group: Any = None) -> dict:
        """k agents more where Erlang says they buy most (whatif.marginal, spread 'best')."""
        from ska_sim.plan.marginal import marginal

        try:
            k = int(k)
        except (TypeError, ValueError):
            raise BadRequest("k: a whole number of agents", 400) from None
        if not -20 <= k <= 20 or k == 0:
            raise BadRequest("k: from -20 to 20 agents, not 0", 400)
        name, week, sets, client, s, saved, reps, seed = self._prepare(plan)
        gi = self._group_index(s, group)
        cancelled = self._bump(client)
        ex = Executor(pool=self.pool, cancelled=cancelled)
        try:
            mg = marginal(s, [0, k], "best", reps, seed, executor=ex,
                          progress=lambda d, n: self._set_progress(client, "steps", d, n),
                          group=s.groups[gi].name if s.groups else None)
        except Cancelled:
            return {"superseded": True}
        scen = mg.results[k].scenario
        row = mg.table.set_index("step").loc[k]
        what = f"{k:+d} agents where they buy most"
        if scen.roster is not None and scen.roster._extra is not None:  # a roster: k agents on top of it
            from ska_sim.scenario.timeline import build_timeline

            tl = build_timeline(scen)  # the roster's agents (everyone present) + the step's
            out = self._as_rows(s, tl.iv_group_agents if s.groups else tl.iv_agents, gi, what)
        else:
            vectors = scen.groups[gi].dates if s.groups else scen.staffing.dates
            out = self._date_rows(s, vectors, gi, what)
        out["buys"] = {c: _num(row[c]) for c in row.index if c.startswith(("service_level", "answer_rate",
                                                                           "answered_per_week", "abandoned_per_week"))}
        out["cost"].update(paid_hours_change_per_week=_num(row["paid_hours_change_per_week"]),
                           fte_change=_num(row["fte_change"]))
        return out

    def _group_index(self, s: Scenario, group: Any) -> int | None:
        if not s.groups:
            return None
        names = [g.name for g in s.groups]
        if group is None:
            return 0
        if group not in names:
            raise BadRequest(f"group: {str(group)[:80]!r} is not one of {', '.join(names)}", 400)
        return names.index(group)

    def _as_rows(self, s: Scenario, agents: np.ndarray, gi: int | None, what: str) -> dict:
        from ska_sim.scenario.timeline import build_timeline

        tl = build_timeline(s)
        col = agents[:, gi] if agents.ndim == 2 else agents
        vectors = {tl.dates[d]: [int(a) for a in col[tl.iv_day == d]] for d in np.unique(tl.iv_day)}
        # with groups only the chosen group's agents change (the page fills that group's grid)
        return self._date_rows(s, vectors, gi, what, None if agents.ndim == 2 else agents)

    def _date_rows(self, s: Scenario, vectors: dict, gi: int | None, what: str, agents=None) -> dict:
        """The measured dates' agents (raw, scale 1) and the cost against the plan as it is."""
        from ska_sim.plan.people import fte_of, paid_hours_of
        from ska_sim.scenario.timeline import build_timeline

        tl = build_timeline(s)
        m = tl.iv_measured()
        if agents is None:  # per-date vectors of one group (or the one pool) -> per interval, all groups
            col = np.concatenate([vectors[tl.dates[d]] for d in np.unique(tl.iv_day)]).astype(np.int64)
            full = tl.iv_group_agents.copy() if gi is not None else None
            if full is not None:
                full[:, gi] = col
                agents = full
            else:
                agents = col
        total = agents.sum(axis=1) if agents.ndim == 2 else agents
        paid0, paid1 = paid_hours_of(s, tl, tl.iv_agents, m), paid_hours_of(s, tl, total, m)
        measured = {tl.dates[d].isoformat() for d in np.unique(tl.iv_day[m])}
        rows = {d.isoformat(): list(v) for d, v in vectors.items() if d.isoformat() in measured}
        return {"what": what, "group": None if gi is None else s.groups[gi].name, "dates": rows,
                "cost": {"paid_hours_before": paid0, "paid_hours_after": paid1, "paid_hours_change": paid1 - paid0,
                         "fte_before": fte_of(s, paid0), "fte_after": fte_of(s, paid1),
                         "fte_change": fte_of(s, paid1) - fte_of(s, paid0)}}

    # ---------------------------------------------------------------- files
    def toml_of(self, plan: Any, target: Any = None) -> dict:
        """The plan as a scenario file (comments kept), validated, and its diff with ``target``
        (the file it would replace; the plan's own file when none is given)."""
        name, week, sets = plan_overrides(plan)
        src = self.ws.path(name)
        dest = self.ws.path(target or name, must_exist=False)
        text = src.read_text(encoding="utf-8-sig")
        new = render_toml(text, week + sets)
        import tomllib

        scenario_from_dict(tomllib.loads(new), source=dest.name)  # the same models as `validate`
        old = dest.read_text(encoding="utf-8-sig") if dest.exists() else ""
        diff = "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                            fromfile=f"{dest.name} (on disk)" if old else "/dev/null",
                                            tofile=f"{dest.name} (this plan)"))
        return {"name": dest.name, "exists": dest.exists(), "text": new, "diff": diff, "path": dest}

    def save(self, plan: Any, target: Any, overwrite: bool, duplicate: bool = False) -> dict:
        from ska_sim.base.files import write_text

        if duplicate:  # the saved file as it is, under another name
            plan = {"scenario": plan.get("scenario") if isinstance(plan, dict) else None}
        doc = self.toml_of(plan, target)
        if doc["exists"] and overwrite is not True:
            raise BadRequest(f"{doc['name']} exists: confirm to overwrite it", 409, diff=doc["diff"], name=doc["name"])
        if doc["exists"] and not doc["diff"]:
            return {"name": doc["name"], "written": False, "diff": ""}
        write_text(doc["path"], doc["text"])
        return {"name": doc["name"], "written": True, "diff": doc["diff"]}

    def compare(self, plan: Any, other: Any) -> dict:
        """The plan beside another saved plan: whatif.compare (same seed, paired differences)."""
        from ska_sim.plan.compare import compare

        name, week, sets, client, s, saved, reps, seed = self._prepare(plan)
        o = self.load(other, week) if isinstance(other, str) else None
        if o is None:
            raise BadRequest("other: the name of a scenario in the work folder", 400)
        cancelled = self._bump(client)
        ex = Executor(pool=self.pool, cancelled=cancelled)
        label = f"this plan ({name}{', edited' if sets else ''})"
        try:
            # plans of different windows compare as rates per open day (the CLI's --allow-different-calendars)
            cmp = compare([(label, s), (f"{o.name} ({other})", o)], reps, seed, executor=ex,
                          progress=lambda d, n: self._set_progress(client, "scenarios", d, n),
                          allow_different_calendars=True)
        except Cancelled:
            return {"superseded": True}
        from ska_sim.base.jsonable import json_records

        return {"labels": cmp.labels, "per_open_day": cmp.per_day,
                "rows": json_records(cmp.table[cmp.table["kpi"].isin(KPIS_SHOWN)])}

    def export(self, plan: Any) -> dict:
        """The current plan's HTML report and CSV tables, in exports/<name>/ of the work folder."""
        from ska_sim.report.output import write_result
        from ska_sim.base.files import write_text
        from ska_sim.report.html import build_report

        name, week, sets, client, s, saved, reps, seed = self._prepare(plan)
        stem = plan.get("export_name") or (Path(name).stem + ("-edited" if sets else ""))
        if not isinstance(stem, str) or not STEM_RE.fullmatch(stem) or ".." in stem:
            raise BadRequest("export_name: letters, digits, '.', '_', '-' only", 400)
        cancelled = self._bump(client)
        ex = Executor(pool=self.pool, cancelled=cancelled, progress=lambda d, n: self._set_progress(client, "replications", d, n))
        try:
            sim = self._simulate(s, reps, seed, ex)
        except Cancelled:
            return {"superseded": True}
        out = self.ws.root / "exports" / stem
        files = write_result(sim.result, out, plots=False, source=name, overrides=week + sets)
        write_text(out / "report.html", build_report(sim.result, None, None, label=f"{s.name} ({name})"))
        files.append(out / "report.html")
        return {"folder": f"exports/{stem}", "files": sorted(p.name for p in files)}


# --------------------------------------------------------------------------- documents for the page
def describe_scenario(name: str, s: Scenario) -> dict:
    """Fields (key, label, value as in the file) and the grid (measured open dates x clock slots)."""
    from ska_sim.scenario.timeline import build_timeline

    tl = build_timeline(s)
    iv = tl.interval_s
    m = tl.iv_measured()
    days = [int(d) for d in np.unique(tl.iv_day[m])]
    slot_lo = int(tl.iv_slot[m].min())
    slot_hi = int(tl.iv_slot[m].max()) + 1
    fields = [{"key": "arrivals.volume_scale", "label": "Volume scale", "value": s.arrivals.volume_scale,
               "hint": "1.15 = 15% more first calls"},
              {"key": "staffing.scale", "label": "Staffing scale", "value": s.staffing.scale,
               "hint": "multiplies every interval's agents (rounded)"}]
    if s.patience is not None and s.patience.mean_s is not None:
        fields.append({"key": "patience.mean_s", "label": "Patience, mean (s)", "value": s.patience.mean_s,
                       "hint": "how long callers wait before hanging up"})
    types = [{"index": i, "name": ct.name, "share": ct.share, "talk_key": f"call_types[{i}].talk.mean_s",
              "talk": ct.talk.mean_s, "aht_s": ct.mean_handle_s(), "resolved_key": f"call_types[{i}].resolved",
              "resolved": ct.resolved} for i, ct in enumerate(s.call_types)]
    tables = ([("staffing", s.staffing.agents or {}, s.staffing.dates)] if not s.groups
              else [(f"groups[{i}]", g.agents, g.dates) for i, g in enumerate(s.groups)])
    grids = []
    rostered, raw = set(), None  # roster.file: its dates show the roster's agents (everyone present, scale 1)
    if s.roster is not None and s.roster._plan is not None:
        rostered = set(tl.dates) if s.roster.repeat else set(s.roster._plan.dates)
        one = tl if s.staffing.scale == 1.0 else build_timeline(
            s.model_copy(update={"staffing": s.staffing.model_copy(update={"scale": 1.0})}))
        raw = one.iv_agents[:, None] if not s.groups else one.iv_group_agents
    for gi, (block, agents, dates) in enumerate(tables):
        rows = []
        for d in days:
            date = tl.dates[d]
            wd = WEEKDAYS[date.weekday()]
            usual = s.calendar.hours[wd]
            idx = np.flatnonzero(tl.iv_day == d)
            open_slots = [int(x) for x in tl.iv_slot[idx]]
            if date in dates:
                key, values, first = f"{block}.dates.{date.isoformat()}", list(dates[date]), open_slots[0]
            elif date in rostered:  # an edit becomes this date's staffing.dates vector: it replaces the roster
                key, values, first = f"{block}.dates.{date.isoformat()}", list(raw[idx, gi]), open_slots[0]
            else:
                vk = wd if wd in agents else "default"
                key, values, first = f"{block}.agents.{vk}", list(agents[vk]), usual.open_s // iv
            rows.append({"date": date.isoformat(), "weekday": wd, "key": key, "first_slot": first,
                         "values": [int(v) for v in values], "open_slots": open_slots,
                         "weekday_key": f"{block}.agents.{wd}",
                         "weekday_values": [int(v) for v in agents.get(wd, agents.get("default", []))],
                         "weekday_first_slot": usual.open_s // iv,
                         "date_key": f"{block}.dates.{date.isoformat()}",
                         "roster": date in rostered and date not in dates})
        grids.append({"block": block, "group": None if block == "staffing" else s.groups[int(block[7:-1])].name,
                      "rows": rows})
    weeks = []
    cal = s.calendar
    for i in range(cal.days):
        d = cal.start + dt.timedelta(days=i)
        if d.weekday() == 0 and cal.days > 7:
            weeks.append(d.isoformat())
    return {
        "name": name,
        "title": s.name,
        "description": s.scenario.description,
        "window": {"start": cal.start.isoformat(), "days": cal.days, "weeks": weeks},
        "interval_min": cal.interval_min,
        "slots": [{"slot": k, "time": format_clock(k * iv)} for k in range(slot_lo, slot_hi)],
        "fields": fields,
        "call_types": types,
        "grids": grids,
        "replications": s.simulation.replications,
        "seed": s.simulation.seed,
        "targets": {"service_level": s.targets.service_level.share,
                    "threshold_s": s.targets.service_level.threshold_s},
    }


def _num(x: Any) -> Any:
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if not math.isfinite(float(x)) else float(x)
    return x


def cost_of(sim: Simulated) -> dict:
    from ska_sim.plan.people import fte_of, heads_of, paid_hours_of

    if sim.cost is not None:
        return sim.cost
    s, tl = sim.scenario, sim.timeline
    m = tl.iv_measured()
    paid = paid_hours_of(s, tl, tl.iv_agents, m)
    value = fte_of(s, paid)
    sim.cost = {"phone_hours": float(tl.iv_agents[m].sum() * tl.interval_s / 3600), "paid_hours": paid,
                "fte": value, "heads": heads_of(s, value)}
    return sim.cost


def _by_kpi(summary) -> dict:
    """A result's summary table as kpi -> {mean, ci_low, ci_high, unit} (the first row of a kpi)."""
    cols = ("mean", "ci_low", "ci_high", "unit")
    out: dict = {}
    for k, *vals in zip(summary["kpi"].tolist(), *(summary[c].to_numpy() for c in cols)):
        out.setdefault(k, dict(zip(cols, vals)))
    return out


def page_result(cur: Simulated, base: Simulated) -> dict:
    """KPIs against targets, the per-interval series, the heatmap, cost, and the paired
    difference against the saved plan (same seed: replication i of both sees the same callers)."""
    from ska_sim.plan.compare import paired_difference

    r, b = cur.result, base.result
    # the summaries as plain dicts (kpi -> column -> value): pandas .loc per cell cost most of this function
    summary, bsum = _by_kpi(r.summary), _by_kpi(b.summary)
    kpis = {k: {"mean": _num(summary[k]["mean"]), "ci_low": _num(summary[k]["ci_low"]),
                "ci_high": _num(summary[k]["ci_high"]), "unit": summary[k]["unit"]}
            for k in KPIS_SHOWN if k in summary}
    tcols = ["kpi", "target", "mean", "ci_low", "ci_high", "status", "reading"]
    targets = [{k: _num(v) for k, v in zip(tcols, row)} for row in zip(*(r.targets[c].tolist() for c in tcols))]
    iv = r.intervals
    cols = ["date", "weekday", "time", "agents", "offered", "service_level", "service_level_ci_low",
            "service_level_ci_high", "erlang_c_service_level", "answer_rate"]
    if "erlang_a_service_level" in iv:
        cols.append("erlang_a_service_level")
    series = {c: [_num(v) for v in iv[c].tolist()] for c in cols}
    diff = []
    same = cur.scenario.digest() == base.scenario.digest()
    for k in KPIS_SHOWN:
        if k not in summary or k not in b.per_replication:
            continue
        d, lo, hi = paired_difference(b.per_replication[k].to_numpy(), r.per_replication[k].to_numpy())
        sig = bool(not (math.isnan(lo) or lo <= 0 <= hi)) if d == d else False
        diff.append({"kpi": k, "unit": summary[k]["unit"], "saved": _num(bsum[k]["mean"]),
                     "plan": _num(summary[k]["mean"]), "diff": _num(d), "ci_low": _num(lo), "ci_high": _num(hi),
                     "significant": sig})
    return {
        "replications": r.replications,
        "seed": r.seed,
        "kpis": kpis,
        "targets": targets,
        "intervals": series,
        "target_service_level": cur.scenario.targets.service_level.share,
        "threshold_s": cur.scenario.targets.service_level.threshold_s,
        "erlang": {k: _num(v) for k, v in r.erlang.items() if k in ("service_level", "erlang_a_service_level",
                                                                   "differing_intervals", "intervals")},
        "cost": cost_of(cur),
        "saved_cost": cost_of(base),
        "same_as_saved": same,
        "diff": diff,
    }


# --------------------------------------------------------------------------- TOML, comments kept
def render_toml(text: str, overrides: list[str]) -> str:
    """The scenario file with each ``KEY=VALUE`` set, its comments and layout kept (tomlkit)."""
    import tomlkit

    from ska_sim.scenario.overrides import parse_set_option, split_key

    doc = tomlkit.parse(text)
    for o in overrides:
        key, value = parse_set_option(o)
        parts = split_key(key)
        node: Any = doc
        for i, part in enumerate(parts[:-1]):
            if isinstance(part, int):
                try:
                    node = node[part]
                except IndexError:
                    raise ScenarioError([Problem(f"--set {o}", key, "index out of range")]) from None
                continue
            if part not in node:
                node[part] = tomlkit.table()
            node = node[part]
        last = parts[-1]
        if isinstance(value, dt.date):
            item = tomlkit.date(value.isoformat())
        else:
            item = tomlkit.item(value)
        if isinstance(value, list) and len(value) > 12 and hasattr(item, "multiline"):
            item.multiline(False)
        node[last] = item
    return tomlkit.dumps(doc)
