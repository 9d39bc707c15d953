"""The pieces every scenario block is built from: :class:`Block` (a strict pydantic model:
unknown keys and non-finite floats refused), a probability field, durations and opening hours."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ska_sim.maths.distributions import FAMILIES, Duration
from ska_sim.scenario.clock import format_clock, parse_clock

SHARE_TOLERANCE = 1e-6


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
