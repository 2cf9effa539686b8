"""Certifications: create and edit them for members, change their status (with history), create many
from a CSV file (all rows or none), and the compliance overview (a read-only selector over the engine).

Keyword-only, atomic; every change is audited. The rules engine is asked only through portfolios.reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Organisation, User
from accounts.services import audit_record
from portfolios import csvio, reports
from portfolios.models import Activity, Certification, CertificationStatusChange
from portfolios.rules_inputs import activity_inputs, certification_context
from schemes import rules
from schemes.models import SchemeVersion

# action code → (label for filters, sentence with %(name)s parameters from the event's data); for accounts/audit.py
AUDIT_ACTIONS = {
    "certification.create": (gettext_lazy("Certification created"),
                             gettext_lazy("Created certification %(number)s (%(scheme)s) for %(email)s")),
    "certification.update": (gettext_lazy("Certification changed"),
                             gettext_lazy("Changed certification %(number)s: %(fields)s")),
    "certification.status": (gettext_lazy("Certification status changed"),
                             gettext_lazy("Changed the status of certification %(number)s from %(from_status)s "
                                          "to %(to_status)s")),
    "certification.import": (gettext_lazy("Certifications imported"),
                             gettext_lazy("Created %(count)s certifications from the file %(file)s")),
}

EDITABLE_FIELDS = ("number", "issued_on", "exam_passed_on", "recertification_date", "cycle_start", "expires_on",
                   "product_series", "designation", "membership_valid_until")
DATE_FIELDS = ("issued_on", "exam_passed_on", "recertification_date", "cycle_start", "expires_on",
               "membership_valid_until")

CSV_HEADER = ("email", "certificate_number", "scheme", "exam_passed_on", "recertification_date", "cycle_start",
              "expires_on", "product_series", "designation", "membership_valid_until")
CSV_REQUIRED = ("email", "certificate_number", "scheme")
CSV_OPTIONAL = (*CSV_HEADER[3:], "issued_on")
# CSV column → model field (the rest have the same name)
CSV_FIELD = {"certificate_number": "number"}


# --- Schemes ----------------------------------------------------------------------------------------

def scheme_labels(organisation: Organisation) -> dict[str, str]:
    """code → the scheme's name in the current language (from its latest version), in one small query."""
    labels: dict[str, str] = {}
    for code, texts in (SchemeVersion.objects.for_organisation(organisation).order_by("code", "-version")
                        .values_list("code", "definition__label")):
        labels.setdefault(code, reports.label(texts, code))
    return labels


@dataclass(frozen=True)
class SchemeFields:
    """Which certification fields a scheme uses, and the choices it offers."""

    anchor: str  # the date the scheme counts from (the engine's `anchor_field`); the form asks only for this one
    series: tuple[tuple[str, str], ...]
    series_required: bool
    designations: tuple[tuple[str, str], ...]
    membership: bool

    @property
    def shown(self) -> tuple[str, ...]:
        """The form's fields for this scheme, in display order."""
        names = ["number", "issued_on", self.anchor]
        if self.designations:
            names.append("designation")
        if self.series:
            names.append("product_series")
        names.append("expires_on")
        if self.membership:
            names.append("membership_valid_until")
        return tuple(names)


def scheme_fields(definition: rules.SchemeDefinition) -> SchemeFields:
    series = definition.product_series
    return SchemeFields(
        anchor=rules.anchor_field(definition),
        series=tuple((option.code, reports.label(option.label, option.code)) for option in series.series)
        if series else (),
        series_required=bool(series and series.per_series and series.series),
        designations=tuple((d.code, f"{d.code} – {reports.label(d.label, d.code)}") for d in definition.designations),
        membership=bool(definition.prerequisites),
    )


def anchor_missing_message(definition: rules.SchemeDefinition) -> str:
    """What to enter when a certification lacks the date its scheme counts from."""
    name = reports.label(definition.label, definition.code)
    anchor = rules.anchor_field(definition)
    if anchor == "exam_passed_on":
        return _("Enter the date the exam was passed: %(scheme)s counts its CPD years from it.") % {"scheme": name}
    if anchor == "recertification_date":
        return _("Enter the recertification date: %(scheme)s counts the points of the %(years)s years before it.") % {
            "scheme": name, "years": definition.cycle.years}
    return _("Enter the date the cycle starts: %(scheme)s counts its cycles from it.") % {"scheme": name}


