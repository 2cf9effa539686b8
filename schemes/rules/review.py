"""Which submissions go to an assessor: the scheme's review sample (pure, deterministic).

A scheme without a ``review.sample`` has every submission assessed. With one, a submission is selected when a
rule says so (the candidate's first submission, a previous negative outcome, unusually many points in a short
time) or when the seeded draw falls inside the percentage; the rest are accepted on the rules alone. The draw
is the SHA-256 of ``seed`` (the caller passes something fixed per submission, such as its snapshot digest)
read as a number from 0 to 9,999, so the same submission always gets the same answer and anyone can check it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from decimal import Decimal

from .definition import SchemeDefinition
from .fields import frame

FIRST_SUBMISSION = "first_submission"
PREVIOUS_NEGATIVE = "previous_negative"
MANY_POINTS = "many_points"
DRAWN = "drawn"
ALL_ASSESSED = "all_assessed"
NOT_COMPLIANT = "not_compliant"
SELECTION_REASONS = (ALL_ASSESSED, NOT_COMPLIANT, FIRST_SUBMISSION, PREVIOUS_NEGATIVE, MANY_POINTS, DRAWN)


@frame
class SampleFacts:
    """What the sampling rules look at. ``activities``: (date, points) of the submitted activities;
    ``compliant``: whether the engine found the submission compliant (one that is not is always assessed)."""

    submitted_on: dt.date
    first_submission: bool
    previous_negative: bool
    activities: Sequence[tuple[dt.date, Decimal]] = ()
    compliant: bool = True


@frame
class Selection:
    """``assessed``: whether an assessor reviews the submission; ``reasons``: every reason that applies, in
    the order of ``SELECTION_REASONS`` (empty when it is accepted on the rules); ``draw``: the seeded number
    (0–9,999) compared with the percentage, ``None`` when the scheme has no sample."""

    assessed: bool
    reasons: tuple[str, ...]
    draw: int | None


def sample_draw(seed: str) -> int:
    """A number from 0 to 9,999 fixed by ``seed``."""
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big") % 10_000


def points_in_window(facts: SampleFacts, days: int) -> Decimal:
    """The points of activities dated in the ``days`` up to and including the submission day."""
    start = facts.submitted_on - dt.timedelta(days=days - 1)
    return sum((points for day, points in facts.activities if start <= day <= facts.submitted_on), Decimal(0))


def review_selection(definition: SchemeDefinition, facts: SampleFacts, seed: str) -> Selection:
    """Whether this submission is assessed, and why."""
    sample = definition.review.sample
    if sample is None:
        return Selection(assessed=True, reasons=(ALL_ASSESSED,), draw=None)
    reasons: list[str] = []
    if not facts.compliant:
        reasons.append(NOT_COMPLIANT)
    if sample.first_submission and facts.first_submission:
        reasons.append(FIRST_SUBMISSION)
    if sample.previous_negative and facts.previous_negative:
        reasons.append(PREVIOUS_NEGATIVE)
    many = sample.many_points
    if many is not None and points_in_window(facts, many.days) >= many.points:
        reasons.append(MANY_POINTS)
    draw = sample_draw(seed)
    if draw < sample.percent * 100:
        reasons.append(DRAWN)
    return Selection(assessed=bool(reasons), reasons=tuple(reasons), draw=draw)


def working_days_after(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days (Monday to Friday) after ``start``."""
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day
