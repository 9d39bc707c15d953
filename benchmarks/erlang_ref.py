"""Erlang A values for the benchmark model, from ska-sim's erlang module."""

from __future__ import annotations

from engines import AHT_S, PATIENCE_S, THRESHOLD_S


def erlang_a_reference(agents: int, load: float) -> dict:
    from ska_sim.maths.erlang import erlang_a_result

    r = erlang_a_result(agents, load / AHT_S, AHT_S, PATIENCE_S, THRESHOLD_S)
    return {"service_level": r.service_level, "abandon_rate": r.abandon_rate}
