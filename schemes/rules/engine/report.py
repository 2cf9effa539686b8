"""What an evaluation returns: the report and its parts, and the report as a JSON-ready dictionary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from decimal import Decimal
from itertools import repeat
from typing import Any, NamedTuple

from ..definition import Offset, SchemeDefinition
from ..fields import frame
from ..messages import Message, render_message


@frame
class SubCapResult:
    code: str
    raw: Decimal
    counted: Decimal
    maximum: Decimal | None


@frame
class CategoryResult:
    """Points of one category in one scope; ``per`` says whether the period's or the cycle's bounds apply."""

    code: str
    per: str
    raw: Decimal
    counted: Decimal
    minimum: Decimal | None
    maximum: Decimal | None
    missing: Decimal
    sub_caps: tuple[SubCapResult, ...] = ()

    @property
    def capped(self) -> bool:
        """Some points of this category did not count because of its cap or a sub-cap."""
        return self.counted < self.raw


@frame
class PeriodResult:
    """A yearly period (``number`` 1, 2...) or the cycle (``number`` None); ``end`` is its last day."""

    number: int | None
    start: dt.date
    end: dt.date
    categories: tuple[CategoryResult, ...]
    total_raw: Decimal
    total_counted: Decimal
    required_total: Decimal | None
    compliant: bool

    def category(self, code: str) -> CategoryResult:
        return next(item for item in self.categories if item.code == code)


class ActivityResult(NamedTuple):
    """How one input activity fared: its points, how many counted, and why the rest did not.

    A named tuple rather than a frozen dataclass like the other parts of the report: the engine makes one
    per activity, and ``activity_results`` makes a tuple's in a fraction of a dataclass's time. Read-only,
    compared and hashed by value, ``ActivityResult(index=..., ...)`` and its repr as before.
    """

    index: int  # type: ignore[assignment]  # the field shadows tuple.index, which no caller needs
    ref: Any
    type: str
    date: dt.date
    points: Decimal | None
    counted: Decimal
    period: int | None
    reasons: tuple[Message, ...]


def activity_results(rows: Iterable[tuple[Any, ...]]) -> tuple[ActivityResult, ...]:
    """One ``ActivityResult`` per row of its eight fields in order, made without a call per row."""
    return tuple(map(_tuple_new, repeat(ActivityResult), rows))


_tuple_new = tuple.__new__


@frame
class RenewalStatus:
    consecutive_required: int
    consecutive: int
    eligible: bool
    extends_by_years: int


@frame
class SectionRequirement:
    """What a dossier section asks for on the reference date (``values``: year-table numbers)."""

    code: str
    required: bool
    exempt: bool
    values: Mapping[str, int] = field(default_factory=dict)
    reason: Message | None = None


@frame
class ReminderDue:
    """A reminder to send now; send it once per (certification, code, anchor_date, send_on)."""

    code: str
    anchor_date: dt.date
    send_on: dt.date
    offset: Offset


@frame
class Report:
    """The whole evaluation. Top-level totals refer to the current scope (``scope``): the CPD year
    containing ``as_of`` for anniversary schemes, the cycle for window and fixed-cycle schemes."""

    definition: SchemeDefinition = field(compare=False, repr=False)
    scheme: str
    version: int
    as_of: dt.date
    designation: str | None
    compliant: bool
    total_counted: Decimal
    required_total: Decimal | None
    deadline: dt.date
    categories: tuple[CategoryResult, ...]
    scope: PeriodResult
    current_period: int | None
    periods: tuple[PeriodResult, ...]
    cycle: PeriodResult | None
    consecutive_compliant_periods: int | None
    renewal: RenewalStatus | None
    sections: tuple[SectionRequirement, ...]
    activities: tuple[ActivityResult, ...]
    explanations: tuple[Message, ...]
    problems: tuple[Message, ...]
    reminders: tuple[ReminderDue, ...]

    def category(self, code: str) -> CategoryResult:
        return next(item for item in self.categories if item.code == code)

    def section(self, code: str) -> SectionRequirement:
        return next(item for item in self.sections if item.code == code)

    def counted_activities(self) -> tuple[ActivityResult, ...]:
        """The activities whose points count in the current scope: those of the current CPD year
        (anniversary), else of the cycle — what a dossier submitted now rests on."""
        number = self.scope.number
        return tuple(
            result
            for result in self.activities
            if result.counted > 0 and (number is None or result.period == number)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: numbers as JSON numbers, dates ISO, messages as English sentences.

        Activities are listed in the canonical order (without their input index), so the dictionary does
        not depend on the order the activities were given in.
        """

        def text(message: Message) -> str:
            return render_message(message, self.definition)

        return {
            "scheme": self.scheme,
            "version": self.version,
            "as_of": self.as_of.isoformat(),
            "designation": self.designation,
            "compliant": self.compliant,
            "total_counted": _number(self.total_counted),
            "required_total": _number(self.required_total),
            "deadline": self.deadline.isoformat(),
            "categories": _categories_dict(self.categories),
            "current_period": self.current_period,
            "periods": [_period_dict(period) for period in self.periods],
            "cycle": _period_dict(self.cycle) if self.cycle else None,
            "consecutive_compliant_periods": self.consecutive_compliant_periods,
            "renewal": None
            if self.renewal is None
            else {
                "consecutive_required": self.renewal.consecutive_required,
                "consecutive": self.renewal.consecutive,
                "eligible": self.renewal.eligible,
                "extends_by_years": self.renewal.extends_by_years,
            },
            "sections": {
                section.code: {
                    "required": section.required,
                    "exempt": section.exempt,
                    **section.values,
                    "reason": text(section.reason) if section.reason else None,
                }
                for section in self.sections
            },
            "activities": [_activity_dict(result, text) for result in self.activities],
            "explanations": [text(message) for message in self.explanations],
            "problems": [text(message) for message in self.problems],
            "reminders": [_reminder_dict(reminder) for reminder in self.reminders],
        }


