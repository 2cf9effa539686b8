"""Scheme definitions and the pure rules engine (no Django imports; standard library only).

The Django layer calls exactly the names below; docs/rules-engine.md describes the format and semantics.
"""

from .activities import ActivityInput, ActivityPoints, activity_points, check_activity, describe_formula
from .dates import add_months, add_years
from .definition import (
    ChoiceRequirement,
    DeclarationRequirement,
    DefinitionError,
    DocumentRequirement,
    Offset,
    PointsSummaryRequirement,
    QuestionsRequirement,
    SchemeDefinition,
    Section,
    StatementField,
    StatementRequirement,
    dump_definition,
    load_definition,
)
from .diff import Change, diff_definitions
from .engine import (
    ActivityResult,
    CandidateContext,
    CategoryResult,
    ContextError,
    PeriodResult,
    ReminderDue,
    RenewalStatus,
    Report,
    SectionRequirement,
    SubCapResult,
    evaluate,
)
from .fields import LocalText
from .messages import Message, Ref, format_date, format_number, gettext_noop, render_message
from .payload import PayloadError, evaluate_payload
from .shipped import shipped_definition, shipped_definitions

__all__ = [
    "ActivityInput",
    "ActivityPoints",
    "ActivityResult",
    "CandidateContext",
    "CategoryResult",
    "Change",
    "ChoiceRequirement",
    "ContextError",
    "DeclarationRequirement",
    "DefinitionError",
    "DocumentRequirement",
    "LocalText",
    "Message",
    "Offset",
    "PayloadError",
    "PeriodResult",
    "PointsSummaryRequirement",
    "QuestionsRequirement",
    "Ref",
    "ReminderDue",
    "RenewalStatus",
    "Report",
    "SchemeDefinition",
    "Section",
    "SectionRequirement",
    "StatementField",
    "StatementRequirement",
    "SubCapResult",
    "activity_points",
    "add_months",
    "add_years",
    "check_activity",
    "describe_formula",
    "diff_definitions",
    "dump_definition",
    "evaluate",
    "evaluate_payload",
    "format_date",
    "format_number",
    "gettext_noop",
    "load_definition",
    "render_message",
    "shipped_definition",
    "shipped_definitions",
]
