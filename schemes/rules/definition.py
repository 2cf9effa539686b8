"""The scheme definition format: frozen dataclasses, validation on load, and the canonical JSON dump.

A definition is data an administrator can edit. ``load_definition`` turns the JSON document into
``SchemeDefinition`` (or raises ``DefinitionError`` listing every problem with its path), and
``dump_definition`` writes the canonical JSON back: every key present (a reminder's ``mandatory`` only when
true), decimals as strings, dates as ISO strings, so ``dump_definition(load_definition(raw)) == raw`` for
canonical documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from .fields import (
    INVALID,
    Bool,
    CountOrColumn,
    Day,
    Dec,
    Enum,
    Errors,
    Int,
    IntMap,
    ListOf,
    LocalText,
    MapOf,
    MonthDay,
    Nullable,
    Obj,
    OneOf,
    Str,
    Text,
    check_keys,
    code,
    dump_object,
    json_fields,
    key,
    spec,
)

FORMAT_VERSION = 1
DOSSIER_KINDS = ("initial", "recertification")
ATTRIBUTE_TYPES = ("integer", "decimal", "text", "boolean")
FIELD_TYPES = ("text", "date", "boolean", "integer")

# Which bound scopes and reminder anchors each cycle model has: a window is a single period (the cycle),
# anniversary years have no enclosing cycle, and a fixed cycle has both yearly periods and the cycle.
SCOPES_BY_MODEL = {"anniversary": ("period",), "window": ("cycle",), "fixed_cycle": ("period", "cycle")}
ANCHORS_BY_MODEL = {
    "anniversary": ("period_end",),
    "window": ("cycle_end", "recertification_date"),
    "fixed_cycle": ("period_end", "cycle_end"),
}
FRAME = dataclass(frozen=True, slots=True, kw_only=True)


class DefinitionError(ValueError):
    """A definition document is not valid; ``errors`` lists every ``(path, reason)``."""

    def __init__(self, errors: Iterable[tuple[str, str]]) -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = "\n".join(f"- {path}: {reason}" for path, reason in self.errors)
        return f"The scheme definition is not valid ({len(self.errors)} problems):\n{lines}"


def _order(minimum: Decimal | None, maximum: Decimal | None, where: str = "min") -> list[tuple[str, str]]:
    if minimum is not None and maximum is not None and minimum > maximum:
        return [(where, f"The minimum {minimum} is greater than the maximum {maximum}.")]
    return []


def _unique(codes: Iterable[str], path: str, what: str) -> list[tuple[str, str]]:
    return _unique_at(enumerate(codes), path, what)


def _unique_at(codes: Iterable[tuple[int | str, str]], path: str, what: str) -> list[tuple[str, str]]:
    """A problem for every ``(index, code)`` whose code an earlier item already has."""
    seen: set[str] = set()
    problems = []
    for index, item in codes:
        if item in seen:
            problems.append((f"{path}[{index}].code", f'The {what} code "{item}" is used twice.'))
        seen.add(item)
    return problems


@FRAME
class Option:
    """A coded, labelled item: a choice option, an evidence item, a question, a norm document..."""

    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)


@FRAME
class QuantityUnit:
    """What an activity's quantity is measured in (hours, SBU, half-days...); ``whole`` forbids fractions."""

    code: str = spec(key())
    label: LocalText = spec(Text())
    whole: bool = spec(Bool())


@FRAME
class PointRules:
    """The point unit and the checks every activity's points must pass (rejected, never clamped)."""

    unit: str = spec(key())
    label: LocalText = spec(Text())
    label_plural: LocalText = spec(Text())
    step: Decimal | None = spec(Nullable(Dec(positive=True)), default=None)
    activity_min: Decimal | None = spec(Nullable(Dec()), default=None)
    activity_max: Decimal | None = spec(Nullable(Dec()), default=None)

    def problems(self) -> list[tuple[str, str]]:
        return _order(self.activity_min, self.activity_max, "activity_min")


