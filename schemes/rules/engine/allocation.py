"""Allocation: what becomes of each activity before the caps, how its points pass through the caps in the
canonical order, and the per-scope totals and compliance that result.

Caps are allocated in a canonical order (date, type code, ref, points), so the result does not depend on
the order the activities were given in, and later activities are the ones greyed out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from ..activities import COMPLETED, ActivityInput, score
from ..definition import Designation, SchemeDefinition, Totals
from ..messages import Message
from .explanations import cap_reason, rejection_reasons
from .frame import ELIGIBLE, FUTURE, INCOMPLETE, REJECTED, Frame, Span
from .report import CategoryResult, PeriodResult, SubCapResult

ZERO = Decimal(0)
Bounds = Mapping[tuple[str, str], tuple[Decimal | None, Decimal | None]]
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
    day = activity.date if isinstance(activity.date, dt.date) else dt.date.min
    detail = ""
    if work.status == REJECTED:
        detail = repr((activity.quantity, sorted(activity.attributes.items(), key=lambda item: item[0])))
    points = work.points if work.points is not None else Decimal(-1)
    return (day, str(activity.type), repr(activity.ref), points, work.status, detail)


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


Plan = tuple[str, str | None, tuple[tuple[str, str, str, Decimal], ...]]


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


def classify(
    definition: SchemeDefinition, frame: Frame, activities: Sequence[ActivityInput], as_of: dt.date
) -> list[Work]:
    """Each activity's points and status, in the canonical order.

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


def allocate(works: Sequence[Work], plans: Mapping[str, Plan]) -> Allocation:
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
    definition: SchemeDefinition, bounds: Bounds, frame: Frame, allocation: Allocation, totals: Totals
) -> tuple[tuple[PeriodResult, ...], PeriodResult | None]:
    """The result of every yearly period, and of the cycle (which needs every period compliant too)."""
    raw, counted = allocation.raw, allocation.counted
    periods = tuple(
        scope_result(definition, bounds, "period", span, (span.number,), raw, counted, totals.period_min)
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
) -> PeriodResult:
    """Categories, totals and compliance of one period (or, summing its periods, the cycle)."""

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
        categories=tuple(categories),
        total_raw=sum((category.raw for category in categories), ZERO),
        total_counted=total_counted,
        required_total=required_total,
        compliant=compliant,
    )
