"""Submitting a dossier: re-check, freeze an immutable snapshot, lock what it rests on. All or nothing.

`dossier_submit` runs in one transaction: it locks the dossier row, re-checks completeness with the same
checklist the pages show, marks the dossier submitted, builds the snapshot (dossier, scheme definition,
sections, statements, counted activities, the engine's report, every evidence file re-hashed from the
stored bytes), stores it with the SHA-256 of its canonical JSON, and locks the counted activities. Any
failure on the way rolls all of it back, so the dossier stays the draft it was. The PDF and the
confirmation e-mail are queued only after the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.formatting import plain_number
from accounts.mail import mail_send, recipient_language, site_url
from accounts.models import User
from accounts.outbox import outbox_enqueue
from accounts.services import audit_record
from accounts.storage import open_stream
from dossiers.models import Dossier, Evidence, StatementRequest, Submission
from dossiers.requirements import kind_of
from dossiers.services.dossiers import (
    KIND_LABELS,
    Checklist,
    PointsSummary,
    RequirementState,
    SectionState,
    dossier_checklist,
    dossier_title,
    statement_state,
)
from dossiers.signals import submission_submitted
from portfolios import reports
from portfolios.models import Activity

AUDIT_ACTIONS = {
    "dossier.submit": (gettext_lazy("Dossier submitted"),
                       gettext_lazy("Submitted the dossier for certificate %(certification)s "
                                    "(snapshot %(snapshot)s)")),
}
SNAPSHOT_FORMAT = 1
CHUNK = 64 * 1024


def canonical_json(data: Any) -> bytes:
    """The bytes the snapshot's SHA-256 is taken of: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def snapshot_digest(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


def stored_sha256(evidence: Evidence) -> tuple[str, int]:
    """SHA-256 and size of the bytes actually in storage (not what the database says)."""
    digest = hashlib.sha256()
    size = 0
    with open_stream(evidence.file.storage, evidence.file.name or "") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _number(value: Decimal | None) -> str | None:
    """A decimal as plain text without trailing zeros ("20", "1.5"): exact, unlike a JSON float."""
    if value is None:
        return None
    return plain_number(value)


def _evidence(evidence: Evidence, sections: dict[int, str]) -> dict[str, Any]:
    return {"id": evidence.pk, "name": evidence.original_name, "content_type": evidence.content_type,
            "size": evidence.size, "sha256": evidence.sha256, "uploaded_at": _iso(evidence.uploaded_at),
            "section": sections.get(evidence.section_id) if evidence.section_id else None,
            "requirement": evidence.requirement_code or None, "activity": evidence.activity_id}


def _points(points: PointsSummary | None) -> dict[str, Any] | None:
    if points is None:
        return None
    return {"unit": points.unit, "scope": points.scope, "start": _iso(points.start), "end": _iso(points.end),
            "counted": _number(points.counted), "required": _number(points.required), "compliant": points.compliant,
            "categories": [{"label": c.label, "raw": _number(c.raw), "counted": _number(c.counted),
                            "min": _number(c.minimum), "max": _number(c.maximum), "missing": _number(c.missing)}
                           for c in points.categories],
            "problems": points.problems, "explanations": points.explanations}


