"""The fast path of ``evaluate``: the same report as the reference path, with less work per activity.

The reference path (``allocation.classify_reference`` and ``allocate_reference``) gives every activity a
``Work`` object, scores it with ``score``, sorts everything by the canonical key and passes every eligible
activity through every cap in that order. This path works on columns (lists by input index, or in the
canonical order) with the standard library's C-level tools (``map``, ``sorted``, ``bisect``, slices), and
goes back to Python code per activity only where that activity needs it:

- points come from the compiled definition's table of (type, quantity) pairs already met — ``str`` of
  the quantity keeps the Decimal's exponent, so equal but differently written quantities stay apart, like
  the points they give. A pair met for the first time, a type with attributes (checked inline) and
  whatever ``score`` would have something to say about (which then says it) go one by one;
- the canonical order is one integer per activity (date ordinal × width + type rank), sorted once; only
  activities equal on it are compared by the whole canonical key. In that order the statuses are slices:
  before the frame, in it (cut into periods), after it, after ``as_of`` — found by bisection;
- eligible points are grouped per route (period and cap class: the types with the same category and
  sub-cap) and summed once per route. A cap whose routes' points add up to no more than its maximum never
  binds, whatever the order (their points are never negative), so only the activities behind a cap that
  can bind are allocated in the canonical order, and only through such caps. Where each of them passes
  through one such cap (the shipped schemes), the point where the cap is reached is found by bisecting
  the running totals: the activities before it keep their points, the one reaching it keeps what is
  left, those after it keep none;
- explanations and per-activity results are built only for ``detail=True``.

Decimal arithmetic throughout, with the reference path's results: sums regrouped per route are exact (an
exact sum's exponent is its terms' least), and ``evaluation`` checks that no operation rounded (else it
returns the reference path's report). tests/rules/test_properties.py compares the two reports, down to
each Decimal's exponent.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import accumulate, compress, groupby, repeat
from operator import add, attrgetter, eq, is_, mul
from typing import Any, cast

from ..activities import COMPLETED, ActivityInput, score
from ..definition import SchemeDefinition
from ..messages import Message
from .allocation import Allocation, Cap
from .compiled import POINTS_CACHE_SIZE, AttributeCheck, Compiled, TypePlan
from .explanations import cap_explanation, cap_reason, date_reasons, frame_edges, rejection_reasons, uncounted
from .frame import AFTER, BEFORE, ELIGIBLE, FUTURE, INCOMPLETE, REJECTED, Frame
from .report import ActivityResult, activity_results

ZERO = Decimal(0)
MINUS_ONE = Decimal(-1)
SIMPLE_CACHE_SIZE = 16 * POINTS_CACHE_SIZE
_Date = dt.date
_DateTime = dt.datetime
_ordinal = _Date.toordinal
_refs, _types, _dates, _quantities = attrgetter("ref"), attrgetter("type"), attrgetter("date"), attrgetter("quantity")
SlotKey = tuple[str, str, int | None]  # (tag, code, period number or None): one cap's remaining room
# One cap of a route as the allocation passes through it: its remaining-room key, its maximum, the Cap.
Slot = tuple[SlotKey, Decimal, Cap]
# A route: its raw/counted table keys, its caps (innermost first), its category, its points never negative.
Route = tuple[tuple[tuple[int | None, str], ...], tuple[Slot, ...], str, bool]


class Columns:
    """What classifying found: every activity's points and canonical number (by input index), the
    canonical order, where each status and period starts in it, and the eligible activities by route."""

    __slots__ = ("activities", "points", "keys", "rejected", "incomplete", "order", "ends", "periods",
                 "buckets", "class_count", "_position")

    def __init__(self, activities: Sequence[ActivityInput]) -> None:
        self.activities = activities
        self.points: list[Decimal | None] = []
        self.keys: list[int] = []  # the canonical order's first two parts: date ordinal × width + type rank
        self.rejected: dict[int, tuple[Message, ...]] = {}  # index → reasons
        self.incomplete: set[int] = set()  # awarded on completion, in the frame, not completed yet
        self.order: list[int] = []
        # Positions in ``order``: before the frame [0, a), in it [a, b), after it [b, f), after as_of [f, n).
        self.ends = (0, 0, 0)
        self.periods: list[tuple[int | None, int, int]] = []  # (period, start, end) positions in the frame
        # route number (period × class count + class number) → its eligible activities, in the canonical order
        self.buckets: dict[int, list[int]] = {}
        self.class_count = 1
        self._position: dict[int, int] | None = None

    def position(self) -> dict[int, int]:
        """index → its position in the canonical order."""
        if self._position is None:
            self._position = dict(zip(self.order, range(len(self.order)), strict=True))
        return self._position

    def status(self, index: int, day: dt.date, frame: Frame, as_of: dt.date) -> str:
        """One activity's status, as ``classify_reference`` gives it (for ties in the canonical order)."""
        if index in self.rejected:
            return REJECTED
        if day > as_of:
            return FUTURE
        if day < frame.first_start:
            return BEFORE
        if day > frame.last_end:
            return AFTER
        return INCOMPLETE if index in self.incomplete else ELIGIBLE


