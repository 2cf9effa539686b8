"""The activity log: add, change and delete activities, and what the rules engine says about them.

One activity counts toward every certification of the professional (in the organisation) whose scheme
knows its type code. Every number comes from the engine through portfolios.reports: the catalogue of
types (labels, units, formulas, evidence), the per-certification reports behind the list and the live
preview, and the rule checks enforced on save. Changes are keyword-only, atomic and audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Organisation, User
from accounts.services import audit_record
from accounts.storage import stored_files_delete_on_commit
from portfolios import reports
from portfolios.models import Activity, Certification
from schemes import rules
from schemes.rules import ActivityResult, Message, Report, SchemeDefinition

# action code → (label for filters, sentence with %(name)s parameters from the event's data).
# For accounts/audit.py ACTIONS (the lead merges them there).
AUDIT_ACTIONS = {
    "activity.create": (gettext_lazy("Activity added"),
                        gettext_lazy("Added the activity “%(title)s” (%(type)s) dated %(date)s")),
    "activity.update": (gettext_lazy("Activity changed"),
                        gettext_lazy("Changed the activity “%(title)s” (%(type)s) dated %(date)s")),
    "activity.delete": (gettext_lazy("Activity deleted"),
                        gettext_lazy("Deleted the activity “%(title)s” (%(type)s) dated %(date)s")),
}

CANDIDATE = "candidate"  # the ref of the activity being previewed in the engine's input
COMPLETED = "completed"  # the attribute of types awarded on completion
# Engine reasons for an activity that falls in no period or cycle (or is rejected outright).
OUTSIDE_EVERY_SCOPE = frozenset({"activity-rejected", "date-before-frame", "date-after-frame", "date-after-as-of"})


# --- certifications and the definitions their numbers come from ---------------------------------------

@dataclass(frozen=True)
class CertificationRules:
    """A certification of the professional and the scheme definition in force for it today."""

    certification: Certification
    definition: rules.SchemeDefinition
    scheme_label: str

    @property
    def label(self) -> str:
        return _("%(scheme)s, certificate %(number)s") % {"scheme": self.scheme_label,
                                                            "number": self.certification.number}


def certifications_with_rules(*, organisation: Organisation, owner: User,
                              on: dt.date | None = None) -> list[CertificationRules]:
    """The professional's certifications (not withdrawn) with the version in force: two queries.

    The same selection as the dashboard, so the list's totals and the dashboard's cards agree.
    """
    return [CertificationRules(certification, version.rules, version.label)
            for certification, version in reports.held_certifications(organisation, owner, on)]


# --- the catalogue of activity types across the professional's schemes ---------------------------------

@dataclass(frozen=True)
class TypeInScheme:
    """How one scheme counts a type: the category, the formula and the evidence that counts."""

    definition: rules.SchemeDefinition
    scheme: str
    category_code: str
    category: str
    formula: str
    evidence_required: str  # "one", "all" or "none"
    evidence_items: tuple[tuple[str, str], ...]  # (label, description)

    @property
    def evidence_rule(self) -> str:
        if self.evidence_required == "all":
            return _("Upload all of these:")
        if self.evidence_required == "one":
            return _("Upload one of these:")
        return _("Not required. If you keep a record, it can be:")


@dataclass(frozen=True)
class TypeInfo:
    """An activity type as the form needs it, merged over the schemes that define its code."""

    code: str
    label: str
    unit_label: str
    whole: bool
    attributes: tuple[Any, ...]  # the definitions' attribute objects (code, label, type, required, min, max)
    awarded_on_completion: bool
    schemes: tuple[TypeInScheme, ...]

    @property
    def requires_evidence(self) -> bool:
        return any(scheme.evidence_required != "none" for scheme in self.schemes)


class TypeCatalogue:
    """The activity types of all the professional's schemes, grouped by scheme and category.

    A code two schemes define is one type (one activity counts toward both); it appears once under each
    scheme in the form's select, and its labels, unit and attributes come from the first scheme.
    """

    def __init__(self, certifications: Sequence[CertificationRules], on: dt.date | None = None) -> None:
        # The earliest date an activity can have (the engine's bound; the most lenient certification's).
        self.earliest = reports.earliest_activity_date(
            ((item.certification, item.definition) for item in certifications), on or timezone.localdate())
        self.definitions: list[tuple[str, rules.SchemeDefinition]] = []
        seen: set[str] = set()
        for item in certifications:
            if item.definition.code not in seen:
                seen.add(item.definition.code)
                self.definitions.append((item.scheme_label, item.definition))
        self.types: dict[str, TypeInfo] = {}
        self.choices: list[tuple[str, list[tuple[str, str]]]] = []
        self.categories: list[tuple[str, str, frozenset[str]]] = []  # (value, label, type codes)
        several = len(self.definitions) > 1
        for scheme_label, definition in self.definitions:
            for category in definition.categories:
                category_label = reports.label(category.label, category.code)
                codes = [code for code, item in definition.activity_types.items() if item.category == category.code]
                group = f"{scheme_label}: {category_label}" if several else category_label
                self.categories.append((f"{definition.code}:{category.code}", group, frozenset(codes)))
                options = []
                for code in codes:
                    self._add(code, definition, scheme_label, category_label)
                    options.append((code, reports.label(definition.activity_types[code].label, code)))
                options.sort(key=lambda option: option[1].casefold())
                if options:
                    self.choices.append((group, options))

    def _add(self, code: str, definition: rules.SchemeDefinition, scheme_label: str, category_label: str) -> None:
        activity_type = definition.activity_types[code]
        evidence = activity_type.evidence
        in_scheme = TypeInScheme(
            definition=definition, scheme=scheme_label, category_code=activity_type.category,
            category=category_label, formula=reports.say(rules.describe_formula(definition, code), definition),
            evidence_required=evidence.required,
            evidence_items=tuple((reports.label(item.label, item.code), reports.label(item.description))
                                 for item in evidence.items))
        known = self.types.get(code)
        if known is None:
            unit = definition.index.units[activity_type.formula.unit]
            self.types[code] = TypeInfo(
                code=code, label=reports.label(activity_type.label, code), unit_label=reports.label(unit.label),
                whole=unit.whole, attributes=tuple(activity_type.attributes),
                awarded_on_completion=activity_type.awarded_on_completion, schemes=(in_scheme,))
            return
        codes = {attribute.code for attribute in known.attributes}
        extra = tuple(attribute for attribute in activity_type.attributes if attribute.code not in codes)
        self.types[code] = TypeInfo(
            code=code, label=known.label, unit_label=known.unit_label, whole=known.whole,
            attributes=known.attributes + extra,
            awarded_on_completion=known.awarded_on_completion or activity_type.awarded_on_completion,
            schemes=(*known.schemes, in_scheme))

    def get(self, code: str | None) -> TypeInfo | None:
        return self.types.get(code or "")

    def label(self, code: str) -> str:
        info = self.types.get(code)
        return info.label if info else code

    def requiring_evidence(self) -> set[str]:
        return {code for code, info in self.types.items() if info.requires_evidence}


# --- what the engine says ---------------------------------------------------------------------------------

@dataclass
class CertificationProgress:
    """One certification's report over the professional's whole log (or why it cannot be evaluated)."""

    rules: CertificationRules  # (shadows the module `rules` inside this class: the engine's types are named below)
    report: Report | None
    problem: str = ""
    results: dict[Hashable, ActivityResult] = field(default_factory=dict)

    @property
    def definition(self) -> SchemeDefinition:
        return self.rules.definition

    def say(self, message: Message) -> str:
        return reports.say(message, self.rules.definition)


def certification_progress(*, certifications: Sequence[CertificationRules],
                           activities: Sequence[rules.ActivityInput],
                           as_of: dt.date | None = None) -> list[CertificationProgress]:
    """Each certification's engine report, with its per-activity results by activity id (no queries)."""
    as_of = as_of or timezone.localdate()
    found = []
    for item in certifications:
        try:
            report = reports.evaluate_certification(item.certification, item.definition, activities, as_of)
        except rules.ContextError as error:
            found.append(CertificationProgress(item, None, reports.context_problem(item.certification, error)))
            continue
        found.append(CertificationProgress(item, report, results={r.ref: r for r in report.activities}))
    return found


