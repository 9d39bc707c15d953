"""The scenario model: :class:`Scenario`, the validated whole of a scenario file, built from the
blocks of :mod:`ska_sim.scenario.calls` and :mod:`ska_sim.scenario.people`; its canonical
dictionary and digest. Loading and checks are in :mod:`ska_sim.scenario.load` and
:mod:`ska_sim.scenario.checks`."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import Field

from ska_sim.base.limits import MAX_REPLICATIONS
from ska_sim.maths.distributions import Duration
from ska_sim.scenario.block import Block, DurationSpec
from ska_sim.scenario.calls import Arrivals, Calendar, Callbacks, CallType, Language, Lines, Redial, Repeat, Routing
from ska_sim.scenario.people import Activities, Costs, Group, Roster, Shrinkage, Staffing, Targets, Workforce


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
    activities: Activities | None = None  # [activities]: off-phone activities from rules (activities.py)
    costs: Costs | None = None  # [costs]: euros per paid hour
    workforce: Workforce | None = None  # [workforce]: heads, hires, training, ramp-up (plan/workforce.py)
    roster: Roster | None = None  # [roster]: weekly rosters of people (scenario/roster.py, plan/roster.py)

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
                    or self.uses_callbacks())

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

    def mean_handle_s(self) -> float:
        """Mean agent time per answered call over the call-type mix (seconds)."""
        return sum(ct.share * ct.mean_handle_s() for ct in self.call_types)

    def patience_dist(self) -> Duration | None:
        return self.patience.build() if self.patience else None

    def to_dict(self) -> dict[str, Any]:
        """The scenario as loaded, in TOML's shapes (hours as ["HH:MM", "HH:MM"])."""
        d = self.model_dump(mode="json", exclude_none=True)
        # keys of newer mechanisms are left out while unused, so an older scenario keeps its digest
        for key, unused in (("languages", {}), ("groups", []), ("routing", Routing().model_dump(mode="json"))):
            if d.get(key) == unused:
                d.pop(key)
        if d.get("targets", {}).get("languages") == {}:
            d["targets"].pop("languages")
        if d["arrivals"].get("events") == []:
            d["arrivals"].pop("events")
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