def _number(value: Decimal | None) -> int | float | None:
    """JSON number: an int when integral, else a float (only at this output boundary)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _categories_dict(categories: Sequence[CategoryResult]) -> dict[str, Any]:
    return {
        category.code: {
            "raw": _number(category.raw),
            "counted": _number(category.counted),
            "min": _number(category.minimum),
            "max": _number(category.maximum),
            "per": category.per,
            "capped": category.capped,
            "missing": _number(category.missing),
            "sub_caps": {
                cap.code: {
                    "raw": _number(cap.raw),
                    "counted": _number(cap.counted),
                    "max": _number(cap.maximum),
                }
                for cap in category.sub_caps
            },
        }
        for category in categories
    }


def _period_dict(period: PeriodResult) -> dict[str, Any]:
    return {
        "number": period.number,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "total_raw": _number(period.total_raw),
        "total_counted": _number(period.total_counted),
        "required_total": _number(period.required_total),
        "compliant": period.compliant,
        "categories": _categories_dict(period.categories),
    }


def _activity_dict(result: ActivityResult, text: Callable[[Message], str]) -> dict[str, Any]:
    return {
        "ref": result.ref,
        "type": result.type,
        "date": result.date.isoformat() if isinstance(result.date, dt.date) else None,
        "points": _number(result.points),
        "counted": _number(result.counted),
        "period": result.period,
        "reasons": [text(reason) for reason in result.reasons],
    }


def _reminder_dict(reminder: ReminderDue) -> dict[str, Any]:
    return {
        "code": reminder.code,
        "anchor_date": reminder.anchor_date.isoformat(),
        "send_on": reminder.send_on.isoformat(),
        "offset": {
            "amount": reminder.offset.amount,
            "unit": reminder.offset.unit,
            "direction": reminder.offset.direction,
        },
    }
