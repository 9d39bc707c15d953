"""Small scenarios built in code for the tests."""

from __future__ import annotations

import copy
from typing import Any

from ska_sim import scenario_from_dict

ALL_DAY = {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def mmc_dict(
    agents: int = 10,
    calls_per_hour: float = 96.0,
    aht_s: float = 300.0,
    days: int = 10,
    warmup_days: int = 1,
    patience_s: float | None = None,
    replications: int = 5,
    seed: int = 7,
    **extra: Any,
) -> dict[str, Any]:
    """M/M/c (+M with ``patience_s``): open around the clock, constant rate and staffing."""
    d: dict[str, Any] = {
        "scenario": {"name": f"M/M/{agents}"},
        "calendar": {
            "start": "2026-03-02",
            "days": days,
            "warmup_days": warmup_days,
            "interval_min": 60,
            "hours": ALL_DAY,
        },
        "arrivals": {"daily_calls": calls_per_hour * 24, "profile": [1 / 24] * 24},
        "call_types": [{"name": "all", "share": 1.0, "talk": {"dist": "exponential", "mean_s": aht_s}, "resolved": 1.0}],
        "staffing": {"agents": {"default": [agents] * 24}},
        "targets": {"service_level": {"threshold_s": 20, "share": 0.8}},
        "simulation": {"replications": replications, "seed": seed},
    }
    if patience_s is not None:
        d["patience"] = {"dist": "exponential", "mean_s": patience_s}
    for key, value in extra.items():
        d[key] = value
    return d


def mmc(**kw: Any):
    return scenario_from_dict(mmc_dict(**kw))


def with_changes(d: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(d)
    out.update(changes)
    return out
