"""The import graph keeps its shape: layers import only downward, adapters depend on the kernel
and are imported only by the composition root, which only entry points use."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "lexgraph"
# Each layer may import itself and the layers before it (prompts is text only).
LAYERS = ("core", "tools", "agents", "graphs")
# The modules that start a process or a request and so may ask the composition root for parts.
ENTRY_POINTS = ("lexgraph.api.app", "lexgraph.cli", "lexgraph.workers.")
# Modules that reach an outside system or a model runtime live under lexgraph.adapters: only
# the composition root (and other adapters) may import them.
ADAPTERS = "lexgraph.adapters"


def _imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[module] = {n for n in names if n.startswith("lexgraph.")}
    return found


IMPORTS = _imports()


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_the_graph_is_read() -> None:
    # A broken walk would make every other test here pass vacuously.
    assert len(IMPORTS) > 150
    assert "lexgraph.composition.worker" in IMPORTS["lexgraph.workers.tasks"]


@pytest.mark.parametrize("layer", LAYERS)
def test_layers_import_only_downward(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1]) | {"prompts", "__version__"}
    upward = sorted(f"{module} -> {name}" for module, names in IMPORTS.items()
                    if _layer(module) == layer for name in names
                    if _layer(name) not in allowed and name != "lexgraph")
    assert not upward, upward


def test_only_entry_points_use_the_composition_root() -> None:
    users = sorted(module for module, names in IMPORTS.items()
                   if not module.startswith("lexgraph.composition")
                   and any(n.startswith("lexgraph.composition") for n in names)
                   and not module.startswith(ENTRY_POINTS))
    assert not users, users


def test_adapters_are_imported_only_by_the_composition_root() -> None:
    def is_adapter(name: str) -> bool:
        return name == ADAPTERS or name.startswith(ADAPTERS + ".")

    users = sorted(f"{module} -> {name}" for module, names in IMPORTS.items()
                   if not module.startswith("lexgraph.composition") and not is_adapter(module)
                   for name in names if is_adapter(name))
    assert not users, users


def test_adapters_depend_on_the_kernel_only() -> None:
    allowed = ("lexgraph.core", ADAPTERS, "lexgraph.__version__")
    outward = sorted(f"{module} -> {name}" for module, names in IMPORTS.items()
                     if module.startswith(ADAPTERS) for name in names
                     if not name.startswith(allowed))
    assert not outward, outward
    assert any(module.startswith(ADAPTERS + ".") for module in IMPORTS)
