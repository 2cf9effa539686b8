"""The rules engine: a scheme definition, a candidate context and activities in; a report out.

Pure and deterministic: Decimal arithmetic only, no clock (``as_of`` is an input), and the result does not
depend on the order of the activities, because caps are allocated in a canonical order (date, type code,
ref, points). docs/rules-engine.md describes the semantics and the boundaries.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from .activities import COMPLETED, ActivityInput, score
from .dates import add_months, add_years
from .definition import DOSSIER_KINDS, Designation, Offset, SchemeDefinition, Section
from .messages import Message, Ref, gettext_noop, render_message

FRAME = dataclass(frozen=True, slots=True, kw_only=True)
ONE_DAY = dt.timedelta(days=1)
ZERO = Decimal(0)
ANCHOR_FIELDS = {
    "anniversary": "exam_passed_on",
    "window": "recertification_date",
    "fixed_cycle": "cycle_start",
}

# What became of an activity before the caps: only eligible ones reach them.
ELIGIBLE = "eligible"
REJECTED = "rejected"  # it breaks a rule of its own (bounds, step, attribute, unknown type)
FUTURE = "future"  # dated after as_of
BEFORE = "before"  # dated before the first period or the window
AFTER = "after"  # dated after the last period or the window
INCOMPLETE = "incomplete"  # awarded on completion, not completed yet


class ContextError(ValueError):
    """The candidate context does not fit the scheme (a missing anchor date, an unknown designation...)."""


@FRAME
class CandidateContext:
    """Who is evaluated, and when.

    Only the anchor date of the scheme's cycle model is used: ``exam_passed_on`` (anniversary years),
    ``recertification_date`` (a window before it) or ``cycle_start`` (a fixed cycle). ``dossier_kind``,
    ``level_changed`` and ``dossier_submitted`` decide which sections apply and which reminders are due.
    """

    as_of: dt.date
    exam_passed_on: dt.date | None = None
    recertification_date: dt.date | None = None
    cycle_start: dt.date | None = None
    designation: str | None = None
    dossier_kind: str = "recertification"
    level_changed: bool = False
    dossier_submitted: bool = False


@FRAME
class SubCapResult:
    code: str
    raw: Decimal
    counted: Decimal
    maximum: Decimal | None


@FRAME
class CategoryResult:
    """Points of one category in one scope; ``per`` says whether the period's or the cycle's bounds apply."""

    code: str
    per: str
    raw: Decimal
    counted: Decimal
    minimum: Decimal | None
    maximum: Decimal | None
    missing: Decimal
    sub_caps: tuple[SubCapResult, ...] = ()

    @property
    def capped(self) -> bool:
        """Some points of this category did not count because of its cap or a sub-cap."""
        return self.counted < self.raw


@FRAME
class PeriodResult:
    """A yearly period (``number`` 1, 2...) or the cycle (``number`` None); ``end`` is its last day."""

    number: int | None
    start: dt.date
    end: dt.date
    categories: tuple[CategoryResult, ...]
    total_raw: Decimal
    total_counted: Decimal
    required_total: Decimal | None
    compliant: bool

    def category(self, code: str) -> CategoryResult:
        return next(item for item in self.categories if item.code == code)


@FRAME
class ActivityResult:
    """How one input activity fared: its points, how many counted, and why the rest did not."""

    index: int
    ref: Any
    type: str
    date: dt.date
    points: Decimal | None
    counted: Decimal
    period: int | None
    reasons: tuple[Message, ...]


@FRAME
class RenewalStatus:
    consecutive_required: int
    consecutive: int
    eligible: bool
    extends_by_years: int


@FRAME
class SectionRequirement:
    """What a dossier section asks for on the reference date (``values``: year-table numbers)."""

    code: str
    required: bool
    exempt: bool
    values: Mapping[str, int] = field(default_factory=dict)
    reason: Message | None = None


@FRAME
class ReminderDue:
    """A reminder to send now; send it once per (certification, code, anchor_date, send_on)."""

    code: str
    anchor_date: dt.date
    send_on: dt.date
    offset: Offset


@FRAME
class Report:
    """The whole evaluation. Top-level totals refer to the current scope: the CPD year containing
    ``as_of`` for anniversary schemes, the cycle for window and fixed-cycle schemes."""

    definition: SchemeDefinition = field(compare=False, repr=False)
    scheme: str
    version: int
    as_of: dt.date
    designation: str | None
    compliant: bool
    total_counted: Decimal
    required_total: Decimal | None
    deadline: dt.date
    categories: tuple[CategoryResult, ...]
    current_period: int | None
    periods: tuple[PeriodResult, ...]
    cycle: PeriodResult | None
    consecutive_compliant_periods: int | None
    renewal: RenewalStatus | None
    sections: tuple[SectionRequirement, ...]
    activities: tuple[ActivityResult, ...]
    explanations: tuple[Message, ...]
    problems: tuple[Message, ...]
    reminders: tuple[ReminderDue, ...]

    def category(self, code: str) -> CategoryResult:
        return next(item for item in self.categories if item.code == code)

    def section(self, code: str) -> SectionRequirement:
        return next(item for item in self.sections if item.code == code)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: numbers as JSON numbers, dates ISO, messages as English sentences.

        Activities are listed in the canonical order (without their input index), so the dictionary does
        not depend on the order the activities were given in.
        """

        def text(message: Message) -> str:
            return render_message(message, self.definition)

        return {
            "scheme": self.scheme,
            "version": self.version,
            "as_of": self.as_of.isoformat(),
            "designation": self.designation,
            "compliant": self.compliant,
            "total_counted": _number(self.total_counted),
            "required_total": _number(self.required_total),
            "deadline": self.deadline.isoformat(),
            "categories": _categories_dict(self.categories),
            "current_period": self.current_period,
            "periods": [_period_dict(period) for period in self.periods],
            "cycle": _period_dict(self.cycle) if self.cycle else None,
            "consecutive_compliant_periods": self.consecutive_compliant_periods,
            "renewal": None
            if self.renewal is None
            else {
                "consecutive_required": self.renewal.consecutive_required,
                "consecutive": self.renewal.consecutive,
                "eligible": self.renewal.eligible,
                "extends_by_years": self.renewal.extends_by_years,
            },
            "sections": {
                section.code: {
                    "required": section.required,
                    "exempt": section.exempt,
                    **section.values,
                    "reason": text(section.reason) if section.reason else None,
                }
                for section in self.sections
            },
            "activities": [
                {
                    "ref": result.ref,
                    "type": result.type,
                    "date": result.date.isoformat() if isinstance(result.date, dt.date) else None,
                    "points": _number(result.points),
                    "counted": _number(result.counted),
                    "period": result.period,
                    "reasons": [text(reason) for reason in result.reasons],
                }
                for result in self.activities
            ],
            "explanations": [text(message) for message in self.explanations],
            "problems": [text(message) for message in self.problems],
            "reminders": [
                {
                    "code": reminder.code,
                    "anchor_date": reminder.anchor_date.isoformat(),
                    "send_on": reminder.send_on.isoformat(),
                    "offset": {
                        "amount": reminder.offset.amount,
                        "unit": reminder.offset.unit,
                        "direction": reminder.offset.direction,
                    },
                }
                for reminder in self.reminders
            ],
        }