# The dates a scheme can count from (CandidateContext's anchor fields), as a sentence names them.
FIELD_NAMES = {
    "exam_passed_on": gettext_lazy("exam date"),
    "recertification_date": gettext_lazy("recertification date"),
    "cycle_start": gettext_lazy("cycle start"),
}


def certification_problems(*, definition: rules.SchemeDefinition, values: Mapping[str, Any],
                           number_taken: Callable[[str], bool]) -> dict[str, list[str]]:
    """Field → what is wrong, for a certification under `definition` (shared by the form and the CSV import).

    `values` holds model fields; only the keys present are checked, except the scheme's anchor date, its
    designation and (PeopleCert) product series, which are required.
    """
    problems: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    fields = scheme_fields(definition)
    scheme = reports.label(definition.label, definition.code)
    number = (values.get("number") or "").strip()
    if not number:
        add("number", _("Enter the certificate number."))
    elif len(number) > 64:
        add("number", _("A certificate number has at most 64 characters."))
    elif number_taken(number):
        add("number", _("Certificate number %(number)s is already in use in this organisation; each certificate "
                        "needs its own number.") % {"number": number})
    if not values.get(fields.anchor):
        add(fields.anchor, anchor_missing_message(definition))
    for other in FIELD_NAMES:
        if other != fields.anchor and values.get(other):
            add(other, _("%(scheme)s does not use the %(field)s; leave it empty.")
                % {"scheme": scheme, "field": FIELD_NAMES[other]})
    designation = values.get("designation") or ""
    codes = [code for code, _label in fields.designations]
    if codes and designation not in codes:
        add("designation", _("Choose a designation: %(codes)s.") % {"codes": ", ".join(codes)})
    elif not codes and designation:
        add("designation", _("%(scheme)s has no designations; leave it empty.") % {"scheme": scheme})
    series = values.get("product_series") or ""
    series_codes = [code for code, _label in fields.series]
    if series and series not in series_codes:
        if series_codes:
            add("product_series", _("Choose a product series: %(codes)s.") % {"codes": ", ".join(series_codes)})
        else:
            add("product_series", _("%(scheme)s has no product series; leave it empty.") % {"scheme": scheme})
    elif not series and fields.series_required:
        add("product_series", _("Choose the product series: %(scheme)s takes CPD points per series.")
            % {"scheme": scheme})
    if values.get("membership_valid_until") and not fields.membership:
        add("membership_valid_until", _("%(scheme)s requires no membership; leave it empty.") % {"scheme": scheme})
    issued, expires = values.get("issued_on"), values.get("expires_on")
    if issued and expires and expires <= issued:
        add("expires_on", _("The expiry date must be after the issue date."))
    return problems


def _number_taken(organisation: Organisation, exclude_pk: int | None = None) -> Callable[[str], bool]:
    def taken(number: str) -> bool:
        qs = Certification.objects.for_organisation(organisation).filter(number__iexact=number)
        if exclude_pk is not None:
            qs = qs.exclude(pk=exclude_pk)
        return qs.exists()

    return taken


def professional_by_email(organisation: Organisation, email: str) -> User:
    """The professional member with this e-mail address (ValidationError on `holder` otherwise)."""
    membership = (Membership.objects.for_organisation(organisation).filter(user__email__iexact=email.strip())
                  .select_related("user").first())
    if membership is None:
        raise ValidationError({"holder": [_("No member of this organisation has the e-mail address %(email)s; "
                                            "invite them first.") % {"email": email}]})
    if not membership.is_professional:
        raise ValidationError({"holder": [_("%(email)s is a member but not a professional; give them the "
                                            "professional role first.") % {"email": email}]})
    return membership.user


def _is_professional(organisation: Organisation, user: User) -> bool:
    return Membership.objects.for_organisation(organisation).filter(user=user, is_professional=True).exists()


# --- Create, edit, status ---------------------------------------------------------------------------

