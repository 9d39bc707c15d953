"""The blocks of the people who answer: staffing vectors and agent groups, shrinkage,
off-phone activities, costs, targets, the workforce over months and weekly rosters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from ska_sim.base.limits import MAX_AGENTS_PER_INTERVAL
from ska_sim.scenario.block import Block, DisplayName
from ska_sim.scenario.clock import VectorKey, Weekday

if TYPE_CHECKING:
    import numpy as np

    from ska_sim.scenario.roster_plan import RosterPlan


def _agents_non_negative(v: dict | None) -> dict | None:
    for key, agents in (v or {}).items():
        if any(a < 0 for a in agents):
            raise ValueError(f"{key}: agents must be >= 0 (got {min(agents)})")
    return v


class Staffing(Block):
    scale: float = Field(1.0, ge=0.0)
    max_occupancy: float | None = Field(None, gt=0.0, le=1.0)  # planning cap for requirements
    agents: dict[VectorKey, list[int]] | None = None  # required unless [[groups]] give the agents
    dates: dict[dt.date, list[int]] = {}

    @field_validator("agents", "dates")
    @classmethod
    def _non_negative(cls, v: dict | None) -> dict | None:
        return _agents_non_negative(v)


class Group(Block):
    """An agent group: who they are (skills), how many per interval, how they work."""

    name: str = Field(min_length=1)
    languages: list[str] | Literal["all"] = "all"
    call_types: list[str] | Literal["all"] = "all"
    handle_factor: float = Field(1.0, gt=0.0, le=10.0)  # multiplies the handle time of calls it answers
    resolution_factor: float = Field(1.0, ge=0.0, le=10.0)  # multiplies `resolved` (capped at 1)
    overflow_after_s: float = Field(0.0, ge=0.0)  # wait before it takes calls it is not first in line for
    priority: dict[str, int] = {}  # per call type name (or "default"): higher is taken first
    # per call type name: the handle factor of that type's calls (else handle_factor)
    handle_factor_by_type: dict[str, Annotated[float, Field(gt=0.0, le=10.0)]] = {}
    agents: dict[VectorKey, list[int]]
    dates: dict[dt.date, list[int]] = {}
    # its name on the planning page, per language (else its name)
    display_name: DisplayName | None = None

    @field_validator("agents", "dates")
    @classmethod
    def _non_negative(cls, v: dict) -> dict:
        return _agents_non_negative(v)

    def serves(self, call_type: str, language: str | None) -> bool:
        types_ok = self.call_types == "all" or call_type in self.call_types
        langs_ok = self.languages == "all" or language is None or language in self.languages
        return types_ok and langs_ok

    def priority_of(self, call_type: str) -> int:
        return self.priority.get(call_type, self.priority.get("default", 0))

    def handle_factor_of(self, call_type: str) -> float:
        """The factor of the handle time of ``call_type``'s calls this group answers."""
        return float(self.handle_factor_by_type.get(call_type, self.handle_factor))


SHRINKAGE_IN_SHIFT = ("breaks", "qa_sessions", "one_to_ones", "training", "back_office", "other")


class ShrinkageShares(Block):
    """Shares of paid time not on the phones. In-shift items reduce the agents on the phones
    of those at work; absence (sickness, leave) reduces those at work of those paid."""

    breaks: float | None = Field(None, ge=0.0, lt=1.0)
    qa_sessions: float | None = Field(None, ge=0.0, lt=1.0)
    one_to_ones: float | None = Field(None, ge=0.0, lt=1.0)
    training: float | None = Field(None, ge=0.0, lt=1.0)
    back_office: float | None = Field(None, ge=0.0, lt=1.0)
    other: float | None = Field(None, ge=0.0, lt=1.0)
    absence: float | None = Field(None, ge=0.0, lt=1.0)


class Shrinkage(ShrinkageShares):
    fte_hours_per_week: float = Field(40.0, gt=0.0, le=168.0)
    fte_per_head: float = Field(1.0, gt=0.0, le=1.0)  # average contract of one person, in FTE (heads = FTE / this)
    weekday: dict[Weekday, ShrinkageShares] = {}

    def shares(self, weekday: str) -> tuple[float, float]:
        """(in-shift share, absence share) for a weekday: its own values over the defaults."""
        own = self.weekday.get(weekday)

        def get(name: str) -> float:
            v = getattr(own, name) if own is not None else None
            if v is None:
                v = getattr(self, name)
            return v or 0.0

        return sum(get(n) for n in SHRINKAGE_IN_SHIFT), get("absence")


