"""What the planning page asks for, answered by the library (never the CLI).

A *plan* is what the browser sends: the scenario's name in the work folder, the week, and
the page's edits as ``--set`` pairs (key -> the text typed, or the list of a grid row's
cells). The edits become exactly the ``--set KEY=VALUE`` options the command line would
get, so the scenario is validated by the same models and an invalid field gets the message
``ska-sim run FILE --set KEY=VALUE`` prints. Only the keys in :data:`EDITABLE` can be sent;
files are named, never given as paths (:class:`Workspace`).

Replications run on a warm pool of processes started once (:class:`~ska_sim.sim.executors.WarmPool`),
in a priority queue: an edit is answered in stages (:meth:`Service.run_stages`, web/stages.py),
the figures of its first replications at once, the later ones narrowing the interval, and
every edit's first replications go before other edits' narrowing ones. A newer edit from the
same page supersedes the running one: its queued replications are dropped at once, only the
one in flight on a worker finishes (a generation counter). Replications done are kept per plan
and results cached (both bounded LRU), so the saved plan the page compares against (same
seed: common random numbers) is simulated once and an identical plan is not simulated again.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.files import file_record, whole_folder, write_text
from ska_sim.base.jsonable import finite_json_value, json_records
from ska_sim.plan.by_simulation import simulation_plan, with_agents
from ska_sim.plan.compare import compare
from ska_sim.plan.confidence import confidence_plan
from ska_sim.plan.marginal import marginal
from ska_sim.plan.plan import agents_plan, people_money, plan_figures, scenario_plan
from ska_sim.plan.plan import with_agents as with_plan_agents
from ska_sim.plan.requirement import erlang_plan
from ska_sim.plan.staffing_groups import erlang_group_plan, simulation_group_plan
from ska_sim.plan.staffing_result import plan_reading, targets_row
from ska_sim.report.html import build_report
from ska_sim.report.output import write_result
from ska_sim.report.text import chance_phrase
from ska_sim.scenario.load import read_toml, scenario_from_dict
from ska_sim.scenario.forecast import forecast_facts, forecast_note
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.roster import attach, in_folder, read_roster_csv, resolve, rest_violations, roster_people
from ska_sim.scenario.clock import format_clock
from ska_sim.scenario.timeline import build_timeline
from ska_sim.sim.executors import Cancelled, Executor, WarmPool
from ska_sim.sim.results import SimulationResult
from ska_sim.sim.runner import simulate
from ska_sim.web.documents import Simulated, cost_of, describe_scenario, page_result, render_toml, target_verdicts
from ska_sim.web.stages import ESTIMATE, FIRST, Kept, Models, PlanRun, ReplicationStore, stage_counts, stage_name
from ska_sim.web.plans import (
    CACHE_SIZE,
    KPIS_SHOWN,
    MAX_CLIENTS,
    STEM_RE,
    BadRequest,
    Workspace,
    write_keeping_mode,
    plan_overrides,
    refuse_edits_of_nothing,
    replications_seed,
    share_of,
    week_refused,
    whole_number,
)
from ska_sim.web.weeks import (
    coming_weeks,
    monday_of,
    opening_week,
    refuse_unshown,
    saved_weeks,
    saved_window,
    today_of,
    week_facts,
    week_sets,
    written_week,
)


BUILDERS = 2  # stages built at once (web/api.py's Service._building)


# --------------------------------------------------------------------------- the service
class Service:
    """Everything the page asks for; thread-safe (each request runs in a worker thread)."""

    def __init__(self, workdir: str | Path, workers: int = 2, default: str | None = None):
        self.ws = Workspace(workdir)
        self.pool = WarmPool(workers)
        self.default = default
        self._cache = Kept(CACHE_SIZE)  # simulated plans (and stages), by (digest, replications, seed)
        self._gen: OrderedDict = OrderedDict()
        self._progress: dict[str, dict] = {}
        self._store = ReplicationStore()  # each plan's first replications (web/stages.py)
        self._models = Models()  # the engine's model of the last plans (web/stages.py)
        # results and documents are built BUILDERS at a time: one thread builds while the GIL is
        # its own, so more at once only raise the memory's peak and every edit's answer time
        self._building = threading.BoundedSemaphore(BUILDERS)
        self._rosters: dict = {}  # (roster file, mtime, size) -> its RosterPlan
        self._tomls: dict = {}  # (scenario file, mtime, size) -> its TOML (the last version of each file)
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
        self.wake()  # the client's older edit, waiting for replications, ends now
        return lambda: self._gen.get(client) != gen

    def wake(self) -> None:
        """Runs waiting for replications ask now whether they were cancelled (a newer edit, a
        page gone), instead of at their next poll (executors.CANCEL_POLL_S)."""
        self.pool.wake()

    def progress(self, client: str) -> dict:
        with self._lock:
            return dict(self._progress.get(client, {"done": 0, "total": 0, "phase": ""}))

    def _set_progress(self, client: str, phase: str, done: int, total: int) -> None:
        with self._lock:
            if client in self._gen:
                self._progress[client] = {"done": done, "total": total, "phase": phase}

    # ---------------------------------------------------------------- scenarios
    def load(self, name: str, overrides: list[str], field: str = "scenario") -> Scenario:
        path = self.ws.path(name, field=field)
        data = self._toml(path)
        self._forecast_inside(data, name, path.parent)
        s = in_folder(scenario_from_dict(data, source=name, overrides=tuple(overrides), folder=path.parent), path.parent)
        if s.roster is not None and s.roster.file:  # the saved roster `run` simulates (rules checked once per file)
            s = self._with_roster(s, name)
        return s

    def _toml(self, path: Path) -> dict:
        """The file's TOML, parsed once per version of the file (its mtime and size): each edit
        loads the scenario and its saved plan; a copy, which loading may change."""
        try:
            st = path.stat()
            key = (str(path), st.st_mtime_ns, st.st_size)
        except OSError:
            return read_toml(path)  # its own message
        with self._lock:
            hit = self._tomls.get(key)
        if hit is None:
            hit = read_toml(path)
            with self._lock:
                self._tomls = {k: v for k, v in self._tomls.items() if k[0] != key[0]} | {key: hit}
        return copy.deepcopy(hit)

    def _forecast_inside(self, data: dict, name: str, folder: Path) -> None:
        """arrivals.forecast.file must lie in the work folder (checked before the file is read)."""
        arr = data.get("arrivals")
        fc = arr.get("forecast") if isinstance(arr, dict) else None
        f = fc.get("file") if isinstance(fc, dict) else None
        if isinstance(f, str) and f:
            if self.ws.root.resolve() not in (folder / f).resolve().parents:
                raise BadRequest(f"{name}: arrivals.forecast.file: {f} is outside the work folder", 400)

    def _with_roster(self, s: Scenario, name: str) -> Scenario:
        f = resolve(s, s.roster.file).resolve()
        if self.ws.root.resolve() not in f.parents:
            raise BadRequest(f"{name}: roster.file: {s.roster.file} is outside the work folder", 400)
        try:
            st = f.stat()
        except OSError:
            raise ScenarioError([Problem(name, "roster.file", f"{s.roster.file}: no such file")]) from None
        people = roster_people(s)  # the rows are checked against the scenario's [roster.people]
        key = (str(f), st.st_mtime_ns, st.st_size, tuple(sorted(people.items())) if people else None)
        with self._lock:
            hit = self._rosters.get(key)
        if hit is None:
            plan = read_roster_csv(f, people)
            problems = [Problem(str(f.name), "", v) for v in rest_violations(plan)]
            if problems:
                raise ScenarioError(problems)
            # the file's bytes are part of the model (its digest keys the result cache), as when loading
            hit = (plan, file_record(str(f)))
            with self._lock:
                self._rosters = {key: hit}  # the last file read (a year's roster loads in ~3.5 s)
        return attach(s, *hit)

    def warm(self) -> None:
        """Read the work folder's roster files once (``serve`` calls it in the background at start: a
        year's roster takes about a second to read and check), so that the first page opening such a
        scenario does not wait for it. A file that does not load is left for the page to report."""
        for item in self.ws.scenarios():
            try:
                roster = read_toml(self.ws.path(item["name"])).get("roster")
                if isinstance(roster, dict) and roster.get("file"):
                    self.load(item["name"], [])
            except (ScenarioError, BadRequest):
                continue

    def scenarios(self) -> dict:
        return {"workdir": self.ws.root.name, "scenarios": self.ws.scenarios(), "default": self.default}

    def describe(self, name: str, week: str | None = None, today: str | None = None) -> dict:
        """What the page needs to draw a scenario's fields and grid: for ``week`` (any day of it) that
        week, ``"saved"`` the saved window, else the week it opens on (web/weeks.py: a window longer
        than a week opens on the current week); the weeks to pick from (the coming weeks from ``today``: the page's date)."""
        with week_refused():
            day = today_of(today)
        whole = week == "saved"  # the saved window as a whole (the year: simulated when asked)
        _, week_opts, _ = plan_overrides({"scenario": name, "week": None if whole else week})
        window = saved_window(self._toml(self.ws.path(name, field="name")))
        if not week_opts and not whole and window is not None and window[1] > 7:  # the year: one week first
            week_opts = self._opening(name, window, day)
        s = self._load_week(name, week_opts)
        doc = describe_scenario(name, s)
        shown = dt.date.fromisoformat(week_opts[0].split("=", 1)[1]) if week_opts else None
        if window is not None:  # the saved window's weeks (the year's), beside the coming weeks
            doc["window"] = {"start": window[0].isoformat(), "days": window[1], "weeks": saved_weeks(*window)}
        doc["week"] = shown.isoformat() if shown else None
        doc["weeks"] = {"today": day.isoformat(), "coming": coming_weeks(s, day),
                        "shown": week_facts(s, shown) if shown else None}
        return doc

    def _opening(self, name: str, window: tuple[dt.date, int], day: dt.date) -> list[str]:
        """The ``--set`` options of the week a longer window opens on (web/weeks.py), or none (the
        saved window) when the scenario cannot show it (a forecast file that ends before it)."""
        try:
            opts = week_sets(opening_week(*window, day, self.load(name, week_sets(monday_of(day)), field="name")))
            self.load(name, opts, field="name")
        except ScenarioError:
            return []
        return opts

    def _load_week(self, name: str, week_opts: list[str]) -> Scenario:
        """The scenario over a week; a week it cannot show (a forecast file that does not cover it,
        another check the week fails) is refused in words naming ``week`` (422), not as an invalid file."""
        try:
            return self.load(name, week_opts, field="name")
        except ScenarioError as exc:
            if not week_opts:
                raise
            saved = self.load(name, [], field="name")  # the file itself invalid: its own problems
            monday = dt.date.fromisoformat(week_opts[0].split("=", 1)[1])
            with week_refused():
                refuse_unshown(saved, monday)
            raise BadRequest(f"week: {monday.isoformat()}: this scenario cannot show that week: {exc.problems[0]}",
                             422, field="week", code="week_cannot_show",
                             params={"week": monday.isoformat()}) from None

    def _simulate(self, s: Scenario, reps: int, seed: int, executor: Executor) -> Simulated:
        """The whole result of ``reps`` replications (an export): from the plan's replications
        kept by its stages when they are all there, else simulated."""
        digest = s.digest()
        key = (digest, reps, seed)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        kept = self._store.get(digest, seed)[:reps]
        if len(kept) == reps:
            model, groups = self._models.of(s, digest)
            with self._building:
                result = SimulationResult.build(s, model, groups, kept, seed)
        else:
            result = simulate(s, reps, seed, executor=executor)
        sim = Simulated(s, result, result.timeline)
        self._cache.put(key, sim)
        return sim

    def _prepare(self, plan: Any):
        name, week, sets = plan_overrides(plan)
        client = self._client(plan)
        s = self.load(name, week + sets)
        saved = self.load(name, week) if sets else s
        refuse_edits_of_nothing(saved, sets)
        reps, seed = replications_seed(plan, s)
        return name, week, sets, client, s, saved, reps, seed

    # ---------------------------------------------------------------- one edit
    def run(self, plan: Any) -> dict:
        """Simulate the plan (and the saved plan, once) and return what the page shows."""
        doc: dict = {"superseded": True}
        for doc in self.run_stages(plan, staged=False):
            pass
        return doc

    def run_stages(self, plan: Any, staged: bool = True, stop: threading.Event | None = None) -> Iterator[dict]:
        """What the page shows for the plan, stage by stage (web/stages.py): the figures of its
        first replications, then over more of them, the last over the plan's replications (what
        :meth:`run` returns). The plan is checked before the first stage is asked for (bad input
        raises then). ``stop``: the page went away. A newer edit from the same page, or
        ``stop``, ends the stages with ``{"superseded": True}``."""
        t0 = time.perf_counter()
        name, week, sets, client, s, saved, reps, seed = self._prepare(plan)
        newer = self._bump(client)
        cancelled = newer if stop is None else (lambda: newer() or stop.is_set())
        return self._stages(name, sets, client, s, saved, reps, seed, cancelled, staged, t0)

    def _stages(self, name, sets, client, s, saved, reps, seed, cancelled, staged, t0) -> Iterator[dict]:
        counts = stage_counts(reps) if staged else [reps]
        runs: list[PlanRun] = []
        try:
            for x in ([s] if s.digest() == saved.digest() else [s, saved]):
                runs.append(PlanRun(self._store, self.pool, x, reps, seed, cancelled, FIRST if staged else reps,
                                    self._models))
            total = sum(r.missing() for r in runs)
            self._set_progress(client, "replications", 0, total)
            start = [r.n - r.missing() for r in runs]

            def progress(_d: int, _n: int) -> None:
                self._set_progress(client, "replications", sum(r.done() for r in runs) - sum(start), total)

            for j, k in enumerate(counts):
                if j + 1 < len(counts) and all(r.done() >= counts[j + 1] for r in runs):
                    continue  # a later stage is there already: answer that one
                if k <= ESTIMATE < reps and self._busy(runs, k, progress):
                    continue  # other edits wait for their first figures: no estimate drawn before them
                # the saved plan's stages are kept (every edit compares against them), an edit's last only
                sims = [self._built(r, k, progress, keep=r is runs[-1] or k == reps) for r in runs]
                with self._building:
                    doc = page_result(sims[0], sims[-1])
                doc.update(scenario=name, edits=len(sets), stage=stage_name(k, reps), replications_target=reps,
                           elapsed_s=time.perf_counter() - t0)
                yield doc
        except Cancelled:
            yield {"superseded": True}
        finally:
            for r in runs:
                r.close()

    def _busy(self, runs: list[PlanRun], k: int, progress) -> bool:
        """Once the plans' first ``k`` replications are done: whether other edits' first
        replications wait in the pool's queue (then this edit's estimate is not built: its first
        figures follow, and the server's time goes to the others' figures)."""
        for r in runs:
            r.results(k, progress)
        mine = tuple(r.batch for r in runs if r.batch is not None)
        return self.pool.workers > 0 and self.pool.waiting(WarmPool.URGENT, besides=mine) > 0

    def _built(self, run: PlanRun, k: int, progress, keep: bool = True) -> Simulated:
        """The plan's first ``k`` replications as the page's result (``SimulationResult.build``'s
        ``page``: the tables the page draws), cached when ``keep`` (the saved plan's)."""
        key = (run.digest, k, run.seed, "page")  # (not a whole result: export builds its own)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        results = run.results(k, progress)
        with self._building:
            result = SimulationResult.build(run.scenario, run.model, run.groups, results, run.seed, page=True)
            sim = Simulated(run.scenario, result, result.timeline, cost=run.cost)
            run.cost = cost_of(sim)  # the plan's people and money: the same at every stage
        if keep:
            self._cache.put(key, sim)
        if k == run.n:
            self._store.put(run.digest, run.seed, results)
        return sim

    # ---------------------------------------------------------------- staffing help
    def fill(self, plan: Any, method: str, group: Any = None, confidence: Any = None) -> dict:
        """The Erlang (or simulation) requirement per interval, as grid rows, and its cost; or
        (``confidence``) the page's plan scaled up to that chance of meeting every target."""
        if method not in ("erlang", "simulation", "confidence"):
            raise BadRequest("method: erlang, simulation or confidence", 400)
        if method == "confidence":
            return self.fill_confidence(plan, share_of(confidence, "confidence", 0.5, 0.99), group)
        name, week, sets, client, s, saved, reps, seed = self._prepare(plan)
        gi = self._group_index(s, group)
        cancelled = self._bump(client)
        ex = Executor(pool=self.pool, cancelled=cancelled, progress=lambda d, n: self._set_progress(client, "simulation iterations", d, n))
        try:
            if s.groups:
                p = erlang_group_plan(s) if method == "erlang" else simulation_group_plan(
                    s, replications=min(reps, 10), seed=seed, executor=ex)
            else:
                p = erlang_plan(s) if method == "erlang" else simulation_plan(
                    s, replications=min(reps, 10), seed=seed, executor=ex)
            simulated = simulate(with_agents(s, build_timeline(s), p.agents), replications=reps, seed=seed, executor=ex)
        except Cancelled:
            return {"superseded": True}
        # priced as simulated: the requirement's agents alone (a roster attached is not part of it), as staff prices it
        out = self._as_rows(s, p.agents, gi, f"{method} requirement", alone=True)
        out["verdict"] = plan_reading(s, out["what"], targets_row(simulated))
        out["verdicts"] = target_verdicts(simulated)
        return out

    def fill_confidence(self, plan: Any, q: float, group: Any = None) -> dict:
        """staff --confidence on the page: the plan's agents scaled up (plan/confidence.py) until
        at least ``q`` of the replications meet every target over the window."""
        name, week, sets, client, s, saved, reps, seed = self._prepare(plan)
        gi = self._group_index(s, group)
        cancelled = self._bump(client)
        ex = Executor(pool=self.pool, cancelled=cancelled, progress=lambda d, n: self._set_progress(client, "replications", d, n))
        tl = build_timeline(s)
        try:
            cp = confidence_plan(s, tl, tl.iv_group_agents if s.groups else tl.iv_agents, q, "this plan", reps, seed,
                                 executor=ex)
        except Cancelled:
            return {"superseded": True}
        what = f"{chance_phrase(q)} of meeting every target (agents x {cp.factor:.2f})"
        out = self._as_rows(s, cp.agents, gi, what, alone=True)
        out["chance"] = {"plan": cp.base_chance, "filled": cp.chance, "met": cp.met}
        out.update(factor=cp.factor, verdicts=target_verdicts(cp.result), forecast_facts=forecast_facts(s))
        out["verdict"] = (f"this plan meets every target over the window in {cp.base_chance:.0%} of the replications, "
                          f"agents x {cp.factor:.2f} in {cp.chance:.0%}"
                          + ("" if cp.met else f" (no factor up to x{cp.factor:.2f} reaches {q:.0%})")
                          + (f"; {forecast_note(s)}" if forecast_note(s) else ""))
        return out

    def add_best(self, plan: Any, k: Any, group: Any = None, unit: Any = None) -> dict:
        """k people more (``unit="people"``: k FTE of paid time, as ``marginal --fte``, placed where
        Erlang says they buy most: spread 'best') or k agents more on the phones in every open
        interval (``unit="agents"``, the default: spread 'even'), by plan/marginal.py; ``where``:
        the intervals that changed."""
        unit = "agents" if unit in (None, "") else unit
        if unit not in ("agents", "people"):
            raise BadRequest("unit: agents or people", 400, field="unit", code="bad_unit")
        k = whole_number(k, "k", -20, 20)
        if k == 0:
            raise BadRequest("k: from -20 to 20 agents, not 0", 400, field="k", code="range",
                             params={"lo": -20, "hi": 20, "got": 0})
        name, week, sets, client, s, saved, reps, seed = self._prepare(plan)
        gi = self._group_index(s, group)
        cancelled = self._bump(client)
        ex = Executor(pool=self.pool, cancelled=cancelled)
        try:
            mg = marginal(s, [0, k], "best" if unit == "people" else "even", reps, seed, executor=ex,
                          progress=lambda d, n: self._set_progress(client, "steps", d, n),
                          unit="fte" if unit == "people" else "agents",
                          group=s.groups[gi].name if s.groups else None)
        except Cancelled:
            return {"superseded": True}
        scen = mg.results[k].scenario
        row = mg.table.set_index("step").loc[k]
        what = f"{k:+d} people (FTE) where they buy most" if unit == "people" else f"{k:+d} agents in every open interval"
        if scen.roster is not None and scen.roster.extra is not None:  # a roster: k agents on top of it

            tl = build_timeline(scen)  # the roster's agents (everyone present) + the step's
            out = self._as_rows(s, tl.iv_group_agents if s.groups else tl.iv_agents, gi, what)
        else:
            vectors = scen.groups[gi].dates if s.groups else scen.staffing.dates
            out = self._date_rows(s, vectors, gi, what)
        out["buys"] = {c: finite_json_value(row[c]) for c in row.index
                       if c.startswith(("service_level", "answer_rate")) or c.split("_change")[0] in ("answered", "abandoned")}
        out["cost"].update(fte_change=finite_json_value(row["fte_change"]))
        out["verdict"] = plan_reading(s, what, targets_row(mg.results[k]))
        out["verdicts"] = target_verdicts(mg.results[k])
        out.update(unit=unit, k=k, where=added_where(s, mg.results[0].timeline, mg.results[k].timeline, gi))
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

    def _as_rows(self, s: Scenario, agents: np.ndarray, gi: int | None, what: str, alone: bool = False) -> dict:
        tl = build_timeline(s)
        col = agents[:, gi] if agents.ndim == 2 else agents
        vectors = {tl.dates[d]: [int(a) for a in col[tl.iv_day == d]] for d in np.unique(tl.iv_day)}
        # with groups only the chosen group's agents change (the page fills that group's grid)
        return self._date_rows(s, vectors, gi, what, None if agents.ndim == 2 else agents, alone)

    def _date_rows(self, s: Scenario, vectors: dict, gi: int | None, what: str, agents=None,
                   alone: bool = False) -> dict:
        """The measured dates' agents (raw, scale 1) and the cost against the plan as it is;
        ``alone``: the agents are the whole plan (a roster attached is not kept beside them)."""
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
        base = scenario_plan(s, tl)
        new = agents_plan(agents, what) if alone else with_plan_agents(base, total, what)
        before, after = plan_figures(s, tl, base, m), plan_figures(s, tl, new, m)
        paid0, paid1 = before["paid_hours"], after["paid_hours"]
        measured = {tl.dates[d].isoformat() for d in np.unique(tl.iv_day[m])}
        rows = {d.isoformat(): list(v) for d, v in vectors.items() if d.isoformat() in measured}
        # the plans' people and money (plan/plan.py: what run and staff print), before and after
        figures = {"before": {**before, **people_money(s, before)}, "after": {**after, **people_money(s, after)}}
        return {"what": what, "group": None if gi is None else s.groups[gi].name, "dates": rows,
                "cost": {"paid_hours_before": paid0, "paid_hours_after": paid1, "paid_hours_change": paid1 - paid0,
                         "fte_before": before["fte"], "fte_after": after["fte"],
                         "fte_change": after["fte"] - before["fte"], "heads_before": before["heads"],
                         "heads_after": after["heads"], "paid_basis": after["basis"],
                         **{when: {k: finite_json_value(v) for k, v in f.items()} for when, f in figures.items()}}}

    # ---------------------------------------------------------------- files
    def toml_of(self, plan: Any, target: Any = None) -> dict:
        """The plan as a scenario file (comments kept), validated, and its diff with ``target``
        (the file it would replace; the plan's own file when none is given)."""
        name, week, sets = plan_overrides(plan)
        src = self.ws.path(name)
        dest = self.ws.path(target or name, must_exist=False, field="name")
        text = src.read_text(encoding="utf-8-sig")
        new = render_toml(text, written_week(read_toml(src), week) + sets)
        import tomllib

        data = tomllib.loads(new)
        self._forecast_inside(data, dest.name, dest.parent)
        edited = scenario_from_dict(data, source=dest.name, folder=dest.parent)  # the same models as `validate`
        refuse_edits_of_nothing(edited, sets)
        old = dest.read_text(encoding="utf-8-sig") if dest.exists() else ""
        diff = "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                            fromfile=f"{dest.name} (on disk)" if old else "/dev/null",
                                            tofile=f"{dest.name} (this plan)"))
        return {"name": dest.name, "exists": dest.exists(), "text": new, "diff": diff, "path": dest}

    def save(self, plan: Any, target: Any, overwrite: bool, duplicate: bool = False) -> dict:
        if duplicate:  # the saved file as it is, under another name
            plan = {"scenario": plan.get("scenario") if isinstance(plan, dict) else None}
        doc = self.toml_of(plan, target)
        if doc["exists"] and overwrite is not True:
            raise BadRequest(f"{doc['name']} exists: confirm to overwrite it", 409, diff=doc["diff"], name=doc["name"])
        if doc["exists"] and not doc["diff"]:
            return {"name": doc["name"], "written": False, "diff": ""}
        write_keeping_mode(doc["path"], doc["text"])
        return {"name": doc["name"], "written": True, "diff": doc["diff"]}

    def compare(self, plan: Any, other: Any) -> dict:
        """The plan beside another saved plan: whatif.compare (same seed, paired differences)."""
        name, week, sets, client, s, saved, reps, seed = self._prepare(plan)
        o = self.load(other, week, field="other") if isinstance(other, str) else None
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

        return {"labels": cmp.labels, "per_open_day": cmp.per_day,
                "rows": json_records(cmp.table[cmp.table["kpi"].isin(KPIS_SHOWN)])}

    def export(self, plan: Any) -> dict:
        """The current plan's HTML report and CSV tables, in exports/<name>/ of the work folder."""
        name, week, sets, client, s, saved, reps, seed = self._prepare(plan)
        stem = plan.get("export_name") or (Path(name).stem + ("-edited" if sets else ""))
        if not isinstance(stem, str) or not STEM_RE.fullmatch(stem) or ".." in stem:
            raise BadRequest("export_name: letters, digits, '.', '_', '-' only", 400)
        out = self.ws.export_folder(stem)
        cancelled = self._bump(client)
        ex = Executor(pool=self.pool, cancelled=cancelled, progress=lambda d, n: self._set_progress(client, "replications", d, n))
        try:
            sim = self._simulate(s, reps, seed, ex)
        except Cancelled:
            return {"superseded": True}
        html = build_report(sim.result, None, None, label=f"{s.name} ({name})")
        with whole_folder(out) as folder:  # the tables and the report swapped in together
            files = write_result(sim.result, out, plots=False, source=name, overrides=week + sets)
            write_text(folder / "report.html", html)
        files.append(out / "report.html")
        return {"folder": f"exports/{stem}", "files": sorted(p.name for p in files)}


def added_where(s: Scenario, before, after, gi: int | None) -> list[dict]:
    """Where a step put its agents (or took them from): per measured date, the group's intervals
    whose agents changed, each with its clock time and the change, from the timelines before and
    after (the same dates and intervals)."""
    m = before.iv_measured()
    a0 = before.iv_group_agents[:, gi] if gi is not None else before.iv_agents
    a1 = after.iv_group_agents[:, gi] if gi is not None else after.iv_agents
    change = np.rint(np.asarray(a1, float) - np.asarray(a0, float)).astype(np.int64)
    out = []
    for d in np.unique(before.iv_day[m]):
        idx = np.flatnonzero(m & (before.iv_day == d) & (change != 0))
        if idx.size:
            out.append({"date": before.dates[d].isoformat(),
                        "slots": [{"time": format_clock(int(before.iv_slot[i]) * before.interval_s),
                                   "change": int(change[i])} for i in idx]})
    return out