@transaction.atomic
def certification_create(*, organisation: Organisation, by: User, holder: User, scheme_code: str,
                         values: Mapping[str, Any], note: str = "") -> Certification:
    """Create a certification under the version of `scheme_code` in force today, with its first status."""
    version = SchemeVersion.objects.for_organisation(organisation).current(scheme_code)
    if version is None:
        raise ValidationError({"scheme": [_("This organisation has no version of that scheme in force today.")]})
    if not _is_professional(organisation, holder):
        raise ValidationError({"holder": [_("%(person)s is not a professional in this organisation.")
                                          % {"person": holder}]})
    clean = {name: values[name] for name in EDITABLE_FIELDS if name in values}
    clean["number"] = (clean.get("number") or "").strip()
    problems = certification_problems(definition=version.rules, values=clean,
                                      number_taken=_number_taken(organisation))
    if problems:
        raise ValidationError(problems)
    certification = Certification(organisation=organisation, holder=holder, scheme_version=version,
                                  status=Certification.Status.ACTIVE, **_blank_missing(clean))
    _save_unique(certification)
    CertificationStatusChange.objects.create(organisation=organisation, certification=certification,
                                             from_status="", to_status=certification.status, note=note[:300],
                                             changed_by=by)
    audit_record(organisation=organisation, actor=by, action="certification.create", number=certification.number,
                 scheme=scheme_code, email=holder.email, certification=certification.pk)
    return certification


@transaction.atomic
def certification_update(*, certification: Certification, by: User, values: Mapping[str, Any]) -> Certification:
    """Change a certification's number, dates, series or designation (holder and scheme stay)."""
    organisation = certification.organisation
    clean = {name: values[name] for name in EDITABLE_FIELDS if name in values}
    if "number" in clean:
        clean["number"] = (clean["number"] or "").strip()
    definition = certification.scheme_version.rules
    # Fields the scheme does not use are only checked when submitted (older rows may carry such values).
    merged = {name: getattr(certification, name) for name in scheme_fields(definition).shown} | clean
    problems = certification_problems(definition=definition, values=merged,
                                      number_taken=_number_taken(organisation, exclude_pk=certification.pk))
    if problems:
        raise ValidationError(problems)
    new = _blank_missing(clean)
    changed = [name for name, value in new.items() if getattr(certification, name) != value]
    for name in changed:
        setattr(certification, name, new[name])
    if changed:
        _save_unique(certification, update_fields=changed)
        audit_record(organisation=organisation, actor=by, action="certification.update",
                     number=certification.number, fields=", ".join(changed), certification=certification.pk)
    return certification


@transaction.atomic
def certification_set_status(*, certification: Certification, status: str, by: User,
                             note: str = "") -> CertificationStatusChange:
    """Change the status and append it to the certification's history (who, when, why)."""
    if status not in Certification.Status.values:
        raise ValidationError({"status": [_("Choose one of the statuses offered.")]})
    # Lock the row so two administrators changing the status at once both end up in the history in order.
    certification = Certification.objects.for_organisation(certification.organisation_id).select_for_update().get(
        pk=certification.pk)
    if certification.status == status:
        raise ValidationError({"status": [_("The certification is already %(status)s.")
                                          % {"status": Certification.Status(status).label.lower()}]})
    previous = certification.status
    certification.status = status
    certification.save(update_fields=["status"])
    change = CertificationStatusChange.objects.create(
        organisation_id=certification.organisation_id, certification=certification, from_status=previous,
        to_status=status, note=note.strip()[:300], changed_by=by)
    audit_record(organisation=certification.organisation, actor=by, action="certification.status",
                 number=certification.number, from_status=previous, to_status=status, certification=certification.pk)
    return change


def _blank_missing(values: Mapping[str, Any]) -> dict[str, Any]:
    """Model values: empty text stays "", empty dates become None."""
    result = {}
    for name, value in values.items():
        if name in DATE_FIELDS:
            result[name] = value or None
        else:
            result[name] = (value or "").strip() if isinstance(value, str) or value is None else value
    return result


def _save_unique(certification: Certification, **kwargs: Any) -> None:
    """Save; a number taken by a concurrent request still gets the friendly message, not a 500."""
    try:
        with transaction.atomic():
            certification.save(**kwargs)
    except IntegrityError:
        raise ValidationError({"number": [_("Certificate number %(number)s is already in use in this "
                                            "organisation; each certificate needs its own number.")
                                          % {"number": certification.number}]}) from None


