"""Checks that span several parts of a definition document: references between parts, duplicate codes,
and the fit of bounds, totals and reminders with the cycle model.

``cross_check`` runs on the *partially* loaded parts (lists and maps keep their good entries), so an
administrator sees every mistake at once, and a reference to something that is declared but failed to
load is not reported a second time as unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..fields import INVALID, Errors
from ..messages import Message, gettext_noop, problem
from .common import unique_at, unique_problems
from .cycle import ANCHORS_BY_MODEL, SCOPES_BY_MODEL
from .points import WHOLE_QUANTITY_KINDS, ActivityType, Category, PerYearPlusPerCandidate, QuantityUnit, Totals

FORMAT_VERSION = 1
# Lists whose items must have distinct codes, with the noun an error names them by.
CODED_LISTS = (
    ("quantity_units", gettext_noop("quantity unit")),
    ("categories", gettext_noop("category")),
    ("designations", gettext_noop("designation")),
    ("prerequisites", gettext_noop("prerequisite")),
    ("sections", gettext_noop("section")),
    ("reminders", gettext_noop("reminder")),
    ("fees", gettext_noop("fee")),
    ("norm_documents", gettext_noop("norm document")),
)


def valid(items: Any) -> list[tuple[int | str, Any]]:
    """``(index or key, item)`` for the entries of a partially loaded list or map that did load."""
    if items is INVALID or items is None:
        return []
    pairs = items.items() if isinstance(items, Mapping) else enumerate(items)
    return [(where, item) for where, item in pairs if item is not INVALID]


@dataclass(frozen=True, slots=True)
class _Parts:
    """What the cross-checks read: the loaded parts, what the raw document declares, and the cycle model."""

    parts: dict[str, Any]
    raw: dict[str, Any]
    model: str | None
    units: dict[str, QuantityUnit]
    categories: dict[str, Category]
    types: dict[str, ActivityType]
    declared_units: set[str]
    declared_categories: set[str]
    declared_types: set[str]

    @property
    def scopes(self) -> tuple[str, ...]:
        return SCOPES_BY_MODEL.get(self.model or "", ("period", "cycle"))

    def scope_problems(self, where: str, per: str) -> Errors:
        if self.model and per not in self.scopes:
            return [(where, problem(
                gettext_noop('The %(model)s model has no "%(per)s" scope; use %(choices)s.'),
                model=self.model, per=per, choices=" or ".join(self.scopes)
            ))]
        return []

    def totals_problems(self, where: str, totals: Totals) -> Errors:
        return [
            (f"{where}.{scope}_min", problem(
                gettext_noop("The %(model)s model has no %(scope)s total."), model=self.model, scope=scope
            ))
            for scope, value in (("period", totals.period_min), ("cycle", totals.cycle_min))
            if value is not None and self.model and scope not in self.scopes
        ]


def cross_check(parts: dict[str, Any], raw: dict[str, Any], errors: Errors) -> None:
    """Append every problem that spans parts of the document to ``errors``."""
    if parts.get("format") not in (INVALID, None, FORMAT_VERSION):
        errors.append(("format", problem(
            gettext_noop("Only format %(version)s is supported."), version=FORMAT_VERSION
        )))
    cycle = parts.get("cycle")
    activity_types = raw.get("activity_types")
    found = _Parts(
        parts=parts,
        raw=raw,
        model=cycle.model if cycle not in (None, INVALID) else None,
        units={unit.code: unit for _, unit in valid(parts.get("quantity_units"))},
        categories={category.code: category for _, category in valid(parts.get("categories"))},
        types={str(name): item for name, item in valid(parts.get("activity_types"))},
        declared_units=_declared(raw.get("quantity_units")),
        declared_categories=_declared(raw.get("categories")),
        declared_types=set(activity_types) if isinstance(activity_types, dict) else set(),
    )
    errors.extend(_duplicate_codes(parts))
    totals = parts.get("totals")
    if isinstance(totals, Totals):
        errors.extend(found.totals_problems("totals", totals))
    errors.extend(_category_problems(found))
    errors.extend(_activity_type_problems(found))
    errors.extend(_designation_problems(found))
    errors.extend(_reminder_problems(found))
    errors.extend(_note_problems(found))
    errors.extend(_certificate_problems(found))


def _duplicate_codes(parts: dict[str, Any]) -> Errors:
    problems = []
    for name, noun in CODED_LISTS:
        problems.extend(unique_at(((index, item.code) for index, item in valid(parts.get(name))), name, noun))
    series = parts.get("product_series")
    if series not in (None, INVALID):
        noun = gettext_noop("series")
        problems.extend(unique_problems((item.code for item in series.series), "product_series.series", noun))
    return problems


def _category_problems(found: _Parts) -> Errors:
    """Scopes of the categories, and their sub-caps: codes distinct from every category and sub-cap, and
    members that exist, belong to the category and to one sub-cap only."""
    problems = []
    seen_caps: dict[str, str] = {}
    capped_types: dict[str, str] = {}
    for index, category in valid(found.parts.get("categories")):
        path = f"categories[{index}]"
        problems.extend(found.scope_problems(f"{path}.per", category.per))
        for number, cap in enumerate(category.sub_caps):
            cap_path = f"{path}.sub_caps[{number}]"
            if cap.code in seen_caps or cap.code in found.categories:
                problems.append(
                    (f"{cap_path}.code", problem(
                        gettext_noop('The code "%(code)s" is already used by a category or sub-cap.'), code=cap.code
                    ))
                )
            seen_caps[cap.code] = category.code
            for position, name in enumerate(cap.activity_types):
                where = f"{cap_path}.activity_types[{position}]"
                member = _member_problem(found, name, category.code, capped_types)
                if member:
                    problems.append((where, member))
                capped_types.setdefault(name, cap.code)
    return problems


def _member_problem(found: _Parts, name: str, category: str, capped_types: dict[str, str]) -> Message | None:
    """What is wrong with listing the activity type ``name`` in a sub-cap of ``category``, if anything."""
    if name not in found.types and name not in found.declared_types:
        return problem(gettext_noop('Unknown activity type "%(name)s".'), name=name)
    if name in found.types and found.types[name].category != category:
        return problem(
            gettext_noop('"%(name)s" belongs to the category "%(category)s", not "%(category2)s".'),
            name=name, category=found.types[name].category, category2=category
        )
    if name in capped_types:
        return problem(
            gettext_noop('"%(name)s" is already in the sub-cap "%(name2)s".'), name=name, name2=capped_types[name]
        )
    return None


def _activity_type_problems(found: _Parts) -> Errors:
    """Each type's category and quantity unit exist; whole-thing formulas use whole units, and a whole
    unit a whole plausible maximum; a per-candidate formula has its integer attribute."""
    problems = []
    for name, activity_type in found.types.items():
        path = f"activity_types.{name}"
        if activity_type.category not in found.declared_categories:
            problems.append((f"{path}.category", problem(
                gettext_noop('Unknown category "%(category)s".'), category=activity_type.category
            )))
        formula = activity_type.formula
        unit = found.units.get(formula.unit)
        if formula.unit not in found.declared_units:
            problems.append((f"{path}.formula.unit", problem(
                gettext_noop('Unknown quantity unit "%(unit)s".'), unit=formula.unit
            )))
        elif unit is not None and formula.KIND in WHOLE_QUANTITY_KINDS and not unit.whole:
            problems.append(
                (
                    f"{path}.formula.unit",
                    problem(gettext_noop('A %(kind)s formula counts whole things, but the unit "%(code)s" allows '
                                         "fractions."), kind=formula.KIND, code=unit.code),
                )
            )
        maximum = activity_type.quantity_max
        if unit is not None and unit.whole and maximum is not None and maximum != maximum.to_integral_value():
            problems.append(
                (
                    f"{path}.quantity_max",
                    problem(
                        gettext_noop('The unit "%(code)s" counts whole things, so its maximum must be a whole number.'),
                        code=unit.code
                    ),
                )
            )
        if isinstance(formula, PerYearPlusPerCandidate):
            attribute = next(
                (item for item in activity_type.attributes if item.code == formula.attribute), None
            )
            if attribute is None or attribute.type != "integer":
                problems.append(
                    (
                        f"{path}.formula.attribute",
                        problem(
                            gettext_noop('The type needs an integer attribute "%(attribute)s" to count candidates.'),
                            attribute=formula.attribute
                        ),
                    )
                )
    return problems


def _designation_problems(found: _Parts) -> Errors:
    """A designation's totals and bounds fit the cycle model; each bound names a category, once per scope."""
    problems = []
    for index, designation in valid(found.parts.get("designations")):
        path = f"designations[{index}]"
        problems.extend(found.totals_problems(f"{path}.totals", designation.totals))
        scopes_seen: set[tuple[str, str]] = set()
        for number, bound in enumerate(designation.category_bounds):
            where = f"{path}.category_bounds[{number}]"
            if bound.category not in found.declared_categories:
                problems.append((f"{where}.category", problem(
                    gettext_noop('Unknown category "%(category)s".'), category=bound.category
                )))
            problems.extend(found.scope_problems(f"{where}.per", bound.per))
            if (bound.category, bound.per) in scopes_seen:
                problems.append(
                    (where, problem(
                        gettext_noop('"%(category)s" already has a %(per)s bound in this designation.'),
                        category=bound.category, per=bound.per
                    ))
                )
            scopes_seen.add((bound.category, bound.per))
    return problems


