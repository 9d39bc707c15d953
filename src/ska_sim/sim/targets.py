"""Targets of a scenario (service level, answer rate, FCR band, per language) and their verdicts:
PASS / FAIL / UNCERTAIN from a KPI's mean and 95% interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ska_sim.sim.kpi import KPI_UNITS
from ska_sim.sim.written_kpis import WRITTEN_KPI_UNITS

# Which way is good for each KPI a target can be set on (README, "KPIs").
KPI_BETTER = {"service_level": "higher", "answer_rate": "higher", "fcr": "higher", "abandon_rate": "lower",
              "asa_s": "lower", "written_on_time": "higher"}
# A target's KPI in the words of a sentence ("service level (ru calls) >= 80%").
KPI_WORDS = {"service_level": "service level", "answer_rate": "answer rate", "fcr": "FCR", "abandon_rate": "abandon rate",
             "asa_s": "ASA", "written_on_time": "written work on time"}


@dataclass(frozen=True)
class Target:
    """One target: the KPI, its bound and how to read it.

    ``low`` / ``high`` are requirements (the KPI must be >= low, <= high). ``benchmark_high``
    is the top of a benchmark band on a KPI where more is better (FCR 70-75%): above it is
    better than the benchmark, reported in words, never a failure.
    """

    kpi: str
    low: float | None = None  # the KPI must be >= low
    high: float | None = None  # the KPI must be <= high
    benchmark_high: float | None = None  # top of a benchmark band; above it is better, not a miss
    language: str | None = None  # a target for one language's calls ([targets.languages])

    @property
    def key(self) -> str:
        """The target's row in the targets table: the KPI, or ``kpi:language``."""
        return self.kpi if self.language is None else f"{self.kpi}:{self.language}"

    @property
    def label(self) -> str:
        """The KPI in words, with its language: 'service level (ru calls)', 'FCR'."""
        return KPI_WORDS.get(self.kpi, self.kpi.replace("_", " ")) + (f" ({self.language} calls)" if self.language else "")

    def bound(self) -> str:
        """The target's bound without the language: '>= 80%', '70%-75% benchmark (above is better)'."""
        return self.describe().removesuffix(f" ({self.language} calls)")

    def _fmt(self, x: float) -> str:
        return f"{x:.0%}" if {**KPI_UNITS, **WRITTEN_KPI_UNITS}[self.kpi] == "share" else f"{x:g} s"

    def describe(self) -> str:
        if self.benchmark_high is not None and self.low is not None:
            return f"{self._fmt(self.low)}-{self._fmt(self.benchmark_high)} benchmark (above is better)"
        if self.low is not None and self.high is not None:
            return f"{self._fmt(self.low)}-{self._fmt(self.high)}"
        text = f">= {self._fmt(self.low)}" if self.low is not None else f"<= {self._fmt(self.high)}"
        return text + (f" ({self.language} calls)" if self.language else "")

    def met(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, float)
        ok = ~np.isnan(v)
        if self.low is not None:
            ok &= v >= self.low - 1e-12
        if self.high is not None:
            ok &= v <= self.high + 1e-12
        return ok

    def status(self, mean: float, ci_low: float, ci_high: float) -> str:
        """PASS if the whole interval meets the target, FAIL if none of it does, else UNCERTAIN.

        With one replication (no interval) the mean decides.
        """
        if math.isnan(mean):
            return "UNCERTAIN"
        if math.isnan(ci_low) or math.isnan(ci_high):
            ci_low = ci_high = mean
        inside = bool(self.met(np.array([ci_low]))[0] and self.met(np.array([ci_high]))[0])
        if inside:
            return "PASS"
        lo_ok = self.low is None or ci_high >= self.low
        hi_ok = self.high is None or ci_low <= self.high
        return "UNCERTAIN" if (lo_ok and hi_ok) else "FAIL"

    def reading(self, mean: float) -> str:
        """Where the mean lies against a benchmark band, in words ('' for plain targets)."""
        if self.benchmark_high is None or math.isnan(mean):
            return ""
        if mean > self.benchmark_high + 1e-12:
            return "above benchmark"
        if self.low is not None and mean < self.low - 1e-12:
            return "below benchmark"
        return "within benchmark"


def targets_of(scenario, languages: bool = False) -> list[Target]:
    """The line's targets; with ``languages``, then the targets per language (``targets.languages``)."""
    t = scenario.targets
    out = _line_targets(t)
    if languages:
        for lang, lt in t.languages.items():
            if lt.service_level is not None:
                out.append(Target("service_level", low=lt.service_level, language=lang))
            if lt.answer_rate is not None:
                out.append(Target("answer_rate", low=lt.answer_rate, language=lang))
    return out


def _line_targets(t) -> list[Target]:
    out = [Target("service_level", low=t.service_level.share)]
    if t.answer_rate is not None:
        out.append(Target("answer_rate", low=t.answer_rate))
    if t.fcr is not None:
        # FCR 70-75% is a benchmark band (SKA): below it is a miss, above it better than the benchmark
        out.append(Target("fcr", low=t.fcr.min, benchmark_high=t.fcr.max if t.fcr.max < 1 else None))
    if t.abandon_rate_max is not None:
        out.append(Target("abandon_rate", high=t.abandon_rate_max))
    if t.asa_max_s is not None:
        out.append(Target("asa_s", high=t.asa_max_s))
    if t.written_on_time is not None:  # [[written]]: the share of written items done by their deadline
        out.append(Target("written_on_time", low=t.written_on_time))
    return out


def window_chance(result) -> float:
    """The chance of meeting every target over the window: the share of replications whose whole
    window meets all of the line's targets at once (and each language's, with [targets.languages]).
    A replication with no value for a target's KPI (no calls) counts as meeting it."""
    per = result.per_replication
    ok = np.ones(len(per), dtype=bool)
    by_lang = getattr(result, "language_per_replication", None) or {}
    for t in targets_of(result.scenario, languages=bool(by_lang)):
        if t.language is not None:
            if t.language not in by_lang:
                continue
            values = np.asarray(by_lang[t.language][t.kpi], float)
        elif t.kpi in per:
            values = per[t.kpi].to_numpy(float)
        else:
            continue
        ok &= t.met(values) | np.isnan(values)
    return float(ok.mean()) if len(ok) else math.nan
