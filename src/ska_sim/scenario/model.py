"""Scenario files: the pydantic models, TOML loading, ``--set`` overrides and every input check.

A scenario is read from TOML, overridden key by key (``--set calendar.days=10``), and
validated in one pass. Every problem found is reported at once, each naming the file (or
the ``--set`` option it came from), the key path and what is wrong, e.g.::

    baseline.toml: call_types[2].talk.cv: must be >= 0 (got -0.5)

Problems raise :class:`ScenarioError`, the only exception bad input produces.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import tomllib
from pathlib import Path
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.maths.distributions import FAMILIES, Duration
from ska_sim.base.limits import (  # noqa: F401  (re-exported: the documented limits)
    MAX_AGENTS_PER_INTERVAL,
    MAX_CALLS_PER_DAY,
    MAX_REPLICATIONS,
    MAX_SCENARIO_BYTES,
    SUSPICIOUS_SCALE,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SHARE_TOLERANCE = 1e-6


# --------------------------------------------------------------------------- models
class Block(BaseModel):
    # allow_inf_nan=False: every float of every block must be finite (inf / nan are refused
    # with "must be a finite number"), one rule instead of a check per field
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


Probability = Field(ge=0.0, le=1.0)


class DurationSpec(Block):
    """A duration: a named family with mean and cv, or an empirical list of values (seconds)."""

    dist: str
    mean_s: float | None = Field(None, ge=0.0)
    cv: float | None = Field(None, ge=0.0)
    values_s: list[float] | None = None

    @field_validator("dist")
    @classmethod
    def _known_family(cls, v: str) -> str:
        if v not in FAMILIES:
            raise ValueError(f"unknown distribution family {v!r} (one of: {', '.join(FAMILIES)})")
        return v

    @field_validator("values_s")
    @classmethod
    def _values(cls, v: list[float] | None) -> list[float] | None:
        if v is not None:
            if not v:
                raise ValueError("needs at least one value")
            if min(v) < 0:
                raise ValueError(f"durations must be >= 0 (got {min(v)})")
        return v

    @model_validator(mode="after")
    def _complete(self) -> DurationSpec:
        if self.dist == "empirical":
            if self.values_s is None:
                raise ValueError("empirical needs values_s = [...]")
            if self.mean_s is not None or self.cv is not None:
                raise ValueError("empirical takes values_s only, not mean_s or cv")
            return self
        if self.values_s is not None:
            raise ValueError(f"values_s is for dist = 'empirical', not {self.dist!r}")
        if self.mean_s is None:
            raise ValueError(f"{self.dist} needs mean_s")
        if self.dist == "exponential" and self.cv is not None and abs(self.cv - 1.0) > 1e-9:
            raise ValueError(f"exponential has cv 1 (got {self.cv}); use gamma or lognormal for another cv")
        if self.dist == "deterministic" and self.cv not in (None, 0.0):
            raise ValueError(f"deterministic has cv 0 (got {self.cv})")
        if self.dist in ("lognormal", "gamma", "weibull") and self.cv is None:
            raise ValueError(f"{self.dist} needs cv (coefficient of variation)")
        if self.dist == "weibull" and self.cv is not None and not (0 < self.cv <= 10):
            if self.cv != 0:
                raise ValueError(f"weibull cv must be in (0, 10] (got {self.cv})")
        return self

    def build(self) -> Duration:
        if self.dist == "empirical":
            return Duration("empirical", 0.0, 0.0, tuple(self.values_s or ()))
        cv = {"exponential": 1.0, "deterministic": 0.0}.get(self.dist, self.cv)
        return Duration(self.dist, float(self.mean_s or 0.0), float(cv or 0.0))


class Meta(Block):
    name: str = "scenario"
    description: str = ""


def parse_clock(text: str) -> int:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not m or int(m.group(2)) >= 60:
        raise ValueError(f"time must be HH:MM (got {text!r})")
    s = int(m.group(1)) * 3600 + int(m.group(2)) * 60
    if s > 86400:
        raise ValueError(f"time must be within 00:00-24:00 (got {text!r})")
    return s


class Hours(Block):
    """Opening hours of one day as [open, close], "HH:MM" within 00:00-24:00."""

    open_s: int
    close_s: int

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            if len(v) != 2 or not all(isinstance(x, str) for x in v):
                raise ValueError(f'must be ["HH:MM", "HH:MM"] (got {v!r})')
            o, c = parse_clock(v[0]), parse_clock(v[1])
            if c <= o:
                raise ValueError(f"closing time {v[1]} is not after opening time {v[0]}")
            return {"open_s": o, "close_s": c}
        return v

    def label(self) -> list[str]:
        return [format_clock(self.open_s), format_clock(self.close_s)]


def format_clock(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


class Calendar(Block):
    start: dt.date
    days: int = Field(ge=1, le=3660)
    warmup_days: int = Field(0, ge=0, le=366)
    interval_min: Literal[15, 30, 60] = 30
    hours: dict[Weekday, Hours]
    date_hours: dict[dt.date, Hours] = {}
    closed: list[dt.date] = []
    # working days shorter for the staff (EE: Employment Contracts Act §53, the working day before
    # New Year, Independence Day, Victory Day and Christmas Eve): they shorten the FTE norm
    shortened: list[dt.date] = []
    shortened_by_h: float = Field(3.0, ge=0.0, le=24.0)
    # issue 9 (calendar.py): a country's public holidays close the line and its §53 shortened
    # days are derived; the last Friday of a month closes at this time ("HH:MM"). Off by default.
    country: str | None = None
    last_friday_close: str | None = None

    @field_validator("country")
    @classmethod
    def _known_country(cls, v: str | None) -> str | None:
        if v is None:
            return v
        import holidays

        known = holidays.list_supported_countries()
        if v not in known:
            raise ValueError(f"unknown country code {v!r}: an ISO 3166-1 alpha-2 code the holidays package knows "
                             "(e.g. EE, FI, LV, LT)")
        return v

    @field_validator("last_friday_close")
    @classmethod
    def _clock_text(cls, v: str | None) -> str | None:
        if v is not None:
            parse_clock(v)
        return v

    @property
    def interval_s(self) -> int:
        return self.interval_min * 60


VectorKey = Literal["default", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class DemandEvent(Block):
    """A demand-event rule that expands into date factors ([[arrivals.events]], calendar.py).

    ``monthly``: day ``day`` of every month; when the line is closed that day, ``if_closed``
    moves it to the next (or previous) open day, spreading the extra volume over
    ``spread_days`` open days (each gets 1 + (factor - 1) / spread_days). ``after_holiday``:
    the first open day after a holiday (a date the calendar closes on an open weekday).
    ``range``: the open days from ``start`` to ``end`` (or the first ``open_days`` of them).
    ``valid_from`` / ``valid_to`` bound the rule's nominal dates."""

    name: str = Field(min_length=1)
    rule: Literal["monthly", "after_holiday", "range"]
    factor: float = Field(ge=0.0, le=100.0)
    day: int | None = Field(None, ge=1, le=31)
    if_closed: Literal["next_open_day", "previous_open_day", "skip"] = "next_open_day"
    spread_days: int = Field(1, ge=1, le=10)
    start: dt.date | None = None
    end: dt.date | None = None
    open_days: int | None = Field(None, ge=1, le=366)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _complete(self) -> DemandEvent:
        if self.rule == "monthly" and self.day is None:
            raise ValueError("a monthly rule needs day (the day of the month, 1-31)")
        if self.rule != "monthly" and (self.day is not None or self.spread_days != 1 or self.if_closed != "next_open_day"):
            raise ValueError(f"day, if_closed and spread_days are for rule = 'monthly', not {self.rule!r}")
        if self.rule == "range":
            if self.start is None or (self.end is None and self.open_days is None):
                raise ValueError("a range rule needs start and end (or start and open_days)")
            if self.end is not None and self.open_days is not None:
                raise ValueError(f"event {self.name!r}: give end or open_days, not both (the range ends at end, "
                                 "or after its first open_days open days)")
            if self.end is not None and self.end < self.start:
                raise ValueError(f"end {self.end.isoformat()} is before start {self.start.isoformat()}")
        elif self.start is not None or self.end is not None or self.open_days is not None:
            raise ValueError(f"start, end and open_days are for rule = 'range', not {self.rule!r}")
        if self.valid_from is not None and self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to.isoformat()} is before valid_from {self.valid_from.isoformat()}")
        return self


