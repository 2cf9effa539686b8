"""Allocation: what becomes of each activity before the caps, how its points pass through the caps in the
canonical order, and the per-scope totals and compliance that result.

Caps are allocated in a canonical order (date, type code, ref, points), so the result does not depend on
the order the activities were given in, and later activities are the ones greyed out. This is the reference
path (``evaluate_reference``); ``evaluate`` gets the same result faster through ``columns``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from ..activities import COMPLETED, ActivityInput, score
from ..definition import SchemeDefinition, Totals
from ..messages import Message
from .compiled import Bounds, Plan, cap_plans, category_bounds
from .explanations import cap_reason, rejection_reasons
from .frame import ELIGIBLE, FUTURE, INCOMPLETE, REJECTED, Frame, Span
from .report import CategoryResult, PeriodResult, SubCapResult

__all__ = ["Bounds", "Plan", "cap_plans", "category_bounds"]  # compiled's, where they used to live

ZERO = Decimal(0)
# Raw or counted points per (period number or None, category or sub-cap code).
Table = dict[tuple[int | None, str], Decimal]


class Work:
    """Mutable working state for one activity during an evaluation."""

    __slots__ = ("index", "activity", "points", "status", "period", "counted", "reasons")

    def __init__(self, index: int, activity: ActivityInput, points: Decimal | None) -> None:
        self.index = index
        self.activity = activity
        self.points = points
        self.status = ELIGIBLE
        self.period: int | None = None
        self.counted = ZERO
        self.reasons: tuple[Message, ...] = ()


class Cap(NamedTuple):
    """One cap as applied: a sub-cap or a category maximum, in period ``number`` or the cycle (None)."""

    tag: str  # "sub_cap" or "category"
    code: str
    per: str
    maximum: Decimal
    number: int | None


def canonical_key(work: Work) -> tuple[Any, ...]:
    """The allocation (and output) order: date, type code, ref, points, status.

    Activities equal on all five are indistinguishable in the output apart from the share of a cap each
    gets, which goes by position in this order; a rejected activity's reasons depend on its quantity and
    attributes, so those break its ties too.
    """
    activity = work.activity
    day = activity.date
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):  # rejected; a datetime cannot sort with dates
        day = dt.date.min
    detail = ""
    if work.status == REJECTED:
        detail = repr((activity.quantity, sorted(activity.attributes.items(), key=lambda item: item[0])))
    points = work.points if work.points is not None else Decimal(-1)
    return (day, str(activity.type), repr(activity.ref), points, work.status, detail)


def classify_reference(
    definition: SchemeDefinition, frame: Frame, activities: Sequence[ActivityInput], as_of: dt.date
) -> list[Work]:
    """Each activity's points and status, in the canonical order (the reference ``classify`` must equal).

    Every activity's points come from ``score`` (the function behind ``activity_points``). An activity
    that breaks a rule (a date before the frame's earliest plausible date, too) is rejected; one dated
    after ``as_of`` is in the future; one outside the frame is before or after it; one awarded on
    completion and not completed is incomplete. The rest are eligible.
    """
    types = definition.activity_types
    earliest = frame.earliest
    works = []
    for index, activity in enumerate(activities):
        points, problems = score(definition, activity, earliest)
        work = Work(index, activity, points)
        works.append(work)
        if problems:
            work.status = REJECTED
            work.reasons = rejection_reasons(activity, problems)
        elif activity.date > as_of:
            work.status = FUTURE
        else:
            work.status, work.period = frame.locate(activity.date)
            if (
                work.status == ELIGIBLE
                and types[activity.type].awarded_on_completion
                and activity.attributes.get(COMPLETED) is False
            ):
                work.status = INCOMPLETE
    works.sort(key=canonical_key)
    return works


@dataclass(slots=True)
class Allocation:
    """Raw and counted points per (period, category code) and per (period, sub-cap code) — the two kinds
    of code never collide (the definition validates that); the period is None for a window's only scope —
    and the points each binding cap kept out."""

    raw: Table = field(default_factory=dict)
    counted: Table = field(default_factory=dict)
    excess: dict[Cap, Decimal] = field(default_factory=dict)


def allocate_reference(works: Sequence[Work], plans: Mapping[str, Plan]) -> Allocation:
    """Pass each eligible activity's points through its caps (sub-cap, then category per period, then per
    cycle) in the given order; record what counted and, per activity, the cap that bound it."""
    result = Allocation()
    raw, counted, excess = result.raw, result.counted, result.excess
    remaining: dict[tuple[str, str, int | None], Decimal] = {}
    cap_reasons: dict[Cap, Message] = {}
    for work in works:
        if work.status != ELIGIBLE:
            continue
        category, sub_cap, caps = plans[work.activity.type]
        points = work.points
        assert points is not None
        period = work.period
        kept = points
        binding = None
        if caps:
            slots = []
            for tag, code, per, maximum in caps:
                slot = (tag, code, period if per == "period" else None)
                left = remaining.get(slot, maximum)
                slots.append((slot, left))
                if left < kept:
                    kept = left
                    binding = Cap(tag, code, per, maximum, slot[2])
            for slot, left in slots:
                remaining[slot] = left - kept
        work.counted = kept
        for name in (category, sub_cap) if sub_cap is not None else (category,):
            key = (period, name)
            raw[key] = raw.get(key, ZERO) + points
            counted[key] = counted.get(key, ZERO) + kept
        if binding is not None:
            excess[binding] = excess.get(binding, ZERO) + points - kept
            if binding not in cap_reasons:
                cap_reasons[binding] = cap_reason(binding, category)
            work.reasons = (cap_reasons[binding],)
    return result


def scope_results(
    definition: SchemeDefinition,
    bounds: Bounds,
    frame: Frame,
    allocation: Allocation,
    totals: Totals,
    empty: dict[str, tuple[CategoryResult, ...]] | None = None,
) -> tuple[tuple[PeriodResult, ...], PeriodResult | None]:
    """The result of every yearly period, and of the cycle (which needs every period compliant too).

    With ``empty`` (kept with the compiled definition and designation), a scope no eligible activity falls in
    takes its categories from there: they are the same for every such scope (nothing logged, the same
    bounds), computed once the same way. ``evaluate_reference`` passes none.
    """
    raw, counted = allocation.raw, allocation.counted
    active = {number for number, _code in raw} if empty is not None else None
    periods = tuple(
        scope_result(definition, bounds, "period", span, (span.number,), raw, counted, totals.period_min,
                     empty=empty, active=active)
        for span in frame.periods
    )
    if frame.cycle is None:
        return periods, None
    numbers = tuple(span.number for span in frame.periods) or (None,)
    cycle = scope_result(
        definition,
        bounds,
        "cycle",
        frame.cycle,
        numbers,
        raw,
        counted,
        totals.cycle_min,
        all(period.compliant for period in periods),
        empty=empty,
        active=active,
    )
    return periods, cycle


def scope_result(
    definition: SchemeDefinition,
    bounds: Bounds,
    per: str,
    span: Span,
    numbers: tuple[int | None, ...],
    raw: Mapping[tuple[int | None, str], Decimal],
    counted: Mapping[tuple[int | None, str], Decimal],
    required_total: Decimal | None,
    periods_compliant: bool = True,
    *,
    empty: dict[str, tuple[CategoryResult, ...]] | None = None,
    active: set[int | None] | None = None,
) -> PeriodResult:
    """Categories, totals and compliance of one period (or, summing its periods, the cycle)."""
    if empty is not None and active is not None and not any(number in active for number in numbers):
        categories = empty.get(per)
        if categories is None:
            categories = empty[per] = scope_categories(definition, bounds, per, (None,), {}, {})
    else:
        categories = scope_categories(definition, bounds, per, numbers, raw, counted)
    total_counted = sum((category.counted for category in categories), ZERO)
    compliant = (
        periods_compliant
        and (required_total is None or total_counted >= required_total)
        and not any(category.missing for category in categories)
    )
    return PeriodResult(
        number=span.number,
        start=span.start,
        end=span.end,
        categories=categories,
        total_raw=sum((category.raw for category in categories), ZERO),
        total_counted=total_counted,
        required_total=required_total,
        compliant=compliant,
    )


def scope_categories(
    definition: SchemeDefinition,
    bounds: Bounds,
    per: str,
    numbers: tuple[int | None, ...],
    raw: Mapping[tuple[int | None, str], Decimal],
    counted: Mapping[tuple[int | None, str], Decimal],
) -> tuple[CategoryResult, ...]:
    """Each category's points in a scope (summing its ``numbers``' periods) and what is still missing."""
    if len(numbers) == 1:  # a period, or a window's cycle: the same sum without the generator
        (only,) = numbers

        def total(table: Mapping[tuple[int | None, str], Decimal], code: str) -> Decimal:
            return ZERO + table.get((only, code), ZERO)

    else:

        def total(table: Mapping[tuple[int | None, str], Decimal], code: str) -> Decimal:
            return sum((table.get((number, code), ZERO) for number in numbers), ZERO)

    categories = []
    for category in definition.categories:
        minimum, maximum = bounds.get((category.code, per), (None, None))
        category_counted = total(counted, category.code)
        categories.append(
            CategoryResult(
                code=category.code,
                per=per,
                raw=total(raw, category.code),
                counted=category_counted,
                minimum=minimum,
                maximum=maximum,
                missing=max(minimum - category_counted, ZERO) if minimum is not None else ZERO,
                sub_caps=tuple(
                    SubCapResult(
                        code=cap.code,
                        raw=total(raw, cap.code),
                        counted=total(counted, cap.code),
                        maximum=cap.max if category.per == per else None,
                    )
                    for cap in category.sub_caps
                ),
            )
        )
    return tuple(categories)
