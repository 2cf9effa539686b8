"""The certifying body's records: decisions, certificates (documents and public facts), their history, appeals.

A `Certification` (portfolios) is what a professional holds; a `Certificate` is its public face: the verification
code, the name and scope as printed, the register entry and the PDFs. Decisions and history entries are frozen
once written (their `save` refuses changes). Submissions are referred to by id only (`submission_id`), as billing
does: the submission model moves between apps, and these records only need to find it again.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from accounts.tenancy import TenantManager
from portfolios.models import Certification

# No 0/O, 1/I/L: a code read aloud over the phone or typed from paper stays unambiguous.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_verification_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(text: str) -> str:
    raw = "".join(char for char in text.upper() if char.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}" if len(raw) == 12 else raw


class Frozen(models.Model):
    """A record that is written once: saving it again refuses."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError(f"{type(self).__name__} records are frozen once written.")
        super().save(*args, **kwargs)


class Decision(Frozen):
    """The certifying body's decision on a case (one submission), frozen when recorded."""

    class Outcome(models.TextChoices):
        GRANT = "grant", _("Granted")
        REFUSE = "refuse", _("Refused")
        BACK = "back", _("Sent back for more review")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    submission_id = models.BigIntegerField()
    certification = models.ForeignKey(Certification, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(_("decision"), max_length=10, choices=Outcome.choices)
    reasons = models.TextField(_("reasons"))
    # The advice as the decision maker saw it (outcome, reasons per section, assessors), kept with the decision.
    advice = models.JSONField(default=dict)
    starts_on = models.DateField(_("new period starts on"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    submitted_at = models.DateTimeField()
    dossier_kind = models.CharField(max_length=20)

    objects = TenantManager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "submission_id"], name="decision_org_submission_idx"),
            models.Index(fields=["organisation", "decided_at"], name="decision_org_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.submission_id})"


class Certificate(models.Model):
    """A certification's public face: verification code, printed name and scope, register entry, revision."""

    class Register(models.TextChoices):
        DEFAULT = "default", _("As the scheme says")
        LISTED = "listed", _("Listed in the register")
        HIDDEN = "hidden", _("Not listed in the register")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    certification = models.OneToOneField(Certification, on_delete=models.PROTECT, related_name="certificate")
    # Unique across organisations: /verify/<code>/ carries no organisation.
    code = models.CharField(_("verification code"), max_length=14, unique=True, default=new_verification_code)
    holder_name = models.CharField(_("name on the certificate"), max_length=300)
    scope = models.JSONField(_("scope"), default=list, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    register = models.CharField(_("public register"), max_length=10, choices=Register.choices,
                                default=Register.DEFAULT)
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    # Every change to what the document shows (dates, name, scope) is a new revision with its own PDFs.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        indexes = [models.Index(fields=["organisation", "holder_name"], name="certificate_org_name_idx")]

    def __str__(self) -> str:
        return self.code


def certificate_pdf_path(instance: CertificatePdf, filename: str) -> str:
    return f"certificates/{instance.organisation_id}/{uuid.uuid4().hex}.pdf"


class CertificatePdf(models.Model):
    """One revision of a certificate rendered in one language (by a task, once)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="pdfs")
    language = models.CharField(max_length=8)
    revision = models.PositiveIntegerField()
    file = models.FileField(upload_to=certificate_pdf_path, blank=True, max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "certificate", "language", "revision"],
                                               name="certificatepdf_org_cert_lang_rev")]

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.language} r{self.revision}"


class CertificateEvent(Frozen):
    """A dated history entry of a certification: who, when, why, and the dates before and after."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        RENEWED = "renewed", _("Renewed")
        EXTENDED = "extended", _("Extended (product series)")
        SUSPENDED = "suspended", _("Suspended")
        REINSTATED = "reinstated", _("Reinstated")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        LAPSED = "lapsed", _("Lapsed")
        AT_RISK = "membership_at_risk", _("Lapsed: membership at risk")
        REISSUED = "reissued", _("Re-issued")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="certificate_events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+")
    at = models.DateTimeField()

    objects = TenantManager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "certification"], name="certevent_org_cert_idx"),
            models.Index(fields=["organisation", "kind", "at"], name="certevent_org_kind_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"


class SeriesExtension(models.Model):
    """A PeopleCert extension of a product series, claimed once per run of compliant CPD years (`key`)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    product_series = models.CharField(max_length=80)
    key = models.DateField()
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "holder", "product_series", "key"],
                                               name="seriesextension_once")]

    def __str__(self) -> str:
        return f"{self.product_series} {self.key}"


class Appeal(models.Model):
    """A refused candidate's appeal: grounds and files; handled by decision makers who took no part."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld: the refusal is set aside")
        DISMISSED = "dismissed", _("Dismissed: the refusal stands")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="appeal")
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grounds = models.TextField(_("grounds of the appeal"))
    filed_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome_reasons = models.TextField(_("reasons"), blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status"], name="appeal_org_status_idx")]

    def __str__(self) -> str:
        return f"appeal {self.pk} ({self.status})"


def appeal_file_path(instance: AppealFile, filename: str) -> str:
    return f"appeals/{instance.organisation_id}/{uuid.uuid4().hex}"


class AppealFile(models.Model):
    """A file sent with an appeal: checked by content like evidence, stored under a server-made name."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=appeal_file_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    objects = TenantManager()

    class Meta:
        indexes = [models.Index(fields=["organisation", "appeal"], name="appealfile_org_appeal_idx")]

    def __str__(self) -> str:
        return self.original_name