class Arrivals(Block):
    daily_calls: float = Field(gt=0.0)
    weekday_factor: dict[Weekday, float] = {}
    day_cv: float = Field(0.0, ge=0.0)
    volume_scale: float = Field(1.0, gt=0.0)
    profile: dict[VectorKey, list[float]]
    date_factor: dict[dt.date, float] = {}
    events: list[DemandEvent] = []  # [[arrivals.events]] rules (calendar.py); date_factor wins on its dates

    @field_validator("profile", mode="before")
    @classmethod
    def _list_is_default(cls, v: Any) -> Any:
        return {"default": v} if isinstance(v, list) else v

    @field_validator("weekday_factor", "date_factor")
    @classmethod
    def _non_negative(cls, v: dict) -> dict:
        bad = [f"{k} = {x:g}" for k, x in v.items() if x < 0 or not math.isfinite(x)]
        if bad:  # keys printed as written (ISO dates), never as a Python repr
            raise ValueError(f"factors must be >= 0 (got {', '.join(bad)})")
        return v

    @field_validator("profile")
    @classmethod
    def _shares(cls, v: dict[str, list[float]]) -> dict[str, list[float]]:
        for key, shares in v.items():
            if any(x < 0 for x in shares):
                raise ValueError(f"{key}: shares must be >= 0")
            if abs(sum(shares) - 1.0) > SHARE_TOLERANCE:
                raise ValueError(f"{key}: shares must sum to 1 (got {sum(shares):.6f})")
        return v


class IdentityCheck(Block):
    """At least 3 control questions before special-category data is disclosed (DOMAIN.md).

    ``fails``: probability that the check fails when it is needed; the call is answered but
    the issue is not resolved by phone: the caller is sent to written channels
    (``written_request``: the share who then write, KPI ``written_requests``) and calls again
    only with ``repeat_probability`` (default 0)."""

    probability: float = Probability
    extra: DurationSpec
    fails: float = Field(0.0, ge=0.0, le=1.0)
    written_request: float = Field(1.0, ge=0.0, le=1.0)
    repeat_probability: float = Field(0.0, ge=0.0, le=1.0)


class Language(Block):
    """A language calls come in: its default share of calls and its talk-time multiplier."""

    share: float = Field(ge=0.0, le=1.0)
    talk_factor: float = Field(1.0, gt=0.0, le=10.0)


