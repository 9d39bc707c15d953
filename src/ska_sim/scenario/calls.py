"""The blocks of what comes in and how it is answered: the calendar, arrivals and demand
events, call types (identity checks, languages, transfers), redials and repeats, routing,
callbacks and phone lines."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, ValidationInfo, field_validator, model_validator

from ska_sim.base.limits import MAX_AGENTS_PER_INTERVAL
from ska_sim.scenario.block import SHARE_TOLERANCE, Block, DisplayName, DurationSpec, Hours, PeriodFactor, Probability
from ska_sim.scenario.clock import VectorKey, Weekday, parse_clock
from ska_sim.scenario.forecast_file import ArrivalsForecast

FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
"""The simulated window (warm-up included) lies between these dates: the calendar's rules look a
year beyond it on either side (public holidays, demand events), and dates near the ends of the
calendar (0001-01-01, 9999-12-31) would overflow."""


PROFILE_ROUNDING = 1e-3  # profile shares summing to 1 within this are normalised (with a warning)
ProfileUnit = Literal["shares", "calls_per_hour"]


def profile_table(v: Any) -> Any:
    """A profile written as one list is the table {"default": list}."""
    return {"default": v} if isinstance(v, list) else v


def check_profile(v: dict[str, list[float]], unit: str) -> None:
    """Values >= 0; shares sum to 1 within PROFILE_ROUNDING (rates may sum to anything)."""
    for key, values in v.items():
        if any(x < 0 for x in values):
            raise ValueError(f"{key}: {'shares' if unit == 'shares' else 'calls per hour'} must be >= 0")
        if unit == "shares" and abs(sum(values) - 1.0) > PROFILE_ROUNDING:
            raise ValueError(f"{key}: shares must sum to 1 (got {sum(values):.6f}; a rounding of up to "
                             f"{PROFILE_ROUNDING:g} is normalised)")


def profile_shares(shares: list[float]) -> list[float]:
    """Profile shares as used: divided by their sum when it is off 1 by more than SHARE_TOLERANCE."""
    total = sum(shares)
    return [x / total for x in shares] if abs(total - 1.0) > SHARE_TOLERANCE else shares


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
    # calendar.py: a country's public holidays close the line and its §53 shortened
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

    @model_validator(mode="after")
    def _window_in_range(self) -> Calendar:
        first = self.start.toordinal() - self.warmup_days  # ordinals: the dates themselves may not exist
        last = self.start.toordinal() + self.days - 1
        if first < FIRST_DATE.toordinal() or last > LAST_DATE.toordinal():
            raise ValueError(f"start {self.start.isoformat()} with {self.warmup_days} warm-up day(s) and {self.days} "
                             f"day(s): the simulated dates must lie between {FIRST_DATE.isoformat()} and "
                             f"{LAST_DATE.isoformat()}")
        return self

    @property
    def interval_s(self) -> int:
        return self.interval_min * 60


class DemandEvent(Block):
    """A demand-event rule that expands into date factors ([[arrivals.events]], calendar.py).

    ``monthly``: day ``day`` of every month; when the line is closed that day, ``if_closed``
    moves it to the next (or previous) open day, spreading the extra volume over
    ``spread_days`` open days (each gets 1 + (factor - 1) / spread_days). ``after_holiday``:
    the first open day after a holiday (a date the calendar closes on an open weekday).
    ``range``: the open days from ``start`` to ``end`` (or the first ``open_days`` of them).
    ``valid_from`` / ``valid_to`` bound the rule's nominal dates; ``display_name`` names the event
    on the planning page's week picker (``{ et = "...", en = "..." }``)."""

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
    display_name: DisplayName | None = None  # the planning page's words for it, per language (et, en)

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
    daily_calls: float | None = Field(None, gt=0.0)  # required with profile shares, absent with rates (checks.py)
    weekday_factor: dict[Weekday, float] = {}
    day_cv: float = Field(0.0, ge=0.0)
    volume_scale: float = Field(1.0, gt=0.0)
    # the unit of arrivals.profile and every call_types[].profile: shares of the day's calls per
    # interval, or calls per hour per interval (then the rates give the day's volume: profiles.py)
    profile_unit: ProfileUnit = "shares"
    profile: dict[VectorKey, list[float]] | None = None  # required unless every call type has its own
    date_factor: dict[dt.date, float] = {}
    events: list[DemandEvent] = []  # [[arrivals.events]] rules (calendar.py); date_factor wins on its dates
    # [arrivals.forecast]: per-date first calls and their uncertainty from a forecast table (forecast.py)
    forecast: ArrivalsForecast | None = None

    @field_validator("profile", mode="before")
    @classmethod
    def _list_is_default(cls, v: Any) -> Any:
        return profile_table(v)

    @field_validator("weekday_factor", "date_factor")
    @classmethod
    def _non_negative(cls, v: dict) -> dict:
        bad = [f"{k} = {x:g}" for k, x in v.items() if x < 0 or not math.isfinite(x)]
        if bad:  # keys printed as written (ISO dates), never as a Python repr
            raise ValueError(f"factors must be >= 0 (got {', '.join(bad)})")
        return v

    @field_validator("profile")
    @classmethod
    def _shares(cls, v: dict[str, list[float]] | None, info: ValidationInfo) -> dict[str, list[float]] | None:
        if v is not None:
            check_profile(v, info.data.get("profile_unit", "shares"))
        return v

    def shares(self, key: str) -> list[float]:
        """The profile ``key``'s shares as used: divided by their sum when a rounding of up to
        PROFILE_ROUNDING keeps them from 1 (``scenario_warnings`` says so); as written otherwise."""
        return profile_shares(self.profile[key])


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
    share: float | None = Field(None, gt=0.0, le=1.0)  # required unless its own profile is in calls per hour
    talk: DurationSpec
    after_call_work: DurationSpec | None = None
    resolved: float = Probability
    identity_check: IdentityCheck | None = None
    language_shares: dict[str, float] | None = None  # this type's own language mix (else [languages] shares)
    transfer: Transfer | None = None
    callback_share: float = Field(0.0, ge=0.0, le=1.0)  # of unresolved answered calls: a promised callback
    # of unresolved answered calls (after callbacks): a promised written answer instead of a repeat
    # call; it joins the [[written]] kind that takes the phones' written requests
    written_answer: float = Field(0.0, ge=0.0, le=1.0)
    # this type's own patience (else [patience]) and its talk and patience factors by period
    # of arrival (scenario/periods.py; else factor 1, and [patience]'s patience_factor_by_period)
    patience: DurationSpec | None = None
    talk_factor_by_period: list[PeriodFactor] | None = Field(None, min_length=1)
    patience_factor_by_period: list[PeriodFactor] | None = Field(None, min_length=1)
    # its own arrival profile, in arrivals.profile_unit (a list, or a table per weekday / "default");
    # None: its calls come as arrivals.profile says. Sums and lengths are checked in checks.py
    profile: dict[VectorKey, list[float]] | None = None
    # its name on the planning page, per language (else its name)
    display_name: DisplayName | None = None

    @field_validator("profile", mode="before")
    @classmethod
    def _profile_list_is_default(cls, v: Any) -> Any:
        return profile_table(v)

    @field_validator("profile")
    @classmethod
    def _profile_non_negative(cls, v: dict[str, list[float]] | None) -> dict[str, list[float]] | None:
        for key, values in (v or {}).items():
            if any(x < 0 for x in values):
                raise ValueError(f"{key}: values must be >= 0")
        return v

    def mean_handle_s(self) -> float:
        """Expected agent time of one answered call: talk + identity check + after-call work."""
        acw = self.after_call_work.build().mean if self.after_call_work else 0.0
        idc = self.identity_check.probability * self.identity_check.extra.build().mean if self.identity_check else 0.0
        return self.talk.build().mean + acw + idc