def _number(value: Decimal | None) -> int | float | None:
    """JSON number: an int when integral, else a float (only at this output boundary)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _categories_dict(categories: Sequence[CategoryResult]) -> dict[str, Any]:
    return {
        category.code: {
            "raw": _number(category.raw),
            "counted": _number(category.counted),
            "min": _number(category.minimum),
            "max": _number(category.maximum),
            "per": category.per,
            "capped": category.capped,
            "missing": _number(category.missing),
            "sub_caps": {
                cap.code: {
                    "raw": _number(cap.raw),
                    "counted": _number(cap.counted),
                    "max": _number(cap.maximum),
                }
                for cap in category.sub_caps
            },
        }
        for category in categories
    }


def _period_dict(period: PeriodResult) -> dict[str, Any]:
    return {
        "number": period.number,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "total_raw": _number(period.total_raw),
        "total_counted": _number(period.total_counted),
        "required_total": _number(period.required_total),
        "compliant": period.compliant,
        "categories": _categories_dict(period.categories),
    }


# --- time frame ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Span:
    number: int | None
    start: dt.date
    end: dt.date


class _Frame:
    """The periods and cycle of a candidate's scheme, and where a date falls in them.

    anniversary: CPD year k runs from the day after the (k-1)th anniversary of the exam through the kth
    anniversary (inclusive); the years listed end with the one containing ``as_of``.
    window: the N years before the recertification date, [date - N years, date - 1 day].
    fixed_cycle: N yearly periods from the cycle start, [start + (k-1) years, start + k years - 1 day].
    """

    __slots__ = ("periods", "cycle", "current", "first_start", "last_end", "_ends")

    def __init__(self, definition: SchemeDefinition, anchor: dt.date, as_of: dt.date) -> None:
        model = definition.cycle.model
        years = definition.cycle.years or 0  # validation guarantees years for the window and fixed models
        self.cycle: _Span | None = None
        self.periods: list[_Span] = []
        if model == "anniversary":
            current = as_of.year - anchor.year
            if as_of > add_years(anchor, current):
                current += 1
            self.periods = [
                _Span(number, add_years(anchor, number - 1) + ONE_DAY, add_years(anchor, number))
                for number in range(1, max(current, 1) + 1)
            ]
        elif model == "window":
            self.cycle = _Span(None, add_years(anchor, -years), anchor - ONE_DAY)
        else:
            self.periods = [
                _Span(number, add_years(anchor, number - 1), add_years(anchor, number) - ONE_DAY)
                for number in range(1, years + 1)
            ]
            self.cycle = _Span(None, anchor, self.periods[-1].end)
        spans = self.periods or [self.cycle]
        self.first_start = spans[0].start
        self.last_end = spans[-1].end
        self._ends = [span.end for span in self.periods]
        # The position of the period containing as_of; on or before an exam date, the first year ahead.
        self.current = next(
            (i for i, span in enumerate(self.periods) if span.start <= as_of <= span.end), None
        )
        if model == "anniversary" and self.current is None:
            self.current = 0

    def locate(self, day: dt.date) -> tuple[str, int | None]:
        """``(ELIGIBLE, period number or None)``, or ``(BEFORE|AFTER, None)`` outside the frame."""
        if day < self.first_start:
            return BEFORE, None
        if day > self.last_end:
            return AFTER, None
        if not self._ends:
            return ELIGIBLE, None
        return ELIGIBLE, bisect_left(self._ends, day) + 1

    def span(self, number: int | None) -> _Span:
        if number is None:
            assert self.cycle is not None
            return self.cycle
        return self.periods[number - 1]


# --- evaluation ----------------------------------------------------------------------------------------


class _Work:
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


class _Cap(NamedTuple):
    """One cap as applied: a sub-cap or a category maximum, in period ``number`` or the cycle (None)."""

    tag: str  # "sub_cap" or "category"
    code: str
    per: str
    maximum: Decimal
    number: int | None


def _canonical_key(work: _Work) -> tuple:
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


def _check_context(
    definition: SchemeDefinition, context: CandidateContext
) -> tuple[dt.date, Designation | None]:
    """The context's anchor date and designation; a ``ContextError`` saying which field is wrong."""
    anchor = ANCHOR_FIELDS[definition.cycle.model]
    for name in ("as_of", anchor):
        value = getattr(context, name)
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ContextError(f"The {definition.code} scheme needs {name} as a calendar date.")
    anchor_date = getattr(context, anchor)
    if context.dossier_kind not in DOSSIER_KINDS:
        raise ContextError(
            f'The dossier kind must be "initial" or "recertification", not "{context.dossier_kind}".'
        )
    designations = definition.index.designations
    if not designations:
        if context.designation is not None:
            raise ContextError(f"The {definition.code} scheme has no designations.")
        return anchor_date, None
    if context.designation is None:
        raise ContextError(f"The {definition.code} scheme needs a designation: {', '.join(designations)}.")
    if context.designation not in designations:
        raise ContextError(
            f'Unknown designation "{context.designation}"; expected one of {", ".join(designations)}.'
        )
    return anchor_date, designations[context.designation]


