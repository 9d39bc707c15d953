"""The pieces every scenario block is built from: :class:`Block` (a strict pydantic model:
unknown keys and non-finite floats refused), a probability field, durations, opening hours and
periods of the day with a factor (``PeriodFactor``, used by scenario/periods.py)."""

from __future__ import annotations

import math

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ska_sim.maths.distributions import FAMILIES, SHIFTABLE, Duration
from ska_sim.scenario.clock import Weekday, format_clock, parse_clock

SHARE_TOLERANCE = 1e-6


class Block(BaseModel):
    # allow_inf_nan=False: every float of every block must be finite (inf / nan are refused
    # with "must be a finite number"), one rule instead of a check per field
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


Probability = Field(ge=0.0, le=1.0)


# A name for people, per language of the planning page (et, en): display_name = { et = "Pensionid", en = "Pensions" }
def non_negative_values(v: dict, what: str) -> dict:
    """``v`` (key -> number) when every value is finite and >= 0, else a ValueError listing the others."""
    bad = [f"{k} = {x:g}" for k, x in v.items() if x < 0 or not math.isfinite(x)]
    if bad:
        raise ValueError(f"{what} must be >= 0 (got {', '.join(bad)})")
    return v


def _not_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be empty: a name in that language, or leave the language out")
    return v


DisplayName = dict[Literal["et", "en"], Annotated[str, AfterValidator(_not_blank)]]


class DurationSpec(Block):
    """A duration: a named family with mean and cv (optionally never under ``min_s``), uniform
    or triangular between ``min_s`` and ``max_s``, or an empirical list of values (seconds)."""

    dist: str
    mean_s: float | None = Field(None, ge=0.0)
    cv: float | None = Field(None, ge=0.0)
    values_s: list[float] | None = None
    min_s: float | None = Field(None, ge=0.0)
    max_s: float | None = Field(None, ge=0.0)
    mode_s: float | None = Field(None, ge=0.0)

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
        if self.dist in ("uniform", "triangular"):
            return self._bounded()
        if self.max_s is not None or self.mode_s is not None:
            raise ValueError(f"max_s and mode_s are for uniform and triangular, not {self.dist!r}")
        if self.min_s is not None and self.dist not in SHIFTABLE:
            raise ValueError(f"min_s (a minimum duration) is for {', '.join(SHIFTABLE)}, not {self.dist!r}")
        if self.min_s is not None and self.mean_s is not None and not 0 < self.min_s < self.mean_s:
            raise ValueError(f"min_s must be above 0 and below mean_s (got min_s {self.min_s:g}, mean_s {self.mean_s:g})")
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

    def _bounded(self) -> DurationSpec:
        """uniform: min_s and max_s; triangular: min_s, mode_s and max_s; nothing else."""
        needs = ("min_s", "mode_s", "max_s") if self.dist == "triangular" else ("min_s", "max_s")
        missing = [k for k in needs if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.dist} needs {' and '.join(needs)} (missing: {', '.join(missing)})")
        extra = [k for k in ("mean_s", "cv", "values_s", "mode_s") if k not in needs and getattr(self, k) is not None]
        if extra:
            raise ValueError(f"{self.dist} takes {', '.join(needs)} only, not {', '.join(extra)} (its mean and cv follow)")
        if not self.min_s < self.max_s:
            raise ValueError(f"min_s must be below max_s (got {self.min_s:g} and {self.max_s:g})")
        if self.mode_s is not None and not self.min_s <= self.mode_s <= self.max_s:
            raise ValueError(f"mode_s must be within min_s..max_s (got {self.mode_s:g}, not in {self.min_s:g}..{self.max_s:g})")
        return self

    def build(self) -> Duration:
        if self.dist == "empirical":
            return Duration("empirical", 0.0, 0.0, tuple(self.values_s or ()))
        if self.dist in ("uniform", "triangular"):
            return Duration(self.dist, 0.0, 0.0, low=float(self.min_s), high=float(self.max_s),
                            mode=float(self.mode_s if self.mode_s is not None else 0.0))
        cv = {"exponential": 1.0, "deterministic": 0.0}.get(self.dist, self.cv)
        return Duration(self.dist, float(self.mean_s or 0.0), float(cv or 0.0), low=float(self.min_s or 0.0))


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


class PeriodFactor(Block):
    """One period: from ``hours[0]`` (included) to ``hours[1]`` (excluded) on ``days`` (every
    weekday when left out), durations are multiplied by ``factor``."""

    hours: Hours
    factor: float = Field(gt=0.0, le=100.0)
    days: list[Weekday] | None = Field(None, min_length=1)

    @field_validator("days")
    @classmethod
    def _unique(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and len(set(v)) < len(v):
            raise ValueError(f"a weekday is named twice (got {v})")
        return v

    def applies(self, weekday: str) -> bool:
        return self.days is None or weekday in self.days
