"""Promised written answers (``call_types[].written_answer``): of the unresolved answered calls, the
share whose caller is promised an answer in writing: a written request of its cell instead of a
repeat call, joining the [[written]] kind that takes the phones' written requests. Checked: with
share 1 every unresolved answered call becomes exactly one request and no repeat call; a share
p is a binomial share of them; the kind receives them (dedicated and blended); a share of 0
changes nothing; the refusals name the key."""

from __future__ import annotations

import copy
import math

import pytest
from helpers import assert_counts_equal, mmc_dict, run_cli, seed

from ska_sim import scenario_from_dict, simulate
from ska_sim.sim.engine import Model, Replication


def office(share: float, written: list | None = None, resolved: float = 0.6) -> dict:
    d = mmc_dict(agents=8, calls_per_hour=60, days=3, warmup_days=0, patience_s=300, replications=2)
    d["call_types"][0]["resolved"] = resolved
    d["call_types"][0]["written_answer"] = share
    d["repeat"] = {"probability": 1.0, "delay": {"dist": "exponential", "mean_s": 7200}}
    if written is not None:
        d["written"] = written
    return d


LETTERS = {"name": "answers", "daily_items": 0, "handling": {"dist": "exponential", "mean_s": 900},
           "deadline_days": 3, "from_identity_failures": True, "dedicated": {"agents": 2, "hours": ["08:00", "16:00"]}}


def counts(d: dict, i: int = 0):
    m = Model.from_scenario(scenario_from_dict(d))
    return Replication(m, seed(i)).run()


def test_every_unresolved_answered_call_promised_gives_one_request_and_no_repeat_call():
    c = counts(office(1.0)).counts
    unresolved = c["first_contacts"].sum() - c["resolved_first"].sum()
    assert unresolved > 1000
    assert c["written_requests"].sum() == unresolved
    assert c["offered_repeat"].sum() == 0 and c["repeat_contacts"].sum() == 0
    # without the promise, the same unresolved calls come back as repeat calls
    c0 = counts(office(0.0)).counts
    assert c0["written_requests"].sum() == 0 and c0["offered_repeat"].sum() > 500


def test_a_share_promises_a_binomial_share_and_the_rest_call_again():
    # nothing resolved by phone: every answered call (first or repeat contact) is unresolved, and
    # each is promised a written answer with probability p, else calls again
    p = 0.3
    promised = answered = 0
    for i in range(3):
        c = counts(office(p, resolved=0.0), i).counts
        promised += c["written_requests"].sum()
        answered += c["answered"].sum()
        assert c["offered_repeat"].sum() > 0
    band = 3.29 * math.sqrt(p * (1 - p) / answered)  # 99.9% of a binomial share
    assert abs(promised / answered - p) < band, (promised, answered)


def test_a_share_of_0_changes_nothing():
    a, b = office(0.0), copy.deepcopy(office(0.0))
    del b["call_types"][0]["written_answer"]
    for i in range(2):
        assert_counts_equal(counts(a, i), counts(b, i))


@pytest.mark.parametrize("policy", ["dedicated", "blend"])
def test_the_kind_receives_the_promised_answers(policy):
    kind = dict(LETTERS)
    if policy == "blend":
        kind.pop("dedicated")
        kind["blend"] = {"reserve": 2}
    res = simulate(scenario_from_dict(office(0.5, [kind])))
    w = res.summary.set_index("kpi")
    assert w.loc["written_requests", "mean"] > 50
    assert w.loc["written_received", "mean"] == pytest.approx(w.loc["written_requests", "mean"])


def test_refusals_name_the_key(tmp_path):
    import tomlkit

    d = office(1.5)
    (tmp_path / "a.toml").write_text(tomlkit.dumps(d))
    code, out = run_cli("validate", tmp_path / "a.toml")
    assert code == 2 and "call_types[0].written_answer" in out and "less than or equal to 1" in out
    kind = {k: v for k, v in LETTERS.items() if k != "from_identity_failures"}
    (tmp_path / "b.toml").write_text(tomlkit.dumps(office(0.5, [kind])))
    code, out = run_cli("validate", tmp_path / "b.toml")
    assert code == 2 and "call_types[0].written_answer: no [[written]] kind takes the written requests" in out
