"""The time frame of an evaluation: the candidate's periods and cycle, and where a date falls in them."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from dataclasses import dataclass

from ..activities import EARLIEST_ACTIVITY_DATE
from ..dates import add_years
from ..definition import SchemeDefinition
from .context import CandidateContext, ContextError, anchor_date

ONE_DAY = dt.timedelta(days=1)
# An activity dated this many years before the candidate's frame starts is implausible, not early CPD.
YEARS_BEFORE_FRAME = 10

# What became of an activity before the caps: only eligible ones reach them.
ELIGIBLE = "eligible"
REJECTED = "rejected"  # it breaks a rule of its own (bounds, step, attribute, unknown type)
FUTURE = "future"  # dated after as_of
BEFORE = "before"  # dated before the first period or the window
AFTER = "after"  # dated after the last period or the window
INCOMPLETE = "incomplete"  # awarded on completion, not completed yet


@dataclass(frozen=True, slots=True)
class Span:
    number: int | None
    start: dt.date
    end: dt.date


class Frame:
    """The periods and cycle of a candidate's scheme, and where a date falls in them.

    anniversary: CPD year k runs from the day after the (k-1)th anniversary of the exam through the kth
    anniversary (inclusive); the years listed end with the one containing ``as_of``.
    window: the N years before the recertification date, [date - N years, date - 1 day].
    fixed_cycle: N yearly periods from the cycle start, [start + (k-1) years, start + k years - 1 day].
    """

    __slots__ = ("periods", "cycle", "current", "first_start", "last_end", "period_ends")

    def __init__(self, definition: SchemeDefinition, anchor: dt.date, as_of: dt.date) -> None:
        model = definition.cycle.model
        years = definition.cycle.years or 0  # validation guarantees years for the window and fixed models
        self.cycle: Span | None = None
        self.periods: list[Span] = []
        if model == "anniversary":
            current = as_of.year - anchor.year
            if as_of > add_years(anchor, current):
                current += 1
            self.periods = [
                Span(number, add_years(anchor, number - 1) + ONE_DAY, add_years(anchor, number))
                for number in range(1, max(current, 1) + 1)
            ]
        elif model == "window":
            self.cycle = Span(None, add_years(anchor, -years), anchor - ONE_DAY)
        else:
            self.periods = [
                Span(number, add_years(anchor, number - 1), add_years(anchor, number) - ONE_DAY)
                for number in range(1, years + 1)
            ]
            self.cycle = Span(None, anchor, self.periods[-1].end)
        spans = self.periods
        if not spans:
            assert self.cycle is not None  # a window: its cycle is its only scope
            spans = [self.cycle]
        self.first_start = spans[0].start
        self.last_end = spans[-1].end
        self.period_ends = [span.end for span in self.periods]  # sorted: a date's period by bisection
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
        if not self.period_ends:
            return ELIGIBLE, None
        return ELIGIBLE, bisect_left(self.period_ends, day) + 1

    def span(self, number: int | None) -> Span:
        if number is None:
            assert self.cycle is not None
            return self.cycle
        return self.periods[number - 1]

    @property
    def earliest(self) -> dt.date:
        """The earliest plausible activity date: 1 January 1970, or 10 years before the frame starts."""
        return max(EARLIEST_ACTIVITY_DATE, add_years(self.first_start, -YEARS_BEFORE_FRAME))


def earliest_activity_date(defn: SchemeDefinition, context: CandidateContext | None = None) -> dt.date:
    """The earliest date an activity of the candidate can plausibly have: the later of 1 January 1970 and
    10 years before the start of the candidate's frame (its first CPD year, its window or its cycle). When
    the context lacks the date the scheme counts from (or there is none), 1 January 1970."""
    if context is None:
        return EARLIEST_ACTIVITY_DATE
    try:
        anchor = anchor_date(defn, context)
    except ContextError:
        return EARLIEST_ACTIVITY_DATE
    return Frame(defn, anchor, context.as_of).earliest