def _attributes_pass(checks: tuple[AttributeCheck, ...], attributes: Mapping[str, Any], completion: bool) -> bool:
    """True when ``score`` would find nothing wrong with the attributes (False: let it say what is)."""
    for code, kind, required, minimum, maximum in checks:
        value = attributes.get(code)
        if value is None:
            if required:
                return False
            continue
        if kind == "integer" or kind == "decimal":
            if type(value) is not int and not (kind == "decimal" and type(value) is Decimal and value.is_finite()):
                return False
            if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
                return False
        elif kind == "boolean":
            if type(value) is not bool:
                return False
        elif kind != "text" or type(value) is not str:
            return False
    return not completion or type(attributes.get(COMPLETED, True)) is bool


def _points(
    plan: TypePlan, quantity: Decimal, attributes: Mapping[str, Any], limits: tuple[Any, Any, Any]
) -> Decimal | None:
    """The points of a quantity (and attributes that pass) if ``score`` would accept them, else None."""
    low, high, step = limits
    if quantity.is_finite() and 0 < quantity <= plan.maximum and (
        not plan.whole or quantity == quantity.to_integral_value()
    ):
        points = plan.points(quantity, attributes)
        if not (
            (low is not None and points < low)
            or (high is not None and points > high)
            or (step is not None and points % step)
        ):
            return points
    return None


def _one(
    definition: SchemeDefinition, compiled: Compiled, columns: Columns, index: int, earliest: dt.date,
    limits: tuple[Any, Any, Any],
) -> Decimal | None:
    """One activity's points, the tables of quantities met consulted and filled; ``score`` for whatever it
    would have something to say about (the activity is then rejected, with its reasons)."""
    activity = columns.activities[index]
    code = activity.type
    plan = compiled.types.get(code) if type(code) is str else None
    day = activity.date
    quantity = activity.quantity
    if plan is not None and type(day) is _Date and day >= earliest and type(quantity) is Decimal:
        attributes = activity.attributes
        checks = plan.checks
        if checks is None or _attributes_pass(checks, attributes, plan.awarded_on_completion):
            text = str(quantity)
            key: Any = text
            table: dict[Any, Decimal] = plan.valid
            if checks is None and plan.per_candidate is None:
                key, table = (code, text), cast(dict[Any, Decimal], compiled.simple)
            elif plan.per_candidate is not None:
                candidates = attributes.get(plan.per_candidate)
                key = (text, candidates) if type(candidates) is int and candidates >= 0 else None
            if key is not None:
                points = table.get(key)
                if points is not None:
                    return points
                if key not in plan.invalid:
                    points = _points(plan, quantity, attributes, limits)
                    if points is not None:
                        if len(table) < SIMPLE_CACHE_SIZE:
                            table[key] = points
                        return points
                    if len(plan.invalid) < POINTS_CACHE_SIZE:
                        plan.invalid.add(key)
    points, problems = score(definition, activity, earliest)
    if problems:
        columns.rejected[index] = rejection_reasons(activity, problems)
    return points


