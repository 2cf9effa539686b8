"""What professionals hold and log: certifications and activities (evidence and dossiers build on these)."""

from __future__ import annotations

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
    attributes = models.JSONField(_("details"), default=dict, blank=True)
    title = models.CharField(_("title"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    reflection = models.TextField(_("reflection"), blank=True)
    import_key = models.CharField(max_length=128, blank=True, editable=False,
                                  help_text="Set by bulk imports so the same row is never imported twice.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["organisation", "owner", "date"], name="activity_org_owner_date_idx")]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "import_key"], condition=~models.Q(import_key=""),
                                    name="activity_org_import_key"),
        ]

    def __str__(self) -> str:
        return self.title
