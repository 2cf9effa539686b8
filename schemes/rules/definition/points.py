"""Points: the point unit and per-activity rules, quantity units, formulas, activity types and their
attributes and evidence, categories with their caps, totals and designations."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from ..fields import Bool, Dec, Enum, ListOf, LocalText, Nullable, Obj, OneOf, Text, code, frame, key, spec
from ..messages import Message, gettext_noop, problem
from .common import Option, order_problems, unique_problems

ATTRIBUTE_TYPES = ("integer", "decimal", "text", "boolean")

# The most one activity can plausibly have of each quantity unit, when its type sets no ``quantity_max``
# (docs/rules-engine.md): a quantity above it is a typing or import mistake, not CPD to count.
QUANTITY_MAX_DEFAULTS = {
    "hours": Decimal(1000),
    "hours-studied": Decimal(1000),
    "teaching-hours": Decimal(1000),
    "sbu": Decimal(1000),
    "days": Decimal(365),
    "half-days": Decimal(365),
    "meetings": Decimal(365),
    "activities": Decimal(365),
    "podcasts": Decimal(365),
    "books": Decimal(100),
    "articles": Decimal(100),
    "years": Decimal(50),
    "subscription-years": Decimal(50),
}
QUANTITY_MAX_OTHER = Decimal(1000)  # a unit code not listed above


def default_quantity_max(unit: str) -> Decimal:
    """The plausible maximum per activity of a quantity unit, for types that set none."""
    return QUANTITY_MAX_DEFAULTS.get(unit, QUANTITY_MAX_OTHER)


@frame
class QuantityUnit:
    """What an activity's quantity is measured in (hours, SBU, half-days...); ``whole`` forbids fractions."""

    code: str = spec(key())
    label: LocalText = spec(Text())
    whole: bool = spec(Bool())


@frame
class PointRules:
    """The point unit and the checks every activity's points must pass (rejected, never clamped)."""

    unit: str = spec(key())
    label: LocalText = spec(Text())
    label_plural: LocalText = spec(Text())
    step: Decimal | None = spec(Nullable(Dec(positive=True)), default=None)
    activity_min: Decimal | None = spec(Nullable(Dec()), default=None)
    activity_max: Decimal | None = spec(Nullable(Dec()), default=None)

    def problems(self) -> list[tuple[str, Message]]:
        return order_problems(self.activity_min, self.activity_max, "activity_min")


# --- point formulas: one dataclass per kind, each computing points from quantity and attributes ---------


@frame
class PerUnit:
    """quantity × factor: hours, SBU, meetings, books read, podcasts, subscription-years."""

    KIND: ClassVar[str] = "per_unit"
    unit: str = spec(key())
    factor: Decimal = spec(Dec())

    def points(self, quantity: Decimal, attributes: Mapping[str, Any]) -> Decimal:
        return quantity * self.factor


@frame
class PerItem:
    """A fixed number of points per item (article, book written, lecture); the quantity counts items."""

    KIND: ClassVar[str] = "per_item"
    unit: str = spec(key())
    points_per_item: Decimal = spec(Dec())

    def points(self, quantity: Decimal, attributes: Mapping[str, Any]) -> Decimal:
        return quantity * self.points_per_item


@frame
class PerHalfDay:
    """Quantity in half-days: each full day (two half-days) earns ``per_day``, a half left over
    ``per_half_day``."""

    KIND: ClassVar[str] = "per_half_day"
    unit: str = spec(key())
    per_half_day: Decimal = spec(Dec())
    per_day: Decimal = spec(Dec())

    def points(self, quantity: Decimal, attributes: Mapping[str, Any]) -> Decimal:
        days, half = divmod(quantity, 2)
        return days * self.per_day + half * self.per_half_day


@frame
class PerYear:
    """Points per year of a role (board member, volunteering); the quantity counts years."""

    KIND: ClassVar[str] = "per_year"
    unit: str = spec(key())
    per_year: Decimal = spec(Dec())

    def points(self, quantity: Decimal, attributes: Mapping[str, Any]) -> Decimal:
        return quantity * self.per_year


@frame
class PerYearPlusPerCandidate:
    """years × per_year + candidates × per_candidate, the candidates read from an integer attribute."""

    KIND: ClassVar[str] = "per_year_plus_per_candidate"
    unit: str = spec(key())
    per_year: Decimal = spec(Dec())
    per_candidate: Decimal = spec(Dec())
    attribute: str = spec(key())

    def points(self, quantity: Decimal, attributes: Mapping[str, Any]) -> Decimal:
        return quantity * self.per_year + Decimal(attributes.get(self.attribute, 0)) * self.per_candidate


