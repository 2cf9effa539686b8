"""Bulk import of activity records by an organisation (the CCMG uploads its members' CPD).

A CSV file (docs/csv-formats.md) is checked row by row with the rules engine against the schemes of the
matched professional's certifications; the dry run reports every row; the import applies all rows or none.
Each imported activity carries an `import_key` (SHA-256 of organisation, owner, type, date, quantity, title
and details), so importing the same file twice creates nothing the second time: those rows are reported as
already imported, and the unique constraint (organisation, import_key) backs it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Organisation, User
from accounts.services import audit_record
from portfolios import csvio, reports
from portfolios.models import Activity, ActivityImport, Certification
from portfolios.services.activities import date_problems, scheme_problems
from portfolios.services.certifications import RowResult, row_errors
from schemes import rules
from schemes.models import SchemeVersion

AUDIT_ACTIONS = {
    "activities.import": (gettext_lazy("Activities imported"),
                          gettext_lazy("Imported %(created)s activities from the file %(file)s "
                                       "(%(skipped)s rows were already imported)")),
}

HEADER = ("email_or_certificate_number", "type", "date", "quantity", "title", "provider", "description")
REQUIRED = HEADER[:5]
TEXT_LIMITS = {"title": 200, "provider": 200}
QUANTITY_PLACES = Decimal("0.01")
COMPLETED = "completed"  # the attribute types awarded on completion read (docs/rules-engine.md)


@dataclass
class ImportContext:
    """Everything a check needs, loaded in a fixed number of queries whatever the number of rows."""

    members: dict[str, Membership]
    certifications: dict[str, Certification]
    codes_by_holder: dict[int, list[str]]
    definitions: dict[str, rules.SchemeDefinition]
    earliest_by_holder: dict[int, dt.date]  # the earliest plausible activity date (the engine's bound)

    @cached_property
    def attribute_columns(self) -> list[str]:
        """Detail columns a file may add: every attribute code of the schemes in force, and `completed`."""
        codes = {attribute.code for definition in self.definitions.values()
                 for activity_type in definition.activity_types.values() for attribute in activity_type.attributes}
        if any(t.awarded_on_completion for d in self.definitions.values() for t in d.activity_types.values()):
            codes.add(COMPLETED)
        return sorted(codes - set(HEADER))


def import_context(organisation: Organisation, on: dt.date | None = None) -> ImportContext:
    members = {m.user.email.lower(): m for m in Membership.objects.for_organisation(organisation)
               .select_related("user")}
    certifications = list(Certification.objects.for_organisation(organisation)
                          .select_related("holder", "scheme_version").defer("scheme_version__definition"))
    codes_by_holder: dict[int, list[str]] = defaultdict(list)
    for certification in certifications:
        if certification.status == Certification.Status.WITHDRAWN:
            continue  # a withdrawn certificate no longer says what a person's activities count for
        if certification.scheme_version.code not in codes_by_holder[certification.holder_id]:
            codes_by_holder[certification.holder_id].append(certification.scheme_version.code)
    on = on or timezone.localdate()
    versions = SchemeVersion.objects.for_organisation(organisation).in_force(
        on, codes={c.scheme_version.code for c in certifications})
    definitions = {code: version.rules for code, version in versions.items()}
    held: dict[int, list[tuple[Certification, rules.SchemeDefinition]]] = defaultdict(list)
    for certification in certifications:
        if certification.status != Certification.Status.WITHDRAWN and certification.scheme_version.code in definitions:
            held[certification.holder_id].append((certification, definitions[certification.scheme_version.code]))
    return ImportContext(
        members=members,
        certifications={c.number.lower(): c for c in certifications},
        codes_by_holder=dict(codes_by_holder),
        definitions=definitions,
        earliest_by_holder={holder: reports.earliest_activity_date(items, on) for holder, items in held.items()},
    )


def activities_csv_parse(*, context: ImportContext, text: str) -> csvio.CsvTable:
    """The rows of an activities file (csvio.CsvError for a wrong header, too many rows or unreadable text)."""
    return csvio.parse(text, required=REQUIRED, optional=[*HEADER[5:], *context.attribute_columns])


@dataclass
class ActivityCheck:
    rows: list[RowResult]
    creations: list[Activity]

    @property
    def errors(self) -> list[RowResult]:
        return [row for row in self.rows if row.status == "error"]

    @property
    def skipped(self) -> list[RowResult]:
        return [row for row in self.rows if row.status == "skipped"]


def import_key(*, organisation_id: int, owner_id: int, type_code: str, date: dt.date, quantity: Decimal,
               title: str, attributes: dict[str, Any]) -> str:
    """SHA-256 identifying an imported activity: the same row imported again gets the same key."""
    payload = json.dumps([organisation_id, owner_id, type_code, date.isoformat(),
                          str(quantity.quantize(QUANTITY_PLACES)), title, attributes],
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def activities_csv_check(*, organisation: Organisation, table: csvio.CsvTable,
                         context: ImportContext | None = None, today: dt.date | None = None) -> ActivityCheck:
    """Dry run: match each row to a professional and check it with the rules engine; nothing is written."""
    context = context or import_context(organisation)
    today = today or timezone.localdate()
    results: list[RowResult] = []
    pending: list[tuple[RowResult, Activity]] = []
    for row in table.rows:
        result = RowResult(number=row.number)
        results.append(result)
        for problem in row.problems:
            result.fail(problem)
        activity = _check_row(organisation, context, row, result, today)
        if activity is not None and result.ok:
            pending.append((result, activity))
    keys = [activity.import_key for _result, activity in pending]
    existing = set(Activity.objects.for_organisation(organisation).filter(import_key__in=keys)
                   .values_list("import_key", flat=True)) if keys else set()
    first_row: dict[str, int] = {}
    creations: list[Activity] = []
    for result, activity in pending:
        if activity.import_key in existing:
            result.status = "skipped"
            result.messages.append(_("Already imported; skipped."))
        elif activity.import_key in first_row:
            result.status = "skipped"
            result.messages.append(_("The same activity as row %(row)s; imported once.")
                                   % {"row": first_row[activity.import_key]})
        else:
            first_row[activity.import_key] = result.number
            creations.append(activity)
    return ActivityCheck(rows=results, creations=creations)


def _owner(context: ImportContext, key: str, result: RowResult) -> User | None:
    if not key:
        result.fail(_("Enter the professional's e-mail address or certificate number."))
        return None
    if "@" in key:
        membership = context.members.get(key.lower())
        if membership is None:
            result.fail(_("No member of this organisation has the e-mail address %(email)s.") % {"email": key})
            return None
        if not membership.is_professional:
            result.fail(_("%(email)s is a member but not a professional.") % {"email": key})
            return None
        return membership.user
    certification = context.certifications.get(key.lower())
    if certification is None:
        result.fail(_("No certification in this organisation has the number %(number)s.") % {"number": key})
        return None
    return certification.holder


def _check_row(organisation: Organisation, context: ImportContext, row: csvio.CsvRow, result: RowResult,
               today: dt.date) -> Activity | None:
    raw = row.values
    result.summary = " · ".join(value for value in (raw.get("type"), raw.get("date"), raw.get("title")) if value)
    owner = _owner(context, raw.get("email_or_certificate_number", ""), result)
    definitions: list[rules.SchemeDefinition] = []
    if owner is not None:
        result.person = str(owner)
        definitions = [context.definitions[code] for code in context.codes_by_holder.get(owner.pk, [])
                       if code in context.definitions]
        if not definitions:
            result.fail(_("%(person)s holds no certification in this organisation, so no scheme says what the "
                          "activity counts for.") % {"person": owner})
    type_code = raw.get("type", "")
    knowing = [d for d in definitions if type_code in d.activity_types]
    if definitions and not knowing:
        names = ", ".join(reports.label(d.label, d.code) for d in definitions)
        result.fail(_("“%(type)s” is not an activity type of %(schemes)s.") % {"type": type_code, "schemes": names}
                    if type_code else _("Enter the activity type's code."))
    day = quantity = None
    try:
        day = csvio.parse_date(raw.get("date", ""), "date")
    except ValueError as error:
        result.fail(str(error))
    earliest = context.earliest_by_holder.get(owner.pk, rules.EARLIEST_ACTIVITY_DATE) if owner else (
        rules.EARLIEST_ACTIVITY_DATE)
    for problem in date_problems(day, today=today, earliest=earliest) if day is not None else ():
        result.fail(problem)
    try:
        quantity = csvio.parse_decimal(raw.get("quantity", ""), "quantity")
    except ValueError as error:
        result.fail(str(error))
    if quantity is not None and quantity != quantity.quantize(QUANTITY_PLACES):
        result.fail(_("The quantity %(quantity)s has more than two decimals.") % {"quantity": raw["quantity"]})
    if not raw.get("title"):
        result.fail(_("Enter a title."))
    for column, limit in TEXT_LIMITS.items():
        if len(raw.get(column, "")) > limit:
            result.fail(_("The %(column)s is longer than %(limit)s characters.") % {"column": column, "limit": limit})
    attributes = _attributes(context, raw, type_code, knowing, result)
    if knowing and day is not None and quantity is not None and attributes is not None:
        entry = rules.ActivityInput(type=type_code, date=day, quantity=quantity, attributes=attributes, ref=row.number)
        for definition in knowing:
            for message in scheme_problems(definition, entry):
                result.fail(reports.say(message, definition))
        points = rules.activity_points(knowing[0], entry).points
        if points is not None:
            result.points = reports.number(points)
    if not result.ok or owner is None or day is None or quantity is None or attributes is None:
        return None
    result.summary = f"{type_code} · {reports.date(day)} · {raw['title']}"
    stored = {code: rules.attribute_json(value) for code, value in attributes.items()}
    return Activity(organisation=organisation, owner=owner, type_code=type_code, date=day, quantity=quantity,
                    attributes=stored, title=raw["title"], provider=raw.get("provider", ""),
                    description=raw.get("description", ""),
                    import_key=import_key(organisation_id=organisation.pk, owner_id=owner.pk, type_code=type_code,
                                          date=day, quantity=quantity, title=raw["title"], attributes=stored))


def _attributes(context: ImportContext, raw: dict[str, str], type_code: str,
                knowing: list[rules.SchemeDefinition], result: RowResult) -> dict[str, Any] | None:
    """The row's detail columns typed as the activity type declares them (words → whole number ...)."""
    declared: dict[str, str] = {}
    for definition in knowing:
        activity_type = definition.activity_types[type_code]
        for attribute in activity_type.attributes:
            declared.setdefault(attribute.code, attribute.type)
        if activity_type.awarded_on_completion:
            declared.setdefault(COMPLETED, "boolean")
    attributes: dict[str, Any] = {}
    ok = True
    for column in context.attribute_columns:
        value = raw.get(column, "")
        if not value:
            continue
        kind = declared.get(column)
        if kind is None:
            if knowing:
                result.fail(_("The column %(column)s does not apply to the type %(type)s; leave it empty.")
                            % {"column": column, "type": type_code})
            ok = False
            continue
        try:
            if kind == "integer":
                number = csvio.parse_decimal(value, column)
                # A whole number as an int (the stored encoding); a fraction stays for the engine to refuse.
                attributes[column] = int(number) if number == number.to_integral_value() else number
            elif kind == "decimal":
                attributes[column] = csvio.parse_decimal(value, column)
            elif kind == "boolean":
                attributes[column] = csvio.parse_bool(value, column)
            else:
                attributes[column] = value
        except ValueError as error:
            result.fail(str(error))
            ok = False
    return attributes if ok else None


@transaction.atomic
def activities_csv_import(*, organisation: Organisation, by: User, table: csvio.CsvTable,
                          file_name: str) -> ActivityImport:
    """Import every row, or none: any bad row raises ValidationError naming the rows and reasons.

    Rows already imported (same import key) are skipped and counted; the import is recorded with the file's
    name and SHA-256.
    """
    check = activities_csv_check(organisation=organisation, table=table)
    if check.errors:
        raise ValidationError(row_errors(check.errors))
    record = ActivityImport.objects.create(
        organisation=organisation, uploaded_by=by, file_name=file_name[:255], sha256=table.sha256,
        row_count=len(table.rows), created_count=len(check.creations), skipped_count=len(check.skipped))
    for activity in check.creations:
        activity.imported_by = record
    try:
        with transaction.atomic():
            Activity.objects.bulk_create(check.creations, batch_size=1000)
    except IntegrityError:
        raise ValidationError(_("Some of these rows were imported by someone else at the same moment. Check the "
                                "file again to see what is left to import.")) from None
    audit_record(organisation=organisation, actor=by, action="activities.import", file=file_name,
                 sha256=table.sha256, created=record.created_count, skipped=record.skipped_count,
                 rows=record.row_count, activity_import=record.pk)
    return record
