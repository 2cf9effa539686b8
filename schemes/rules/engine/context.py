"""Who is evaluated, and when: the candidate context, and the check that it fits the scheme."""

from __future__ import annotations

import datetime as dt

from ..definition import DOSSIER_KINDS, Designation, SchemeDefinition
from ..fields import frame

# The context date each cycle model counts from.
ANCHOR_FIELDS = {
    "anniversary": "exam_passed_on",
    "window": "recertification_date",
    "fixed_cycle": "cycle_start",
}


class ContextError(ValueError):
    """The candidate context does not fit the scheme (a missing anchor date, an unknown designation...).

    ``field`` names the context field at fault (``recertification_date``, ``designation``...), so a caller
    can say what to enter.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@frame
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



def anchor_field(definition: SchemeDefinition) -> str:
    """The context date the scheme's cycle counts from: ``exam_passed_on`` (anniversary years),
    ``recertification_date`` (a window before it) or ``cycle_start`` (a fixed cycle)."""
    return ANCHOR_FIELDS[definition.cycle.model]


def anchor_date(definition: SchemeDefinition, context: CandidateContext) -> dt.date:
    """The context's anchor date, after checking it and ``as_of`` are calendar dates (``ContextError``)."""
    anchor = ANCHOR_FIELDS[definition.cycle.model]
    for name in ("as_of", anchor):
        value = getattr(context, name)
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ContextError(f"The {definition.code} scheme needs {name} as a calendar date.", field=name)
    day: dt.date = getattr(context, anchor)
    return day


def check_context(
    definition: SchemeDefinition, context: CandidateContext
) -> tuple[dt.date, Designation | None]:
    """The context's anchor date and designation; a ``ContextError`` saying which field is wrong."""
    anchor = anchor_date(definition, context)
    if context.dossier_kind not in DOSSIER_KINDS:
        raise ContextError(
            f'The dossier kind must be "initial" or "recertification", not "{context.dossier_kind}".',
            field="dossier_kind",
        )
    designations = definition.index.designations
    if not designations:
        if context.designation is not None:
            raise ContextError(f"The {definition.code} scheme has no designations.", field="designation")
        return anchor, None
    if context.designation is None:
        raise ContextError(
            f"The {definition.code} scheme needs a designation: {', '.join(designations)}.", field="designation"
        )
    if context.designation not in designations:
        raise ContextError(
            f'Unknown designation "{context.designation}"; expected one of {", ".join(designations)}.',
            field="designation",
        )
    return anchor, designations[context.designation]
