"""Points for one activity, and the rules one activity must pass on its own.

``score`` (behind ``activity_points``) is where a formula is applied: the live form preview calls
``activity_points``, and the engine's reference path calls ``score`` for every activity it evaluates. Its
fast path (engine/columns.py) applies the same formulas and checks, keeps the points of each (type,
quantity) met, and calls ``score`` for whatever ``score`` would object to, which then says what.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .definition import (
    ActivityType,
    Attribute,
    PerHalfDay,
    PerItem,
    PerUnit,
    PerYear,
    PerYearPlusPerCandidate,
    SchemeDefinition,
)
from .fields import DECIMAL_PATTERN
from .messages import Message, Ref, gettext_noop

COMPLETED = "completed"
# No activity is dated before this, whatever the candidate (see ``earliest_activity_date`` for the later
# bound a candidate's own frame gives).
EARLIEST_ACTIVITY_DATE = dt.date(1970, 1, 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityInput:
    """One logged activity as the engine sees it.

    ``attributes`` holds the type's extra values (``words``, ``candidates``; ``completed`` for types
    awarded on completion). ``ref`` is opaque: the caller's handle to map results back to its rows.
    """

    type: str
    date: dt.date
    quantity: Decimal
    attributes: Mapping[str, Any] = field(default_factory=dict)
    ref: Hashable = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityPoints:
    """An activity's points in isolation; ``points`` is ``None`` when they cannot be computed at all."""

    points: Decimal | None
    problems: tuple[Message, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems


def _is_number(value: Any) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, int) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    """A whole number of things, zero or more (candidates)."""
    return _is_number(value) and value == int(value) and value >= 0