# --- point formulas: one dataclass per kind, each computing points from quantity and attributes ---------


@FRAME
class PerUnit:
    """quantity × factor: hours, SBU, meetings, books read, podcasts, subscription-years."""

    KIND: ClassVar[str] = "per_unit"
    unit: str = spec(key())
    factor: Decimal = spec(Dec())

    def points(self, quantity: Decimal, attributes: Mapping[str, Any]) -> Decimal:
        return quantity * self.factor


@FRAME
class PerItem:
    """A fixed number of points per item (article, book written, lecture); the quantity counts items."""

    KIND: ClassVar[str] = "per_item"
    unit: str = spec(key())
    points_per_item: Decimal = spec(Dec())

    def points(self, quantity: Decimal, attributes: Mapping[str, Any]) -> Decimal:
        return quantity * self.points_per_item


@FRAME
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


@FRAME
class PerYear:
    """Points per year of a role (board member, volunteering); the quantity counts years."""

    KIND: ClassVar[str] = "per_year"
    unit: str = spec(key())
    per_year: Decimal = spec(Dec())

    def points(self, quantity: Decimal, attributes: Mapping[str, Any]) -> Decimal:
        return quantity * self.per_year


@FRAME
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


@FRAME
class Attribute:
    """An extra value an activity of a type carries (``words``, ``candidates``), with optional bounds."""

    code: str = spec(key())
    label: LocalText = spec(Text())
    type: str = spec(Enum(*ATTRIBUTE_TYPES))
    required: bool = spec(Bool(), default=False)
    min: Decimal | None = spec(Nullable(Dec()), default=None)
    max: Decimal | None = spec(Nullable(Dec()), default=None)

    def problems(self) -> list[tuple[str, str]]:
        if self.type not in ("integer", "decimal") and (self.min is not None or self.max is not None):
            return [
                ("min", f"Only integer and decimal attributes can have bounds, not a {self.type} attribute.")
            ]
        return _order(self.min, self.max)


@FRAME
class Evidence:
    """The evidence that counts for a type; ``required`` is one of the items, all of them, or none."""

    required: str = spec(Enum("one", "all", "none"))
    items: tuple[Option, ...] = spec(ListOf(Obj(Option)))

    def problems(self) -> list[tuple[str, str]]:
        problems = _unique((item.code for item in self.items), "items", "evidence")
        if self.required != "none" and not self.items:
            problems.append(("items", "Evidence is required but no evidence item is listed."))
        return problems


@FRAME
class ActivityType:
    code: str = spec(key())
    category: str = spec(key())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    formula: Formula = spec(OneOf("formula", *FORMULA_KINDS))
    attributes: tuple[Attribute, ...] = spec(ListOf(Obj(Attribute)), default=())
    evidence: Evidence = spec(Obj(Evidence))
    # Points are awarded when the activity is completed (its date is the completion date); an activity
    # whose ``completed`` attribute is false is shown but not counted yet.
    awarded_on_completion: bool = spec(Bool(), default=False)

    def problems(self) -> list[tuple[str, str]]:
        return _unique((attribute.code for attribute in self.attributes), "attributes", "attribute")


@FRAME
class SubCap:
    """A cap on a group of activity types inside a category (Noloc: reading ≤ 10 inside category 1)."""

    code: str = spec(key())
    label: LocalText = spec(Text())
    max: Decimal = spec(Dec())
    activity_types: tuple[str, ...] = spec(ListOf(key()))


@FRAME
class Category:
    code: str = spec(key())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    per: str = spec(Enum("period", "cycle"))
    min: Decimal | None = spec(Nullable(Dec()), default=None)
    max: Decimal | None = spec(Nullable(Dec()), default=None)
    sub_caps: tuple[SubCap, ...] = spec(ListOf(Obj(SubCap)), default=())

    def problems(self) -> list[tuple[str, str]]:
        return _order(self.min, self.max)


