"""Written work (``[[written]]``): letters, e-mails and applications that arrive per day, carry
over from day to day and are answered by a deadline; who works them (``dedicated`` agents
taken off the phones for given hours, or ``blend``: agents on the phones between calls). The
cross-block checks (groups, hours, identity failures) are in scenario/checks.py."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ska_sim.scenario.block import Block, DurationSpec, Hours, non_negative_values
from ska_sim.scenario.clock import Weekday

MAX_DEADLINE_DAYS = 366  # a deadline beyond a year is refused


class Dedicated(Block):
    """``agents`` agents taken off the phones for ``hours`` on every open day to work this kind
    (of the named agent group, or of the single pool when ``group`` is left out); or, with
    ``activity``, the people the roster places in that off-phone activity's blocks (already off
    the phones: the calls see no change). An item in hand at the end of the hours (or block) is
    finished first (never left half done)."""

    group: str | None = None
    agents: int | None = Field(None, ge=1, le=10_000)
    hours: Hours | None = None
    activity: str | None = None

    @model_validator(mode="after")
    def _agents_or_activity(self) -> Dedicated:
        if self.activity is not None:
            if self.agents is not None or self.hours is not None:
                raise ValueError("give either activity (the roster's blocks) or agents and hours, not both")
            if not self.activity.strip():
                raise ValueError("activity: must not be empty")
        elif self.agents is None or self.hours is None:
            raise ValueError("needs agents and hours (agents taken off the phones), or activity (the roster's "
                             "blocks of an off-phone activity)")
        return self


class Blend(Block):
    """Agents on the phones (of the named group, or of the single pool) take an item of this
    kind between calls: only when no call waits and at least ``reserve`` other agents stay
    free; an item taken is finished before the agent takes a call."""

    group: str | None = None
    reserve: int = Field(ge=0, le=10_000)


class Urgent(Block):
    """Deadline priority: an item whose deadline falls within ``days`` (working or calendar days,
    as the kind's ``deadline_kind``; 0: due today) is urgent, and up to ``agents`` agents of the
    blend's group (or pool) take urgent items before waiting calls (and regardless of the
    reserve); an item is never interrupted."""

    days: int = Field(ge=0, le=MAX_DEADLINE_DAYS)
    agents: int = Field(ge=1, le=10_000)


class Written(Block):
    """One kind of written work: ``daily_items`` arriving per open day (x its weekday factor x
    the calendar's date factor and events, as calls have them), spread evenly over the day's
    opening hours; with ``from_identity_failures`` the callers whose identity check failed and
    who write are added to it when their call ends; each takes ``handling`` of an agent's time
    and is due by the end of the ``deadline_days``-th working day (open day of the calendar) or
    calendar day after the day it arrived; ``backlog_at_start`` items wait at the start of the
    first simulated day (warm-up included), due from then. With ``urgent`` (and ``blend``) items
    due within ``urgent.days`` are taken before calls by up to ``urgent.agents`` agents."""

    name: str
    daily_items: float = Field(ge=0.0)
    weekday_factor: dict[Weekday, float] = {}
    from_identity_failures: bool = False
    handling: DurationSpec
    deadline_days: int = Field(ge=1, le=MAX_DEADLINE_DAYS)
    deadline_kind: Literal["working", "calendar"] = "working"
    backlog_at_start: int = Field(0, ge=0, le=1_000_000)
    # who works it: one of the two
    dedicated: Dedicated | None = None
    blend: Blend | None = None
    urgent: Urgent | None = None  # deadline priority (with blend)

    @model_validator(mode="after")
    def _one_policy(self) -> Written:
        if (self.dedicated is None) == (self.blend is None):
            raise ValueError("needs one of dedicated = { agents, hours } or blend = { reserve } (who works it)")
        return self

    @field_validator("name")
    @classmethod
    def _named(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v

    @field_validator("weekday_factor")
    @classmethod
    def _factors(cls, v: dict) -> dict:
        return non_negative_values(v, "factors")

