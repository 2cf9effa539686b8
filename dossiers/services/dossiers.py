"""Dossiers: starting one, saving a section's answers, and the completeness checklist.

The checklist (`dossier_checklist`) is the one place that decides what a dossier still lacks. It reads
the scheme version the dossier was started under, asks the rules engine (through portfolios.reports) which
sections apply on the dossier's reference date and with which numbers, and compares that with what the
professional has entered, uploaded and had signed. The dossier page, the submit page and the submission
itself all use it, so they can never disagree.

A section's answers live in `DossierSection.data` as `{"requirements": {<requirement code>: {...}}}`:

- questions: `{"answers": {<question code>: text}, "references": [part of the profile, ...]}`
- declaration: `{"ticked": {<checkbox code>: ISO timestamp of the tick}}`
- choice: `{"selected": [<option code>, ...]}`

Documents are `Evidence` rows (section + requirement code) and statements are `StatementRequest` rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import audit_record
from dossiers.models import Dossier, DossierSection, Evidence, StatementRequest
from dossiers.requirements import CountLine, Held, kind_of
from portfolios import reports
from portfolios.models import Certification
from schemes import rules
from schemes.models import SchemeVersion
from schemes.rules import (
    ChoiceRequirement,
    PointsSummaryRequirement,
    Section,
)

# Audit action codes written by this module (code → label, sentence); accounts/audit.py words events.
AUDIT_ACTIONS = {
    "dossier.start": (gettext_lazy("Dossier started"),
                      gettext_lazy("Started a %(kind)s dossier for certificate %(certification)s "
                                   "(requirements as of %(reference_date)s)")),
}

KINDS = ("recertification", "initial")
KIND_LABELS = {"recertification": gettext_lazy("recertification"), "initial": gettext_lazy("initial certification")}


def yearly(definition: rules.SchemeDefinition, kind: str) -> bool:
    """Whether a dossier of `kind` is the scheme's yearly submission (an anniversary scheme's recertification
    dossier is one CPD year's record, PeopleCert), rather than a recertification dossier."""
    return kind == "recertification" and rules.yearly_returns(definition) and bool(definition.cycle.period_label)


def submission_kind(definition: rules.SchemeDefinition, kind: str) -> str:
    """What the scheme calls this kind of submission, in a phrase: "CPD year record" (a yearly one, in the
    scheme's own name for its period), "recertification dossier", "initial certification dossier"."""
    if yearly(definition, kind):
        return _("%(period)s record") % {"period": reports.label(definition.cycle.period_label)}
    return _("%(kind)s dossier") % {"kind": KIND_LABELS.get(kind, kind)}


def submission_title(definition: rules.SchemeDefinition, kind: str, reference_date: dt.date) -> str:
    """The submission's title, wherever the professional sees it (the dossier and submit pages, the PDF, the
    e-mails): "Record for the CPD year to 30 April 2026" for a yearly one, else "Recertification dossier"."""
    if yearly(definition, kind):
        return _("Record for the %(period)s to %(date)s") % {
            "period": reports.label(definition.cycle.period_label), "date": reports.date(reference_date)}
    words = submission_kind(definition, kind)
    return words[:1].upper() + words[1:]


def dossier_title(dossier: Dossier) -> str:
    return submission_title(dossier.scheme_version.rules, dossier.kind, dossier.reference_date)


# A choice requirement offering both options decides the engine's `level_changed` (CMI "level-change").
LEVEL_SAME, LEVEL_CHANGED = "same", "changed"
# The checklist item shown for a scheme with point rules but no points-summary section in its definition.
POINTS_SECTION = "points"

EMPTY, DRAFT, COMPLETE, EXEMPT, NOT_REQUIRED = "empty", "draft", "complete", "exempt", "not_required"
STATE_LABELS = {
    EMPTY: gettext_lazy("Not started"),
    DRAFT: gettext_lazy("Draft"),
    COMPLETE: gettext_lazy("Complete"),
    EXEMPT: gettext_lazy("Exempt for this date"),
    NOT_REQUIRED: gettext_lazy("Not required"),
}
STATEMENT_STATE_LABELS = {
    "requested": gettext_lazy("Waiting for signature"),
    "expired": gettext_lazy("Link expired"),
    "signed": gettext_lazy("Signed"),
    "declined": gettext_lazy("Declined"),
    "withdrawn": gettext_lazy("Withdrawn"),
}


