"""The scenario model: :class:`Scenario`, the validated whole of a scenario file, built from the
blocks of :mod:`ska_sim.scenario.calls` and :mod:`ska_sim.scenario.people`; its canonical
dictionary and digest. Loading and checks are in :mod:`ska_sim.scenario.load` and
:mod:`ska_sim.scenario.checks`."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

import numpy as np
from pydantic import Field

from ska_sim.base.limits import MAX_REPLICATIONS
from ska_sim.maths.distributions import Duration
from ska_sim.scenario.block import Block, DurationSpec, PeriodFactor
from ska_sim.scenario.clock import format_clock
from ska_sim.scenario.calls import (Arrivals, Calendar, Callbacks, CallType, Language, Lines, Message, Redial, Repeat,
                                    Routing)
from ska_sim.scenario.people import Activities, Costs, Group, Roster, Shrinkage, Staffing, Targets, Workforce
from ska_sim.scenario.written import Written


class Meta(Block):
    name: str = "scenario"
    description: str = ""


class Simulation(Block):
    replications: int = Field(20, ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(2026, ge=0)
    queued_at_close: Literal["serve", "drop"] = "serve"


class Scenario(Block):
    """A validated scenario. Build it with :func:`load_scenario` or :func:`scenario_from_dict`."""

    scenario: Meta = Meta()
    calendar: Calendar
    arrivals: Arrivals
    call_types: list[CallType] = Field(min_length=1)
    patience: DurationSpec | None = None
    patience_factor_by_period: list[PeriodFactor] | None = Field(None, min_length=1)  # periods.py
    redial: Redial = Redial()
    repeat: Repeat = Repeat()
    staffing: Staffing = Staffing()
    shrinkage: Shrinkage = Shrinkage()
    targets: Targets = Targets()
    simulation: Simulation = Simulation()
    languages: dict[str, Language] = {}
    groups: list[Group] = []
    routing: Routing = Routing()
    lines: Lines | None = None
    callbacks: Callbacks | None = None
    message: Message | None = None  # [message]: a message offered at a maximum wait
    activities: Activities | None = None  # [activities]: off-phone activities from rules (activities.py)
    costs: Costs | None = None  # [costs]: euros per paid hour
    workforce: Workforce | None = None  # [workforce]: heads, hires, training, ramp-up (plan/workforce.py)
    roster: Roster | None = None  # [roster]: weekly rosters of people (scenario/roster.py, plan/roster.py)
    # [[written]]: written work with deadlines and who works it (scenario/written.py, sim/engine/written.py)
    written: list[Written] = []

    def group_order(self, call_type: str) -> list[Group]:
        """The groups a call type's calls may go to, in routing order (file order by default)."""
        names = self.routing.order.get(call_type)
        by_name = {g.name: g for g in self.groups}
        return [by_name[n] for n in names if n in by_name] if names is not None else list(self.groups)

    def language_shares(self, ct: CallType) -> dict[str, float]:
        """A call type's language mix ({} without [languages])."""
        if not self.languages:
            return {}
        return dict(ct.language_shares) if ct.language_shares is not None else {k: v.share for k, v in self.languages.items()}

    def uses_groups(self) -> bool:
        """True when the model needs routing: groups, languages, lines, identity failures, transfers or callbacks."""
        fails = any(ct.identity_check is not None and ct.identity_check.fails > 0 for ct in self.call_types)
        return bool(self.groups or self.languages or self.lines is not None or fails or self.uses_transfers()
                    or self.uses_callbacks() or self.uses_written_answers())

    def uses_written_answers(self) -> bool:
        """Some unresolved answered calls end with a promised written answer."""
        return any(ct.written_answer > 0 for ct in self.call_types)

    def uses_transfers(self) -> bool:
        return any(ct.transfer is not None and ct.transfer.share > 0 for ct in self.call_types)

    def uses_callbacks(self) -> bool:
        """Promised callbacks or virtual hold can happen."""
        cb = self.callbacks
        return cb is not None and (any(ct.callback_share > 0 for ct in self.call_types)
                                   or (cb.virtual_hold is not None and cb.virtual_hold.accept > 0))

    @property
    def name(self) -> str:
        return self.scenario.name

    def type_shares(self) -> np.ndarray:
        """Each call type's share of the first calls (summing to 1). With ``share``s: those divided
        by their sum. With every type's own calls per hour (scenario/profiles.py): its calls over a
        week of the calendar's open weekdays (weekday factors applied) divided by all types' calls
        (equal shares if none)."""
        if all(ct.share is not None for ct in self.call_types):
            shares = np.array([ct.share for ct in self.call_types])
            return shares / shares.sum()
        h = self.calendar.interval_min / 60
        calls = np.zeros(len(self.call_types))
        for wd in self.calendar.hours:
            f = self.arrivals.weekday_factor.get(wd, 1.0)
            for k, ct in enumerate(self.call_types):
                table = ct.profile or {}
                key = wd if wd in table else ("default" if "default" in table else None)
                if key is not None:
                    calls[k] += f * sum(table[key]) * h
        total = calls.sum()
        return calls / total if total > 0 else np.full(len(calls), 1.0 / len(calls))

    def written_shares(self) -> list[float]:
        """Each call type's ``share`` as written; where every type's own calls per hour give the
        shares, :meth:`type_shares`."""
        if all(ct.share is not None for ct in self.call_types):
            return [ct.share for ct in self.call_types]
        return self.type_shares().tolist()

    def mean_handle_s(self) -> float:
        """Mean agent time per answered call over the call-type mix (seconds)."""
        return sum(w * ct.mean_handle_s() for w, ct in zip(self.written_shares(), self.call_types))

    def patience_dist(self) -> Duration | None:
        return self.patience.build() if self.patience else None

    def type_patience(self, ct: CallType) -> DurationSpec | None:
        """A call type's patience: its own, else [patience]; None: its callers never hang up."""
        return ct.patience if ct.patience is not None else self.patience

    def uses_type_patience(self) -> bool:
        return any(ct.patience is not None for ct in self.call_types)

    def has_patience(self) -> bool:
        """Some callers hang up: [patience], or a call type's own patience."""
        return self.patience is not None or self.uses_type_patience()

    def mean_patience_s(self) -> float | None:
        """The mean patience Erlang A uses: [patience]'s, or with patience per call type the
        call-share-weighted mean over the types that have one (at factor 1 whatever the
        period); None when no caller hangs up."""
        if not self.uses_type_patience():
            return self.patience_dist().mean if self.patience is not None else None
        shares = self.written_shares()
        pairs = [(shares[k], self.type_patience(ct).build().mean) for k, ct in enumerate(self.call_types)
                 if self.type_patience(ct) is not None]
        return sum(w * m for w, m in pairs) / sum(w for w, _ in pairs)

    def to_dict(self) -> dict[str, Any]:
        """The scenario as loaded, in TOML's shapes (hours as ["HH:MM", "HH:MM"])."""
        d = self.model_dump(mode="json", exclude_none=True)
        # keys of newer mechanisms are left out while unused, so an older scenario keeps its digest
        for key, unused in (("languages", {}), ("groups", []), ("routing", Routing().model_dump(mode="json")),
                            ("written", [])):
            if d.get(key) == unused:
                d.pop(key)
        if d.get("targets", {}).get("languages") == {}:
            d["targets"].pop("languages")
        redial_defaults = {"same_caller": False, "keep_patience": 1.0, "keep_talk": True}
        if all(d["redial"].get(k) == v for k, v in redial_defaults.items()):
            for k in redial_defaults:
                d["redial"].pop(k)
        if d["arrivals"].get("events") == []:
            d["arrivals"].pop("events")
        if d["arrivals"].get("profile_unit") == "shares":
            d["arrivals"].pop("profile_unit")
        if not d["calendar"].get("shortened"):
            d["calendar"].pop("shortened", None)
            if d["calendar"].get("shortened_by_h") == 3.0:
                d["calendar"].pop("shortened_by_h")
        idc_defaults = {"fails": 0.0, "written_request": 1.0, "repeat_probability": 0.0}
        for ct in d["call_types"]:
            if ct.get("callback_share") == 0.0:
                ct.pop("callback_share")
            idc = ct.get("identity_check")
            if idc and all(idc.get(k) == v for k, v in idc_defaults.items()):
                for k in idc_defaults:
                    idc.pop(k)
        _period_labels(d)
        for w, block in zip(d.get("written", []), self.written):
            if block.dedicated is not None and block.dedicated.hours is not None:
                w["dedicated"]["hours"] = block.dedicated.hours.label()
        cal = d["calendar"]
        cal["hours"] = {k: h.label() for k, h in self.calendar.hours.items()}
        cal["date_hours"] = {str(k): h.label() for k, h in self.calendar.date_hours.items()}
        return d

    def digest(self) -> str:
        """sha256 of the scenario as loaded (canonical JSON): same digest, same model."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        rec = self.roster.file_record if self.roster is not None and self.roster.plan is not None else None
        if rec is not None:  # a saved roster's agents are part of the model: its bytes, not only its name
            text += "\nroster.file sha256 " + rec["sha256"]
        extra = self.roster.extra if self.roster is not None and self.roster.plan is not None else None
        fc = self.arrivals.forecast
        if fc is not None and fc.table is not None:  # the forecast's numbers are part of the model: its bytes
            text += "\narrivals.forecast.file sha256 " + fc.table.sha256
        if extra is not None:  # agents added on top of the roster (marginal's steps)
            text += "\nroster extra sha256 " + hashlib.sha256(repr(extra.tolist()).encode()).hexdigest()
        return hashlib.sha256(text.encode()).hexdigest()


def _period_labels(d: dict[str, Any]) -> None:
    """The hours of every period of ``d`` (a dumped scenario) as ["HH:MM", "HH:MM"]."""
    lists = [d.get("patience_factor_by_period")]
    lists += [ct.get(k) for ct in d["call_types"] for k in ("talk_factor_by_period", "patience_factor_by_period")]
    for periods in lists:
        for p in periods or ():
            p["hours"] = [format_clock(p["hours"]["open_s"]), format_clock(p["hours"]["close_s"])]
