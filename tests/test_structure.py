"""The shape of the tree: no import cycle, SQL only in the store, small modules, a neutral core.

These read the source (with `ast`), so they cover imports made inside functions too: a
lazy import that dodges a cycle at start-up is still a cycle for the next maintainer.
Imports under `if TYPE_CHECKING:` run only for the type checker and are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "adapters")
MAX_LINES = 700
PLATFORM_LIBRARIES = ("discord", "slack_bolt", "slack_sdk")


def _modules() -> dict[str, Path]:
    """Every module of bot/ and adapters/ by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _type_checking_only(tree: ast.Module) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for branch in node.body for inner in ast.walk(branch))
    return skipped


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Every dotted name `module` imports, anywhere in its body, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            yield base
            # `from bot.store import feeds` imports the module bot.store.feeds
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _own_module(name: str) -> str | None:
    """The module of ours that `name` refers to (the longest prefix that is one)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {_own_module(name) for name in imported_names(module, path)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph.get(node, ())):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_sees_a_cycle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_a_lazy_import_inside_a_function_is_an_edge(tmp_path: Path) -> None:
    source = tmp_path / "lazy.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from bot.app import App\n"
        "def f():\n    from bot.store import feeds\n    import bot.models\n"
    )
    names = set(imported_names("bot.lazy", source))
    assert {"bot.store.feeds", "bot.models"} <= names
    assert "bot.app" not in names


def test_bot_and_adapters_have_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_only_the_store_imports_sqlalchemy() -> None:
    offenders = sorted(
        module
        for module, path in MODULES.items()
        if not module.startswith("bot.store")
        and any(name.split(".")[0] == "sqlalchemy" for name in imported_names(module, path))
    )
    assert offenders == [], f"SQLAlchemy used outside bot/store: {offenders}"


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in MODULES.values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_the_core_imports_no_chat_platform_library() -> None:
    offenders = sorted(
        f"{module} imports {name}"
        for module, path in MODULES.items()
        if module.startswith("bot")
        for name in set(imported_names(module, path))
        if name.split(".")[0] in PLATFORM_LIBRARIES
    )
    assert offenders == []
