"""Each thing written once (issue 9): a second copy of a shared helper fails here, naming where it stands.

The helpers: accounts/mail.py (absolute links, mail in the recipient's language), accounts/spreadsheets.py
(CSV downloads and their formula guard), accounts/pagination.py (one page size), accounts/forms.py
(`form_add_errors`), schemes/models.py (`SchemeVersion.objects.in_force` / `current`). Tests, migrations and
the settings may name these things; project code elsewhere asks the helper.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = ("tests/", ".venv/", "node_modules/", "config/settings.py", "scripts/", "bench/")

# what a copy looks like → the one module allowed to contain it
COPIES = {
    r"SITE_URL\.rstrip|SITE_URL\s*\+": "accounts/mail.py",
    r"_subject\.txt": "accounts/mail.py",
    r"\bPaginator\(": "accounts/pagination.py",
    r"\bPAGE_SIZE\s*=": "accounts/pagination.py",
    r"csv\.writer\(": "accounts/spreadsheets.py",
    r"FORMULA_STARTS|startswith\(\(\"=\"": "accounts/spreadsheets.py",
    r"hasattr\(\w+, \"error_dict\"\)": "accounts/forms.py",
    r"effective_from__lte": "schemes/models.py",
    r"def add_errors\b|def add_service_errors\b": "accounts/forms.py",
}


def copies_in(name: str, text: str) -> list[str]:
    return [f"{name}:{number}: {pattern} (belongs in {home})" for pattern, home in COPIES.items() if name != home
            for number, line in enumerate(text.splitlines(), start=1) if re.search(pattern, line)]


def project_modules() -> list[Path]:
    return [path for path in sorted(ROOT.rglob("*.py"))
            if not str(path.relative_to(ROOT)).startswith(SKIPPED) and "migrations" not in path.parts]


def test_no_second_copy_of_a_shared_helper():
    found = [copy for path in project_modules()
             for copy in copies_in(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_helpers_themselves_are_read():
    names = {str(path.relative_to(ROOT)) for path in project_modules()}
    assert set(COPIES.values()) <= names
    assert "billing/views.py" in names


@pytest.mark.parametrize("line", [
    'link = settings.SITE_URL.rstrip("/") + reverse("x")',
    'subject = render_to_string("x_subject.txt", context)',
    "page = Paginator(qs, 20).get_page(1)",
    "writer = csv.writer(response)",
    'if hasattr(error, "error_dict"):',
    "versions.filter(effective_from__lte=on)",
])
def test_a_copy_is_recognised(line):
    assert copies_in("portfolios/views/x.py", line)