class Activities(Block):
    """Off-phone activities from the unit's rules ([activities], activities.py; DOMAIN.md):
    monthly call review per advisor (``call_review_calls`` >= 3 listened to alone and with the
    manager, + discussion), team listening sessions every ``team_session_every_months``
    (``team_session_calls`` per team, each advisor attends), 1:1s, training days, back-office
    hours. ``talk_s``: the mean talk time of a reviewed call (default: the call-type mix's)."""

    team_size: int = Field(10, ge=1, le=1000)
    talk_s: float | None = Field(None, gt=0.0)
    call_review_calls: int = Field(0, ge=0, le=1000)
    call_review_discussion_min: float = Field(0.0, ge=0.0)
    team_session_calls: int = Field(0, ge=0, le=10000)
    team_session_every_months: int = Field(3, ge=1, le=12)
    team_session_discussion_min: float = Field(0.0, ge=0.0)
    one_to_one_min_per_month: float = Field(0.0, ge=0.0)
    training_days_per_year: float = Field(0.0, ge=0.0, le=260.0)
    back_office_hours_per_week: float | None = Field(None, ge=0.0, le=168.0)
    back_office_hours_per_month: float | None = Field(None, ge=0.0, le=744.0)
    back_office_block_min: int = Field(60, ge=1, le=1440)

    @model_validator(mode="after")
    def _rules(self) -> Activities:
        if 0 < self.call_review_calls < 3:
            raise ValueError(f"call_review_calls: at least 3 calls a month (SKA's rule), or 0 for none "
                             f"(got {self.call_review_calls})")
        if self.back_office_hours_per_week is not None and self.back_office_hours_per_month is not None:
            raise ValueError("give back_office_hours_per_week or back_office_hours_per_month, not both")
        return self


class Costs(Block):
    """What paid time costs ([costs]): euros per paid hour of an advisor (and of a manager)."""

    eur_per_paid_hour: float = Field(gt=0.0, le=10000.0)
    manager_eur_per_hour: float | None = Field(None, gt=0.0, le=10000.0)


class ServiceLevelTarget(Block):
    threshold_s: float = Field(20.0, ge=0.0)
    share: float = Field(0.80, ge=0.0, le=1.0)
    # per call type name: its own threshold T (else threshold_s); the line's service level counts
    # each call answered within its own type's threshold
    threshold_s_by_type: dict[str, Annotated[float, Field(ge=0.0)]] = {}

    def threshold_of(self, call_type: str) -> float:
        """The threshold T of ``call_type``'s calls (s)."""
        return float(self.threshold_s_by_type.get(call_type, self.threshold_s))

    def label(self, short: bool = False) -> str:
        """The threshold in words: '20 s', or '20 s, pensions 60 s, family 90 s' with thresholds per
        call type ('T of its call type' with ``short``)."""
        if short and self.threshold_s_by_type:
            return "T of its call type"
        return ", ".join([f"{self.threshold_s:g} s"] + [f"{k} {t:g} s" for k, t in self.threshold_s_by_type.items()])


