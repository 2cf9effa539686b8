"""What an evaluation looks up per activity, compiled once per definition (and designation) and kept.

A ``SchemeDefinition`` is immutable, so everything derived from it alone — each activity type's category,
caps, formula, attribute checks and sort rank, and the points of each quantity already met — is computed
the first time the definition (one scheme version) is evaluated and reused by every later evaluation of
it. The cache keeps the definitions it compiled alive (so their ``id`` is never reused while cached) and
holds at most ``CACHE_SIZE`` of them, the least recently used leaving first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from ..definition import (
    Designation,
    Formula,
    PerHalfDay,
    PerItem,
    PerUnit,
    PerYear,
    PerYearPlusPerCandidate,
    SchemeDefinition,
)

CACHE_SIZE = 256
# At most this many quantities per type have their points kept (a bound on memory, not a size in practice).
POINTS_CACHE_SIZE = 4096
Bounds = Mapping[tuple[str, str], tuple[Decimal | None, Decimal | None]]
# (tag, code, per, max) of every cap a type's points pass through, innermost first.
CapSpec = tuple[tuple[str, str, str, Decimal], ...]
Plan = tuple[str, str | None, CapSpec]
# (code, attribute type, required, min, max) of one declared attribute.
AttributeCheck = tuple[str, str, bool, Decimal | None, Decimal | None]


class TypePlan(NamedTuple):
    """One activity type as the fast path of the evaluation sees it."""

    code: str
    number: int  # its position among the definition's types: part of a route's number
    rank: int  # 2 × its position among the type codes in sorted order, + 2 (the canonical order by type)
    points: Callable[[Decimal, Mapping[str, Any]], Decimal]  # the formula's points function
    whole: bool  # the quantity must be a whole number
    maximum: Decimal  # the plausible maximum quantity of one activity
    # The declared attributes (``score`` checks them only when there are any); None when there are none.
    checks: tuple[AttributeCheck, ...] | None
    per_candidate: str | None  # the attribute a per-year-plus-per-candidate formula reads
    awarded_on_completion: bool
    # No activity of the type can have negative points (every factor of its formula is 0 or more).
    non_negative: bool
    # str(quantity) (and, for a per-candidate formula, the candidates) → points of a valid activity;
    # str() keeps the Decimal's exponent, so 1.50 and 1.5 are kept apart like the points they give.
    valid: dict[Any, Decimal]
    invalid: set[Any]  # the same keys for quantities (or points) that break a rule: ``score`` says which


class Compiled(NamedTuple):
    bounds: Bounds
    plans: dict[str, Plan]  # per activity type: category, sub-cap, caps (``allocate``)
    types: dict[str, TypePlan]
    sorted_codes: tuple[str, ...]  # the type codes in sorted order (ranks of codes no type has)
    ranks: dict[str, int]  # type code → its rank (``TypePlan.rank``)
    # Types alike for the caps (the same category and sub-cap, points never negative or not) share a class:
    # type code → class number, and per class number (category, sub-cap, caps, points never negative).
    class_of: dict[str, int]
    classes: tuple[tuple[str, str | None, CapSpec, bool], ...]
    # (type code, str(quantity)) → points, for the types with no attributes: valid activities met so far
    simple: dict[tuple[str, str], Decimal]
    completion_codes: frozenset[str]  # the types awarded on completion
    # route number (period × number of classes + class number) → where its points go, filled as met
    routes: dict[int, Any]
    # per ("period" or "cycle"): the categories of a scope no eligible activity falls in, filled by scope_results
    empty: dict[str, Any]
    # What depends only on a few dates and flags of the context, as met (at most MEMO_SIZE of each):
    # (anchor, as_of) → Frame; (dossier kind, level changed, reference date) → sections;
    # the reminder rules' inputs → reminders due.
    memo: dict[str, dict[Any, Any]]


MEMO_SIZE = 4096


def remembered(lookups: Compiled, kind: str, key: Any, make: Callable[[], Any]) -> Any:
    """``make()``, kept under ``key`` with the compiled definition: the same inputs give the same value
    (every value kept is immutable, or never changed by the engine)."""
    table = lookups.memo[kind]
    found = table.get(key)
    if found is None:
        if len(table) >= MEMO_SIZE:
            table.clear()
        found = table[key] = make()
    return found


_cache: dict[tuple[int, str | None], tuple[SchemeDefinition, Compiled]] = {}


def compiled(definition: SchemeDefinition, designation: Designation | None) -> Compiled:
    """The compiled lookups for ``definition`` (and the candidate's designation), from the cache."""
    key = (id(definition), designation.code if designation is not None else None)
    found = _cache.get(key)
    if found is not None and found[0] is definition:
        return found[1]
    result = compile_definition(definition, designation)
    _cache.pop(key, None)
    _cache[key] = (definition, result)
    while len(_cache) > CACHE_SIZE:
        del _cache[next(iter(_cache))]
    return result


def _non_negative(formula: Formula) -> bool:
    factors: tuple[Decimal, ...]
    if isinstance(formula, PerUnit):
        factors = (formula.factor,)
    elif isinstance(formula, PerItem):
        factors = (formula.points_per_item,)
    elif isinstance(formula, PerHalfDay):
        factors = (formula.per_half_day, formula.per_day)
    elif isinstance(formula, PerYear):
        factors = (formula.per_year,)
    else:
        factors = (formula.per_year, formula.per_candidate)
    return all(factor >= 0 for factor in factors)


def compile_definition(definition: SchemeDefinition, designation: Designation | None) -> Compiled:
    bounds = category_bounds(definition, designation)
    sorted_codes = tuple(sorted(definition.activity_types))
    rank = {code: 2 * position + 2 for position, code in enumerate(sorted_codes)}
    types = {}
    for number, (code, activity_type) in enumerate(definition.activity_types.items()):
        formula = activity_type.formula
        whole, maximum = definition.index.quantity_limits[code]
        checks = tuple(
            (attribute.code, attribute.type, attribute.required, attribute.min, attribute.max)
            for attribute in activity_type.attributes
        )
        types[code] = TypePlan(
            code=code,
            number=number,
            rank=rank[code],
            points=formula.points,
            whole=whole,
            maximum=maximum,
            checks=checks or None,
            per_candidate=formula.attribute if isinstance(formula, PerYearPlusPerCandidate) else None,
            awarded_on_completion=activity_type.awarded_on_completion,
            non_negative=_non_negative(formula),
            valid={},
            invalid=set(),
        )
    plans = cap_plans(definition, bounds)
    classes: dict[tuple[str, str | None, CapSpec, bool], int] = {}
    class_of = {}
    for code, (category, sub_cap, caps) in plans.items():
        class_of[code] = classes.setdefault((category, sub_cap, caps, types[code].non_negative), len(classes))
    return Compiled(
        bounds=bounds,
        plans=plans,
        types=types,
        sorted_codes=sorted_codes,
        ranks=rank,
        class_of=class_of,
        classes=tuple(classes),
        simple={},
        completion_codes=frozenset(code for code, kind in definition.activity_types.items()
                                   if kind.awarded_on_completion),
        routes={},
        empty={},
        memo={"frame": {}, "sections": {}, "reminders": {}},
    )


def category_bounds(definition: SchemeDefinition, designation: Designation | None) -> Bounds:
    """``(category, per) → (min, max)``: the category's own bound, replaced by a designation's bound for
    the same scope."""
    bounds = {
        (category.code, category.per): (category.min, category.max) for category in definition.categories
    }
    if designation is not None:
        for bound in designation.category_bounds:
            bounds[(bound.category, bound.per)] = (bound.min, bound.max)
    return bounds


def cap_plans(definition: SchemeDefinition, bounds: Bounds) -> dict[str, Plan]:
    """Per activity type: its category, its sub-cap code (or None), and the caps its points pass through,
    innermost first, as ``(tag, code, per, max)``."""
    plans = {}
    for code, activity_type in definition.activity_types.items():
        category = definition.index.categories[activity_type.category]
        caps = []
        cap = definition.index.sub_cap_of_type.get(code)
        if cap is not None:
            caps.append(("sub_cap", cap.code, category.per, cap.max))
        for per in ("period", "cycle"):
            maximum = bounds.get((category.code, per), (None, None))[1]
            if maximum is not None:
                caps.append(("category", category.code, per, maximum))
        plans[code] = (category.code, cap.code if cap is not None else None, tuple(caps))
    return plans