def scope_label(definition: rules.SchemeDefinition, period: rules.PeriodResult) -> str:
    """"CPD year 1 May 2025 – 30 April 2026" / "Recertification period 1 June 2023 – 31 May 2027"."""
    text = definition.cycle.period_label if period.number is not None else definition.cycle.cycle_label
    name = reports.label(text) or _("period")
    return _("%(scope)s %(start)s – %(end)s") % {"scope": name[:1].upper() + name[1:],
                                                 "start": reports.date(period.start),
                                                 "end": reports.date(period.end)}


def points_summary(points: Decimal | None, counted: Decimal, reasons: Iterable[str]) -> tuple[str, str]:
    """(state, sentence): "6 points, all count" / "6 points, 2 count: The Community cap … is reached."."""
    why = " ".join(reasons)
    if points is None:
        return "rejected", _("Does not count: %(reasons)s") % {"reasons": why} if why else _("Does not count.")
    values = {"points": reports.number(points), "counted": reports.number(counted), "reasons": why}
    count = int(points) if points == points.to_integral_value() else 2
    if counted >= points:
        return "all", ngettext("%(points)s point, it counts", "%(points)s points, all count", count) % values
    if counted == 0:
        if why:
            return "none", ngettext("%(points)s point, it does not count: %(reasons)s",
                                    "%(points)s points, none count: %(reasons)s", count) % values
        return "none", ngettext("%(points)s point, it does not count",
                                "%(points)s points, none count", count) % values
    if why:
        return "some", _("%(points)s points, %(counted)s count: %(reasons)s") % values
    return "some", _("%(points)s points, %(counted)s count") % values