def classify(
    definition: SchemeDefinition,
    frame: Frame,
    activities: Sequence[ActivityInput],
    as_of: dt.date,
    compiled: Compiled,
) -> Columns:
    """Every activity's points and status, the canonical order, and the eligible activities by route."""
    columns = Columns(activities)
    count = len(activities)
    earliest = frame.earliest
    rules = definition.points
    limits = (rules.activity_min, rules.activity_max, rules.step)
    codes: list[Any] = list(map(_types, activities))
    dates: list[Any] = list(map(_dates, activities))
    quantities = list(map(_quantities, activities))
    misses: Iterable[int]
    if count and set(map(type, codes)) == {str} and set(map(type, dates)) == {_Date} and set(
        map(type, quantities)
    ) == {Decimal}:
        points: list[Decimal | None] = list(map(compiled.simple.get, zip(codes, map(str, quantities), strict=True)))
        misses = list(compress(range(count), map(is_, points, repeat(None))))
        if min(dates) < earliest:  # too early: score rejects them, whatever their points
            misses = sorted({*misses, *compress(range(count), map(earliest.__gt__, dates))})
    else:
        points = [None] * count
        misses = range(count)
    columns.points = points
    for index in misses:
        points[index] = _one(definition, compiled, columns, index, earliest, limits)
    rejected = columns.rejected
    width = 2 * len(compiled.sorted_codes) + 2
    if len(rejected) == count:
        columns.keys = [_slow_number(compiled, width, activity) for activity in activities]
    else:
        for index in rejected:  # stand-ins that sort and look up like an accepted activity's
            dates[index], codes[index] = _Date.min, compiled.sorted_codes[0]
        if compiled.completion_codes:
            first_start, upper = frame.first_start, min(as_of, frame.last_end)
            for index in compress(range(count), map(compiled.completion_codes.__contains__, codes)):
                if (
                    index not in rejected
                    and first_start <= dates[index] <= upper
                    and activities[index].attributes.get(COMPLETED) is False
                ):
                    columns.incomplete.add(index)
        keys = list(map(add, map(mul, map(_ordinal, dates), repeat(width)), map(compiled.ranks.__getitem__, codes)))
        for index in rejected:
            keys[index] = _slow_number(compiled, width, activities[index])
        columns.keys = keys
    columns.order = canonical(columns, range(count), frame, as_of)
    _slices(columns, frame, as_of, width, codes, compiled)
    return columns


def _slices(
    columns: Columns, frame: Frame, as_of: dt.date, width: int, codes: list[Any], compiled: Compiled
) -> None:
    """Where each status and period starts in the canonical order; the eligible activities by route."""
    order = columns.order
    numbers = list(map(columns.keys.__getitem__, order))
    after_as_of = bisect_left(numbers, (as_of.toordinal() + 1) * width)
    start = min(bisect_left(numbers, frame.first_start.toordinal() * width), after_as_of)
    end = max(start, min(bisect_left(numbers, (frame.last_end.toordinal() + 1) * width), after_as_of))
    columns.ends = (start, end, after_as_of)
    if frame.period_ends:
        cuts = [bisect_left(numbers, (day.toordinal() + 1) * width, start, end) for day in frame.period_ends]
        columns.periods = [
            (number, cuts[number - 2] if number > 1 else start, cut) for number, cut in enumerate(cuts, start=1)
        ]
    else:
        columns.periods = [(None, start, end)]
    columns.class_count = class_count = len(compiled.classes) or 1
    aside = columns.rejected.keys() | columns.incomplete
    if len(aside) == len(order):
        return
    class_of = compiled.class_of
    classes: list[Any] = list(map(class_of.get, codes))
    buckets = columns.buckets
    for period, first, last in columns.periods:
        if first == last:
            continue
        members = order[first:last]
        if aside:
            members = [index for index in members if index not in aside]
        base = (period or 0) * class_count
        for number, group in groupby(sorted(members, key=classes.__getitem__), key=classes.__getitem__):
            buckets[base + number] = list(group)


def _slow_number(compiled: Compiled, width: int, activity: ActivityInput) -> int:
    """The canonical number of any activity: a date that is not a calendar date sorts as the earliest one,
    a type code no type has between the codes around it (its whole key breaks the tie)."""
    day = activity.date
    if not isinstance(day, _Date) or isinstance(day, _DateTime):
        day = _Date.min
    text = str(activity.type)
    codes = compiled.sorted_codes
    position = bisect_left(codes, text)
    rank = 2 * position + 2 if position < len(codes) and codes[position] == text else 2 * position + 1
    return day.toordinal() * width + rank


