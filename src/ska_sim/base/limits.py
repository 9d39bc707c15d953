"""Documented limits on input sizes (README, "Limits"). Anything beyond them is refused with
exit status 2 before any simulation: they are far above any real call centre and keep a
typing mistake (``-r 1000000000``, ``daily_calls = 1e12``) from eating all memory.

Kept in a module without dependencies so that the command line can use them in its option
declarations without importing pydantic; :mod:`ska_sim.scenario.model` re-exports them.
"""

from __future__ import annotations

MAX_REPLICATIONS = 100_000
"""Replications of one run (``simulation.replications``, ``-r``)."""

MAX_CALLS_PER_DAY = 1_000_000
"""First calls expected on the busiest simulated day: ``daily_calls`` x weekday factor x date
factor x ``volume_scale``."""

MAX_AGENTS_PER_INTERVAL = 100_000
"""Agents on the phones in one interval after ``staffing.scale``."""

MAX_SCENARIO_BYTES = 10_000_000
"""Size of a scenario (or shifts) file; larger input (``/dev/zero``) is refused after reading
at most this much."""

MAX_ERLANG_CALLS = 1_000_000
"""``ska-sim erlang --calls``: calls offered per interval."""

MAX_ERLANG_LOAD = 100_000
"""``ska-sim erlang``: offered load, calls x AHT / interval, in Erlangs (an agent
requirement above MAX_AGENTS_PER_INTERVAL is out of scope)."""

ERLANG_INTERVAL_S = (1.0, 86_400.0)
"""``ska-sim erlang --interval``: from 1 s to 24 h; a bare number under 60 needs a unit."""

SUSPICIOUS_SCALE = 10.0
"""``volume_scale``, ``staffing.scale`` or a day factor above this gets a warning (115 for 1.15?)."""
