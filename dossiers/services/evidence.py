"""Evidence files: attach them to an activity or a dossier section, delete them, and decide who sees them.

Every upload is checked before anything is stored: the per-file limit, the professional's total, and
the type by content (portfolios/evidence_files.py). The SHA-256 is computed while the file is read in
chunks; the stored name is server-generated (`models.evidence_path`); storage goes through the
`Evidence.file` FileField, so S3-compatible storage is a setting (`STORAGE_BACKEND`). A file stored by a
transaction that then rolls back is removed when it ends, and the sweeper removes anything left unreferenced
(accounts/storage.py). Who may attach, download or delete a file is decided before these are called
(`dossiers.access.evidence_for` and the parent's `activity_for`/`section_for`, which other apps extend with
rules); downloads stream the stored bytes as an attachment.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Organisation, User
from accounts.services import audit_record
from accounts.storage import stored_files_delete_on_commit
from dossiers.models import Dossier, DossierSection, Evidence, Submission
from portfolios import evidence_files, reports
from portfolios.models import Activity

# action code → (label for filters, sentence with %(name)s parameters from the event's data).
# For accounts/audit.py ACTIONS (the lead merges them there).
AUDIT_ACTIONS = {
    "evidence.upload": (gettext_lazy("Evidence uploaded"), gettext_lazy("Uploaded the evidence file “%(name)s”")),
    "evidence.delete": (gettext_lazy("Evidence deleted"), gettext_lazy("Deleted the evidence file “%(name)s”")),
}

# --- parents ----------------------------------------------------------------------------------------------

def evidence_parent_locked(evidence: Evidence) -> bool:
    """Whether the activity or dossier the file belongs to is locked by a submission."""
    if evidence.activity is not None:
        return evidence.activity.is_locked
    if evidence.section is not None:
        return evidence.section.dossier.section_locked(evidence.section.code)
    return False


def _section_requirement(section: DossierSection, code: str) -> Any:
    """The requirement `code` of the section in the dossier's scheme version, or a ValidationError."""
    definition = section.dossier.scheme_version.rules
    scheme_section = next((item for item in definition.sections if item.code == section.code), None)
    requirement = None
    if scheme_section is not None:
        requirement = next((item for item in scheme_section.requirements if item.code == code), None)
    if requirement is None:
        raise ValidationError(_("This part of the dossier does not take files."), code="requirement")
    return requirement


def _check_parent(*, organisation: Organisation, activity: Activity | None, section: DossierSection | None,
                  requirement_code: str) -> int:
    """Refuse a locked parent (or a single-file requirement that has its file); return the parent's owner's id."""
    if (activity is None) == (section is None):
        raise ValidationError(_("Say which activity or dossier section the file belongs to."), code="parent")
    if activity is not None:
        # Read the lock again under a row lock, so a submission cannot take the activity in between.
        activity = Activity.objects.for_organisation(organisation).select_for_update().get(pk=activity.pk)
        if activity.is_locked:
            raise ValidationError(_("This activity is part of a submitted dossier; its evidence can no longer "
                                    "change."), code="locked")
        return activity.owner_id
    assert section is not None
    dossier = Dossier.objects.for_organisation(organisation).select_for_update().get(pk=section.dossier_id)
    if dossier.section_locked(section.code):
        raise ValidationError(_("This dossier has been submitted; its files can no longer change."), code="locked")
    requirement = _section_requirement(section, requirement_code)
    if getattr(requirement, "KIND", "") == "document" and not requirement.multiple and (
            Evidence.objects.for_organisation(organisation)
            .filter(section=section, requirement_code=requirement_code).exists()):
        raise ValidationError(_("This part takes one file. Delete the current file first to replace it."),
                              code="single")
    return dossier.owner_id


# --- sizes --------------------------------------------------------------------------------------------------

def evidence_usage(*, organisation: Organisation, owner: User) -> int:
    """Bytes of evidence the professional has stored in the organisation."""
    total = (Evidence.objects.for_organisation(organisation).filter(owner=owner)
             .aggregate(total=Sum("size"))["total"])
    return int(total or 0)


def too_large_message(name: str) -> str:
    return _("“%(name)s” is larger than %(limit)s MB, the most a single file may be. Make it smaller (for "
             "example scan at a lower resolution or save as PDF) and try again.") % {
        "name": name, "limit": reports.number(evidence_files.megabytes(evidence_files.max_file_bytes()))}


def package_refused_message(name: str, refusal: evidence_files.PackageRefused) -> str:
    """Why a DOCX/ODT package was refused, in words, naming the bound it passed."""
    params: dict[str, Any] = {"name": name}
    if "limit" in refusal.params:
        limit = refusal.params["limit"]
        params["limit"] = reports.number(evidence_files.megabytes(limit) if refusal.code == "package_size" else limit)
    if "ratio" in refusal.params:
        params["ratio"] = reports.number(refusal.params["ratio"])
    messages = {
        "package_entries": _("“%(name)s” contains more than %(limit)s files inside; documents have far fewer. Save "
                             "it again (or as PDF) and try again."),
        "package_size": _("“%(name)s” expands to more than %(limit)s MB when unpacked, the most a document may. "
                          "Save it as PDF, or make it smaller, and try again."),
        "package_ratio": _("“%(name)s” is compressed more than %(ratio)s to 1, which documents never are: it looks "
                           "like a “zip bomb” and is refused."),
        "package_inconsistent": _("“%(name)s” is damaged or disguised: what it contains does not match the sizes it "
                                  "declares. Save it again from your word processor and try again."),
        "package_method": _("“%(name)s” is encrypted or packed in a way word processors do not use. Remove the "
                            "password or save it again, and try again."),
        "package_kind": _("“%(name)s” is a ZIP archive, not a Word (DOCX) or OpenDocument text (ODT) file: it has "
                          "neither the “[Content_Types].xml” of a DOCX nor the “mimetype” of an ODT."),
        "docx_content_types": _("“%(name)s” is not a valid Word document: its “[Content_Types].xml” cannot be read. "
                                "Save it again from your word processor and try again."),
        "docx_main": _("“%(name)s” is not a complete Word document: it declares no main document, or the main "
                       "document (word/document.xml) is missing. Save it again from your word processor and try "
                       "again."),
        "docx_macros": _("“%(name)s” contains macros (a .docm file renamed .docx). Save it as a plain Word document "
                         "or as PDF, and try again."),
        "odt_mimetype": _("“%(name)s” is not an OpenDocument text: its “mimetype” entry must come first, be stored "
                          "uncompressed and say application/vnd.oasis.opendocument.text. Save it as ODT (or PDF) "
                          "and try again."),
        "odt_manifest": _("“%(name)s” is not a complete OpenDocument text: its “META-INF/manifest.xml” is missing or "
                          "does not describe a text document. Save it again from your word processor and try "
                          "again."),
    }
    return messages[refusal.code] % params