class FcrTarget(Block):
    min: float = Field(0.70, ge=0.0, le=1.0)
    max: float = Field(1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> FcrTarget:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class LanguageTargets(Block):
    """Targets for the calls of one language (each call at its call type's threshold T)."""

    service_level: float | None = Field(None, ge=0.0, le=1.0)  # share answered within T
    answer_rate: float | None = Field(None, ge=0.0, le=1.0)


class Targets(Block):
    service_level: ServiceLevelTarget = ServiceLevelTarget()
    answer_rate: float | None = Field(0.90, ge=0.0, le=1.0)
    fcr: FcrTarget | None = None
    abandon_rate_max: float | None = Field(None, ge=0.0, le=1.0)
    asa_max_s: float | None = Field(None, ge=0.0)
    languages: dict[str, LanguageTargets] = {}  # [targets.languages.ru] service_level = 0.8
    written_on_time: float | None = Field(None, ge=0.0, le=1.0)  # [[written]]: share done by the deadline


class Hire(Block):
    """A cohort of new advisors: how many start on which date ([[workforce.hires]])."""

    start: dt.date
    count: int = Field(ge=0, le=MAX_AGENTS_PER_INTERVAL)
    name: str = ""


class RampStep(Block):
    """One month on the phones after training: multipliers of handle time and of ``resolved``."""

    handle_factor: float = Field(1.0, gt=0.0, le=10.0)
    resolution_factor: float = Field(1.0, ge=0.0, le=10.0)


class Workforce(Block):
    """Heads over months (README "Hiring, training and attrition"; plan/workforce.py):
    ``heads`` on the payroll at ``calendar.start`` (past their ramp-up), expected leavers
    ``attrition_per_month`` x heads each month, hires with start dates, ``training_weeks``
    off the phones (paid), then ``ramp_up`` per month on the phones (1 after the list)."""

    heads: int = Field(ge=0, le=MAX_AGENTS_PER_INTERVAL)
    attrition_per_month: float = Field(0.0, ge=0.0, lt=1.0)
    training_weeks: float = Field(0.0, ge=0.0, le=104.0)
    ramp_up: list[RampStep] = []
    hires: list[Hire] = []


class RosterLeave(Block):
    """Planned leave of a roster line: ``people`` of the line (default: all) away in ``week``."""

    week: int = Field(ge=1)  # week of the roster horizon, 1 = the week starting calendar.start
    people: int | None = Field(None, ge=1)


class RosterLine(Block):
    """A line of identical people in [roster] (README, "Weekly rosters")."""

    name: str = Field(min_length=1)
    count: int = Field(1, ge=1, le=2000)
    shifts: list[str] | None = None  # shift names of the shifts file this line may work (default: all)
    max_days_per_week: int = Field(5, ge=0, le=7)  # "5 on / 2 off": at most 5 days in each week of the horizon
    min_days_per_week: int = Field(0, ge=0, le=7)  # at least (a contract's days; fewer in leave weeks, holidays)
    max_consecutive_days: int = Field(5, ge=1, le=31)
    weekends_off: bool = True  # fixed weekends off (Saturday and Sunday)
    leave: list[RosterLeave] = []
    from_week: int = Field(1, ge=1)  # first week on the roster (a hire starting later; workforce.py's heads)
    until_week: int | None = Field(None, ge=1)  # last week on the roster (a leaver), default: the horizon's end
    group: str | None = None  # with [[groups]]: the agent group these people answer for
    absence_probability: float | None = Field(None, ge=0.0, lt=1.0)  # this line's own (default: roster's)
    hours_per_week: float | None = Field(None, gt=0, le=60)  # each person's contract (default: full time)
    fte: float | None = Field(None, gt=0, le=1.5)  # or the contract as FTE (1 = shrinkage.fte_hours_per_week)

    @model_validator(mode="after")
    def _days(self) -> RosterLine:
        if self.min_days_per_week > self.max_days_per_week:
            raise ValueError(f"min_days_per_week ({self.min_days_per_week}) is above max_days_per_week "
                             f"({self.max_days_per_week})")
        if self.hours_per_week is not None and self.fte is not None:
            raise ValueError("give the contract as hours_per_week or as fte, not both")
        return self

    def contract_fte(self, full_time_h: float) -> float:
        """Each person's contract in FTE: ``fte``, else ``hours_per_week`` / the full-time week
        (``shrinkage.fte_hours_per_week``, 40 h), else full time (1.0)."""
        if self.fte is not None:
            return self.fte
        return self.hours_per_week / full_time_h if self.hours_per_week is not None else 1.0


@dataclass(frozen=True)
class LoadedRoster:
    """What loading a scenario attaches to its [roster] block, beside the keys of the file: never
    part of ``to_dict()`` (nor a ``--set`` key). Scenario/roster.py's ``with_loaded`` is the one
    writer; every module reads it through the block's properties."""

    plan: RosterPlan | None = None  # the roster to simulate, from `file` or `staff --roster`
    base_dir: str = "."  # the scenario file's folder
    file_record: dict[str, str] | None = None  # {"path", "sha256"} of `file` while its roster is attached
    extra: np.ndarray | None = None  # agents added on top of the roster's per open interval (read-only)


class Roster(Block):
    """[roster]: weekly rosters of people (scenario/roster.py, plan/roster.py). The rest rules of
    the Employment Contracts Act are fixed, not keys: 11 h daily rest, 48 h weekly rest, a 30-min
    break over 6 h of work."""

    shifts: str | None = None  # shifts file (scenario/shifts.py), relative to the scenario file
    weeks: int = Field(1, ge=1, le=6)  # horizon from calendar.start: 1 = a week, 4 or 5 = a month
    people: list[RosterLine] = []
    leave: dict[str, list[int]] = {}  # person name (e.g. "full_time-03") -> weeks of planned leave
    absence_probability: float = Field(0.0, ge=0.0, lt=1.0)  # a rostered person is absent on a worked day
    file: str | None = None  # a saved roster.csv (relative to the scenario) that `run` simulates
    repeat: bool = False  # the roster's weeks repeat over every simulated day (warm-up and beyond the horizon)
    cover_absence: bool = False  # staff --roster: plan for the expected absence (requirement / (1 - p))
    _loaded: LoadedRoster = PrivateAttr(default_factory=LoadedRoster)  # what loading attached

    @property
    def plan(self) -> RosterPlan | None:
        """The roster simulated (read from ``file`` when loading, or solved by ``staff --roster``)."""
        return self._loaded.plan

    @property
    def base_dir(self) -> str:
        """The scenario file's folder: ``file`` and ``shifts`` are relative to it."""
        return self._loaded.base_dir

    @property
    def file_record(self) -> dict[str, str] | None:
        """``{"path", "sha256"}`` of ``file`` while the roster read from it is attached (a copy)."""
        rec = self._loaded.file_record
        return None if rec is None else dict(rec)

    @property
    def extra(self) -> np.ndarray | None:
        """Agents per open interval (x group) added on top of the roster's people (marginal's steps), read-only."""
        return self._loaded.extra

    def person_names(self) -> list[str]:
        return [n for line in self.people for n in line_people(line)]


def line_people(line: RosterLine) -> list[str]:
    """The people of a roster line: its name, or name-01, name-02, ... when count > 1."""
    return [line.name] if line.count == 1 else [f"{line.name}-{i:02d}" for i in range(1, line.count + 1)]