# --- input and the checks every saved activity passes ---------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class ActivityData:
    """What a professional enters for one activity (the form's cleaned data)."""

    type_code: str
    date: dt.date
    quantity: Decimal
    title: str
    provider: str = ""
    description: str = ""
    reflection: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def as_input(self, ref: Hashable = CANDIDATE) -> rules.ActivityInput:
        return rules.ActivityInput(type=self.type_code, date=self.date, quantity=self.quantity,
                                   attributes=dict(self.attributes), ref=ref)

    def model_fields(self) -> dict[str, Any]:
        return {"type_code": self.type_code, "date": self.date, "quantity": self.quantity, "title": self.title,
                "provider": self.provider, "description": self.description, "reflection": self.reflection,
                "attributes": _json_attributes(self.attributes)}


@dataclass(frozen=True, kw_only=True)
class ActivityDraft:
    """A possibly incomplete activity from the form as it is being typed."""

    type_code: str = ""
    date: dt.date | None = None
    quantity: Decimal | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


def _json_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes as `Activity.attributes` stores them, in the engine's one encoding (`rules.attribute_json`):
    an integer attribute as a JSON integer, a decimal one as a string in plain notation ("2.5")."""
    return {name: rules.attribute_json(value) for name, value in attributes.items()
            if value is not None and value != ""}


def _problem_field(message: rules.Message) -> str:
    """The form field an engine problem belongs to: an attribute's own field, else the quantity."""
    if message.code.startswith("attribute-"):
        ref = message.params.get("attribute")
        if isinstance(ref, rules.Ref):
            return f"attr_{ref.code}"
    if message.code.startswith(("quantity-", "points-")):
        return "quantity"
    return NON_FIELD_ERRORS


def rule_problems(catalogue: TypeCatalogue, candidate: rules.ActivityInput) -> dict[str, list[str]]:
    """The rules the activity breaks on its own, worded, per form field; the scheme named when several
    schemes count the type (PeopleCert: "16 points is above the per-activity maximum of 15")."""
    info = catalogue.get(candidate.type)
    found: dict[str, list[str]] = {}
    if info is None:
        return found
    for scheme in info.schemes:
        for message in scheme_problems(scheme.definition, candidate):
            text = reports.say(message, scheme.definition)
            if len(info.schemes) > 1:
                text = _("%(scheme)s: %(problem)s") % {"scheme": scheme.scheme, "problem": text}
            text = text[:1].upper() + text[1:]
            texts = found.setdefault(_problem_field(message), [])
            if text not in texts:
                texts.append(text)
    return found


def scheme_problems(definition: rules.SchemeDefinition, candidate: rules.ActivityInput) -> list[rules.Message]:
    """The rules an activity breaks under one scheme, leaving out its date: `date_problems` checks that once,
    for all the person's schemes alike."""
    return [message for message in rules.check_activity(definition, candidate)
            if not message.code.startswith("date-")]


