"""Reading what a test received (e-mails, pages)."""

from __future__ import annotations

import re


def first_match(pattern: str, text: str, group: int = 0) -> str:
    """The first match of `pattern` in `text` (or `group` of it); the test fails if there is none."""
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not found in {text[:500]!r}"
    return found.group(group)