def canonical(columns: Columns, indices: Iterable[int], frame: Frame, as_of: dt.date) -> list[int]:
    """``indices`` in the canonical order: by their number, the activities equal on it by the whole key
    (``allocation.canonical_key``)."""
    keys = columns.keys
    order = sorted(indices, key=keys.__getitem__)
    if len(order) < 2:
        return order
    numbers = list(map(keys.__getitem__, order))
    ties = list(compress(range(1, len(numbers)), map(eq, numbers[1:], numbers)))
    if not ties:
        return order
    activities, points_of = columns.activities, columns.points

    def whole_key(index: int) -> tuple[Any, ...]:
        activity = activities[index]
        day = activity.date
        if not isinstance(day, _Date) or isinstance(day, _DateTime):
            day = _Date.min
        status = columns.status(index, day, frame, as_of)
        detail = ""
        if status == REJECTED:
            detail = repr((activity.quantity, sorted(activity.attributes.items(), key=lambda item: item[0])))
        points = points_of[index]
        return (day, str(activity.type), repr(activity.ref), MINUS_ONE if points is None else points, status, detail)

    position = 0
    while position < len(ties):
        end = ties[position]  # order[start:end + 1] share a number
        start = end - 1
        while position + 1 < len(ties) and ties[position + 1] == end + 1:
            position += 1
            end += 1
        order[start:end + 1] = sorted(order[start:end + 1], key=whole_key)
        position += 1
    return order


class Allocated:
    """The allocation (as the reference path's), and per activity behind a cap that can bind what counted
    and, when a cap bound it, the reason."""

    __slots__ = ("allocation", "kept", "reasons", "detail")

    def __init__(self, detail: bool) -> None:
        self.detail = detail  # without it, no reasons: nothing reads them
        self.allocation = Allocation()
        self.kept: dict[int, Decimal] = {}
        self.reasons: dict[int, tuple[Message, ...]] = {}


def _route(compiled: Compiled, class_count: int, number: int) -> Route:
    route: Route | None = compiled.routes.get(number)
    if route is None:
        period_number, class_number = divmod(number, class_count)
        period = period_number or None  # 0: a window, whose only scope has no number
        category, sub_cap, caps, non_negative = compiled.classes[class_number]
        tables = tuple((period, name) for name in ((category, sub_cap) if sub_cap is not None else (category,)))
        slots = tuple(
            (
                (tag, code, period if per == "period" else None),
                maximum,
                Cap(tag, code, per, maximum, period if per == "period" else None),
            )
            for tag, code, per, maximum in caps
        )
        route = compiled.routes[number] = (tables, slots, category, non_negative)
    return route


def allocate(columns: Columns, compiled: Compiled, *, detail: bool = True) -> Allocated:
    """What ``allocate_reference`` returns over the canonical order, and each capped activity's share (and,
    with ``detail``, the reason of each activity a cap bound)."""
    result = Allocated(detail)
    points_of = cast(list[Decimal], columns.points)  # eligible activities all have points
    routes = {number: _route(compiled, columns.class_count, number) for number in columns.buckets}
    route_raw: dict[int, Decimal] = {}
    through: dict[SlotKey, Decimal] = {}  # per cap slot: the points of its routes
    tight: set[SlotKey] = set()  # the slots whose cap can bind
    for number, bucket in columns.buckets.items():
        raw = route_raw[number] = sum(map(points_of.__getitem__, bucket), ZERO)
        route = routes[number]
        for slot, _maximum, _cap in route[1]:
            through[slot] = through.get(slot, ZERO) + raw
            if not route[3]:
                tight.add(slot)
    for route in routes.values():
        for slot, maximum, _cap in route[1]:
            if through[slot] > maximum:
                tight.add(slot)
    route_counted = dict(route_raw)
    if tight:
        _allocate_capped(columns, routes, tight, route_counted, result)
    raw_table, counted_table = result.allocation.raw, result.allocation.counted
    for number, route in routes.items():
        raw, counted = route_raw[number], route_counted[number]
        for key in route[0]:
            raw_table[key] = raw_table.get(key, ZERO) + raw
            counted_table[key] = counted_table.get(key, ZERO) + counted
    return result


