"""The shape of the tree: no import cycle, SQL only in the store, small modules, a neutral core.

These read the source (with `ast`), so they cover imports made inside functions too: a
lazy import that dodges a cycle at start-up is still a cycle for the next maintainer.
Imports under `if TYPE_CHECKING:` run only for the type checker and are left out.
"""

from __future__ import annotations

import ast
import re
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


MODULES_DOC = ROOT / "docs" / "MODULES.md"
# A path in backticks (`bot/feeds/text.py`, `bot/cli/`); on the same line, bare names after it
# (`urls.py`, `neutral/`, `llm/verify.py`) are read in its folder.
_CODE = re.compile(r"`([^`\s]+)`")
_RELATIVE = re.compile(r"[\w/]+(?:\.py|/)")


def paths_named_in(text: str) -> set[str]:
    """The module paths and folders a MODULES.md-like text names ("bot/x.py", "bot/y/")."""
    named: set[str] = set()
    for line in text.splitlines():
        folder = ""
        for token in _CODE.findall(line):
            if token.startswith(tuple(f"{package}/" for package in PACKAGES)):
                named.add(token)
                folder = token if token.endswith("/") else token.rsplit("/", 1)[0] + "/"
            elif re.fullmatch(rf"(?:{'|'.join(PACKAGES)})(?:\.\w+)+", token):
                named.add(token.replace(".", "/") + ".py")
            elif folder and _RELATIVE.fullmatch(token):
                named.add(folder + token)
    return named


def unlisted_modules(named: set[str]) -> list[str]:
    """Modules of bot/ and adapters/ that `named` leaves out: neither the module, nor a
    package folder holding it; a package counts as listed when any of its modules is."""
    missing = []
    for path in MODULES.values():
        relative = path.relative_to(ROOT)
        parts = relative.parts
        # A top folder (`bot/`) names the whole core, not its modules: sub-packages count.
        folders = {"/".join(parts[:end]) + "/" for end in range(2, len(parts))}
        if relative.name == "__init__.py":
            own = relative.parent.as_posix() + "/"
            if any(name.startswith(own) for name in named):
                continue
        elif relative.as_posix() in named or folders & named:
            continue
        missing.append(relative.as_posix())
    return missing


def test_the_module_map_check_reads_sibling_names_and_sees_a_gap() -> None:
    named = paths_named_in(
        "| `bot/feeds/text.py`, `urls.py` | ... |\n`bot.clock` and `adapters/web/`"
    )
    assert {"bot/feeds/text.py", "bot/feeds/urls.py", "bot/clock.py", "adapters/web/"} <= named
    missing = unlisted_modules(named)
    assert "bot/feeds/text.py" not in missing and "adapters/web/pages.py" not in missing
    assert "bot/feeds/fetch.py" in missing


def test_docs_modules_lists_every_module_and_only_existing_ones() -> None:
    text = MODULES_DOC.read_text(encoding="utf-8")
    assert unlisted_modules(paths_named_in(text)) == [], "add these to docs/MODULES.md"
    # Paths written out in full must exist (a bare sibling name may belong to another row).
    gone = sorted(
        name
        for name in set(_CODE.findall(text))
        if name.startswith(tuple(f"{package}/" for package in PACKAGES))
        and not (ROOT / name).exists()
    )
    assert gone == [], "docs/MODULES.md names modules that no longer exist"
