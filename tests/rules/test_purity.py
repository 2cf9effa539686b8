"""The rules engine imports only the standard library (import-linter's contract names Django, our apps and the
installed packages; this also catches a package installed later)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import schemes.rules

PACKAGE = Path(schemes.rules.__file__).parent


def test_every_absolute_import_of_the_engine_is_standard_library():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names:
                    found[f"{path.relative_to(PACKAGE)}: {name}"] = top
    assert found == {}
