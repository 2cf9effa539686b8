"""Rules only in the engine: no Django-side code reasons about cycle models again.

The engine answers the questions the Django side used to decide by itself (the date a scheme counts from,
a dossier's reference date, the headline scope, the reminder pre-filter's window, the no-future-dates rule:
see test_scope.py). This reads every project module outside schemes/rules/ (and outside tests and migrations)
and fails on the shapes those copies had: branching on `definition.cycle.model`, a cycle model's name as a
string, a copy of the engine's anchor table, and the engine's date sentence written again.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL_NAMES = frozenset({"anniversary", "window", "fixed_cycle"})
ENGINE_TABLES = frozenset({"ANCHOR_FIELD", "ANCHOR_FIELDS", "ANCHORS_BY_MODEL", "SCOPES_BY_MODEL"})
SKIPPED = ("schemes/rules/", "tests/", ".venv/", "node_modules/")


def copies_in(source: str) -> list[str]:
    """What in one module decides what only the engine may decide (line: what)."""
    tree = ast.parse(source)
    docstrings = {id(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr == "model" and isinstance(node.value, ast.Attribute)
                and node.value.attr == "cycle"):
            found.append(f"{node.lineno}: branches on cycle.model")
        elif isinstance(node, ast.Name | ast.Attribute | ast.alias):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) \
                else node.asname or node.name
            if name in ENGINE_TABLES:
                found.append(f"{getattr(node, 'lineno', '?')}: uses the engine's table {name}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if node.value in MODEL_NAMES:
                found.append(f"{node.lineno}: names the cycle model {node.value!r}")
            elif "in the future" in node.value:
                found.append(f"{node.lineno}: words a future-date rule (the engine's check_activity_date does)")
    return found


def project_modules() -> list[Path]:
    return [path for path in sorted(ROOT.rglob("*.py"))
            if not str(path.relative_to(ROOT)).startswith(SKIPPED) and "migrations" not in path.parts]


def test_no_module_outside_the_engine_decides_by_cycle_model():
    found = {f"{path.relative_to(ROOT)}:{line}" for path in project_modules() for line in copies_in(
        path.read_text(encoding="utf-8"))}
    assert found == set()


def test_the_modules_read_include_the_django_side():
    names = {str(path.relative_to(ROOT)) for path in project_modules()}
    assert {"portfolios/reports.py", "notifications/reminders.py", "billing/services.py"} <= names
    assert not any(name.startswith("schemes/rules/") for name in names)


@pytest.mark.parametrize(("source", "what"), [
    ("if definition.cycle.model == 'x':\n    pass\n", "branches on cycle.model"),
    ("from schemes.rules import ANCHOR_FIELDS\n", "uses the engine's table ANCHOR_FIELDS"),
    ("ANCHOR_FIELD = {'window': 'recertification_date'}\n", "uses the engine's table ANCHOR_FIELD"),
    ("model = 'fixed_cycle'\n", "names the cycle model 'fixed_cycle'"),
    ("error = _('The date cannot be in the future.')\n", "words a future-date rule"),
])
def test_each_copy_is_recognised(source, what):
    assert any(what in line for line in copies_in(source))


def test_docstrings_may_speak_of_the_rules():
    assert copies_in('"""Not in the future: the engine\'s check_activity_date; the anniversary model."""\n') == []
