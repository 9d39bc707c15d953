"""A/B measurement against the code before the "One house" issue (commit 761a609): helpers
shared by benchmarks/groups.py and benchmarks/engines.py.

The old code is extracted once (``git archive``) into a temporary folder; each measurement
runs in a fresh interpreter whose PYTHONPATH is the ``src`` of the code it measures, and the
two codes alternate (A, B, B, A, ...) so that both see the same machine load. The median of
the rounds counts: on a shared machine the best run is as much luck as the worst.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "761a609"  # the code before the issue


def old_tree(commit: str = BEFORE) -> Path:
    """A copy of ``commit``'s src/ and scenarios/ (made once per commit)."""
    known = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
                           capture_output=True, text=True)
    if known.returncode != 0:
        print(f"--before {commit}: not a commit of this repository", file=sys.stderr)
        raise SystemExit(2)
    dest = Path(tempfile.gettempdir()) / f"ska-sim-{commit}"
    if not (dest / "src" / "ska_sim").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src", "scenarios"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def trees(before: str = BEFORE) -> dict[str, Path]:
    """{"old": the code at ``before`` (by default the code before the issue), "new": this checkout}."""
    return {"old": old_tree(before), "new": ROOT}


def child(script: Path, tree: Path, args: list[str]) -> dict:
    """Run ``script --child ...`` with ``tree``'s code; it prints one JSON line."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), SKA_SIM_BENCH_CHILD="1")
    out = subprocess.run([sys.executable, str(script), "--child", str(tree), *args], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def in_child() -> bool:
    """True in a measurement child: its ska_sim comes from PYTHONPATH, not from this checkout."""
    return os.environ.get("SKA_SIM_BENCH_CHILD") == "1"


def engine_module():
    """The engine module of whichever code is on the path (the package layout moved it)."""
    try:
        from ska_sim.sim import engine
    except ImportError:
        from ska_sim import engine
    return engine


def alternate(rounds: int, cases: list[str], measure) -> dict[tuple[str, str], dict]:
    """The median run (by seconds) of ``rounds`` runs of ``measure(code, case)`` for every case
    in old and new code, alternating which code goes first."""
    runs: dict[tuple[str, str], list[dict]] = {}
    for r in range(rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for case in cases:
            for code in order:
                runs.setdefault((code, case), []).append(measure(code, case))
    return {key: sorted(rs, key=lambda x: x["seconds"])[len(rs) // 2] for key, rs in runs.items()}


def cpu_model() -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from machine import cpu_model as read

    return read()
