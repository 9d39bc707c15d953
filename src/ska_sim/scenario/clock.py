"""Clock and weekday names of a scenario: ``"HH:MM"`` times as seconds since midnight, and
the weekday keys blocks are indexed by. Pure functions, no pydantic."""

from __future__ import annotations

import re
from typing import Literal

DAY_S = 86400

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

VectorKey = Literal["default", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def parse_clock(text: str) -> int:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not m or int(m.group(2)) >= 60:
        raise ValueError(f"time must be HH:MM (got {text!r})")
    s = int(m.group(1)) * 3600 + int(m.group(2)) * 60
    if s > 86400:
        raise ValueError(f"time must be within 00:00-24:00 (got {text!r})")
    return s


def format_clock(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"