Formula = PerUnit | PerItem | PerHalfDay | PerYear | PerYearPlusPerCandidate
FORMULA_KINDS: tuple[type, ...] = (PerUnit, PerItem, PerHalfDay, PerYear, PerYearPlusPerCandidate)
# Kinds whose quantity counts whole things (items, half-days), so their unit must forbid fractions.
WHOLE_QUANTITY_KINDS = ("per_item", "per_half_day")


@frame
class Attribute:
    """An extra value an activity of a type carries (``words``, ``candidates``), with optional bounds."""

    code: str = spec(key())
    label: LocalText = spec(Text())
    type: str = spec(Enum(*ATTRIBUTE_TYPES))
    required: bool = spec(Bool(), default=False)
    min: Decimal | None = spec(Nullable(Dec()), default=None)
    max: Decimal | None = spec(Nullable(Dec()), default=None)

    def problems(self) -> list[tuple[str, Message]]:
        if self.type not in ("integer", "decimal") and (self.min is not None or self.max is not None):
            return [
                ("min", problem(
                    gettext_noop("Only integer and decimal attributes can have bounds, not a %(type)s attribute."),
                    type=self.type
                ))
            ]
        return order_problems(self.min, self.max)


@frame
class Evidence:
    """The evidence that counts for a type; ``required`` is one of the items, all of them, or none."""

    required: str = spec(Enum("one", "all", "none"))
    items: tuple[Option, ...] = spec(ListOf(Obj(Option)))

    def problems(self) -> list[tuple[str, Message]]:
        problems = unique_problems((item.code for item in self.items), "items", gettext_noop("evidence"))
        if self.required != "none" and not self.items:
            problems.append(("items", problem(gettext_noop("Evidence is required but no evidence item is listed."))))
        return problems


@frame
class ActivityType:
    code: str = spec(key())
    category: str = spec(key())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    formula: Formula = spec(OneOf(gettext_noop("formula"), *FORMULA_KINDS))
    # The most one activity of the type can plausibly have (None: the default of its quantity unit).
    quantity_max: Decimal | None = spec(Nullable(Dec(positive=True)), default=None, written_when_set=True)
    attributes: tuple[Attribute, ...] = spec(ListOf(Obj(Attribute)), default=())
    evidence: Evidence = spec(Obj(Evidence))
    # Points are awarded when the activity is completed (its date is the completion date); an activity
    # whose ``completed`` attribute is false is shown but not counted yet.
    awarded_on_completion: bool = spec(Bool(), default=False)

    def problems(self) -> list[tuple[str, Message]]:
        noun = gettext_noop("attribute")
        return unique_problems((attribute.code for attribute in self.attributes), "attributes", noun)

    @property
    def plausible_quantity(self) -> Decimal:
        """The most one activity of the type can have: its own ``quantity_max``, or its unit's default."""
        return self.quantity_max if self.quantity_max is not None else default_quantity_max(self.formula.unit)


@frame
class SubCap:
    """A cap on a group of activity types inside a category (Noloc: reading ≤ 10 inside category 1)."""

    code: str = spec(key())
    label: LocalText = spec(Text())
    max: Decimal = spec(Dec())
    activity_types: tuple[str, ...] = spec(ListOf(key()))


@frame
class Category:
    code: str = spec(key())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    per: str = spec(Enum("period", "cycle"))
    min: Decimal | None = spec(Nullable(Dec()), default=None)
    max: Decimal | None = spec(Nullable(Dec()), default=None)
    sub_caps: tuple[SubCap, ...] = spec(ListOf(Obj(SubCap)), default=())

    def problems(self) -> list[tuple[str, Message]]:
        return order_problems(self.min, self.max)


@frame
class Totals:
    """Minimum counted points per yearly period and per cycle (``None``: no such requirement)."""

    period_min: Decimal | None = spec(Nullable(Dec()), default=None)
    cycle_min: Decimal | None = spec(Nullable(Dec()), default=None)


@frame
class CategoryBound:
    """A designation's own bound on a category; it replaces the category's bound for the same scope."""

    category: str = spec(key())
    per: str = spec(Enum("period", "cycle"))
    min: Decimal | None = spec(Nullable(Dec()), default=None)
    max: Decimal | None = spec(Nullable(Dec()), default=None)

    def problems(self) -> list[tuple[str, Message]]:
        if self.min is None and self.max is None:
            return [("min", problem(gettext_noop("A category bound needs a minimum, a maximum or both.")))]
        return order_problems(self.min, self.max)


@frame
class Designation:
    """A designation held within the scheme (CCMG's CCSUP, CCOP...), with its own requirements."""

    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    totals: Totals = spec(Obj(Totals))
    category_bounds: tuple[CategoryBound, ...] = spec(ListOf(Obj(CategoryBound)), default=())