def _requirement(requirement: RequirementState, points: dict[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": requirement.kind, "code": requirement.code, "label": requirement.label,
                             "description": requirement.description, "complete": requirement.complete}
    entry.update(kind_of(requirement.kind).snapshot(requirement, points))
    return entry


def _section(section: SectionState, points: dict[str, Any] | None) -> dict[str, Any]:
    return {"code": section.code, "label": section.label, "description": section.description,
            "state": section.state, "state_label": section.state_label, "required": section.required,
            "reason": section.reason, "values": section.values, "synthetic": section.synthetic,
            "data": (section.row.data if section.row else {}) or {},
            "updated_at": _iso(section.row.updated_at) if section.row else None,
            "requirements": [_requirement(requirement, points) for requirement in section.requirements]}


def _statement(statement: StatementRequest, checklist: Checklist) -> dict[str, Any]:
    fields = []
    for section in checklist.sections:
        for requirement in section.requirements:
            if section.code == statement.section_code and requirement.code == statement.requirement_code:
                fields = [{"code": item.code, "label": reports.label(item.label, item.code), "type": item.type,
                           "value": (statement.fields or {}).get(item.code)} for item in requirement.spec.fields]
    return {"id": statement.pk, "section": statement.section_code, "requirement": statement.requirement_code,
            "signer_name": statement.signer_name, "signer_email": statement.signer_email,
            "signer_role": statement.signer_role, "message": statement.message, "state": statement_state(statement),
            "requested_at": _iso(statement.created_at), "last_sent_at": _iso(statement.last_sent_at),
            "send_count": statement.send_count, "expires_at": _iso(statement.expires_at), "fields": fields,
            "signed_name": statement.signed_name, "signed_at": _iso(statement.signed_at),
            "decline_reason": statement.decline_reason, "closed_at": _iso(statement.closed_at)}


def counted_activity_ids(checklist: Checklist) -> list[int]:
    """The activities the report counts for this dossier (in the engine's current scope: for anniversary
    schemes those of its CPD year)."""
    report = checklist.report
    if report is None:
        return []
    return [result.ref for result in report.counted_activities()]


def snapshot_build(checklist: Checklist, *, by: User, submitted_at: dt.datetime) -> dict[str, Any]:
    """Everything the dossier rests on, as plain JSON (labels in the submitter's current language).

    Re-hashes every evidence file from storage and refuses (ValidationError) if any file changed or vanished.
    """
    dossier = checklist.dossier
    organisation_id = dossier.organisation_id
    report = checklist.report
    assert report is not None
    version = dossier.scheme_version
    certification = dossier.certification
    language = (translation.get_language() or "en").split("-")[0]
    ids = counted_activity_ids(checklist)
    activities = {activity.pk: activity for activity in Activity.objects.for_organisation(organisation_id)
                  .filter(owner_id=dossier.owner_id, pk__in=ids)}
    section_codes = {section.row.pk: section.code for section in checklist.sections if section.row}
    files = [e for section in checklist.sections for r in section.requirements for e in r.evidence]
    files += list(Evidence.objects.for_organisation(organisation_id).filter(activity_id__in=ids)
                  .order_by("uploaded_at", "pk"))
    problems = []
    for evidence in files:
        try:
            digest, size = stored_sha256(evidence)
        except OSError:
            problems.append(_("The file %(name)s can no longer be read. Upload it again.")
                            % {"name": evidence.original_name})
            continue
        if digest != evidence.sha256 or size != evidence.size:
            problems.append(_("The file %(name)s has changed since it was uploaded (its fingerprint no longer "
                              "matches). Upload it again.") % {"name": evidence.original_name})
    if problems:
        raise ValidationError(problems, code="evidence_changed")
    results = {result.ref: result for result in report.activities}
    activity_files: dict[int, list[int]] = {}
    for evidence in files:
        if evidence.activity_id:
            activity_files.setdefault(evidence.activity_id, []).append(evidence.pk)
    types = checklist.definition.activity_types
    return {
        "format": SNAPSHOT_FORMAT,
        "language": language,
        "organisation": {"slug": dossier.organisation.slug, "name": dossier.organisation.name},
        "dossier": {"id": dossier.pk, "kind": dossier.kind, "kind_label": str(KIND_LABELS.get(dossier.kind, "")),
                    "title": dossier_title(dossier),
                    "reference_date": _iso(dossier.reference_date), "product_series": dossier.product_series,
                    "created_at": _iso(dossier.created_at), "submitted_at": _iso(submitted_at)},
        "owner": {"id": dossier.owner_id, "name": dossier.owner.get_full_name(), "email": dossier.owner.email},
        "submitted_by": {"id": by.pk, "name": by.get_full_name(), "email": by.email},
        "certification": {
            "number": certification.number, "status": certification.status,
            "exam_passed_on": _iso(certification.exam_passed_on), "issued_on": _iso(certification.issued_on),
            "recertification_date": _iso(certification.recertification_date),
            "cycle_start": _iso(certification.cycle_start), "expires_on": _iso(certification.expires_on),
            "product_series": certification.product_series, "designation": certification.designation,
            "membership_valid_until": _iso(certification.membership_valid_until)},
        "covered_certifications": [{"number": item.number, "product_series": item.product_series,
                                    "expires_on": _iso(item.expires_on)} for item in checklist.covered],
        "scheme": {"code": version.code, "version": version.version, "label": version.label,
                   "effective_from": _iso(version.effective_from), "definition": version.definition},
        "sections": [_section(section, _points(checklist.points)) for section in checklist.sections],
        "statements": [_statement(statement, checklist) for statement in checklist.statements],
        "activities": [{
            "id": activity.pk, "type": activity.type_code,
            "type_label": reports.label(types[activity.type_code].label, activity.type_code)
            if activity.type_code in types else activity.type_code,
            "date": _iso(activity.date), "quantity": _number(activity.quantity), "title": activity.title,
            "provider": activity.provider, "description": activity.description, "reflection": activity.reflection,
            "attributes": activity.attributes, "points": _number(results[activity.pk].points),
            "counted": _number(results[activity.pk].counted), "period": results[activity.pk].period,
            "evidence": activity_files.get(activity.pk, [])}
            for activity in sorted(activities.values(), key=lambda item: (item.date, item.pk))],
        "evidence": [_evidence(evidence, section_codes) for evidence in files],
        "report": report.to_dict(),
        "report_localised": {
            "language": language,
            "points": _points(checklist.points),
            "problems": [reports.say(message, checklist.definition) for message in report.problems],
            "explanations": [reports.say(message, checklist.definition) for message in report.explanations],
            "sections": {section.code: section.reason for section in checklist.sections if section.reason},
        },
    }


def _lock_activities(*, submission: Submission, ids: list[int]) -> int:
    """Lock the counted activities against edits (those locked by an earlier submission stay with it)."""
    return (Activity.objects.for_organisation(submission.organisation_id)
            .filter(pk__in=ids, locked_by__isnull=True).update(locked_by=submission))


def _confirmation_email(submission: Submission, dossier: Dossier) -> None:
    owner, organisation = dossier.owner, dossier.organisation
    mail_send(to=owner.email, template="dossiers/email/submitted", organisation=organisation,
              language=recipient_language(owner, organisation), context=lambda: {
                  "owner": owner, "organisation": organisation, "dossier": dossier, "submission": submission,
                  "link": site_url("dossier_detail", org=organisation.slug, pk=dossier.pk),
                  "scheme": dossier.scheme_version.label, "title": dossier_title(dossier),
                  "reference_date": reports.date(dossier.reference_date),
                  "submitted_on": reports.day_of(submission.submitted_at)})


def hold_for_submission(locked: Dossier, *, by: User, today: dt.date | None) -> Checklist:
    """Before a dossier (or its next version) is frozen: only its owner submits; the professional's activities
    are held still while the report is computed and frozen; the dossier page's checklist must be complete
    (ValidationError with what is missing). Returns that checklist, which the snapshot is built from."""
    if locked.owner_id != by.pk:
        raise ValidationError(_("Only the professional whose dossier it is can submit it."), code="not_owner")
    list(Activity.objects.for_organisation(locked.organisation_id).filter(owner_id=locked.owner_id)
         .select_for_update().values_list("pk", flat=True))
    checklist = dossier_checklist(locked, today=today)
    if not checklist.complete:
        raise ValidationError(checklist.missing, code="incomplete")
    return checklist


@transaction.atomic
def dossier_submit(*, dossier: Dossier, by: User, today: dt.date | None = None) -> Submission:
    """Submit a complete dossier: snapshot, hash, lock — or raise ValidationError with what is missing."""
    locked = (Dossier.objects.for_organisation(dossier.organisation_id).select_for_update(of=("self",))
              .select_related("certification", "scheme_version", "owner", "organisation").get(pk=dossier.pk))
    if locked.is_locked:
        raise ValidationError(_("This dossier has already been submitted."), code="locked")
    checklist = hold_for_submission(locked, by=by, today=today)
    now = timezone.now()
    locked.status = Dossier.Status.SUBMITTED
    locked.submitted_at = now
    locked.save(update_fields=["status", "submitted_at"])
    snapshot = snapshot_build(checklist, by=by, submitted_at=now)
    digest = snapshot_digest(snapshot)
    submission = Submission.objects.create(
        organisation_id=locked.organisation_id, dossier=locked, scheme_version=locked.scheme_version,
        submitted_by=by, submitted_at=now, snapshot=snapshot, snapshot_sha256=digest)
    _lock_activities(submission=submission, ids=counted_activity_ids(checklist))
    audit_record(organisation=locked.organisation, actor=by, action="dossier.submit", dossier=locked.pk,
                 certification=locked.certification.number, snapshot=digest[:12], submission=submission.pk)


    submission_submitted.send(sender=Submission, submission=submission)
    outbox_enqueue("dossiers.tasks.render_submission_pdf", submission_id=submission.pk,
                   organisation_id=locked.organisation_id)
    _confirmation_email(submission, locked)
    dossier.status, dossier.submitted_at = locked.status, locked.submitted_at
    return submission
