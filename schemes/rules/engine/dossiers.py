"""What a dossier is judged on: its reference date, the context it is evaluated in while under way, and
whether a submitted one covers a candidate today.

The Django side stores a dossier's reference date when the dossier is started and asks these functions
instead of reasoning about cycle models itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from ..definition import SchemeDefinition
from .context import CandidateContext, check_context
from .frame import Frame


def reference_date(defn: SchemeDefinition, context: CandidateContext) -> dt.date:
    """The date a dossier of ``context.dossier_kind`` started on ``context.as_of`` is judged on.

    An initial certification: ``as_of``. A recertification: the recertification date (window schemes:
    the window is the N years before it), the last day of the current CPD year (anniversary), or the
    last day of the cycle (fixed cycle). Raises ``ContextError`` when the context does not fit the scheme
    (for a recertification: a missing anchor date or designation).
    """
    if context.dossier_kind == "initial":
        return context.as_of
    anchor, _designation = check_context(defn, context)
    model = defn.cycle.model
    if model == "window":
        return anchor
    frame = Frame(defn, anchor, context.as_of)
    if model == "anniversary":
        assert frame.current is not None
        return frame.periods[frame.current].end
    assert frame.cycle is not None
    return frame.cycle.end


def judged_on(defn: SchemeDefinition, context: CandidateContext, reference: dt.date) -> CandidateContext:
    """The context of a dossier judged on ``reference`` (its reference date, fixed when it was started).

    It is evaluated as of the earlier of ``as_of`` and that date; a window scheme's window ends before
    that date, so a later change to the certificate's recertification date does not move the goalposts of
    a dossier already under way.
    """
    if defn.cycle.model == "window":
        return dataclasses.replace(context, as_of=min(context.as_of, reference), recertification_date=reference)
    return dataclasses.replace(context, as_of=min(context.as_of, reference))


def dossier_covers(defn: SchemeDefinition, context: CandidateContext, reference: dt.date) -> bool:
    """Whether a submitted recertification dossier judged on ``reference`` covers the candidate on
    ``context.as_of``: one for the recertification date itself (window schemes), else one whose deadline
    has not passed yet."""
    if defn.cycle.model == "window":
        return reference == context.recertification_date
    return reference >= context.as_of