# --- Bulk creation from CSV -------------------------------------------------------------------------

@dataclass
class RowResult:
    """One CSV row's outcome in a dry run (or an import)."""

    number: int
    status: str = "ok"  # ok | error | skipped
    person: str = ""
    summary: str = ""
    points: str = ""
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def fail(self, message: str) -> None:
        self.status = "error"
        self.messages.append(message)


@dataclass
class CertificationCheck:
    rows: list[RowResult]
    creations: list[tuple[User, SchemeVersion, dict[str, Any]]]

    @property
    def errors(self) -> list[RowResult]:
        return [row for row in self.rows if row.status == "error"]


def certifications_csv_parse(text: str) -> csvio.CsvTable:
    """The rows of a certifications file (raises csvio.CsvError for a wrong header or an unreadable file)."""
    return csvio.parse(text, required=CSV_REQUIRED, optional=CSV_OPTIONAL)


def certifications_csv_check(*, organisation: Organisation, table: csvio.CsvTable) -> CertificationCheck:
    """Dry run: every row checked against the members, the schemes in force and the numbers in use.

    A fixed number of queries whatever the number of rows (members, certificate numbers, scheme versions).
    """
    members = {m.user.email.lower(): m for m in Membership.objects.for_organisation(organisation)
               .select_related("user")}
    taken = {n.lower() for n in Certification.objects.for_organisation(organisation).values_list("number", flat=True)}
    schemes = SchemeVersion.objects.for_organisation(organisation).in_force()
    in_file: dict[str, int] = {}
    results: list[RowResult] = []
    creations: list[tuple[User, SchemeVersion, dict[str, Any]]] = []
    for row in table.rows:
        result = RowResult(number=row.number)
        results.append(result)
        for problem in row.problems:
            result.fail(problem)
        raw = row.values
        email = raw.get("email", "").lower()
        membership = members.get(email)
        if not email:
            result.fail(_("The e-mail address is empty."))
        elif membership is None:
            result.fail(_("No member of this organisation has the e-mail address %(email)s; invite them first.")
                        % {"email": email})
        elif not membership.is_professional:
            result.fail(_("%(email)s is a member but not a professional; give them the professional role first.")
                        % {"email": email})
        else:
            result.person = str(membership.user)
        code = raw.get("scheme", "")
        version = schemes.get(code)
        if version is None:
            result.fail(_("“%(code)s” is not a scheme of this organisation in force today; use one of: %(codes)s.")
                        % {"code": code, "codes": ", ".join(sorted(schemes)) or "—"})
        values: dict[str, Any] = {}
        for column in (*CSV_HEADER[1:], "issued_on"):
            if column == "scheme" or column not in raw:
                continue
            name = CSV_FIELD.get(column, column)
            if name in DATE_FIELDS:
                try:
                    values[name] = csvio.parse_optional_date(raw[column], column)
                except ValueError as error:
                    result.fail(str(error))
            else:
                values[name] = raw[column]
        number = values.get("number", "")
        result.summary = f"{number} · {code}"
        if version is not None:
            def number_taken(value: str) -> bool:
                return value.lower() in taken

            for messages in certification_problems(definition=version.rules, values=values,
                                                   number_taken=number_taken).values():
                for message in messages:
                    result.fail(message)
        if number and number.lower() in in_file:
            result.fail(_("Certificate number %(number)s is also on row %(row)s; each certificate needs its own "
                          "number.") % {"number": number, "row": in_file[number.lower()]})
        elif number:
            in_file[number.lower()] = row.number
        if result.ok and membership is not None and version is not None:
            creations.append((membership.user, version, _blank_missing(values)))
    return CertificationCheck(rows=results, creations=creations)


def row_errors(rows: Iterable[RowResult]) -> list[str]:
    return [_("Row %(row)s: %(reason)s") % {"row": row.number, "reason": " ".join(row.messages)}
            for row in rows if row.status == "error"]


