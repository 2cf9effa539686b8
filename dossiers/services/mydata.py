"""A person's own data: the archive of everything about them, and asking for (and carrying out) deletion.

The archive and the deletion request are about the *account*, so they cover every organisation the person
belongs to: each organisation's rows are read inside `tenant_context(organisation)`, the same wall every
request runs behind. Carrying out a request is done by each organisation's administrators for their own
organisation; submitted dossiers (and what they include) are kept, as the schemes' retention requires.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Case, IntegerField, ProtectedError, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.mail import mail_send
from accounts.models import Membership, Organisation, Role, User
from accounts.services import audit_record
from accounts.storage import open_stream
from accounts.tenancy import maintenance, tenant_context
from dossiers.models import Dossier, DossierSection, Evidence, StatementRequest, Submission
from portfolios.models import Activity, Certification, CertificationStatusChange, DeletionRequest

AUDIT_ACTIONS = {
    "mydata.export": (gettext_lazy("Personal data downloaded"),
                      gettext_lazy("%(email)s downloaded the archive of their data")),
    "deletion.request": (gettext_lazy("Account deletion requested"),
                         gettext_lazy("%(email)s asked for their account to be deleted")),
    "deletion.carry_out": (gettext_lazy("Account deletion carried out"),
                           gettext_lazy("Deleted the data of %(email)s: %(activities)s activities, %(evidence)s "
                                        "evidence files and %(dossiers)s draft dossiers; kept %(kept)s submitted "
                                        "dossiers")),
    "deletion.refuse": (gettext_lazy("Account deletion refused"),
                        gettext_lazy("Refused the request of %(email)s to delete their account")),
}

ARCHIVE_FORMAT = 1
COPY_CHUNK = 1024 * 1024
TOMBSTONE_DOMAIN = "deleted.invalid"


# --- The archive ------------------------------------------------------------------------------------

def archive_name(evidence: Evidence) -> str:
    """`evidence/<id>-<original name, sanitised>`: no directories, no odd characters, never empty."""
    base = evidence.original_name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^\w.\-]+", "_", base).strip("._")[:120] or "file"
    return f"evidence/{evidence.pk}-{cleaned}"


def _profile(user: User) -> dict[str, Any]:
    return {
        "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
        "date_of_birth": user.date_of_birth, "address": user.address, "phone": user.phone,
        "preferred_language": user.preferred_language, "joined": user.date_joined, "last_login": user.last_login,
    }


def _organisation_data(organisation: Organisation, membership: Membership, user: User
                       ) -> tuple[dict[str, Any], list[Evidence]]:
    """Everything one organisation holds about `user` (run inside that organisation's tenant context)."""
    certifications = list(Certification.objects.for_organisation(organisation).filter(holder=user)
                          .select_related("scheme_version").defer("scheme_version__definition").order_by("pk"))
    history: dict[int, list[dict[str, Any]]] = {}
    for change in (CertificationStatusChange.objects.for_organisation(organisation)
                   .filter(certification__holder=user).order_by("changed_at", "pk")):
        history.setdefault(change.certification_id, []).append({
            "from": change.from_status, "to": change.to_status, "note": change.note, "at": change.changed_at})
    activities = list(Activity.objects.for_organisation(organisation).filter(owner=user).order_by("date", "pk"))
    dossiers = list(Dossier.objects.for_organisation(organisation).filter(owner=user)
                    .select_related("scheme_version").defer("scheme_version__definition").order_by("pk"))
    sections: dict[int, list[dict[str, Any]]] = {}
    for section in DossierSection.objects.for_organisation(organisation).filter(dossier__owner=user).order_by("pk"):
        sections.setdefault(section.dossier_id, []).append(
            {"code": section.code, "data": section.data, "updated_at": section.updated_at})
    statements: dict[int, list[dict[str, Any]]] = {}
    for statement in StatementRequest.objects.for_organisation(organisation).filter(dossier__owner=user).order_by("pk"):
        # Never the link's token (hash): it is the signer's key, not the professional's data.
        statements.setdefault(statement.dossier_id, []).append({
            "section": statement.section_code, "requirement": statement.requirement_code,
            "signer_name": statement.signer_name, "signer_email": statement.signer_email,
            "signer_role": statement.signer_role, "message": statement.message, "status": statement.status,
            "fields": statement.fields, "signed_name": statement.signed_name, "signed_at": statement.signed_at,
            "decline_reason": statement.decline_reason, "requested_at": statement.created_at,
            "expires_at": statement.expires_at})
    submissions = {s.dossier_id: s for s in Submission.objects.for_organisation(organisation)
                   .filter(dossier__owner=user).select_related("scheme_version").defer("scheme_version__definition")}
    evidence = list(Evidence.objects.for_organisation(organisation).filter(owner=user)
                    .select_related("section").order_by("pk"))
    data = {
        "organisation": {"slug": organisation.slug, "name": organisation.name},
        "membership": {"roles": [str(role) for role in membership.roles], "since": membership.created_at},
        "certifications": [{
            "id": c.pk, "scheme": c.scheme_version.code, "scheme_version": c.scheme_version.version,
            "number": c.number, "status": c.status, "exam_passed_on": c.exam_passed_on, "issued_on": c.issued_on,
            "recertification_date": c.recertification_date, "cycle_start": c.cycle_start,
            "expires_on": c.expires_on, "product_series": c.product_series, "designation": c.designation,
            "membership_valid_until": c.membership_valid_until, "created_at": c.created_at,
            "status_history": history.get(c.pk, [])} for c in certifications],
        "activities": [{
            "id": a.pk, "type": a.type_code, "date": a.date, "quantity": a.quantity, "details": a.attributes,
            "title": a.title, "provider": a.provider, "description": a.description, "reflection": a.reflection,
            "imported": a.imported_by_id is not None, "locked_by_submission": a.locked_by_id is not None,
            "created_at": a.created_at, "updated_at": a.updated_at} for a in activities],
        "dossiers": [{
            "id": d.pk, "certification": d.certification_id, "scheme": d.scheme_version.code,
            "scheme_version": d.scheme_version.version, "kind": d.kind, "reference_date": d.reference_date,
            "product_series": d.product_series, "status": d.status, "created_at": d.created_at,
            "submitted_at": d.submitted_at, "sections": sections.get(d.pk, []),
            "statements": statements.get(d.pk, []),
            "submission": _submission(submissions.get(d.pk))} for d in dossiers],
        "evidence": [{
            "id": e.pk, "file_name": e.original_name, "content_type": e.content_type, "size": e.size,
            "sha256": e.sha256, "uploaded_at": e.uploaded_at, "activity": e.activity_id,
            "dossier": e.section.dossier_id if e.section else None, "section": e.section.code if e.section else None,
            "requirement": e.requirement_code, "archive_path": archive_name(e)} for e in evidence],
    }
    return data, evidence


def _submission(submission: Submission | None) -> dict[str, Any] | None:
    if submission is None:
        return None
    return {"submitted_at": submission.submitted_at, "scheme": submission.scheme_version.code,
            "scheme_version": submission.scheme_version.version, "snapshot": submission.snapshot,
            "snapshot_sha256": submission.snapshot_sha256}


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def mydata_archive(*, user: User, requested_in: Organisation) -> IO[bytes]:
    """A ZIP of everything about `user` in every organisation they belong to: `data.json` plus each evidence
    file under `evidence/<id>-<name>`. Built in a temporary file (not in memory); returned at position 0.

    Each organisation records the download in its audit trail.
    """
    memberships = list(Membership.objects.for_user(user).select_related("organisation").order_by("organisation__name"))
    archive = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    organisations = []
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for membership in memberships:
            organisation = membership.organisation
            with tenant_context(organisation, user_id=user.pk):
                data, evidence = _organisation_data(organisation, membership, user)
                for item, entry in zip(evidence, data["evidence"], strict=True):
                    entry["included"] = _copy_file(zf, item, entry["archive_path"])
                audit_record(organisation=organisation, actor=user, action="mydata.export", email=user.email,
                             requested_in=requested_in.slug)
            organisations.append(data)
        document = {"format": ARCHIVE_FORMAT, "exported_at": timezone.now(), "profile": _profile(user),
                    "organisations": organisations}
        zf.writestr("data.json", json.dumps(document, cls=_Encoder, indent=2, ensure_ascii=False))
    archive.seek(0)
    return archive


def _copy_file(zf: zipfile.ZipFile, evidence: Evidence, name: str) -> bool:
    """Stream one evidence file into the archive; False when the stored file is missing."""
    if not evidence.file.name:
        return False
    try:
        source = open_stream(evidence.file.storage, evidence.file.name)
    except FileNotFoundError:
        return False
    with source, zf.open(name, "w", force_zip64=True) as target:
        shutil.copyfileobj(source, target, COPY_CHUNK)
    return True


# --- Deletion requests ------------------------------------------------------------------------------

@transaction.atomic
def deletion_request_create(*, user: User, reason: str = "") -> list[DeletionRequest]:
    """One pending request per organisation the person belongs to (none twice); audited in each."""
    created = []
    for membership in Membership.objects.for_user(user).select_related("organisation"):
        organisation = membership.organisation
        with tenant_context(organisation, user_id=user.pk):
            if DeletionRequest.objects.for_organisation(organisation).filter(
                    user=user, status=DeletionRequest.Status.PENDING).exists():
                continue
            created.append(DeletionRequest.objects.create(organisation=organisation, user=user,
                                                          user_email=user.email, reason=reason.strip()))
            audit_record(organisation=organisation, actor=user, action="deletion.request", email=user.email)
    return created


def pending_requests(*, user: User, organisation: Organisation) -> list[DeletionRequest]:
    return list(DeletionRequest.objects.for_organisation(organisation).filter(
        user=user, status=DeletionRequest.Status.PENDING))


@dataclass
class DeletionImpact:
    """What carrying out a request would remove from, and keep in, one organisation."""

    activities: int = 0
    activities_kept: int = 0
    evidence: int = 0
    evidence_kept: int = 0
    dossiers: int = 0
    dossiers_kept: int = 0
    certifications: int = 0
    last_admin: bool = False


def _kept_evidence(evidence: Evidence) -> bool:
    """Part of a submission: proof for a locked activity, or a file in a submitted dossier's section."""
    if evidence.activity is not None:
        return evidence.activity.locked_by_id is not None
    if evidence.section is not None:
        return evidence.section.dossier.status != Dossier.Status.DRAFT
    return False


def _evidence_split(organisation: Organisation, user: User) -> tuple[list[Evidence], list[Evidence]]:
    evidence = list(Evidence.objects.for_organisation(organisation).filter(owner=user)
                    .select_related("activity", "section__dossier"))
    kept = [e for e in evidence if _kept_evidence(e)]
    return [e for e in evidence if not _kept_evidence(e)], kept


def _is_last_admin(organisation: Organisation, user: User) -> bool:
    admins = list(Membership.objects.for_organisation(organisation).with_role(Role.ADMIN)
                  .values_list("user_id", flat=True))
    return admins == [user.pk]


def deletion_impact(*, deletion_request: DeletionRequest) -> DeletionImpact:
    """Counts for the confirmation page (and the audit trail)."""
    organisation, user = deletion_request.organisation, deletion_request.user
    if user is None:
        return DeletionImpact()
    removed, kept = _evidence_split(organisation, user)
    activities = Activity.objects.for_organisation(organisation).filter(owner=user)
    dossiers = Dossier.objects.for_organisation(organisation).filter(owner=user)
    return DeletionImpact(
        activities=activities.filter(locked_by__isnull=True).count(),
        activities_kept=activities.filter(locked_by__isnull=False).count(),
        evidence=len(removed), evidence_kept=len(kept),
        dossiers=dossiers.filter(status=Dossier.Status.DRAFT).count(),
        dossiers_kept=dossiers.exclude(status=Dossier.Status.DRAFT).count(),
        certifications=Certification.objects.for_organisation(organisation).filter(holder=user).count(),
        last_admin=_is_last_admin(organisation, user),
    )


def _pending(deletion_request: DeletionRequest) -> DeletionRequest:
    locked = (DeletionRequest.objects.for_organisation(deletion_request.organisation_id).select_for_update(of=("self",))
              .select_related("organisation", "user").get(pk=deletion_request.pk))
    if locked.status != DeletionRequest.Status.PENDING:
        raise ValidationError(_("This request has already been handled."), code="handled")
    return locked


@transaction.atomic
def deletion_request_carry_out(*, deletion_request: DeletionRequest, by: User, note: str = "") -> DeletionImpact:
    """Remove the person from the organisation with what is theirs, except what submitted dossiers include.

    Removed: the membership, activities without a submission lock, evidence files not part of a submission,
    draft dossiers (with their sections and statement requests). Kept: submitted dossiers, their submissions
    and the activities and files they include, and the certifications in the register. When no organisation
    holds anything of theirs any more, the account is deactivated and anonymised. The person is told by e-mail.
    """
    deletion_request = _pending(deletion_request)
    organisation, user = deletion_request.organisation, deletion_request.user
    impact = deletion_impact(deletion_request=deletion_request)
    if impact.last_admin:
        raise ValidationError(_("This person is the organisation's only administrator: appoint another "
                                "administrator before carrying out the request."), code="last_admin")
    address, language, anonymised = deletion_request.user_email, organisation.default_language, False
    if user is not None:
        address, language = user.email, user.preferred_language or language
        removed, _kept = _evidence_split(organisation, user)
        files = [e.file.name for e in removed if e.file.name]
        Evidence.objects.for_organisation(organisation).filter(pk__in=[e.pk for e in removed]).delete()
        transaction.on_commit(lambda: _delete_files(files))
        Activity.objects.for_organisation(organisation).filter(owner=user, locked_by__isnull=True).delete()
        try:
            Dossier.objects.for_organisation(organisation).filter(owner=user, status=Dossier.Status.DRAFT).delete()
        except ProtectedError:
            raise ValidationError(_("A draft dossier of this person is still referred to elsewhere (a review?); "
                                    "resolve that first."), code="protected") from None
        Membership.objects.for_organisation(organisation).filter(user=user).delete()
    deletion_request.status = DeletionRequest.Status.DONE
    deletion_request.actioned_by = by
    deletion_request.actioned_at = timezone.now()
    deletion_request.note = note.strip()
    deletion_request.save(update_fields=["status", "actioned_by", "actioned_at", "note"])
    if user is not None and not _holds_anything(user):
        _anonymise(user)
        anonymised = True
    audit_record(organisation=organisation, actor=by, action="deletion.carry_out", email=deletion_request.user_email,
                 activities=impact.activities, evidence=impact.evidence, dossiers=impact.dossiers,
                 kept=impact.dossiers_kept, anonymised=int(anonymised), request=deletion_request.pk)
    _inform(deletion_request, address, language, "done", impact=impact, anonymised=anonymised)
    return impact


@transaction.atomic
def deletion_request_refuse(*, deletion_request: DeletionRequest, by: User, note: str) -> DeletionRequest:
    """Refuse with a reason the person is told by e-mail; nothing is deleted."""
    if not note.strip():
        raise ValidationError({"note": [_("Say why the request is refused; the person is told.")]})
    deletion_request = _pending(deletion_request)
    deletion_request.status = DeletionRequest.Status.REFUSED
    deletion_request.actioned_by = by
    deletion_request.actioned_at = timezone.now()
    deletion_request.note = note.strip()
    deletion_request.save(update_fields=["status", "actioned_by", "actioned_at", "note"])
    audit_record(organisation=deletion_request.organisation, actor=by, action="deletion.refuse",
                 email=deletion_request.user_email, request=deletion_request.pk)
    user = deletion_request.user
    language = (user.preferred_language if user else "") or deletion_request.organisation.default_language
    _inform(deletion_request, user.email if user else deletion_request.user_email, language, "refused")
    return deletion_request


def _holds_anything(user: User) -> bool:
    """Whether any organisation still has the person as a member, or data of theirs that is not kept for
    retention (activities without a submission lock, draft dossiers, pending requests).

    Platform-level question across organisations: answered in maintenance mode, as booleans only.
    """
    with maintenance():
        return (Membership.objects.filter(user=user).exists()
                or Activity.objects.filter(owner=user, locked_by__isnull=True).exists()
                or Dossier.objects.filter(owner=user, status=Dossier.Status.DRAFT).exists()
                or DeletionRequest.objects.filter(user=user, status=DeletionRequest.Status.PENDING).exists())


def _anonymise(user: User) -> None:
    """Deactivate the account and remove what identifies the person; the row stays because retained
    submissions refer to it."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    user.first_name = user.last_name = user.address = user.phone = user.preferred_language = ""
    user.date_of_birth = None
    user.email = f"deleted-{user.pk}-{secrets.token_hex(6)}@{TOMBSTONE_DOMAIN}"
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["first_name", "last_name", "address", "phone", "preferred_language",
                             "date_of_birth", "email", "is_active", "password"])
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _inform(deletion_request: DeletionRequest, address: str, language: str, outcome: str, *,
            impact: DeletionImpact | None = None, anonymised: bool = False) -> None:
    """E-mail the requester the outcome, in their language."""
    mail_send(to=address, template=f"dossiers/mydata/email/deletion_{outcome}", language=language,
              organisation=deletion_request.organisation, context={
                  "organisation": deletion_request.organisation, "deletion": deletion_request,
                  "impact": asdict(impact) if impact else None, "anonymised": anonymised})


def deletion_requests_for(organisation: Organisation, status: str = "") -> QuerySet:
    """The organisation's requests, pending ones first, newest first."""
    qs = DeletionRequest.objects.for_organisation(organisation).select_related("actioned_by")
    if status in DeletionRequest.Status.values:
        qs = qs.filter(status=status)
    pending_first = Case(When(status=DeletionRequest.Status.PENDING, then=Value(0)), default=Value(1),
                         output_field=IntegerField())
    return qs.order_by(pending_first, "-requested_at", "-pk")

