"""KPIs of written work (``[[written]]``) from one replication's :class:`WrittenCounts`: per
measured day and over the window (every kind together), and per kind.

- ``written_received``: items that arrived (the backlog at the start is not counted);
- ``written_done``: items finished;
- ``written_on_time``: of the items due (deadline at the end of a day of the level), the share
  finished by their deadline;
- ``written_past_deadline``: items due that were not finished by their deadline;
- ``written_backlog``: items waiting or in hand at the end of the day (window, kind: at the end
  of the last measured day); received = done + backlog change, per day;
- ``written_age_mean_h``, ``written_age_p90_h``: time from arrival to completion of the items
  finished (hours);
- ``written_hours``, ``written_hours_blended``: hours of written work by the dedicated agents
  and by agents on the phones between calls (handling of the items started in the level).
"""

from __future__ import annotations

import numpy as np

from ska_sim.sim.engine.written import WrittenCounts

WRITTEN_KPI_UNITS = {
    "written_received": "items",
    "written_done": "items",
    "written_on_time": "share",
    "written_past_deadline": "items",
    "written_backlog": "items",
    "written_age_mean_h": "h",
    "written_age_p90_h": "h",
    "written_hours": "h",
    "written_hours_blended": "h",
}
WRITTEN_KPI_NAMES = tuple(WRITTEN_KPI_UNITS)
# the KPIs per kind and day (SimulationResult.written_days) and the count each one is
WRITTEN_DAY_KPIS = {"written_received": "received", "written_done": "done", "written_backlog": "backlog"}


def _ratio(a, b) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.divide(a, b, out=np.full(a.shape, np.nan), where=b > 0)


def _p90(ages: np.ndarray) -> float:
    return float(np.quantile(ages, 0.9)) / 3600.0 if len(ages) else float("nan")


def _kpis(c: dict[str, np.ndarray], backlog: np.ndarray, p90: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "written_received": c["received"],
        "written_done": c["done"],
        "written_on_time": _ratio(c["on_time"], c["due"]),
        "written_past_deadline": c["due"] - c["on_time"],
        "written_backlog": backlog,
        "written_age_mean_h": _ratio(c["age_sum_s"], c["done"]) / 3600.0,
        "written_age_p90_h": p90,
        "written_hours": c["hours"],
        "written_hours_blended": c["hours_blended"],
    }


def written_levels(wc: WrittenCounts, measured: np.ndarray, day_index: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """{"day": per day of ``day_index`` (the day table's simulated days), "window": (1,), sums
    over the ``measured`` days (bool per simulated day), "kinds": per kind then every kind
    (last), "kind_day": WRITTEN_DAY_KPIS per kind and day}: KPI -> array, all kinds together
    unless per kind."""
    names = list(wc.days)
    fields = wc.days[names[0]].keys()
    total = {f: sum(wc.days[k][f] for k in names) for f in fields}
    ages = np.concatenate([wc.ages[k] for k in names])
    days = np.concatenate([wc.age_days[k] for k in names])
    day_p90 = np.array([_p90(ages[days == d]) for d in day_index])
    day = _kpis({f: v[day_index] for f, v in total.items()}, total["backlog"][day_index], day_p90)
    last = np.flatnonzero(measured)[-1]

    def whole(c: dict[str, np.ndarray], a: np.ndarray) -> dict[str, np.ndarray]:
        sums = {f: np.array([c[f][measured].sum()]) for f in fields}
        return _kpis(sums, c["backlog"][last:last + 1], np.array([_p90(a)]))

    window = whole(total, ages)
    per = [whole(wc.days[k], wc.ages[k]) for k in names] + [window]
    kinds = {kpi: np.concatenate([p[kpi] for p in per]) for kpi in WRITTEN_KPI_NAMES}
    # per kind and day of ``day_index`` (row = kind * days + day): received, done, backlog at the day's end
    kind_day = {kpi: np.concatenate([wc.days[k][f][day_index] for k in names]).astype(float)
                for kpi, f in WRITTEN_DAY_KPIS.items()}
    return {"day": day, "window": window, "kinds": kinds, "kind_day": kind_day}
