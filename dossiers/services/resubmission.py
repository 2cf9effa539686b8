"""Reopening parts of a submitted dossier for a request for information, and resubmitting it as a new version.

The review app names what its request reopens (`dossier_reopen`): sections (their answers and files), signed
statements (asked for again: the earlier signature no longer counts) and counted activities (unlocked, so their
details and evidence can change). Everything else stays as submitted. `dossier_resubmit` re-checks the dossier
with the same checklist as the first submission, freezes a new snapshot (the earlier versions are kept in
`SubmissionVersion`, each with its date; the `Submission` row holds the current one), locks the counted
activities again and closes what was reopened. Both run in one transaction each: all or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.outbox import outbox_enqueue
from accounts.services import audit_record
from dossiers.models import Dossier, DossierReopening, StatementRequest, Submission, SubmissionVersion
from dossiers.services.statements import statement_rerequest
from dossiers.services.submission import (
    counted_activity_ids,
    hold_for_submission,
    snapshot_build,
    snapshot_digest,
)
from dossiers.signals import submission_resubmitted
from portfolios.models import Activity

AUDIT_ACTIONS = {
    "dossier.reopen": (gettext_lazy("Dossier reopened for information"),
                       gettext_lazy("Reopened parts of dossier %(dossier)s for a request for information")),
    "dossier.resubmit": (gettext_lazy("Dossier resubmitted"),
                         gettext_lazy("Resubmitted dossier %(dossier)s as version %(version)s "
                                      "(snapshot %(snapshot)s)")),
}


def _locked_dossier(dossier: Dossier) -> Dossier:
    return (Dossier.objects.for_organisation(dossier.organisation_id).select_for_update(of=("self",))
            .select_related("certification", "scheme_version", "owner", "organisation").get(pk=dossier.pk))


@transaction.atomic
def dossier_reopen(*, dossier: Dossier, sections: Collection[str], statements: Collection[int],
                   activities: Collection[int], due_on: dt.date, by: User) -> dict[str, Any]:
    """Reopen the named parts of a submitted dossier (each must be in its current snapshot) with a
    `DossierReopening` row until the resubmission; return what `Dossier.reopened` now says. A statement is asked
    for again; an activity is unlocked."""
    locked = _locked_dossier(dossier)
    if not locked.is_locked or locked.is_reopened:
        raise ValidationError(_("Only a submitted dossier with nothing reopened can be reopened."), code="state")
    submission = Submission.objects.for_organisation(locked.organisation_id).select_for_update().get(dossier=locked)
    snapshot = submission.snapshot
    known_sections = {item["code"] for item in snapshot.get("sections", [])}
    known_statements = {item["id"] for item in snapshot.get("statements", [])}
    known_activities = {item["id"] for item in snapshot.get("activities", [])}
    if (not set(sections) <= known_sections or not set(statements) <= known_statements
            or not set(activities) <= known_activities):
        raise ValidationError(_("Only parts of the submitted dossier can be reopened."), code="unknown")
    if not (sections or statements or activities):
        raise ValidationError(_("Name at least one section, statement or activity to reopen."), code="empty")
    fresh = []
    for statement in (StatementRequest.objects.for_organisation(locked.organisation_id)
                      .filter(dossier=locked, pk__in=list(statements)).order_by("pk")):
        fresh.append(statement_rerequest(statement=statement, by=by).pk)
    Activity.objects.for_organisation(locked.organisation_id).filter(
        pk__in=list(activities), locked_by=submission).update(locked_by=None)
    row = DossierReopening.objects.create(organisation_id=locked.organisation_id, dossier=locked,
                                          sections=sorted(sections), statements=fresh,
                                          activities=sorted(activities), due_on=due_on)
    audit_record(organisation=locked.organisation, actor=by, action="dossier.reopen", dossier=locked.pk,
                 sections=sorted(sections), statements=fresh, activities=sorted(activities))
    dossier.forget_reopened()
    return row.parts


def versions_of(submission: Submission) -> list[SubmissionVersion]:
    return list(SubmissionVersion.objects.for_organisation(submission.organisation_id).filter(submission=submission))


@transaction.atomic
def dossier_resubmit(*, dossier: Dossier, by: User, today: dt.date | None = None) -> Submission:
    """Freeze the reopened dossier again as the submission's next version (ValidationError: not reopened, not
    the owner, or incomplete, with what is missing)."""
    locked = _locked_dossier(dossier)
    if not locked.is_reopened:
        raise ValidationError(_("Nothing of this dossier is open for changes."), code="state")
    checklist = hold_for_submission(locked, by=by, today=today)
    submission = (Submission.objects.for_organisation(locked.organisation_id).select_for_update()
                  .get(dossier=locked))
    if submission.latest_version is None:
        SubmissionVersion.objects.create(
            organisation_id=locked.organisation_id, submission=submission, number=1,
            submitted_at=submission.submitted_at, submitted_by=submission.submitted_by, snapshot=submission.snapshot,
            snapshot_sha256=submission.snapshot_sha256)
    now = timezone.now()
    number = submission.version + 1
    # The dossier is judged as of its first submission (the engine's date); the snapshot says when it came back.
    snapshot = snapshot_build(checklist, by=by, submitted_at=submission.submitted_at)
    snapshot["version"] = number
    snapshot["dossier"]["resubmitted_at"] = now.isoformat()
    digest = snapshot_digest(snapshot)
    submission.snapshot, submission.snapshot_sha256, submission.pdf = snapshot, digest, ""
    submission.save(update_fields=["snapshot", "snapshot_sha256", "pdf"])
    submission.latest_version = SubmissionVersion.objects.create(
        organisation_id=locked.organisation_id, submission=submission, number=number, submitted_at=now,
        submitted_by=by, snapshot=snapshot, snapshot_sha256=digest)
    (Activity.objects.for_organisation(locked.organisation_id)
     .filter(pk__in=counted_activity_ids(checklist), locked_by__isnull=True).update(locked_by=submission))
    DossierReopening.objects.for_organisation(locked.organisation_id).filter(dossier=locked).delete()
    audit_record(organisation=locked.organisation, actor=by, action="dossier.resubmit", dossier=locked.pk,
                 version=number, snapshot=digest[:12], submission=submission.pk)
    submission_resubmitted.send(sender=Submission, submission=submission)
    outbox_enqueue("dossiers.tasks.render_submission_pdf", submission_id=submission.pk,
                   organisation_id=locked.organisation_id)
    dossier.forget_reopened()
    return submission
