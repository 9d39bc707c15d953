"""A day's first calls on the routed pool get their attributes for the whole day at once
(engine/calls.first_call_parts, numpy); every other call gets them one at a time
(GCall.__init__). The two must give the same call, to the last bit, with and without identity
checks, over languages with their talk factors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import ROOT
from ska_sim.scenario.load import load_scenario
from ska_sim.sim.engine import GCall, Model
from ska_sim.sim.engine.calls import first_call_parts

FIELDS = ("type", "lang", "col", "first", "handle", "hold", "patience", "res_u", "redials", "idc_fail",
          "written", "repeats", "waiting", "step")


@pytest.mark.parametrize("identity", [True, False])
def test_a_days_first_calls_are_the_calls_init_makes_one_at_a_time(identity):
    m = Model.from_scenario(load_scenario(ROOT / "scenarios" / "skills-languages.toml"))
    assert m.identity is not None
    if not identity:  # a model whose identity checks never fail
        m = dataclasses.replace(m, identity=None)
    assert m.n_langs == 3 and len(set(m.talk_factor)) == 3  # languages with their own talk factors
    rng = np.random.default_rng(5)
    n = 4000
    types = rng.integers(0, len(m.types), n)
    lang = rng.integers(0, m.n_langs, n)
    talk, acw, extra = rng.lognormal(5, 1, n), rng.lognormal(4, 0.6, n), rng.exponential(30, n) * (rng.random(n) < 0.5)
    needs = rng.random(n) < 0.6
    patience = np.where(rng.random(n) < 0.1, np.inf, rng.exponential(120, n))
    u = rng.random((n, 3))
    ids = rng.random((n, 3)) if m.identity is not None else None
    parts = first_call_parts(m, types, lang, talk, acw, extra, needs, patience, u, ids)
    fails = 0
    for i, p in enumerate(parts):
        got = GCall.drawn(*p)
        ref = GCall(m, int(types[i]), int(lang[i]), float(talk[i]), float(acw[i]), float(extra[i]), bool(needs[i]),
                    float(patience[i]), float(u[i, 0]), float(u[i, 1]), float(u[i, 2]),
                    ids[i].tolist() if ids is not None else None, True)
        assert [getattr(got, f) for f in FIELDS] == [getattr(ref, f) for f in FIELDS], i
        assert all(type(getattr(got, f)) is type(getattr(ref, f)) for f in FIELDS), i  # plain Python values
        fails += got.idc_fail
    if m.identity is not None:  # the identity branch was taken, both ways
        assert 0 < fails < n