@transaction.atomic
def certifications_csv_import(*, organisation: Organisation, by: User, table: csvio.CsvTable,
                              file_name: str) -> list[Certification]:
    """Create every row's certification, or none: any bad row raises ValidationError naming rows and reasons."""
    check = certifications_csv_check(organisation=organisation, table=table)
    if check.errors:
        raise ValidationError(row_errors(check.errors))
    certifications = [Certification(organisation=organisation, holder=holder, scheme_version=version,
                                    status=Certification.Status.ACTIVE, **values)
                      for holder, version, values in check.creations]
    try:
        with transaction.atomic():
            Certification.objects.bulk_create(certifications)
    except IntegrityError:
        raise ValidationError(_("Some of these certificate numbers were taken while the file was being imported; "
                                "check the file again.")) from None
    CertificationStatusChange.objects.bulk_create([
        CertificationStatusChange(organisation=organisation, certification=certification, from_status="",
                                  to_status=certification.status, note=(_("Imported from %(file)s")
                                                                   % {"file": file_name})[:300], changed_by=by)
        for certification in certifications])
    audit_record(organisation=organisation, actor=by, action="certification.import", count=len(certifications),
                 file=file_name, sha256=table.sha256)
    return certifications


# --- Compliance overview (read-only) ----------------------------------------------------------------

