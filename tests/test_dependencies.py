"""Every package the code imports is declared, so ``pip install .`` alone is enough.

A fresh venv with Python 3.11's bundled pip once broke every HTML read: jusText (through
trafilatura) asks for ``lxml[html_clean]``, which that pip does not resolve, so
``lxml_html_clean`` must be a dependency of ours. ``.ci/run`` also installs the project
into such a venv and reads a page, the way a user without ``make`` does.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "vorlesen"

EXTRA_RUNTIME = {"lxml_html_clean": "lxml-html-clean"}
"""Imported by a dependency that does not declare it for every pip (see module doc)."""


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    names = set()
    for spec in project["dependencies"]:
        name = re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0]
        names.add(re.sub(r"[-_.]+", "-", name).lower())
    return names


def _imported_top_levels() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"vorlesen"}


def test_every_imported_package_is_a_declared_dependency() -> None:
    declared = _declared()
    owners = packages_distributions()
    missing = []
    for module in sorted(_imported_top_levels()):
        dists = {re.sub(r"[-_.]+", "-", d).lower() for d in owners.get(module, [module])}
        if not dists & declared:
            missing.append(f"{module} (from {', '.join(sorted(dists))})")
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_what_dependencies_need_but_do_not_declare_is_declared() -> None:
    declared = _declared()
    assert {dist for dist in EXTRA_RUNTIME.values()} <= declared
