"""Calendar arithmetic for anniversaries, windows and reminder offsets."""

from __future__ import annotations

import pytest

from schemes.rules import add_months, add_years

from .support import day


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        ("2024-02-29", 1, "2025-02-28"),
        ("2024-02-29", 4, "2028-02-29"),
        ("2024-02-29", -1, "2023-02-28"),
        ("2028-02-29", -4, "2024-02-29"),
        ("2024-04-30", 3, "2027-04-30"),
        ("2023-03-01", 1, "2024-03-01"),
    ],
)
def test_add_years(start, years, expected):
    assert add_years(day(start), years) == day(expected)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2027-03-01", -6, "2026-09-01"),
        ("2027-03-31", -1, "2027-02-28"),
        ("2028-03-31", -1, "2028-02-29"),
        ("2026-12-15", 1, "2027-01-15"),
        ("2027-01-31", -13, "2025-12-31"),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(day(start), months) == day(expected)
