"""The house's rules, read from the code (docs/architecture.md draws them):

- layers: a package imports only from its own layer or below (type-only imports too); ``plan`` and ``calibration``
  never import each other; ``base`` and ``maths`` import nothing else of ska_sim;
- no import cycle among ska_sim's modules, counting imports inside functions and type-only ones;
- no underscored name imported from another module;
- imports of ska_sim modules at module top, except in ``cli`` (start-up time);
- no module over 600 lines; no function over 100 lines unless it says why (``# inlined for speed``);
- comments and docstrings say what the code does, not the history that brought it ("issue 8",
  "phase B", "FIX-C", "today's engine").

Each rule is checked on the package and, so that it can fail, on a small tree made to break it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Layer of each top-level part of ska_sim: a module may import its own layer and those below.
LAYERS = {
    "base": 0,
    "maths": 0,
    "scenario": 1,
    "sim": 2,
    "plan": 3,
    "calibration": 3,
    "forecast": 3,
    "report": 4,
    "cli": 5,
    "web": 5,
}
SIBLINGS_APART = [("plan", "calibration"), ("forecast", "plan"), ("forecast", "calibration"), ("base", "maths")]
TOP_IMPORTS_EXEMPT = {"cli"}
MAX_LINES = 600
MAX_FUNCTION_LINES = 100
SPEED_MARK = "# inlined for speed"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted (resolved)
    names: tuple[str, ...]  # names taken from it (empty for `import x`)
    line: int
    top: bool  # at module level (not inside a function or class body)
    type_only: bool  # inside `if TYPE_CHECKING:`


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_of(path: Path, root: Path, package: str) -> list[Import]:
    """Every import of ``package`` in a file, with where it stands."""
    me = module_name(path, root)
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))
    out: list[Import] = []

    def visit(node: ast.AST, top: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = me.split(".") if is_pkg else me.split(".")[:-1]
                    base = base[: len(base) - (child.level - 1)] if child.level > 1 else base
                    target = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    target = child.module or ""
                if target == package or target.startswith(package + "."):
                    names = tuple(a.name for a in child.names)
                    out.append(Import(me, target, names, child.lineno, top, type_only))
            elif isinstance(child, ast.Import):
                for a in child.names:
                    if a.name == package or a.name.startswith(package + "."):
                        out.append(Import(me, a.name, (), child.lineno, top, type_only))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                visit(child, False, type_only)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                visit(child, top, True)
            else:
                visit(child, top, type_only)

    visit(tree, True, False)
    return out


def scan(root: Path, package: str = "ska_sim") -> tuple[dict[str, Path], list[Import]]:
    modules = {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    imports = [i for p in modules.values() for i in imports_of(p, root, package)]
    return modules, imports


def resolve(imp: Import, modules: dict[str, Path]) -> list[str]:
    """The modules an import loads: `from pkg import mod` names a module; else the target."""
    found = [f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in modules]
    return found or [imp.target]


def part_of(module: str, package: str = "ska_sim") -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == package else None


def layer_violations(imports: list[Import], modules: dict[str, Path]) -> list[str]:
    out = []
    for imp in imports:
        src = part_of(imp.module)
        for target in resolve(imp, modules):
            dst = part_of(target)
            if src is None or dst is None or src == dst or src not in LAYERS:
                if src is not None and dst is None and imp.module.count(".") >= 1:
                    if target != "ska_sim" or any(n != "__version__" for n in imp.names):
                        out.append(f"{imp.module}:{imp.line} imports the top package {target} (import from its layer)")
                continue
            if dst not in LAYERS:
                out.append(f"{imp.module}:{imp.line} imports {target}, which belongs to no layer")
            elif LAYERS[dst] > LAYERS[src]:
                out.append(f"{imp.module}:{imp.line} climbs up: {src} (layer {LAYERS[src]}) imports {target} ({dst}, layer {LAYERS[dst]})")
            elif {src, dst} in [set(p) for p in SIBLINGS_APART]:
                out.append(f"{imp.module}:{imp.line}: {src} imports its sibling {target}")
    return out


def cycles(imports: list[Import], modules: dict[str, Path]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), every import counted:
    at module top, inside functions and under ``if TYPE_CHECKING:``."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports:
        for t in resolve(imp, modules):
            if t in graph and t != imp.module:
                graph[imp.module].add(t)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def private_crossings(imports: list[Import], modules: dict[str, Path]) -> list[str]:
    return [f"{i.module}:{i.line} imports {n} from {i.target}" for i in imports for n in i.names
            if n.startswith("_") and n != "__version__" and f"{i.target}.{n}" not in modules and i.target != i.module]


def late_imports(imports: list[Import]) -> list[str]:
    return [f"{i.module}:{i.line} imports {i.target} inside a function" for i in imports
            if not i.top and part_of(i.module) not in TOP_IMPORTS_EXEMPT]


def long_modules(modules: dict[str, Path]) -> list[str]:
    out = []
    for m, p in modules.items():
        n = len(p.read_text().splitlines())
        if n > MAX_LINES:
            out.append(f"{m}: {n} lines")
    return out


def long_functions(modules: dict[str, Path]) -> list[str]:
    """Functions over MAX_FUNCTION_LINES whose first lines do not carry SPEED_MARK."""
    out = []
    for m, p in modules.items():
        text = p.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                head = "\n".join(lines[node.lineno - 1: node.lineno + 3])
                if n > MAX_FUNCTION_LINES and SPEED_MARK not in head:
                    out.append(f"{m}.{node.name}: {n} lines")
    return out


HISTORY = re.compile(r"\bissue \d|\bphase [AB]\b|_phase_|\bFIX-[A-Z]\b|today's (engine|path|model|code)|general (engine )?path",
                     re.IGNORECASE)


def history_lines(modules: dict[str, Path]) -> list[str]:
    """Lines whose words narrate how the code came to be instead of what it does."""
    return [f"{m}:{i}: {line.strip()}" for m, p in modules.items()
            for i, line in enumerate(p.read_text().splitlines(), 1) if HISTORY.search(line)]


# --------------------------------------------------------------------------- the package
@pytest.fixture(scope="module")
def house():
    return scan(SRC)


def test_every_part_of_the_package_has_a_layer(house):
    modules, _ = house
    parts = {part_of(m) for m in modules} - {None}
    assert parts <= set(LAYERS), f"parts with no layer: {sorted(parts - set(LAYERS))}"


def test_imports_only_go_down(house):
    modules, imports = house
    bad = layer_violations(imports, modules)
    assert not bad, "\n".join(bad)


def test_no_import_cycles(house):
    modules, imports = house
    found = cycles(imports, modules)
    assert not found, "\n".join(" <-> ".join(c) for c in found)


def test_no_underscored_name_crosses_a_module(house):
    modules, imports = house
    bad = private_crossings(imports, modules)
    assert not bad, "\n".join(bad)


def test_ska_sim_imports_at_module_top(house):
    _, imports = house
    bad = late_imports(imports)
    assert not bad, "\n".join(bad)


def test_no_module_over_600_lines(house):
    modules, _ = house
    bad = long_modules(modules)
    assert not bad, "\n".join(bad)


def test_no_function_over_100_lines_unless_inlined_for_speed(house):
    modules, _ = house
    bad = long_functions(modules)
    assert not bad, "\n".join(bad)


def test_comments_say_what_the_code_does_not_its_history(house):
    modules, _ = house
    bad = history_lines(modules)
    assert not bad, "\n".join(bad)


# --------------------------------------------------------------------------- the checks can fail
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = tmp_path / "ska_sim" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def test_the_checks_catch_a_broken_tree(tmp_path):
    root = _tree(tmp_path, {
        "__init__.py": "",
        "sim/__init__.py": "",
        "sim/engine.py": "from ska_sim.plan.staffing import need\n",  # climbs up
        "plan/__init__.py": "",
        "plan/staffing.py": "from ska_sim.calibration.fit import _helper\n"  # sibling, private
                            "def need():\n    from ska_sim.sim import engine\n",  # late, and a cycle with engine
        "calibration/__init__.py": "",
        "calibration/fit.py": "def _helper():\n    pass\n"
                              "if TYPE_CHECKING:\n    from ska_sim.plan.staffing import need\n",  # type-only: counted too
        "base/__init__.py": "",
        "base/long.py": "x = 1\n" * 601,
        "base/story.py": '"""Routing (issue 8, phase B)."""\nx = 1  # as today\'s engine did\n',
        "base/steps.py": "def long():\n" + "    x = 1\n" * 100 + "def hot():  # inlined for speed\n" + "    x = 1\n" * 100,
    })
    modules, imports = scan(root)
    layers = layer_violations(imports, modules)
    assert any("sim.engine:1 climbs up" in v for v in layers), layers
    assert any("plan imports its sibling ska_sim.calibration.fit" in v for v in layers), layers
    assert any(v.startswith("ska_sim.calibration.fit:4: calibration imports its sibling") for v in layers), layers
    # the type-only import closes a circle too: fit -> staffing -> fit (and staffing <-> engine)
    assert cycles(imports, modules) == [["ska_sim.calibration.fit", "ska_sim.plan.staffing", "ska_sim.sim.engine"]]
    assert private_crossings(imports, modules) == ["ska_sim.plan.staffing:1 imports _helper from ska_sim.calibration.fit"]
    assert late_imports(imports) == ["ska_sim.plan.staffing:3 imports ska_sim.sim inside a function"]
    assert long_modules(modules) == ["ska_sim.base.long: 601 lines"]
    assert long_functions(modules) == ["ska_sim.base.steps.long: 101 lines"]
    assert [line.split(":")[0:2] for line in history_lines(modules)] == [["ska_sim.base.story", "1"], ["ska_sim.base.story", "2"]]


def test_relative_imports_are_resolved(tmp_path):
    root = _tree(tmp_path, {
        "__init__.py": "",
        "report/__init__.py": "",
        "report/html.py": "from .text import fmt\nfrom ..sim.kpi import KPI_UNITS\nfrom . import text\n",
        "report/text.py": "def fmt():\n    pass\n",
        "sim/__init__.py": "",
        "sim/kpi.py": "from ..report import html\n",
    })
    modules, imports = scan(root)
    targets = sorted((i.module, t) for i in imports for t in resolve(i, modules))
    assert ("ska_sim.report.html", "ska_sim.sim.kpi") in targets
    assert ("ska_sim.sim.kpi", "ska_sim.report.html") in targets
    assert ("ska_sim.report.html", "ska_sim.report.text") in targets
    assert any("climbs up" in v for v in layer_violations(imports, modules))