class Redial(Block):
    """Callers who hang up (or are cut off, or hear a busy tone) redial with ``probability``
    after ``delay``.

    ``same_caller = true``: a redial is the same caller as the attempt before it. Its patience
    is ``keep_patience`` x the patience the caller had on the first attempt of the chain (the
    first call or repeat call the redials follow: keep_patience = 1 waits as long on every
    attempt, 0.5 half as long, 0 only takes a free agent); with ``keep_talk`` its talk,
    identity check and after-call work are the first attempt's. The caller's KPIs (every
    attempt's wait added up) are reported. Without it (the default) a redial draws a new
    patience and a new talk time."""

    probability: float = Field(0.0, ge=0.0, le=1.0)
    delay: DurationSpec = DurationSpec(dist="exponential", mean_s=600)
    # the same caller on every attempt (off by default)
    same_caller: StrictBool = False
    keep_patience: float = Field(1.0, ge=0.0, le=1.0)
    keep_talk: StrictBool = True

    @model_validator(mode="after")
    def _same_caller_keys(self) -> Redial:
        # a value other than the default (keep_patience = 1, keep_talk = true: a redial as without
        # the option) needs same_caller; the defaults written out (a model dumped whole) are accepted
        changed = [k for k, off in (("keep_patience", self.keep_patience != 1.0), ("keep_talk", not self.keep_talk)) if off]
        if not self.same_caller and changed:
            raise ValueError(f"{' and '.join(changed)} need{'s' if len(changed) == 1 else ''} same_caller = true")
        return self


class Message(Block):
    """The line offers a message after ``after_s`` s of waiting: a share ``leave`` of the callers
    still waiting then leave one (their own outcome, neither answered nor abandoned; no redial,
    no repeat call); the others keep waiting until answered or their patience runs out."""

    after_s: float = Field(gt=0.0)
    leave: float = Field(ge=0.0, le=1.0)


class Repeat(Block):
    probability: float = Field(0.0, ge=0.0, le=1.0)
    delay: DurationSpec = DurationSpec(dist="lognormal", mean_s=129600, cv=1.5)


class Routing(Block):
    """How calls find agents (README, "Routing")."""

    policy: Literal["group_order", "random", "longest_idle"] = "group_order"
    order: dict[str, list[str]] = {}  # per call type name: its groups in order (default: file order)
    # per call type name: its own policy (else policy), and how long its calls wait for their first
    # group before the groups further down their order may take them (else each group's overflow_after_s)
    policy_by_type: dict[str, Literal["group_order", "random", "longest_idle"]] = {}
    overflow_after_s_by_type: dict[str, Annotated[float, Field(ge=0.0)]] = {}

    def policy_of(self, call_type: str) -> str:
        return self.policy_by_type.get(call_type, self.policy)


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
