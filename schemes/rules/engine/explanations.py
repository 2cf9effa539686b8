"""Explanations and problems: a sentence for every point that did not count, and for what is missing.

Every message is a ``Message`` with an English template marked by ``gettext_noop``; the reader's language
is applied later by ``render_message``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..activities import ActivityInput
from ..definition import SchemeDefinition
from ..messages import Message, Ref, gettext_noop
from .frame import AFTER, BEFORE, FUTURE, INCOMPLETE, Frame
from .report import CategoryResult, PeriodResult

if TYPE_CHECKING:
    from .allocation import Cap, Work

ZERO = Decimal(0)


def scope_ref(per: str) -> Ref:
    return Ref("period") if per == "period" else Ref("cycle")


def rejection_reasons(activity: ActivityInput, problems: Sequence[Message]) -> tuple[Message, ...]:
    """One reason per rule a rejected activity breaks."""
    return tuple(
        Message(
            "activity-rejected",
            gettext_noop("%(type)s on %(date)s does not count: %(problem)s."),
            {"type": Ref("activity_type", activity.type), "date": activity.date, "problem": problem},
        )
        for problem in problems
    )


def cap_reason(cap: Cap, category: str) -> Message:
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
        {"category": Ref("category", cap.code), "maximum": cap.maximum, "scope": scope_ref(cap.per)},
    )


def cap_explanation(
    cap: Cap, amount: Decimal, raw: Mapping[tuple[int | None, str], Decimal], frame: Frame
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
        "scope": scope_ref(cap.per),
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


def frame_edges(frame: Frame) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parameters naming the first and the last scope of the frame."""
    spans = frame.periods or [frame.span(None)]
    first, last = spans[0], spans[-1]
    scope = scope_ref("period" if frame.periods else "cycle")
    return (
        {"scope": scope, "start": first.start, "end": first.end},
        {"scope": scope, "start": last.start, "end": last.end},
    )


def date_reasons(
    before: Mapping[str, Any], after: Mapping[str, Any], as_of: dt.date
) -> dict[str, tuple[Message, ...]]:
    """Per status outside the frame, dated after ``as_of`` or not completed: the activity's own short reason."""
    return {
        BEFORE: (
            Message(
                "date-before-frame", gettext_noop("The date is before the %(scope)s %(start)s – %(end)s."), before
            ),
        ),
        AFTER: (
            Message("date-after-frame", gettext_noop("The date is after the %(scope)s %(start)s – %(end)s."), after),
        ),
        FUTURE: (Message("date-after-as-of", gettext_noop("The date is after %(as_of)s."), {"as_of": as_of}),),
        INCOMPLETE: (Message("awarded-on-completion", gettext_noop("Points are awarded on completion.")),),
    }


def date_explanations(works: Sequence[Work], frame: Frame, as_of: dt.date) -> list[Message]:
    """One sentence per reason for points outside the frame, dated after ``as_of`` or not completed yet.

    Also gives each such activity its own short reason (shared message objects: they are all alike).
    """
    before, after = frame_edges(frame)
    reasons = date_reasons(before, after, as_of)
    sums: dict[tuple[str, str], Decimal] = {}
    for work in works:
        if work.status in reasons:
            work.reasons = reasons[work.status]
            group = (work.status, work.activity.type if work.status == INCOMPLETE else "")
            sums[group] = sums.get(group, ZERO) + (work.points or ZERO)
    return [
        uncounted(status, type_code, points, before, after, as_of) for (status, type_code), points in sums.items()
    ]


def uncounted(
    status: str,
    type_code: str,
    points: Decimal,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    as_of: dt.date,
) -> Message:
    """The sentence for all the points that do not count for one date reason (or one type not completed)."""
    if status == BEFORE:
        return Message(
            "points-before-frame",
            gettext_noop(
                "%(points)s points dated before %(start)s do not count: they fall outside the "
                "%(scope)s %(start)s – %(end)s."
            ),
            {"points": points, **before},
        )
    if status == AFTER:
        return Message(
            "points-after-frame",
            gettext_noop(
                "%(points)s points dated after %(end)s do not count: they fall outside the %(scope)s "
                "%(start)s – %(end)s."
            ),
            {"points": points, **after},
        )
    if status == FUTURE:
        return Message(
            "points-after-as-of",
            gettext_noop("%(points)s points dated after %(as_of)s do not count yet."),
            {"points": points, "as_of": as_of},
        )
    return Message(
        "points-not-completed",
        gettext_noop("%(points)s %(type)s points do not count yet: they are awarded on completion."),
        {"points": points, "type": Ref("activity_type", type_code)},
    )


def shortfalls(result: PeriodResult, per: str, as_of: dt.date) -> list[Message]:
    """What is still missing in one period or cycle, in the future tense until its last day has passed."""
    scope = scope_ref(per)
    past = as_of > result.end
    messages = [
        _category_short(category, result.end, scope, past) for category in result.categories if category.missing
    ]
    required = result.required_total
    if required is not None and result.total_counted < required:
        messages.append(_total_short(result, required, scope, past))
    return messages


def _category_short(category: CategoryResult, deadline: dt.date, scope: Ref, past: bool) -> Message:
    params = {
        "missing": category.missing,
        "category": Ref("category", category.code),
        "deadline": deadline,
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
    return Message("category-short", template, params)


def _total_short(result: PeriodResult, required: Decimal, scope: Ref, past: bool) -> Message:
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
    return Message("total-short", template, params)


def problems(
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
        return shortfalls(current, "period", as_of)
    messages = []
    if model == "fixed_cycle":
        for period in periods:
            if period.start <= as_of:
                messages.extend(shortfalls(period, "period", as_of))
    assert cycle is not None
    messages.extend(shortfalls(cycle, "cycle", as_of))
    return messages
