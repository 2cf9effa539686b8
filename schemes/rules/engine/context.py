"""Who is evaluated, and when: the candidate context, and the check that it fits the scheme."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..definition import DOSSIER_KINDS, Designation, SchemeDefinition

FRAME = dataclass(frozen=True, slots=True, kw_only=True)
# The context date each cycle model counts from.
ANCHOR_FIELDS = {
    "anniversary": "exam_passed_on",
    "window": "recertification_date",
    "fixed_cycle": "cycle_start",
}


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



def check_context(
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