@FRAME
class Totals:
    """Minimum counted points per yearly period and per cycle (``None``: no such requirement)."""

    period_min: Decimal | None = spec(Nullable(Dec()), default=None)
    cycle_min: Decimal | None = spec(Nullable(Dec()), default=None)


@FRAME
class CategoryBound:
    """A designation's own bound on a category; it replaces the category's bound for the same scope."""

    category: str = spec(key())
    per: str = spec(Enum("period", "cycle"))
    min: Decimal | None = spec(Nullable(Dec()), default=None)
    max: Decimal | None = spec(Nullable(Dec()), default=None)

    def problems(self) -> list[tuple[str, str]]:
        if self.min is None and self.max is None:
            return [("min", "A category bound needs a minimum, a maximum or both.")]
        return _order(self.min, self.max)


@FRAME
class Designation:
    """A designation held within the scheme (CCMG's CCSUP, CCOP...), with its own requirements."""

    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    totals: Totals = spec(Obj(Totals))
    category_bounds: tuple[CategoryBound, ...] = spec(ListOf(Obj(CategoryBound)), default=())


@FRAME
class Renewal:
    """N consecutive compliant periods extend the certificate's expiry by M years."""

    consecutive_periods: int = spec(Int(1))
    extends_by_years: int = spec(Int(1))


@FRAME
class Cycle:
    """How time is cut into periods. See docs/rules-engine.md for the exact boundaries of each model."""

    model: str = spec(Enum(*SCOPES_BY_MODEL))
    years: int | None = spec(Nullable(Int(1)), default=None)
    period_label: LocalText | None = spec(Nullable(Text()), default=None)
    cycle_label: LocalText | None = spec(Nullable(Text()), default=None)
    renewal: Renewal | None = spec(Nullable(Obj(Renewal)), default=None)

    def problems(self) -> list[tuple[str, str]]:
        scopes = SCOPES_BY_MODEL[self.model]
        problems = []
        if (self.years is None) == (self.model != "anniversary"):
            needed = "needs" if self.years is None else "does not use"
            problems.append(("years", f"The {self.model} model {needed} a number of years."))
        for scope, text in (("period", self.period_label), ("cycle", self.cycle_label)):
            if (text is None) == (scope in scopes):
                needed = "needs a" if text is None else "has no"
                problems.append((f"{scope}_label", f"The {self.model} model {needed} {scope} label."))
        if self.renewal is not None and self.model != "anniversary":
            problems.append(
                ("renewal", "Only the anniversary model extends a certificate by consecutive periods.")
            )
        return problems


@FRAME
class Exemption:
    """Reference dates from ``start`` to ``end`` (both inclusive) for which a section is exempt."""

    start: date = spec(Day())
    end: date = spec(Day())

    def problems(self) -> list[tuple[str, str]]:
        if self.start > self.end:
            return [("start", f"The exemption starts ({self.start}) after it ends ({self.end}).")]
        return []


@FRAME
class YearRow:
    """Values in force from ``from_year`` (a calendar year of the reference date) until the next row."""

    from_year: int = spec(Int(1900))
    values: Mapping[str, int] = spec(IntMap())


@FRAME
class YearTable:
    """Numbers that depend on the calendar year of the recertification date (Noloc A3.1)."""

    columns: tuple[Option, ...] = spec(ListOf(Obj(Option)))
    rows: tuple[YearRow, ...] = spec(ListOf(Obj(YearRow)))
    # What a year before the first row gets: the first row's values, or no requirement at all.
    before_first_row: str = spec(Enum("first_row", "not_required"))

    def problems(self) -> list[tuple[str, str]]:
        problems = _unique((column.code for column in self.columns), "columns", "column")
        if not self.rows:
            problems.append(("rows", "A year table needs at least one row."))
        names = {column.code for column in self.columns}
        for index, row in enumerate(self.rows):
            if index and row.from_year <= self.rows[index - 1].from_year:
                problems.append((f"rows[{index}].from_year", "Rows must be in increasing year order."))
            if set(row.values) != names:
                expected = ", ".join(sorted(names))
                problems.append((f"rows[{index}].values", f"Each row needs exactly the columns: {expected}."))
        return problems

    def values_for(self, year: int) -> Mapping[str, int] | None:
        """The row in force for ``year``; before the first row, as ``before_first_row`` says."""
        current = self.rows[0].values if self.before_first_row == "first_row" else None
        for row in self.rows:
            if row.from_year <= year:
                current = row.values
        return current