def _bounds(definition: SchemeDefinition, designation: Designation | None) -> dict[tuple[str, str], tuple]:
    """``(category, per) → (min, max)``: the category's own bound, replaced by a designation's bound for
    the same scope."""
    bounds = {
        (category.code, category.per): (category.min, category.max) for category in definition.categories
    }
    if designation is not None:
        for bound in designation.category_bounds:
            bounds[(bound.category, bound.per)] = (bound.min, bound.max)
    return bounds


def _plans(definition: SchemeDefinition, bounds: Mapping[tuple[str, str], tuple]) -> dict[str, tuple]:
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


def evaluate(
    defn: SchemeDefinition, context: CandidateContext, activities: Sequence[ActivityInput], *, detail: bool = True
) -> Report:
    """Evaluate a candidate's activities against a scheme definition on ``context.as_of``.

    ``detail=False`` computes the same points and compliance but leaves out what only a person reads
    (explanations, problems, sections, reminders, per-activity results): for bulk previews.

    Every activity's points come from ``score`` (the function behind ``activity_points``). Activities
    that break a rule, are dated after ``as_of`` or outside the frame, or are not completed yet count for
    nothing and are explained. The rest pass through their caps (sub-cap, then category per period, then
    per cycle) in the canonical order.
    """
    anchor, designation = _check_context(defn, context)
    frame = _Frame(defn, anchor, context.as_of)
    as_of = context.as_of
    bounds = _bounds(defn, designation)
    plans = _plans(defn, bounds)
    types = defn.activity_types

    works = []
    for index, activity in enumerate(activities):
        points, problems = score(defn, activity)
        work = _Work(index, activity, points)
        works.append(work)
        if problems:
            work.status = REJECTED
            work.reasons = tuple(
                Message(
                    "activity-rejected",
                    gettext_noop("%(type)s on %(date)s does not count: %(problem)s."),
                    {"type": Ref("activity_type", activity.type), "date": activity.date, "problem": problem},
                )
                for problem in problems
            )
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
    works.sort(key=_canonical_key)

    # Raw and counted points per (period, category code) and per (period, sub-cap code); the two kinds of
    # code never collide (the definition validates that). The period is None for a window's only scope.
    raw: dict[tuple[int | None, str], Decimal] = {}
    counted: dict[tuple[int | None, str], Decimal] = {}
    remaining: dict[tuple, Decimal] = {}
    excess: dict[_Cap, Decimal] = {}
    cap_reasons: dict[_Cap, Message] = {}
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
                    binding = _Cap(tag, code, per, maximum, slot[2])
            for slot, left in slots:
                remaining[slot] = left - kept
        work.counted = kept
        for name in (category, sub_cap) if sub_cap is not None else (category,):
            slot = (period, name)
            raw[slot] = raw.get(slot, ZERO) + points
            counted[slot] = counted.get(slot, ZERO) + kept
        if binding is not None:
            excess[binding] = excess.get(binding, ZERO) + points - kept
            if binding not in cap_reasons:
                cap_reasons[binding] = _cap_reason(binding, category)
            work.reasons = (cap_reasons[binding],)

    explanations = [reason for work in works if work.status == REJECTED for reason in work.reasons] if detail else []
    if detail:
        explanations.extend(_date_explanations(works, frame, as_of))
    for binding, amount in excess.items() if detail else ():
        explanations.append(_cap_explanation(binding, amount, raw, frame))

    totals = designation.totals if designation else defn.totals
    periods = tuple(
        _scope_result(defn, bounds, "period", span, (span.number,), raw, counted, totals.period_min)
        for span in frame.periods
    )
    cycle = None
    if frame.cycle is not None:
        numbers = tuple(span.number for span in frame.periods) or (None,)
        cycle = _scope_result(
            defn,
            bounds,
            "cycle",
            frame.cycle,
            numbers,
            raw,
            counted,
            totals.cycle_min,
            all(period.compliant for period in periods),
        )

    current = None if frame.current is None else periods[frame.current]
    headline = current if defn.cycle.model == "anniversary" else cycle
    assert headline is not None
    deadline = current.end if current is not None else headline.end
    problems = _problems(defn, periods, cycle, current, as_of) if detail else []

    return Report(
        definition=defn,
        scheme=defn.code,
        version=defn.version,
        as_of=as_of,
        designation=context.designation,
        compliant=headline.compliant,
        total_counted=headline.total_counted,
        required_total=headline.required_total,
        deadline=deadline,
        categories=headline.categories,
        current_period=current.number if current is not None else None,
        periods=periods,
        cycle=cycle,
        consecutive_compliant_periods=_consecutive(periods, as_of) if periods else None,
        renewal=_renewal(defn, periods, as_of),
        sections=_sections(defn, context) if detail else (),
        activities=() if not detail else tuple(
            ActivityResult(
                index=work.index,
                ref=work.activity.ref,
                type=work.activity.type,
                date=work.activity.date,
                points=work.points,
                counted=work.counted,
                period=work.period,
                reasons=work.reasons,
            )
            for work in works
        ),
        explanations=tuple(explanations),
        problems=tuple(problems),
        reminders=_reminders(defn, context, cycle, current) if detail else (),
    )