def _allocate_capped(
    columns: Columns,
    routes: Mapping[int, Route],
    tight: set[SlotKey],
    route_counted: dict[int, Decimal],
    result: Allocated,
) -> None:
    """The activities behind a cap that can bind, through those caps in the canonical order; the routes'
    counted points (``route_counted``), each such activity's share and, when a cap bound it, its reason."""
    behind: dict[int, tuple[Slot, ...]] = {}
    for number, route in routes.items():
        slots = tuple(entry for entry in route[1] if entry[0] in tight)
        if slots:
            behind[number] = slots
    buckets = columns.buckets
    position = columns.position
    first_bound: dict[int, tuple[Cap, Decimal]] = {}  # the first activity each cap bound → (cap, excess)
    if all(len(slots) == 1 and routes[number][3] for number, slots in behind.items()):
        groups: dict[SlotKey, list[int]] = {}  # a slot → its routes (every route passes through one)
        for number, slots in behind.items():
            groups.setdefault(slots[0][0], []).append(number)
        for numbers in groups.values():
            if len(numbers) == 1:
                order = buckets[numbers[0]]
            else:
                order = sorted((index for number in numbers for index in buckets[number]), key=position().__getitem__)
            _reach_cap(columns, order, behind[numbers[0]][0], routes[numbers[0]][2], result, first_bound)
    else:
        slots_of: dict[int, tuple[Slot, ...]] = {}
        categories: dict[int, str] = {}
        for number, slots in behind.items():
            slots_of.update(dict.fromkeys(buckets[number], slots))
            categories.update(dict.fromkeys(buckets[number], routes[number][2]))
        order = sorted(slots_of, key=position().__getitem__)
        _one_by_one(columns, order, slots_of, categories, result, first_bound)
    excess = result.allocation.excess
    for index in sorted(first_bound, key=position().__getitem__):  # caps in the order they were first reached
        cap, amount = first_bound[index]
        excess[cap] = amount
    kept = result.kept
    for number in behind:
        route_counted[number] = sum(map(kept.__getitem__, buckets[number]), ZERO)


def _reach_cap(
    columns: Columns,
    order: list[int],
    slot: Slot,
    category: str,
    result: Allocated,
    first_bound: dict[int, tuple[Cap, Decimal]],
) -> None:
    """One cap that can bind and the activities behind it, in the canonical order, none of them behind
    another such cap: the reference allocation's result without its loop."""
    _key, maximum, cap = slot
    points = list(map(cast(list[Decimal], columns.points).__getitem__, order))
    totals = list(accumulate(points))
    reach = bisect_right(totals, maximum)  # the first activity whose running total is above the maximum
    tail = points[reach + 1:]
    if reach == len(order) or (tail and min(tail) <= 0):
        # Not reached after all, or points of 0 after it (they keep their 0 and leave the room as it is).
        _one_by_one(columns, order, dict.fromkeys(order, (slot,)), dict.fromkeys(order, category), result,
                    first_bound)
        return
    left = maximum - totals[reach - 1] if reach else maximum  # what the activity reaching the cap keeps
    none = left - left  # what those after it keep: the room left, now 0 (with its exponent)
    kept = points[:reach]
    kept.append(left)
    kept.extend(repeat(none, len(order) - reach - 1))
    result.kept.update(zip(order, kept, strict=True))
    if result.detail:
        result.reasons.update(dict.fromkeys(order[reach:], (cap_reason(cap, category),)))
    first_bound[order[reach]] = (cap, sum(points[reach:], ZERO) - left)


