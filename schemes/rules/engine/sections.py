"""Dossier sections: which apply to the dossier kind, and what each asks for on the reference date."""

from __future__ import annotations

import datetime as dt

from ..definition import SchemeDefinition, Section
from ..messages import Message, gettext_noop
from .context import CandidateContext
from .report import SectionRequirement


def section_requirement(
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


def sections(definition: SchemeDefinition, context: CandidateContext) -> tuple[SectionRequirement, ...]:
    """The sections of this dossier kind, judged on the recertification date (window schemes) or ``as_of``."""
    reference = context.recertification_date if definition.cycle.model == "window" else context.as_of
    assert reference is not None
    return tuple(
        section_requirement(section, context, reference)
        for section in definition.sections
        if context.dossier_kind in section.applies_to
    )

