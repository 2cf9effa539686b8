"""Dossiers: a recertification dossier (or yearly CPD submission) and its sections, the evidence files of
activities and sections, statements asked of third parties, and the immutable submission.

The tables were created by the portfolios app and keep their names (`Meta.db_table`): moving the models here
changed Django's state only (dossiers/migrations/0001_moved_from_portfolios.py), so rows and row-level
security policies stayed as they were.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from accounts.tenancy import TenantManager
from portfolios.models import Activity, Certification, evidence_path
from schemes.models import SchemeVersion


class Dossier(models.Model):
    """A recertification dossier (or a yearly CPD submission) being assembled, then submitted."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="dossiers")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dossiers")
    certification = models.ForeignKey(Certification, on_delete=models.PROTECT, related_name="dossiers")
    # The version the dossier was started under: later versions never change what it is judged against.
    scheme_version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="dossiers")
    kind = models.CharField(_("kind"), max_length=20, default="recertification")
    reference_date = models.DateField(_("requirements as of"),
                                      help_text=_("The recertification date or the CPD-year deadline."))
    product_series = models.CharField(_("product series"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        db_table = "portfolios_dossier"  # created by the portfolios app; the rows stayed when the model moved
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "certification", "kind", "reference_date", "product_series"],
                name="dossier_org_cert_kind_date"),
        ]
        indexes = [models.Index(fields=["organisation", "owner", "status"], name="dossier_org_owner_idx")]

    def __str__(self) -> str:
        return f"{self.certification_id}: {self.kind} {self.reference_date}"

    @property
    def is_locked(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def reopened(self) -> dict[str, Any]:
        """What a request for information reopened of the submitted dossier (empty: nothing, all frozen):
        {"sections": [codes], "statements": [ids], "activities": [ids], "due_on": ISO date}. Read once per
        instance, and only for a submitted dossier (a draft is open anyway)."""
        if not self.is_locked:
            return {}
        if "_reopened" not in self.__dict__:
            row = DossierReopening.objects.for_organisation(self.organisation_id).filter(dossier_id=self.pk).first()
            self.__dict__["_reopened"] = row.parts if row is not None else {}
        return self.__dict__["_reopened"]

    @classmethod
    def prime_reopened(cls, organisation: Any, dossiers: list[Dossier], extra: dict[str, Any] | None = None) -> None:
        """Read what is reopened of many dossiers in one query (a page of cards: `reopened` then asks nothing).
        Its signature is a lifecycle prefetch's (`portfolios.lifecycle.register_prefetch`)."""
        locked = [dossier for dossier in dossiers if dossier.is_locked and "_reopened" not in dossier.__dict__]
        if not locked:
            return
        rows = {row.dossier_id: row.parts for row in DossierReopening.objects.for_organisation(organisation)
                .filter(dossier_id__in=[dossier.pk for dossier in locked])}
        for dossier in locked:
            dossier.__dict__["_reopened"] = rows.get(dossier.pk, {})

    def forget_reopened(self) -> None:
        self.__dict__.pop("_reopened", None)

    @property
    def is_reopened(self) -> bool:
        """A submitted dossier of which a request for information reopened some parts."""
        return self.is_locked and bool(self.reopened)

    def section_locked(self, code: str) -> bool:
        """Whether the section cannot change: a draft's can; a submitted dossier's only when reopened."""
        return self.is_locked and code not in (self.reopened or {}).get("sections", [])

    def statement_reopened(self, pk: int) -> bool:
        return self.is_locked and pk in (self.reopened or {}).get("statements", [])


class DossierSection(models.Model):
    """The professional's input for one section of the scheme (answers, choices, declarations)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        db_table = "portfolios_dossiersection"  # created by the portfolios app; the rows stayed when the model moved
        constraints = [models.UniqueConstraint(fields=["organisation", "dossier", "code"],
                                               name="dossiersection_org_dossier_code")]

    def __str__(self) -> str:
        return self.code


class Evidence(models.Model):
    """An uploaded file proving an activity or belonging to a dossier section.

    Stored under a server-generated name outside any public URL (Django's storage API, so S3-compatible
    storage is a setting), recognised by content, hashed, and served only by a permission-checked view.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evidence")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, null=True, blank=True, related_name="evidence")
    section = models.ForeignKey(DossierSection, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="evidence")
    requirement_code = models.CharField(max_length=60, blank=True)
    file = models.FileField(upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        db_table = "portfolios_evidence"  # created by the portfolios app; the rows stayed when the model moved
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at", "id"]
        indexes = [
            models.Index(fields=["organisation", "owner"], name="evidence_org_owner_idx"),
            models.Index(fields=["organisation", "activity"], name="evidence_org_activity_idx"),
        ]
        constraints = [models.CheckConstraint(
            condition=~(models.Q(activity__isnull=False) & models.Q(section__isnull=False)),
            name="evidence_one_parent")]

    def __str__(self) -> str:
        return self.original_name


class StatementRequest(models.Model):
    """A signed statement asked of a third party (facilitator, supervisor, board colleague, employer).

    The signer gets a one-time, expiring link and signs without an account; only the SHA-256 of the
    link's token is stored. Once signed the statement cannot be changed by the professional.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SIGNED = "signed", _("Signed")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="statements")
    section_code = models.CharField(max_length=40)
    requirement_code = models.CharField(max_length=60)
    signer_name = models.CharField(_("signer's name"), max_length=200)
    signer_email = models.EmailField(_("signer's e-mail address"))
    signer_role = models.CharField(_("signer's role"), max_length=120, blank=True)
    message = models.TextField(_("message to the signer"), blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    fields = models.JSONField(default=dict, blank=True)
    signed_name = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        db_table = "portfolios_statementrequest"  # created by the portfolios app; the rows stayed when the model moved
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organisation", "dossier"], name="statement_org_dossier_idx")]

    def __str__(self) -> str:
        return f"{self.requirement_code} ({self.signer_email})"


class Submission(models.Model):
    """The immutable snapshot taken when a dossier is submitted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="submission")
    scheme_version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    snapshot = models.JSONField()
    snapshot_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(upload_to="submissions/", blank=True, max_length=200)

    objects = TenantManager()

    class Meta:
        db_table = "portfolios_submission"  # created by the portfolios app; the rows stayed when the model moved
        indexes = [models.Index(fields=["organisation", "submitted_at"], name="submission_org_date_idx")]

    def __str__(self) -> str:
        return self.snapshot_sha256[:12]

    # The row holds the current snapshot. A resubmission after a request for information keeps every version,
    # the first included, in `SubmissionVersion`; with none there, this is version 1.
    @cached_property
    def latest_version(self) -> SubmissionVersion | None:
        return (SubmissionVersion.objects.for_organisation(self.organisation_id).filter(submission_id=self.pk)
                .order_by("-number").first())

    @property
    def version(self) -> int:
        return self.latest_version.number if self.latest_version is not None else 1

    @property
    def resubmitted_at(self) -> dt.datetime | None:
        latest = self.latest_version
        return latest.submitted_at if latest is not None and latest.number > 1 else None


class SubmissionVersion(models.Model):
    """One frozen version of a submission: the first submission and each resubmission after a request for
    information (the `Submission` row always holds the current one)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    snapshot = models.JSONField()
    snapshot_sha256 = models.CharField(max_length=64)

    objects = TenantManager()

    class Meta:
        ordering = ["submission_id", "number"]
        constraints = [models.UniqueConstraint(fields=["organisation", "submission", "number"],
                                               name="submissionversion_number")]
        indexes = [models.Index(fields=["organisation", "submission"], name="submissionversion_sub_idx")]

    def __str__(self) -> str:
        return f"{self.submission_id} v{self.number}"



class DossierReopening(models.Model):
    """What a request for information reopened of a submitted dossier, until it is resubmitted (the row then
    goes; the request and the submission's versions are the history)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="+")
    sections = models.JSONField(default=list, blank=True)
    statements = models.JSONField(default=list, blank=True)
    activities = models.JSONField(default=list, blank=True)
    due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    def __str__(self) -> str:
        return f"{self.dossier_id} reopened"

    @property
    def parts(self) -> dict[str, Any]:
        return {"sections": list(self.sections), "statements": list(self.statements),
                "activities": list(self.activities), "due_on": self.due_on.isoformat()}
