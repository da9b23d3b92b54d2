"""The layout's two rules, read from the source: no import circle among the project's
modules, and calls/ reaching integrations/ through one module only (integrations.events).

Imports are read with ``ast``: those that run when a module is imported (module level, class
bodies, ``if``/``try`` blocks; not function bodies, not ``if TYPE_CHECKING``), and, for a
second look, every import, lazy ones inside functions included — a circle hidden behind a
function (a table importing its handlers on first use) is still a circle. Handlers named by
dotted path (integrations.jobs.kinds) are not imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("clawsite", "calls", "integrations")
HAND_OFF = "integrations.events"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            modules[module_name(path)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module, *, at_import_time: bool) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            elif at_import_time and isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            ):
                continue
            elif at_import_time and isinstance(child, ast.If) and _is_type_checking(child):
                for orelse in child.orelse:
                    visit(orelse)
            else:
                visit(child)

    visit(tree)
    return found


def imported_modules(
    name: str, path: Path, known: set[str], *, at_import_time: bool = True
) -> set[str]:
    """The project modules ``name`` imports: ``from a.b import c`` names ``a.b.c`` when that
    is a module, else ``a.b``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _imports(ast.parse(path.read_text(), str(path)), at_import_time=at_import_time):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            candidates = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        targets.update(candidate for candidate in candidates if candidate in known)
    targets.discard(name)
    return targets


def import_graph(*, at_import_time: bool = True) -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {
        name: imported_modules(name, path, known, at_import_time=at_import_time)
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle in ``graph`` as the list of modules along it, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = GREY
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if colour.get(target) == GREY:
                return [*stack[stack.index(target):], target]
            if colour.get(target) == WHITE:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        colour[node] = BLACK
        return None

    for node in sorted(graph):
        if colour[node] == WHITE:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_it_finds_a_circle_when_there_is_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_it_reads_the_project_modules_and_their_imports() -> None:
    graph = import_graph()
    # A sanity check that the graph is not empty because of a wrong path.
    assert "integrations.jobs.ledger" in graph["integrations.tasks"]
    assert HAND_OFF in graph["calls.intake"]


def test_it_has_no_import_circle() -> None:
    assert find_cycle(import_graph()) is None


def test_it_has_no_import_circle_through_imports_inside_functions() -> None:
    assert find_cycle(import_graph(at_import_time=False)) is None


def test_it_lets_calls_reach_integrations_only_through_the_hand_off() -> None:
    graph = import_graph(at_import_time=False)
    reaching = {
        (name, target)
        for name, targets in graph.items()
        if name.startswith("calls")
        for target in targets
        if target.split(".")[0] == "integrations"
    }
    assert {target for _, target in reaching} == {HAND_OFF}
    assert {name for name, _ in reaching} == {"calls.intake"}


def test_it_keeps_every_module_under_about_four_hundred_lines() -> None:
    too_long = {
        name: lines
        for name, path in project_modules().items()
        if (lines := len(path.read_text().splitlines())) > 400
    }
    assert too_long == {}
