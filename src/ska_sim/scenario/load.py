"""Loading a scenario: reading TOML, applying ``--set`` overrides, validating every block and
the checks across blocks in one pass, and attaching a saved roster (``roster.file``).

Every problem found is reported at once, each naming the file (or the ``--set`` option it came
from), the key path and what is wrong, e.g.::

    baseline.toml: call_types[2].talk.cv: must be >= 0 (got -0.5)

Problems raise :class:`ScenarioError`, the only exception bad input produces.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.limits import MAX_SCENARIO_BYTES
from ska_sim.scenario.checks import cross_checks
from ska_sim.scenario.forecast import attach_forecast
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.overrides import (
    apply_override,
    created_block,
    drop_consequent_missing,
    format_key,
    parse_set_option,
    resolved_key,
    split_key,
)
from ska_sim.scenario.roster import load_roster


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file: at most MAX_SCENARIO_BYTES (an endless ``/dev/zero`` is refused after
    that much), UTF-8 with or without a byte-order mark."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            raw = f.read(MAX_SCENARIO_BYTES + 1)
        if len(raw) > MAX_SCENARIO_BYTES:
            raise ScenarioError([Problem(str(p), "", f"larger than {MAX_SCENARIO_BYTES / 1e6:g} MB, the limit for a "
                                                        "scenario file (README, Limits)")])
        text = raw.decode("utf-8-sig")  # a UTF-8 byte-order mark (Windows editors) is dropped
    except FileNotFoundError:
        raise ScenarioError([Problem(str(p), "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(str(p), "", f"cannot read: not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(str(p), "", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(str(p), "", f"malformed TOML: {exc}")]) from None


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read a scenario TOML file, apply ``key.path=value`` overrides, validate it all and read
    the saved roster ``roster.file`` names (scenario/roster.py's ``load_roster``).

    Raises :class:`ScenarioError` with every problem found.
    """
    data = read_toml(path)
    scenario = scenario_from_dict(data, source=str(path), overrides=overrides, folder=Path(path).parent)
    return load_roster(scenario, Path(path).parent)  # roster.file and roster.shifts: relative to the file


def anchored(data: dict[str, Any], folder: str | Path) -> dict[str, Any]:
    """``data`` (a raw scenario dict) with the files it names relative to its own file
    (``arrivals.forecast.file``) made absolute against ``folder``, so that a copy validated
    elsewhere (a backtest's windows) reads the same files."""
    arr = data.get("arrivals")
    fc = arr.get("forecast") if isinstance(arr, dict) else None
    f = fc.get("file") if isinstance(fc, dict) else None
    if not isinstance(f, str) or not f or Path(f).is_absolute():
        return data
    out = json.loads(json.dumps(data, default=_json_default))
    out["arrivals"]["forecast"]["file"] = str(Path(folder) / f)
    return out


def scenario_from_dict(
    data: dict[str, Any], source: str = "<scenario>", overrides: list[str] | tuple[str, ...] = (),
    folder: str | Path = ".",
) -> Scenario:
    """Validate a raw scenario dict (as TOML gives it), with optional ``key.path=value`` overrides;
    ``arrivals.forecast.file`` is read relative to ``folder``."""
    data = json.loads(json.dumps(data, default=_json_default))  # deep copy; dates become strings
    problems: list[Problem] = []
    set_paths: list[tuple[list, str]] = []
    created: list[tuple[list, str]] = []  # a block (table) a --set brought into being, with that --set
    for text in overrides:
        try:
            key, value = parse_set_option(text)
            parts = resolved_key(data, split_key(key))
            new_block = created_block(data, parts)
            apply_override(data, key, _jsonable(value))
            set_paths.append((resolved_key(data, split_key(key)), text))
            if new_block:
                created.append((new_block, text))
        except ScenarioError as exc:
            problems.extend(exc.problems)
        except KeyError as exc:
            problems.append(Problem("--set", text, f"no such key: {exc.args[0]}"))
    if problems:
        raise ScenarioError(problems)

    def origin(loc: list) -> str:
        # a problem inside what a --set wrote, or about a block (or unknown key) that a --set
        # wrote into (--set foo.bar=1 -> loc ['foo']), is the --set's, not the file's
        for parts, text in set_paths:
            if loc[: len(parts)] == parts or (loc and parts[: len(loc)] == loc):
                return f"--set {text}"
        for parts, text in created:  # a required key missing from a block that a --set created
            if loc[: len(parts)] == parts:
                return f"--set {text}"
        return source

    try:
        scenario = validate_model(Scenario, data, origin)
    except ScenarioError as exc:
        raise ScenarioError(drop_consequent_missing(exc.problems, created)) from None
    attach_forecast(scenario, folder)  # the forecast table, before the checks that read it
    for path, message in cross_checks(scenario):
        problems.append(Problem(origin(split_key(path)), path, message))
    if problems:
        raise ScenarioError(problems)
    return scenario


def validate_model(model: type[BaseModel], data: Any, origin: Callable[[list], str] | str):
    """Validate ``data`` as ``model``; every problem becomes a Problem naming its source and key path."""
    if isinstance(origin, str):
        source = origin
        origin = lambda loc: source  # noqa: E731
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = _strip_union_tags([p for p in err["loc"] if p != "[key]"])
            problems.append(Problem(origin(loc), format_key(loc), _message(err)))
        raise ScenarioError(problems) from None


def _strip_union_tags(loc: list) -> list:
    # pydantic puts the union member tried into the location (e.g. 'list[float]'): drop it
    return [p for p in loc if not (isinstance(p, str) and ("[" in p or p in ("float", "int", "str", "DurationSpec")))]


def _message(err: dict[str, Any]) -> str:
    kind, msg = err["type"], err["msg"]
    value = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing (required)"
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    msg = msg.replace("Input should be", "must be")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than", "literal_error",
                "finite_number") or kind.endswith(
        "_type"
    ) or kind.endswith("_parsing"):
        if not isinstance(value, (dict, list)):
            msg += f" (got {_shown(value)})"
    return msg


def _shown(value: Any) -> str:
    """A value as the user wrote it: numbers as Python prints them (inf, nan), dates ISO (never
    ``datetime.date(...)``), text quoted."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return repr(value)


def _json_default(o: Any) -> Any:
    if isinstance(o, (dt.date, dt.datetime, dt.time)):
        return o.isoformat()
    raise TypeError(type(o))


def _jsonable(v: Any) -> Any:
    return json.loads(json.dumps(v, default=_json_default))
