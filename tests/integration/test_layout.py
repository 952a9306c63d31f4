"""The package's layout: wings by stage, stacked one way, no import circle.

Read from the source (every import, lazy ones included; imports for type checking only
are not imports at run time), so a new import that climbs back up or closes a circle
fails here before anyone has to find it in a traceback.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import assistant

PACKAGE = Path(assistant.__file__).resolve().parent

# Lower floors first. A module may import its own floor's and any lower floor's modules.
# The shared base (configuration, errors, the data model, file helpers) sits under all.
FLOORS = [
    {"config", "errors", "types", "display", "files"},
    {"language"},
    {"ingest"},
    {"index"},
    {"search"},
    {"answer"},
    {"core"},
    {"web", "cli"},
    {"__main__"},
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for b in node.body
        for n in ast.walk(b)
    }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            named = {f"{module}.{a.name}" for a in node.names} & known
            out |= named or ({module} & known)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names} & known
    out.discard(name)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _floor(module: str) -> int | None:
    """The floor of ``assistant.X…``; None for the package itself (its public face)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    return next(i for i, floor in enumerate(FLOORS) if parts[1] in floor)


def test_every_module_has_a_floor() -> None:
    for module in _modules():
        if module != "assistant":
            assert _floor(module) is not None, module


def test_no_import_climbs_to_a_higher_floor() -> None:
    climbing = []
    for module, imports in _graph().items():
        mine = _floor(module)
        if mine is None:
            continue
        for target in imports:
            theirs = _floor(target)
            if theirs is not None and theirs > mine:
                climbing.append(f"{module} -> {target}")
    assert not climbing, climbing


def test_the_import_graph_has_no_circle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not circles, circles


def test_the_package_root_holds_at_most_ten_modules_beside_its_wings() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    wings = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert len(modules) <= 10, modules
    assert wings == ["answer", "index", "ingest", "language", "search", "web"]


def test_the_package_exports_what_its_all_names() -> None:
    public = {
        name
        for name, value in vars(assistant).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    }
    assert sorted(assistant.__all__) == sorted(public)
    for name in assistant.__all__:
        assert getattr(assistant, name) is not None