# --- membership and reference dates ----------------------------------------------------------------------

def membership_problem(certification: Certification, definition: rules.SchemeDefinition,
                       today: dt.date | None = None) -> str | None:
    """Why the CPD route is closed for this certification, or None.

    A scheme with prerequisites (PeopleCert Plus) needs the certification's membership to run through today.
    """
    if not definition.prerequisites:
        return None
    today = today or timezone.localdate()
    prerequisite = reports.label(definition.prerequisites[0].label, definition.prerequisites[0].code)
    until = certification.membership_valid_until
    if until is None:
        return _("%(prerequisite)s is needed before CPD can be submitted, and none is recorded for certificate "
                 "%(number)s. Ask your organisation to record your membership.") % {
            "prerequisite": prerequisite, "number": certification.number}
    if until < today:
        return _("%(prerequisite)s is needed before CPD can be submitted: yours lapsed on %(date)s. Renew it, "
                 "then try again.") % {"prerequisite": prerequisite, "date": reports.date(until)}
    return None


def kinds_offered(definition: rules.SchemeDefinition) -> list[str]:
    """Recertification always; an initial certification dossier when the scheme has sections just for it."""
    offered = ["recertification"]
    if any(section.applies_to == ("initial",) for section in definition.sections):
        offered.append("initial")
    return offered


def _reference_date(certification: Certification, definition: rules.SchemeDefinition, kind: str,
                    today: dt.date) -> dt.date:
    """The date the dossier's requirements are judged on (the engine decides: the recertification date, the
    current CPD year's deadline or the cycle's end; today for an initial one)."""
    try:
        return reports.dossier_reference_date(certification, definition, kind, today)
    except rules.ContextError as error:
        raise ValidationError(reports.context_problem(certification, error), code="no_date") from error


def covered_certifications(dossier: Dossier) -> list[Certification]:
    """The certificates one submission covers: with per-series submission, every certificate of the series
    the person holds under the scheme (PeopleCert); otherwise the dossier's own certificate."""
    definition = dossier.scheme_version.rules
    if not (definition.product_series and definition.product_series.per_series and dossier.product_series):
        return [dossier.certification]
    return list(Certification.objects.for_organisation(dossier.organisation_id)
                .filter(holder_id=dossier.owner_id, product_series=dossier.product_series,
                        scheme_version__code=dossier.scheme_version.code)
                .exclude(status=Certification.Status.WITHDRAWN).order_by("number"))


def year_problem(certification: Certification, definition: rules.SchemeDefinition, year_end: dt.date,
                 today: dt.date) -> ValidationError | None:
    """Why the CPD year ending on `year_end` cannot be started now, or None (a yearly submission only).

    SCHEMES.md: each CPD year's points are due by its anniversary (only activities dated in the year count),
    and N consecutive compliant years renew the certificate. So a past year that was not submitted stays open
    while it can still be one of the N consecutive years ending with the current one (`first_open_year_end`);
    an older one has closed ("closed"). A date that is not a CPD year's end of this certificate is no year at
    all ("no_year"), and a year already submitted is not started again ("submitted").
    """
    try:
        current = _reference_date(certification, definition, "recertification", today)
        is_year_end = _reference_date(certification, definition, "recertification", year_end) == year_end
    except ValidationError as error:
        return error
    period = reports.label(definition.cycle.period_label)
    if not yearly(definition, "recertification") or not is_year_end or year_end > current:
        return ValidationError(_("Certificate %(number)s has no %(period)s ending on %(date)s.") % {
            "number": certification.number, "period": period, "date": reports.date(year_end)}, code="no_year")
    submitted = Dossier.objects.for_organisation(certification.organisation_id).filter(
        owner_id=certification.holder_id, reference_date=year_end, kind="recertification",
        product_series=certification.product_series, scheme_version__code=certification.scheme_version.code
    ).exclude(status=Dossier.Status.DRAFT).exists()
    if submitted:
        return ValidationError(_("The record for the %(period)s to %(date)s has already been submitted.")
                               % {"period": period, "date": reports.date(year_end)}, code="submitted")
    if year_end < first_open_year_end(definition, current):
        return ValidationError(_("The %(period)s to %(date)s has closed: it can no longer count in a chain of "
                                 "consecutive years with the current one, so it can no longer be submitted.")
                               % {"period": period, "date": reports.date(year_end)}, code="closed")
    return None