def _one_by_one(
    columns: Columns,
    order: list[int],
    slots_of: Mapping[int, tuple[Slot, ...]],
    categories: Mapping[int, str],
    result: Allocated,
    first_bound: dict[int, tuple[Cap, Decimal]],
) -> None:
    """The activities behind caps that can bind, one by one in the canonical order: the reference
    allocation's loop, less the caps that cannot bind (they never lower what an activity keeps)."""
    points_of = cast(list[Decimal], columns.points)
    kept_of, reasons_of = result.kept, result.reasons
    remaining: dict[SlotKey, Decimal] = {}
    excess: dict[Cap, Decimal] = {}
    first: dict[Cap, int] = {}
    cap_reasons: dict[Cap, tuple[Message, ...]] = {}
    for index in order:
        slots = slots_of[index]
        points = points_of[index]
        kept = points
        binding = None
        lefts = []
        for slot, maximum, binding_cap in slots:
            left = remaining.get(slot, maximum)
            lefts.append(left)
            if left < kept:
                kept = left
                binding = binding_cap
        for (slot, _maximum, _cap), left in zip(slots, lefts, strict=True):
            remaining[slot] = left - kept
        kept_of[index] = kept
        if binding is not None:
            if binding not in excess:
                first[binding] = index
            excess[binding] = excess.get(binding, ZERO) + points - kept
            if not result.detail:
                continue
            reasons = cap_reasons.get(binding)
            if reasons is None:
                reasons = cap_reasons[binding] = (cap_reason(binding, categories[index]),)
            reasons_of[index] = reasons
    for binding, index in first.items():
        first_bound[index] = (binding, excess[binding])


def explanations(
    columns: Columns, allocated: Allocated, frame: Frame, as_of: dt.date, reasons_of: dict[int, tuple[Message, ...]]
) -> tuple[Message, ...]:
    """``evaluation._explanations`` from the columns; fills ``reasons_of`` (by index) with each activity's."""
    rejected = columns.rejected
    position = columns.position
    found = [reason for index in sorted(rejected, key=position().__getitem__) for reason in rejected[index]]
    reasons_of.update(rejected)
    order = columns.order
    start, end, after_as_of = columns.ends
    incomplete = sorted(columns.incomplete, key=position().__getitem__)
    if start or incomplete or end < len(order):
        before, after = frame_edges(frame)
        shared = date_reasons(before, after, as_of)
        points_of = cast(list[Decimal], columns.points)
        sums: dict[tuple[str, str], Decimal] = {}
        activities = columns.activities
        regions = [(BEFORE, order[:start]), (INCOMPLETE, incomplete), (AFTER, order[end:after_as_of]),
                   (FUTURE, order[after_as_of:])]
        for status, members in regions:
            if rejected:
                members = [index for index in members if index not in rejected]
            if not members:
                continue
            reasons_of.update(dict.fromkeys(members, shared[status]))
            if status == INCOMPLETE:
                for index in members:
                    group = (status, activities[index].type)
                    sums[group] = sums.get(group, ZERO) + points_of[index]
            else:
                sums[(status, "")] = sum(map(points_of.__getitem__, members), ZERO)
        found.extend(
            uncounted(status, type_code, points, before, after, as_of) for (status, type_code), points in sums.items()
        )
    raw = allocated.allocation.raw
    found.extend(cap_explanation(cap, amount, raw, frame) for cap, amount in allocated.allocation.excess.items())
    reasons_of.update(allocated.reasons)
    return tuple(found)


def results(
    columns: Columns, allocated: Allocated, reasons_of: Mapping[int, tuple[Message, ...]]
) -> tuple[ActivityResult, ...]:
    """One result per activity, in the canonical order."""
    order = columns.order
    count = len(order)
    points = list(map(columns.points.__getitem__, order))
    start, end, _after_as_of = columns.ends
    counted: list[Any] = [ZERO] * count  # what counts unless a cap says otherwise: eligible points
    counted[start:end] = points[start:end]
    period: list[int | None] = [None] * count
    for number, first, last in columns.periods:
        period[first:last] = repeat(number, last - first)
    if columns.rejected or columns.incomplete:
        position = columns.position()
        for index in columns.rejected:
            period[position[index]] = None
            counted[position[index]] = ZERO
        for index in columns.incomplete:
            counted[position[index]] = ZERO
    chosen = list(map(columns.activities.__getitem__, order))
    return activity_results(
        zip(
            order,
            map(_refs, chosen),
            map(_types, chosen),
            map(_dates, chosen),
            points,
            map(allocated.kept.get, order, counted),
            period,
            map(reasons_of.get, order, repeat(())),
            strict=False,  # the repeat is endless
        )
    )