@FRAME
class DocumentRequirement:
    """Upload one (or with ``multiple``, several) documents: a CV, eligibility evidence."""

    KIND: ClassVar[str] = "document"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    multiple: bool = spec(Bool(), default=False)


@FRAME
class StatementField:
    """A field the signer of a statement fills in; a boolean field can require a number of yes answers."""

    code: str = spec(key())
    label: LocalText = spec(Text())
    type: str = spec(Enum(*FIELD_TYPES))
    count_true: int | str | None = spec(Nullable(CountOrColumn()), default=None)

    def problems(self) -> list[tuple[str, str]]:
        if self.count_true is not None and self.type != "boolean":
            return [("count_true", "Only a boolean field can require a number of yes answers.")]
        return []


@FRAME
class StatementRequirement:
    """Signed statements (verklaringen) with named fields; ``count`` is a number or a year-table column."""

    KIND: ClassVar[str] = "statement"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    signer: LocalText = spec(Text())
    fields: tuple[StatementField, ...] = spec(ListOf(Obj(StatementField)))
    count: int | str = spec(CountOrColumn(), default=1)

    def problems(self) -> list[tuple[str, str]]:
        return _unique((item.code for item in self.fields), "fields", "field")


@FRAME
class QuestionsRequirement:
    """Guided text questions; answers must refer to at least ``profile_references_min`` profile parts."""

    KIND: ClassVar[str] = "questions"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    questions: tuple[Option, ...] = spec(ListOf(Obj(Option)))
    profile_references_min: int = spec(Int(0), default=0)

    def problems(self) -> list[tuple[str, str]]:
        return _unique((item.code for item in self.questions), "questions", "question")


@FRAME
class DeclarationRequirement:
    """Checkboxes the candidate ticks (each timestamped by the dossier)."""

    KIND: ClassVar[str] = "declaration"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    checkboxes: tuple[Option, ...] = spec(ListOf(Obj(Option)))

    def problems(self) -> list[tuple[str, str]]:
        return _unique((item.code for item in self.checkboxes), "checkboxes", "checkbox")


@FRAME
class ChoiceRequirement:
    """Pick one option, or with ``multiple`` at least ``min_selected`` options."""

    KIND: ClassVar[str] = "choice"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    multiple: bool = spec(Bool())
    min_selected: int = spec(Int(0), default=1)
    options: tuple[Option, ...] = spec(ListOf(Obj(Option)))

    def problems(self) -> list[tuple[str, str]]:
        problems = _unique((item.code for item in self.options), "options", "option")
        if self.min_selected > (len(self.options) if self.multiple else 1):
            problems.append(("min_selected", f"{self.min_selected} options cannot be selected here."))
        return problems


@FRAME
class PointsSummaryRequirement:
    """The engine's points report (Noloc part B), attached to the dossier as it stands."""

    KIND: ClassVar[str] = "points_summary"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)


Requirement = (
    DocumentRequirement
    | StatementRequirement
    | QuestionsRequirement
    | DeclarationRequirement
    | ChoiceRequirement
    | PointsSummaryRequirement
)
REQUIREMENT_KINDS: tuple[type, ...] = (
    DocumentRequirement,
    StatementRequirement,
    QuestionsRequirement,
    DeclarationRequirement,
    ChoiceRequirement,
    PointsSummaryRequirement,
)