class Transfer(Block):
    """A share of answered calls of a type is transferred after the talk (+ identity check):
    to an agent group (the caller queues there and is served with this talk and after-call
    work; ``resolved`` is the issue's resolution there) or ``to = "out"`` (another unit: the
    issue is resolved with ``resolved``, no second leg on the line)."""

    share: float = Probability
    to: str = Field(min_length=1)
    talk: DurationSpec | None = None  # required for a transfer to a group
    after_call_work: DurationSpec | None = None
    resolved: float = Probability


class CallType(Block):
    name: str = Field(min_length=1)
    share: float = Field(gt=0.0, le=1.0)
    talk: DurationSpec
    after_call_work: DurationSpec | None = None
    resolved: float = Probability
    identity_check: IdentityCheck | None = None
    language_shares: dict[str, float] | None = None  # this type's own language mix (else [languages] shares)
    transfer: Transfer | None = None
    callback_share: float = Field(0.0, ge=0.0, le=1.0)  # of unresolved answered calls: a promised callback

    def mean_handle_s(self) -> float:
        """Expected agent time of one answered call: talk + identity check + after-call work."""
        acw = self.after_call_work.build().mean if self.after_call_work else 0.0
        idc = self.identity_check.probability * self.identity_check.extra.build().mean if self.identity_check else 0.0
        return self.talk.build().mean + acw + idc


class Redial(Block):
    probability: float = Field(0.0, ge=0.0, le=1.0)
    delay: DurationSpec = DurationSpec(dist="exponential", mean_s=600)


class Repeat(Block):
    probability: float = Field(0.0, ge=0.0, le=1.0)
    delay: DurationSpec = DurationSpec(dist="lognormal", mean_s=129600, cv=1.5)


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
    agents: dict[VectorKey, list[int]]
    dates: dict[dt.date, list[int]] = {}

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


class Routing(Block):
    """How calls find agents (README, "Routing")."""

    policy: Literal["group_order", "random", "longest_idle"] = "group_order"
    order: dict[str, list[str]] = {}  # per call type name: its groups in order (default: file order)


class VirtualHold(Block):
    """Offered when a caller's expected wait at arrival exceeds ``offer_after_s``; ``accept``
    of them take a callback instead of waiting."""

    offer_after_s: float = Field(ge=0.0)
    accept: float = Probability


class Callbacks(Block):
    """Promised callbacks (``call_types[].callback_share``) and virtual hold, placed by ``group``."""

    group: str = Field(min_length=1)
    delay: DurationSpec = DurationSpec(dist="lognormal", mean_s=14400, cv=0.5)
    due_within_s: float = Field(28800.0, ge=0.0)
    priority: bool = True  # due callbacks go before waiting inbound calls for the group
    handle: DurationSpec = DurationSpec(dist="lognormal", mean_s=300, cv=0.8)
    resolved: float = Field(0.8, ge=0.0, le=1.0)
    virtual_hold: VirtualHold | None = None


class Lines(Block):
    """Phone lines: calls in queue + calls in talk at most ``count``; more get a busy tone."""

    count: int = Field(ge=1, le=MAX_AGENTS_PER_INTERVAL * 10)


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