def first_open_year_end(definition: rules.SchemeDefinition, current: dt.date) -> dt.date:
    """The end of the oldest CPD year that may still be submitted, given the current year's end: with a renewal
    by N consecutive years (PeopleCert: 3), the N − 1 years before the current one stay open, since a late
    record of them can still complete a chain with it; without one, only the current year is open."""
    renewal = definition.cycle.renewal
    return rules.add_years(current, -(renewal.consecutive_periods - 1)) if renewal else current


@transaction.atomic
def dossier_start(*, certification: Certification, by: User, kind: str = "recertification",
                  today: dt.date | None = None, year_end: dt.date | None = None) -> tuple[Dossier, bool]:
    """Start (or find) the draft dossier for a certification; returns (dossier, created).

    The dossier keeps the scheme version in force today. With per-series submission (PeopleCert) one
    dossier per product series and deadline covers all of the person's certificates of that series, so
    starting from a second certificate of the series opens the existing one. Refused while a required
    membership has lapsed. `year_end` chooses the CPD year of a yearly submission (refused with the reason
    from `year_problem` when that year cannot be submitted); without it, the current one.
    """
    today = today or timezone.localdate()
    organisation = certification.organisation
    if certification.holder_id != by.pk:
        raise ValidationError(_("Only the holder of a certificate can start its dossier."), code="not_holder")
    if certification.status == Certification.Status.WITHDRAWN:
        raise ValidationError(_("Certificate %(number)s was withdrawn; it cannot be recertified.")
                              % {"number": certification.number}, code="withdrawn")
    code = certification.scheme_version.code
    version = (SchemeVersion.objects.for_organisation(organisation).current(code, on=today)
               or certification.scheme_version)
    definition = version.rules
    if kind not in kinds_offered(definition):
        raise ValidationError(_("This scheme has no dossier of that kind."), code="kind")
    problem = membership_problem(certification, definition, today)
    if problem:
        raise ValidationError(problem, code="membership")
    reference = _reference_date(certification, definition, kind, today)
    if year_end is not None and year_end != reference:
        problem_year = year_problem(certification, definition, year_end, today)
        if problem_year is not None:
            raise problem_year
        reference = year_end
    series = certification.product_series
    existing = Dossier.objects.for_organisation(organisation).filter(
        owner=by, kind=kind, reference_date=reference, product_series=series, scheme_version__code=code)
    if not (definition.product_series and definition.product_series.per_series and series):
        existing = existing.filter(certification=certification)
    found = existing.select_related("certification").order_by("pk").first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(organisation=organisation, owner=by, certification=certification,
                                             scheme_version=version, kind=kind, reference_date=reference,
                                             product_series=series)
    except IntegrityError:  # a double click: the other request created it first
        return existing.get(certification=certification), False
    dossier_sections_ensure(dossier=dossier, definition=definition)
    audit_record(organisation=organisation, actor=by, action="dossier.start", dossier=dossier.pk,
                 certification=certification.number, kind=kind, reference_date=reference.isoformat())
    return dossier, True


def dossier_sections_ensure(*, dossier: Dossier, definition: rules.SchemeDefinition | None = None
                            ) -> dict[str, DossierSection]:
    """One DossierSection row per section of the dossier's kind (uploads attach to its primary key)."""
    definition = definition or dossier.scheme_version.rules
    rows = {row.code: row for row in DossierSection.objects.for_organisation(dossier.organisation_id)
            .filter(dossier=dossier)}
    missing = [DossierSection(organisation_id=dossier.organisation_id, dossier=dossier, code=section.code)
               for section in definition.sections
               if dossier.kind in section.applies_to and section.code not in rows]
    if missing:
        DossierSection.objects.bulk_create(missing, ignore_conflicts=True)
        rows = {row.code: row for row in DossierSection.objects.for_organisation(dossier.organisation_id)
                .filter(dossier=dossier)}
    return rows


# --- saving a section ------------------------------------------------------------------------------------