@FRAME
class Section:
    """A part of the dossier; whether it is required depends on the dossier kind and the reference date."""

    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    applies_to: tuple[str, ...] = spec(ListOf(Enum(*DOSSIER_KINDS)))
    only_if_level_changed: bool = spec(Bool(), default=False)
    required_from: date | None = spec(Nullable(Day()), default=None)
    exemptions: tuple[Exemption, ...] = spec(ListOf(Obj(Exemption)), default=())
    year_table: YearTable | None = spec(Nullable(Obj(YearTable)), default=None)
    requirements: tuple[Requirement, ...] = spec(ListOf(OneOf("requirement", *REQUIREMENT_KINDS)))

    def problems(self) -> list[tuple[str, str]]:
        problems = _unique((item.code for item in self.requirements), "requirements", "requirement")
        if not self.applies_to or len(set(self.applies_to)) != len(self.applies_to):
            problems.append(
                (
                    "applies_to",
                    "List each dossier kind (initial, recertification) at most once, and at least one.",
                )
            )
        columns = {column.code for column in self.year_table.columns} if self.year_table else set()
        for index, requirement in enumerate(self.requirements):
            counts: list[tuple[str, int | str | None]] = []
            if isinstance(requirement, StatementRequirement):
                counts.append((f"requirements[{index}].count", requirement.count))
                counts.extend(
                    (f"requirements[{index}].fields[{number}].count_true", item.count_true)
                    for number, item in enumerate(requirement.fields)
                )
            problems.extend(
                (where, f'"{value}" is not a column of this section\'s year table.')
                for where, value in counts
                if isinstance(value, str) and value not in columns
            )
        return problems


@FRAME
class CertifyingBody:
    name: str = spec(Str())
    accreditation: str | None = spec(Nullable(Str()), default=None)


@FRAME
class Review:
    """How a submitted dossier is reviewed: N independent assessors, oral interview, advice → decision."""

    assessors: int = spec(Int(1))
    assessors_advise: bool = spec(Bool())
    oral_interview_for: tuple[str, ...] = spec(ListOf(Enum(*DOSSIER_KINDS)), default=())
    mentor: bool = spec(Bool(), default=False)
    certifying_body: CertifyingBody | None = spec(Nullable(Obj(CertifyingBody)), default=None)


@FRAME
class Offset:
    amount: int = spec(Int(0))
    unit: str = spec(Enum("days", "months"))
    direction: str = spec(Enum("before", "after"))


@FRAME
class Reminder:
    """Remind at each offset from the anchor date while the condition holds.

    ``mandatory`` reminders (a certificate that expired) are sent even to people who unsubscribed from
    that kind of reminder, and carry no unsubscribe link.
    """

    code: str = spec(key())
    label: LocalText = spec(Text())
    anchor: str = spec(Enum("period_end", "cycle_end", "recertification_date"))
    condition: str = spec(Enum("not_compliant", "dossier_not_submitted", "always"))
    offsets: tuple[Offset, ...] = spec(ListOf(Obj(Offset)))
    mandatory: bool = spec(Bool(), default=False)

    def problems(self) -> list[tuple[str, str]]:
        return [] if self.offsets else [("offsets", "A reminder needs at least one offset.")]


class ReminderObj(Obj):
    """A reminder's JSON: ``mandatory`` is written only when true.

    The key came after the first versions were saved: leaving the default out keeps those documents
    canonical and keeps a diff against them free of a spurious "added" line per reminder.
    """

    def dump(self, value: Any) -> Any:
        return dump_object(value, omit=() if value.mandatory else ("mandatory",))


@FRAME
class Validity:
    """How long a certificate is valid and how early recertification must be applied for."""

    years: int = spec(Int(1))
    apply_before_months: int | None = spec(Nullable(Int(0)), default=None)
    apply_preferably_before_months: int | None = spec(Nullable(Int(0)), default=None)

    def problems(self) -> list[tuple[str, str]]:
        if (
            self.apply_before_months is not None
            and self.apply_preferably_before_months is not None
            and self.apply_preferably_before_months < self.apply_before_months
        ):
            return [
                (
                    "apply_preferably_before_months",
                    "The preferred lead time is shorter than the required one.",
                )
            ]
        return []