@dataclass
class ComplianceRow:
    certification: Certification
    scheme: str
    evaluated: bool
    compliant: bool = False
    total_counted: Decimal | None = None
    required_total: Decimal | None = None
    deadline: dt.date | None = None
    days_left: int | None = None
    missing: str = ""
    points_compliant: bool = False
    stage: str = ""  # where the certification stands beyond its points (dossier, submission, review)

    @property
    def holder(self) -> User:
        return self.certification.holder

    @property
    def overdue_days(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


def compliance_rows(*, organisation: Organisation, scheme: str = "", query: str = "",
                    as_of: dt.date | None = None) -> list[ComplianceRow]:
    """Every active certification with the engine's verdict under the version in force, and its lifecycle
    (portfolios/lifecycle.py: the dossier judged on the certification's date, its submission, and what the
    apps above add), in five queries: certifications (with holders), versions in force, all holders'
    activities, their dossiers, nothing per row.

    A row complies when nothing is left for the holder to do: the points are enough and the dossier (where
    the scheme has one) is submitted. `missing` says why not, the points' gaps first."""
    from django.apps import apps

    from portfolios import lifecycle

    Dossier = apps.get_model("dossiers", "Dossier")  # by name: the dossiers app sits above portfolios

    as_of = as_of or timezone.localdate()
    certifications = list(_active_certifications(organisation, scheme, query)
                          .select_related("holder", "scheme_version").defer("scheme_version__definition"))
    versions = SchemeVersion.objects.for_organisation(organisation).in_force(
        as_of, codes={c.scheme_version.code for c in certifications})
    by_owner = activity_inputs(Activity.objects.for_organisation(organisation)
                               .filter(owner_id__in={c.holder_id for c in certifications}))
    dossiers: dict[tuple[int, dt.date], Any] = {}
    for dossier in (Dossier.objects.for_organisation(organisation).filter(
            certification__in=certifications, kind="recertification").only(
            "pk", "organisation_id", "certification_id", "reference_date", "status", "submitted_at")
            .order_by("created_at", "pk")):
        dossiers[(dossier.certification_id, dossier.reference_date)] = dossier
    extra = lifecycle.prefetch(organisation, list(dossiers.values()))  # the apps' rows for every row at once
    rows = []
    for certification in certifications:
        version = versions.get(certification.scheme_version.code)
        if version is None:
            rows.append(ComplianceRow(certification=certification, scheme=certification.scheme_version.code,
                                      evaluated=False, missing=_("No version of this scheme is in force today.")))
            continue
        definition = version.rules
        label = reports.label(definition.label, definition.code)
        try:
            report = reports.evaluate_certification(certification, definition,
                                                    by_owner.get(certification.holder_id, []), as_of=as_of)
        except rules.ContextError as error:
            rows.append(ComplianceRow(certification=certification, scheme=label, evaluated=False,
                                      missing=_context_problem(certification, definition, error)))
            continue
        due = reports.due_date(certification, definition, report, as_of)
        reference = reports.dossier_reference_date(certification, definition, "recertification", as_of)
        stages = lifecycle.lifecycle(lifecycle.LifecycleContext(
            organisation=organisation, user=certification.holder, certification=certification,
            definition=definition, report=report, today=as_of, dossier=dossiers.get((certification.pk, reference)),
            deadline=due, extra=dict(extra)))
        beyond = [stage for stage in stages.stages if stage.code != "points"]
        missing = [stage.next_step or stage.text for stage in stages.stages if stage.status in (
            lifecycle.CURRENT, lifecycle.TO_DO)]
        rows.append(ComplianceRow(
            certification=certification, scheme=label, evaluated=True, compliant=stages.complete,
            points_compliant=report.compliant, total_counted=report.total_counted,
            required_total=report.required_total, deadline=due, days_left=(due - as_of).days,
            missing=" ".join(missing), stage=" ".join(f"{stage.label}: {stage.text}" for stage in beyond)))
    return rows


def _active_certifications(organisation: Organisation, scheme: str, query: str) -> QuerySet:
    qs = Certification.objects.for_organisation(organisation).filter(status=Certification.Status.ACTIVE)
    if scheme:
        qs = qs.filter(scheme_version__code=scheme)
    if query:
        qs = qs.filter(Q(number__icontains=query) | Q(holder__email__icontains=query)
                       | Q(holder__first_name__icontains=query) | Q(holder__last_name__icontains=query))
    return qs.order_by("holder__last_name", "holder__first_name", "number")


def _context_problem(certification: Certification, definition: rules.SchemeDefinition,
                     error: rules.ContextError) -> str:
    """What to correct, as the certification form words it; else the engine's context error, worded."""
    values = {name: getattr(certification, name) for name in EDITABLE_FIELDS}
    problems = certification_problems(definition=definition, values=values, number_taken=lambda _number: False)
    for name in (rules.anchor_field(definition), "designation"):
        if name in problems:
            return problems[name][0]
    return reports.context_problem(certification, error)


def compliance_filter(rows: list[ComplianceRow], *, not_compliant: bool = False,
                      risk_before: dt.date | None = None, sort: str = "deadline") -> list[ComplianceRow]:
    """Keep the rows asked for and order them (soonest deadline first by default; unknown deadlines last)."""
    if not_compliant:
        rows = [row for row in rows if not row.compliant]
    if risk_before is not None:
        rows = [row for row in rows if not row.compliant and (row.deadline is None or row.deadline <= risk_before)]
    if sort == "name":
        return sorted(rows, key=lambda r: (r.holder.last_name.lower(), r.holder.first_name.lower(),
                                           r.certification.number))
    if sort == "number":
        return sorted(rows, key=lambda r: r.certification.number)
    reverse = sort == "-deadline"
    dated = sorted((r for r in rows if r.deadline is not None), key=lambda r: (r.deadline, r.certification.number),
                   reverse=reverse)
    return dated + [r for r in rows if r.deadline is None]


def _preview_active(organisation: Organisation | int, code: str) -> Any:
    return (Certification.objects.for_organisation(organisation)
            .filter(scheme_version__code=code, status=Certification.Status.ACTIVE))


def preview_population_count(organisation: Organisation | int, code: str) -> int:
    """How many certifications the scheme editor's impact preview evaluates (schemes.services)."""
    return int(_preview_active(organisation, code).count())


def preview_population_chunk(organisation: Organisation | int, code: str, as_of: dt.date, after_pk: int, size: int
                             ) -> list[tuple[int, str, rules.CandidateContext, list[rules.ActivityInput]]]:
    """The next `size` active certifications of the scheme (primary key above `after_pk`), each with its
    context on `as_of` and its holder's activities: two queries whatever the chunk holds."""
    certifications = list(_preview_active(organisation, code).filter(pk__gt=after_pk).order_by("pk")
                          .only("id", "holder_id", "number", "exam_passed_on", "recertification_date",
                                "cycle_start", "designation")[:size])
    if not certifications:
        return []
    by_owner = activity_inputs(Activity.objects.for_organisation(organisation)
                               .filter(owner_id__in={c.holder_id for c in certifications}))
    return [(certification.pk, certification.number, certification_context(certification, as_of),
             by_owner.get(certification.holder_id, [])) for certification in certifications]
