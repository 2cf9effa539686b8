"""What professionals hold and log: certifications, activities, imports and deletion requests.

Dossiers, their sections, statements, submissions and evidence files build on these in the dossiers app
(one layer up); `Activity.locked_by` names its submission by string, so nothing here imports that app.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from accounts.tenancy import TenantManager
from schemes.models import SchemeVersion


class Certification(models.Model):
    """A certificate a professional holds under one version of an organisation's scheme."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LAPSED = "lapsed", _("Lapsed")
        SUSPENDED = "suspended", _("Suspended")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="certifications")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certifications")
    scheme_version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="certifications")
    number = models.CharField(_("certificate number"), max_length=64)
    exam_passed_on = models.DateField(_("exam passed on"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    recertification_date = models.DateField(_("recertification date"), null=True, blank=True)
    cycle_start = models.DateField(_("cycle start"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    product_series = models.CharField(_("product series"), max_length=80, blank=True)
    designation = models.CharField(_("designation"), max_length=20, blank=True)
    membership_valid_until = models.DateField(
        _("membership valid until"), null=True, blank=True,
        help_text=_("For schemes that require a paid membership (PeopleCert Plus) before CPD can be submitted."))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [models.UniqueConstraint(fields=["organisation", "number"], name="certification_org_number")]
        indexes = [
            models.Index(fields=["organisation", "holder"], name="certification_org_holder_idx"),
            models.Index(fields=["organisation", "scheme_version"], name="certification_org_scheme_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class Activity(models.Model):
    """One development activity a professional logged. Counts toward every certification whose scheme
    knows its type code; the rules engine decides what counts."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="activities")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activities")
    type_code = models.SlugField(_("activity type"), max_length=80)
    date = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=2,
                                   validators=[MinValueValidator(0)])
    # The one encoding the form, the CSV import and the rules engine share (docs/rules-engine.md).
    attributes = models.JSONField(_("details"), default=dict, blank=True, help_text=_(
        "The activity type's extra values by attribute code: an integer attribute as a JSON integer (1500), a "
        "decimal attribute as a string in plain notation (\"2.5\"), yes or no as true or false, a text as a "
        "string."))
    title = models.CharField(_("title"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    reflection = models.TextField(_("reflection"), blank=True)
    import_key = models.CharField(max_length=128, blank=True, editable=False,
                                  help_text="Set by bulk imports so the same row is never imported twice.")
    imported_by = models.ForeignKey("ActivityImport", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="activities")
    # Set when a submitted dossier includes the activity: from then on it cannot be edited or deleted.
    locked_by = models.ForeignKey("dossiers.Submission", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="locked_activities")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["organisation", "owner", "date"], name="activity_org_owner_date_idx"),
            # The kept reports' fingerprint (portfolios/kept.py): count, max(id), max(updated_at) from the index.
            models.Index(fields=["organisation", "owner"], include=["id", "updated_at"],
                         name="activity_org_owner_changed_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "import_key"], condition=~models.Q(import_key=""),
                                    name="activity_org_import_key"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_locked(self) -> bool:
        return self.locked_by_id is not None


class CertificationStatusChange(models.Model):
    """The status history of a certification (append-only)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, choices=Certification.Status.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["organisation", "certification"], name="certstatus_org_cert_idx")]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


def evidence_path(instance: Any, filename: str) -> str:
    """Server-generated storage name: nothing of the uploader's file name reaches the file system."""
    import uuid

    return f"evidence/{instance.organisation_id}/{uuid.uuid4().hex}"


class ActivityImport(models.Model):
    """A bulk import of activity records by an organisation (e.g. the CCMG uploading members' CPD)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "created_at"], name="activityimport_org_idx")]

    def __str__(self) -> str:
        return self.file_name


class DeletionRequest(models.Model):
    """A professional's request to delete their account, seen and actioned by each organisation's admins."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Carried out")
        REFUSED = "refused", _("Refused")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    user_email = models.EmailField()
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    actioned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    actioned_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["organisation", "status"], name="deletionrequest_org_idx")]

    def __str__(self) -> str:
        return self.user_email


class KeptReport(models.Model):
    """A certification's rules-engine report, kept with the fingerprint of its inputs (portfolios/kept.py):
    re-evaluated only when the fingerprint the dashboard reads changes."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    certification = models.OneToOneField(Certification, on_delete=models.CASCADE, related_name="kept_report")
    fingerprint = models.CharField(max_length=64)
    summary = models.TextField(blank=True)  # the report without its per-activity results (kept.dump_report)
    activities = models.TextField(blank=True)  # the per-activity results, read only when asked for
    error = models.TextField(blank=True)  # why the certification cannot be evaluated (a ContextError), if so
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        indexes = [models.Index(fields=["organisation"], name="keptreport_org_idx")]

    def __str__(self) -> str:
        return f"kept report of {self.certification_id}"
