"""No import circle between apps.

The imports of ``src/onthaal`` are read from the source (every ``import``, at the top of a
module or inside a function: a deferred import hides a circle, it does not break it; imports
under ``if TYPE_CHECKING:`` are for the type checker only and are left out). A circle whose
modules belong to more than one app fails: it makes the order in which apps load matter, and
it is how ``organisation.models -> hours.models -> hours.services -> audit.services <->
accounts.access`` came about. The graph is of modules, not apps: an app's outer modules
(admin, views, API) may use another app whose inner modules use the first one's models,
without any module waiting for itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import onthaal

SOURCE = Path(onthaal.__file__).parent


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file, for the package at ``root`` (tests and migrations left out)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if "tests" in parts or "migrations" in parts:
            continue
        name = (
            ".".join((package, *parts[:-1]))
            if parts[-1] == "__init__"
            else ".".join((package, *parts))
        )
        found[name] = path
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return skipped


def imports(modules: Mapping[str, Path], package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports (a name imported from a package that is
    itself a module counts as that module)."""

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_only(tree)
        targets: list[str] = []
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.append(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                targets.extend(alias.name for alias in node.names)
        graph[name] = {
            found
            for target in targets
            if target.split(".")[0] == package
            and (found := resolve(target)) is not None
            and found != name
        }
    return graph


def circles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else module


def circles_between_apps(root: Path, package: str) -> list[list[str]]:
    modules = module_files(root, package)
    return [c for c in circles(imports(modules, package)) if len({app_of(m) for m in c}) > 1]


def test_no_import_circle_between_apps():
    assert circles_between_apps(SOURCE, "onthaal") == []


def test_the_check_finds_a_circle_hidden_in_a_function_and_ignores_type_checking(tmp_path):
    package = tmp_path / "pkg"
    for app in ("one", "two", "three"):
        (package / app).mkdir(parents=True)
        (package / app / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "one" / "models.py").write_text("from pkg.two.services import act\n")
    (package / "two" / "services.py").write_text(
        "def act():\n    from pkg.one import models\n    return models\n"
    )
    (package / "three" / "models.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.one import models\n"
    )
    (package / "one" / "views.py").write_text("from pkg.three import models\n")
    assert circles_between_apps(package, "pkg") == [["pkg.one.models", "pkg.two.services"]]
