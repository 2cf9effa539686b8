"""Reminders: which of the scheme's reminder rules are due on ``as_of``, and for which anchor date."""

from __future__ import annotations

import datetime as dt

from ..dates import add_months
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
