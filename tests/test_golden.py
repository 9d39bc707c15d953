"""The same numbers: every command's JSON equals the golden file committed before the package
was rearranged (tests/golden_cases.py says how they were made and how to regenerate them)."""

import json

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
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_differences_finds_a_changed_number():
    assert differences({"k": [1, {"x": 0.5}]}, {"k": [1, {"x": 0.5000001}]}) == [".k[1].x: 0.5 != 0.5000001"]
    assert differences({"a": 1}, {"a": 1}) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_numbers_as_golden(name):
    expected = json.loads((GOLDEN / f"{name}.json").read_text())
    got = json.loads(json.dumps(produce(name), sort_keys=True))
    diff = differences(got, expected)
    assert not diff, f"{name}: {len(diff)} values moved, e.g. " + "; ".join(diff[:5])
