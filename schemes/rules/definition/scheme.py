"""The whole definition: ``SchemeDefinition``, its derived index, loading with validation, and the
canonical JSON dump.

``load_definition`` turns the JSON document into ``SchemeDefinition`` (or raises ``DefinitionError``
listing every problem with its path), and ``dump_definition`` writes the canonical JSON back: every key
present (a reminder's ``mandatory`` only when true), decimals as strings, dates as ISO strings, so
``dump_definition(load_definition(raw)) == raw`` for canonical documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field
from decimal import Decimal
from typing import Any

from ..fields import (
    INVALID,
    Errors,
    Int,
    ListOf,
    LocalText,
    MapOf,
    Nullable,
    Obj,
    Text,
    check_keys,
    dump_object,
    frame,
    json_fields,
    key,
    spec,
)
from ..messages import Message, gettext_noop, problem, render_message
from .administration import CertificatePolicy, Fee, Note, ProductSeries, Reminder, Review, Validity
from .common import Option
from .cycle import Cycle
from .points import ActivityType, Category, Designation, PointRules, QuantityUnit, SubCap, Totals
from .sections import Section
from .validation import cross_check


class DefinitionError(ValueError):
    """A definition document is not valid; ``problems`` lists every ``(path, Message)``.

    ``errors`` is the same list with each message rendered in English, ``(path, reason)``; a user interface
    renders ``problems`` in the reader's language with ``render_message``.
    """

    def __init__(self, problems: Iterable[tuple[str, Message]]) -> None:
        self.problems = list(problems)
        self.errors = [(path, render_message(message, None)) for path, message in self.problems]
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = "\n".join(f"- {path}: {reason}" for path, reason in self.errors)
        return f"The scheme definition is not valid ({len(self.errors)} problems):\n{lines}"


@frame
class DefinitionIndex:
    """Lookups derived from a valid definition, built once so evaluation never searches lists."""

    categories: Mapping[str, Category]
    sub_cap_of_type: Mapping[str, SubCap]
    units: Mapping[str, QuantityUnit]
    designations: Mapping[str, Designation]
    sub_caps: Mapping[str, SubCap]
    # Per activity type: whether its quantity must be whole, and its plausible maximum per activity.
    quantity_limits: Mapping[str, tuple[bool, Decimal]]


@frame
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
    reminders: tuple[Reminder, ...] = spec(ListOf(Obj(Reminder)), default=())
    validity: Validity | None = spec(Nullable(Obj(Validity)), default=None)
    fees: tuple[Fee, ...] = spec(ListOf(Obj(Fee)), default=())
    certificate: CertificatePolicy | None = spec(Nullable(Obj(CertificatePolicy)), default=None,
                                                 written_when_set=True)
    norm_documents: tuple[Option, ...] = spec(ListOf(Obj(Option)), default=())
    notes: tuple[Note, ...] = spec(ListOf(Obj(Note)), default=())
    index: DefinitionIndex = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        sub_caps = {cap.code: cap for category in self.categories for cap in category.sub_caps}
        units = {unit.code: unit for unit in self.quantity_units}
        index = DefinitionIndex(
            categories={category.code: category for category in self.categories},
            sub_cap_of_type={name: cap for cap in sub_caps.values() for name in cap.activity_types},
            units=units,
            designations={designation.code: designation for designation in self.designations},
            sub_caps=sub_caps,
            quantity_limits={
                code: (units[kind.formula.unit].whole if kind.formula.unit in units else False, kind.plausible_quantity)
                for code, kind in self.activity_types.items()
            },
        )
        object.__setattr__(self, "index", index)


def load_definition(data: Any) -> SchemeDefinition:
    """Validate a definition document and build it; raise ``DefinitionError`` with every problem found."""
    errors: Errors = []
    if not isinstance(data, dict):
        raise DefinitionError([("definition", problem(gettext_noop("A scheme definition must be a JSON object.")))])
    specs = json_fields(SchemeDefinition)
    check_keys(data, {name for name, _, _ in specs}, "", errors)
    parts: dict[str, Any] = {}
    for name, kind, required in specs:
        if name not in data:
            if required:
                errors.append((name, problem(gettext_noop("A value is required."))))
                parts[name] = INVALID
            continue
        # Lists and maps load partially so the cross-checks below still see the good entries.
        load = getattr(kind, "load_partial", kind.load)
        parts[name] = load(data[name], name, errors)
    cross_check(parts, data, errors)
    if errors:
        raise DefinitionError(errors)
    return SchemeDefinition(**parts)


def dump_definition(defn: SchemeDefinition) -> dict[str, Any]:
    """The canonical JSON document of a definition (every key, decimals as strings, ISO dates)."""
    return dump_object(defn)