def section_definition(definition: rules.SchemeDefinition, code: str) -> Section | None:
    return next((section for section in definition.sections if section.code == code), None)


def lock_draft(dossier: Dossier, *, section: str | None = None) -> Dossier:
    """Lock the dossier row for the rest of the transaction; refuse if it is no longer a draft (or, with
    `section`, if that section is not one a request for information reopened)."""
    locked = Dossier.objects.for_organisation(dossier.organisation_id).select_for_update().get(pk=dossier.pk)
    if locked.section_locked(section) if section is not None else locked.is_locked:
        raise ValidationError(_("This dossier has been submitted and can no longer be changed."), code="locked")
    return locked


@transaction.atomic
def dossier_section_save(*, dossier: Dossier, code: str, values: dict[str, dict[str, Any]], by: User
                         ) -> DossierSection:
    """Save what the professional entered in one section (a draft: incomplete answers are fine).

    `values` maps requirement codes to {"answers": {question: text}, "references": [text]} (questions),
    {"ticked": [checkbox codes]} (declaration) or {"selected": [option codes]} (choice). A declaration
    keeps the moment each box was first ticked; unticking removes it.
    """
    lock_draft(dossier, section=code)
    definition = dossier.scheme_version.rules
    section = section_definition(definition, code)
    if section is None or dossier.kind not in section.applies_to:
        raise ValidationError(_("This dossier has no section %(code)s.") % {"code": code}, code="section")
    row, _created = DossierSection.objects.for_organisation(dossier.organisation_id).get_or_create(
        organisation_id=dossier.organisation_id, dossier=dossier, code=code)
    stored = dict((row.data or {}).get("requirements", {}))
    now = timezone.now().isoformat()
    for requirement in section.requirements:
        given = values.get(requirement.code)
        if given is None:
            continue
        save = kind_of(requirement).save
        if save is not None:
            stored[requirement.code] = save(requirement, given, stored.get(requirement.code) or {}, now)
    row.data = {**(row.data or {}), "requirements": stored}
    row.save(update_fields=["data", "updated_at"])
    return row


def level_changed(definition: rules.SchemeDefinition, rows: dict[str, DossierSection]) -> bool:
    """Whether the professional said they recertify at a changed level (a same/changed choice)."""
    for section in definition.sections:
        for requirement in section.requirements:
            if isinstance(requirement, ChoiceRequirement) and {
                    LEVEL_SAME, LEVEL_CHANGED} <= {option.code for option in requirement.options}:
                row = rows.get(section.code)
                selected = ((row.data or {}).get("requirements", {}).get(requirement.code, {}).get("selected", [])
                            if row else [])
                if LEVEL_CHANGED in selected:
                    return True
    return False


def dossier_report(dossier: Dossier, definition: rules.SchemeDefinition, activities: list[rules.ActivityInput],
                   *, level_changed: bool = False, today: dt.date | None = None) -> rules.Report:
    """The engine's report for the dossier, judged on its own reference date (the engine's `judged_on`:
    as of min(today, reference date), and for window schemes the window before that date, so a later change
    to the certificate's recertification date does not move the goalposts of a dossier already under way).
    """
    return reports.evaluate_certification(dossier.certification, definition, activities,
                                          today or timezone.localdate(), reference_date=dossier.reference_date,
                                          dossier_kind=dossier.kind, level_changed=level_changed)


# --- the checklist ---------------------------------------------------------------------------------------

@dataclass
class RequirementState:
    spec: Any
    kind: str
    code: str
    label: str
    description: str
    data: dict[str, Any] = field(default_factory=dict)
    complete: bool = False
    started: bool = False
    missing: list[str] = field(default_factory=list)
    statements: list[StatementRequest] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    counts: list[CountLine] = field(default_factory=list)
    signer: str = ""
    summary: str = ""  # the kind's state in a few words, for the badge (points: "62 of 75 PE points; 13 to go")
    upload: dict[str, Any] | None = None  # set by the section page for the shared evidence drop zone