def date_problems(day: dt.date, *, today: dt.date, earliest: dt.date = rules.EARLIEST_ACTIVITY_DATE) -> list[str]:
    """What is wrong with an activity's date (the engine's `check_activity_date`: not before `earliest`, not
    in the future), worded."""
    return [capfirst(reports.say(message, None))
            for message in rules.check_activity_date(day, today=today, earliest=earliest)]


def draft_problems(*, catalogue: TypeCatalogue, draft: ActivityDraft, today: dt.date | None = None
                   ) -> dict[str, list[str]]:
    """The rule problems of an activity as far as it has been filled in, worded, per form field."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if draft.date is not None and (texts := date_problems(draft.date, today=today, earliest=catalogue.earliest)):
        errors["date"] = texts
    if catalogue.get(draft.type_code) is not None and draft.quantity is not None:
        candidate = rules.ActivityInput(type=draft.type_code, date=draft.date or today, quantity=draft.quantity,
                                        attributes=dict(draft.attributes), ref=CANDIDATE)
        errors.update(rule_problems(catalogue, candidate))
    return errors


def activity_check(*, catalogue: TypeCatalogue, data: ActivityData, today: dt.date | None = None) -> None:
    """Raise a ValidationError (per field, worded) unless the activity can be saved as entered."""
    if catalogue.get(data.type_code) is None:
        raise ValidationError({"type_code": [_("Choose an activity type of one of your certifications.")]})
    errors = draft_problems(catalogue=catalogue, today=today, draft=ActivityDraft(
        type_code=data.type_code, date=data.date, quantity=data.quantity, attributes=data.attributes))
    if errors:
        raise ValidationError(errors)


def _locked_error() -> ValidationError:
    return ValidationError(_("This activity is part of a submitted dossier, so it can no longer be changed or "
                             "deleted."), code="locked")


def _audit_data(activity: Activity) -> dict[str, Any]:
    return {"activity": activity.pk, "type": activity.type_code, "title": activity.title,
            "date": activity.date.isoformat()}


@transaction.atomic
def activity_create(*, organisation: Organisation, owner: User, data: ActivityData,
                    catalogue: TypeCatalogue | None = None) -> Activity:
    """Log an activity after the rule checks (type of one of the owner's schemes, not in the future, the
    scheme's own limits such as 0.5–15 points or at least 1,500 words). Raises ValidationError."""
    if catalogue is None:
        catalogue = TypeCatalogue(certifications_with_rules(organisation=organisation, owner=owner))
    activity_check(catalogue=catalogue, data=data)
    activity = Activity.objects.create(organisation=organisation, owner=owner, **data.model_fields())
    audit_record(organisation=organisation, actor=owner, action="activity.create", **_audit_data(activity))
    return activity


def _locked_for_update(activity: Activity) -> Activity:
    """The row again, locked, so a submission taking it cannot slip in between check and write."""
    current = (Activity.objects.for_organisation(activity.organisation_id).select_for_update()
               .get(pk=activity.pk, owner_id=activity.owner_id))
    if current.is_locked:
        raise _locked_error()
    return current


@transaction.atomic
def activity_update(*, activity: Activity, data: ActivityData, by: User,
                    catalogue: TypeCatalogue | None = None) -> Activity:
    """Change an activity that is not locked by a submitted dossier; same checks as on create."""
    current = _locked_for_update(activity)
    if catalogue is None:
        catalogue = TypeCatalogue(certifications_with_rules(organisation=current.organisation, owner=current.owner))
    activity_check(catalogue=catalogue, data=data)
    fields = data.model_fields()
    for name, value in fields.items():
        setattr(current, name, value)
    current.save(update_fields=[*fields, "updated_at"])
    audit_record(organisation=current.organisation, actor=by, action="activity.update", **_audit_data(current))
    return current


@transaction.atomic
def activity_delete(*, activity: Activity, by: User) -> None:
    """Delete an activity that is not locked, with its evidence files (removed from storage on commit)."""
    current = _locked_for_update(activity)
    names = list(current.evidence.filter(organisation=current.organisation_id).values_list("file", flat=True))
    data = _audit_data(current)
    current.delete()
    stored_files_delete_on_commit(names)
    audit_record(organisation=activity.organisation, actor=by, action="activity.delete", **data)


# --- the live preview ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreviewLine:
    """What the candidate activity would do for one certification."""

    certification: str
    state: str  # all, some, none, rejected
    summary: str
    scope: str = ""


@dataclass(frozen=True)
class Preview:
    lines: tuple[PreviewLine, ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def activity_preview(*, organisation: Organisation, owner: User, draft: ActivityDraft,
                     replaces: Activity | None = None, as_of: dt.date | None = None,
                     certifications: Sequence[CertificationRules] | None = None,
                     catalogue: TypeCatalogue | None = None) -> Preview:
    """What saving the draft would count, per certification whose scheme knows its type.

    Each certification's report is evaluated twice through portfolios.reports — the log as saved, and the
    log with the candidate (replacing the activity being edited) — and the candidate's ActivityResult says
    how many of its points count and why the rest do not; the two reports give the scope's total before
    and after. Rule problems (bounds, attributes) come from the engine's own check, worded.
    """
    as_of = as_of or timezone.localdate()
    if certifications is None:
        certifications = certifications_with_rules(organisation=organisation, owner=owner, on=as_of)
    catalogue = catalogue or TypeCatalogue(certifications)
    info = catalogue.get(draft.type_code)
    if info is None:
        return Preview(notes=(_("Choose an activity type to see how many points it earns."),))
    if draft.quantity is None:
        return Preview(notes=(_("Fill in “%(unit)s” to see the points.") % {"unit": info.unit_label},))
    notes = []
    day = draft.date
    if day is None:
        day = as_of
        notes.append(_("Without a date, the preview assumes today."))
    elif texts := date_problems(day, today=as_of, earliest=catalogue.earliest):
        return Preview(problems=tuple(texts))
    candidate = rules.ActivityInput(type=draft.type_code, date=day, quantity=draft.quantity,
                                    attributes=dict(draft.attributes), ref=CANDIDATE)
    problems = [text for texts in rule_problems(catalogue, candidate).values() for text in texts]
    saved = reports.owner_activities(organisation, owner)
    others = [item for item in saved if replaces is None or item.ref != replaces.pk]
    lines = []
    for item in certifications:
        if draft.type_code not in item.definition.activity_types:
            continue
        try:
            before = reports.evaluate_certification(item.certification, item.definition, saved, as_of)
            after = reports.evaluate_certification(item.certification, item.definition, [*others, candidate], as_of)
        except rules.ContextError as error:
            lines.append(PreviewLine(item.label, "rejected", reports.context_problem(item.certification, error)))
            continue
        result = next(r for r in after.activities if r.ref == CANDIDATE)
        reasons = [reports.say(reason, item.definition) for reason in result.reasons]
        if result.points is None or any(reason.code == "activity-rejected" for reason in result.reasons):
            state, summary = "rejected", _("Does not count until the problems shown above are corrected.")
        else:
            state, summary = points_summary(result.points, result.counted, reasons)
        lines.append(PreviewLine(item.label, state, summary, _scope_change(item.definition, before, after, result)))
    return Preview(lines=tuple(lines), problems=tuple(problems), notes=tuple(notes))


def _scope_change(definition: rules.SchemeDefinition, before: rules.Report, after: rules.Report,
                  result: rules.ActivityResult) -> str:
    """"CPD year 1 May 2025 – 30 April 2026: 12 → 18 points counted (20 required)"; empty when the
    candidate falls outside every scope."""
    if any(reason.code in OUTSIDE_EVERY_SCOPE for reason in result.reasons):
        return ""
    if result.period is not None:
        old = next((p for p in before.periods if p.number == result.period), None)
        new = next((p for p in after.periods if p.number == result.period), None)
    else:
        old, new = before.cycle, after.cycle
    if new is None:
        return ""
    values = {"scope": scope_label(definition, new),
              "before": reports.number(old.total_counted if old else Decimal(0)),
              "after": reports.number(new.total_counted)}
    if new.required_total is not None:
        values["required"] = reports.number(new.required_total)
        return _("%(scope)s: %(before)s → %(after)s points counted (%(required)s required)") % values
    return _("%(scope)s: %(before)s → %(after)s points counted") % values
