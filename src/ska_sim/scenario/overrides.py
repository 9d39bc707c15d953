"""``--set key.path=value``: key paths (``call_types[0].talk.cv``, ``call_types.pensions.cv``),
values read as TOML, and their application to the raw scenario dictionary before validation."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from ska_sim.base.errors import Problem, ScenarioError

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_key(path: str) -> list[str | int]:
    """``call_types[0].talk.cv`` or ``call_types.0.talk.cv`` -> ['call_types', 0, 'talk', 'cv']."""
    parts: list[str | int] = []
    for m in _PART.finditer(path):
        name, index = m.groups()
        if index is not None:
            parts.append(int(index))
        elif name.isdigit():
            parts.append(int(name))
        else:
            parts.append(name)
    return parts


def parse_value(text: str) -> Any:
    """A ``--set`` value read as a TOML value (number, bool, date, list, table); else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in the raw scenario dict. List items can be named by index or by ``name``."""
    parts = split_key(path)
    if not parts:
        raise KeyError("empty key")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        node = _child(node, part, parts[: i + 1], create=True)
    last = parts[-1]
    if isinstance(node, list):
        idx = _index(node, last, parts)
        node[idx] = value
    elif isinstance(node, dict):
        node[str(last)] = value
    else:
        raise KeyError(f"{format_key(parts[:-1])} is a value, not a table")


def _index(node: list, part: str | int, parts: list) -> int:
    if isinstance(part, int):
        if part >= len(node):
            raise KeyError(f"{format_key(parts)}: index {part} out of range (the list has {len(node)} items)")
        return part
    for i, item in enumerate(node):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    raise KeyError(f"{format_key(parts)}: no item named {part!r}")


def _child(node: Any, part: str | int, parts: list, create: bool) -> Any:
    if isinstance(node, list):
        return node[_index(node, part, parts)]
    if isinstance(node, dict):
        key = str(part)
        if key not in node:
            if not create:
                raise KeyError(format_key(parts))
            node[key] = {}
        return node[key]
    raise KeyError(f"{format_key(parts[:-1])} is a value, not a table")


def resolved_key(data: Any, parts: list[str | int]) -> list[str | int]:
    """Key parts with list items named by ``name`` replaced by their index, as validation
    errors locate them (``call_types.pensions.cv`` -> ['call_types', 2, 'cv'])."""
    out: list[str | int] = []
    node = data
    for part in parts:
        if isinstance(node, list):
            try:
                part = _index(node, part, parts)
            except KeyError:
                return out + list(parts[len(out):])
            node = node[part]
        elif isinstance(node, dict):
            node = node.get(str(part))
        else:
            node = None
        out.append(part)
    return out


def format_key(parts: list[str | int] | tuple) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def parse_set_option(text: str) -> tuple[str, Any]:
    """``key.path=value`` -> (key path, parsed value); raises ScenarioError naming the option."""
    if "=" not in text or not text.split("=", 1)[0].strip():
        raise ScenarioError([Problem("--set", text, "must be key.path=value")])
    key, raw = text.split("=", 1)
    raw = raw.strip()
    if raw[:1] in ("[", "{"):  # meant as a list or table: a TOML error is worth naming, not a string
        try:
            tomllib.loads(f"v = {raw}")
        except tomllib.TOMLDecodeError as exc:
            why = str(exc).split(" (at ")[0]
            raise ScenarioError([Problem(f"--set {text}", key.strip(), f"not a valid TOML value ({why}): dates are "
                                         "YYYY-MM-DD with a real month and day, text goes in quotes")]) from None
    return key.strip(), parse_value(raw)


def created_block(data: Any, parts: list[str | int]) -> list[str | int]:
    """The shortest prefix of ``parts`` naming a table that does not exist yet ([] if none would
    be created): ``--set costs.manager_eur_per_hour=1`` on a file without [costs] -> ['costs']."""
    node = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, dict):
            if str(part) not in node:
                return list(parts[: i + 1])
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return []
    return []


def drop_consequent_missing(problems: list[Problem], created: list[tuple[list, str]]) -> list[Problem]:
    """A --set that created a block and is wrong itself (an unknown key, a value out of range)
    reports that, not also the required keys the new block lacks (they follow from the mistake);
    a --set that is right but leaves its new block incomplete still reports the missing keys."""
    out = []
    for p in problems:
        if p.message == "missing (required)":
            loc = split_key(p.path)
            block = next((parts for parts, _ in created if loc[: len(parts)] == parts), None)
            if block is not None and any(
                q.message != "missing (required)" and split_key(q.path)[: len(block)] == block for q in problems
            ):
                continue
        out.append(p)
    return out