def _reminder_problems(found: _Parts) -> Errors:
    model = found.model
    if not model:
        return []
    anchors = ANCHORS_BY_MODEL[model]
    return [
        (
            f"reminders[{index}].anchor",
            problem(
                gettext_noop('The %(model)s model has no "%(anchor)s" date; use %(choices)s.'),
                model=model, anchor=reminder.anchor, choices=" or ".join(anchors)
            ),
        )
        for index, reminder in valid(found.parts.get("reminders"))
        if reminder.anchor not in anchors
    ]


def _note_problems(found: _Parts) -> Errors:
    return [
        (f"notes[{index}].path", problem(
            gettext_noop('"%(path)s" does not point at anything in this definition.'), path=note.path
        ))
        for index, note in valid(found.parts.get("notes"))
        if not _resolves(found.raw, note.path)
    ]


def _certificate_problems(found: _Parts) -> Errors:
    """A paid certificate language names a fee of this definition, billed when ordered if it is billed at all."""
    policy = found.parts.get("certificate")
    if policy in (None, INVALID):
        return []
    fees = {fee.code: fee for _, fee in valid(found.parts.get("fees"))}
    problems = []
    for index, paid in enumerate(policy.paid_languages):
        fee = fees.get(paid.fee)
        if fee is None:
            problems.append((f"certificate.paid_languages[{index}].fee", problem(
                gettext_noop('There is no fee "%(fee)s".'), fee=paid.fee
            )))
        elif fee.billing is not None and fee.billing.on != "order":
            problems.append((f"certificate.paid_languages[{index}].fee",
                             problem(
                                 gettext_noop('The fee "%(fee)s" is not billed when ordered, so it cannot be ordered.'),
                                 fee=paid.fee
                             )))
    return problems


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