def attribute_number(kind: str, value: Any) -> Decimal | int | None:
    """An integer or decimal attribute's value as a number, or None when it is not one.

    The one encoding (``Activity.attributes`` stores it, docs/rules-engine.md): an integer attribute is a
    whole number (a JSON integer); a decimal attribute is a string in plain notation (``"2.5"``, like every
    decimal of a definition), or in memory a ``Decimal`` (or an ``int``). A float is never a number here:
    it cannot hold 2.5 hours exactly.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if kind == "decimal" and isinstance(value, str) and DECIMAL_PATTERN.match(value):
        return Decimal(value)
    return None


def attribute_json(value: Any) -> Any:
    """An attribute value as ``Activity.attributes`` stores it: a ``Decimal`` (a decimal attribute's) as a
    string in plain notation, anything else (whole numbers, yes/no, texts) as it is."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    return value


def _attribute_problems(activity_type: ActivityType, activity: ActivityInput) -> list[Message]:
    """Required attributes present, of the declared type, inside their bounds (an article's words ≥ 1500)."""
    problems = []
    for attribute in activity_type.attributes:
        name = Ref("attribute", attribute.code, activity_type.code)
        value = activity.attributes.get(attribute.code)
        if value is None:
            if attribute.required:
                problems.append(
                    Message(
                        "attribute-missing", gettext_noop("%(attribute)s is required"), {"attribute": name}
                    )
                )
            continue
        problem = _attribute_problem(attribute, name, value)
        if problem is not None:
            problems.append(problem)
    if activity_type.awarded_on_completion and not isinstance(activity.attributes.get(COMPLETED, True), bool):
        problems.append(
            Message(
                "completed-not-boolean", gettext_noop("whether the activity is completed must be yes or no")
            )
        )
    return problems


def _attribute_problem(attribute: Attribute, name: Ref, value: Any) -> Message | None:
    """What is wrong with one attribute's value, if anything."""
    if attribute.type in ("integer", "decimal"):
        return _number_problem(attribute, name, value)
    if attribute.type == "boolean" and not isinstance(value, bool):
        return Message(
            "attribute-not-boolean", gettext_noop("%(attribute)s must be yes or no"), {"attribute": name}
        )
    if attribute.type == "text" and not isinstance(value, str):
        return Message("attribute-not-text", gettext_noop("%(attribute)s must be a text"), {"attribute": name})
    return None


def _number_problem(attribute: Attribute, name: Ref, value: Any) -> Message | None:
    number = attribute_number(attribute.type, value)
    if number is None:
        return Message(
            "attribute-not-number", gettext_noop("%(attribute)s must be a number"), {"attribute": name}
        )
    if attribute.type == "integer" and number != int(number):
        return Message(
            "attribute-not-whole",
            gettext_noop("%(attribute)s must be a whole number, not %(value)s"),
            {"attribute": name, "value": number},
        )
    if attribute.min is not None and number < attribute.min:
        return Message(
            "attribute-below-min",
            gettext_noop("%(attribute)s is %(value)s, below the minimum of %(minimum)s"),
            {"attribute": name, "value": number, "minimum": attribute.min},
        )
    if attribute.max is not None and number > attribute.max:
        return Message(
            "attribute-above-max",
            gettext_noop("%(attribute)s is %(value)s, above the maximum of %(maximum)s"),
            {"attribute": name, "value": number, "maximum": attribute.max},
        )
    return None


def activity_points(defn: SchemeDefinition, activity: ActivityInput) -> ActivityPoints:
    """Points of one activity by its type's formula, plus every rule it breaks on its own.

    Points outside the per-activity minimum and maximum, or off the step, are reported as problems and
    never clamped: an activity with problems counts for nothing until it is corrected.
    """
    points, problems = score(defn, activity)
    return ActivityPoints(points=points, problems=problems)


def score(
    defn: SchemeDefinition, activity: ActivityInput, earliest: dt.date = EARLIEST_ACTIVITY_DATE
) -> tuple[Decimal | None, tuple[Message, ...]]:
    """``activity_points`` as a plain tuple: the one implementation the engine also runs per activity
    (with ``earliest``, the earliest plausible date for the candidate, see ``earliest_activity_date``)."""
    activity_type = defn.activity_types.get(activity.type)
    if activity_type is None:
        return None, (
            Message(
                "unknown-type",
                gettext_noop('"%(type)s" is not an activity type of this scheme'),
                {"type": str(activity.type)},
            ),
        )
    problems = _attribute_problems(activity_type, activity) if activity_type.attributes else []
    day = activity.date
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        problems.append(Message("date-invalid", gettext_noop("the date is missing or not a calendar date")))
    elif day < earliest:
        problems.append(_too_early(day, earliest))
    quantity = activity.quantity
    whole, maximum = defn.index.quantity_limits[activity.type]
    if not (
        _is_number(quantity) and 0 < quantity <= maximum and (not whole or quantity == quantity.to_integral_value())
    ):
        problems.append(_quantity_problem(activity_type, quantity, whole, maximum))
        return None, tuple(problems)
    formula = activity_type.formula
    per_candidate = formula.attribute if isinstance(formula, PerYearPlusPerCandidate) else None
    if per_candidate is not None and not _is_count(activity.attributes.get(per_candidate)):
        return None, tuple(problems)  # the attribute check above already says what is wrong with it
    points = formula.points(Decimal(quantity), activity.attributes)
    # Inline rather than a helper: this runs for every activity of every evaluation.
    rules = defn.points
    if rules.activity_min is not None and points < rules.activity_min:
        problems.append(
            Message(
                "points-below-min",
                gettext_noop("%(points)s points is below the per-activity minimum of %(minimum)s"),
                {"points": points, "minimum": rules.activity_min},
            )
        )
    elif rules.activity_max is not None and points > rules.activity_max:
        problems.append(
            Message(
                "points-above-max",
                gettext_noop("%(points)s points is above the per-activity maximum of %(maximum)s"),
                {"points": points, "maximum": rules.activity_max},
            )
        )
    if rules.step is not None and points % rules.step:
        problems.append(
            Message(
                "points-off-step",
                gettext_noop("%(points)s points is not a multiple of the step of %(step)s"),
                {"points": points, "step": rules.step},
            )
        )
    return points, tuple(problems)


def _quantity_problem(activity_type: ActivityType, quantity: Any, whole: bool, maximum: Decimal) -> Message:
    """Why a quantity is refused: it must be a positive number, whole for a whole unit, and plausible for
    one activity (at most ``maximum``)."""
    unit = activity_type.formula.unit
    if not _is_number(quantity):
        return Message("quantity-not-number", gettext_noop("the quantity must be a number"))
    if quantity <= 0:
        return Message(
            "quantity-not-positive",
            gettext_noop("the quantity must be more than 0, not %(quantity)s"),
            {"quantity": quantity},
        )
    if whole and quantity != quantity.to_integral_value():
        return Message(
            "quantity-not-whole",
            gettext_noop("the quantity must be a whole number of %(unit)s, not %(quantity)s"),
            {"unit": Ref("unit", unit), "quantity": quantity},
        )
    return Message(
        "quantity-implausible",
        gettext_noop(
            "the quantity %(quantity)s is more than one activity can plausibly have: at most %(maximum)s %(unit)s"
        ),
        {"quantity": quantity, "maximum": maximum, "unit": Ref("unit", unit)},
    )


def _too_early(day: dt.date, earliest: dt.date) -> Message:
    return Message(
        "date-too-early",
        gettext_noop("the date %(date)s is too early: the earliest date accepted is %(earliest)s"),
        {"date": day, "earliest": earliest},
    )


def check_activity(
    defn: SchemeDefinition,
    activity: ActivityInput,
    index: int | None = None,
    *,
    today: dt.date | None = None,
    earliest: dt.date | None = None,
) -> list[Message]:
    """The rules one activity breaks; with ``index``, each message names the activity and its type.

    For example ``activity 3 (mentoring): 16 points is above the per-activity maximum of 15``. The date
    must not be before ``earliest`` (default: 1 January 1970) nor, when ``today`` is given, after it.
    """
    problems = list(score(defn, activity, earliest or EARLIEST_ACTIVITY_DATE)[1])
    day = activity.date
    if today is not None and isinstance(day, dt.date) and day > today:
        problems.append(_in_future(day, today))
    if index is None:
        return problems
    return [
        Message(
            "activity-problem",
            gettext_noop("activity %(index)s (%(type)s): %(problem)s"),
            {"index": index, "type": str(activity.type), "problem": problem},
        )
        for problem in problems
    ]


def check_activity_date(
    day: dt.date, *, today: dt.date | None = None, earliest: dt.date = EARLIEST_ACTIVITY_DATE
) -> list[Message]:
    """The rules an activity's date must pass when it is logged, whatever its type: not before
    ``earliest`` (the candidate's, from ``earliest_activity_date``) and, with ``today``, not after it (an
    activity is logged once it has taken place). The engine itself has no clock: the caller says what
    today is."""
    if day < earliest:
        return [_too_early(day, earliest)]
    if today is not None and day > today:
        return [_in_future(day, today)]
    return []


def _in_future(day: dt.date, today: dt.date) -> Message:
    return Message(
        "date-in-future",
        gettext_noop(
            "the date cannot be in the future (%(date)s is after %(today)s); log an activity once it has taken place"
        ),
        {"date": day, "today": today},
    )


def describe_formula(defn: SchemeDefinition, type_code: str) -> Message:
    """How a type earns points, for the activity form (``Points = Half-days × 3``...)."""
    formula = defn.activity_types[type_code].formula
    unit = Ref("unit", formula.unit)
    if isinstance(formula, PerHalfDay):
        return Message(
            "formula-per-half-day",
            gettext_noop("%(per_half_day)s points per half day, %(per_day)s points per day"),
            {"per_half_day": formula.per_half_day, "per_day": formula.per_day},
        )
    if isinstance(formula, PerYearPlusPerCandidate):
        return Message(
            "formula-per-year-plus-per-candidate",
            gettext_noop("Points = %(unit)s × %(per_year)s + %(attribute)s × %(per_candidate)s"),
            {
                "unit": unit,
                "per_year": formula.per_year,
                "per_candidate": formula.per_candidate,
                "attribute": Ref("attribute", formula.attribute, type_code),
            },
        )
    rates: dict[type[Any], str] = {PerUnit: "factor", PerItem: "points_per_item", PerYear: "per_year"}
    rate = rates[type(formula)]
    return Message(
        "formula-multiply",
        gettext_noop("Points = %(unit)s × %(rate)s"),
        {"unit": unit, "rate": getattr(formula, rate)},
    )
