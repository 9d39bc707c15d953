"""The golden outputs: `--format json` of run, staff and marginal on every scenario in
`scenarios/` at a fixed seed, committed before the package was rearranged into layers and
compared exactly after (tests/test_golden.py). Regenerate only when a change is meant to move
numbers, and say so in the commit: ``python tests/golden_cases.py --write``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden"

# The year scenario is compared on one week (the week of 7 December 2026).
YEAR_WEEK = ["--set", "calendar.start=2026-12-07", "--set", "calendar.days=7"]
COMMON = ["-r", "3", "--seed", "11", "--format", "json"]

CASES = {
    "run-baseline": ["run", "scenarios/baseline.toml"],
    "run-skills-languages": ["run", "scenarios/skills-languages.toml"],
    "run-year-2026-week": ["run", "scenarios/year-2026.toml", *YEAR_WEEK],
    "staff-baseline": ["staff", "scenarios/baseline.toml"],
    "staff-skills-languages": ["staff", "scenarios/skills-languages.toml"],
    "staff-year-2026-week": ["staff", "scenarios/year-2026.toml", *YEAR_WEEK],
    "marginal-baseline": ["marginal", "scenarios/baseline.toml"],
    "marginal-year-2026-week": ["marginal", "scenarios/year-2026.toml", *YEAR_WEEK],
}


def produce(name: str) -> dict:
    """The command's JSON document, run as a user would (the installed `ska-sim`)."""
    exe = Path(sys.executable).parent / "ska-sim"
    r = subprocess.run([str(exe), *CASES[name], *COMMON], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"ska-sim {' '.join(CASES[name])} exited {r.returncode}: {r.stderr}")
    return json.loads(r.stdout)


def write() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in CASES:
        (GOLDEN / f"{name}.json").write_text(json.dumps(produce(name), sort_keys=True) + "\n")
        print(f"wrote {GOLDEN / name}.json")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/golden_cases.py --write")
    write()