@dataclass
class SectionState:
    code: str
    label: str
    description: str
    state: str
    reason: str = ""
    row: DossierSection | None = None
    requirements: list[RequirementState] = field(default_factory=list)
    synthetic: bool = False
    values: dict[str, int] = field(default_factory=dict)

    @property
    def state_label(self) -> str:
        """The badge's words: the requirements' own summary when each gives one (a points section: "62 of 75
        PE points; 13 to go"), otherwise the state (Not started, Draft, Complete, …)."""
        summaries = [requirement.summary for requirement in self.requirements]
        if self.required and summaries and all(summaries):
            return " · ".join(summaries)
        return str(STATE_LABELS[self.state])

    @property
    def required(self) -> bool:
        return self.state not in (EXEMPT, NOT_REQUIRED)

    @property
    def missing(self) -> list[str]:
        return [item for requirement in self.requirements for item in requirement.missing]

    @property
    def points_only(self) -> bool:
        return all(requirement.kind == "points_summary" for requirement in self.requirements)

    @property
    def has_text(self) -> bool:
        return any(requirement.kind == "questions" for requirement in self.requirements)

    @property
    def has_form(self) -> bool:
        return any(requirement.kind in ("questions", "declaration", "choice") for requirement in self.requirements)


@dataclass
class CategoryLine:
    label: str
    raw: Decimal
    counted: Decimal
    minimum: Decimal | None
    maximum: Decimal | None
    missing: Decimal

    @property
    def uncounted(self) -> Decimal:
        return self.raw - self.counted


@dataclass
class PointsSummary:
    """The engine's report in words and numbers, for the points section and the dossier page."""

    unit: str
    scope: str
    start: dt.date | None
    end: dt.date | None
    counted: Decimal
    required: Decimal | None
    compliant: bool
    categories: list[CategoryLine]
    problems: list[str]
    explanations: list[str]


@dataclass
class Checklist:
    dossier: Dossier
    definition: rules.SchemeDefinition
    report: rules.Report | None
    sections: list[SectionState]
    points: PointsSummary | None
    problems: list[str]
    covered: list[Certification]
    activities: list[rules.ActivityInput]

    @property
    def missing(self) -> list[str]:
        """Everything that stands between the dossier and submission, as sentences."""
        items = list(self.problems)
        for section in self.sections:
            if section.required:
                items.extend(f"{section.label}: {item}" for item in section.missing)
        return items

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def series_label(self) -> str:
        """The dossier's product series as the scheme names it (PeopleCert: "ITIL 4")."""
        series = self.definition.product_series.series if self.definition.product_series else ()
        code = self.dossier.product_series
        return next((reports.label(item.label, item.code) for item in series if item.code == code), code)

    @property
    def statements(self) -> list[StatementRequest]:
        return [s for section in self.sections for r in section.requirements for s in r.statements]


def statement_state(statement: StatementRequest, now: dt.datetime | None = None) -> str:
    """requested / expired / signed / declined / withdrawn (expiry is computed, not stored)."""
    if statement.status == StatementRequest.Status.REQUESTED and statement.expires_at <= (now or timezone.now()):
        return "expired"
    return statement.status


def _requirement_state(requirement: Any, data: dict[str, Any], statements: list[StatementRequest],
                       evidence: list[Evidence], values: dict[str, int], points: PointsSummary | None
                       ) -> RequirementState:
    state = RequirementState(spec=requirement, kind=requirement.KIND, code=requirement.code,
                             label=reports.label(requirement.label, requirement.code),
                             description=reports.label(requirement.description), data=data)
    kind_of(requirement).state(state, requirement, Held(data, statements, evidence, values, points))
    return state


def points_summary(report: rules.Report, definition: rules.SchemeDefinition) -> PointsSummary:
    """The report's current scope (the engine's `scope`: the CPD year or the cycle) in words."""
    labels = {category.code: category.label for category in definition.categories}
    scope = report.scope
    return PointsSummary(
        unit=reports.label(definition.points.label_plural), scope=reports.label(definition.cycle.scope_label),
        start=scope.start, end=scope.end,
        counted=report.total_counted, required=report.required_total, compliant=report.compliant,
        categories=[CategoryLine(reports.label(labels.get(c.code), c.code), c.raw, c.counted, c.minimum, c.maximum,
                                 c.missing) for c in report.categories],
        problems=[reports.say(message, definition) for message in report.problems],
        explanations=[reports.say(message, definition) for message in report.explanations])


