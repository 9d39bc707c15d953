"""The same numbers: every command's JSON equals the golden file committed before the package
was rearranged (tests/golden_cases.py says how they were made and how to regenerate them)."""

import json
import math

import pytest

from golden_cases import CASES, GOLDEN, produce


def differences(a, b, path="") -> list[str]:
    """Where two JSON documents differ, as key paths (the first few are enough to read)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in one" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out += differences(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items against {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float) and not isinstance(a, bool):
        # the same computation: equal up to the last bits a new numpy/scipy may round differently
        return [] if math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_differences_finds_a_changed_number():
    assert differences({"k": [1, {"x": 0.5}]}, {"k": [1, {"x": 0.5000001}]}) == [".k[1].x: 0.5 != 0.5000001"]
    assert differences({"a": 1}, {"a": 1}) == []
    # a last-bit rounding of another numpy/scipy is the same number; 1e-9 apart is not
    assert differences({"x": 0.012362603910287972}, {"x": 0.012362603910287973}) == []
    assert differences({"x": 0.0123626039}, {"x": 0.0123626039 * (1 + 1e-9)}) != []


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_numbers_as_golden(name):
    expected = json.loads((GOLDEN / f"{name}.json").read_text())
    got = json.loads(json.dumps(produce(name), sort_keys=True))
    diff = differences(got, expected)
    assert not diff, f"{name}: {len(diff)} values moved, e.g. " + "; ".join(diff[:5])
