"""Shifts files (TOML): the shift types a plan or a roster may use: allowed start times, length,
an optional unpaid break that may start anywhere in a window, optional minimum and maximum
people per day, and the weekdays it may be used. :func:`load_shifts` reads and validates one;
the shift scheduling and roster programs are in ``ska_sim.plan``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PrivateAttr, field_validator, model_validator

from ska_sim.scenario.block import Block
from ska_sim.scenario.clock import WEEKDAYS, Weekday, parse_clock
from ska_sim.scenario.load import read_toml, validate_model


class UnpaidBreak(Block):
    length_min: float = Field(gt=0, le=240)
    earliest: str  # earliest break start, HH:MM
    latest: str  # latest break start, HH:MM

    @field_validator("earliest", "latest")
    @classmethod
    def _clock_ok(cls, v: str) -> str:
        parse_clock(v)
        return v

    @model_validator(mode="after")
    def _ordered(self) -> UnpaidBreak:
        if parse_clock(self.latest) < parse_clock(self.earliest):
            raise ValueError(f"latest ({self.latest}) is before earliest ({self.earliest})")
        return self


class ShiftType(Block):
    name: str = Field(min_length=1)
    starts: list[str] = Field(min_length=1)  # allowed start times, HH:MM
    length_h: float = Field(gt=0, le=24)  # start to end, including the unpaid break
    unpaid_break: UnpaidBreak | None = None
    min_per_day: int = Field(0, ge=0)
    max_per_day: int | None = Field(None, ge=0)
    weekdays: list[Weekday] = list(WEEKDAYS)

    @field_validator("starts")
    @classmethod
    def _starts(cls, v: list[str]) -> list[str]:
        for x in v:
            parse_clock(x)
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ShiftType:
        if self.max_per_day is not None and self.max_per_day < self.min_per_day:
            raise ValueError(f"max_per_day ({self.max_per_day}) is below min_per_day ({self.min_per_day})")
        if self.unpaid_break and self.unpaid_break.length_min / 60 >= self.length_h:
            raise ValueError("the unpaid break is as long as the shift")
        return self

    @property
    def paid_h(self) -> float:
        return self.length_h - (self.unpaid_break.length_min / 60 if self.unpaid_break else 0.0)


class ShiftsFile(Block):
    name: str = "shifts"
    shifts: list[ShiftType] = Field(min_length=1)
    _source: str = PrivateAttr("shifts")  # the file it came from, for messages

    @property
    def source(self) -> str:
        return self._source

    @model_validator(mode="after")
    def _unique(self) -> ShiftsFile:
        names = [s.name for s in self.shifts]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"shift names used more than once: {', '.join(dup)}")
        return self


def load_shifts(path: str | Path) -> ShiftsFile:
    """Read and validate a shifts file; raises ScenarioError naming the file and key."""
    shifts = validate_model(ShiftsFile, read_toml(path), str(path))
    shifts._source = str(path)
    return shifts