@FRAME
class Fee:
    """A price; ``amount`` includes VAT only when ``vat_included``; ``reference_date`` is a yearly MM-DD."""

    code: str = spec(key())
    label: LocalText = spec(Text())
    amount: Decimal = spec(Dec())
    currency: str = spec(Str(re.compile(r"[A-Z]{3}\Z"), "currency code such as EUR"))
    vat_rate: Decimal = spec(Dec())
    vat_included: bool = spec(Bool())
    per: str = spec(Enum("once", "year"))
    reference_date: str | None = spec(Nullable(MonthDay()), default=None)


@FRAME
class ProductSeries:
    """PeopleCert: points are submitted once per product series, renewing every certificate in it."""

    per_series: bool = spec(Bool())
    series: tuple[Option, ...] = spec(ListOf(Obj(Option)), default=())


@FRAME
class Note:
    """An administrator-facing note on a part of the definition: a source conflict or a chosen default."""

    path: str = spec(Str())
    kind: str = spec(Enum("conflict", "default"))
    text: LocalText = spec(Text())


@FRAME
class DefinitionIndex:
    """Lookups derived from a valid definition, built once so evaluation never searches lists."""

    categories: Mapping[str, Category]
    sub_cap_of_type: Mapping[str, SubCap]
    units: Mapping[str, QuantityUnit]
    designations: Mapping[str, Designation]
    sub_caps: Mapping[str, SubCap]


@FRAME
class SchemeDefinition:
    format: int = spec(Int(1))
    code: str = spec(key())
    version: int = spec(Int(1))
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    points: PointRules = spec(Obj(PointRules))
    cycle: Cycle = spec(Obj(Cycle))
    totals: Totals = spec(Obj(Totals), factory=Totals)
    quantity_units: tuple[QuantityUnit, ...] = spec(ListOf(Obj(QuantityUnit)), default=())
    categories: tuple[Category, ...] = spec(ListOf(Obj(Category)), default=())
    activity_types: Mapping[str, ActivityType] = spec(MapOf(ActivityType), factory=dict)
    designations: tuple[Designation, ...] = spec(ListOf(Obj(Designation)), default=())
    prerequisites: tuple[Option, ...] = spec(ListOf(Obj(Option)), default=())
    product_series: ProductSeries | None = spec(Nullable(Obj(ProductSeries)), default=None)
    sections: tuple[Section, ...] = spec(ListOf(Obj(Section)), default=())
    review: Review = spec(Obj(Review))
    reminders: tuple[Reminder, ...] = spec(ListOf(ReminderObj(Reminder)), default=())
    validity: Validity | None = spec(Nullable(Obj(Validity)), default=None)
    fees: tuple[Fee, ...] = spec(ListOf(Obj(Fee)), default=())
    norm_documents: tuple[Option, ...] = spec(ListOf(Obj(Option)), default=())
    notes: tuple[Note, ...] = spec(ListOf(Obj(Note)), default=())
    index: DefinitionIndex = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        sub_caps = {cap.code: cap for category in self.categories for cap in category.sub_caps}
        index = DefinitionIndex(
            categories={category.code: category for category in self.categories},
            sub_cap_of_type={name: cap for cap in sub_caps.values() for name in cap.activity_types},
            units={unit.code: unit for unit in self.quantity_units},
            designations={designation.code: designation for designation in self.designations},
            sub_caps=sub_caps,
        )
        object.__setattr__(self, "index", index)