def dossier_checklist(dossier: Dossier, *, today: dt.date | None = None) -> Checklist:
    """What the dossier holds and lacks, section by section (a fixed number of queries).

    `dossier` should come with `certification` and `scheme_version` loaded (select_related).
    """
    today = today or timezone.localdate()
    organisation_id = dossier.organisation_id
    definition = dossier.scheme_version.rules
    rows = {row.code: row for row in DossierSection.objects.for_organisation(organisation_id).filter(dossier=dossier)}
    statements = list(StatementRequest.objects.for_organisation(organisation_id).filter(dossier=dossier)
                      .order_by("created_at", "pk"))
    now = timezone.now()
    for statement in statements:  # for the templates: the computed state and its words
        statement.state = statement_state(statement, now)
        statement.state_label = str(STATEMENT_STATE_LABELS[statement.state])
    evidence = list(Evidence.objects.for_organisation(organisation_id).filter(section__dossier=dossier)
                    .select_related("section").order_by("uploaded_at", "pk"))
    activities = reports.owner_activities(dossier.organisation, dossier.owner_id)
    problems: list[str] = []
    report: rules.Report | None = None
    points: PointsSummary | None = None
    try:
        report = dossier_report(dossier, definition, activities, level_changed=level_changed(definition, rows),
                                today=today)
    except rules.ContextError as error:
        problems.append(reports.context_problem(dossier.certification, error))
    else:
        points = points_summary(report, definition)
    if dossier.kind == "recertification":
        problem = membership_problem(dossier.certification, definition, today)
        if problem:
            problems.append(problem)
    engine_sections = {item.code: item for item in report.sections} if report else {}
    sections: list[SectionState] = []
    has_points_section = False
    for section in definition.sections:
        if dossier.kind not in section.applies_to:
            continue
        requirement = engine_sections.get(section.code) or rules.SectionRequirement(
            code=section.code, required=True, exempt=False)
        row = rows.get(section.code)
        data = (row.data or {}).get("requirements", {}) if row else {}
        values = dict(requirement.values)
        state = SectionState(code=section.code, label=reports.label(section.label, section.code),
                             description=reports.label(section.description), state=EMPTY, row=row, values=values,
                             reason=reports.say(requirement.reason, definition) if requirement.reason else "")
        for spec in section.requirements:
            has_points_section |= spec.KIND == "points_summary"
            state.requirements.append(_requirement_state(
                spec, data.get(spec.code, {}),
                [s for s in statements if s.section_code == section.code and s.requirement_code == spec.code],
                [e for e in evidence if e.section.code == section.code and e.requirement_code == spec.code],
                values, points))
        if requirement.exempt:
            state.state = EXEMPT
        elif not requirement.required:
            state.state = NOT_REQUIRED
        elif all(item.complete for item in state.requirements):
            state.state = COMPLETE
        elif any(item.started for item in state.requirements):
            state.state = DRAFT
        sections.append(state)
    if definition.categories and not has_points_section:
        sections.append(_synthetic_points_section(definition, points))
    points_checked = any(section.required and any(r.kind == "points_summary" for r in section.requirements)
                         for section in sections)
    if report is not None and not report.compliant and not points_checked:
        # The engine has the last word even when the points section is exempt or absent.
        problems.extend(points.problems if points and points.problems
                        else [_("The points do not meet the scheme's requirements yet.")])
    return Checklist(dossier=dossier, definition=definition, report=report, sections=sections, points=points,
                     problems=problems, covered=covered_certifications(dossier), activities=activities)


def _synthetic_points_section(definition: rules.SchemeDefinition, points: PointsSummary | None) -> SectionState:
    """A points checklist item for schemes whose definition has point rules but no points-summary section."""
    scope = reports.label(definition.cycle.scope_label)
    unit = reports.label(definition.points.label_plural)
    label = _("%(unit)s for the %(scope)s") % {"unit": unit[:1].upper() + unit[1:], "scope": scope}
    spec = PointsSummaryRequirement(code=POINTS_SECTION, label=rules.LocalText({"en": label}))
    requirement = _requirement_state(spec, {}, [], [], {}, points)
    requirement.label = label
    state = COMPLETE if requirement.complete else (DRAFT if requirement.started else EMPTY)
    return SectionState(code=POINTS_SECTION, label=label, description="", state=state, requirements=[requirement],
                        synthetic=True)