class FcrTarget(Block):
    min: float = Field(0.70, ge=0.0, le=1.0)
    max: float = Field(1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> FcrTarget:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class LanguageTargets(Block):
    """Targets for the calls of one language (the line's threshold T applies)."""

    service_level: float | None = Field(None, ge=0.0, le=1.0)  # share answered within T
    answer_rate: float | None = Field(None, ge=0.0, le=1.0)


class Targets(Block):
    service_level: ServiceLevelTarget = ServiceLevelTarget()
    answer_rate: float | None = Field(0.90, ge=0.0, le=1.0)
    fcr: FcrTarget | None = None
    abandon_rate_max: float | None = Field(None, ge=0.0, le=1.0)
    asa_max_s: float | None = Field(None, ge=0.0)
    languages: dict[str, LanguageTargets] = {}  # [targets.languages.ru] service_level = 0.8


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
    """Heads over months (issue 9.5, README "Hiring, training and attrition"; workforce.py):
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

    @model_validator(mode="after")
    def _days(self) -> RosterLine:
        if self.min_days_per_week > self.max_days_per_week:
            raise ValueError(f"min_days_per_week ({self.min_days_per_week}) is above max_days_per_week "
                             f"({self.max_days_per_week})")
        return self


class Roster(Block):
    """[roster]: weekly rosters of people (roster.py). The rest rules of the Employment Contracts
    Act are fixed, not keys: 11 h daily rest, 48 h weekly rest, a 30-min break over 6 h of work."""

    shifts: str | None = None  # shifts file (shifts.py's format), relative to the scenario file
    weeks: int = Field(1, ge=1, le=6)  # horizon from calendar.start: 1 = a week, 4 or 5 = a month
    people: list[RosterLine] = []
    leave: dict[str, list[int]] = {}  # person name (e.g. "full_time-03") -> weeks of planned leave
    absence_probability: float = Field(0.0, ge=0.0, lt=1.0)  # a rostered person is absent on a worked day
    file: str | None = None  # a saved roster.csv (relative to the scenario) that `run` simulates
    repeat: bool = False  # the roster's weeks repeat over every simulated day (warm-up and beyond the horizon)
    cover_absence: bool = False  # staff --roster: plan for the expected absence (requirement / (1 - p))
    _plan: Any = PrivateAttr(None)  # the roster to simulate (roster.RosterPlan), from `file` or `staff --roster`
    _base_dir: str = PrivateAttr(".")  # the scenario file's folder: `file` and `shifts` are relative to it
    _file_record: Any = PrivateAttr(None)  # {"path", "sha256"} of `file` while its roster is attached
    _extra: Any = PrivateAttr(None)  # agents added on top of the roster's per open interval (marginal's steps)

    def person_names(self) -> list[str]:
        return [n for line in self.people for n in line_people(line)]


def line_people(line: RosterLine) -> list[str]:
    """The people of a roster line: its name, or name-01, name-02, ... when count > 1."""
    return [line.name] if line.count == 1 else [f"{line.name}-{i:02d}" for i in range(1, line.count + 1)]


def _roster_checks(s: Scenario) -> list[tuple[str, str]]:
    r = s.roster
    out: list[tuple[str, str]] = []
    if r is None:
        return out
    gnames = [g.name for g in s.groups]
    for i, line in enumerate(r.people):
        if gnames and line.group not in gnames:
            what = "missing" if line.group is None else f"unknown group {line.group!r}"
            out.append((f"roster.people[{i}].group", f"{what}: with [[groups]] each line names its group "
                                                     f"({', '.join(gnames)})"))
        elif not gnames and line.group is not None:
            out.append((f"roster.people[{i}].group", "needs [[groups]] (without them the roster is one pool)"))
    if not r.people and r.file is None:
        out.append(("roster", "needs [[roster.people]] lines (or roster.file, a saved roster to simulate)"))
    names = [line.name for line in r.people]
    for n in sorted({n for n in names if names.count(n) > 1}):
        out.append(("roster.people", f"name {n!r} is used more than once"))
    for i, line in enumerate(r.people):
        for j, lv in enumerate(line.leave):
            if lv.week > r.weeks:
                out.append((f"roster.people[{i}].leave[{j}].week", f"week {lv.week} is after the horizon "
                                                                  f"(roster.weeks = {r.weeks})"))
            if lv.people is not None and lv.people > line.count:
                out.append((f"roster.people[{i}].leave[{j}].people", f"{lv.people} people but the line has "
                                                                    f"count = {line.count}"))
    known = set(r.person_names())
    for person, weeks in r.leave.items():
        if person not in known:
            out.append((f"roster.leave.{person}", f"unknown person {person!r} (people are named after their line: "
                                                   "name, or name-01, name-02, ... when count > 1)"))
        for w in weeks:
            if not 1 <= w <= r.weeks:
                out.append((f"roster.leave.{person}", f"week {w} is outside the horizon 1..{r.weeks}"))
    return out


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
    workforce: Workforce | None = None  # [workforce]: heads, hires, training, ramp-up (workforce.py)
    roster: Roster | None = None  # [roster]: weekly rosters of people (roster.py)

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
        """True when the general engine path is needed: groups, languages, lines or identity failures."""
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
        rec = self.roster._file_record if self.roster is not None and self.roster._plan is not None else None
        if rec is not None:  # a saved roster's agents are part of the model: its bytes, not only its name
            text += "\nroster.file sha256 " + rec["sha256"]
        extra = self.roster._extra if self.roster is not None and self.roster._plan is not None else None
        if extra is not None:  # agents added on top of the roster (marginal's steps)
            text += "\nroster extra sha256 " + hashlib.sha256(repr(extra.tolist()).encode()).hexdigest()
        return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- cross-field checks
def _cross_checks(s: Scenario) -> list[tuple[str, str]]:
    """Checks that span several keys. Returns (key path, message) pairs."""
    out: list[tuple[str, str]] = []
    cal, iv = s.calendar, s.calendar.interval_s
    shares = sum(ct.share for ct in s.call_types)
    if abs(shares - 1.0) > SHARE_TOLERANCE:
        out.append(("call_types", f"shares must sum to 1 (got {shares:.6f})"))
    names = [ct.name for ct in s.call_types]
    for n in sorted({n for n in names if names.count(n) > 1}):
        out.append(("call_types", f"name {n!r} is used more than once"))

    def intervals(h: Hours, where: str) -> int | None:
        if h.open_s % iv or h.close_s % iv:
            out.append((where, f"opening hours {h.label()} do not fall on {cal.interval_min}-minute interval boundaries"))
            return None
        return (h.close_s - h.open_s) // iv

    def vector(table: dict[str, list], day: str) -> tuple[str, list] | None:
        if day in table:
            return day, table[day]
        if "default" in table:
            return "default", table["default"]
        return None

    staffing_tables = _staffing_tables(s, out)
    for day, h in cal.hours.items():
        n = intervals(h, f"calendar.hours.{day}")
        if n is None:
            continue
        tables = [("arrivals.profile", s.arrivals.profile)] + [(block, agents) for block, agents, _ in staffing_tables]
        for block, table in tables:
            found = vector(table, day)
            if found is None:
                out.append((block, f"no vector for {day} (open {'-'.join(h.label())}) and no default"))
            elif len(found[1]) != n:
                what = "shares" if block == "arrivals.profile" else "agents"
                out.append(
                    (
                        f"{block}.{found[0]}",
                        f"has {len(found[1])} {what} but {day} opens {'-'.join(h.label())}, "
                        f"{n} intervals of {cal.interval_min} min",
                    )
                )
    for day, h in cal.date_hours.items():
        n = intervals(h, f"calendar.date_hours.{day}")
        if n is None:
            continue
        wd = WEEKDAYS[day.weekday()]
        base = cal.hours.get(wd)
        if base is None or h.open_s < base.open_s or h.close_s > base.close_s:
            usual = "-".join(base.label()) if base else "closed"
            out.append(
                (
                    f"calendar.date_hours.{day}",
                    f"{'-'.join(h.label())} must lie within {wd}'s usual hours ({usual}): "
                    "the profile and staffing of those hours are used",
                )
            )
            continue
        for block, _, dates in staffing_tables:
            where = block.removesuffix(".agents") + ".dates"
            agents = dates.get(day)
            if agents is not None and len(agents) != n:
                out.append((f"{where}.{day}", f"has {len(agents)} agents but {day} opens {n} intervals"))
    for block, _, dates in staffing_tables:
        where = block.removesuffix(".agents") + ".dates"
        for day, agents in dates.items():
            if day in cal.date_hours:
                continue
            h = cal.hours.get(WEEKDAYS[day.weekday()])
            if h is not None and (cal.country or cal.last_friday_close or cal.shortened):
                from ska_sim.scenario.calendar import WorkingCalendar  # the date's derived hours (a shortened day has fewer intervals)

                o, c, _ = WorkingCalendar(s).hours(day)
                h = Hours(open_s=o, close_s=c) if o is not None and c is not None and c > o else h
            if h is None:
                out.append((f"{where}.{day}", f"{day} is not an open day (no hours for {WEEKDAYS[day.weekday()]})"))
            elif h.open_s % iv == 0 and h.close_s % iv == 0 and len(agents) != (h.close_s - h.open_s) // iv:
                n = (h.close_s - h.open_s) // iv
                out.append((f"{where}.{day}", f"has {len(agents)} agents but {day} opens {n} intervals"))
    out += _skills_checks(s)
    for day in WEEKDAYS:
        in_shift, absence = s.shrinkage.shares(day)
        if in_shift >= 1.0 or absence >= 1.0:
            where = f"shrinkage.weekday.{day}" if day in s.shrinkage.weekday else "shrinkage"
            out.append((where, f"shares leave nobody on the phones on {day} (in-shift {in_shift:.2f}, absence {absence:.2f})"))
            break
    fcr = s.targets.fcr
    if s.repeat.probability > 0 and s.repeat.delay.mean_s == 0:
        out.append(("repeat.delay.mean_s", "must be > 0 when repeat.probability > 0"))
    if fcr is not None and fcr.min > fcr.max:  # pragma: no cover - caught by FcrTarget
        out.append(("targets.fcr", "min above max"))
    from ska_sim.scenario.calendar import calendar_checks

    out += calendar_checks(s)
    if s.activities is not None:
        from ska_sim.scenario.activities import activities_checks

        out += activities_checks(s)
    out += _window_and_size_checks(s)
    out += _roster_checks(s)
    if s.workforce is not None:
        from ska_sim.plan.workforce import workforce_checks

        out += workforce_checks(s)
    return out


def _staffing_tables(s: Scenario, out: list) -> list[tuple[str, dict, dict]]:
    """(key path, agents per weekday, agents per date) of [staffing] or of each group.
    With [[groups]] the agents are the groups'; giving staffing.agents too is a problem."""
    if s.groups:
        if s.staffing.agents is not None:
            out.append(("staffing.agents", "give the agents per group in [[groups]] or in [staffing.agents], not both"))
        if s.staffing.dates:
            out.append(("staffing.dates", "with [[groups]], give a date's agents per group (groups[i].dates)"))
        return [(f"groups[{i}].agents", g.agents, g.dates) for i, g in enumerate(s.groups)]
    if s.staffing.agents is None:
        out.append(("staffing.agents", "missing (required): agents on the phones per interval, or [[groups]]"))
        return []
    return [("staffing.agents", s.staffing.agents, s.staffing.dates)]


def _skills_checks(s: Scenario) -> list[tuple[str, str]]:
    """Languages, groups and routing name only what exists, and every call finds a group."""
    out: list[tuple[str, str]] = []
    langs = set(s.languages)
    types = [ct.name for ct in s.call_types]
    if s.languages:
        total = sum(lang.share for lang in s.languages.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            out.append(("languages", f"shares must sum to 1 (got {total:.6f})"))
    for i, ct in enumerate(s.call_types):
        if ct.language_shares is None:
            continue
        where = f"call_types[{i}].language_shares"
        if not s.languages:
            out.append((where, "needs [languages] (the languages, their shares and talk factors)"))
            continue
        unknown = sorted(set(ct.language_shares) - langs)
        if unknown:
            out.append((where, f"unknown language(s) {', '.join(unknown)} (languages: {', '.join(sorted(langs))})"))
        bad = {k: v for k, v in ct.language_shares.items() if not (0.0 <= v <= 1.0)}
        if bad:
            out.append((where, f"shares must be in [0, 1] (got {bad})"))
        if abs(sum(ct.language_shares.values()) - 1.0) > SHARE_TOLERANCE:
            out.append((where, f"shares must sum to 1 (got {sum(ct.language_shares.values()):.6f})"))
    gnames = [g.name for g in s.groups]
    for n in sorted({n for n in gnames if gnames.count(n) > 1}):
        out.append(("groups", f"name {n!r} is used more than once"))
    for i, g in enumerate(s.groups):
        if g.languages != "all":
            unknown = sorted(set(g.languages) - langs)
            if unknown:
                out.append((f"groups[{i}].languages", f"unknown language(s) {', '.join(unknown)}"
                            + (f" (languages: {', '.join(sorted(langs))})" if langs else " (no [languages] given)")))
        if g.call_types != "all":
            unknown = sorted(set(g.call_types) - set(types))
            if unknown:
                out.append((f"groups[{i}].call_types", f"unknown call type(s) {', '.join(unknown)}"))
        unknown = sorted(set(g.priority) - set(types) - {"default"})
        if unknown:
            out.append((f"groups[{i}].priority", f"unknown call type(s) {', '.join(unknown)} (or 'default')"))
    for lang in s.targets.languages:
        if lang not in langs:
            out.append((f"targets.languages.{lang}", f"unknown language {lang!r}"
                        + (f" (languages: {', '.join(sorted(langs))})" if langs else " (no [languages] given)")))
    if s.routing.order and not s.groups:
        out.append(("routing.order", "needs [[groups]] to route to"))
    for k, names in s.routing.order.items():
        if k not in types:
            out.append((f"routing.order.{k}", f"unknown call type {k!r}"))
        unknown = [n for n in names if n not in gnames]
        if unknown and s.groups:
            out.append((f"routing.order.{k}", f"unknown group(s) {', '.join(unknown)}"))
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            out.append((f"routing.order.{k}", f"group(s) listed twice: {', '.join(dup)}"))
    out += _transfer_callback_checks(s, gnames)
    if s.groups and not out:
        for ct in s.call_types:
            shares = s.language_shares(ct) or {None: 1.0}
            order = s.group_order(ct.name)
            for lang, share in shares.items():
                if share > 0 and not any(g.serves(ct.name, lang) for g in order):
                    what = f"{ct.name!r} calls" + (f" in {lang}" if lang else "")
                    where = f"routing.order.{ct.name}" if ct.name in s.routing.order else "groups"
                    out.append((where, f"no group serves {what}: give a group these skills or route them"))
    return out


def _transfer_callback_checks(s: Scenario, gnames: list[str]) -> list[tuple[str, str]]:
    """Transfers go to a group that exists (or "out"); callbacks name a group that exists."""
    out: list[tuple[str, str]] = []
    known = f" (groups: {', '.join(gnames)}, or \"out\")" if gnames else " (no [[groups]] given: only \"out\")"
    for i, ct in enumerate(s.call_types):
        tr = ct.transfer
        if tr is not None:
            where = f"call_types[{i}].transfer"
            if tr.to != "out" and tr.to not in gnames:
                out.append((f"{where}.to", f"unknown group {tr.to!r}{known}"))
            if tr.to != "out" and tr.talk is None:
                out.append((f"{where}.talk", f"missing: the talk time with group {tr.to!r}"))
            if tr.to == "out" and (tr.talk is not None or tr.after_call_work is not None):
                out.append((where, "a transfer out of the line has no talk or after_call_work on the line"))
        if ct.callback_share > 0 and s.callbacks is None:
            out.append((f"call_types[{i}].callback_share", "needs [callbacks] (the group that places them, delay, handle)"))
    cb = s.callbacks
    if cb is not None and cb.group not in gnames:
        what = f"unknown group {cb.group!r}" + (f" (groups: {', '.join(gnames)})" if gnames else " (no [[groups]] given)")
        out.append(("callbacks.group", what))
    return out


def _open_hours(s: Scenario, date: dt.date) -> Hours | None:
    """The opening hours of a date, None when it is closed (as the timeline builds it)."""
    usual = s.calendar.hours.get(WEEKDAYS[date.weekday()])
    if usual is None or date in set(s.calendar.closed):
        return None
    return s.calendar.date_hours.get(date, usual)


def _window_and_size_checks(s: Scenario) -> list[tuple[str, str]]:
    """A measured window with an open day; calls per day and agents per interval within the limits."""
    out: list[tuple[str, str]] = []
    cal, arr = s.calendar, s.arrivals
    first = cal.start - dt.timedelta(days=cal.warmup_days)
    dates = [first + dt.timedelta(days=i) for i in range(cal.warmup_days + cal.days)]
    from ska_sim.scenario.calendar import WorkingCalendar  # closed dates, country holidays, event factors (calendar.py)

    wc = WorkingCalendar(s)
    open_dates = [d for d in dates if wc.is_open(d)]
    last = cal.start + dt.timedelta(days=cal.days - 1)
    if not [d for d in open_dates if d >= cal.start]:
        span = cal.start.isoformat() if cal.days == 1 else f"{cal.start.isoformat()} to {last.isoformat()}"
        out.append(("calendar", f"no open day falls in the measured window {span} ({cal.days} day"
                                f"{'s' if cal.days != 1 else ''}: every date is closed or its weekday has no hours); "
                                "there is nothing to measure"))
    busiest, busiest_day = 0.0, None
    for d in open_dates:
        calls = arr.daily_calls * arr.weekday_factor.get(WEEKDAYS[d.weekday()], 1.0) * wc.factor(d)[0]
        if calls * arr.volume_scale > busiest:
            busiest, busiest_day = calls * arr.volume_scale, d
    if busiest > MAX_CALLS_PER_DAY:
        out.append(("arrivals", f"{busiest:.4g} first calls expected on {busiest_day.isoformat()} (daily_calls x "
                                f"factors x volume_scale); at most {MAX_CALLS_PER_DAY:,} per day are simulated "
                                "(README, Limits)"))
    vectors = [v for _, agents, dates in _staffing_tables(s, []) for v in (*agents.values(), *dates.values())]
    most = max((max(v) for v in vectors if v), default=0)
    scaled = math.floor(most * s.staffing.scale + 0.5)
    if scaled > MAX_AGENTS_PER_INTERVAL:
        out.append(("staffing", f"{scaled:,} agents in an interval ({most:,} x scale {s.staffing.scale:g}); at most "
                                f"{MAX_AGENTS_PER_INTERVAL:,} per interval are simulated (README, Limits)"))
    return out


def scenario_warnings(s: Scenario, overrides: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Values that are allowed but look like typing mistakes (``volume_scale = 115`` for 1.15),
    and ``--set`` options (``overrides``) of staffing vectors a saved roster replaces.
    One line each; the command line prints them on stderr as ``warning: ...``."""
    out = []

    def check(path: str, value: float) -> None:
        if value > SUSPICIOUS_SCALE:
            guess = f": did you mean {1 + value / 100:g} (+{value:g}%)?" if value < 100 else f": did you mean {value / 100:g}?"
            out.append(f"{path} = {value:g} multiplies by {value:g}{guess}")

    check("arrivals.volume_scale", s.arrivals.volume_scale)
    check("staffing.scale", s.staffing.scale)
    for wd, x in s.arrivals.weekday_factor.items():
        check(f"arrivals.weekday_factor.{wd}", x)
    for d, x in s.arrivals.date_factor.items():
        check(f"arrivals.date_factor.{d.isoformat()}", x)
    for i, ev in enumerate(s.arrivals.events):
        check(f"arrivals.events[{i}].factor", ev.factor)
    if s.roster is not None and s.roster._plan is not None and not s.roster.repeat:
        from ska_sim.plan.roster import window_warning

        out += window_warning(s)
    if s.roster is not None and s.roster._plan is not None:  # roster.file gives the agents of its dates
        from ska_sim.plan.roster import unused_vectors_warning

        out += unused_vectors_warning(s, overrides)
    return out


# --------------------------------------------------------------------------- overrides
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_key(path: str) -> list[str | int]:
    """``call_types[0].talk.cv`` or ``call_types.0.talk.cv`` -> ['call_types', 0, 'talk', 'cv']."""
    parts: list[str | int] = []
    for m in _PART.finditer(path):
        name, index = m.groups()
        if index is not None:
            parts.append(int(index))
        elif name.isdigit():
            parts.append(int(name))
        else:
            parts.append(name)
    return parts


def parse_value(text: str) -> Any:
    """A ``--set`` value read as a TOML value (number, bool, date, list, table); else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in the raw scenario dict. List items can be named by index or by ``name``."""
    parts = split_key(path)
    if not parts:
        raise KeyError("empty key")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        node = _child(node, part, parts[: i + 1], create=True)
    last = parts[-1]
    if isinstance(node, list):
        idx = _index(node, last, parts)
        node[idx] = value
    elif isinstance(node, dict):
        node[str(last)] = value
    else:
        raise KeyError(f"{_fmt(parts[:-1])} is a value, not a table")


def _index(node: list, part: str | int, parts: list) -> int:
    if isinstance(part, int):
        if part >= len(node):
            raise KeyError(f"{_fmt(parts)}: index {part} out of range (the list has {len(node)} items)")
        return part
    for i, item in enumerate(node):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    raise KeyError(f"{_fmt(parts)}: no item named {part!r}")


def _child(node: Any, part: str | int, parts: list, create: bool) -> Any:
    if isinstance(node, list):
        return node[_index(node, part, parts)]
    if isinstance(node, dict):
        key = str(part)
        if key not in node:
            if not create:
                raise KeyError(_fmt(parts))
            node[key] = {}
        return node[key]
    raise KeyError(f"{_fmt(parts[:-1])} is a value, not a table")


def _resolved(data: Any, parts: list[str | int]) -> list[str | int]:
    """Key parts with list items named by ``name`` replaced by their index, as validation
    errors locate them (``call_types.pensions.cv`` -> ['call_types', 2, 'cv'])."""
    out: list[str | int] = []
    node = data
    for part in parts:
        if isinstance(node, list):
            try:
                part = _index(node, part, parts)
            except KeyError:
                return out + list(parts[len(out):])
            node = node[part]
        elif isinstance(node, dict):
            node = node.get(str(part))
        else:
            node = None
        out.append(part)
    return out


def _fmt(parts: list[str | int] | tuple) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def parse_set_option(text: str) -> tuple[str, Any]:
    """``key.path=value`` -> (key path, parsed value); raises ScenarioError naming the option."""
    if "=" not in text or not text.split("=", 1)[0].strip():
        raise ScenarioError([Problem("--set", text, "must be key.path=value")])
    key, raw = text.split("=", 1)
    raw = raw.strip()
    if raw[:1] in ("[", "{"):  # meant as a list or table: a TOML error is worth naming, not a string
        try:
            tomllib.loads(f"v = {raw}")
        except tomllib.TOMLDecodeError as exc:
            why = str(exc).split(" (at ")[0]
            raise ScenarioError([Problem(f"--set {text}", key.strip(), f"not a valid TOML value ({why}): dates are "
                                         "YYYY-MM-DD with a real month and day, text goes in quotes")]) from None
    return key.strip(), parse_value(raw)


# --------------------------------------------------------------------------- loading
def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file: at most MAX_SCENARIO_BYTES (an endless ``/dev/zero`` is refused after
    that much), UTF-8 with or without a byte-order mark."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            raw = f.read(MAX_SCENARIO_BYTES + 1)
        if len(raw) > MAX_SCENARIO_BYTES:
            raise ScenarioError([Problem(str(p), "", f"larger than {MAX_SCENARIO_BYTES / 1e6:g} MB, the limit for a "
                                                        "scenario file (README, Limits)")])
        text = raw.decode("utf-8-sig")  # a UTF-8 byte-order mark (Windows editors) is dropped
    except FileNotFoundError:
        raise ScenarioError([Problem(str(p), "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(str(p), "", f"cannot read: not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(str(p), "", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(str(p), "", f"malformed TOML: {exc}")]) from None


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read a scenario TOML file, apply ``key.path=value`` overrides and validate it all.

    Raises :class:`ScenarioError` with every problem found.
    """
    data = read_toml(path)
    scenario = scenario_from_dict(data, source=str(path), overrides=overrides)
    if scenario.roster is not None:  # roster.file and roster.shifts are relative to the scenario file
        from ska_sim.plan.roster import attach_file

        scenario.roster._base_dir = str(Path(path).parent)
        scenario = attach_file(scenario, str(path))
    return scenario


def scenario_from_dict(
    data: dict[str, Any], source: str = "<scenario>", overrides: list[str] | tuple[str, ...] = ()
) -> Scenario:
    """Validate a raw scenario dict (as TOML gives it), with optional ``key.path=value`` overrides."""
    data = json.loads(json.dumps(data, default=_json_default))  # deep copy; dates become strings
    problems: list[Problem] = []
    set_paths: list[tuple[list, str]] = []
    created: list[tuple[list, str]] = []  # a block (table) a --set brought into being, with that --set
    for text in overrides:
        try:
            key, value = parse_set_option(text)
            parts = _resolved(data, split_key(key))
            new_block = _new_block(data, parts)
            apply_override(data, key, _jsonable(value))
            set_paths.append((_resolved(data, split_key(key)), text))
            if new_block:
                created.append((new_block, text))
        except ScenarioError as exc:
            problems.extend(exc.problems)
        except KeyError as exc:
            problems.append(Problem("--set", text, f"no such key: {exc.args[0]}"))
    if problems:
        raise ScenarioError(problems)

    def origin(loc: list) -> str:
        # a problem inside what a --set wrote, or about a block (or unknown key) that a --set
        # wrote into (--set foo.bar=1 -> loc ['foo']), is the --set's, not the file's
        for parts, text in set_paths:
            if loc[: len(parts)] == parts or (loc and parts[: len(loc)] == loc):
                return f"--set {text}"
        for parts, text in created:  # a required key missing from a block that a --set created
            if loc[: len(parts)] == parts:
                return f"--set {text}"
        return source

    try:
        scenario = validate_model(Scenario, data, origin)
    except ScenarioError as exc:
        raise ScenarioError(_drop_consequent_missing(exc.problems, created)) from None
    for path, message in _cross_checks(scenario):
        problems.append(Problem(origin(split_key(path)), path, message))
    if problems:
        raise ScenarioError(problems)
    return scenario


def _new_block(data: Any, parts: list[str | int]) -> list[str | int]:
    """The shortest prefix of ``parts`` naming a table that does not exist yet ([] if none would
    be created): ``--set costs.manager_eur_per_hour=1`` on a file without [costs] -> ['costs']."""
    node = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, dict):
            if str(part) not in node:
                return list(parts[: i + 1])
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return []
    return []


def _drop_consequent_missing(problems: list[Problem], created: list[tuple[list, str]]) -> list[Problem]:
    """A --set that created a block and is wrong itself (an unknown key, a value out of range)
    reports that, not also the required keys the new block lacks (they follow from the mistake);
    a --set that is right but leaves its new block incomplete still reports the missing keys."""
    out = []
    for p in problems:
        if p.message == "missing (required)":
            loc = split_key(p.path)
            block = next((parts for parts, _ in created if loc[: len(parts)] == parts), None)
            if block is not None and any(
                q.message != "missing (required)" and split_key(q.path)[: len(block)] == block for q in problems
            ):
                continue
        out.append(p)
    return out


def validate_model(model: type[BaseModel], data: Any, origin: Callable[[list], str] | str):
    """Validate ``data`` as ``model``; every problem becomes a Problem naming its source and key path."""
    if isinstance(origin, str):
        source = origin
        origin = lambda loc: source  # noqa: E731
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = _strip_union_tags([p for p in err["loc"] if p != "[key]"])
            problems.append(Problem(origin(loc), _fmt(loc), _message(err)))
        raise ScenarioError(problems) from None


def _strip_union_tags(loc: list) -> list:
    # pydantic puts the union member tried into the location (e.g. 'list[float]'): drop it
    return [p for p in loc if not (isinstance(p, str) and ("[" in p or p in ("float", "int", "str", "DurationSpec")))]


def _message(err: dict[str, Any]) -> str:
    kind, msg = err["type"], err["msg"]
    value = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing (required)"
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    msg = msg.replace("Input should be", "must be")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than", "literal_error",
                "finite_number") or kind.endswith(
        "_type"
    ) or kind.endswith("_parsing"):
        if not isinstance(value, (dict, list)):
            msg += f" (got {_shown(value)})"
    return msg


def _shown(value: Any) -> str:
    """A value as the user wrote it: numbers as Python prints them (inf, nan), dates ISO (never
    ``datetime.date(...)``), text quoted."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return repr(value)


def _json_default(o: Any) -> Any:
    if isinstance(o, (dt.date, dt.datetime, dt.time)):
        return o.isoformat()
    raise TypeError(type(o))


def _jsonable(v: Any) -> Any:
    return json.loads(json.dumps(v, default=_json_default))