def load_definition(data: Any) -> SchemeDefinition:
    """Validate a definition document and build it; raise ``DefinitionError`` with every problem found."""
    errors: Errors = []
    if not isinstance(data, dict):
        raise DefinitionError([("definition", "A scheme definition must be a JSON object.")])
    specs = json_fields(SchemeDefinition)
    check_keys(data, {name for name, _, _ in specs}, "", errors)
    parts: dict[str, Any] = {}
    for name, kind, required in specs:
        if name not in data:
            if required:
                errors.append((name, "A value is required."))
                parts[name] = INVALID
            continue
        # Lists and maps load partially so the cross-checks below still see the good entries.
        load = getattr(kind, "load_partial", kind.load)
        parts[name] = load(data[name], name, errors)
    _cross_check(parts, data, errors)
    if errors:
        raise DefinitionError(errors)
    return SchemeDefinition(**parts)


def dump_definition(defn: SchemeDefinition) -> dict[str, Any]:
    """The canonical JSON document of a definition (every key, decimals as strings, ISO dates)."""
    return dump_object(defn)


def _valid(items: Any) -> list[tuple[int | str, Any]]:
    """``(index or key, item)`` for the entries of a partially loaded list or map that did load."""
    if items is INVALID or items is None:
        return []
    pairs = items.items() if isinstance(items, Mapping) else enumerate(items)
    return [(where, item) for where, item in pairs if item is not INVALID]


