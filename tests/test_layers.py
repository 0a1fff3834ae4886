"""The three floors of ARCHITECTURE.md hold: no edge imports another edge, and nothing
below the edges imports one.

Every module under ``src/vorlesen`` is parsed (not imported) and each of its imports is
mapped to a floor — imports inside functions and under ``TYPE_CHECKING`` included, and so
are module names handed to ``importlib`` or to :func:`vorlesen.lazy.lazy_attributes`:

* edges: ``api``, ``web``, ``jobs`` and the command line ``cli``;
* the composition root ``server.py`` (it may import ``api``, ``web`` and ``jobs``; only the
  command line imports it);
* ``http/``, the plumbing both HTTP edges share (imported by edges and the root only);
* ``service/``, the use cases (no stage or ground module imports them); the stages
  (everything else); the ground (``models``, ``errors``, ``config``, ``languages``).

It fails on the tree before the HTTP edges were split (``web`` imported ``api.deps``,
``api`` imported ``jobs`` and mounted ``web`` through importlib, the service commands
imported ``api.app``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "vorlesen"

EDGES = {"api", "web", "jobs", "cli"}
ROOT = "server"
GROUND = {"models", "errors", "config", "languages"}
DYNAMIC_IMPORTERS = {"import_module", "find_spec", "__import__", "lazy_attributes"}
"""Calls that import modules by name."""
MODULE_NAME = re.compile(r"vorlesen(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _module_name(path: Path) -> str:
    parts = ["vorlesen", *path.relative_to(SRC).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted(SRC.rglob("*.py"))
        if "migrations" not in path.relative_to(SRC).parts
    }


MODULES = _modules()


def floor(module: str) -> str:
    """The floor of a ``vorlesen`` module: an edge's name, ``root``, ``http``,
    ``service``, ``stages`` or ``ground``."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in EDGES:
        return top
    if top == ROOT:
        return "root"
    if top in ("http", "service"):
        return top
    if top in GROUND:
        return "ground"
    return "stages"  # the stages, and the package's public API (``vorlesen/__init__``)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def imports_of(module: str, source: str, is_package: bool = False) -> list[tuple[int, str]]:
    """``(line, module)`` for every ``vorlesen`` module ``source`` imports, anywhere in it.

    A module that imports by name (``importlib``, ``lazy_attributes``) imports every
    module its strings name, wherever the string stands (a table the call is handed)."""
    tree = ast.parse(source, module)
    nodes = list(ast.walk(tree))
    dynamic = any(isinstance(n, ast.Call) and _called(n) in DYNAMIC_IMPORTERS for n in nodes)
    found: list[tuple[int, str]] = []
    for node in nodes:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_package, node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                names.append(sub if sub in MODULES else target)
        elif (
            dynamic
            and isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and MODULE_NAME.fullmatch(node.value)
        ):
            names = [node.value]
        found.extend(
            (node.lineno, name)  # type: ignore[attr-defined]
            for name in names
            if name == "vorlesen" or name.startswith("vorlesen.")
        )
    return found


def allowed(importer: str, imported: str) -> bool:
    """Whether a module on floor ``importer`` may import one on floor ``imported``."""
    if importer == imported:
        return True
    if imported in EDGES:
        return importer == "root" and imported != "cli"
    if imported == "root":
        return importer == "cli"
    if imported == "http":
        return importer in EDGES or importer == "root"
    if imported == "service":
        return importer not in ("stages", "ground")  # the use cases sit above the stages
    if importer in ("service", "stages", "ground", "http"):
        return imported not in EDGES and imported != "root"
    return True  # an edge or the root, downwards


def violations() -> list[str]:
    found = []
    for module, path in MODULES.items():
        here = floor(module)
        source = path.read_text("utf-8")
        for line, name in sorted(set(imports_of(module, source, path.name == "__init__.py"))):
            there = floor(name)
            if not allowed(here, there):
                where = f"{path.relative_to(SRC.parent)}:{line}"
                found.append(f"{where}: {module} ({here}) imports {name} ({there})")
    return found


def test_no_edge_imports_another_and_nothing_below_imports_an_edge() -> None:
    assert not violations(), "\n".join(violations())


def test_the_parser_sees_every_kind_of_import() -> None:
    """The walk finds imports in functions, relative ones and names given to importlib."""
    source = (
        "import importlib\n"
        "from ..app import problem\n"
        "def f():\n"
        "    from vorlesen.api.app import create_app\n"
        "    importlib.import_module('vorlesen.web.routes')\n"
        "_LAZY = {'render': ('vorlesen.jobs.render', 'render_revision')}\n"
        "__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)\n"
    )
    names = {name for _, name in imports_of("vorlesen.api.routes._probe", source)}
    assert names == {"vorlesen.api.app", "vorlesen.web.routes", "vorlesen.jobs.render"}
    assert not allowed(floor("vorlesen.web.routes"), floor("vorlesen.api.app"))
    assert not allowed(floor("vorlesen.api.app"), floor("vorlesen.jobs.queue"))
    assert not allowed(floor("vorlesen.cli.service"), floor("vorlesen.api.app"))
    assert not allowed(floor("vorlesen.service.container"), floor("vorlesen.jobs.queue"))
    assert allowed(floor("vorlesen.cli.service"), floor("vorlesen.server"))
    assert allowed(floor("vorlesen.server"), floor("vorlesen.web.routes"))
    assert allowed(floor("vorlesen.jobs.queue"), floor("vorlesen.service.pages"))
    assert not allowed(floor("vorlesen.store.db"), floor("vorlesen.service.pages"))


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("vorlesen.api.routes.articles", "api"),
        ("vorlesen.web.routes", "web"),
        ("vorlesen.jobs.queue", "jobs"),
        ("vorlesen.cli", "cli"),
        ("vorlesen.cli.say", "cli"),
        ("vorlesen.server", "root"),
        ("vorlesen.http.deps", "http"),
        ("vorlesen.service.container", "service"),
        ("vorlesen.pipeline", "stages"),
        ("vorlesen.store.db", "stages"),
        ("vorlesen.config", "ground"),
    ],
)
def test_floors(module: str, expected: str) -> None:
    assert module in MODULES
    assert floor(module) == expected
