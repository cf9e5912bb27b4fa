"""The import graph reads: entry points → wiring → adapters → core; nothing points up, nothing goes in circles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
ENTRY_POINTS = {"bot.cli", "bot.__main__", "bot.doctor"}
FOUNDATIONS = {"bot.settings", "bot.logs", "bot.heap"}  # configuration, logging, the heap: used above the core
OUTSIDE_LIBRARIES = {"discord", "openai", "httpx2", "tweepy", "matplotlib", "sqlalchemy", "alembic", "aiohttp",
                     "trafilatura", "requests", "yarl"}


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions (type-checking-only imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


MODULES = {module_name(path): imports_of(path) for path in BOT.rglob("*.py") if "migrations" not in path.parts}


def layer(module: str) -> int:
    if module in ENTRY_POINTS:
        return 3
    if module == "bot.wiring":
        return 2
    if module.startswith("bot.adapters"):
        return 1
    return 0  # the core, settings and logs


def own(imports: set[str]) -> set[str]:
    return {name for name in imports if name == "bot" or name.startswith("bot.")}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_nothing_points_up(module):
    upward = [name for name in own(MODULES[module]) if layer(name) > layer(module)]
    assert not upward, f"{module} imports {upward} from a layer above it"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("bot.adapters.")))
def test_no_adapter_imports_another_adapter(module):
    family = module.split(".")[2]
    others = [name for name in own(MODULES[module])
              if name.startswith("bot.adapters.") and name.split(".")[2] != family]
    assert not others, f"{module} imports the adapters {others}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("bot.core")))
def test_the_core_uses_no_outside_service_library(module):
    outside = [name for name in MODULES[module] if name.split(".")[0] in OUTSIDE_LIBRARIES]
    assert not outside, f"{module} imports {outside}"
    assert not [name for name in own(MODULES[module]) if name in FOUNDATIONS], f"{module} reads the settings"


def test_there_are_no_import_circles():
    graph = {module: {name for name in own(imports) if name in MODULES} for module, imports in MODULES.items()}
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for name in sorted(graph[module]):
            if state.get(name) == "open":
                raise AssertionError("import circle: " + " → ".join(path[path.index(name):] + [name]))
            if name not in state:
                visit(name)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
