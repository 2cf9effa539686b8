"""What an evaluation looks up per activity, compiled once per definition (and designation) and kept.

A ``SchemeDefinition`` is immutable, so everything derived from it alone — each activity type's category,
caps and formula, and which types ``score`` can be short-cut for — is computed the first time the
definition (one scheme version) is evaluated and reused by every later evaluation of it. The cache keeps
the definitions it compiled alive (so their ``id`` is never reused while cached) and holds at most
``CACHE_SIZE`` of them, the least recently used leaving first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from ..definition import Designation, PerYearPlusPerCandidate, SchemeDefinition

CACHE_SIZE = 256
Bounds = Mapping[tuple[str, str], tuple[Decimal | None, Decimal | None]]
# (tag, code, per, max) of every cap a type's points pass through, innermost first.
CapSpec = tuple[tuple[str, str, str, Decimal], ...]
Plan = tuple[str, str | None, CapSpec]


class TypePlan(NamedTuple):
    """One activity type as the fast path of ``classify`` sees it."""

    points: Callable[[Decimal, Mapping[str, Any]], Decimal]  # the formula's points function
    whole: bool  # the quantity must be a whole number
    maximum: Decimal  # the plausible maximum quantity of one activity
    # No attributes and a formula that reads none: ``score`` checks only the date, quantity and points.
    simple: bool
    awarded_on_completion: bool


class Compiled(NamedTuple):
    bounds: Bounds
    plans: dict[str, Plan]  # per activity type: category, sub-cap, caps (``allocate``)
    types: dict[str, TypePlan]
    # (type, period) → where its points go, filled by ``allocate`` as evaluations meet them
    routes: dict[tuple[str, int | None], Any]
    # per ("period" or "cycle"): the categories of a scope no eligible activity falls in, filled by scope_results
    empty: dict[str, Any]


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


def compile_definition(definition: SchemeDefinition, designation: Designation | None) -> Compiled:
    bounds = category_bounds(definition, designation)
    types = {}
    for code, activity_type in definition.activity_types.items():
        formula = activity_type.formula
        whole, maximum = definition.index.quantity_limits[code]
        types[code] = TypePlan(
            points=formula.points,
            whole=whole,
            maximum=maximum,
            simple=not activity_type.attributes and not isinstance(formula, PerYearPlusPerCandidate),
            awarded_on_completion=activity_type.awarded_on_completion,
        )
    return Compiled(bounds=bounds, plans=cap_plans(definition, bounds), types=types, routes={}, empty={})


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
