"""Reminders: which of the scheme's reminder rules are due on ``as_of``, and for which anchor date; and
which candidates can have one due at all (the window a daily scan pre-filters by)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ..dates import add_months, add_years
from ..definition import Offset, SchemeDefinition
from .context import CandidateContext
from .report import PeriodResult, ReminderDue


def shift(anchor: dt.date, offset: Offset) -> dt.date:
    amount = offset.amount if offset.direction == "after" else -offset.amount
    return anchor + dt.timedelta(days=amount) if offset.unit == "days" else add_months(anchor, amount)


def reminders_due(
    definition: SchemeDefinition,
    context: CandidateContext,
    cycle: PeriodResult | None,
    current: PeriodResult | None,
) -> tuple[ReminderDue, ...]:
    """Reminders due on ``as_of``: per rule and anchor date, the latest offset whose day has come.

    A "before" offset is due from its day until the anchor date; an "after" offset from its day on. Only
    the latest due offset is returned, so a scan that missed days does not send a burst of reminders.
    """
    as_of = context.as_of
    anchors: dict[str, list[tuple[dt.date, bool]]] = {
        "period_end": [(current.end, current.compliant)] if current is not None else [],
        "cycle_end": [(cycle.end, cycle.compliant)] if cycle is not None else [],
        "recertification_date": (
            [(context.recertification_date, cycle.compliant)]
            if cycle is not None and context.recertification_date is not None
            else []
        ),
    }
    due = []
    for reminder in definition.reminders:
        for anchor, compliant in anchors[reminder.anchor]:
            if reminder.condition == "not_compliant" and compliant:
                continue
            if reminder.condition == "dossier_not_submitted" and context.dossier_submitted:
                continue
            candidates = [
                (shift(anchor, offset), offset)
                for offset in reminder.offsets
                if shift(anchor, offset) <= as_of and (offset.direction == "after" or as_of <= anchor)
            ]
            if candidates:
                send_on, offset = max(candidates, key=lambda item: item[0])
                due.append(
                    ReminderDue(code=reminder.code, anchor_date=anchor, send_on=send_on, offset=offset)
                )
    return tuple(due)


# --- the pre-filter ------------------------------------------------------------------------------------

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReminderWindow:
    """Which candidates can have a reminder of a scheme due: those whose context date ``field``
    (``exam_passed_on``, ``recertification_date`` or ``cycle_start``) lies from ``earliest`` (None: no
    lower bound) to ``latest``, both inclusive, and, when ``month_days`` is given, falls on one of those
    days of the year (month × 100 + day).

    Wider than needed, never narrower: ``evaluate`` makes the real decision for each candidate it keeps.
    """

    field: str
    earliest: dt.date | None
    latest: dt.date
    month_days: tuple[int, ...] | None


def _longest_days(offset: Offset) -> int:
    """An offset's longest possible length in days (a month counts as 31)."""
    return offset.amount * (31 if offset.unit == "months" else 1)


def reminder_window(defn: SchemeDefinition, on: dt.date, *, since: dt.date) -> ReminderWindow | None:
    """The candidates worth evaluating on ``on`` for the scheme's reminders; None when it has none.

    A "before" offset is due from its day until the anchor date, so its anchor lies in [on, on + the
    longest offset]; an "after" offset stays due from its day on, and only those that came due on
    ``since`` or later are looked for, so its anchor lies in [since − the longest offset, on]. The anchor
    dates (period ends, cycle ends, recertification dates) in the union are then turned into conditions on
    the date the scheme's cycle counts from.
    """
    offsets = [offset for reminder in defn.reminders for offset in reminder.offsets]
    if not offsets:
        return None
    before = [_longest_days(o) for o in offsets if o.direction == "before"]
    after = [_longest_days(o) for o in offsets if o.direction == "after"]
    start = since - dt.timedelta(days=max(after)) if after else on
    end = on + dt.timedelta(days=max(before)) if before else on
    return _anchor_conditions(defn, start, end)


def _anchor_conditions(defn: SchemeDefinition, start: dt.date, end: dt.date) -> ReminderWindow:
    """The candidates whose period end, cycle end or recertification date can lie in [start, end].

    - window: the recertification date (its own anchor; the cycle ends the day before).
    - anniversary: each CPD year ends on an anniversary of the exam.
    - fixed cycle: each year ends the day before an anniversary of the cycle start, the cycle on the last
      of them; the cycle must still be running somewhere in the window.
    """
    model = defn.cycle.model
    whole_year = (end - start).days >= 366
    if model == "window":
        return ReminderWindow(field="recertification_date", earliest=start, latest=end + ONE_DAY, month_days=None)
    if model == "anniversary":
        days = None if whole_year else _month_days(_days(start, end))
        return ReminderWindow(field="exam_passed_on", earliest=None, latest=end, month_days=days)
    years = defn.cycle.years or 0
    return ReminderWindow(
        field="cycle_start",
        earliest=add_years(start, -years) - 2 * ONE_DAY,
        latest=end,
        month_days=None if whole_year else _month_days(_days(start + ONE_DAY, end + ONE_DAY)),
    )


def _month_days(days: Iterable[dt.date]) -> tuple[int, ...]:
    """month × 100 + day of every date a yearly anniversary can fall on. 28 February of a year without a
    29th also stands for 29 February: such anniversaries fall on the 28th."""
    keys: set[int] = set()
    for day in days:
        keys.add(day.month * 100 + day.day)
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            keys.add(229)
    return tuple(sorted(keys))


def _days(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start
    while day <= end:
        yield day
        day += ONE_DAY
