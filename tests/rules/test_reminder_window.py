"""The reminder pre-filter's window (``reminder_window``): which candidates a daily scan must evaluate.

The scan's SQL is built from it (notifications/reminders.py), and tests/test_reminder_rules.py checks
against the database that it never hides a reminder the engine finds due.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from schemes.rules import ReminderWindow, load_definition, reminder_window, shipped_definition, shipped_definitions

D = dt.date
CATCH_UP = dt.timedelta(days=7)


def days(start: dt.date, end: dt.date) -> tuple[int, ...]:
    found = []
    while start <= end:
        found.append(start.month * 100 + start.day)
        start += dt.timedelta(days=1)
    return tuple(found)


def peoplecert_reminded(days_before: int):
    """PeopleCert with one reminder, ``days_before`` days before each CPD year's end."""
    raw = shipped_definitions()["peoplecert-cpd"]
    raw["reminders"] = [{**raw["reminders"][0], "offsets": [
        {"amount": days_before, "unit": "days", "direction": "before"}]}]
    return load_definition(raw)


def test_window_scheme_keeps_recertification_dates_around_today():
    today = D(2027, 3, 1)
    window = reminder_window(shipped_definition("cmi-register-loopbaanprofessional"), today, since=today - CATCH_UP)
    # "after" offsets of 1 day looked for back to the catch-up; "before" offsets up to 4 months ahead; the
    # cycle ends the day before the recertification date, so that date may be one day later still.
    assert window == ReminderWindow(field="recertification_date", earliest=today - dt.timedelta(days=8),
                                    latest=today + dt.timedelta(days=4 * 31 + 1), month_days=None)


def test_anniversary_scheme_keeps_exam_dates_whose_anniversary_is_near():
    today = D(2027, 3, 1)
    window = reminder_window(shipped_definition("peoplecert-cpd"), today, since=today - CATCH_UP)
    assert window == ReminderWindow(field="exam_passed_on", earliest=None, latest=today + dt.timedelta(days=60),
                                    month_days=days(today, today + dt.timedelta(days=60)))


def test_fixed_cycle_keeps_cycle_starts_still_running():
    today = D(2027, 3, 1)
    window = reminder_window(shipped_definition("ccmg-cpd"), today, since=today - CATCH_UP)
    assert window is not None
    assert window.field == "cycle_start"
    assert window.latest >= today
    assert window.earliest is not None
    assert window.earliest <= D(2024, 3, 1)


def month_days(*args: Any, **kwargs: Any) -> tuple[int, ...] | None:
    window = reminder_window(*args, **kwargs)
    assert window is not None
    return window.month_days


def test_28_february_of_a_common_year_stands_for_29_february():
    assert month_days(peoplecert_reminded(2), D(2027, 2, 27), since=D(2027, 2, 20)) == (227, 228, 229, 301)
    assert month_days(peoplecert_reminded(3), D(2028, 2, 27), since=D(2028, 2, 20)) == (227, 228, 229, 301)
    assert month_days(peoplecert_reminded(2), D(2026, 3, 1), since=D(2026, 2, 22)) == (301, 302, 303)


def test_a_window_of_a_whole_year_compares_no_month_days():
    window = reminder_window(peoplecert_reminded(400), D(2027, 3, 1), since=D(2027, 2, 22))
    assert window is not None
    assert window.month_days is None


def test_no_reminders_no_window():
    raw = shipped_definitions()["peoplecert-cpd"]
    raw["reminders"] = []
    raw["notes"] = [note for note in raw["notes"] if not note["path"].startswith("reminders")]
    assert reminder_window(load_definition(raw), D(2027, 3, 1), since=D(2027, 2, 22)) is None