def _check_total(*, organisation: Organisation, owner: User, name: str, size: int) -> None:
    limit = evidence_files.max_total_bytes()
    used = evidence_usage(organisation=organisation, owner=owner)
    if used + size > limit:
        raise ValidationError(_(
            "“%(name)s” (%(size)s MB) does not fit: your evidence may take up at most %(limit)s MB and %(left)s MB "
            "is left. Delete files you no longer need first.") % {
            "name": name, "size": reports.number(evidence_files.megabytes(size)),
            "limit": reports.number(evidence_files.megabytes(limit)),
            "left": reports.number(evidence_files.megabytes(max(limit - used, 0)))}, code="quota")


# --- changes ------------------------------------------------------------------------------------------------

@transaction.atomic
def evidence_attach(*, by: User, organisation: Organisation, upload: Any, activity: Activity | None = None,
                    section: DossierSection | None = None, requirement_code: str = "") -> Evidence:
    """Store an uploaded file as evidence of an activity, or of a dossier section's requirement.

    The caller has decided that `by` may add files to the parent (`dossiers.access`); the file is the parent's
    owner's (their total, their download). `upload` is a Django `UploadedFile` (or any `File`). Checked before
    anything is stored, in this order: the parent is not locked (a single-file requirement has no file yet), the
    file is not empty and within the per-file limit, the professional's total stays within its limit (uploads of one
    professional are serialised on their membership row, so two at once cannot both squeeze in), and the
    content is PDF, PNG, JPEG, DOCX or ODT (a DOCX/ODT package sound inside and no zip bomb). Raises
    ValidationError with a worded message.
    """
    name = evidence_files.clean_file_name(getattr(upload, "name", None))
    owner_id = _check_parent(organisation=organisation, activity=activity, section=section,
                             requirement_code=requirement_code)
    owner = by if owner_id == by.pk else User.objects.get(pk=owner_id)
    declared = getattr(upload, "size", None)
    if declared is not None and declared > evidence_files.max_file_bytes():
        raise ValidationError(too_large_message(name), code="too_large")
    digest, size = evidence_files.hash_and_size(upload)
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    if size > evidence_files.max_file_bytes():
        raise ValidationError(too_large_message(name), code="too_large")
    Membership.objects.for_organisation(organisation).select_for_update().filter(user=owner).first()
    _check_total(organisation=organisation, owner=owner, name=name, size=size)
    try:
        content_type = evidence_files.detect_content_type(upload)
    except evidence_files.PackageRefused as refusal:
        raise ValidationError(package_refused_message(name, refusal), code=refusal.code) from refusal
    if content_type is None:
        raise ValidationError(_("“%(name)s” is not a PDF, PNG, JPEG, DOCX or ODT file. Files are recognised by "
                                "what they contain, not by their name.") % {"name": name}, code="type")
    evidence = Evidence(organisation=organisation, owner=owner, activity=activity, section=section,
                        requirement_code=requirement_code if section is not None else "", original_name=name,
                        content_type=content_type, size=size, sha256=digest)
    upload.seek(0)
    evidence.file.save(name, upload, save=False)
    try:
        evidence.save()
        audit_record(organisation=organisation, actor=by, action="evidence.upload", name=name,
                     evidence=evidence.pk, activity=activity.pk if activity else None,
                     section=section.pk if section else None)
    except BaseException:
        # At once, rather than when the request's transaction ends (accounts.storage.stored_files_guard).
        evidence.file.storage.delete(evidence.file.name or "")
        raise
    return evidence


@transaction.atomic
def evidence_delete(*, evidence: Evidence, by: User) -> None:
    """Delete an evidence file (the row now, the stored file after the commit) unless its parent is locked."""
    if evidence_parent_locked(evidence):
        raise ValidationError(_("This file belongs to a submitted dossier and can no longer be deleted."),
                              code="locked")
    data = {"name": evidence.original_name, "evidence": evidence.pk}
    if (Submission.objects.for_organisation(evidence.organisation_id)
            .filter(snapshot__evidence__contains=[{"id": evidence.pk}]).exists()):
        # A file of a submitted version (deleted while a request for information reopened its part) leaves the
        # dossier but stays stored, so the version it was submitted with keeps its file.
        evidence.activity, evidence.section = None, None
        evidence.save(update_fields=["activity", "section"])
        audit_record(organisation=evidence.organisation, actor=by, action="evidence.delete", kept=True, **data)
        return
    file_name = evidence.file.name
    evidence.delete()
    stored_files_delete_on_commit([file_name])
    audit_record(organisation=evidence.organisation, actor=by, action="evidence.delete", **data)