def _scope_result(
    definition: SchemeDefinition,
    bounds: Mapping[tuple[str, str], tuple],
    per: str,
    span: _Span,
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


def _scope_ref(per: str) -> Ref:
    return Ref("period") if per == "period" else Ref("cycle")


def _cap_reason(cap: _Cap, category: str) -> Message:
    """The per-activity reason shown next to greyed-out points."""
    if cap.tag == "sub_cap":
        return Message(
            "sub-cap-reached",
            gettext_noop("The cap of %(maximum)s on %(sub_cap)s within %(category)s is reached."),
            {
                "maximum": cap.maximum,
                "sub_cap": Ref("sub_cap", cap.code),
                "category": Ref("category", category),
            },
        )
    return Message(
        "category-cap-reached",
        gettext_noop("The %(category)s cap of %(maximum)s per %(scope)s is reached."),
        {"category": Ref("category", cap.code), "maximum": cap.maximum, "scope": _scope_ref(cap.per)},
    )


def _cap_explanation(
    cap: _Cap, amount: Decimal, raw: Mapping[tuple[int | None, str], Decimal], frame: _Frame
) -> Message:
    """'4 of 19 Community points exceed the 15 per CPD year cap (CPD year 1 May 2025 – 30 April 2026).'"""
    span = frame.span(cap.number)
    numbers = (
        [cap.number] if cap.per == "period" or not frame.periods else [item.number for item in frame.periods]
    )
    scope_raw = sum((raw.get((number, cap.code), ZERO) for number in numbers), ZERO)
    params = {
        "excess": amount,
        "raw": scope_raw,
        "maximum": cap.maximum,
        "scope": _scope_ref(cap.per),
        "start": span.start,
        "end": span.end,
    }
    if cap.tag == "sub_cap":
        return Message(
            "sub-cap-excess",
            gettext_noop(
                "%(excess)s of %(raw)s %(sub_cap)s points exceed the cap of %(maximum)s "
                "(%(scope)s %(start)s – %(end)s)."
            ),
            {**params, "sub_cap": Ref("sub_cap", cap.code)},
        )
    return Message(
        "category-cap-excess",
        gettext_noop(
            "%(excess)s of %(raw)s %(category)s points exceed the %(maximum)s per %(scope)s cap "
            "(%(scope)s %(start)s – %(end)s)."
        ),
        {**params, "category": Ref("category", cap.code)},
    )


def _date_explanations(works: Sequence[_Work], frame: _Frame, as_of: dt.date) -> list[Message]:
    """One sentence per reason for points outside the frame, dated after ``as_of`` or not completed yet.

    Also gives each such activity its own short reason (shared message objects: they are all alike).
    """
    spans = frame.periods or [frame.span(None)]
    first, last = spans[0], spans[-1]
    scope = _scope_ref("period" if frame.periods else "cycle")
    before = {"scope": scope, "start": first.start, "end": first.end}
    after = {"scope": scope, "start": last.start, "end": last.end}
    reasons = {
        BEFORE: Message(
            "date-before-frame", gettext_noop("The date is before the %(scope)s %(start)s – %(end)s."), before
        ),
        AFTER: Message(
            "date-after-frame", gettext_noop("The date is after the %(scope)s %(start)s – %(end)s."), after
        ),
        FUTURE: Message("date-after-as-of", gettext_noop("The date is after %(as_of)s."), {"as_of": as_of}),
        INCOMPLETE: Message("awarded-on-completion", gettext_noop("Points are awarded on completion.")),
    }
    sums: dict[tuple[str, str], Decimal] = {}
    for work in works:
        if work.status in reasons:
            work.reasons = (reasons[work.status],)
            group = (work.status, work.activity.type if work.status == INCOMPLETE else "")
            sums[group] = sums.get(group, ZERO) + (work.points or ZERO)
    messages = []
    for (status, type_code), points in sums.items():
        if status == BEFORE:
            messages.append(
                Message(
                    "points-before-frame",
                    gettext_noop(
                        "%(points)s points dated before %(start)s do not count: they fall outside the "
                        "%(scope)s %(start)s – %(end)s."
                    ),
                    {"points": points, **before},
                )
            )
        elif status == AFTER:
            messages.append(
                Message(
                    "points-after-frame",
                    gettext_noop(
                        "%(points)s points dated after %(end)s do not count: they fall outside the %(scope)s "
                        "%(start)s – %(end)s."
                    ),
                    {"points": points, **after},
                )
            )
        elif status == FUTURE:
            messages.append(
                Message(
                    "points-after-as-of",
                    gettext_noop("%(points)s points dated after %(as_of)s do not count yet."),
                    {"points": points, "as_of": as_of},
                )
            )
        else:
            messages.append(
                Message(
                    "points-not-completed",
                    gettext_noop(
                        "%(points)s %(type)s points do not count yet: they are awarded on completion."
                    ),
                    {"points": points, "type": Ref("activity_type", type_code)},
                )
            )
    return messages


def _shortfalls(result: PeriodResult, per: str, as_of: dt.date) -> list[Message]:
    """What is still missing in one period or cycle, in the future tense until its last day has passed."""
    scope = _scope_ref(per)
    past = as_of > result.end
    messages = []
    for category in result.categories:
        if not category.missing:
            continue
        params = {
            "missing": category.missing,
            "category": Ref("category", category.code),
            "deadline": result.end,
            "scope": scope,
            "minimum": category.minimum,
            "counted": category.counted,
        }
        if past:
            template = gettext_noop(
                "The %(scope)s ending %(deadline)s needed at least %(minimum)s %(category)s "
                "points and had %(counted)s."
            )
        elif category.missing == 1:
            template = gettext_noop(
                "Add %(missing)s more %(category)s point by %(deadline)s: the %(scope)s needs "
                "at least %(minimum)s."
            )
        else:
            template = gettext_noop(
                "Add %(missing)s more %(category)s points by %(deadline)s: the %(scope)s needs "
                "at least %(minimum)s."
            )
        messages.append(Message("category-short", template, params))
    required = result.required_total
    if required is not None and result.total_counted < required:
        missing = required - result.total_counted
        params = {
            "missing": missing,
            "deadline": result.end,
            "scope": scope,
            "required": required,
            "counted": result.total_counted,
        }
        if past:
            template = gettext_noop(
                "The %(scope)s ending %(deadline)s needed %(required)s points that count and had %(counted)s."
            )
        elif missing == 1:
            template = gettext_noop(
                "Add %(missing)s more point that counts by %(deadline)s: the %(scope)s needs "
                "%(required)s and has %(counted)s."
            )
        else:
            template = gettext_noop(
                "Add %(missing)s more points that count by %(deadline)s: the %(scope)s needs "
                "%(required)s and has %(counted)s."
            )
        messages.append(Message("total-short", template, params))
    return messages


def _problems(
    definition: SchemeDefinition,
    periods: Sequence[PeriodResult],
    cycle: PeriodResult | None,
    current: PeriodResult | None,
    as_of: dt.date,
) -> list[Message]:
    """What is still missing: in the current CPD year (anniversary), in the cycle (window), or for a fixed
    cycle in every year that has ended or is under way, and in the cycle as a whole."""
    model = definition.cycle.model
    if model == "anniversary":
        assert current is not None
        return _shortfalls(current, "period", as_of)
    messages = []
    if model == "fixed_cycle":
        for period in periods:
            if period.start <= as_of:
                messages.extend(_shortfalls(period, "period", as_of))
    assert cycle is not None
    messages.extend(_shortfalls(cycle, "cycle", as_of))
    return messages


def _consecutive(periods: Sequence[PeriodResult], as_of: dt.date) -> int:
    """The run of compliant periods ending with the last period that ended on or before ``as_of``."""
    run = 0
    for period in periods:
        if period.end > as_of:
            break
        run = run + 1 if period.compliant else 0
    return run


def _renewal(
    definition: SchemeDefinition, periods: Sequence[PeriodResult], as_of: dt.date
) -> RenewalStatus | None:
    renewal = definition.cycle.renewal
    if renewal is None:
        return None
    run = _consecutive(periods, as_of)
    return RenewalStatus(
        consecutive_required=renewal.consecutive_periods,
        consecutive=run,
        eligible=run >= renewal.consecutive_periods,
        extends_by_years=renewal.extends_by_years,
    )


def _section_requirement(
    section: Section, context: CandidateContext, reference: dt.date
) -> SectionRequirement:
    """Whether a section is required on the reference date, and the year-table numbers that apply."""
    if (
        section.only_if_level_changed
        and context.dossier_kind == "recertification"
        and not context.level_changed
    ):
        return SectionRequirement(
            code=section.code,
            required=False,
            exempt=False,
            reason=Message(
                "section-level-unchanged", gettext_noop("Only required when recertifying at a changed level.")
            ),
        )
    if section.required_from is not None and reference < section.required_from:
        return SectionRequirement(
            code=section.code,
            required=False,
            exempt=False,
            reason=Message(
                "section-not-yet-required",
                gettext_noop("Required for recertification dates from %(date)s."),
                {"date": section.required_from},
            ),
        )
    for exemption in section.exemptions:
        if exemption.start <= reference <= exemption.end:
            return SectionRequirement(
                code=section.code,
                required=False,
                exempt=True,
                reason=Message(
                    "section-exempt",
                    gettext_noop("Exempt for recertification dates from %(start)s to %(end)s."),
                    {"start": exemption.start, "end": exemption.end},
                ),
            )
    if section.year_table is not None:
        values = section.year_table.values_for(reference.year)
        if values is None:
            return SectionRequirement(
                code=section.code,
                required=False,
                exempt=False,
                reason=Message(
                    "section-before-table",
                    gettext_noop("Not required for recertification years before %(year)s."),
                    {"year": str(section.year_table.rows[0].from_year)},
                ),
            )
        return SectionRequirement(code=section.code, required=True, exempt=False, values=values)
    return SectionRequirement(code=section.code, required=True, exempt=False)


def _sections(definition: SchemeDefinition, context: CandidateContext) -> tuple[SectionRequirement, ...]:
    """The sections of this dossier kind, judged on the recertification date (window schemes) or ``as_of``."""
    reference = context.recertification_date if definition.cycle.model == "window" else context.as_of
    assert reference is not None
    return tuple(
        _section_requirement(section, context, reference)
        for section in definition.sections
        if context.dossier_kind in section.applies_to
    )


def _shift(anchor: dt.date, offset: Offset) -> dt.date:
    amount = offset.amount if offset.direction == "after" else -offset.amount
    return anchor + dt.timedelta(days=amount) if offset.unit == "days" else add_months(anchor, amount)


def _reminders(
    definition: SchemeDefinition,
    context: CandidateContext,
    cycle: PeriodResult | None,
    current: PeriodResult | None,
) -> tuple[ReminderDue, ...]:
    """Reminders due on ``as_of``: per rule and anchor date, the latest offset whose day has come.

    A "before" offset is due from its day until the anchor date; an "after" offset from its day on. Only
    the latest due offset is returned, so a scan that missed days does not send a burst of reminders.
    """
    as_of = context.as_of
    anchors: dict[str, list[tuple[dt.date, bool]]] = {
        "period_end": [(current.end, current.compliant)] if current is not None else [],
        "cycle_end": [(cycle.end, cycle.compliant)] if cycle is not None else [],
        "recertification_date": (
            [(context.recertification_date, cycle.compliant)]
            if cycle is not None and context.recertification_date is not None
            else []
        ),
    }
    due = []
    for reminder in definition.reminders:
        for anchor, compliant in anchors[reminder.anchor]:
            if reminder.condition == "not_compliant" and compliant:
                continue
            if reminder.condition == "dossier_not_submitted" and context.dossier_submitted:
                continue
            candidates = [
                (_shift(anchor, offset), offset)
                for offset in reminder.offsets
                if _shift(anchor, offset) <= as_of and (offset.direction == "after" or as_of <= anchor)
            ]
            if candidates:
                send_on, offset = max(candidates, key=lambda item: item[0])
                due.append(
                    ReminderDue(code=reminder.code, anchor_date=anchor, send_on=send_on, offset=offset)
                )
    return tuple(due)
