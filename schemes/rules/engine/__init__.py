"""The rules engine: a scheme definition, a candidate context and activities in; a report out.

Split along its seams: ``context`` (who is evaluated, and when), ``frame`` (periods and cycle),
``allocation`` (statuses, caps, per-scope totals), ``explanations`` (why points did not count, what is
missing), ``sections``, ``reminders``, ``report`` (the result and its JSON form) and ``evaluation`` (the
steps in order). The Django side imports these names from ``schemes.rules``, never from here.
"""

from .context import ANCHOR_FIELDS, CandidateContext, ContextError, anchor_field
from .dossiers import dossier_covers, judged_on, reference_date
from .evaluation import evaluate
from .frame import earliest_activity_date
from .reminders import ReminderWindow, reminder_window
from .report import (
    ActivityResult,
    CategoryResult,
    PeriodResult,
    ReminderDue,
    RenewalStatus,
    Report,
    SectionRequirement,
    SubCapResult,
)

__all__ = [
    "ANCHOR_FIELDS",
    "ActivityResult",
    "CandidateContext",
    "CategoryResult",
    "ContextError",
    "PeriodResult",
    "ReminderDue",
    "ReminderWindow",
    "RenewalStatus",
    "Report",
    "SectionRequirement",
    "SubCapResult",
    "anchor_field",
    "dossier_covers",
    "earliest_activity_date",
    "evaluate",
    "judged_on",
    "reference_date",
    "reminder_window",
]