def _cross_check(parts: dict[str, Any], raw: dict[str, Any], errors: Errors) -> None:
    """Checks that span several parts of the document: references, duplicates, fit with the cycle model."""
    if parts.get("format") not in (INVALID, None, FORMAT_VERSION):
        errors.append(("format", f"Only format {FORMAT_VERSION} is supported."))
    cycle = parts.get("cycle")
    model = cycle.model if cycle not in (None, INVALID) else None
    scopes = SCOPES_BY_MODEL.get(model or "", ("period", "cycle"))

    def check_scope(where: str, per: str) -> None:
        if model and per not in scopes:
            errors.append((where, f'The {model} model has no "{per}" scope; use {" or ".join(scopes)}.'))

    def check_totals(where: str, totals: Totals) -> None:
        for scope, value in (("period", totals.period_min), ("cycle", totals.cycle_min)):
            if value is not None and model and scope not in scopes:
                errors.append((f"{where}.{scope}_min", f"The {model} model has no {scope} total."))

    for name, noun in (
        ("quantity_units", "quantity unit"),
        ("categories", "category"),
        ("designations", "designation"),
        ("prerequisites", "prerequisite"),
        ("sections", "section"),
        ("reminders", "reminder"),
        ("fees", "fee"),
        ("norm_documents", "norm document"),
    ):
        errors.extend(_unique_at(((index, item.code) for index, item in _valid(parts.get(name))), name, noun))
    series = parts.get("product_series")
    if series not in (None, INVALID):
        errors.extend(_unique((item.code for item in series.series), "product_series.series", "series"))

    units = {unit.code: unit for _, unit in _valid(parts.get("quantity_units"))}
    categories = {category.code: category for _, category in _valid(parts.get("categories"))}
    types = dict(_valid(parts.get("activity_types")))
    # A reference to something that is declared but failed to load is not reported again as unknown.
    declared_units = _declared(raw.get("quantity_units"))
    declared_categories = _declared(raw.get("categories"))
    declared_types = set(raw["activity_types"]) if isinstance(raw.get("activity_types"), dict) else set()
    totals = parts.get("totals")
    if isinstance(totals, Totals):
        check_totals("totals", totals)

    seen_caps: dict[str, str] = {}
    capped_types: dict[str, str] = {}
    for index, category in _valid(parts.get("categories")):
        path = f"categories[{index}]"
        check_scope(f"{path}.per", category.per)
        for number, cap in enumerate(category.sub_caps):
            cap_path = f"{path}.sub_caps[{number}]"
            if cap.code in seen_caps or cap.code in categories:
                errors.append(
                    (f"{cap_path}.code", f'The code "{cap.code}" is already used by a category or sub-cap.')
                )
            seen_caps[cap.code] = category.code
            for position, name in enumerate(cap.activity_types):
                where = f"{cap_path}.activity_types[{position}]"
                if name not in types and name not in declared_types:
                    errors.append((where, f'Unknown activity type "{name}".'))
                elif name in types and types[name].category != category.code:
                    errors.append(
                        (
                            where,
                            f'"{name}" belongs to the category "{types[name].category}", '
                            f'not "{category.code}".',
                        )
                    )
                elif name in capped_types:
                    errors.append((where, f'"{name}" is already in the sub-cap "{capped_types[name]}".'))
                capped_types.setdefault(name, cap.code)

    for name, activity_type in types.items():
        path = f"activity_types.{name}"
        if activity_type.category not in declared_categories:
            errors.append((f"{path}.category", f'Unknown category "{activity_type.category}".'))
        formula = activity_type.formula
        unit = units.get(formula.unit)
        if formula.unit not in declared_units:
            errors.append((f"{path}.formula.unit", f'Unknown quantity unit "{formula.unit}".'))
        elif unit is not None and formula.KIND in WHOLE_QUANTITY_KINDS and not unit.whole:
            errors.append(
                (
                    f"{path}.formula.unit",
                    f"A {formula.KIND} formula counts whole things, but the unit "
                    f'"{unit.code}" allows fractions.',
                )
            )
        if isinstance(formula, PerYearPlusPerCandidate):
            attribute = next(
                (item for item in activity_type.attributes if item.code == formula.attribute), None
            )
            if attribute is None or attribute.type != "integer":
                errors.append(
                    (
                        f"{path}.formula.attribute",
                        f'The type needs an integer attribute "{formula.attribute}" to count candidates.',
                    )
                )

    for index, designation in _valid(parts.get("designations")):
        path = f"designations[{index}]"
        check_totals(f"{path}.totals", designation.totals)
        scopes_seen: set[tuple[str, str]] = set()
        for number, bound in enumerate(designation.category_bounds):
            where = f"{path}.category_bounds[{number}]"
            if bound.category not in declared_categories:
                errors.append((f"{where}.category", f'Unknown category "{bound.category}".'))
            check_scope(f"{where}.per", bound.per)
            if (bound.category, bound.per) in scopes_seen:
                errors.append(
                    (where, f'"{bound.category}" already has a {bound.per} bound in this designation.')
                )
            scopes_seen.add((bound.category, bound.per))

    for index, reminder in _valid(parts.get("reminders")):
        if model and reminder.anchor not in ANCHORS_BY_MODEL[model]:
            anchors = " or ".join(ANCHORS_BY_MODEL[model])
            errors.append(
                (
                    f"reminders[{index}].anchor",
                    f'The {model} model has no "{reminder.anchor}" date; use {anchors}.',
                )
            )

    for index, note in _valid(parts.get("notes")):
        if not _resolves(raw, note.path):
            errors.append(
                (f"notes[{index}].path", f'"{note.path}" does not point at anything in this definition.')
            )


def _declared(items: Any) -> set[str]:
    """The codes a raw list declares, whether or not their items are valid."""
    if not isinstance(items, list):
        return set()
    return {item["code"] for item in items if isinstance(item, dict) and isinstance(item.get("code"), str)}


_PATH_TOKEN = re.compile(r"([A-Za-z0-9_-]+)|\[([0-9]+)\]|(\.)")


def _resolves(document: Any, path: str) -> bool:
    """Whether a note's path (``sections[1].exemptions[0]``) names an existing part of the document."""
    position = 0
    node = document
    while position < len(path):
        match = _PATH_TOKEN.match(path, position)
        if match is None:
            return False
        name, index, _dot = match.groups()
        if name is not None:
            if not isinstance(node, dict) or name not in node:
                return False
            node = node[name]
        elif index is not None:
            if not isinstance(node, list) or int(index) >= len(node):
                return False
            node = node[int(index)]
        position = match.end()
    return bool(path)
